"""Issue 21 (a new user's findings): the dynamics tasks of configs take flat-band and Lorentzian
reservoirs, schedules given by knots, and the ramp duration as a grid axis; ``friction`` is a
task. Each config is checked against the library call it stands for, and each bad input is a
clear error naming the key and what is allowed."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import strongtherm as st
from strongtherm import tasks
from strongtherm.cli import main
from strongtherm.config import TASK_KINDS, ConfigError, load_config, parse_config

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
CORNERS = [{"eps_s": 0.0, "V": 0.6}, {"eps_s": 1.0, "V": 0.6}]
FLAT = {"name": "resonant_level", "args": {"reservoir": {"band": "flat", "D": 4.0}}}
LORENTZIAN = {"name": "resonant_level", "args": {"reservoir": {"band": "lorentzian", "W": 1.0}}}
KNOTS = [[0.0, 0.0], [0.5, 0.2], [1.0, 1.0]]
QUIET = {"progress": False, "log": lambda _: None}


def _drive(model: dict, **task) -> dict:
    return {"model": model, "bath": {"T": 0.1}, "task": {"kind": "drive", "points": CORNERS, **task}}


def _protocol(duration: float, schedule: object = "linear") -> st.dynamics.Protocol:
    return st.dynamics.Protocol(st.Path.corners(CORNERS), duration=duration, schedule=schedule)


# --------------------------------------------------------------------------- reservoirs
@pytest.mark.parametrize(("spec", "cls", "values"), [
    ({"band": "flat", "D": 4.0}, st.negf.WideBand, {"D": 4.0, "e0": 0.0}),
    ({"band": "lorentzian", "W": 1.0, "e0": 0.2}, st.negf.LorentzianBand, {"W": 1.0, "e0": 0.2}),
    ({"band": "chain", "t0": 0.9}, st.negf.TightBindingChain, {"t0": 0.9, "e0": 0.0}),
    ({"t0": 0.9}, st.negf.TightBindingChain, {"t0": 0.9, "e0": 0.0}),  # no band: the chain, as before
], ids=["flat", "lorentzian", "chain", "chain-default"])
def test_a_config_builds_the_reservoir_its_band_names(spec, cls, values):
    for model in ({"name": "resonant_level", "args": {"reservoir": spec}},
                  {"name": "negf_matrices", "args": {"h_S": [[0.0]], "couplings": [[[0.5]]], "reservoirs": [spec]}}):
        built = parse_config({"model": model, "bath": {"T": 0.1},
                              "task": {"kind": "state", "params": {"eps_s": 0.0, "V": 0.6} if "reservoir" in model["args"] else {}}})
        (reservoir,) = built.model.build().reservoirs
        assert type(reservoir) is cls and {k: getattr(reservoir, k) for k in values} == values


def test_a_drive_on_a_flat_band_is_the_library_drive_on_that_band(tmp_path):
    # the config stands for st.dynamics.drive on WideBand(4): the same numbers (same call, so
    # rtol 1e-13 only admits rounding), and not those of the default chain (they differ by > 1e-3)
    config = parse_config(_drive(FLAT, duration=2.0, n_times=3))
    files = tasks.run(config, tmp_path / "flat", **QUIET)
    ours = json.loads((tmp_path / "flat" / "drive.json").read_text())["results"]
    model = st.models.resonant_level(reservoir=st.negf.WideBand(D=4.0))
    theirs = st.dynamics.drive(model, st.Bath(T=0.1), _protocol(2.0), times=np.linspace(0.0, 2.0, 3)).to_dict()
    np.testing.assert_allclose(ours["W_ext"], theirs["W_ext"], rtol=1e-13)
    np.testing.assert_allclose(ours["delta_F_S_engine"], theirs["delta_F_S_engine"], rtol=1e-13)
    chain = st.dynamics.drive(st.models.resonant_level(), st.Bath(T=0.1), _protocol(2.0), times=[0.0, 2.0]).to_dict()
    assert abs(ours["W_ext"] - chain["W_ext"]) > 1e-3
    assert (tmp_path / "flat" / "drive.png") in files


@pytest.mark.parametrize(("spec", "message"), [
    ({"band": "box", "D": 1.0}, r"reservoir\.band must be one of \['chain', 'flat', 'lorentzian'\], got 'box'"),
    ({"band": "flat", "W": 1.0}, r"reservoir has unknown key\(s\) \['W'\]; a 'flat' band takes: band, D, e0"),
    ({"band": "lorentzian"}, r"reservoir needs W for band = 'lorentzian'"),
    ({"band": "flat", "D": -1.0}, r"reservoir: D must be .*\(0, inf\]"),
], ids=["unknown-band", "foreign-key", "missing-width", "negative-width"])
def test_a_bad_reservoir_is_refused_before_any_folder_naming_the_key(spec, message, tmp_path, capsys):
    config = tmp_path / "bad.toml"
    config.write_text("[model]\nname = 'resonant_level'\n[model.args]\nreservoir = " + _toml_table(spec)
                      + "\n[bath]\nT = 0.1\n[task]\nkind = 'friction'\npoints = [{eps_s = 0.0, V = 0.6}, {eps_s = 1.0, V = 0.6}]\n")
    out = tmp_path / "out"
    assert main(["run", str(config), "--out", str(out), "--quiet"]) == 2
    assert __import__("re").search(message, capsys.readouterr().err)
    assert not out.exists()


def _toml_table(spec: dict) -> str:
    return "{" + ", ".join(f"{k} = {json.dumps(v)}" for k, v in spec.items()) + "}"


def test_a_reservoir_and_t0_together_are_refused():
    with pytest.raises(ValueError, match=r"give reservoir or t0, e0 \(the chain it replaces\), not both"):
        st.models.resonant_level(t0=1.0, reservoir={"band": "flat", "D": 4.0})
    with pytest.raises(ValueError, match=r"reservoirs must hold 2 reservoir\(s\), got 1"):
        st.models.two_level_two_reservoirs(reservoirs=[{"band": "flat", "D": 4.0}])


# --------------------------------------------------------------------------- knots
def test_a_knot_schedule_is_the_piecewise_schedule_of_the_library(tmp_path):
    config = parse_config(_drive(FLAT, duration=2.0, n_times=3, schedule=KNOTS))
    assert config.task.schedule == ((0.0, 0.0), (0.5, 0.2), (1.0, 1.0))
    tasks.run(config, tmp_path / "knots", **QUIET)
    ours = json.loads((tmp_path / "knots" / "drive.json").read_text())["results"]["W_ext"]
    model = st.models.resonant_level(reservoir=st.negf.WideBand(D=4.0))
    schedule = st.dynamics.Schedule.piecewise([(0.0, 0.0), (0.5, 0.2), (1.0, 1.0)])
    theirs = st.dynamics.drive(model, st.Bath(T=0.1), _protocol(2.0, schedule), times=np.linspace(0.0, 2.0, 3)).W_ext[-1]
    linear = st.dynamics.drive(model, st.Bath(T=0.1), _protocol(2.0), times=[0.0, 2.0]).W_ext[-1]
    np.testing.assert_allclose(ours, theirs, rtol=1e-13)  # the same call: rounding only
    assert abs(ours - linear) > 1e-3  # the knots were used, not the default linear schedule


@pytest.mark.parametrize(("knots", "message"), [
    ([[0.0, 0.0], [0.6, 0.5], [0.4, 0.7], [1.0, 1.0]], r"task\.schedule: schedule knots: u must rise strictly from 0 to 1"),
    ([[0.0, 0.0], [0.5, 1.2], [1.0, 1.0]], r"task\.schedule: schedule knots: s must lie in \[0, 1\] and run from 0 to 1"),
    ([[0.0, 0.0], [1.0, 0.9]], r"task\.schedule: schedule knots: s must lie in \[0, 1\] and run from 0 to 1"),
    ([[0.0, 0.0], [0.5], [1.0, 1.0]], r"task\.schedule\[1\] must be a knot \[u, s\] \(two numbers\)"),
    ([[0.0, 0.0], [0.5, "x"], [1.0, 1.0]], r"task\.schedule\[1\]\[1\] must be a number"),
    ("cubic", r"task\.schedule must be 'linear' or 'smooth' or a list of \[u, s\] knots from \[0, 0\] to \[1, 1\], got 'cubic'"),
], ids=["u-not-rising", "s-above-1", "s-not-ending-at-1", "not-a-pair", "not-a-number", "unknown-name"])
def test_bad_knots_are_refused_naming_task_schedule(knots, message):
    with pytest.raises(ConfigError, match=message):
        parse_config(_drive(FLAT, duration=1.0, schedule=knots))


# --------------------------------------------------------------------------- tau as a grid axis
@pytest.fixture(scope="module")
def duration_sweep(tmp_path_factory):
    pytest.importorskip("xarray")
    out = tmp_path_factory.mktemp("durations") / "out"
    config = parse_config(_drive(FLAT, grid={"duration": [0.0, 0.5, 2.0]}, schedule=KNOTS))
    files = tasks.run(config, out, **QUIET)
    return out, files


def test_a_drive_over_durations_writes_a_sweep_of_the_ramps_end_values(duration_sweep):
    from strongtherm.sweeps import load

    out, files = duration_sweep
    assert {p.name for p in files} == {"resolved_config.json", "sweep.nc", "sweep.csv", "sweep.json", "summary.json", "sweep.png"}
    ds = load(out / "sweep.nc")
    assert list(ds.dims) == ["duration"] and ds["duration"].attrs["units"] == "time"  # hbar / energy
    np.testing.assert_array_equal(ds["duration"].values, [0.0, 0.5, 2.0])
    model = st.models.resonant_level(reservoir=st.negf.WideBand(D=4.0))
    schedule = st.dynamics.Schedule.piecewise([(0.0, 0.0), (0.5, 0.2), (1.0, 1.0)])
    for tau, W in zip(ds["duration"].values, ds["W_ext"].values, strict=True):
        times = [0.0, tau] if tau > 0 else [0.0]
        run = st.dynamics.drive(model, st.Bath(T=0.1), _protocol(float(tau), schedule), times=times)
        np.testing.assert_allclose(W, run.W_ext[-1], rtol=1e-13)  # the same call per point: rounding only
    # the physics the sweep must show: Delta F*_S depends on the path alone (one value to 1e-13),
    # W >= Delta F*_S at every tau (second law, Gibbs start), and W falls towards it as tau grows
    dF = ds["delta_F_S_engine"].values
    np.testing.assert_allclose(dF, dF[0], rtol=1e-13)
    W = ds["W_ext"].values
    assert np.all(W > dF[0]) and np.all(np.diff(W) < 0.0)


def test_the_sweep_over_durations_pickles_for_worker_processes():
    # what processes= and Dask send to workers: the computation must survive pickling (a Path of
    # corners holds closures, so the corners are kept as numbers) and give the same numbers
    import pickle

    model = st.models.resonant_level(reservoir={"band": "flat", "D": 4.0})
    compute = st.sweeps.dynamics_drive(model, st.Bath(T=0.1), CORNERS, schedule=[(0.0, 0.0), (0.5, 0.2), (1.0, 1.0)])
    assert compute.parameters == ("duration",) and compute.units("duration") == "time"
    assert pickle.loads(pickle.dumps(compute))(duration=0.5)["W_ext"] == compute(duration=0.5)["W_ext"]


def test_the_durations_of_a_log_axis_are_spaced_evenly_in_ratio():
    config = parse_config(_drive(FLAT, grid={"duration": {"start": 0.5, "stop": 8.0, "num": 5, "scale": "log"}}))
    np.testing.assert_allclose(config.task.grid["duration"], [0.5, 1.0, 2.0, 4.0, 8.0], rtol=1e-14)


@pytest.mark.parametrize(("task", "message"), [
    ({"grid": {"eps_s": [0.0, 1.0]}}, r"task\.grid of a drive sweeps the ramp duration only \(grid = \{duration = \[\.\.\.\]\}\), "
                                       r"got \['eps_s'\]"),
    ({"grid": {"duration": [1.0, 2.0]}, "duration": 1.0}, r"task\.duration and task\.grid\.duration both give the ramp time"),
    ({"grid": {"duration": [1.0, 2.0]}, "n_times": 11}, r"task\.n_times sets the output times of one drive"),
    ({}, r"task\.duration \(the ramp time, >= 0, units of hbar/energy\) is required for kind = 'drive', or task\.grid\.duration"),
    ({"grid": {"duration": {"start": 0.0, "stop": 8.0, "num": 3, "scale": "log"}}},
     r"task\.grid\.duration: scale = 'log' needs start > 0 and stop > 0, got start = 0\.0"),
    ({"grid": {"duration": {"start": 1.0, "stop": 8.0, "num": 3, "scale": "cubic"}}},
     r"task\.grid\.duration\.scale must be 'linear' or 'log', got 'cubic'"),
    ({"duration": 1.0, "processes": 2}, r"task\.processes sets the worker processes of a sweep: it needs task\.grid"),
], ids=["other-axis", "both-durations", "n_times", "no-duration", "log-from-zero", "unknown-scale", "processes-without-grid"])
def test_a_bad_drive_grid_is_refused_naming_the_key(task, message):
    with pytest.raises(ConfigError, match=message):
        parse_config(_drive(FLAT, **task))


def test_a_negative_duration_on_the_grid_is_refused_before_any_folder(tmp_path):
    config = parse_config(_drive(FLAT, grid={"duration": [-1.0, 1.0]}))
    with pytest.raises(ValueError, match=r"duration must be .*\[0, inf"):
        tasks.prepare(config, progress=False)


# --------------------------------------------------------------------------- friction
def test_a_friction_task_is_the_library_friction_on_a_lorentzian_band(tmp_path):
    config = parse_config({"model": LORENTZIAN, "bath": {"T": 0.1}, "task": {"kind": "friction", "points": CORNERS}})
    files = tasks.run(config, tmp_path / "fr", **QUIET)
    assert {p.name for p in files} == {"resolved_config.json", "friction.json", "friction.csv", "summary.json", "friction.png"}
    ours = json.loads((tmp_path / "fr" / "friction.json").read_text())
    model = st.models.resonant_level(reservoir=st.negf.LorentzianBand(W=1.0))
    theirs = st.dynamics.friction(model, st.Bath(T=0.1), st.Path.corners(CORNERS))
    np.testing.assert_allclose(ours["results"]["work_coefficient"], theirs.predicted_dissipation(1.0), rtol=1e-12)
    assert ours["names"] == ["eps_s", "V"]
    header = next(line for line in (tmp_path / "fr" / "friction.csv").read_text().splitlines() if not line.startswith("#"))
    assert header.split(",") == ["s", "metric", "zeta[eps_s;eps_s]", "zeta[eps_s;V]", "zeta[V;eps_s]", "zeta[V;V]"]


def test_friction_refuses_the_keys_of_a_drive():
    raw = {"model": LORENTZIAN, "bath": {"T": 0.1}, "task": {"kind": "friction", "points": CORNERS, "duration": 1.0}}
    with pytest.raises(ConfigError, match=r"^task\.duration is used only by kind = 'drive' or 'statistics', not 'friction'$"):
        parse_config(raw)
    with pytest.raises(ConfigError, match=r"task\.points must list at least 2 parameter sets for kind = 'friction'"):
        parse_config({**raw, "task": {"kind": "friction", "points": CORNERS[:1]}})


# --------------------------------------------------------------------------- help and example
def test_the_help_lists_every_task_kind(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    text = " ".join(capsys.readouterr().out.split())
    for kinds in TASK_KINDS.values():
        for kind in kinds:
            assert kind in text
    assert "friction" in text


def test_the_durations_example_uses_every_new_form():
    config = load_config(EXAMPLES / "flat_band_durations.toml")
    assert config.model.args["reservoir"]["band"] == "flat"
    assert isinstance(config.task.schedule, tuple) and "duration" in config.task.grid
    assert config.task.output_kind == "sweep"
