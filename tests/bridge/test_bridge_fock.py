"""Jordan-Wigner road (issue 4): Gaussian formulas against the exact many-body engine on short chains.

The same finite one-body Hamiltonian is fed (i) to the single-particle formulas of
strongtherm.gaussian.meanforce / quench and (ii) in Fock space to strongtherm.exact. They must agree
to 1e-10 (both are exact; what is left is rounding in 2^N-dimensional eigendecompositions).
"""

from __future__ import annotations

import numpy as np
import pytest

import strongtherm as st
from strongtherm.gaussian import fock
from strongtherm.gaussian.meanforce import mean_force_from_hamiltonian
from strongtherm.gaussian.quench import quench_finite_chain, quench_hamiltonian
from strongtherm.negf.finite_chain import universe_hamiltonian

RLM = st.models.resonant_level(t0=1.25)
TWO = st.models.two_level_two_reservoirs(t0=1.25)
TOL = 1e-10  # both roads exact; rounding of a 1024-state eigh at beta x spread(K) ~ 30 is ~1e-13


def _random_hamiltonian(rng: np.random.Generator, N: int, complex_: bool) -> np.ndarray:
    A = rng.normal(size=(N, N)) + (1j * rng.normal(size=(N, N)) if complex_ else 0.0)
    return 0.5 * (A + A.conj().T)


def test_jordan_wigner_operators_anticommute():
    a = fock.annihilation_operators(4)
    eye = np.eye(16)
    for i in range(4):
        for j in range(4):
            # canonical anticommutation relations, exact in floating point (entries 0, +-1)
            assert np.array_equal(a[i] @ a[j].T + a[j].T @ a[i], eye if i == j else 0 * eye)
            assert np.array_equal(a[i] @ a[j] + a[j] @ a[i], 0 * eye)


@pytest.mark.parametrize(
    ("n", "N", "complex_", "mu", "T"),
    [(1, 10, False, 0.0, 0.3), (2, 7, True, 0.2, 0.4), (3, 8, True, -0.1, 0.5)],
    ids=["n1-real-10-modes", "n2-complex-mu", "n3-complex-mu"],
)
def test_gaussian_mean_force_equals_exact_engine(n, N, complex_, mu, T):
    h = _random_hamiltonian(np.random.default_rng(N), N, complex_)
    bath = st.Bath(T=T, mu=mu)
    mf = mean_force_from_hamiltonian(h, n, bath)
    ex = st.exact.equilibrium(fock.composite(h, n, mu=mu), beta=bath.beta)
    assert mf.F_S == pytest.approx(ex.F_S, abs=TOL)
    assert np.allclose(mf.reduced_state.fock(), ex.rho_S, atol=TOL)
    # H*_S and E*_S as Fock operators (complex h: the C_ij = <a_j^dag a_i> convention is tested here)
    assert np.allclose(mf.K_star.fock(), ex.H_star, atol=TOL)
    assert np.allclose(mf.E_star_K.fock(), ex.E_star, atol=TOL)
    for key in ("diff", "H*", "E*"):
        assert mf.U_K[key] == pytest.approx(ex.U[key], abs=TOL)
        assert mf.S[key] == pytest.approx(ex.entropy[key], abs=TOL)


@pytest.mark.parametrize(
    ("model", "L", "start", "end", "T", "mu"),
    [
        (RLM, 9, {"eps_s": 0.0, "V": 0.6}, {"eps_s": 1.0, "V": 0.6}, 0.3, 0.0),
        (RLM, 7, {"eps_s": 0.3, "V": 0.0}, {"eps_s": 0.3, "V": 0.6}, 0.3, 0.1),
        (TWO, 4, {"eps_1": 0.2}, {"eps_1": 0.7, "t_c": 0.2}, 0.4, 0.0),
    ],
    ids=["rlm-system", "rlm-interaction-mu", "two-level-system"],
)
def test_gaussian_quench_equals_exact_engine(model, L, start, end, T, mu):
    bath = st.Bath(T=T, mu=mu)
    gauss = quench_finite_chain(model, bath, L, start=start, end=end)
    hA = universe_hamiltonian(model, L, model.resolve(start))
    hB = universe_hamiltonian(model, L, model.resolve(end))
    n = model.n_levels
    exact = st.exact.quench(fock.composite(hA, n, mu=mu), fock.composite(hB, n, mu=mu), beta=bath.beta)
    assert gauss.kind == exact.kind
    assert gauss.delta_F_S == pytest.approx(exact.delta_F_S, abs=TOL)
    for key in ("diff", "H*", "E*"):
        assert gauss.work[key] == pytest.approx(exact.work[key], abs=TOL)
        assert gauss.heat[key] == pytest.approx(exact.heat[key], abs=TOL)
        assert gauss.entropy_change[key] == pytest.approx(exact.entropy_change[key], abs=TOL)
    assert gauss.second_law().verdicts == exact.second_law().verdicts


def test_random_complex_quench_equals_exact_engine():
    rng = np.random.default_rng(11)
    hA = _random_hamiltonian(rng, 8, True)
    hB = hA.copy()
    hB[:2, :2] += _random_hamiltonian(rng, 2, True)  # system quench of a 2-mode system
    bath = st.Bath(T=0.6, mu=0.2)
    gauss = quench_hamiltonian(hA, hB, 2, bath)
    exact = st.exact.quench(fock.composite(hA, 2, mu=0.2), fock.composite(hB, 2, mu=0.2), beta=bath.beta)
    for key in ("diff", "H*", "E*"):
        assert gauss.work[key] == pytest.approx(exact.work[key], abs=TOL)
        assert gauss.heat[key] == pytest.approx(exact.heat[key], abs=TOL)


def test_fock_bad_input_names_the_argument():
    with pytest.raises(ValueError, match="n_modes"):
        fock.annihilation_operators(20)
    with pytest.raises(ValueError, match="n_system"):
        fock.composite(np.eye(3), 0)
    with pytest.raises(ValueError, match="h must be Hermitian"):
        fock.quadratic_operator(np.array([[0.0, 1.0], [0.0, 0.0]]))
