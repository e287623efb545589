"""Issue 21 (item 4 and the workflow's memory and error items): the workflow is never silently
wrong and never runs away. Every case is a correct result or a clear error naming the key or
parameter and its allowed range, with the inputs the issue reports."""

from __future__ import annotations

import json
import warnings
from dataclasses import fields
from pathlib import Path

import numpy as np
import pytest

import strongtherm as st
from strongtherm import tasks
from strongtherm.cli import main
from strongtherm.config import (
    MAX_OUTPUT_TIMES,
    OUTPUT_FORMATS,
    TASK_KEYS,
    ConfigError,
    TaskConfig,
    load_config,
    parse_config,
)
from strongtherm.sweeps import MAX_POINTS, SweepWarning

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
RLM = {"name": "resonant_level", "args": {"t0": 1.25}}
DOT = {"name": "negf_matrices", "args": {"h_S": [[0.0]], "couplings": [[[0.3]], [[0.3]]],
                                         "reservoirs": [{"t0": 1.0}, {"t0": 1.0}],
                                         "parameters": {"eps": {"default": 0.2, "h_S": [[1.0]]}}}}
SPIN = {"name": "two_spin", "args": {"eps": 0.0, "alpha": 0.8, "gamma": 1.2, "chi": 1.8}}
CHAIN = {"name": "qubit_on_spin_chain", "args": {"n": 4}}

#: one small valid config per (engine, task kind): the rows of TASK_KEYS
VALID: dict[tuple[str, str], dict] = {
    ("negf", "state"): {"model": RLM, "bath": {"T": 0.1}, "task": {"kind": "state", "params": {"eps_s": 0.5, "V": 0.6}}},
    ("negf", "path"): {"model": RLM, "bath": {"T": 0.1}, "task": {
        "kind": "path", "points": [{"eps_s": 0.5, "V": 0.6}, {"eps_s": 1.0, "V": 0.6}], "panels_per_segment": 1}},
    ("negf", "drive"): {"model": RLM, "bath": {"T": 0.1}, "task": {
        "kind": "drive", "points": [{"eps_s": 0.0, "V": 0.6}, {"eps_s": 1.0, "V": 0.6}], "duration": 1.0, "n_times": 3}},
    ("negf", "friction"): {"model": RLM, "bath": {"T": 0.1}, "task": {
        "kind": "friction", "points": [{"eps_s": 0.0, "V": 0.6}, {"eps_s": 1.0, "V": 0.6}], "panels_per_segment": 1}},
    ("negf", "sweep"): {"model": RLM, "bath": {"T": 0.1}, "task": {
        "kind": "sweep", "params": {"V": 0.6}, "grid": {"eps_s": [0.5, 1.0]}}},
    ("negf", "transport"): {"model": DOT, "bath": {"T": 0.05}, "task": {"kind": "transport", "baths": [{"mu": 0.1}, {}]}},
    ("negf", "statistics"): {"model": RLM, "bath": {"T": 0.2}, "task": {
        "kind": "statistics", "points": [{"eps_s": 0.0, "V": 0.6}, {"eps_s": 1.0, "V": 0.6}], "duration": 1.0,
        "u_max": 2.0, "n_u": 5, "L": 20}},
    ("exact", "state"): {"model": SPIN, "bath": {"beta": 1.0}, "task": {"kind": "state"}},
    ("exact", "quench"): {"model": SPIN, "bath": {"beta": 1.0}, "task": {"kind": "quench", "A": {"eps": 0.0}, "B": {"eps": 2.0}}},
    ("exact", "sweep"): {"model": SPIN, "bath": {"beta": 1.0}, "task": {"kind": "sweep", "grid": {"eps": [0.0, 1.0]}}},
    ("exact", "statistics"): {"model": SPIN, "bath": {"beta": 1.0}, "task": {
        "kind": "statistics", "A": {"eps": 0.0}, "B": {"eps": 2.0}, "measure": "H*"}},
    ("exact", "drive"): {"model": SPIN, "bath": {"beta": 1.0}, "task": {
        "kind": "drive", "points": [{"eps": 0.0}, {"eps": 2.0}], "duration": 1.0, "n_times": 3}},
    ("typicality", "state"): {"model": CHAIN, "bath": {"beta": 1.0}, "task": {"kind": "state", "samples": 4}},
    ("typicality", "drive"): {"model": CHAIN, "bath": {"beta": 1.0}, "task": {
        "kind": "drive", "points": [{"eps": 0.5}, {"eps": 1.0}], "duration": 0.5, "n_times": 3, "samples": 4}},
    ("typicality", "sweep"): {"model": CHAIN, "bath": {"beta": 1.0}, "task": {
        "kind": "sweep", "grid": {"eps": [0.5, 1.0]}, "samples": 4, "sectors": True}},
}

