"""Quenches: work, heat, second law (Davoudi et al. 2025, Eqs. 14-37; Appendix C)."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy.linalg import expm, logm

import strongtherm as st
from strongtherm.exact import (
    Composite,
    Quench,
    RankDeficientWarning,
    interaction_quench,
    quench,
    system_quench,
)
from strongtherm.exact.linalg import partial_trace
from strongtherm.models import random_composite, two_spin

SIZES = [(2, 2), (2, 3), (3, 2), (2, 4), (3, 3)]


def _relative_entropy(rho: np.ndarray, sigma: np.ndarray) -> float:
    """Tr rho (ln rho - ln sigma) with scipy's logm: an independent road to Eqs. (29c), (30c)."""
    return float(np.real(np.trace(rho @ (logm(rho) - logm(sigma)))))


def test_second_law_on_1000_random_models():
    # Eqs. (29), (30): W_diff and W_H* >= dF_S on every model; sizes, couplings and beta vary
    rng = np.random.default_rng(20250)
    worst = {"diff": np.inf, "H*": np.inf}
    count = 0
    for n in range(350):
        d_S, d_R = SIZES[n % len(SIZES)]
        beta = float(rng.uniform(0.1, 4.0))
        A = random_composite(d_S, d_R, rng, coupling=float(rng.uniform(0.1, 3.0)), complex_valued=bool(n % 2))
        other = random_composite(d_S, d_R, rng, coupling=float(rng.uniform(0.1, 3.0)))
        for B in (A.replace(H_S=other.H_S), A.replace(V=other.V), A.replace(H_S=other.H_S, V=other.V)):
            q = quench(A, B, beta=beta)
            for key in worst:
                worst[key] = min(worst[key], q.dissipated_work[key] / max(1.0, abs(q.work[key])))
            audit = q.second_law(atol=1e-10)
            assert audit["diff"].obeys and audit["H*"].obeys
            count += 1
    assert count >= 1000
    # relative entropies are >= 0; rounding of O(1) energies allows -1e-13
    assert worst["diff"] > -1e-13 and worst["H*"] > -1e-13


@pytest.mark.parametrize("dims", SIZES, ids=str)
def test_relative_entropy_identities_29c_30c(dims):
    rng = np.random.default_rng(sum(dims) + 100)
    A = random_composite(*dims, rng, coupling=1.2)
    B = A.replace(H_S=random_composite(*dims, rng).H_S, V=random_composite(*dims, rng, coupling=0.7).V)
    beta = 0.8
    q = quench(A, B, beta=beta)
    pi_A = expm(-beta * A.H)
    pi_A /= np.trace(pi_A)
    pi_B = expm(-beta * B.H)
    pi_B /= np.trace(pi_B)
    # Eq. (29c): beta (W_diff - dF_S) = D(pi_SR^A || pi_SR^B) (H_R fixed, so dF_S = dF_SR)
    assert_allclose(beta * q.dissipated_work["diff"], _relative_entropy(pi_A, pi_B), atol=1e-11)
    # Eq. (30c): beta (W_H* - dF_S) = D(pi_S^A || pi_S^B)
    rho_A, rho_B = partial_trace(pi_A, dims), partial_trace(pi_B, dims)
    assert_allclose(beta * q.dissipated_work["H*"], _relative_entropy(rho_A, rho_B), atol=1e-11)


def test_first_law_and_heat_entropy_equivalence():
    rng = np.random.default_rng(5)
    A = random_composite(3, 3, rng)
    B = A.replace(V=random_composite(3, 3, rng, coupling=2.0).V)
    q = quench(A, B, beta=1.1)
    for key in ("diff", "H*", "E*"):
        # Eq. (19): dU = W + Q, with U from the two equilibrium results
        assert_allclose(q.work[key] + q.heat[key], q.B.U[key] - q.A.U[key], atol=1e-13)
        # Gibbs final state: W - dF_S = dS/beta - Q (Sec. V, before Eq. 35)
        assert_allclose(q.dissipated_work[key], q.entropy_change[key] / q.beta - q.heat[key], atol=1e-13)
    row = q.second_law()["diff"]
    assert_allclose(row.heat_excess, -row.dissipated_work, atol=1e-13)


