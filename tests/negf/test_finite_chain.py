"""Self-tests of the finite-chain road (strongtherm.negf.finite_chain).

Exact identities of the discrete Hilbert-space partition, Hellmann-Feynman, bad input, and
convergence to the plain quad reference (tests/references) as the chains grow.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose
from references.quad_reference import resonant_level_reference, two_level_reference

import strongtherm as st
from strongtherm.negf import finite_chain
from strongtherm.negf.reservoirs import TightBindingChain, WideBand
from strongtherm.negf.system import OpenSystem

T0 = 1.25
RLM = st.models.resonant_level(t0=T0)
TWO = st.models.two_level_two_reservoirs(t0=T0)
KEYS = ("N", "U", "S", "Omega")


def _complex_two_level() -> OpenSystem:
    """Two levels with a complex hopping and complex couplings to two chains of different t0, e0."""
    chains = (TightBindingChain(1.0, 0.2), TightBindingChain(1.4, -0.3))

    def h_S(p):
        t = p["t_c"] * np.exp(0.7j)
        return np.array([[p["eps_1"], t], [np.conj(t), -0.4]])

    def couplings(p):
        return (np.array([[0.8, 0.3j]]) * p["g"], np.array([[0.2 - 0.1j, 0.9]]) * p["g"])

    return OpenSystem(
        name="complex two-level",
        n_levels=2,
        reservoirs=chains,
        system_hamiltonian=h_S,
        couplings=couplings,
        parameter_domain={"eps_1": (-10.0, 10.0), "t_c": (-5.0, 5.0), "g": (0.0, 5.0)},
        defaults={"eps_1": 0.3, "t_c": 0.6, "g": 1.0},
    )


CPLX = _complex_two_level()

SMALL_CASES = [
    pytest.param(RLM, {"eps_s": 0.2, "V": 1.0}, id="rlm"),
    pytest.param(RLM, {"eps_s": -2.0, "V": 1.5}, id="rlm-bound-below"),
    pytest.param(
        TWO, {"eps_1": -0.5, "eps_2": 0.8, "t_c": 0.4, "V_L": 1.1, "V_R": 0.7}, id="two-level"
    ),
    pytest.param(CPLX, {}, id="complex-two-level"),
]


@pytest.mark.parametrize(("model", "params"), SMALL_CASES)
@pytest.mark.parametrize("mu", [0.0, 0.4])
def test_exact_identities(model, params, mu):
    r = finite_chain.equilibrium(model, st.Bath(0.07, mu), 60, **params)
    n = model.n_levels
    # sum_k w_k = n and sum_k P_k = 1_S: completeness of the eigenbasis, rounding only (1e-12)
    assert abs(r.system_weights.sum() - n) < 1e-12
    assert_allclose(r.spectral_weight_matrix, np.eye(n), atol=1e-12)
    # Eq. (14): U_S = <H_S> + <H_SR>/2 is an algebraic identity on the finite chain (1e-10: rounding)
    assert abs(r.system.U - r.expectation_H_S - 0.5 * r.expectation_H_SR) < 1e-10
    assert abs(r.alpha_energy(0.5) - r.system.U) < 1e-10
    assert abs(r.alpha_entropy(0.5) - r.system.S) < 1e-14  # Eq. (24) at alpha = 1/2
    # Omega = U - T S - mu N state by state, so in every region (rounding, 1e-11)
    for region in (r.system, r.reservoir, r.universe):
        assert abs(region.Omega - (region.U - r.bath.T * region.S - mu * region.N)) < 1e-11
    # N_S = Tr C_SS; C is Hermitian with eigenvalues in [0, 1] (rounding, 1e-12)
    C = r.correlation_matrix
    assert abs(np.trace(C).real - r.system.N) < 1e-12
    assert_allclose(C, C.conj().T, atol=1e-14)
    ev = np.linalg.eigvalsh(C)
    assert ev.min() > -1e-12 and ev.max() < 1 + 1e-12
    assert -1e-12 <= r.system.S <= n * math.log(2) + 1e-12  # 0 <= S_S <= n ln 2
    # delta N_R + N_S = N_universe - N_R0: particles are counted once (rounding, 1e-11)
    e0 = np.concatenate([finite_chain._isolated_chain_levels(c, r.L) for c in model.reservoirs])
    N_total = r.bath.fermi(r.energies).sum() - r.bath.fermi(e0).sum()
    assert abs(r.universe.N - N_total) < 1e-11


@pytest.mark.parametrize(("model", "params"), SMALL_CASES)
def test_entropy_coefficient_equals_brute_force_double_sum(model, params):
    # the trace formula -Tr[C L_f] - Tr[(1 - C) L_1mf] vs the explicit double sum over k, k' of
    # |<k|Pi_S|k'>|^2 [-f_k ln f_k' - (1 - f_k) ln(1 - f_k')] (small L, rounding: 1e-11)
    bath = st.Bath(0.3, 0.1)
    L = 25
    r = finite_chain.equilibrium(model, bath, L, **params)
    h = finite_chain.universe_hamiltonian(model, L, model.resolve(**params))
    e, U = np.linalg.eigh(h)
    P = U[: model.n_levels].conj().T @ U[: model.n_levels]  # <k|Pi_S|k'>
    K = np.abs(P) ** 2
    f, lf, l1f = bath.fermi(e), bath.log_fermi(e), bath.log_one_minus_fermi(e)
    brute = np.einsum("ab,a,b->", K, -f, lf) + np.einsum("ab,a,b->", K, -(1 - f), l1f)
    assert abs(r.entropy_coefficient - brute) < 1e-11
    for a in (0.0, 0.3, 1.0):
        assert abs(r.alpha_entropy(a) - (2 * a * r.system.S + (1 - 2 * a) * brute)) < 1e-11


@pytest.mark.parametrize(("model", "params"), SMALL_CASES)
def test_power_is_derivative_of_total_grand_potential(model, params):
    # Hellmann-Feynman: sum_k f_k <k|dh|k> = d Omega_universe / d lambda; the isolated-chain part
    # does not depend on lambda, so d(Omega_S + delta Omega_R)/d lambda. Five-point difference with
    # h = 1e-3: truncation ~h^4 ~ 1e-12, rounding ~1e-13 / h; tolerance 1e-8
    bath = st.Bath(0.1, 0.05)
    L = 80
    p0 = model.resolve(**params)
    for name in model.parameter_names:
        h = 1e-3

        def omega(x, name=name):
            p = dict(p0)
            p[name] = x
            return finite_chain.equilibrium(model, bath, L, **p).universe.Omega

        x = p0[name]
        fd = (-omega(x + 2 * h) + 8 * omega(x + h) - 8 * omega(x - h) + omega(x - 2 * h)) / (12 * h)
        part_S, part_SR = finite_chain.equilibrium(model, bath, L, **p0).power(name)
        assert abs(part_S + part_SR - fd) < 1e-8, name


def test_power_parts_for_the_resonant_level():
    # level driving: <dH_S/d eps_s> = N_S, no coupling part; coupling driving: <dH_SR/dV> = <H_SR>/V
    # (H_SR is linear in V); both are identities of C (1e-13, rounding)
    r = finite_chain.equilibrium(RLM, st.Bath(0.1), 100, eps_s=0.4, V=0.9)
    assert_allclose(r.power("eps_s"), (r.system.N, 0.0), atol=1e-13)
    assert_allclose(r.power("V"), (0.0, r.expectation_H_SR / 0.9), atol=1e-13)
    with pytest.raises(ValueError, match="no parameter"):
        r.power("t0")


def test_hamiltonian_layout():
    # system first, then each chain with its surface site first; isolated chain levels are exact
    p = TWO.resolve(eps_1=0.1, eps_2=0.2, t_c=0.3, V_L=0.4, V_R=0.5)
    h = finite_chain.universe_hamiltonian(TWO, 5, p)
    assert h.shape == (12, 12)
    assert_allclose(h, h.conj().T, atol=0)
    assert h[2, 0] == 0.4 and h[7, 1] == 0.5 and h[2, 1] == 0 and h[2, 3] == T0
    chain = h[2:7, 2:7].real
    assert_allclose(
        np.sort(np.linalg.eigvalsh(chain)),
        np.sort(finite_chain._isolated_chain_levels(TWO.reservoirs[0], 5)),
        atol=1e-14,  # closed form of the open chain spectrum, rounding only
    )


# --------------------------------------------------------------------- convergence to quad
CONVERGENCE_CASES = [
    pytest.param(0.3, 1.0, id="no-bound-state"),
    pytest.param(1.0, 0.6, id="fig3-corner"),
    pytest.param(-2.0, 1.5, id="bound-below"),
    pytest.param(2.2, 1.5, id="bound-above"),
]


@pytest.mark.parametrize(("eps_s", "V"), CONVERGENCE_CASES)
def test_converges_to_quad_reference(eps_s, V):
    # At T = 0.02 the level spacing ~2 pi t0 / L must fall well below T: errors fall exponentially
    # in L (observed ~1e-2, 1e-4, 1e-8, 1e-13 at L = 100, 200, 400, 800). Checked: errors shrink
    # monotonically until rounding (1e-12 floor) and the L = 800 result meets 1e-10.
    assert (eps_s - V**2 / T0 < -2 * T0) == (eps_s == -2.0)  # the bound-below case really has one
    T = 0.02
    ref = resonant_level_reference(eps_s, V, T)
    errors = []
    for L in (100, 200, 400, 800):
        r = finite_chain.equilibrium(RLM, st.Bath(T), L, eps_s=eps_s, V=V)
        err = max(
            *(abs(getattr(r.system, k) - ref.system[k]) for k in KEYS),
            *(abs(getattr(r.reservoir, k) - ref.reservoir[k]) for k in KEYS),
            abs(r.entropy_coefficient - ref.entropy_coefficient),
            abs(r.expectation_H_SR - ref.expectation_H_SR),
        )
        errors.append(err)
    for coarse, fine in zip(errors[:-1], errors[1:], strict=True):
        assert fine < coarse or fine < 1e-12  # shrinking until the rounding floor
    assert errors[-1] < 1e-10  # the 1e-10 target of the references


@pytest.mark.parametrize(
    "params",
    [
        pytest.param(
            {"eps_1": -0.5, "eps_2": 0.8, "t_c": 0.4, "V_L": 1.1, "V_R": 0.7}, id="no-bound"
        ),
        pytest.param(
            {"eps_1": 2.0, "eps_2": -2.0, "t_c": 1.0, "V_L": 1.5, "V_R": 1.5}, id="bound-both"
        ),
    ],
)
def test_two_level_converges_to_quad_reference(params):
    # two chains, T = 0.05 (for speed): errors shrink with L until rounding (1e-12), < 1e-10 at 320
    T = 0.05
    ref = two_level_reference(**params, T=T, mu=0.1)
    errors = []
    for L in (40, 80, 160, 320):
        r = finite_chain.equilibrium(TWO, st.Bath(T, 0.1), L, **params)
        err = max(
            *(abs(getattr(r.system, k) - ref.system[k]) for k in KEYS),
            *(abs(getattr(r.reservoir, k) - ref.reservoir[k]) for k in KEYS),
            abs(r.entropy_coefficient - ref.entropy_coefficient),
            abs(r.correlation_matrix - ref.correlation_matrix).max(),
        )
        errors.append(err)
    for coarse, fine in zip(errors[:-1], errors[1:], strict=True):
        assert fine < coarse or fine < 1e-12
    assert errors[-1] < 1e-10


@pytest.mark.parametrize(("eps_s", "V"), [(-2.0, 1.5), (2.2, 1.5), (0.0, 2.5)])
def test_bound_states_converge_exponentially(eps_s, V):
    # a bound state decays as e^{-kappa j} into the chain: at L = 60 its energy and system weight
    # agree with brentq on the semi-infinite problem to rounding (1e-12)
    ref = resonant_level_reference(eps_s, V, 0.1)
    r = finite_chain.equilibrium(RLM, st.Bath(0.1), 60, eps_s=eps_s, V=V)
    found = r.states_outside_band()
    assert len(found) == len(ref.bound_states)
    for (e, w), b in zip(found, ref.bound_states, strict=True):
        assert abs(e - b.energy) < 1e-12 and abs(w - b.system_weight) < 1e-12


def test_averaging_over_lengths_damps_the_finite_size_error():
    # averaging L and L + 1 cancels the even/odd oscillation: at T = 0.02, L = 200 the error drops
    # by more than 10x (observed ~40x)
    ref = resonant_level_reference(1.0, 0.6, 0.02)
    one = finite_chain.equilibrium(RLM, st.Bath(0.02), 200, eps_s=1.0, V=0.6)
    two = finite_chain.equilibrium(RLM, st.Bath(0.02), 200, n_average=2, eps_s=1.0, V=0.6)
    e1 = abs(one.reservoir.Omega - ref.reservoir["Omega"])
    e2 = abs(two.reservoir.Omega - ref.reservoir["Omega"])
    assert e2 < e1 / 10
    assert two.n_average == 2 and "n_average=2" in repr(two)


# --------------------------------------------------------------------- bad input
def test_bad_input():
    bath = st.Bath(0.1)
    wide = OpenSystem(
        name="wide",
        n_levels=1,
        reservoirs=(TightBindingChain(1.0), WideBand(10.0)),
        system_hamiltonian=lambda p: np.array([[0.0]]),
        couplings=lambda p: (np.array([[1.0]]), np.array([[1.0]])),
        parameter_domain={"x": (-1.0, 1.0)},
        defaults={"x": 0.0},
    )
    with pytest.raises(ValueError, match=r"reservoirs\[1\] is WideBand"):
        finite_chain.equilibrium(wide, bath, 10)
    for L in (0, -3, 2.5, True, "10", None):
        with pytest.raises(ValueError, match="L must be an integer"):
            finite_chain.equilibrium(RLM, bath, L, eps_s=0.0, V=1.0)
    assert finite_chain.equilibrium(RLM, bath, 10.0, eps_s=0.0, V=1.0).L == 10  # integral float ok
    with pytest.raises(ValueError, match="n_average"):
        finite_chain.equilibrium(RLM, bath, 10, n_average=0, eps_s=0.0, V=1.0)
    with pytest.raises(ValueError, match="bath"):
        finite_chain.equilibrium(RLM, 0.1, 10, eps_s=0.0, V=1.0)
    with pytest.raises(ValueError, match="model"):
        finite_chain.equilibrium("rlm", bath, 10)
    with pytest.raises(ValueError, match="no parameter"):
        finite_chain.equilibrium(RLM, bath, 10, eps_s=0.0, V=1.0, W=2.0)
    r = finite_chain.equilibrium(RLM, bath, 10, eps_s=0.0, V=1.0)
    for a in (-0.1, 1.5, "x"):
        with pytest.raises(ValueError, match="alpha"):
            r.alpha_entropy(a)
    with pytest.raises(ValueError, match="alpha"):
        r.alpha_energy(2.0)