#: a value of the right type for every task key (what a user might leave in a config by mistake)
SAMPLE = {"params": {}, "grid": {"eps_s": [0.5]}, "of": "state", "points": [{"eps_s": 0.0}, {"eps_s": 1.0}],
          "panels_per_segment": 4, "A": {"eps": 0.0}, "B": {"eps": 1.0}, "alphas": [0.5], "processes": 2,
          "duration": 1.0, "schedule": "linear", "hold": 1.0, "n_times": 11, "initial": "gibbs",
          "baths": [{}, {}], "state": True, "measure": "H_S", "u_max": 10.0, "n_u": 11, "L": 20,
          "samples": 8, "seed": 1, "method": "deflated", "sectors": True, "exact_states": 4}


def _with(pair: tuple[str, str], **task) -> dict:
    raw = json.loads(json.dumps(VALID[pair]))
    raw["task"].update(task)
    return raw


def test_valid_configs_cover_every_task_and_every_key_has_a_sample():
    assert set(VALID) == set(TASK_KEYS) == set(tasks.TASKS)
    assert set(SAMPLE) == {f.name for f in fields(TaskConfig)} - {"kind"}
    assert all(set(keys) <= set(SAMPLE) for keys in TASK_KEYS.values())  # every row names real keys
    for pair in VALID:
        parse_config(VALID[pair])


@pytest.mark.parametrize(("pair", "key"), [(pair, key) for pair in TASK_KEYS for key in SAMPLE if key not in TASK_KEYS[pair]],
                         ids=lambda v: "-".join(v) if isinstance(v, tuple) else v)
def test_every_key_a_kind_does_not_read_is_refused_naming_it(pair, key):
    # issue 21, item 4.1: a key a task does not read was silently ignored; now it names the key
    # and the kinds that read it (or the engine that does)
    with pytest.raises(ConfigError, match=rf"task\.{key} is (used only by kind = |not used by the )"):
        parse_config(_with(pair, **{key: SAMPLE[key]}))


def test_the_reported_cases_name_the_key_and_its_kinds():
    with pytest.raises(ConfigError, match=r"^task\.grid is used only by kind = 'drive' or 'sweep' or 'transport', not 'path'$"):
        parse_config(_with(("negf", "path"), grid={"eps_s": [1.0, 2.0]}))
    with pytest.raises(ConfigError, match=r"^task\.hold is used only by kind = 'drive' or 'statistics', not 'state'$"):
        parse_config(_with(("negf", "state"), hold=2.0))
    with pytest.raises(ConfigError, match=r"task\.alphas is not used by the exact engine \(only by negf models\)"):
        parse_config(_with(("exact", "state"), alphas=[0.5]))
    with pytest.raises(ConfigError, match=r"task\.processes sets the worker processes of a sweep: it needs task\.grid"):
        parse_config(_with(("negf", "transport"), processes=2))
    with pytest.raises(ConfigError, match=r"task\.A and task\.B .* only with of = 'quench'"):
        parse_config(_with(("exact", "sweep"), A={"eps": 0.0}))


@pytest.mark.parametrize("pair", list(VALID), ids="-".join)
def test_every_format_a_task_accepts_writes_a_file_and_the_others_are_refused(pair, tmp_path):
    # issue 21, item 4.2: formats = ["netcdf"] on a drive exited 0 and wrote no data
    config = parse_config(_with(pair))
    writes = OUTPUT_FORMATS[config.task.output_kind]
    assert config.output.formats == writes  # the default: everything the task writes
    suffix = {"json": ".json", "csv": ".csv", "netcdf": ".nc"}
    for other in sorted(set(suffix) - set(writes)):
        with pytest.raises(ConfigError, match=rf"output\.formats must be a list drawn from {', '.join(writes)} "
                                              rf"\(what kind = '{pair[1]}' writes\), got \['{other}'\]"):
            parse_config({**_with(pair), "output": {"formats": [other]}})
    pytest.importorskip("xarray")
    files = tasks.run(config, tmp_path / "out", progress=False, log=lambda _: None)
    data = {p.suffix for p in files if p.name not in ("summary.json", "resolved_config.json")} - {".png"}
    assert data == {suffix[f] for f in writes}


def test_a_drive_refuses_netcdf_on_the_command_line(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["run", str(EXAMPLES / "resonant_level_drive.toml"), "--out", str(out), "--quiet",
                 "--set", "output.formats=['netcdf']"]) == 2
    assert "output.formats must be a list drawn from json, csv (what kind = 'drive' writes), got ['netcdf']" in capsys.readouterr().err
    assert not out.exists()


def test_a_state_task_without_json_writes_no_data_file(tmp_path):
    config = parse_config({**_with(("exact", "state")), "output": {"formats": [], "plot": False}})
    files = tasks.run(config, tmp_path / "out", log=lambda _: None)
    assert sorted(p.name for p in files) == ["resolved_config.json", "summary.json"]


