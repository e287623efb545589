"""The interaction-picture road of ``drive`` (issue 21, speed) against the Magnus road.

The second road is the Magnus integrator of the same chain universe at a small fixed step without
error control (``dt = 0.01``: converged to ~1e-12 on these protocols, tests/dynamics/test_drive.py
and test_issue21.py): the two roads share the universe, the initial state and the observables, so
they must agree to the integrators' errors. Tolerance 1e-9 on W, energies, numbers and currents
(the issue's agreement target; measured differences 1e-14 to 1e-11).
"""

from __future__ import annotations

import numpy as np
import pytest

import strongtherm as st
from strongtherm import dynamics as dyn
from strongtherm.dynamics.interaction import nodes_for_step
from strongtherm.negf.fermi_poles import collocation_rule

AGREE = 1e-9
ZERO = np.zeros((1, 1))


def dot_between_leads():
    return st.models.affine_open_system(
        name="level between two leads", reservoirs=(st.negf.TightBindingChain(t0=1.0), st.negf.TightBindingChain(t0=1.0)),
        h_S=ZERO, couplings=(ZERO, ZERO), h_S_slopes={"eps": np.ones((1, 1))},
        coupling_slopes={"V_L": (np.ones((1, 1)), ZERO), "V_R": (ZERO, np.ones((1, 1)))},
        parameter_domain={"eps": (-3.0, 3.0), "V_L": (0.0, 2.0), "V_R": (0.0, 2.0)},
        defaults={"eps": 0.2, "V_L": 0.5, "V_R": 0.5}, reservoir_names=("L", "R"),
    )  # fmt: skip


def jump_schedule(u):
    return np.where(np.asarray(u) >= 0.5, 1.0, 0.5 * np.asarray(u))


RLM = st.models.resonant_level(t0=1.25)
CASES = {
    # a slow level ramp with outputs inside the piece
    "level ramp": (RLM, st.Bath(T=0.1), dyn.Protocol(st.Path.line({"eps_s": 0.0, "V": 0.6}, {"eps_s": 1.0, "V": 0.6}), duration=8.0),
                   np.linspace(0.0, 8.0, 9), {}),
    # both parameters along the built-in smooth schedule, then a hold (a constant piece after it)
    "coupling, smooth, hold": (RLM, st.Bath(T=0.05, mu=0.2),
                               dyn.Protocol(st.Path.line({"eps_s": -0.5, "V": 0.3}, {"eps_s": 0.7, "V": 1.1}), duration=3.0,
                                            schedule="smooth", hold=2.0), np.linspace(0.0, 5.0, 6), {}),
    # a schedule with a jump at u = 1/2: two smooth pieces around a sudden quench
    "jump": (RLM, st.Bath(T=0.2), dyn.Protocol(st.Path.line({"eps_s": 0.0, "V": 0.6}, {"eps_s": 1.0, "V": 0.6}), duration=4.0,
                                               schedule=jump_schedule), np.array([0.0, 1.0, 2.0, 3.0, 4.0]), {}),
    # the product start (system and reservoir in their own Gibbs states)
    "product start": (RLM, st.Bath(T=0.1), dyn.Protocol(st.Path.line({"eps_s": 0.3, "V": 0.5}, {"eps_s": -0.4, "V": 0.8}), duration=3.0),
                      np.linspace(0.0, 3.0, 4), {"initial": "product"}),
    # a biased level between two leads, each in its own equilibrium, while the level moves
    "bias, partitioned": (dot_between_leads(), {"L": st.Bath(T=0.1, mu=0.3), "R": st.Bath(T=0.05, mu=-0.3)},
                          dyn.Protocol(st.Path.line({"eps": 0.2, "V_L": 0.5, "V_R": 0.5}, {"eps": -0.3, "V_L": 0.7, "V_R": 0.4}), duration=4.0),
                          np.linspace(0.0, 4.0, 5), {"initial": "partitioned"}),
}  # fmt: skip


