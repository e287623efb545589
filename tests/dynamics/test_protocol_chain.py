"""Protocols (schedules, holds, kinks, bad input) and the chain mappings of the reservoirs."""

from __future__ import annotations

import numpy as np
import pytest

import strongtherm as st
from strongtherm import dynamics as dyn

LINE = st.Path.line({"eps_s": 0.0, "V": 0.6}, {"eps_s": 1.0, "V": 0.4})


def test_linear_and_smooth_schedules():
    proto = dyn.Protocol(LINE, duration=4.0, hold=1.0)
    assert proto.total_time == 5.0
    # exact arithmetic of a straight line: tolerance is rounding
    assert proto.parameters(1.0) == pytest.approx({"eps_s": 0.25, "V": 0.55}, abs=1e-15)
    assert proto.parameters(4.7) == pytest.approx({"eps_s": 1.0, "V": 0.4}, abs=1e-15)
    assert proto.rates(2.0) == pytest.approx({"eps_s": 0.25, "V": -0.05}, abs=1e-15)
    assert proto.rates(4.5) == {"eps_s": 0.0, "V": 0.0}  # the hold
    smooth = dyn.Protocol(LINE, duration=2.0, schedule="smooth")
    # zero speed at both ends, s(1/2) = 1/2 exactly (sin^2(pi/4))
    assert smooth.progress_rate(np.array([0.0, 2.0])) == pytest.approx([0.0, 0.0], abs=1e-15)
    assert float(smooth.progress(1.0)) == pytest.approx(0.5, abs=1e-15)


def test_user_schedule_derivative_by_finite_differences():
    sched = dyn.Schedule.from_function(lambda u: u**3)
    u = np.array([0.0, 0.3, 0.77, 1.0])
    # inside: 4th-order differences with step h = 1e-4, error ~h^4 s^(5) plus rounding eps/h ~ 1e-12;
    # at the ends the stencil is shifted by 2h and corrected to first order, error (2h)^2 s'''/2 =
    # 1.2e-7 for s = u^3
    assert sched.derivative(u[1:3]) == pytest.approx(3 * u[1:3] ** 2, abs=1e-10)
    assert sched.derivative(u[[0, 3]]) == pytest.approx(3 * u[[0, 3]] ** 2, abs=1.3e-7)


def test_piecewise_schedule_with_hold_and_kinks():
    proto = dyn.Protocol(LINE, duration=10.0, schedule=[(0.0, 0.0), (0.4, 0.5), (0.6, 0.5), (1.0, 1.0)])
    assert proto.constant_intervals() == [(4.0, 6.0)]
    assert proto.kinks() == pytest.approx([0.0, 4.0, 6.0, 10.0], abs=1e-12)
    corners = st.Path.corners([{"eps_s": 0.0}, {"eps_s": 1.0}, {"eps_s": 0.5}])
    # the path corner at s = 1/2 is crossed at t = tau/2 for the linear schedule
    assert dyn.Protocol(corners, duration=8.0).kinks() == pytest.approx([0.0, 4.0, 8.0], abs=1e-12)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"duration": -1.0}, "duration"),
        ({"duration": float("inf")}, "duration"),
        ({"duration": 1.0, "hold": -2.0}, "hold"),
        ({"duration": 1.0, "schedule": "fast"}, "schedule"),
        ({"duration": 1.0, "schedule": lambda u: 2 * u}, r"s\(1\) = 1"),
        ({"duration": 1.0, "schedule": lambda u: 1.5 * np.sin(np.pi * u / 2) ** 2 - 0.5 * u**2}, r"\[0, 1\]"),
        ({"duration": 1.0, "schedule": lambda u: u + 0.1}, r"s\(0\) = 0"),
        ({"duration": 1.0, "schedule": [(0.0, 0.0), (0.5, 1.2), (1.0, 1.0)]}, r"\[0, 1\]"),
        ({"duration": 1.0, "schedule": [(0.0, 0.0), (0.7, 0.5), (0.6, 1.0)]}, "rise strictly"),
    ],
)
def test_bad_protocols(kwargs, match):
    with pytest.raises(ValueError, match=match):
        dyn.Protocol(LINE, **kwargs)


def test_path_must_be_a_path():
    with pytest.raises(ValueError, match="path"):
        dyn.Protocol({"eps_s": 0.0}, duration=1.0)  # type: ignore[arg-type]


@pytest.mark.parametrize("z", [0.3 + 0.4j, -2.0 + 0.05j, 4.0 + 0.1j])
def test_wide_band_chain_is_exact(z):
    band = st.negf.WideBand(D=3.0, e0=0.2)
    mapping = dyn.chain_mapping(band)
    # Legendre recursion: the continued fraction converges geometrically at Im z > 0; 4000 sites
    # reach rounding (1e-14) even at Im z = 0.05
    exact = band.surface_greens_function(np.array(z))[0, 0]
    assert abs(mapping.surface_greens_function(z, 4000) - exact) < 1e-12


def test_tight_binding_chain_is_exact():
    chain = st.negf.TightBindingChain(t0=1.25, e0=0.1)
    z = 0.7 + 0.3j
    exact = chain.surface_greens_function(np.array(z))[0, 0]
    assert abs(dyn.chain_mapping(chain).surface_greens_function(z, 2000) - exact) < 1e-12  # rounding


def test_lorentzian_mapping_error_falls_like_W_over_cutoff():
    band = st.negf.LorentzianBand(W=1.0)
    z = 0.3 + 0.4j
    exact = band.surface_greens_function(np.array(z))[0, 0]
    errors = [abs(dyn.chain_mapping(band, lorentzian_cutoff=c).surface_greens_function(z, 4000) - exact) for c in (50.0, 200.0)]
    # documented error O(W / D'): a 4x larger cutoff gives a ~4x smaller error (band 2.5x - 6x)
    assert errors[1] < 0.01
    assert 2.5 < errors[0] / errors[1] < 6.0


def test_custom_reservoir_has_no_chain():
    # a Lorentzian's states fill the whole axis: declared so, as CustomReservoir now checks
    custom = st.negf.CustomReservoir(lambda z: 1 / (z + 2j), lambda z: -1 / (z + 2j) ** 2, ((-np.inf, np.inf),))
    with pytest.raises(ValueError, match="no chain representation"):
        dyn.chain_mapping(custom)


def test_chain_length_from_window_and_temperature():
    rlm = st.models.resonant_level(t0=1.25)
    short = dyn.chain_length(rlm, st.Bath(T=0.1), 1.0)
    long = dyn.chain_length(rlm, st.Bath(T=0.1), 200.0)
    # short window: thermodynamics decides; long: the return time 2 L / v_max must exceed it
    assert short.L == short.thermal_length and short.thermal_error <= 1e-10
    assert long.L == long.return_length and long.return_time > 200.0
    with pytest.raises(ValueError, match="max_sites"):
        dyn.chain_length(rlm, st.Bath(T=0.1), 5000.0)
    with pytest.raises(ValueError, match="too short"):
        dyn.chain_length(rlm, st.Bath(T=0.1), 200.0, L=100)