def test_interaction_quench_starts_from_bare_hamiltonian():
    model = random_composite(3, 4, np.random.default_rng(8), coupling=1.5)
    q = interaction_quench(model, beta=0.9)
    assert q.kind == "interaction"
    # end of Appendix C / Table 1: state A has no coupling, so H*^A = E*^A = H_S exactly
    assert_allclose(q.A.H_star, model.H_S, atol=1e-13)
    assert_allclose(q.A.E_star, model.H_S, atol=1e-13)
    # W_diff = <V> in the product state pi_S^0 ⊗ pi_R^0 (Eq. 22)
    pi_S = expm(-0.9 * model.H_S)
    pi_R = expm(-0.9 * model.H_R)
    product = np.kron(pi_S / np.trace(pi_S), pi_R / np.trace(pi_R))
    assert_allclose(q.work["diff"], np.trace(model.V @ product).real, atol=1e-13)


def _commuting_model(rng: np.random.Generator) -> tuple[Composite, np.ndarray]:
    """H_S^A, H_S^B both commute with V = H_S^A ⊗ B_R + C_R-free terms (Eq. 31)."""
    base = random_composite(3, 3, rng)
    H_S = base.H_S
    _, U = np.linalg.eigh(H_S)
    projectors = [np.outer(U[:, i], U[:, i].conj()) for i in range(3)]
    # V block diagonal in the eigenbasis of H_S, with random reservoir operators per block
    V = sum(np.kron(P, random_composite(1, 3, rng).H_R) for P in projectors)
    H_S_B = U @ np.diag(rng.normal(size=3)) @ U.conj().T  # same eigenvectors: commutes with V
    return base.replace(V=V), H_S_B


def test_eq32_equal_works_when_eq31_holds():
    rng = np.random.default_rng(9)
    for _ in range(5):
        model, H_S_B = _commuting_model(rng)
        q = system_quench(model, H_S_B, beta=1.4)
        assert q.kind == "system"
        # Appendix C: W_diff = W_H* = W_E* (Eq. 32) exactly; rounding of O(1) energies
        assert_allclose(q.work["H*"], q.work["diff"], atol=1e-12)
        assert_allclose(q.work["E*"], q.work["diff"], atol=1e-12)


def test_interaction_quench_works_differ_even_when_commuting():
    # end of Appendix C: Eq. (32) is about system quenches; an interaction quench differs even then
    rng = np.random.default_rng(10)
    model, _ = _commuting_model(rng)
    q = interaction_quench(model, beta=1.0)
    assert abs(q.work["H*"] - q.work["diff"]) > 1e-3


def test_unitary_final_state():
    A = two_spin(0.0, 0.8, 1.2, 1.8)
    B = two_spin(2.0, 0.8, 1.2, 1.8)
    times = np.linspace(0.0, 5.0, 11)
    q = quench(A, B, beta=1.0, t_f=times)
    assert q.final == "unitary" and q.entropy_change is None
    assert q.rho_S_final.shape == (11, 2, 2)
    # t_f = 0: nothing has happened yet
    assert_allclose(q.rho_S_final[0], q.A.rho_S, atol=1e-14)
    assert_allclose(q.heat["H*"][0], 0.0, atol=1e-14)
    # closed S u R conserves <H^B>: Q_diff = 0 (Eq. 25)
    assert_allclose(q.heat["diff"], 0.0, atol=1e-13)
    # against direct propagation with expm
    U = expm(-1j * B.H * times[4])
    pi_A = expm(-A.H)
    pi_A /= np.trace(pi_A)
    assert_allclose(q.rho_S_final[4], partial_trace(U @ pi_A @ U.conj().T, (2, 2)), atol=1e-13)
    # work does not depend on the final state
    q_eq = quench(A, B, beta=1.0)
    assert_allclose([q.work[k] for k in q.work], [q_eq.work[k] for k in q_eq.work], atol=0)
    assert q.second_law()["diff"].heat is None
    scalar = quench(A, B, beta=1.0, t_f=2.0)
    assert scalar.rho_S_final.shape == (2, 2) and isinstance(scalar.heat["H*"], float)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"final": "equilibrium", "t_f": 1.0}, "t_f"),
        ({"final": "unitary"}, "t_f"),
        ({"final": "later"}, "final"),
        ({"t_f": -1.0}, "t_f"),
        ({"t_f": np.nan}, "t_f"),
        ({"beta": 0.0}, "beta"),
    ],
)
def test_bad_quench_arguments(kwargs, name):
    A = two_spin(0.0, 0.8, 1.2, 1.8)
    B = two_spin(1.0, 0.8, 1.2, 1.8)
    kwargs = {"beta": 1.0, **kwargs}
    with pytest.raises(ValueError, match=name):
        quench(A, B, **kwargs)


