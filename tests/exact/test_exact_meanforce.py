"""Equilibrium mean-force quantities (Davoudi et al. 2025, Eqs. 3-13, 33; Appendices A, B)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy.linalg import expm, logm

import strongtherm as st
from strongtherm.exact import Composite, RankDeficientWarning, equilibrium
from strongtherm.exact.linalg import partial_trace
from strongtherm.models import constrained_two_spin, random_composite, two_spin

SIZES = [(2, 2), (2, 3), (3, 2), (3, 4), (4, 3)]


def _reference_X_and_derivative(model: Composite, beta: float) -> tuple[np.ndarray, np.ndarray, float]:
    """X = Tr_R e^{-beta H}, dX/dbeta, and U_R^0 from scipy's expm (independent of the engine's eigh)."""
    H = model.H
    shift = np.linalg.eigvalsh(H)[0]
    G = expm(-beta * (H - shift * np.eye(H.shape[0])))
    X = partial_trace(G, model.dims)
    dX = -partial_trace(H @ G, model.dims)
    G_R = expm(-beta * model.H_R)
    U_R0 = float(np.real(np.trace(model.H_R @ G_R) / np.trace(G_R)))
    return X, dX, U_R0


@pytest.mark.parametrize("dims", SIZES, ids=str)
def test_E_star_against_block_logm(dims):
    rng = np.random.default_rng(hash(dims) % 2**32)
    for beta in (0.3, 1.0, 2.5):
        model = random_composite(*dims, rng, coupling=1.5)
        eq = equilibrium(model, beta=beta)
        X, dX, U_R0 = _reference_X_and_derivative(model, beta)
        n = dims[0]
        scale = np.trace(X).real  # Dlog is invariant under X, dX -> cX, c dX; keeps logm well scaled
        block = logm(np.block([[X, dX], [np.zeros((n, n)), X]]) / scale)
        # E* = d/dbeta (beta H*) = -Dlog_X[dX/dbeta] - U_R^0 (Eq. 12 with Eq. 4)
        E_ref = -block[:n, n:] - U_R0 * np.eye(n)
        # two independent double-precision roads (eigh + divided differences vs Schur-Padé logm)
        assert_allclose(eq.E_star, E_ref, atol=1e-10)


def test_E_star_against_richardson_finite_differences():
    rng = np.random.default_rng(11)
    model = random_composite(3, 3, rng, coupling=1.0)
    beta, h = 0.8, 1e-2

    def beta_H_star(b: float) -> np.ndarray:
        return b * equilibrium(model, beta=b).H_star

    def central(step: float) -> np.ndarray:
        return (beta_H_star(beta + step) - beta_H_star(beta - step)) / (2 * step)

    # two Richardson levels: O(h^6) truncation ~ 1e-12, rounding ~ eps / h ~ 1e-14
    d1, d2, d3 = central(h), central(h / 2), central(h / 4)
    r1, r2 = (4 * d2 - d1) / 3, (4 * d3 - d2) / 3
    richardson = (16 * r2 - r1) / 15
    assert_allclose(equilibrium(model, beta=beta).E_star, richardson, atol=1e-10)


def test_eq48_is_wrong_when_operators_do_not_commute_and_right_when_they_do():
    def eq48(model: Composite, beta: float) -> np.ndarray:
        X, dX, U_R0 = _reference_X_and_derivative(model, beta)
        return -dX @ np.linalg.inv(X) - U_R0 * np.eye(model.dims[0])

    generic = random_composite(3, 4, np.random.default_rng(7))
    assert np.max(np.abs(eq48(generic, 1.0) - equilibrium(generic, beta=1.0).E_star)) > 1e-3
    spins = two_spin(2.0, 0.8, 1.2, 1.8)  # parity: X and Tr_R(H e^{-bH}) are both diagonal
    assert_allclose(eq48(spins, 1.0), equilibrium(spins, beta=1.0).E_star, atol=1e-13)


@pytest.mark.parametrize("dims", SIZES, ids=str)
def test_gibbs_identities(dims):
    rng = np.random.default_rng(sum(dims))
    model = random_composite(*dims, rng, coupling=2.0)
    beta = 1.3
    eq = equilibrium(model, beta=beta)
    G = expm(-beta * model.H)
    Z = np.trace(G).real
    Z_R = np.trace(expm(-beta * model.H_R)).real
    # Eq. (3): reduced state; Eq. (4): pi_S = e^{-beta H*}/Z*_S with Z*_S = Z_SR/Z_R (Eq. 7)
    assert_allclose(eq.rho_S, partial_trace(G, model.dims) / Z, atol=1e-13)
    assert_allclose(expm(-beta * eq.H_star) * Z_R / Z, eq.rho_S, atol=1e-13)
    assert_allclose(eq.F_S, -np.log(Z / Z_R) / beta, atol=1e-13)
    assert_allclose(eq.U_SR, np.trace(model.H @ G).real / Z, atol=1e-13)
    # Appendix B (Eq. 52): U_E* = U_diff in the global Gibbs state, any (non-commuting) model
    assert_allclose(eq.U["E*"], eq.U["diff"], atol=1e-12)
    # Eq. (33) with U_H*: the entropy of H* is the von Neumann entropy of pi_S
    p = np.linalg.eigvalsh(eq.rho_S)
    assert_allclose(eq.entropy["H*"], -np.sum(p * np.log(p)), atol=1e-12)
    for key in ("diff", "H*", "E*"):
        assert_allclose(eq.entropy[key], beta * (eq.U[key] - eq.F_S), atol=1e-13)
    # Hermitian outputs
    assert_allclose(eq.H_star, eq.H_star.conj().T, atol=0)
    assert_allclose(eq.E_star, eq.E_star.conj().T, atol=0)


def test_mean_force_log_agrees_with_qutip():
    qutip = pytest.importorskip("qutip")
    model = random_composite(3, 4, np.random.default_rng(12), coupling=1.0)
    beta = 0.7
    eq = equilibrium(model, beta=beta)
    H = qutip.Qobj(model.H, dims=[[3, 4], [3, 4]])
    X = (-beta * H).expm().ptrace(0)
    Z_R = (-beta * qutip.Qobj(model.H_R)).expm().tr()
    H_star_qutip = -(X / Z_R).logm() / beta
    # QuTiP's expm/ptrace/logm (scipy underneath, a different factorisation) vs one eigh
    assert_allclose(eq.H_star, H_star_qutip.full(), atol=1e-12)


def test_weak_coupling_appendix_A():
    model = random_composite(3, 4, np.random.default_rng(13)).replace(V=0)
    beta = 0.9
    eq = equilibrium(model, beta=beta)
    E, _ = np.linalg.eigh(model.H_S)
    p = np.exp(-beta * E) / np.sum(np.exp(-beta * E))
    U_S0 = float(np.dot(p, E))
    # Eqs. (41)-(45): exact identities at V = 0
    assert_allclose(eq.H_star, model.H_S, atol=1e-13)
    assert_allclose(eq.E_star, model.H_S, atol=1e-13)
    for key in ("diff", "H*", "E*"):
        assert_allclose(eq.U[key], U_S0, atol=1e-13)
    # small coupling lam V: H*, E* -> H_S linearly in lam
    full = random_composite(3, 4, np.random.default_rng(13))
    devs = [np.max(np.abs(equilibrium(full.scaled_interaction(lam), beta=beta).H_star - full.H_S)) for lam in (1e-2, 1e-3)]
    assert 5 < devs[0] / devs[1] < 20  # first order in lam (ratio 10), not zeroth


@pytest.mark.parametrize("k", [0.0, 5.0, 50.0, 500.0, 1e5])
def test_constrained_model_is_stable_at_large_penalty(k):
    model = constrained_two_spin(eps=1.0, alpha=0.8, chi=0.9, k=k)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow, no rank-deficiency warning: both σ_S^z values survive
        eq = equilibrium(model, beta=1.0)
    for arr in (eq.rho_S, eq.H_star, eq.E_star):
        assert np.all(np.isfinite(arr))
    assert np.isfinite(eq.F_S) and all(np.isfinite(u) for u in eq.U.values())
    assert_allclose(np.trace(eq.rho_S).real, 1.0, atol=1e-14)
    assert np.min(np.linalg.eigvalsh(eq.rho_S)) > 1e-3
    if k >= 50:
        # k -> infinity: only ↑↑ and ↓↓ survive; their 2x2 block is eps/2 ± alpha/2 ± chi mixing... with
        # the σ^xσ^x flip ↑↑ <-> ↓↓, energies ±sqrt(a_+^2 + chi^2), a_+ = (eps + alpha)/2
        a = (1.0 + 0.8) / 2
        eta = np.hypot(a, 0.9)
        F_limit = -np.log(2 * np.cosh(eta) / (2 * np.cosh(0.4)))
        # corrections of order e^{-2k} are far below double precision for k >= 50
        assert_allclose(eq.F_S, F_limit, atol=1e-12)


def test_rank_deficient_reduced_state_warns_and_stays_finite():
    # product ground state and beta x gap = 1000: e^{-1000} underflows, pi_S = |0><0| exactly
    model = Composite(H_S=np.diag([0.0, 1.0]), H_R=np.diag([0.0, 0.5]), V=np.zeros((4, 4)))
    with pytest.warns(RankDeficientWarning, match="rank deficient"):
        eq = equilibrium(model, beta=1000.0)
    assert eq.rank_deficient and eq.support.shape == (2, 1)
    for arr in (eq.H_star, eq.E_star, eq.rho_S):
        assert np.all(np.isfinite(arr))
    # on the support H* = E* = H_S = 0; U's are those of the ground state
    assert_allclose(eq.H_star, np.zeros((2, 2)), atol=1e-12)
    assert all(np.isfinite(u) for u in eq.U.values())


def test_full_rank_at_moderate_beta_does_not_warn():
    model = Composite(H_S=np.diag([0.0, 1.0]), H_R=np.diag([0.0, 0.5]), V=np.zeros((4, 4)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        eq = equilibrium(model, beta=20.0)
    assert not eq.rank_deficient


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"H_S": np.array([[0.0, 1.0], [0.0, 0.0]]), "H_R": np.eye(2), "V": np.zeros((4, 4))}, "H_S"),
        ({"H_S": np.eye(2), "H_R": np.array([[np.nan, 0], [0, 1.0]]), "V": np.zeros((4, 4))}, "H_R"),
        ({"H_S": np.eye(2), "H_R": np.eye(2), "V": np.zeros((6, 6))}, "V"),
        ({"H_S": np.eye(2), "H_R": np.eye(3), "V": np.ones((4, 4))}, "V"),
        ({"H_S": np.ones((2, 3)), "H_R": np.eye(2), "V": None}, "H_S"),
        ({"H_S": np.eye(2), "H_R": np.eye(2), "V": 1j * np.ones((4, 4))}, "V"),
    ],
    ids=["non-hermitian H_S", "nan H_R", "V too big", "V does not factor", "H_S not square", "V anti-hermitian"],
)
def test_bad_composite_raises_value_error_naming_argument(kwargs, name):
    with pytest.raises(ValueError, match=name):
        Composite(**kwargs)


@pytest.mark.parametrize("beta", [0.0, -1.0, np.inf, np.nan, "hot", 1j])
def test_bad_beta_raises(beta):
    with pytest.raises(ValueError, match="beta"):
        equilibrium(two_spin(1.0, 0.8, 1.2, 1.8), beta=beta)


def test_model_must_be_composite():
    # a wrong type is a TypeError naming the argument (STYLE.md; issue 9)
    with pytest.raises(TypeError, match="model"):
        equilibrium(np.eye(4), beta=1.0)


def test_qobj_input_and_from_hamiltonian():
    qutip = pytest.importorskip("qutip")
    C = Composite(H_S=qutip.sigmaz() / 2, H_R=0.4 * qutip.sigmaz(), V=1.8 * qutip.tensor(qutip.sigmax(), qutip.sigmax()))
    # QuTiP's σ_z = diag(1, -1) is the paper's basis order; two_spin builds the same H
    assert_allclose(C.H, two_spin(1.0, 0.8, 0.0, 1.8).H, atol=0)
    D = Composite.from_hamiltonian(C.H, C.H_S, C.H_R)
    assert_allclose(D.V, C.V, atol=1e-15)


def test_readme_api_runs_as_written():
    A = st.models.two_spin(eps=0.0, alpha=0.8, gamma=1.2, chi=1.8)
    B = st.models.two_spin(eps=2.0, alpha=0.8, gamma=1.2, chi=1.8)
    q = st.exact.quench(A, B, beta=1.0)
    _ = (q.work["diff"], q.work["H*"], q.work["E*"], q.delta_F_S)
    _ = (q.heat["H*"], q.entropy_change["H*"])
    text = str(q.second_law())
    assert "diff" in text and "E*" in text and "obeys" in text
    eq = st.exact.equilibrium(A, beta=1.0)
    _ = (eq.H_star, eq.E_star, eq.U["diff"], eq.U["H*"], eq.U["E*"], eq.F_S)
    C = st.exact.Composite(H_S=np.diag([0.0, 1.0, 2.5]), H_R=np.diag([0.0, 0.7]), V=0.3 * np.ones((6, 6)))
    E_star = st.exact.equilibrium(C, beta=2.0).E_star
    assert E_star.shape == (3, 3) and np.all(np.isfinite(E_star))
    assert "Equilibrium(" in repr(eq) and "Quench(" in repr(q) and len(repr(q)) < 300