def _constant(x: float) -> dict[str, float]:
    return {"y": 2.0 * x}


def test_explicit_processes_that_cannot_be_used_warn():
    # issue 21, item 4.3: processes=2 with <= 25 points ran serially without saying so
    pytest.importorskip("xarray")
    with pytest.warns(SweepWarning, match=r"processes=2 was given, but the sweep's 5 points make one chunk "
                                          r"\(chunk_size=25\): it ran serially"):
        ds = st.sweep(_constant, {"x": np.linspace(0.0, 1.0, 5)}, processes=2, progress=False)
    assert ds.attrs["backend"] == "serial"
    np.testing.assert_array_equal(ds["y"].values, 2.0 * np.linspace(0.0, 1.0, 5))  # exact arithmetic
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # processes=None or 1: the caller asked for nothing to share
        st.sweep(_constant, {"x": [0.0, 1.0]}, progress=False)
        st.sweep(_constant, {"x": [0.0, 1.0]}, processes=1, progress=False)


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("task.n_times=1e8", f"task.n_times must be an integer in [2, {MAX_OUTPUT_TIMES}], got 100000000.0"),
        ("task.n_times=100000000", f"task.n_times must be an integer in [2, {MAX_OUTPUT_TIMES}], got 100000000"),
    ],
)
def test_drive_output_times_are_bounded_before_allocation(tmp_path, capsys, override, message):
    # issue 21, item 4.4: --set task.n_times=1e8 ended in a MemoryError traceback
    out = tmp_path / "out"
    assert main(["run", str(EXAMPLES / "resonant_level_drive.toml"), "--out", str(out), "--quiet", "--set", override]) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("task.grid.eps_s={'start': 0, 'stop': 1, 'num': 100000000}",
         f"task.grid.eps_s.num must be an integer in [1, {MAX_POINTS}], got 100000000"),
        ("task.grid.eps_s={'start': 0, 'stop': 1, 'num': 1e8}",
         f"task.grid.eps_s.num must be an integer in [1, {MAX_POINTS}], got 100000000.0"),
        ("task.grid.eps_s={'start': 0, 'stop': 1, 'num': 1000000}",
         f"task.grid has 2000000 points (eps_s: 1000000 x V: 2); a sweep takes at most {MAX_POINTS}"),
    ],
)
def test_sweep_grids_are_bounded_before_allocation(tmp_path, capsys, override, message):
    out = tmp_path / "out"
    assert main(["run", str(EXAMPLES / "resonant_level_sweep.toml"), "--out", str(out), "--quiet", "--set", override]) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()


def test_sweep_refuses_more_points_than_its_bound_before_building_them():
    with pytest.raises(ValueError, match=rf"grid has 1000001000 points \(a: 1000 x b: 1000001\); a sweep takes at most {MAX_POINTS}"):
        st.sweep(_constant, {"a": np.arange(1000.0), "b": np.arange(1_000_001.0)}, progress=False)


def test_friction_panels_and_budgets_are_bounded():
    rlm = st.models.resonant_level(t0=1.25)
    path = st.Path.line({"eps_s": 1.5, "V": 0.6}, {"eps_s": 2.0, "V": 0.6})
    with pytest.raises(ValueError, match=r"panels_per_segment must be an integer in \[1, 256\], got 100000"):
        st.dynamics.friction(rlm, st.Bath(T=0.1), path, panels_per_segment=100000)
    corners = st.Path.corners([{"eps_s": 1.5 + 0.1 * i, "V": 0.6 + 0.01 * (i % 2)} for i in range(10)])
    with pytest.raises(ValueError, match=r"panels_per_segment=256 on the path's 9 smooth segments gives 2304 panels; "
                                         r"at most 2048 \(MAX_PATH_PANELS\)"):
        st.dynamics.friction(rlm, st.Bath(T=0.1), corners, panels_per_segment=256)
    for name, bad, span in (("initial_panels", 10**6, r"\[1, 1024\]"), ("max_refinements", 10**6, r"\[0, 60\]"),
                            ("max_path_refinements", 31, r"\[0, 30\]")):  # fmt: skip
        with pytest.raises(ValueError, match=rf"{name} must be an integer in {span}, got {bad}"):
            st.dynamics.FrictionOptions(**{name: bad})
    with pytest.raises(ConfigError, match=r"task\.panels_per_segment must be an integer in \[1, 256\], got 100000"):
        parse_config(_with(("negf", "path"), panels_per_segment=100000))
    # the rest of the friction wing's sizes: the schedule's table, the geodesic's grid and segments
    fr = st.dynamics.friction(rlm, st.Bath(T=0.1), path, panels_per_segment=1)
    with pytest.raises(ValueError, match=r"n_table must be an integer in \[2, 100000\], got 100000000"):
        fr.optimal_protocol(1.0, n_table=10**8)
    ends = ({"eps_s": -0.5, "V": 0.6}, {"eps_s": 1.0, "V": 0.4})
    for name, bad, span in (("grid_points", 1000, r"\[6, 101\]"), ("n_segments", 10**6, r"\[4, 1024\]")):
        with pytest.raises(ValueError, match=rf"{name} must be an integer in {span}, got {bad}"):
            st.dynamics.geodesic(rlm, st.Bath(T=0.1), *ends, **{name: bad})


