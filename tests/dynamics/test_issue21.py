"""Issue 21 (dynamics): the step follows the schedule, jumps are sudden quenches, user schedules
are checked where they are evaluated, and memory stays linear in the steps.

The references are second roads: the sudden-quench closed form and a drive that jumps at t = 0;
the same drive with a much finer fixed step and no error control (converged to ~1e-13: it moves by
< 1e-12 from dt = 0.002 to 0.001, and a dense RK4 on the same chain with dt = 5e-4 agrees to 1e-13,
see test_issue21_callable_schedule_against_dense_rk4).
"""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
from scipy.special import expit

import strongtherm as st
from strongtherm import dynamics as dyn
from strongtherm.core.warnings import NumericsError, NumericsWarning
from strongtherm.dynamics.evolve import interval_integrals, lagrange_interval_weights
from strongtherm.negf.universe import Universe

#: The default tolerance on W of drive's error control.
WORK_TOL = 1e-8
#: Coefficients of the smooth callable schedule of the issue.
COEFFICIENTS = [0.09995266262145977, -0.1131202753467862, -0.08962908510657347]

FAST = {"mean_force_energies": False, "reference": False}


@pytest.fixture(scope="module")
def rlm():
    return st.models.resonant_level(t0=1.25)


def wobble(u):
    """s(u) = u + sum_k a_k sin((k+1) pi u) 4u(1-u)."""
    u = np.asarray(u, dtype=float)
    return u + sum(a * np.sin((k + 1) * np.pi * u) for k, a in enumerate(COEFFICIENTS)) * 4 * u * (1 - u)


def wobble_derivative(u):
    u = np.asarray(u, dtype=float)
    g = sum(a * np.sin((k + 1) * np.pi * u) for k, a in enumerate(COEFFICIENTS))
    dg = sum(a * (k + 1) * np.pi * np.cos((k + 1) * np.pi * u) for k, a in enumerate(COEFFICIENTS))
    return 1 + dg * 4 * u * (1 - u) + g * 4 * (1 - 2 * u)


CASES = {
    # the built-in smooth schedule on a fast ramp: off by 8.9e-6 with the fixed default step
    "smooth": (
        {"eps_s": 2.381865110848704, "V": 0.12707068841345115},
        {"eps_s": -2.8584980295352738, "V": 1.7674750633117315},
        st.Bath(T=0.057768730012995734, mu=0.8493082373952088),
        0.5475357760614582,
        "smooth",
    ),
    # a smooth callable (finite-difference derivative): off by 3.3e-3, Sigma and D 0.032 apart
    "callable": (
        {"eps_s": -2.1276275891050327, "V": 0.16917304137687472},
        {"eps_s": 1.952625262633254, "V": 0.7117966194816842},
        st.Bath(T=0.10491969912480849, mu=0.7571284381252821),
        0.23294191934605588,
        wobble,
    ),
}


def case_protocol(name):
    A, B, bath, tau, schedule = CASES[name]
    return dyn.Protocol(st.Path.line(A, B), duration=tau, schedule=schedule), bath, tau


@pytest.mark.parametrize("name", list(CASES))
@pytest.mark.parametrize("method", ["magnus", "interaction"])
def test_issue21_error_controlled_step_meets_work_tol(rlm, name, method):
    proto, bath, tau = case_protocol(name)
    run = dyn.drive(rlm, bath, proto, times=[0.0, tau], method=method, **FAST)
    reference = dyn.drive(rlm, bath, proto, times=[0.0, tau], dt=0.002, work_tol=None, entropy=False, method="magnus", **FAST)
    # the reference is converged to ~1e-13 (module docstring): the error is the drive's own
    assert abs(run.W_ext[-1] - reference.W_ext[-1]) < WORK_TOL
    if method == "magnus":
        assert run.integrator.refinements >= 1  # the first pass of Magnus steps was not good enough
    assert run.integrator.work_error_estimate < WORK_TOL
    # the two roads to the entropy production: beta (W - Delta F) = D(rho || rho_eq), both up to beta * error of W
    assert abs(run.entropy_production[-1] - run.relative_entropy[-1]) < bath.beta * WORK_TOL


def test_issue21_well_resolved_ramp_is_not_refined(rlm):
    # the slow linear level ramp: the first pass meets work_tol, so nothing changes (same steps, same W)
    proto = dyn.Protocol(st.Path.line({"eps_s": 0.0, "V": 0.6}, {"eps_s": 1.0, "V": 0.6}), duration=2.0)
    controlled = dyn.drive(rlm, st.Bath(T=0.1), proto, times=[0.0, 2.0], entropy=False, **FAST)
    plain = dyn.drive(rlm, st.Bath(T=0.1), proto, times=[0.0, 2.0], entropy=False, work_tol=None, **FAST)
    assert controlled.integrator.refinements == 0
    assert controlled.integrator.n_steps == plain.integrator.n_steps
    assert controlled.W_ext[-1] == plain.W_ext[-1]


