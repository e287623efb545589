"""drive with a bias (issue 22, item 3): per-lead currents, heat and pumped charge, the two starts
of the literature, the long-time limit against the Landauer steady state, and a cyclic engine.

The second roads: the long-time currents and state against ``st.negf.steady_state`` (energy
integrals of Green's functions, no time evolution); the lead heats and pumped charges (exact
differences of the chains' energies and numbers) against the time integrals of the currents
(local commutators on the first chain sites); a cycle's first law against the integrated power.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy.integrate import simpson

import strongtherm as st
from strongtherm import dynamics as dyn

ZERO = np.zeros((1, 1))
LEVEL = {"eps": 0.2, "V_L": 0.5, "V_R": 0.5}
BIAS = {"L": st.Bath(T=0.1, mu=0.3), "R": st.Bath(T=0.05, mu=-0.3)}


def dot(reservoirs, names=("L", "R")):
    """A level eps between two reservoirs, coupled by V_L and V_R."""
    return st.models.affine_open_system(
        name="level between two leads", reservoirs=tuple(reservoirs),
        h_S=ZERO, couplings=(ZERO, ZERO), h_S_slopes={"eps": np.ones((1, 1))},
        coupling_slopes={f"V_{names[0]}": (np.ones((1, 1)), ZERO), f"V_{names[1]}": (ZERO, np.ones((1, 1)))},
        parameter_domain={"eps": (-3.0, 3.0), f"V_{names[0]}": (0.0, 2.0), f"V_{names[1]}": (0.0, 2.0)},
        defaults={"eps": 0.2, f"V_{names[0]}": 0.5, f"V_{names[1]}": 0.5}, reservoir_names=names,
    )  # fmt: skip


def hold(params, duration):
    """Fixed parameters for ``duration``: the relaxation after the bias (or the coupling) is switched on."""
    return dyn.Protocol(st.Path.line(params, params), duration=0.0, hold=duration)


@pytest.fixture(scope="module")
def chains():
    return dot([st.negf.TightBindingChain(t0=1.0)] * 2)


@pytest.fixture(scope="module")
def partitioned(chains):
    # t = 60: the return time of the chosen chains (L = 172, set by T = 0.05) is 2 L / v_max = 172;
    # the transients of this broad level (Gamma = 2 V^2 / t0 = 0.5) leave the currents within 1e-7
    # of the steady ones from t ~ 35, the state from t ~ 50 (measured)
    return dyn.drive(chains, BIAS, hold(LEVEL, 60.0), times=np.linspace(0.0, 60.0, 121), initial="partitioned")


def test_partitioned_start_relaxes_to_the_landauer_steady_state(chains, partitioned):
    run = partitioned
    ss = st.negf.steady_state(chains, BIAS, LEVEL)
    late = run.times >= 50.0
    # measured at t in [50, 60]: max deviation 1.9e-8 (I), 1.2e-8 (J_E); what is left is the
    # transient of the band edges (oscillating, ~1e-8 here), not the chain (tol = 1e-13, L = 216
    # gives the same digits) nor the steady state's 1e-11 quadrature; 1e-7 is 10x below the 1e-6
    assert np.max(np.abs(run.particle_current[late] - ss.particle_current)) < 1e-7
    assert np.max(np.abs(run.energy_current[late] - ss.energy_current)) < 1e-7
    assert np.max(np.abs(run.heat_current[late] - ss.heat_current)) < 1e-7
    # the state too: N_S and the Hilbert-space U_S = <H_S> + <H_SR>/2 at t = 60; measured 1.4e-8 and
    # 5.6e-8, the latter falling like t^-3 (9.7e-8 at t = 50, 2.4e-8 at t = 80): the slowest transient
    assert abs(run.particle_number[-1] - ss.N_S) < 1e-7
    assert abs(run.system_energy["hilbert"][-1] - ss.U_S) < 1e-7
    # entropy production of the partitioned start, Delta S_S - sum Q_alpha / T_alpha (Esposito et al.
    # 2010): >= 0 at every time, and at late times growing at the steady state's rate
    # sigma = -sum J_Q / T_alpha (the slope over [50, 60] from state differences; measured deviation
    # 1.2e-7, the change of S_S and the slow transient of the state over that interval)
    assert np.all(run.entropy_production >= 0.0)
    i50 = int(np.searchsorted(run.times, 50.0))
    slope = (run.entropy_production[-1] - run.entropy_production[i50]) / (run.times[-1] - run.times[i50])
    assert abs(slope - ss.entropy_production) < 1e-6
    # and the transient is real: at t = 2 the current is still far from the steady one
    assert abs(run.particle_current[4, 0] - ss.particle_current[0]) > 1e-3
    # Drive.steady_state is the same computation (the unshifted leads of a partitioned start)
    assert np.allclose(run.steady_state().particle_current, ss.particle_current, rtol=0, atol=1e-14)


def test_two_levels_at_different_temperatures_and_potentials_relax_to_landauer():
    # n = 2 (the matrix road of steady_state, not the one-level one), both T and mu differ
    model = st.models.two_level_two_reservoirs(1.25)
    p = {"eps_1": 0.1, "eps_2": -0.2, "t_c": 0.4, "V_L": 0.8, "V_R": 0.6}
    baths = [st.Bath(T=0.08, mu=0.25), st.Bath(T=0.12, mu=-0.15)]
    run = dyn.drive(model, baths, hold(p, 60.0), times=np.linspace(0.0, 60.0, 13), initial="partitioned")
    ss = st.negf.steady_state(model, baths, p)
    late = run.times >= 50.0
    # measured at t in [50, 60]: 1.4e-9 (I), 4.1e-9 (J_E), 4.2e-9 (the whole C_SS); tolerances as above
    assert np.max(np.abs(run.particle_current[late] - ss.particle_current)) < 1e-7
    assert np.max(np.abs(run.energy_current[late] - ss.energy_current)) < 1e-7
    assert np.max(np.abs(run.reduced_state[-1] - ss.correlation_matrix)) < 1e-7


def test_partition_free_start_relaxes_to_the_shifted_leads_steady_state(chains):
    baths = [st.Bath(T=0.1, mu=0.3), st.Bath(T=0.1, mu=-0.3)]
    run = dyn.drive(chains, baths, hold(LEVEL, 60.0), times=np.linspace(0.0, 60.0, 61))  # partition-free is the default
    assert run.initial == "gibbs" and run.biased
    assert run.lead_shifts.tolist() == [0.0, -0.6]  # mu_R - mu_L: the right lead's potential drops
    # the second road built by hand: the right chain's band shifted by -0.6 (Stefanucci & Almbladh 2004)
    shifted = dot([st.negf.TightBindingChain(t0=1.0), st.negf.TightBindingChain(t0=1.0, e0=-0.6)])
    ss = st.negf.steady_state(shifted, baths, LEVEL)
    late = run.times >= 50.0
    # measured at t in [50, 60]: 1.3e-8 (I), 1.4e-8 (J_E), N_S 6e-10; tolerance as above
    assert np.max(np.abs(run.particle_current[late] - ss.particle_current)) < 1e-7
    assert np.max(np.abs(run.energy_current[late] - ss.energy_current)) < 1e-7
    assert abs(run.particle_number[-1] - ss.N_S) < 1e-7
    # the shifted band's steady state differs from the unshifted one by far more than that
    assert abs(st.negf.steady_state(chains, baths, LEVEL).particle_current[0] - ss.particle_current[0]) > 1e-3
    # Drive.steady_state builds the same shifted model
    assert run.lead_model.reservoirs[1].e0 == -0.6
    assert np.allclose(run.steady_state().particle_current, ss.particle_current, rtol=0, atol=1e-14)
    assert "baths (T=0.1, mu=0.3), (T=0.1, mu=-0.3)" in repr(run) and np.isnan(run.entropy_production[-1])
    # the start is the coupled equilibrium: no current flows at t = 0 (rounding only)
    assert np.max(np.abs(run.particle_current[0])) < 1e-13


def test_currents_integrate_to_the_pumped_charge_and_the_lead_heat(chains):
    run = dyn.drive(chains, BIAS, hold(LEVEL, 20.0), times=np.linspace(0.0, 20.0, 401), initial="partitioned")
    # particle conservation, an identity of the commutators: sum_alpha I_alpha = dN_S/dt (rounding)
    assert np.max(np.abs(run.particle_current.sum(axis=1) - run.particle_flow)) < 1e-14
    # second road: the exact state differences against Simpson's rule on the currents; dt = 0.05
    # resolves the fastest transient (the band edges at +-2: period ~pi), error ~ (2 dt)^4 / 180 * I''''
    # ~ 1e-7; measured 1.0e-8 (charge) and 1.7e-8 (heat)
    for series, rate in ((run.pumped_charge, run.particle_current), (run.lead_heat, run.heat_current)):
        integrated = simpson(rate, x=run.times, axis=0)
        assert np.max(np.abs(integrated - series[-1])) < 1e-6
    assert np.max(np.abs(run.lead_heat.sum(axis=1) - run.heat)) < 1e-13  # heat per lead sums to the heat
    d = run.to_dict()
    assert d["I_0"] == run.particle_current[-1, 0] and d["pumped_charge_1"] == run.pumped_charge[-1, 1]
    assert {"I_0", "J_Q_1", "lead_heat_0"} <= set(run.series())


def test_one_bath_per_reservoir_without_a_bias_is_the_one_bath_drive(chains):
    bath = st.Bath(T=0.1, mu=0.2)
    proto = dyn.Protocol(st.Path.line(LEVEL, {**LEVEL, "eps": 0.6}), duration=3.0, hold=2.0)
    one = dyn.drive(chains, bath, proto, times=[0.0, 2.0, 5.0], L=120)
    per_lead = dyn.drive(chains, {"R": bath, "L": bath}, proto, times=[0.0, 2.0, 5.0], L=120)
    assert not per_lead.biased
    # the same computation, bit for bit
    for name in ("W_ext", "heat", "entropy_production", "particle_current", "energy_current"):
        assert np.array_equal(getattr(one, name), getattr(per_lead, name))
    # equilibrium at rest: the Gibbs start carries no current until the level moves (rounding)
    assert np.max(np.abs(one.particle_current[0])) < 1e-13


@pytest.mark.parametrize(
    ("baths", "kwargs", "match"),
    [
        ([st.Bath(T=0.1)], {}, "one Bath per reservoir"),
        ({"L": st.Bath(T=0.1), "X": st.Bath(T=0.1)}, {}, r"reservoir\(s\) \['X'\]"),
        ([st.Bath(T=0.1), st.Bath(T=0.2)], {}, r"'R' T=0.2.*initial='partitioned'"),
        ([st.Bath(T=0.1), st.Bath(T=0.2)], {"initial": "partition-free"}, "cannot give them other temperatures"),
        ([st.Bath(T=0.1), st.Bath(T=0.1, mu=0.1)], {"reference_reservoir": 2}, "reference_reservoir"),
        ([st.Bath(T=0.1), st.Bath(T=0.1)], {"initial": "partition"}, "initial must be one of"),
    ],
)
def test_bad_baths(chains, baths, kwargs, match):
    with pytest.raises(ValueError, match=match):
        dyn.drive(chains, baths, hold(LEVEL, 1.0), **kwargs)


def test_bound_state_under_bias_warns():
    # a level above a narrow band [-1, 1]: a bound state near 1.4, which the leads at mu = 1.4 and
    # mu = 0 would occupy with 1/2 and ~0: it carries no current and keeps its history's occupation
    model = dot([st.negf.TightBindingChain(t0=0.5)] * 2)
    baths = [st.Bath(T=0.1, mu=1.4), st.Bath(T=0.1, mu=0.0)]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        dyn.drive(model, baths, hold({"eps": 1.5, "V_L": 0.3, "V_R": 0.3}, 1.0), times=[0.0, 1.0], initial="partitioned")
    messages = [str(w.message) for w in caught if issubclass(w.category, st.dynamics.BoundStateWarning)]
    assert any("carry no current" in m and "baths would occupy them differently" in m for m in messages)


# ----------------------------------------------------------------------------- a cyclic engine
HOT, COLD = st.Bath(T=1.5), st.Bath(T=0.1)
#: Segments of one cycle and their duration: the hot lead's coupling ramped up and down in 3 + 3
#: segments at eps = 1.5, then the cold lead's at eps = 0.3 (the level moves while both couplings are
#: at their small rest value 0.02: the strokes of an Otto cycle).
SEGMENT = 2.0


def otto_loop(V=0.3, v=0.02, hi=1.5, lo=0.3, steps=3):
    ramp = [v + (V - v) * j / steps for j in range(steps + 1)]
    hot = [{"eps": hi, "V_h": x, "V_c": v} for x in ramp + ramp[::-1]]
    cold = [{"eps": lo, "V_h": v, "V_c": x} for x in ramp + ramp[::-1]]
    return hot + cold


def otto_run(cycles, per_segment):
    model = dot([st.negf.TightBindingChain(t0=1.0)] * 2, names=("h", "c"))
    loop = otto_loop()
    period = SEGMENT * len(loop)
    proto = dyn.Protocol(st.Path.corners(loop * cycles + loop[:1]), duration=cycles * period)
    times = np.linspace(0.0, cycles * period, cycles * len(loop) * per_segment + 1)
    return dyn.drive(model, {"h": HOT, "c": COLD}, proto, times=times, initial="partitioned"), period


@pytest.fixture(scope="module")
def engine():
    return otto_run(2, 4)


def test_cyclic_engine_first_law_and_heat_by_two_roads(engine):
    run, period = engine
    # the integrator's own balance over the biased run: max abs(W_ext - Delta Tr[C h]) within
    # work_tol = 1e-8 (measured 3e-12)
    assert run.integrator.energy_balance_residual < 1e-8
    cycles = [run.cycle(k * period, period) for k in range(2)]
    for c in cycles:
        # first law of the closed universe over the period: W + sum (Q + mu n) = Delta<H_S + H_SR>;
        # its residual is the integrator's energy balance (work_tol = 1e-8 over the run); measured 2e-12
        assert abs(c.energy_balance) < 1e-8
        # second road for the heats: Simpson's rule on J_Q(t) over the period (panels inside the
        # segments, where the currents are smooth; h = 0.5, error ~ h^4 J''''/180); measured 3.9e-6
        # against heats of 0.06
        inside = (run.times >= c.start - 1e-9) & (run.times <= c.start + period + 1e-9)
        integrated = simpson(run.heat_current[inside], x=run.times[inside], axis=0)
        assert np.max(np.abs(integrated - c.lead_heat)) < 2e-5
        assert c.delta_particle_number == pytest.approx(np.sum(c.pumped_charge), abs=1e-12)
    # every system energy side by side; U_H*, U_E* need one Gibbs state: NaN between two baths
    assert set(cycles[1].delta_system_energy) == {"hilbert", "alpha=0", "alpha=0.5", "alpha=1", "H_S", "H*", "E*"}
    assert np.isnan(cycles[1].delta_system_energy["H*"])
    # towards the periodic regime: the change of U_S over a cycle shrinks by ~6.5 per cycle (measured
    # 0.135, then 0.0208); the periodic engine itself is test_cyclic_engine_periodic_regime (slow)
    assert abs(cycles[1].delta_system_energy["hilbert"]) < 0.25 * abs(cycles[0].delta_system_energy["hilbert"])
    # already an engine in the second cycle: heat from the hot lead, power out, below Carnot, Sigma > 0
    c = cycles[1]
    assert c.lead_heat[0] > 0.0 > c.lead_heat[1] and c.power > 0.0
    assert 0.0 < c.efficiency < 1.0 - COLD.T / HOT.T
    assert c.entropy_production > 0.0


def test_cycle_bad_input_and_to_dict(partitioned):
    with pytest.raises(ValueError, match=r"start = 0\.3 is not an output time"):
        partitioned.cycle(0.3, 10.0)
    with pytest.raises(ValueError, match=r"start \+ period = 70 is not an output time"):
        partitioned.cycle(10.0, 60.0)
    with pytest.raises(ValueError, match="period"):
        partitioned.cycle(0.0, -1.0)
    # without driving the power is the steady state's -sum mu I (both leads at +-0.3), W = 0
    c = partitioned.cycle(50.0, 10.0)
    assert c.work == 0.0
    d = c.to_dict()
    assert all(isinstance(v, float) for v in d.values()) and d["lead_heat_1"] == c.lead_heat[1]
    ss = st.negf.steady_state(partitioned.model, BIAS, LEVEL)
    # measured 3.6e-11: the late currents' oscillating deviation from Landauer averages out over the period
    assert c.power == pytest.approx(ss.power, abs=1e-8)


def test_drive_overview_draws_the_lead_currents(partitioned):
    import matplotlib

    matplotlib.use("Agg")
    left, right = st.plot.drive_overview(partitioned)
    labels = [line.get_label() for line in right.get_lines()]
    assert labels == ["I from reservoir L", "J_Q from reservoir L", "I from reservoir R", "J_Q from reservoir R"]
    assert np.array_equal(right.get_lines()[2].get_ydata(), partitioned.particle_current[:, 1])
    assert "(T=0.05, μ=-0.3)" in left.figure._suptitle.get_text()  # the title names every bath
    matplotlib.pyplot.close(left.figure)


def test_kinks_found_by_bisection_are_snapped_onto_output_times():
    # a path corner reached at an output time: bisection places the kink a rounding error away,
    # which left a sliver piece of zero-length steps (a ZeroDivisionError in the Magnus step)
    from strongtherm.dynamics.integrator import _snap_kinks

    outputs = np.array([0.0, 1.0, 2.0])
    assert _snap_kinks(np.array([0.0, 1.0 + 2e-16, 2.0]), outputs, set()).tolist() == [0.0, 1.0, 2.0]
    # two kinks one rounding error apart are one; a jump's instant is kept as it is
    assert _snap_kinks(np.array([0.0, 0.5, 0.5 + 1e-15, 2.0]), outputs, set()).tolist() == [0.0, 0.5, 2.0]
    assert _snap_kinks(np.array([0.0, 1.0 + 2e-16, 2.0]), outputs, {1.0 + 2e-16}).tolist() == [0.0, 1.0 + 2e-16, 2.0]
    # far from an output time a kink stays where it is
    assert _snap_kinks(np.array([0.0, 1.3, 2.0]), outputs, set()).tolist() == [0.0, 1.3, 2.0]