def test_quench_rejects_mismatched_dims():
    with pytest.raises(ValueError, match="dims"):
        quench(random_composite(2, 2, 1), random_composite(2, 3, 1), beta=1.0)
    with pytest.raises(ValueError, match="H_S_B"):
        system_quench(random_composite(2, 2, 1), np.eye(3), beta=1.0)


def test_quench_into_rank_deficient_state_gives_infinite_H_star_work():
    # B pins the system to |0> (gap 2000 at beta = 1: e^{-2000} underflows); A does not
    A = Composite(H_S=np.diag([0.0, 0.5]), H_R=np.diag([0.0, 1.0]), V=np.zeros((4, 4)))
    B = A.replace(H_S=np.diag([0.0, 2000.0]))
    with pytest.warns(RankDeficientWarning):
        q = quench(A, B, beta=1.0)
    assert q.work["H*"] == np.inf
    assert np.isfinite(q.work["diff"])
    assert isinstance(q, Quench)


def test_second_law_table_reads_well():
    q = quench(two_spin(0.0, 0.8, 1.2, 1.8), two_spin(-3.0, 0.8, 1.2, 1.8), beta=1.0)
    audit = q.second_law()
    text = str(audit)
    # panel (a) at eps_B < 0: W_E* violates Eq. (28), and with it Eq. (35)
    assert audit.verdicts == {"diff": True, "H*": True, "E*": False}
    assert "VIOLATES" in text and text.count("\n") == 4
    with pytest.raises(KeyError):
        audit["Q"]


def test_quench_reuses_equilibria_already_computed():
    # issue 13: a quench accepts the equilibria of A and B; the numbers are those of the quench
    # from the models (same arithmetic: identical to rounding, 1e-13), and beta is theirs
    A = random_composite(2, 3, 11)
    B = A.replace(H_S=random_composite(2, 3, 12).H_S)
    eqA, eqB = st.exact.equilibria(A, [0.7]), st.exact.equilibria(B, [0.7])
    reused = quench(eqA[0], eqB[0])
    direct = quench(A, B, beta=0.7)
    for key in ("diff", "H*", "E*"):
        assert reused.work[key] == pytest.approx(direct.work[key], abs=1e-13)
        assert reused.heat[key] == pytest.approx(direct.heat[key], abs=1e-13)
    assert reused.A is eqA[0] and reused.beta == 0.7
    mixed = quench(eqA[0], B)  # one side given, the other computed at the given side's beta
    assert mixed.work["diff"] == pytest.approx(direct.work["diff"], abs=1e-13)
    with pytest.raises(ValueError, match="beta"):
        quench(eqA[0], B, beta=0.8)  # a second temperature is refused
    with pytest.raises(ValueError, match="beta"):
        quench(A, B)  # models need a beta
    with pytest.raises(TypeError, match="A must be"):
        quench(np.eye(6), B, beta=1.0)


def test_beta_scan_reuses_one_eigendecomposition_with_identical_numbers():
    # equilibria(model, betas) diagonalizes H once; each result equals equilibrium(model, beta)
    # to rounding (1e-12: the same formulas on the same eigenvectors)
    model = random_composite(2, 4, 5)
    betas = [0.3, 1.0, 2.5]
    scan = st.exact.equilibria(model, betas)
    for beta, eq in zip(betas, scan, strict=True):
        ref = st.exact.equilibrium(model, beta=beta)
        assert eq.beta == beta
        np.testing.assert_allclose(eq.H_star, ref.H_star, atol=1e-12)
        np.testing.assert_allclose(eq.E_star, ref.E_star, atol=1e-12)
        assert eq.F_S == pytest.approx(ref.F_S, abs=1e-12)
    with pytest.raises(ValueError, match="beta"):
        st.exact.equilibria(model, [1.0, -1.0])
    with pytest.raises(ValueError, match="betas"):
        st.exact.equilibria(model, [])


def test_real_models_give_real_operators():
    # issue 13: a real-symmetric Hamiltonian gives real rho_S, H*_S, E*_S (no 1e-19 imaginary parts)
    eq = st.exact.equilibrium(two_spin(0.0, 0.8, 1.2, 1.8), beta=1.0)
    assert not np.iscomplexobj(eq.H_star) and not np.iscomplexobj(eq.E_star) and not np.iscomplexobj(eq.rho_S)