@pytest.mark.parametrize("name", list(CASES))
def test_interaction_road_agrees_with_the_magnus_road(name):
    model, bath, proto, times, extra = CASES[name]
    kwargs = {"times": times, "mean_force_energies": False, "reference": False, **extra}
    fast = dyn.drive(model, bath, proto, method="interaction", **kwargs)
    slow = dyn.drive(model, bath, proto, method="magnus", dt=0.01, work_tol=None, **kwargs)
    assert fast.chain.L == slow.chain.L
    for key in ("W_ext", "universe_energy", "expectation_H_S", "expectation_H_SR", "heat", "particle_number",
                "reduced_state", "entropy_production", "relative_entropy"):  # fmt: skip
        a, b = getattr(fast, key), getattr(slow, key)
        assert np.array_equal(np.isnan(a), np.isnan(b)), key  # NaN where a quantity is undefined (bias)
        assert np.nanmax(np.abs(a - b), initial=0.0) < AGREE, key
    if fast.biased:
        for key in ("particle_current", "energy_current", "lead_heat", "pumped_charge"):
            assert np.max(np.abs(getattr(fast, key) - getattr(slow, key))) < AGREE, key
    assert fast.integrator.energy_balance_residual < 1e-10
    assert fast.integrator.n_steps < slow.integrator.n_steps / 10  # the long steps


def test_interaction_road_refines_a_pass_that_misses_work_tol(monkeypatch):
    # with far too few collocation nodes (q = 3 a step) the first pass misses work_tol: the energy
    # balance rejects it, the step shrinks until it is met, and W agrees with the converged Magnus road
    import strongtherm.dynamics.interaction as interaction

    monkeypatch.setattr(interaction, "NODES_PER_PHASE", 0.0)
    monkeypatch.setattr(interaction, "NODES_FLOOR", 3)
    proto = dyn.Protocol(st.Path.line({"eps_s": -1.0, "V": 0.4}, {"eps_s": 1.5, "V": 0.9}), duration=3.0, schedule="smooth")
    kwargs = {"times": [0.0, 3.0], "mean_force_energies": False, "reference": False, "entropy": False}
    run = dyn.drive(RLM, st.Bath(T=0.1), proto, method="interaction", **kwargs)
    monkeypatch.undo()
    reference = dyn.drive(RLM, st.Bath(T=0.1), proto, method="magnus", dt=0.005, work_tol=None, **kwargs)
    assert run.integrator.refinements >= 1
    assert run.integrator.work_error_estimate < 1e-8
    assert abs(run.W_ext[-1] - reference.W_ext[-1]) < 1e-8


def test_collocation_rule_integrates_polynomials_exactly():
    # int_0^{x_j} p = S @ p(x) for degree < q, and the weights integrate over [0, 1] (to rounding, 1e-14)
    q = 12
    x, w, S = collocation_rule(q)
    for k in range(q):
        np.testing.assert_allclose(S @ x**k, x ** (k + 1) / (k + 1), rtol=0, atol=1e-14, err_msg=f"degree {k}")
        assert w @ x**k == pytest.approx(1.0 / (k + 1), abs=1e-14)
    assert nodes_for_step(2.5, 16.0) == 48 and nodes_for_step(1e3, 1e3) == 128  # r h = 40: 0.9 x 40 + 12; capped


def test_bad_method():
    proto = dyn.Protocol(st.Path.line({"eps_s": 0.0, "V": 0.5}, {"eps_s": 1.0, "V": 0.5}), duration=1.0)
    with pytest.raises(ValueError, match="method must be 'magnus' or 'interaction', got 'rk4'"):
        dyn.drive(RLM, st.Bath(T=0.1), proto, method="rk4")


def test_refinement_stops_when_a_finer_step_does_not_help():
    # a user schedule wobbling 30 times in tau = 1: its finite-difference derivative (the power's
    # d lambda/dt) is off in W by more than work_tol whatever the step, so the energy balance cannot reach
    # work_tol. Refinement stops after two passes in a row that do not halve the residual (before: it
    # went on to max_steps, ~10^6 steps) and says so (strict raises, as for the budget: the same
    # report). The stop is the smooth pieces' loop, shared by both roads: one road tested.
    from strongtherm.core.warnings import NumericsWarning

    def wobble(u):
        u = np.asarray(u, dtype=float)
        return u + 0.1 * np.sin(60 * np.pi * u) * 4 * u * (1 - u)

    proto = dyn.Protocol(st.Path.line({"eps_s": -1.0, "V": 0.4}, {"eps_s": 1.5, "V": 0.9}), duration=1.0, schedule=wobble)
    kwargs = {"times": [0.0, 1.0], "mean_force_energies": False, "reference": False, "entropy": False}
    with pytest.warns(NumericsWarning, match="finer steps do not reduce it"):
        run = dyn.drive(RLM, st.Bath(T=0.1), proto, **kwargs)
    assert run.integrator.n_steps < 100_000 and run.integrator.work_error_estimate > 1e-8
