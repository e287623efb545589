"""Tests of the Green's-function engine (Kumar, Webb & Stafford 2024) that need no outside reference.

Cross-checks against the finite chain and the scipy-quad reference live in
test_engine_vs_references.py.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate

import strongtherm as st
from strongtherm.negf import (
    LorentzianBand,
    OpenSystem,
    TightBindingChain,
    WideBand,
    bound_states,
    spectral_densities,
)

T0 = 1.25
RLM = st.models.resonant_level(t0=T0)
BATH = st.Bath(T=0.02, mu=0.0)


def test_readme_example_runs():
    bath = st.Bath(T=0.02, mu=0.0)
    rlm = st.models.resonant_level(t0=1.25)
    eq = st.negf.equilibrium(rlm, bath, eps_s=-1.0, V=1.0)
    values = [eq.system.S, eq.system.U, eq.system.N, eq.system.Omega, eq.reservoir.Omega, eq.alpha_entropy(0.8)]
    assert all(math.isfinite(v) for v in values)
    assert isinstance(eq.bound_states, tuple)
    path = st.Path.line({"eps_s": 0.0, "V": 0.6}, {"eps_s": 1.0, "V": 0.4})
    proc = st.negf.quasistatic(rlm, bath, path)
    works = [proc.W_ext, proc.W_S, proc.nonlocal_work, proc.alpha_work(1.0), proc.entropy_change_EOG(1.0)]
    assert all(math.isfinite(v) for v in works)


# ----------------------------------------------------------------------------- reservoirs
@pytest.mark.parametrize("z", [0.3 + 0.01j, -2.4 + 1e-3j, 3.0 + 0.5j, -7.0 + 2j, 1.0 - 0.2j])
def test_chain_surface_gf_solves_dyson_equation(z):
    # the semi-infinite chain obeys g = 1 / (z - e0 - t0^2 g) exactly; rounding only (1e-13)
    chain = TightBindingChain(t0=T0, e0=0.1)
    g = chain.surface_greens_function(np.array(z))[0, 0]
    assert abs(g - 1.0 / (z - 0.1 - T0**2 * g)) < 1e-13
    # physical branch: Im g has the opposite sign of Im z
    assert np.sign(g.imag) == -np.sign(z.imag)


def test_chain_real_axis_is_retarded_and_derivative_matches():
    chain = TightBindingChain(t0=T0)
    e = np.linspace(-2.4, 2.4, 11)
    g = chain.surface_greens_function(e)[:, 0, 0]
    assert np.all(g.imag < 0.0)  # retarded: -Im g / pi is the surface DOS > 0 inside the band
    # d g / dz against a central difference off the axis (h = 1e-6: error ~ h^2 g''' ~ 1e-10)
    z = np.array([0.7 + 0.3j, 3.1 + 0.0j, -3.3 + 0.0j])
    h = 1e-6
    numeric = (chain.surface_greens_function(z + h) - chain.surface_greens_function(z - h)) / (2 * h)
    np.testing.assert_allclose(chain.surface_greens_function_derivative(z), numeric, atol=1e-8)


def test_wide_band_is_hilbert_transform_of_flat_dos():
    band = WideBand(D=3.0)
    z = 0.4 + 0.2j
    re = integrate.quad(lambda e: ((z - e) ** -1).real / 6.0, -3, 3, epsabs=1e-13)[0]
    im = integrate.quad(lambda e: ((z - e) ** -1).imag / 6.0, -3, 3, epsabs=1e-13)[0]
    assert abs(band.surface_greens_function(np.array(z))[0, 0] - (re + 1j * im)) < 1e-12  # quad error 1e-13


# ----------------------------------------------------------------------------- bound states
@pytest.mark.parametrize("eps_s, V", [(-2.0, 1.5), (2.0, 1.5), (-3.0, 0.1), (-1.0, 1.8)])
def test_resonant_level_bound_states_match_closed_form(eps_s, V):
    # outside the band the pole solves e = eps_s + V^2 g(e) with the real g below/above the band
    states = bound_states(RLM, RLM.resolve(eps_s=eps_s, V=V))
    for b in states:
        e = b.energy
        g = (e - np.sign(e) * math.sqrt(e * e - 4 * T0**2)) / (2 * T0**2)
        assert abs(e - eps_s - V**2 * g) < 1e-12  # root tolerance 1e-14 x scale
        dg = (1 - e / (np.sign(e) * math.sqrt(e * e - 4 * T0**2))) / (2 * T0**2)
        assert abs(b.system_weight - 1.0 / (1.0 - V**2 * dg)) < 1e-12
        assert abs(b.system_weight + b.reservoir_weight - 1.0) < 1e-12
    # the existence criterion of DESIGN.md: below the band iff eps_s - V^2/t0 < -2 t0
    below = [b for b in states if b.energy < -2 * T0]
    above = [b for b in states if b.energy > 2 * T0]
    assert len(below) == int(eps_s - V**2 / T0 < -2 * T0)
    assert len(above) == int(eps_s + V**2 / T0 > 2 * T0)


def _real_axis_state_functions(model, bath, **params):
    """Independent road inside the package: real-axis scipy.quad of g_S and dg_R + bound-state sums."""
    p = model.resolve(**params)
    kernels = {
        "N": bath.fermi,
        "U": lambda e: e * bath.fermi(e),
        "S": bath.entropy_density,
        "Omega": bath.grand_potential_density,
    }
    out = {}
    for name, k in kernels.items():
        for region, index in (("system", 0), ("reservoir", 1)):
            def integrand(theta, k=k, index=index):
                e = -2 * T0 * math.cos(theta)  # removes the 1/sqrt edge singularity of dg_R
                return spectral_densities(model, np.array([e]), p)[index][0] * k(np.array([e]))[0] * 2 * T0 * math.sin(theta)

            th_mu = math.acos(-bath.mu / (2 * T0))
            value = sum(
                integrate.quad(integrand, a, b, epsabs=1e-13, epsrel=1e-13, limit=400)[0]
                for a, b in ((0, th_mu - 0.05), (th_mu - 0.05, th_mu + 0.05), (th_mu + 0.05, math.pi))
            )
            for b in bound_states(model, p):
                w = b.system_weight if region == "system" else b.reservoir_weight
                value += w * float(k(np.array([b.energy]))[0])
            out[(region, name)] = value
    return out


@pytest.mark.parametrize("eps_s, V", [(-1.0, 1.0), (-2.0, 1.5), (2.0, 1.5)])
def test_contour_matches_real_axis_plus_bound_states(eps_s, V):
    # two roads: lifted contour (bound states implicit) vs real-axis quad + root-found bound states;
    # quad reaches ~1e-12 here, the contour 1e-11: compare at 1e-9
    eq = st.negf.equilibrium(RLM, BATH, eps_s=eps_s, V=V)
    ref = _real_axis_state_functions(RLM, BATH, eps_s=eps_s, V=V)
    for (region, name), value in ref.items():
        ours = getattr(getattr(eq, region), name)
        assert abs(ours - value) < 1e-9, (region, name, ours, value)


# ----------------------------------------------------------------------------- identities
@pytest.mark.parametrize(
    "model, params",
    [
        (RLM, {"eps_s": -1.0, "V": 1.0}),
        (RLM, {"eps_s": -2.0, "V": 1.5}),
        (st.models.two_level_two_reservoirs(), {"eps_1": -0.4, "eps_2": 0.7, "t_c": 0.3, "V_L": 0.8, "V_R": 1.1}),
        (st.models.two_level_two_reservoirs(), {"eps_1": -3.0, "V_L": 1.5}),
    ],
)
def test_identities_at_equilibrium(model, params):
    bath = st.Bath(T=0.05, mu=0.2)
    eq = st.negf.equilibrium(model, bath, **params)
    n = model.n_levels
    # sum rules with bound states: atol 1e-10 (contour tolerance 1e-11 per integral)
    assert abs(eq.sum_rule_residuals["int g_S - n"]) < 1e-10
    assert abs(eq.sum_rule_residuals["int delta g_R"]) < 1e-10
    # Eq. (14): U_S from g_S equals <H_S> + <H_SR>/2 computed from C and Sigma G (1e-10)
    assert abs(eq.system.U - (eq.expectation_H_S + 0.5 * eq.expectation_H_SR)) < 1e-10
    # Omega = U - T S - mu N, each from its own kernel (1e-10)
    for region in (eq.system, eq.reservoir):
        assert abs(region.Omega - (region.U - bath.T * region.S - bath.mu * region.N)) < 1e-10
    # N_S = Tr C and 0 <= S_S <= n ln 2 (spinless)
    assert abs(eq.system.N - np.trace(eq.correlation_matrix).real) < 1e-10
    assert -1e-12 <= eq.system.S <= n * math.log(2)
    # C is a correlation matrix: Hermitian with eigenvalues in [0, 1]
    occ = np.linalg.eigvalsh(eq.correlation_matrix)
    assert occ.min() > -1e-10 and occ.max() < 1 + 1e-10
    # alpha = 1/2 is the Hilbert-space partition
    assert abs(eq.alpha_entropy(0.5) - eq.system.S) < 1e-14
    assert abs(eq.alpha_energy(0.5) - eq.system.U) < 1e-10


@pytest.mark.parametrize("name", ["eps_s", "V"])
def test_power_is_derivative_of_universe_grand_potential(name):
    # Hellmann-Feynman, Eq. (11): <dH/dlambda> = d Omega_universe / d lambda; the power comes from
    # C and Sigma-dot, Omega from the omega kernel: two roads. 4th-order FD with h = 1e-3: error ~1e-11.
    params = {"eps_s": -1.2, "V": 1.1}
    eq = st.negf.equilibrium(RLM, BATH, **params)
    h = 1e-3

    def omega(delta):
        shifted = dict(params)
        shifted[name] += delta
        return st.negf.equilibrium(RLM, BATH, **shifted).universe.Omega

    fd = (-omega(2 * h) + 8 * omega(h) - 8 * omega(-h) + omega(-2 * h)) / (12 * h)
    assert abs(sum(eq.power(name)) - fd) < 1e-8


def test_particle_hole_symmetry_and_decoupling():
    # mu = 0, e0 = 0: N(eps) + N(-eps) = 1 and S(eps) = S(-eps) (1e-10)
    a = st.negf.equilibrium(RLM, BATH, eps_s=-0.7, V=0.9)
    b = st.negf.equilibrium(RLM, BATH, eps_s=0.7, V=0.9)
    assert abs(a.system.N + b.system.N - 1.0) < 1e-10
    assert abs(a.system.S - b.system.S) < 1e-10
    # V -> 0: the bare level, N = f(eps), S = s(eps), reservoir change -> 0 (V^2-small: 1e-6 at V=1e-3)
    bath = st.Bath(T=0.2, mu=0.0)
    eq = st.negf.equilibrium(RLM, bath, eps_s=0.3, V=1e-3)
    assert abs(eq.system.N - bath.fermi(np.array(0.3))) < 1e-6
    assert abs(eq.system.S - bath.entropy_density(np.array(0.3))) < 1e-6
    assert abs(eq.reservoir.N) < 1e-6


def test_decoupled_levels_are_bound_states_in_the_continuum():
    model = st.models.two_level_two_reservoirs()
    bath = st.Bath(T=0.1, mu=0.0)
    eq = st.negf.equilibrium(model, bath, eps_1=0.3, eps_2=-0.5, t_c=0.0, V_L=0.0, V_R=0.0)
    assert len(eq.bound_states) == 2 and all(b.decoupled for b in eq.bound_states)
    levels = np.array([0.3, -0.5])
    assert abs(eq.system.N - bath.fermi(levels).sum()) < 1e-10
    assert abs(eq.system.S - bath.entropy_density(levels).sum()) < 1e-10


def test_lorentzian_band_uses_real_axis_route():
    model = OpenSystem(
        name="level on a Lorentzian band",
        n_levels=1,
        reservoirs=(LorentzianBand(W=2.0),),
        system_hamiltonian=lambda p: np.array([[p["eps"]]]),
        couplings=lambda p: (np.array([[0.8]]),),
        parameter_domain={"eps": (-10.0, 10.0)},
    )
    bath = st.Bath(T=0.1, mu=0.1)
    eq = st.negf.equilibrium(model, bath, eps=0.2)
    assert abs(eq.sum_rule_residuals["int g_S - n"]) < 1e-9
    assert abs(eq.system.U - (eq.expectation_H_S + 0.5 * eq.expectation_H_SR)) < 1e-9
    ref = integrate.quad(lambda e: spectral_densities(model, np.array([e]), {"eps": 0.2})[0][0] * bath.fermi(np.array(e)),
                         -np.inf, np.inf, points=None, epsabs=1e-12, limit=500)[0]
    assert abs(eq.system.N - ref) < 1e-8  # quad over an infinite line reaches ~1e-10


def test_third_law_hilbert_space_entropy_vanishes_linearly():
    # S_S ~ (pi^2/3) T g_S(mu) as T -> 0 (Sommerfeld): S/T constant within 1% between T = 0.01 and 0.005
    s = [st.negf.equilibrium(RLM, st.Bath(T=T, mu=0.0), eps_s=0.2, V=0.8).system.S / T for T in (0.01, 0.005)]
    assert abs(s[0] / s[1] - 1.0) < 0.01


# ----------------------------------------------------------------------------- processes
def test_path_on_which_a_bound_state_appears_halfway():
    # eps_s - V^2/t0 < -2 t0 from eps_s < -1.348 on: the bound state appears mid-path. Each term of
    # the sum rule on its own: Delta Omega_S and Delta dOmega_R against the real-axis road (1e-9),
    # W_ext against the universe's Omega difference (Hellmann-Feynman, 1e-9)
    V = 1.2
    path = st.Path.line({"eps_s": -1.0, "V": V}, {"eps_s": -2.5, "V": V})
    proc = st.negf.quasistatic(RLM, BATH, path)
    assert len(proc.start.bound_states) == 0 and len(proc.end.bound_states) == 1
    ref0 = _real_axis_state_functions(RLM, BATH, eps_s=-1.0, V=V)
    ref1 = _real_axis_state_functions(RLM, BATH, eps_s=-2.5, V=V)
    assert abs(proc.delta_Omega_S - (ref1[("system", "Omega")] - ref0[("system", "Omega")])) < 1e-9
    assert abs(proc.delta_dOmega_R - (ref1[("reservoir", "Omega")] - ref0[("reservoir", "Omega")])) < 1e-9
    assert abs(proc.W_ext - (proc.end.universe.Omega - proc.start.universe.Omega)) < 1e-9
    assert abs(proc.sum_rule_residual) < 1e-9
    assert abs(proc.nonlocal_work_discrepancy) < 1e-9
    # level driving: no coupling power, nonlocal work on the reservoir = Delta(dOmega_R)
    assert abs(proc.work_H_SR) < 1e-12
    assert abs(proc.nonlocal_work_on_reservoir - proc.delta_dOmega_R) < 1e-9


def test_alpha_work_path_dependence_and_w_s_path_independence():
    start, end = {"eps_s": 0.0, "V": 0.6}, {"eps_s": 1.0, "V": 0.4}
    A = st.negf.quasistatic(RLM, BATH, st.Path.corners([start, {"eps_s": 1.0, "V": 0.6}, end]))
    B = st.negf.quasistatic(RLM, BATH, st.Path.corners([start, {"eps_s": 0.0, "V": 0.4}, end]))
    assert abs(A.W_S - B.W_S) < 1e-9  # state function (Eq. 18)
    assert abs(A.alpha_work(1.0) - B.alpha_work(1.0)) < 1e-9  # = W_ext
    assert abs(A.alpha_work(0.5) - B.alpha_work(0.5)) > 1e-2  # path dependent (Eq. 23)


def test_cumulative_work_is_monotone_in_panels():
    proc = st.negf.quasistatic(RLM, BATH, st.Path.line({"eps_s": 1.0, "V": 0.5}, {"eps_s": 1.5, "V": 0.5}), panels_per_segment=3)
    assert proc.path_s.shape == (4,) and len(proc.states) == 4
    assert proc.cumulative["W_ext"][0] == 0.0
    assert abs(proc.cumulative["W_ext"][-1] - proc.W_ext) == 0.0


# ----------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"T": 0.0}, "T must be"),
        ({"T": -1.0}, "T must be"),
        ({"T": float("nan")}, "T must be"),
        ({"T": 0.1, "mu": float("inf")}, "mu must be"),
    ],
)
def test_bath_rejects_bad_temperature(kwargs, match):
    with pytest.raises(ValueError, match=match):
        st.Bath(**kwargs)


def test_bad_parameters_name_the_parameter():
    with pytest.raises(ValueError, match="eps_s"):
        st.negf.equilibrium(RLM, BATH, eps_s=float("nan"), V=1.0)
    with pytest.raises(ValueError, match=r"V must be .*\[0, inf\]"):
        st.negf.equilibrium(RLM, BATH, eps_s=0.0, V=-1.0)
    with pytest.raises(ValueError, match="no parameter"):
        st.negf.equilibrium(RLM, BATH, eps_s=0.0, V=1.0, gamma=2.0)
    with pytest.raises(ValueError, match="required"):
        st.negf.equilibrium(RLM, BATH, eps_s=0.0)
    eq = st.negf.equilibrium(RLM, BATH, eps_s=0.0, V=1.0)
    for alpha in (-0.1, 1.5, float("nan")):
        with pytest.raises(ValueError, match="alpha"):
            eq.alpha_entropy(alpha)


def test_path_leaving_the_domain_is_an_error():
    with pytest.raises(ValueError, match="leaves the domain"):
        st.negf.quasistatic(RLM, BATH, st.Path.line({"eps_s": 0.0, "V": 0.5}, {"eps_s": 0.0, "V": -0.5}))
    with pytest.raises(ValueError, match="does not have"):
        st.negf.quasistatic(RLM, BATH, st.Path.line({"eps": 0.0}, {"eps": 1.0}))
    with pytest.raises(ValueError, match="alpha"):
        st.negf.quasistatic(RLM, BATH, st.Path.line({"eps_s": 0.0, "V": 0.5}, {"eps_s": 0.2, "V": 0.5})).alpha_work(2.0)


def _model(h, V):
    return OpenSystem(
        name="user model",
        n_levels=2,
        reservoirs=(TightBindingChain(1.0),),
        system_hamiltonian=lambda p: h,
        couplings=lambda p: (V,),
        parameter_domain={"x": (0.0, 1.0)},
        defaults={"x": 0.5},
    )


def test_user_model_shape_and_hermiticity_errors():
    with pytest.raises(ValueError, match="h_S must be Hermitian"):
        st.negf.equilibrium(_model(np.array([[0.0, 1.0], [0.0, 0.0]]), np.ones((1, 2))), BATH)
    with pytest.raises(ValueError, match=r"couplings\[0\] must have shape \(1, 2\)"):
        st.negf.equilibrium(_model(np.eye(2), np.ones((1, 3))), BATH)
    with pytest.raises(ValueError, match="h_S must have shape"):
        st.negf.equilibrium(_model(np.eye(3), np.ones((1, 2))), BATH)
    with pytest.raises(ValueError, match="NaN"):
        st.negf.equilibrium(_model(np.eye(2), np.array([[np.nan, 0.0]])), BATH)


def test_user_model_without_derivatives_uses_finite_differences():
    # 4th-order central differences of a linear function are exact up to rounding (1e-9)
    model = OpenSystem(
        name="user level",
        n_levels=1,
        reservoirs=(TightBindingChain(T0),),
        system_hamiltonian=lambda p: np.array([[p["eps_s"]]]),
        couplings=lambda p: (np.array([[p["V"]]]),),
        parameter_domain={"eps_s": (-np.inf, np.inf), "V": (0.0, np.inf)},
    )
    a = st.negf.equilibrium(model, BATH, eps_s=-0.3, V=0.7)
    b = st.negf.equilibrium(RLM, BATH, eps_s=-0.3, V=0.7)
    for name in ("eps_s", "V"):
        np.testing.assert_allclose(a.power(name), b.power(name), atol=1e-9)


def test_correlation_matrix_beta_derivative_matches_finite_difference():
    # dC/dbeta from its own kernel vs 4th-order differences in beta at fixed mu (h = 1e-2 beta:
    # error ~ h^4 C^(5) ~ 1e-9), two-level model so that C is a full 2x2 matrix
    model = st.models.two_level_two_reservoirs()
    params = {"eps_1": -0.4, "eps_2": 0.7, "t_c": 0.3, "V_L": 0.8, "V_R": 1.1}
    beta, mu, h = 10.0, 0.1, 0.1
    eq = st.negf.equilibrium(model, st.Bath(T=1 / beta, mu=mu), **params)
    C = {k: st.negf.equilibrium(model, st.Bath(T=1 / (beta + k * h), mu=mu), **params).correlation_matrix for k in (-2, -1, 1, 2)}
    fd = (-C[2] + 8 * C[1] - 8 * C[-1] + C[-2]) / (12 * h)
    np.testing.assert_allclose(eq.correlation_matrix_beta_derivative, fd, atol=1e-8)


def test_batched_equilibria_equal_single_calls():
    # one shared contour for many points vs one contour each: both converge to atol 1e-11
    points = [{"eps_s": -2.0, "V": 1.5}, {"eps_s": 0.3, "V": 0.2}, {"eps_s": 2.2, "V": 1.5}]
    batch = st.negf.partition.equilibria(RLM, BATH, points)
    for p, eq in zip(points, batch, strict=True):
        single = st.negf.equilibrium(RLM, BATH, **p)
        for q in ("N", "U", "S", "Omega"):
            assert abs(getattr(eq.system, q) - getattr(single.system, q)) < 1e-10
            assert abs(getattr(eq.reservoir, q) - getattr(single.reservoir, q)) < 1e-10
        assert abs(eq.entropy_coefficient - single.entropy_coefficient) < 1e-9


def test_user_model_accepts_qutip_operators():
    qutip = pytest.importorskip("qutip")
    model = OpenSystem(
        name="qutip level",
        n_levels=1,
        reservoirs=(TightBindingChain(T0),),
        system_hamiltonian=lambda p: qutip.Qobj([[p["eps_s"]]]),
        couplings=lambda p: (qutip.Qobj([[p["V"]]]),),
        parameter_domain={"eps_s": (-np.inf, np.inf), "V": (0.0, np.inf)},
    )
    a = st.negf.equilibrium(model, BATH, eps_s=-0.3, V=0.7)
    b = st.negf.equilibrium(RLM, BATH, eps_s=-0.3, V=0.7)
    assert abs(a.system.Omega - b.system.Omega) < 1e-12  # same matrices, same contour


def test_builtin_models_pickle_without_cloudpickle_and_give_identical_numbers():
    # issue 9: the built-in models are affine dataclasses, not closures, so the standard pickle
    # (worker processes) carries them; the unpickled model must give bit-identical matrices
    import pickle

    for model, params in (
        (st.models.resonant_level(t0=1.25), {"eps_s": -0.7, "V": 0.9}),
        (st.models.two_level_two_reservoirs(t0=1.25), {"eps_1": 0.3, "t_c": 0.4, "V_R": 0.8}),
    ):
        clone = pickle.loads(pickle.dumps(model))
        a, b = model.at(params), clone.at(params)
        np.testing.assert_array_equal(a.h_S, b.h_S)  # exact: same arithmetic on the same numbers
        for name in model.parameter_names:
            np.testing.assert_array_equal(a.dh_S[name], b.dh_S[name])
            for x, y in zip(a.dV[name], b.dV[name], strict=True):
                np.testing.assert_array_equal(x, y)


def test_model_point_is_the_model_evaluated_once():
    # the point record holds the same matrices the model's callables give, and its self-energies
    # agree with the model's (same formula, so to rounding: 1e-15 relative)
    rlm = st.models.resonant_level(t0=1.25)
    point = rlm.at(eps_s=0.4, V=0.7)
    z = np.array([0.3 + 0.01j, -3.0 + 0.0j, 2.6 + 0.0j])
    np.testing.assert_allclose(point.self_energy(z), rlm.self_energy(z, point.params), rtol=1e-15)
    np.testing.assert_allclose(
        point.self_energy_parameter_derivative(z, "V"), rlm.self_energy_parameter_derivative(z, point.params, "V"), rtol=1e-15
    )
    with pytest.raises(ValueError, match="eps_s"):
        rlm.at(eps_s=float("nan"), V=0.5)
    with pytest.raises(ValueError, match="no parameter"):
        point.self_energy_parameter_derivative(z, "t0")
