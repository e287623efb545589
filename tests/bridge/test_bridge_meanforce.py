"""Mean-force thermodynamics of fermions (issue 4): Davoudi et al.'s definitions from the Green's-function engine.

Every identity is checked against a quantity computed by another road: the phase formula for
F*_S, the finite chain for the infinite reservoir, the bare level for V -> 0.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import strongtherm as st
from strongtherm.exact import RankDeficientWarning
from strongtherm.gaussian.meanforce import (
    free_energy_from_phase,
    mean_force_finite_chain,
    mean_force_from_hamiltonian,
)
from strongtherm.negf import finite_chain

T0 = 1.25
RLM = st.models.resonant_level(t0=T0)
TWO = st.models.two_level_two_reservoirs(t0=T0)
BATH = st.Bath(T=0.02, mu=0.0)

# (model, params): no bound state, bound states below and above the band, two levels with one
CASES = [
    pytest.param(RLM, {"eps_s": 0.2, "V": 0.6}, id="rlm"),
    pytest.param(RLM, {"eps_s": -2.5, "V": 1.5}, id="rlm-bound-below"),
    pytest.param(RLM, {"eps_s": 2.6, "V": 1.2}, id="rlm-bound-above"),
    pytest.param(TWO, {}, id="two-level"),
    pytest.param(TWO, {"eps_1": -2.8, "V_L": 1.5, "t_c": 0.3, "eps_2": 0.2}, id="two-level-bound"),
]


def test_readme_example_runs():
    rlm = st.models.resonant_level(t0=1.25)
    bath = st.Bath(T=0.02, mu=0.0)
    mf = st.gaussian.mean_force(rlm, bath, eps_s=0.0, V=0.6)
    values = [mf.F_S, mf.U["diff"], mf.U["H*"], mf.U["E*"], mf.S["diff"], mf.S["H*"]]
    assert all(math.isfinite(v) for v in values)
    assert mf.reduced_state.correlation_matrix.shape == (1, 1)
    q = st.gaussian.quench(rlm, bath, start={"eps_s": 0.0, "V": 0.6}, end={"eps_s": 1.0, "V": 0.6})
    assert all(math.isfinite(v) for v in (q.work["diff"], q.work["H*"], q.work["E*"], q.delta_F_S))
    text = str(q.second_law())
    assert "Eq.28" in text and "H*" in text


@pytest.mark.parametrize(("model", "params"), CASES)
def test_free_energy_equals_phase_formula(model, params):
    mf = st.gaussian.mean_force(model, BATH, **params)
    phase = free_energy_from_phase(model, BATH, **params)
    # contour quadrature at atol 1e-11 per integral vs real-axis quad at 1e-13: agree to 1e-9
    assert mf.F_S == pytest.approx(phase, abs=1e-9)
    eq = mf.equilibrium
    # F*_S is by definition Omega_S + dOmega_R; the phase formula above is the independent side
    assert mf.F_S == pytest.approx(eq.system.Omega + eq.reservoir.Omega, abs=1e-14)


@pytest.mark.parametrize(("model", "params"), CASES)
@pytest.mark.parametrize("mu", [0.0, 0.15])
def test_gibbs_state_identities(model, params, mu):
    bath = st.Bath(T=0.05, mu=mu)
    mf = st.gaussian.mean_force(model, bath, **params)
    eq = mf.equilibrium
    # U_E* = U_diff in the Gibbs state (Davoudi App. B): an algebraic identity of the Gaussian
    # formulas through the Frechet derivative, so rounding only (1e-11 for C near 0 or 1)
    assert mf.U_K["E*"] == pytest.approx(mf.U_K["diff"], abs=1e-10)
    # U_H* = F*_S + T S_vN(rho_S): rho_S = exp(-beta K*)/Z* (rounding)
    assert mf.U_K["H*"] == pytest.approx(mf.F_S + bath.T * mf.reduced_state.entropy, abs=1e-10)
    # S_diff = S_S + dS_R (Kumar Eqs. 8, 12, 15), computed by the engine from the kernel s(e)
    assert mf.S["diff"] == pytest.approx(eq.system.S + eq.reservoir.S, abs=1e-9)
    # the <H> partners: U = U_K + mu N, so U_E* - U_diff = -mu dN_R (convention of the module)
    assert mf.U["E*"] - mf.U["diff"] == pytest.approx(-mu * eq.reservoir.N, abs=1e-10)
    assert mf.U["diff"] == pytest.approx(eq.universe.U, abs=1e-12)


def test_reduced_state_in_fock_space():
    mf = st.gaussian.mean_force(TWO, BATH, eps_1=0.1, t_c=0.3, V_L=0.8, V_R=0.5)
    rho = mf.reduced_state.fock()
    N = st.gaussian.fock.number_operator(2)
    # unit trace, positive, <N> = Tr C (rounding)
    assert np.trace(rho).real == pytest.approx(1.0, abs=1e-13)
    assert np.linalg.eigvalsh(rho).min() > -1e-14
    assert np.trace(N @ rho).real == pytest.approx(np.trace(mf.reduced_state.correlation_matrix).real, abs=1e-13)
    # rho_S = exp(-beta H*) / Z* with Z* = exp(-beta F*) (Davoudi Eq. 5), in Fock space (1e-12: one expm)
    from scipy.linalg import expm

    assert np.allclose(expm(-mf.K_star.fock() / BATH.T) * math.exp(mf.F_S / BATH.T), rho, atol=1e-12)


@pytest.mark.parametrize("model,params", [(RLM, {"eps_s": 0.2}), (TWO, {})], ids=["rlm", "two-level"])
def test_weak_coupling_every_definition_gives_the_bare_system(model, params):
    coupling = {"V": 0.0} if model is RLM else {"V_L": 0.0, "V_R": 0.0}
    bath = st.Bath(T=0.1, mu=0.0)
    mf = st.gaussian.mean_force(model, bath, **params, **coupling)
    e = np.linalg.eigvalsh(model.h_S(model.resolve({**params, **coupling})))
    U0, S0 = float(np.sum(e * bath.fermi(e))), float(np.sum(bath.entropy_density(e)))
    table = mf.definitions(alphas=(0.0, 0.5, 1.0))
    # decoupled levels are exact poles in the engine: everything coincides to rounding (1e-12)
    for value in table["energy"].values():
        assert value == pytest.approx(U0, abs=1e-12)
    for value in table["entropy"].values():
        assert value == pytest.approx(S0, abs=1e-12)
    # H*_S = H_S when the coupling vanishes (Davoudi Sec. V, trap 4): K* = h_S - mu, no constant
    assert np.allclose(mf.K_star.matrix, model.h_S(mf.params), atol=1e-10)
    assert mf.K_star.constant == pytest.approx(0.0, abs=1e-12)


def test_finite_chain_converges_to_infinite_reservoir():
    params = {"eps_s": 0.2, "V": 0.6}
    ref = st.gaussian.mean_force(RLM, BATH, **params)
    errors = []
    for L in (200, 400, 800):
        chain = mean_force_finite_chain(RLM, BATH, L, **params)
        errors.append(max(abs(chain.F_S - ref.F_S), *(abs(chain.U[k] - ref.U[k]) for k in ref.U),
                          *(abs(chain.S[k] - ref.S[k]) for k in ref.S)))
    # finite_chain's documented convergence at T = 0.02: ~5e-2, 7e-4, 6e-8, 2e-13 at L = 100..800
    assert errors[0] > errors[1] > errors[2]
    assert errors[2] < 1e-9


def test_finite_chain_gaussian_matches_finite_chain_module():
    params = RLM.resolve({"eps_s": -0.3, "V": 0.9})
    fc = finite_chain.equilibrium(RLM, BATH, 60, **params)
    mf = mean_force_finite_chain(RLM, BATH, 60, **params)
    # same diagonalization, two bookkeepings (system weights vs. reservoir block): rounding
    assert mf.F_S == pytest.approx(fc.system.Omega + fc.reservoir.Omega, abs=1e-12)
    assert np.allclose(mf.reduced_state.correlation_matrix, fc.correlation_matrix, atol=1e-13)
    assert mf.U["diff"] == pytest.approx(fc.system.U + fc.reservoir.U, abs=1e-12)


def test_beta_derivative_of_beta_H_star_by_finite_differences():
    rng = np.random.default_rng(7)
    A = rng.normal(size=(12, 12)) + 1j * rng.normal(size=(12, 12))
    h = 0.5 * (A + A.conj().T)
    T, mu, dT = 0.7, 0.1, 1e-4
    mf = mean_force_from_hamiltonian(h, 3, st.Bath(T=T, mu=mu))

    def beta_K(temp):
        m = mean_force_from_hamiltonian(h, 3, st.Bath(T=temp, mu=mu))
        return m.K_star.matrix / temp, m.K_star.constant / temp

    b = 1.0 / T
    (m_plus, c_plus), (m_minus, c_minus) = beta_K(1.0 / (b + dT * b)), beta_K(1.0 / (b - dT * b))
    # central difference in beta, step 1e-4 beta: error ~ (step)^2 x third derivative ~ 1e-8
    assert np.allclose((m_plus - m_minus) / (2 * dT * b), mf.E_star_K.matrix, atol=1e-7)
    assert (c_plus - c_minus) / (2 * dT * b) == pytest.approx(mf.E_star_K.constant, abs=1e-7)


def test_rank_deficient_reduced_state_is_reported():
    h = np.array([[5.0, 0.0], [0.0, 0.0]])
    with pytest.warns(RankDeficientWarning, match="rank deficient"):
        mf = mean_force_from_hamiltonian(h, 1, st.Bath(T=0.01))
    assert mf.frozen_modes == 1
    assert all(math.isfinite(v) for v in mf.U.values())


def test_bad_input_names_the_argument():
    mf = st.gaussian.mean_force(RLM, BATH, eps_s=0.0, V=0.6)
    with pytest.raises(ValueError, match="alpha"):
        mf.definitions(alphas=(1.5,))
    with pytest.raises(ValueError, match="T must be"):
        st.gaussian.mean_force(RLM, st.Bath(T=0.0), eps_s=0.0, V=0.6)
    with pytest.raises(ValueError, match="T must be"):
        st.Bath(T=-1.0)
    with pytest.raises(ValueError, match="eps_d"):
        st.gaussian.mean_force(RLM, BATH, eps_d=0.0, V=0.6)
    with pytest.raises(ValueError, match="support_atol"):
        st.gaussian.mean_force(RLM, BATH, eps_s=0.0, V=0.6, support_atol=0.7)
    with pytest.raises(ValueError, match="bath"):
        st.gaussian.mean_force(RLM, 0.02, eps_s=0.0, V=0.6)
    with pytest.raises(ValueError, match="n_system"):
        mean_force_from_hamiltonian(np.eye(3), 3, BATH)
    with pytest.raises(ValueError, match="start"):
        st.gaussian.quench(RLM, BATH, start={"eps": 0.0, "V": 0.6}, end={"eps_s": 1.0, "V": 0.6})
    with pytest.raises(ValueError, match="end"):
        st.gaussian.quench(RLM, BATH, start={"eps_s": 0.0, "V": 0.6}, end={"eps_s": 1.0, "V": -0.6})


def test_U_diff_is_U_S_plus_dU_R_and_U_K_subtracts_mu_N():
    # issue 13: the docstring and the conventions page say U["diff"] = U_S + dU_R and
    # U_K["diff"] = U["diff"] - mu (N_S + dN_R); both sides come from the same contour (1e-10)
    bath = st.Bath(T=0.1, mu=0.3)
    rlm = st.models.resonant_level(t0=1.25)
    eq = st.negf.equilibrium(rlm, bath, eps_s=0.2, V=0.6)
    mf = st.gaussian.mean_force(rlm, bath, eps_s=0.2, V=0.6)
    assert mf.U["diff"] == pytest.approx(eq.system.U + eq.reservoir.U, abs=1e-10)
    assert mf.U_K["diff"] == pytest.approx(mf.U["diff"] - 0.3 * (eq.system.N + eq.reservoir.N), abs=1e-10)
    assert abs(mf.U["diff"] - mf.U_K["diff"]) > 0.1  # the difference is not a rounding effect
