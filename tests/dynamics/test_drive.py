"""Exact finite-speed driving: limits, identities, convergence and the second road (JWM)."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest
from jwm_reference import jwm_occupation

import strongtherm as st
from strongtherm import dynamics as dyn
from strongtherm.gaussian.quench import quench_finite_chain
from strongtherm.negf.system import OpenSystem

T0 = 1.25
BATH = st.Bath(T=0.1)
A = {"eps_s": 0.2, "V": 0.6}
B = {"eps_s": 1.0, "V": 0.6}
L = 200  # thermal length at T = 0.1 is ~110 (error estimate < 1e-20); return time 320 > every window here


@pytest.fixture(scope="module")
def rlm():
    return st.models.resonant_level(t0=T0)


def level_ramp(duration, **kwargs):
    return dyn.Protocol(st.Path.line(A, B), duration=duration, **kwargs)


@pytest.fixture(scope="module")
def ramp_and_hold(rlm):
    return dyn.drive(rlm, BATH, level_ramp(5.0, hold=3.0), times=np.linspace(0.0, 8.0, 9), L=L)


@pytest.mark.parametrize("duration", [0.0, 1e-6])
def test_sudden_limit_is_the_quench_work(rlm, duration):
    times = [0.0] if duration == 0.0 else [0.0, duration]
    run = dyn.drive(rlm, BATH, level_ramp(duration), times=times, L=L)
    chain = quench_finite_chain(rlm, BATH, L, start=A, end=B)
    engine = st.gaussian.quench(rlm, BATH, start=A, end=B)
    # same finite chain: W(tau) - W_diff = O(tau^2 |dh|^2 ...) ~ 1e-12 at tau = 1e-6, plus rounding
    assert abs(run.W_ext[-1] - chain.work["diff"]) < 1e-10
    # infinite reservoir: W_diff = d eps <n_d>_A; the chain's finite-size error at L = 200, T = 0.1 is
    # below 1e-20 by the estimate, so what is left is the engine's quadrature tolerance (~1e-12)
    assert abs(run.W_ext[-1] - engine.work["diff"]) < 1e-10


def test_sudden_quench_then_hold(rlm):
    run = dyn.drive(rlm, BATH, level_ramp(0.0, hold=4.0), times=np.linspace(0.0, 4.0, 5), L=L)
    engine = st.gaussian.quench(rlm, BATH, start=A, end=B)
    # no power after the jump: W stays W_diff exactly; the universe energy is conserved to the
    # Chebyshev tolerance (1e-16 per term, rounding ~1e-13)
    assert np.all(run.W_ext == run.W_ext[0])
    assert np.max(np.abs(run.universe_energy - engine.work["diff"])) < 1e-10
    assert np.max(np.abs(run.relative_entropy - run.entropy_production)) < 1e-10


def test_entropy_production_is_the_relative_entropy(ramp_and_hold):
    run = ramp_and_hold
    # Sigma = beta (W - Delta F) and D(rho(t) || rho^eq_lambda(t)) from correlation matrices differ by
    # beta x (energy-balance error) + entropy drift of the integrator: ~1e-11 at the default step
    assert np.max(np.abs(run.relative_entropy - run.entropy_production)) < 1e-10
    assert np.all(run.entropy_production > -1e-12)  # second law, to rounding
    assert run.entropy_production[-1] > 0.1  # a 5-unit ramp is far from quasistatic (checks a real signal)


def test_work_equals_energy_of_the_universe_and_first_law(ramp_and_hold):
    run = ramp_and_hold
    # time-integrated power vs Tr[C h] - Tr[C_0 h_0]: integrator + order-8 quadrature error ~1e-12
    assert run.integrator.energy_balance_residual < 1e-11
    # W + Q = Delta <H_S + H_SR> (alpha = 1): the reservoir's energy is the rest of the universe's
    dU = run.system_energy["alpha=1"] - run.system_energy["alpha=1"][0]
    assert np.max(np.abs(run.W_ext + run.heat - dU)) < 1e-11
    # the Hilbert-space U_S is <H_S> + <H_SR>/2 by construction (Kumar Eq. 14)
    assert np.allclose(run.system_energy["hilbert"], run.expectation_H_S + 0.5 * run.expectation_H_SR, atol=1e-15)


def test_particle_flow_is_the_rate_of_N_S(rlm):
    times = np.linspace(0.0, 2.0, 201)
    run = dyn.drive(rlm, BATH, level_ramp(2.0), times=times, L=L, mean_force_energies=False, entropy=False, reference=False)
    # dN_S/dt against the derivative of N_S(t) by 2nd-order differences on a grid of 0.01:
    # error ~ h^2 N''' / 6 ~ 1e-5
    numeric = np.gradient(run.particle_number, times, edge_order=2)
    assert np.max(np.abs(numeric - run.particle_flow)[2:-2]) < 1e-4


def test_initial_state_is_the_coupled_gibbs_state(rlm, ramp_and_hold):
    mf = st.gaussian.mean_force(rlm, BATH, **A)
    # reduced state at t = 0 against the Green's-function engine (infinite reservoir); finite size < 1e-20
    assert abs(ramp_and_hold.reduced_state[0, 0, 0].real - mf.reduced_state.N) < 1e-10
    assert ramp_and_hold.entropy_production[0] == 0.0
    assert abs(ramp_and_hold.system_energy["H*"][0] - mf.U["H*"]) < 1e-10
    assert abs(ramp_and_hold.system_energy["E*"][0] - mf.U["E*"]) < 1e-10


def test_chain_free_energy_matches_the_engine(ramp_and_hold):
    # Delta F of the chain vs Delta F*_S (Green's functions): finite size < 1e-20, quadrature ~1e-12
    assert abs(ramp_and_hold.finite_size_difference) < 1e-10
    assert abs(ramp_and_hold.delta_F[-1] - ramp_and_hold.delta_F_S_engine) < 1e-10


def test_product_initial_state_split(rlm):
    run = dyn.drive(rlm, BATH, level_ramp(3.0, hold=2.0), times=np.linspace(0.0, 5.0, 6), L=L, initial="product")
    assert run.initial == "product"
    # Esposito et al. 2010: Sigma = Delta S_S - beta Q = I(S:R) + D(rho_R || rho_R^eq), exact for a
    # unitary evolution: residual = entropy drift + beta x energy error of the integrator
    split = run.mutual_information + run.reservoir_relative_entropy
    assert np.max(np.abs(run.entropy_production - split)) < 1e-10
    assert np.all(run.mutual_information > -1e-12) and np.all(run.reservoir_relative_entropy > -1e-12)
    assert run.entropy_production[-1] > 0.1


def test_results_do_not_move_when_the_step_halves(rlm):
    proto = level_ramp(5.0)
    runs = [dyn.drive(rlm, BATH, proto, times=[0.0, 5.0], L=L, dt=dt, mean_force_energies=False, entropy=False, reference=False, method="magnus")
            for dt in (0.1, 0.05)]  # fmt: skip
    # 6th-order Magnus: the error at dt = 0.1 is ~1e-11 (measured 4e-14 from dt = 0.1 to 0.05)
    assert abs(runs[0].W_ext[-1] - runs[1].W_ext[-1]) < 1e-10
    assert runs[1].integrator.max_step <= 0.05 * (1 + 1e-12) and runs[1].integrator.order == 6
    fourth = dyn.drive(rlm, BATH, proto, times=[0.0, 5.0], L=L, dt=0.025, order=4, mean_force_energies=False, entropy=False, reference=False,
                       method="magnus")  # fmt: skip
    # 4th order at dt = 0.025: ~1e-11 (measured), an independent integrator
    assert abs(fourth.W_ext[-1] - runs[1].W_ext[-1]) < 1e-10


def test_results_do_not_move_when_L_grows(rlm):
    proto = level_ramp(5.0)
    W = [dyn.drive(rlm, BATH, proto, times=[0.0, 5.0], L=n, mean_force_energies=False, entropy=False, reference=False).W_ext[-1] for n in (150, 230)]
    # return time 2 L / 2.5 >= 120 > 5 and finite-size error < 1e-18 at L >= 150: only rounding is left
    assert abs(W[0] - W[1]) < 1e-10


def test_relaxation_during_a_hold(rlm):
    run = dyn.drive(rlm, BATH, level_ramp(2.0, hold=30.0), times=np.array([0.0, 2.0, 12.0, 32.0]), mean_force_energies=False)
    n_eq = st.gaussian.mean_force(rlm, BATH, **B).reduced_state.N
    gaps = np.abs(run.particle_number - n_eq)
    # the reduced state relaxes toward the mean-force state of the final parameters (width
    # Gamma = 2 V^2 / t0 ~ 0.58 at the band centre, band-edge tails ~ t^-3): 1e-3 after 30 time units
    assert gaps[1] > 1e-2 and gaps[3] < 1e-3 and gaps[3] < gaps[2] < gaps[1]


def test_bound_state_along_the_path_is_flagged(rlm, ramp_and_hold):
    # resonant level: bound state above the band once eps_s > 2 t0 - V^2/t0 = 2.212; with mu = 2.5
    # its thermal weight f(1-f) is large, so its frozen occupation remembers the drive
    proto = dyn.Protocol(st.Path.line({"eps_s": 0.0, "V": 0.6}, {"eps_s": 3.0, "V": 0.6}), duration=1.0)
    with pytest.warns(dyn.BoundStateWarning, match="not Delta F"):
        run = dyn.drive(rlm, st.Bath(T=0.1, mu=2.5), proto, times=[0.0, 1.0], mean_force_energies=False, entropy=False, reference=False)
    assert run.bound_state_along_path
    assert run.bound_state_energies[0][1][0] > 2 * T0  # above the band
    assert run.bound_state_weight > dyn.engine.BOUND_STATE_WEIGHT_THRESHOLD
    assert not ramp_and_hold.bound_state_along_path


def test_issue21_bound_state_without_thermal_weight_does_not_warn(rlm):
    # issue 21 (item 3): the same bound state at mu = 0, T = 0.1 lies >= 2.5 above mu, f(1-f) <= e^-25
    # ~ 1e-11: it stays empty, as equilibrium wants it, and does not trap (no warning, no flag)
    proto = dyn.Protocol(st.Path.line({"eps_s": 0.0, "V": 0.6}, {"eps_s": 3.0, "V": 0.6}), duration=1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", dyn.BoundStateWarning)
        run = dyn.drive(rlm, BATH, proto, times=[0.0, 1.0], mean_force_energies=False, entropy=False, reference=False)
    assert not run.bound_state_along_path
    assert run.bound_state_energies[0][1][0] > 2 * T0  # found and listed all the same
    assert 0.0 < run.bound_state_weight < 1e-10


def test_to_dict_is_flat_json_and_series(ramp_and_hold):
    d = ramp_and_hold.to_dict()
    assert all(isinstance(v, float) for v in d.values())
    assert json.loads(json.dumps(d))["W_ext"] == ramp_and_hold.W_ext[-1]
    assert d["L"] == L and d["order"] == 6 and d["bound_state_along_path"] == 0.0
    assert d["delta_system_energy_hilbert"] == pytest.approx(
        ramp_and_hold.system_energy["hilbert"][-1] - ramp_and_hold.system_energy["hilbert"][0], abs=1e-15
    )
    series = ramp_and_hold.series()
    assert {"times", "W_ext", "system_energy_alpha_0.5", "system_energy_Hstar", "parameter_eps_s"} <= set(series)
    assert all(v.shape == ramp_and_hold.times.shape for v in series.values())
    assert "W_ext[-1]" in repr(ramp_and_hold)


def test_duration_as_a_sweep_axis(rlm):
    pytest.importorskip("xarray")

    def work(duration):
        proto = level_ramp(duration)
        return dyn.drive(rlm, BATH, proto, times=[0.0, duration], L=L, mean_force_energies=False, entropy=False)

    ds = st.sweep(work, {"duration": [0.5, 1.0]}, processes=1, progress=False)
    # each point is the same drive() run: the sweep only stores to_dict()
    assert ds["W_ext"].sel(duration=1.0).item() == work(1.0).W_ext[-1]
    assert ds["L"].values.tolist() == [float(L)] * 2


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"initial": "thermal"}, "initial"),
        ({"times": [0.0, 6.0]}, r"times must lie in \[0, duration \+ hold\]"),
        ({"times": [-1.0, 1.0]}, "times must lie"),
        ({"times": [0.0, 2.0, 1.0]}, "strictly increasing"),
        ({"order": 5}, "order"),
        ({"dt": -0.1}, "dt"),
        ({"dt": 1e-4, "max_steps": 100}, "max_steps"),
        ({"max_sites": 50}, "max_sites"),
        ({"L": 5}, "L must be"),
    ],
)
def test_bad_input(rlm, kwargs, match):
    with pytest.raises(ValueError, match=match):
        dyn.drive(rlm, BATH, level_ramp(5.0), **kwargs)


def test_bad_model_and_protocol(rlm):
    with pytest.raises(ValueError, match="protocol"):
        dyn.drive(rlm, BATH, {"duration": 1.0})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="model"):
        dyn.drive("rlm", BATH, level_ramp(1.0))  # type: ignore[arg-type]
    other = dyn.Protocol(st.Path.line({"eps_1": 0.0}, {"eps_1": 1.0}), duration=1.0)
    with pytest.raises(ValueError, match="eps_1"):
        dyn.drive(rlm, BATH, other)


def _level_on_flat_band(D):
    band = st.negf.WideBand(D=D)
    rlm = st.models.resonant_level()
    return OpenSystem(
        name=f"level on a flat band D={D:g}",
        n_levels=1,
        reservoirs=(band,),
        system_hamiltonian=rlm.system_hamiltonian,
        couplings=rlm.couplings,
        parameter_domain=rlm.parameter_domain,
        system_hamiltonian_derivative=rlm.system_hamiltonian_derivative,
        couplings_derivative=rlm.couplings_derivative,
    ), band


def test_wide_band_level_against_jauho_wingreen_meir():
    gamma, T, tau = 0.5, 0.5, 2.0
    times = np.array([0.0, 0.5, 1.0, 1.5, 2.0])
    n_jwm = jwm_occupation(lambda t: min(max(t / tau, 0.0), 1.0), times, gamma=gamma, T=T)
    errors = []
    for D in (10.0, 20.0, 40.0):
        model, band = _level_on_flat_band(D)
        V = band.coupling_for_gamma(gamma)
        proto = dyn.Protocol(st.Path.line({"eps_s": 0.0, "V": V}, {"eps_s": 1.0, "V": V}), duration=tau)
        run = dyn.drive(model, st.Bath(T=T), proto, times=times, tol=1e-6, mean_force_energies=False, entropy=False, reference=False)
        errors.append(run.particle_number - n_jwm)
    errors = np.array(errors)
    # at t = 0 (eps_d = 0, particle-hole symmetric) both are 1/2
    assert np.max(np.abs(errors[:, 0])) < 1e-10
    # a band of half-width D differs from the wide-band limit by O(Gamma / D) (level shift
    # Re Sigma ~ Gamma e / (pi D), missing weight beyond |e| > D): the error halves as D doubles ...
    ratios = errors[:-1, -1] / errors[1:, -1]
    assert np.all((ratios > 1.6) & (ratios < 2.4))
    # ... and three-point Richardson in 1/D removes the 1/D and 1/D^2 terms: what is left (~4e-6
    # measured) is the log-corrected remainder and the JWM quadrature (1e-9)
    extrapolated = (8 * errors[2] - 6 * errors[1] + errors[0]) / 3
    assert np.max(np.abs(extrapolated)) < 2e-5
    assert np.max(np.abs(extrapolated)) < 0.05 * np.max(np.abs(errors[2]))


def test_readme_example_runs():
    # the issue's API sketch, as printed in README.md ("Finite speed")
    rlm = st.models.resonant_level(t0=1.25)
    proto = st.Protocol(st.Path.line({"eps_s": 0.0, "V": 0.6}, {"eps_s": 1.0, "V": 0.6}), duration=5.0, schedule="linear")
    run = st.dynamics.drive(rlm, st.Bath(T=0.1), proto, times=np.linspace(0, 5, 101), mean_force_energies=False)
    assert run.W_ext.shape == run.heat.shape == run.system_energy["hilbert"].shape == (101,)
    assert run.reduced_state.shape == (101, 1, 1)
    assert abs(run.relative_entropy[-1] - run.entropy_production[-1]) < 1e-10  # as in the identity test


def test_two_levels_two_reservoirs_smooth_schedule():
    model = st.models.two_level_two_reservoirs()
    path = st.Path.line({"eps_1": 0.0, "t_c": 0.5, "V_L": 1.0}, {"eps_1": 0.8, "t_c": 0.2, "V_L": 0.7})
    proto = dyn.Protocol(path, 3.0, schedule="smooth", hold=1.0)
    run = dyn.drive(model, st.Bath(T=0.2, mu=0.1), proto, times=np.linspace(0.0, 4.0, 5), dt=0.05)
    # two chains, mu != 0, system and coupling driven at once. At dt = 0.05 the energy balance is
    # 2e-13 (measured); the default step gives 4e-11 here, i.e. beta x 4e-11 = 2e-10 in Sigma
    assert run.integrator.energy_balance_residual < 1e-11
    assert np.max(np.abs(run.relative_entropy - run.entropy_production)) < 1e-10
    assert abs(run.finite_size_difference) < 1e-10
    assert np.all(run.entropy_production > -1e-12)


def test_lorentzian_band_chain_error_falls_with_the_cutoff():
    band = st.negf.LorentzianBand(W=1.0)
    rlm = st.models.resonant_level()
    model = OpenSystem(
        name="level on a Lorentzian band",
        n_levels=1,
        reservoirs=(band,),
        system_hamiltonian=rlm.system_hamiltonian,
        couplings=rlm.couplings,
        parameter_domain=rlm.parameter_domain,
        system_hamiltonian_derivative=rlm.system_hamiltonian_derivative,
        couplings_derivative=rlm.couplings_derivative,
    )
    proto = dyn.Protocol(st.Path.line({"eps_s": 0.0, "V": 0.5}, {"eps_s": 1.0, "V": 0.5}), 2.0)
    diffs = [
        dyn.drive(model, st.Bath(T=0.5), proto, times=[0.0, 2.0], lorentzian_cutoff=c, mean_force_energies=False).finite_size_difference
        for c in (10.0, 20.0)
    ]
    # the mapping is approximate with error O(W / D'): Delta F of the chain misses the engine's by
    # 6.4e-4 and 3.2e-4 at D'/W = 10, 20 (measured)
    assert abs(diffs[0]) < 1e-3 and 1.6 < diffs[0] / diffs[1] < 2.4
