"""The steady state between reservoirs at different (T, mu): each number by a second road.

Roads: the digamma closed forms of a wide-band level (themselves checked against direct
quadrature), a direct scipy quadrature of QuTiP's HEOM-tutorial current formula, the equilibrium
engine (pole sums) at equal baths, finite differences of the nonlinear steady state for the linear
response, and the independence of the answer from the reference bath the correction is taken from.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hs
from scipy.integrate import quad

import strongtherm as st
from strongtherm.core.warnings import BoundStateWarning
from strongtherm.negf import transport
from strongtherm.papers.transport import wide_band_level_currents


def level_between(reservoirs, *, name="level"):
    """One level coupled to each reservoir by its own V_k (parameters eps, V0, V1, ...)."""
    R = len(reservoirs)
    slopes = {f"V{k}": tuple(np.ones((1, 1)) if j == k else np.zeros((1, 1)) for j in range(R)) for k in range(R)}
    return st.models.affine_open_system(
        name=name, reservoirs=tuple(reservoirs), h_S=np.zeros((1, 1)), couplings=tuple(np.zeros((1, 1)) for _ in range(R)),
        h_S_slopes={"eps": np.ones((1, 1))}, coupling_slopes=slopes,
        parameter_domain={"eps": (-50, 50), **{f"V{k}": (0, 1e4) for k in range(R)}},
        defaults={"eps": 0.0, **{f"V{k}": 0.5 for k in range(R)}},
    )


def fermi(e, T, mu):
    return 0.5 * (1.0 - np.tanh(0.5 * (e - mu) / T))


# ----------------------------------------------------------------------------- closed forms
@pytest.mark.parametrize("eps, TL, TR, muL, muR", [(0.3, 0.1, 0.03, 0.2, -0.4), (-0.7, 0.02, 0.5, -0.5, 0.1), (0.0, 0.05, 0.05, 0.3, -0.3)])
def test_wide_band_closed_forms_against_direct_quadrature(eps, TL, TR, muL, muR):
    # the closed forms are themselves a derivation: check them against scipy's quad of the defining
    # integrals (tolerance 1e-12: quad's own error estimate is below 1e-14 on these smooth integrands)
    gL, gR = 0.05, 0.08
    gamma = gL + gR
    T = lambda e: gL * gR / ((e - eps) ** 2 + 0.25 * gamma**2)  # noqa: E731
    window = lambda e: fermi(e, TL, muL) - fermi(e, TR, muR)  # noqa: E731
    pts = sorted([eps, muL, muR])
    I_num = quad(lambda e: T(e) * window(e), -60, 60, points=pts, limit=800, epsabs=1e-15)[0] / (2 * math.pi)
    JE_num = quad(lambda e: e * T(e) * window(e), -60, 60, points=pts, limit=800, epsabs=1e-15)[0] / (2 * math.pi)
    n_num = quad(lambda e: (gL * fermi(e, TL, muL) + gR * fermi(e, TR, muR)) / ((e - eps) ** 2 + 0.25 * gamma**2),
                 -np.inf, np.inf, points=None, limit=800, epsabs=1e-15)[0] / (2 * math.pi)
    cf = wide_band_level_currents(eps, gL, gR, st.Bath(T=TL, mu=muL), st.Bath(T=TR, mu=muR))
    assert cf["I"] == pytest.approx(I_num, abs=1e-12)
    assert cf["J_E"] == pytest.approx(JE_num, abs=1e-12)
    assert cf["n"] == pytest.approx(n_num, abs=1e-10)  # an infinite interval: quad's error ~1e-11


@pytest.mark.parametrize("eps, TL, TR, muL, muR", [(0.3, 0.1, 0.03, 0.2, -0.4), (-0.7, 0.02, 0.5, -0.5, 0.1)])
def test_engine_agrees_with_the_wide_band_closed_forms(eps, TL, TR, muL, muR):
    # flat bands of half-width D = 1e8: the Lamb shift (Gamma/pi)(e/D) ~ 1e-10 Gamma and the curvature
    # of Gamma(e) ~ (e/D)^2 are the only differences from the closed forms, so 1e-8 relative
    band = st.negf.WideBand(D=1e8)
    model = level_between([band, band])
    gL, gR = 0.05, 0.08
    baths = [st.Bath(T=TL, mu=muL), st.Bath(T=TR, mu=muR)]
    ss = transport.steady_state(model, baths, state=False, eps=eps, V0=band.coupling_for_gamma(gL),
                                V1=band.coupling_for_gamma(gR))
    cf = wide_band_level_currents(eps, gL, gR, *baths)
    # plus 1e-11 absolute: the quadrature's tolerance
    assert ss.particle_current[0] == pytest.approx(cf["I"], rel=1e-8, abs=1e-11)
    assert ss.energy_current[0] == pytest.approx(cf["J_E"], rel=1e-8, abs=1e-11)
    assert ss.heat_current[0] == pytest.approx(cf["J_Q"], rel=1e-8, abs=1e-11)
    # the occupation needs the equilibrium reference, whose pole road wants a bounded spectrum:
    # D = 1e5 there, so the Lamb shift ~ 1e-7 sets the tolerance
    band = st.negf.WideBand(D=1e5)
    model = level_between([band, band])
    ss = transport.steady_state(model, baths, eps=eps, V0=band.coupling_for_gamma(gL), V1=band.coupling_for_gamma(gR))
    assert ss.N_S == pytest.approx(cf["n"], abs=1e-6)


@pytest.mark.parametrize("theta", [1.0, 2.0, 4.0])
def test_peer_check_qutip_heom_tutorial_current(theta):
    # QuTiP's HEOM tutorial (single impurity between Lorentzian leads centred at mu_a): level 1,
    # gamma = 0.01, W = 1, T = 0.025851991, mu = +-theta/2; its analytic current keeps the leads' Lamb
    # shift Lambda_a(w) = gamma W (w - mu_a) / (2 ((w - mu_a)^2 + W^2)). Our LorentzianBand(W, e0=mu_a)
    # with V^2 = gamma W / 2 is the same lead; the formula is integrated here by scipy quad
    # (tolerance 1e-10 relative: both integrals are held to ~1e-12 absolute on currents ~1e-3)
    gamma, W, T, eps = 0.01, 1.0, 0.025851991, 1.0
    muL, muR = theta / 2, -theta / 2

    def width(w, mu):
        return gamma * W**2 / ((w - mu) ** 2 + W**2)

    def shift(w, mu):
        return 0.5 * gamma * W * (w - mu) / ((w - mu) ** 2 + W**2)

    def integrand(w):
        GL, GR = width(w, muL), width(w, muR)
        denominator = (w - eps - shift(w, muL) - shift(w, muR)) ** 2 + ((GL + GR) / 2) ** 2
        return GL * GR / denominator * (fermi(w, T, muL) - fermi(w, T, muR)) / (2 * math.pi)

    reference = quad(integrand, -10, 10, points=[muL, muR, eps], limit=1000, epsabs=1e-15, epsrel=1e-13)[0]
    model = level_between([st.negf.LorentzianBand(W=W, e0=muL), st.negf.LorentzianBand(W=W, e0=muR)])
    V = math.sqrt(gamma * W / 2)
    ss = transport.steady_state(model, [st.Bath(T=T, mu=muL), st.Bath(T=T, mu=muR)], eps=eps, V0=V, V1=V)
    assert ss.particle_current[0] == pytest.approx(reference, rel=1e-10)


# ----------------------------------------------------------------------------- equilibrium and references
def two_chain_level():
    chain = st.negf.TightBindingChain(t0=1.25)
    return level_between([chain, st.negf.TightBindingChain(t0=1.0)])


def test_equal_baths_give_the_equilibrium_state_and_no_current():
    # at equal baths the steady state is the equilibrium: the engine's pole sums are the other road
    # (1e-10: both integrals are held to 1e-11)
    model = two_chain_level()
    bath = st.Bath(T=0.05, mu=0.1)
    ss = transport.steady_state(model, [bath, bath], eps=0.2, V0=0.5, V1=0.7)
    eq = st.negf.equilibrium(model, bath, eps=0.2, V0=0.5, V1=0.7)
    assert np.all(ss.particle_current == 0.0) and np.all(ss.energy_current == 0.0)
    assert ss.N_S == pytest.approx(eq.system.N, abs=1e-10)
    assert ss.U_S == pytest.approx(eq.system.U, abs=1e-10)
    assert ss.entropy_production == 0.0


@pytest.mark.parametrize("n_levels", [1, 2])
def test_the_reference_bath_does_not_change_the_state_without_bound_states(n_levels):
    # C and <H_SR> are the reference equilibrium plus a Fermi-window correction: two references are
    # two different sums (different pole sums, different windows) that must give one state (1e-10)
    if n_levels == 1:
        model, params = two_chain_level(), {"eps": 0.2, "V0": 0.5, "V1": 0.7}
    else:
        model = st.models.matrix_open_system(
            [[0.1, 0.3], [0.3, -0.2]], [[[0.6, 0.0]], [[0.0, 0.5]]], reservoirs=[{"t0": 1.25}, {"t0": 1.25}])
        params = {}
    baths = [st.Bath(T=0.08, mu=0.4), st.Bath(T=0.02, mu=-0.3)]
    a = transport.steady_state(model, baths, bound_state_reference=0, **params)
    b = transport.steady_state(model, baths, bound_state_reference=1, **params)
    assert np.max(np.abs(a.correlation_matrix - b.correlation_matrix)) < 1e-10
    assert a.expectation_H_SR == pytest.approx(b.expectation_H_SR, abs=1e-10)
    # the currents' integrands are the same, but the adaptive panels follow every component
    assert np.max(np.abs(a.particle_current - b.particle_current)) < 1e-12


def test_linear_response_against_finite_differences_and_onsager_reciprocity():
    # G, L12 and L22 against central differences of the nonlinear steady state (step 1e-5: the
    # truncation error ~ step^2 x third derivative ~ 1e-10 of values ~1e-1..1e-5); L12 = L21 is
    # checked by two different nonlinear roads, I under a temperature bias and J_Q under a voltage
    model = two_chain_level()
    params = {"eps": 0.3, "V0": 0.5, "V1": 0.7}
    T, mu, d = 0.05, 0.1, 1e-5
    lr = transport.linear_response(model, st.Bath(T=T, mu=mu), **params)
    by_mu = transport.steady_state(model, [st.Bath(T=T, mu=mu + d / 2), st.Bath(T=T, mu=mu - d / 2)], **params)
    by_T = transport.steady_state(model, [st.Bath(T=T + d / 2, mu=mu), st.Bath(T=T - d / 2, mu=mu)], **params)
    assert by_mu.particle_current[0] / d == pytest.approx(lr.conductance, rel=1e-7)
    L12_from_I = by_T.particle_current[0] / (d / T**2)
    # heat measured from the common mu: J_Q^0 = J_E^0 - mu_0 I_0 carries -(d/2) I = O(d^2), a 1e-3
    # relative error here; (J_Q^0 - J_Q^1) / 2 = J_E^0 - mu I_0 has none
    L21_from_JQ = (by_mu.energy_current[0] - mu * by_mu.particle_current[0]) / (d / T)
    assert L12_from_I == pytest.approx(lr.onsager[0, 1], rel=1e-6)
    assert L21_from_JQ == pytest.approx(lr.onsager[1, 0], rel=1e-6)
    assert L12_from_I == pytest.approx(L21_from_JQ, rel=1e-6)
    assert by_T.heat_current[0] / (d / T**2) == pytest.approx(lr.onsager[1, 1], rel=1e-6)
    assert lr.thermal_conductance > 0 and lr.figure_of_merit > 0
    # a level above mu: particles flow from hot to cold, so S > 0 in our sign (see LinearResponse)
    assert lr.seebeck > 0


# ----------------------------------------------------------------------------- laws on random models
RESERVOIR_KINDS = [
    lambda r: st.negf.TightBindingChain(t0=r.uniform(0.8, 1.6), e0=r.uniform(-0.3, 0.3)),
    lambda r: st.negf.LorentzianBand(W=r.uniform(0.5, 3.0), e0=r.uniform(-1, 1)),
    lambda r: st.negf.WideBand(D=r.uniform(3.0, 8.0)),
]


def random_open_system(seed):
    """1-2 levels between 2-3 reservoirs of mixed kinds, with random baths."""
    r = np.random.default_rng(seed)
    n, R = int(r.integers(1, 3)), int(r.integers(2, 4))
    h = r.normal(size=(n, n)) * 0.5
    h = 0.5 * (h + h.T)
    couplings = tuple(r.normal(size=(1, n)) * 0.6 for _ in range(R))
    reservoirs = tuple(RESERVOIR_KINDS[int(r.integers(0, 3))](r) for _ in range(R))
    model = st.negf.OpenSystem("random", n, reservoirs, lambda p: h, lambda p: tuple(p["g"] * c for c in couplings),
                               {"g": (0.0, 2.0)}, {"g": 1.0})
    baths = [st.Bath(T=float(r.uniform(0.02, 0.3)), mu=float(r.uniform(-0.8, 0.8))) for _ in range(R)]
    return model, baths


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=hs.integers(0, 2**32 - 1))
def test_second_law_and_conservation_on_random_models(seed):
    # sigma >= 0 and sum I = sum J_E = 0 within 10x the reported errors (the currents need nothing
    # but G_S and the widths), T_ab >= 0, and T_ab = T_ba summed: sum_b T_ab = sum_b T_ba
    model, baths = random_open_system(seed)
    currents = transport.steady_state(model, baths, state=False)
    tol = 10 * max(currents.errors["particle_current"], currents.errors["energy_current"]) + 1e-13
    assert abs(currents.conservation_residuals["sum I"]) < tol
    assert abs(currents.conservation_residuals["sum J_E"]) < tol
    assert currents.entropy_production > -tol * sum(1 / b.T for b in baths)
    T = transport.transmission(model, np.linspace(-1, 1, 7))
    assert T.min() > -1e-12
    assert np.allclose(T.sum(axis=-1), T.sum(axis=-2), rtol=1e-10, atol=1e-14)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=hs.integers(0, 2**32 - 1))
def test_steady_correlation_matrix_is_a_state_on_random_models(seed):
    # 0 <= C <= 1 (a fermionic state), every kind of lead: a Lorentzian beside a chain once sent the
    # equilibrium reference to a real-axis road that failed at the chain's band edges (issue 21)
    model, baths = random_open_system(seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BoundStateWarning)
        ss = transport.steady_state(model, baths)
    occupations = np.linalg.eigvalsh(ss.correlation_matrix)
    assert occupations.min() > -1e-9 and occupations.max() < 1 + 1e-9


# ----------------------------------------------------------------------------- bound states
def test_bound_state_occupation_is_a_stated_choice():
    # a level strongly coupled below the chain's band has a bound state; hot baths disagree on its
    # occupation, so the engine warns, and the currents do not depend on the choice
    model = two_chain_level()
    params = {"eps": -2.0, "V0": 1.5, "V1": 1.2}
    assert st.negf.bound_states(model, params)
    baths = [st.Bath(T=1.0, mu=0.5), st.Bath(T=0.5, mu=-0.5)]
    with pytest.warns(BoundStateWarning, match="not fixed by the leads"):
        a = transport.steady_state(model, baths, bound_state_reference=0, **params)
    with pytest.warns(BoundStateWarning):
        b = transport.steady_state(model, baths, bound_state_reference=1, **params)
    assert np.max(np.abs(a.particle_current - b.particle_current)) < 1e-12
    assert a.N_S != pytest.approx(b.N_S, abs=1e-6)  # the choice is visible in the occupation


# ----------------------------------------------------------------------------- bad input
def test_bad_baths_are_named():
    model = two_chain_level()
    with pytest.raises(TypeError, match="one Bath per reservoir"):
        transport.steady_state(model, st.Bath(T=0.1))
    with pytest.raises(ValueError, match="has 2, got 3"):
        transport.steady_state(model, [st.Bath(T=0.1)] * 3)
    with pytest.raises(ValueError, match=r"reservoir\(s\) \[5\]"):
        transport.steady_state(model, {0: st.Bath(T=0.1), 5: st.Bath(T=0.1)})
    with pytest.raises(ValueError, match="no Bath for reservoir 1"):
        transport.steady_state(model, {0: st.Bath(T=0.1)})
    with pytest.raises(TypeError, match=r"baths\[1\]"):
        transport.steady_state(model, [st.Bath(T=0.1), (0.1, 0.0)])
    with pytest.raises(ValueError, match="T must be"):
        transport.steady_state(model, [st.Bath(T=0.1), st.Bath(T=-0.1)])
    with pytest.raises(ValueError, match="outside every band"):
        transport.steady_state(model, [st.Bath(T=0.01, mu=20.0), st.Bath(T=0.01, mu=10.0)])
    with pytest.raises(ValueError, match="exactly two reservoirs"):
        transport.linear_response(level_between([st.negf.TightBindingChain(t0=1.0)] * 3), st.Bath(T=0.1))


# ----------------------------------------------------------------------------- probe
def probed_level(gamma_L=0.03, gamma_R=0.06, gamma_p=1e-6):
    band = st.negf.WideBand(D=1e4)
    model = level_between([band, band, band])
    params = {"V0": band.coupling_for_gamma(gamma_L), "V1": band.coupling_for_gamma(gamma_R), "V2": band.coupling_for_gamma(gamma_p)}
    return model, params


def test_probe_reads_the_common_bath_in_equilibrium():
    model, params = probed_level()
    bath = st.Bath(T=0.07, mu=0.15)
    reading = st.negf.probe(model, [bath, bath, st.Bath(T=0.2, mu=-0.1)], 2, eps=0.1, **params)
    assert reading.bath.T == pytest.approx(0.07, rel=1e-9)
    assert reading.bath.mu == pytest.approx(0.15, abs=1e-9)


def test_probe_in_linear_response_reads_the_width_weighted_chemical_potential():
    # a level between wide-band leads has the local distribution (Gamma_L f_L + Gamma_R f_R)/Gamma
    # (exact); for a small bias d it is f at mu = (Gamma_L mu_L + Gamma_R mu_R)/Gamma and T, up to
    # O(d^2) ~ 1e-8 here: the second road for (T_p, mu_p)
    model, params = probed_level()
    T, d = 0.05, 1e-4
    baths = [st.Bath(T=T, mu=d / 2), st.Bath(T=T, mu=-d / 2), st.Bath(T=T, mu=0.0)]
    reading = st.negf.probe(model, baths, 2, eps=0.08, **params)
    expected_mu = (0.03 * d / 2 - 0.06 * d / 2) / 0.09
    assert reading.bath.mu == pytest.approx(expected_mu, abs=1e-8)
    assert reading.bath.T == pytest.approx(T, abs=1e-7)
    assert max(map(abs, reading.residuals)) < 1e-13


def test_probe_symmetric_bias_reads_mu_zero_and_a_hotter_level():
    # particle-hole symmetric level (eps = 0) under symmetric bias: mu_p = 0 by symmetry, and the
    # nonequilibrium distribution (two Fermi steps) reads hotter than the leads
    model, params = probed_level(0.05, 0.05, 1e-5)
    baths = [st.Bath(T=0.05, mu=0.2), st.Bath(T=0.05, mu=-0.2), st.Bath(T=0.05, mu=0.05)]
    reading = st.negf.probe(model, baths, 2, eps=0.0, **params)
    assert abs(reading.bath.mu) < 1e-9
    assert reading.bath.T > 0.05


def test_probe_bad_input():
    model, params = probed_level()
    bath = st.Bath(T=0.1)
    with pytest.raises(ValueError, match="probe_reservoir"):
        st.negf.probe(model, [bath] * 3, 3, eps=0.0, **params)
    with pytest.raises(ValueError, match="max_evaluations"):
        st.negf.probe(model, [bath] * 3, 2, max_evaluations=1, eps=0.0, **params)


# ----------------------------------------------------------------------------- sweeps
def test_bias_gate_sweep_equals_direct_steady_states():
    pytest.importorskip("xarray")
    model = two_chain_level()
    baths = [st.Bath(T=0.05, mu=0.1), st.Bath(T=0.03, mu=0.1)]
    compute = st.sweeps.negf_steady_state(model, baths, V0=0.5, V1=0.7)
    ds = st.sweep(compute, {"eps": [-0.2, 0.3], "bias": [0.0, 0.4]}, processes=1, progress=False)
    direct = transport.steady_state(model, [st.Bath(T=0.05, mu=0.3), st.Bath(T=0.03, mu=-0.1)], eps=0.3, V0=0.5, V1=0.7,
                                    state=False)
    # the grid's mu_0 = 0.1 + 0.4/2 may differ from 0.3 in the last bit
    assert float(ds["I_0"].sel(eps=0.3, bias=0.4)) == pytest.approx(direct.particle_current[0], rel=1e-12)
    assert float(ds["J_Q_1"].sel(eps=0.3, bias=0.4)) == pytest.approx(direct.heat_current[1], rel=1e-12)
    assert ds["I_0"].attrs["units"] == "1/time"
    with pytest.raises(ValueError, match="no parameter"):
        st.sweeps.negf_steady_state(model, baths, W=1.0)
    with pytest.raises(ValueError, match="has 2, got 1"):
        st.sweeps.negf_steady_state(model, baths[:1])
    with pytest.raises(ValueError, match="T_7"):
        st.sweep(compute, {"T_7": [0.1]}, processes=1, progress=False)


def test_one_level_road_equals_the_matrix_road(monkeypatch):
    # one level in numbers (the fast road) against the same model through the matrix road, with
    # mixed reservoir kinds, the state included (1e-12: both integrate the same functions to 1e-11
    # tolerance on the same panels, so they differ by rounding and refinement only)
    reservoirs = [st.negf.TightBindingChain(t0=1.2), st.negf.LorentzianBand(W=2.0, e0=0.3), st.negf.WideBand(D=6.0)]
    model = level_between(reservoirs)
    params = {"eps": 0.15, "V0": 0.5, "V1": 0.4, "V2": 0.3}
    baths = [st.Bath(T=0.07, mu=0.2), st.Bath(T=0.03, mu=-0.1), st.Bath(T=0.1, mu=0.05)]
    fast = transport.steady_state(model, baths, state=False, **params)
    monkeypatch.setattr(transport, "one_level_couplings", lambda point: None)
    matrix = transport.steady_state(model, baths, state=False, **params)
    assert np.max(np.abs(fast.particle_current - matrix.particle_current)) < 1e-12
    assert np.max(np.abs(fast.energy_current - matrix.energy_current)) < 1e-12
    # the state's corrections too (chain and flat band: the equilibrium reference's pole road)
    model = level_between([st.negf.TightBindingChain(t0=1.2), st.negf.WideBand(D=6.0)])
    params = {"eps": 0.15, "V0": 0.5, "V1": 0.3}
    matrix = transport.steady_state(model, baths[:2], **params)
    monkeypatch.undo()
    fast = transport.steady_state(model, baths[:2], **params)
    assert abs(fast.N_S - matrix.N_S) < 1e-12 and abs(fast.expectation_H_SR - matrix.expectation_H_SR) < 1e-12


def test_many_steady_states_in_one_sweep_equal_single_calls():
    # the vectorized road (negf.one_level_window) lays every point's own panels side by side and
    # evaluates the same integrand: it must give the single road's numbers to rounding (2e-15:
    # only the order of the panel sums differs), on points that need its fallback as well (a
    # window across a band edge, equal baths, T = 1e-3) and with mixed reservoir kinds
    rng = np.random.default_rng(7)
    for reservoirs in ([st.negf.TightBindingChain(t0=1.25)] * 2, [st.negf.TightBindingChain(t0=1.0), st.negf.LorentzianBand(W=1.0, e0=0.3)]):
        model = level_between(reservoirs)
        bath_sets, params = [], []
        for _ in range(60):
            T = 10 ** rng.uniform(-3, -0.5)
            bias = rng.choice([0.0, rng.uniform(-3, 3)])
            bath_sets.append([st.Bath(T=T, mu=bias / 2), st.Bath(T=T * rng.uniform(0.5, 2), mu=-bias / 2)])
            params.append({"eps": float(rng.uniform(-2, 2)), "V0": float(rng.uniform(0.05, 1.5)), "V1": 0.6})
        many = transport.steady_states(model, bath_sets, params)
        for baths, p, ss in zip(bath_sets, params, many, strict=True):
            single = transport.steady_state(model, baths, p, state=False)
            assert np.max(np.abs(ss.particle_current - single.particle_current)) <= 2e-15
            assert np.max(np.abs(ss.energy_current - single.energy_current)) <= 2e-15
            assert ss.to_dict().keys() == single.to_dict().keys()
        # the rows a map stores: the same floats as each state's to_dict (bit for bit: the same
        # operations, taken in plain floats on the sweep's arrays)
        rows = transport.steady_state_rows(model, bath_sets, params)
        assert rows == [ss.to_dict() for ss in many] or all(
            all(a == b or (math.isnan(a) and math.isnan(b)) for a, b in zip(r.values(), ss.to_dict().values(), strict=True))
            for r, ss in zip(rows, many, strict=True))
    # the state goes through the single road point by point
    states = transport.steady_states(model, bath_sets[:2], params[:2], state=True)
    assert transport.steady_state_rows(model, bath_sets[:2], params[:2], state=True)[1] == states[1].to_dict()
    assert states[1].N_S == transport.steady_state(model, bath_sets[1], params[1]).N_S
    with pytest.raises(ValueError, match="one entry per point"):
        transport.steady_states(model, bath_sets[:2], params[:1])
    with pytest.raises(ValueError, match="has 2, got 1"):
        transport.steady_states(model, [bath_sets[0][:1]], params[:1])


def test_to_dict_equals_the_properties():
    # to_dict computes in plain floats for speed: the same operations as the properties, so equal bits
    model = level_between([st.negf.TightBindingChain(t0=1.0), st.negf.WideBand(D=4.0)])
    for baths in ([st.Bath(T=0.05, mu=0.3), st.Bath(T=0.2, mu=-0.1)], [st.Bath(T=0.2, mu=0.0), st.Bath(T=0.02, mu=0.05)]):
        ss = transport.steady_state(model, baths, eps=0.4, V0=0.5, V1=0.6)
        d = ss.to_dict()
        for k in range(2):
            assert (d[f"I_{k}"], d[f"J_Q_{k}"]) == (ss.particle_current[k], ss.heat_current[k])
        assert d["power"] == ss.power and d["entropy_production_rate"] == ss.entropy_production
        assert d["efficiency"] == ss.efficiency or (math.isnan(d["efficiency"]) and math.isnan(ss.efficiency))


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=hs.integers(0, 2**32 - 1))
def test_onsager_reciprocity_from_the_nonlinear_steady_state_on_random_models(seed):
    # L12 (particle current under a temperature difference) = L21 (heat current under a voltage),
    # each read off the nonlinear steady state by a central difference (step 1e-5: truncation
    # ~ step^2 x third derivative, relative 1e-6 is generous), for random 1-2 level models between
    # two chain or flat-band leads
    base, _ = random_open_system(seed)
    r = np.random.default_rng(seed)
    kinds = [st.negf.TightBindingChain(t0=1.1), st.negf.WideBand(D=5.0)]
    couplings = base.couplings({"g": 1.0})
    V = (couplings[0], couplings[1 % len(couplings)])
    model = st.negf.OpenSystem("random two-terminal", base.n_levels, (kinds[seed % 2], kinds[(seed // 2) % 2]),
                               base.system_hamiltonian, lambda p: V, {})
    T, mu, d = float(r.uniform(0.03, 0.2)), float(r.uniform(-0.4, 0.4)), 1e-5
    by_T = transport.steady_state(model, [st.Bath(T=T + d / 2, mu=mu), st.Bath(T=T - d / 2, mu=mu)], state=False)
    by_mu = transport.steady_state(model, [st.Bath(T=T, mu=mu + d / 2), st.Bath(T=T, mu=mu - d / 2)], state=False)
    L12 = by_T.particle_current[0] * T**2 / d
    L21 = (by_mu.energy_current[0] - mu * by_mu.particle_current[0]) * T / d
    lr = transport.linear_response(model, st.Bath(T=T, mu=mu))
    scale = abs(lr.onsager[0, 1]) + 1e-4 * np.sqrt(lr.onsager[0, 0] * lr.onsager[1, 1])
    assert abs(L12 - L21) < 1e-5 * scale
    assert abs(L12 - lr.onsager[0, 1]) < 1e-5 * scale
    assert lr.onsager[0, 0] >= 0 and lr.onsager[0, 0] * lr.onsager[1, 1] - lr.onsager[0, 1] ** 2 >= -1e-12 * scale**2


def test_baths_by_reservoir_name():
    chain = st.negf.TightBindingChain(t0=1.0)
    zero = np.zeros((1, 1))
    model = st.models.affine_open_system(
        name="named dot", reservoirs=(chain, chain), h_S=zero, couplings=(np.array([[0.5]]), np.array([[0.4]])),
        h_S_slopes={"eps": np.ones((1, 1))}, parameter_domain={"eps": (-3.0, 3.0)}, defaults={"eps": 0.1},
        reservoir_names=("L", "R"))
    hot, cold = st.Bath(T=0.1, mu=0.2), st.Bath(T=0.02, mu=-0.1)
    by_name = transport.steady_state(model, {"R": cold, "L": hot}, state=False)
    by_order = transport.steady_state(model, [hot, cold], state=False)
    assert np.array_equal(by_name.particle_current, by_order.particle_current)
    with pytest.raises(ValueError, match=r"reservoir\(s\) \['X'\].*\['L', 'R'\]"):
        transport.steady_state(model, {"L": hot, "X": cold})
    with pytest.raises(ValueError, match="no Bath for reservoir 'R'"):
        transport.steady_state(model, {"L": hot})
    with pytest.raises(ValueError, match="twice"):
        transport.steady_state(model, {"L": hot, 0: hot, "R": cold})
    with pytest.raises(ValueError, match="reservoir_names must name each"):
        st.models.affine_open_system(name="x", reservoirs=(chain, chain), h_S=zero, couplings=(zero, zero),
                                     parameter_domain={}, reservoir_names=("L",))


def test_whitney_efficiency_bound():
    # the boxcar's closed-form current against quad (1e-12: both near rounding), the bound's two
    # limits (Whitney 2014 prints 0.478 and 0.936: 1e-3), monotone in P, and its domain named
    from strongtherm.papers.transport import whitney_boxcar, whitney_efficiency_at_power

    V, e_1, Th, Tc = 0.7, 3.0, 1.0, 0.4
    P, _ = whitney_boxcar(V, e_1, Th, Tc)
    e_0 = V * Th / (Th - Tc)
    direct = quad(lambda e: 1.0 / (1.0 + math.exp(e / Th)) - 1.0 / (1.0 + math.exp((e - V) / Tc)), e_0, e_1,
                  epsabs=1e-15, epsrel=1e-13)[0]
    assert P == pytest.approx(V * direct / (2 * math.pi), rel=1e-12)
    assert whitney_boxcar(V, e_0 - 0.1, Th, Tc) == (0.0, 0.0)
    at_max = whitney_efficiency_at_power(1.0, Th, Tc)["eta"]
    assert at_max == pytest.approx((1 - Tc / Th) / (1 + 0.936 * (1 + Tc / Th)), rel=1e-3)
    etas = [whitney_efficiency_at_power(x, Th, Tc)["eta"] for x in (1e-6, 0.1, 0.5, 0.9, 1.0)]
    assert all(b < a for a, b in zip(etas, etas[1:], strict=False))
    assert (1 - etas[0] / (1 - Tc / Th)) / math.sqrt(Tc * 1e-6 / Th) == pytest.approx(0.478, abs=1e-3)
    with pytest.raises(ValueError, match="fraction"):
        whitney_efficiency_at_power(1.5, Th, Tc)


def test_a_band_edge_inside_another_band_is_resolved():
    # a level between a chain (band [-2.5, 2.5]) and a flat band of half-width 1: the flat band's
    # logarithmic edges at +-1 lie inside the merged continuum. They used to be left to the adaptive
    # rule, whose Gauss-Kronrod estimate was fooled: I was off by 6.0e-7 (relative 5e-5) with an
    # error estimate of 6e-12. Now they are graded panel edges like the continuum's own; the
    # reference is scipy quad with those edges as break points (1e-12: both are held near 1e-13)
    eps, V, T_L, T_R, bias = -2.926116720881377, 0.6434002943045481, 0.17047548801369833, 0.10980299388191238, 0.9278733873551159
    model = level_between([st.negf.TightBindingChain(t0=1.25), st.negf.WideBand(D=1.0)])
    baths = [st.Bath(T=T_L, mu=bias / 2), st.Bath(T=T_R, mu=-bias / 2)]

    def integrand(e):
        s = [V * V * complex(r.surface_greens_function(np.array([e + 0j]))[0, 0, 0]) for r in model.reservoirs]
        f = [1.0 / (1.0 + math.exp(min((e - b.mu) / b.T, 700.0))) for b in baths]
        return 4 * s[0].imag * s[1].imag / abs(e - eps - sum(s)) ** 2 * (f[0] - f[1]) / (2 * math.pi)

    lo, hi = -bias / 2 - 40 * T_L, bias / 2 + 40 * T_L
    edges = [lo, -1.0, -bias / 2, bias / 2, 1.0, hi]
    reference = sum(quad(integrand, a, b, epsabs=1e-15, epsrel=1e-13, limit=2000)[0] for a, b in zip(edges, edges[1:], strict=False))
    single = transport.steady_state(model, baths, state=False, eps=eps, V0=V, V1=V)
    (many,) = transport.steady_states(model, [baths], [{"eps": eps, "V0": V, "V1": V}])
    assert abs(single.particle_current[0] - reference) < 1e-12
    assert abs(many.particle_current[0] - reference) < 1e-12
    assert single.errors["particle_current"] < 1e-11


@pytest.mark.parametrize(("t0", "e0"), [(1.25, 0.0), (-0.7, 0.3)])
def test_chain_surface_value_is_the_array_call_in_numbers(t0, e0):
    # the resonance search's scalar road (TightBindingChain.surface_value) must give the very float
    # of the array road, inside the band, outside it on both sides and exactly at its edges
    chain = st.negf.TightBindingChain(t0=t0, e0=e0)
    b = chain.half_bandwidth
    energies = np.concatenate([np.random.default_rng(3).uniform(e0 - 2 * b, e0 + 2 * b, 2000),
                               [e0 - b, e0 + b, e0, e0 + 1e-300, np.nextafter(e0 + b, 10), 1e8, -1e8]])  # fmt: skip
    arrays = chain.surface_greens_function(energies)[:, 0, 0]
    numbers = np.array([chain.surface_value(float(e)) for e in energies])
    assert np.array_equal(arrays.view(float), numbers.view(float))
    assert np.array_equal(arrays, chain.surface_greens_function(energies.astype(complex))[:, 0, 0])


def test_single_state_model_evaluation_is_at_bit_for_bit():
    # negf.evaluated.model_point skips the checks an affine model cannot fail: the same arrays as
    # OpenSystem.at, and what it cannot vouch for (an overflowing entry) takes at() and its error
    from strongtherm.negf.evaluated import model_point

    model = level_between([st.negf.TightBindingChain(t0=1.25), st.negf.WideBand(D=3.0)])
    for params in ({"eps": 0.3, "V0": 0.7, "V1": 1.1}, {"eps": -1e-300, "V0": 0.0, "V1": 3.7}):
        resolved = model.resolve(params)
        fast, checked = model_point(model, resolved), model.at(resolved)
        assert np.array_equal(fast.h_S, checked.h_S) and fast.h_S.dtype == checked.h_S.dtype
        assert all(np.array_equal(a, c) and a.dtype == c.dtype for a, c in zip(fast.V, checked.V, strict=True))
    big = st.models.affine_open_system(
        name="big", reservoirs=(st.negf.WideBand(D=1.0),), h_S=np.zeros((1, 1)), couplings=(np.zeros((1, 1)),),
        h_S_slopes={"eps": np.full((1, 1), 1e300)}, parameter_domain={"eps": (-np.inf, np.inf)},
    )
    with np.errstate(over="ignore"), pytest.raises(ValueError, match="NaN or infinite"):
        model_point(big, big.resolve({"eps": 1e10}))
    with np.errstate(over="ignore"), pytest.raises(ValueError, match="NaN or infinite"):
        transport.steady_state(big, [st.Bath(T=0.1, mu=0.1)], state=False, eps=1e10)


def test_stacked_members_are_the_protocols_members():
    # _find_stacked_parts checks these tuples instead of isinstance on the runtime protocols (40 us
    # a model on Python 3.11): they must stay the protocols' own members
    from strongtherm.models import affine
    from strongtherm.negf import evaluated

    for protocol, members in ((evaluated.StackedMatrix, evaluated.STACKED_MATRIX_MEMBERS),
                              (evaluated.StackedCouplings, evaluated.STACKED_COUPLINGS_MEMBERS)):
        declared = {name for name in vars(protocol) if name == "__hash__" or not name.startswith("_")}
        assert set(members) == declared
    model = st.models.resonant_level(t0=1.25)
    assert evaluated._find_stacked_parts(model) is not None
    assert isinstance(model.system_hamiltonian, evaluated.StackedMatrix)  # the protocol agrees
    assert isinstance(model.couplings, evaluated.StackedCouplings)
    assert not evaluated._has_members(affine, evaluated.STACKED_MATRIX_MEMBERS)