def test_issue21_step_schedule_is_a_sudden_quench(rlm):
    # s jumps from 0 to 1 at u = 1/2 of tau = 2: the Gibbs state is stationary before the jump, so
    # the run equals a sudden quench at t = 0 followed by a hold of 1 (W = <H_B - H_A>_A)
    path = st.Path.line({"eps_s": 0.0, "V": 0.6}, {"eps_s": 1.0, "V": 0.6})
    bath = st.Bath(T=0.1)
    proto = dyn.Protocol(path, duration=2, schedule=lambda u: (u >= 0.5).astype(float))
    assert proto.jumps() == [(1.0, 0.0, 1.0)]
    run = dyn.drive(rlm, bath, proto, times=[0.0, 0.5, 1.0, 2.0], **FAST)
    sudden = dyn.drive(rlm, bath, dyn.Protocol(path, duration=0.0, hold=1.0), times=[0.0, 1.0], L=run.chain.L, **FAST)
    engine = st.gaussian.quench(rlm, bath, start=path.function(0.0), end=path.function(1.0))
    # W_diff = d eps <n_d>_A = 1/2 exactly at mu = 0 (particle-hole symmetry); the engine's quadrature ~1e-12
    assert run.W_ext == pytest.approx([0.0, 0.0, 0.5, 0.5], abs=1e-12)
    assert abs(run.W_ext[-1] - engine.work["diff"]) < 1e-10
    # an output at the jump's instant shows the state right after it (as t = 0 of a sudden quench)
    assert run.parameters["eps_s"].tolist() == [0.0, 0.0, 1.0, 1.0]
    # same state by two roads: only the Chebyshev exponentials differ (1e-16 per term, rounding ~1e-13)
    assert run.entropy_production[-1] == pytest.approx(sudden.entropy_production[-1], abs=1e-10)
    assert run.entropy_production[-1] > 0.0
    assert abs(run.entropy_production[-1] - run.relative_entropy[-1]) < 1e-10
    assert run.integrator.energy_balance_residual < 1e-10


def test_issue21_finite_difference_derivative_near_the_ends():
    sched = dyn.Schedule.from_function(wobble)
    u = np.concatenate([np.linspace(0.0, 0.01, 101), np.linspace(0.0, 1.0, 1001), np.linspace(0.99, 1.0, 101)])
    # the documented accuracy: ~1e-13 |s| inside, ~3e-13 |s| near the ends (7-point stencil, h = 1e-3);
    # measured 2e-13, where the old one-sided stencil had 1e-8 |s'''|
    assert np.max(np.abs(sched.derivative(u) - wobble_derivative(u))) < 1e-12
    # never across a jump: the step schedule has zero slope on both sides of u = 1/2
    step = dyn.Schedule.from_function(lambda x: (x >= 0.5).astype(float))
    assert step.jumps == ((0.5, 0.0, 1.0),)
    assert np.all(step.derivative(np.array([0.0, 0.4999999, 0.5, 0.5000001, 1.0])) == 0.0)


@pytest.mark.parametrize("bad", [np.nan, 5.0], ids=["nan", "five"])
def test_issue21_schedule_between_the_old_check_points(bad):
    # bad on (0.3001, 0.3004): between the old check points 0.3 and 0.3005 (2001 of them)
    def schedule(u):
        u = np.asarray(u, dtype=float)
        return np.where((u > 0.3001) & (u < 0.3004), bad, u)

    with pytest.raises(ValueError, match=r"schedule 'user schedule .*schedule'.* at u = 0\.300"):
        dyn.Protocol(st.Path.line({"eps_s": 0.0}, {"eps_s": 1.0}), duration=1.0, schedule=schedule)


def test_issue21_schedule_checked_where_the_integrator_evaluates_it(rlm):
    # passes every check at construction, then turns NaN: the loop's own evaluations catch it
    class Flaky:
        armed = False

        def __call__(self, u):
            u = np.asarray(u, dtype=float)
            return np.where(self.armed & (u > 0.4) & (u < 0.6), np.nan, u)

    flaky = Flaky()
    proto = dyn.Protocol(st.Path.line({"eps_s": 0.0, "V": 0.6}, {"eps_s": 1.0, "V": 0.6}), duration=1.0, schedule=flaky)
    flaky.armed = True
    with pytest.raises(ValueError, match=r"s\(u\) of schedule 'user schedule Flaky' must lie in \[0, 1\], got nan at u = 0\.[45]"):
        dyn.drive(rlm, st.Bath(T=0.1), proto, times=[0.0, 1.0], entropy=False, **FAST)