def test_friction_refinement_stops_at_the_panel_limit(monkeypatch):
    import importlib

    friction_module = importlib.import_module("strongtherm.dynamics.friction")  # the name is the function too
    rlm = st.models.resonant_level(t0=1.25)
    path = st.Path.line({"eps_s": -1.0, "V": 0.3}, {"eps_s": 1.0, "V": 0.3})  # the resonance crosses mu: refinement wanted
    monkeypatch.setattr(friction_module, "MAX_PATH_PANELS", 2)
    with pytest.warns(st.core.warnings.NumericsWarning, match=r"path integrals stopped at the limit of 2 panels"):
        fr = st.dynamics.friction(rlm, st.Bath(T=0.02), path, panels_per_segment=1)
    assert len(fr.s_edges) - 1 <= 2


def test_a_corrupt_qutip_file_names_the_file_and_the_key(tmp_path, capsys):
    # issue 21, item 4.5: a corrupt .qu gave a raw UnpicklingError
    np.save(tmp_path / "h.npy", np.array([[0.0, 0.5], [0.5, 0.0]]))
    np.savez(tmp_path / "m.npz", deps=np.diag([1.0, -1.0]), V1=np.array([[0.0, 0.0]]))
    (tmp_path / "c.toml").write_text(
        "[model]\nname = \"negf_matrices\"\n[model.args]\n"
        "h_S = \"h.npy\"\ncouplings = [\"m.npz:V1\", \"v2.qu\"]\n"
        "reservoirs = [{ t0 = 1.25 }, { t0 = 1.25 }]\n"
        "parameters = { eps = { default = 0.0, h_S = \"m.npz:deps\" } }\n"
        "[bath]\nT = 0.05\n[task]\nkind = \"state\"\nparams = { eps = 0.3 }\n"
    )
    pytest.importorskip("qutip")
    for content, error in ((b"garbage", "UnpicklingError"), (b"", "EOFError"), (b"\x80\x04\x95", "UnpicklingError")):
        (tmp_path / "v2.qu").write_bytes(content)
        with pytest.raises(ConfigError, match=rf"model\.args\.couplings\[1\]: matrix file .*v2\.qu is not a readable "
                                              rf"QuTiP qsave file \({error}"):
            load_config(tmp_path / "c.toml").model.build()
        assert main(["run", str(tmp_path / "c.toml"), "--out", str(tmp_path / "out")]) == 2
        assert "is not a readable QuTiP qsave file" in capsys.readouterr().err
        assert not (tmp_path / "out").exists()
    (tmp_path / "v2.qu").write_bytes(__import__("pickle").dumps("not a matrix"))
    with pytest.raises(ConfigError, match=r"model\.args\.couplings\[1\] .*\(read from the matrix file .*v2\.qu\)"):
        load_config(tmp_path / "c.toml").model.build()


def test_a_quasistatic_sweep_bounds_its_panels_and_never_truncates_them():
    # int(panels_per_segment) turned 2.7 into 2 in silence; and nothing bounded it
    rlm = st.models.resonant_level(t0=1.25)

    def line(V: float) -> st.Path:
        return st.Path.line({"eps_s": 0.0, "V": V}, {"eps_s": 1.0, "V": V})

    for bad in (2.7, 100000):
        with pytest.raises(ValueError, match=rf"panels_per_segment must be an integer in \[1, 256\], got {bad}"):
            st.sweeps.negf_quasistatic(rlm, st.Bath(T=0.1), line, panels_per_segment=bad)
    assert st.sweeps.negf_quasistatic(rlm, st.Bath(T=0.1), line, panels_per_segment=8.0).panels_per_segment == 8


def test_a_quasistatic_path_called_directly_is_bounded_too():
    # the bound lives on Path.panel_edges, which every path quadrature takes its panels from
    path = st.Path.line({"eps_s": 0.0, "V": 0.6}, {"eps_s": 1.0, "V": 0.6})
    with pytest.raises(ValueError, match=r"panels_per_segment must be an integer in \[1, 256\]"):
        st.negf.quasistatic(st.models.resonant_level(t0=1.25), st.Bath(T=0.1), path, panels_per_segment=100000)