def test_issue21_schedule_errors_name_the_schedule_and_u():
    def broken(u):
        return {}["missing"] + u

    with pytest.raises(ValueError, match=r"schedule 'user schedule .*broken' failed at u = 0\.0: KeyError") as info:
        dyn.Protocol(st.Path.line({"eps_s": 0.0}, {"eps_s": 1.0}), duration=1.0, schedule=broken)
    assert isinstance(info.value.__cause__, KeyError)  # the original chained


def test_issue21_tolerance_not_met_within_the_budget(rlm):
    # the Magnus road's first pass misses work_tol on this schedule (the interaction road's meets it)
    proto, bath, tau = case_protocol("callable")
    magnus = {**FAST, "method": "magnus"}
    first = dyn.drive(rlm, bath, proto, times=[0.0, tau], work_tol=None, entropy=False, **magnus).integrator.n_steps
    with pytest.warns(NumericsWarning, match="work_tol"):
        run = dyn.drive(rlm, bath, proto, times=[0.0, tau], max_steps=first + 1, entropy=False, **magnus)
    assert run.integrator.work_error_estimate > WORK_TOL  # says what it reached
    with pytest.raises(NumericsError, match="max_steps"):
        dyn.drive(rlm, bath, proto, times=[0.0, tau], max_steps=first + 1, strict=True, entropy=False, **magnus)


def test_issue21_budgets_checked_before_allocation(rlm):
    proto = dyn.Protocol(st.Path.line({"eps_s": 0.0, "V": 0.6}, {"eps_s": 1.0, "V": 0.6}), duration=1.0)
    bath = st.Bath(T=0.1)
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match=r"dt: the protocol needs 1000000000 steps .* max_steps=1000000"):
            dyn.drive(rlm, bath, proto, times=[0.0, 1.0], dt=1e-9)
        with pytest.raises(ValueError, match=r"times: 1000000 output times, more than max_outputs=100000"):
            dyn.drive(rlm, bath, proto, times=np.linspace(0, 1, 10**6))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # the linspace the caller made (8 MB) and the model's set-up, never a 1e9-point grid
    assert peak < 64 * 2**20


def test_issue21_quadrature_weights_are_banded():
    nodes = np.sort(np.random.default_rng(21).uniform(0.0, 1.0, 25_001))
    tracemalloc.start()
    try:
        starts, weights = lagrange_interval_weights(nodes)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert weights.shape == (25_000, 8)
    assert peak < 64 * 2**20  # linear (~15 MB); the dense (m, m+1) matrix was 4.7 GiB
    # exact for degree 7: int_0^1 of 8 x^7 over the nodes' span, rounding only
    p = 8 * nodes**7
    assert np.sum(interval_integrals(starts, weights, p)) == pytest.approx(nodes[-1] ** 8 - nodes[0] ** 8, abs=1e-12)


@pytest.mark.slow
def test_issue21_callable_schedule_against_dense_rk4(rlm):
    # second road: RK4 on dC/dt = -i[h, C] with dense matrices on the same chain, dt ~ 1e-3
    # (global error ~dt^4: 7e-14 measured at dt = 5e-4, so ~1e-12 here)
    proto, bath, tau = case_protocol("callable")
    run = dyn.drive(rlm, bath, proto, times=[0.0, tau], entropy=False, **FAST)
    universe = Universe(rlm, run.chain.L, run.chain.mappings)
    # h is affine in (eps_s, V) and the path a straight line: h(t) = h_A + s(t / tau) (h_B - h_A)
    h_A, h_B = (universe.dense(rlm.resolve(proto.path.function(s))).astype(complex) for s in (0.0, 1.0))

    def h_at(t):
        return h_A + float(wobble(t / tau)) * (h_B - h_A)

    h0 = h_at(0.0)
    e, V = np.linalg.eigh(h0)
    C = (V * expit(-(e - bath.mu) / bath.T)) @ V.conj().T
    E0 = float(np.real(np.trace(C @ h0)))
    n = int(np.ceil(tau / 1e-3))
    dt = tau / n

    def rhs(h, C):
        return -1j * (h @ C - C @ h)

    for k in range(n):
        h1, h2, h3 = h_at(k * dt), h_at((k + 0.5) * dt), h_at((k + 1) * dt)
        k1 = rhs(h1, C)
        k2 = rhs(h2, C + 0.5 * dt * k1)
        k3 = rhs(h2, C + 0.5 * dt * k2)
        k4 = rhs(h3, C + dt * k3)
        C = C + (dt / 6) * (k1 + 2 * k2 + 2 * k3 + k4)
    W_rk4 = float(np.real(np.trace(C @ h_at(tau)))) - E0
    assert abs(run.W_ext[-1] - W_rk4) < WORK_TOL
