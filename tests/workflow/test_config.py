"""``strongtherm run CONFIG.toml`` (issue 5): typed configs, overrides, output folders, examples."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import strongtherm as st
from strongtherm.cli import main
from strongtherm.config import (
    ConfigError,
    apply_overrides,
    load_config,
    new_output_folder,
    parse_config,
)

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
BASE = {
    "model": {"name": "resonant_level", "args": {"t0": 1.25}},
    "bath": {"T": 0.02},
    "task": {"kind": "state", "params": {"eps_s": -1.0, "V": 1.0}},
}


@pytest.mark.parametrize("example", sorted(p.name for p in EXAMPLES.glob("*.toml")))
def test_every_example_runs(tmp_path, example, capsys):
    out = tmp_path / "out"
    assert main(["run", str(EXAMPLES / example), "--out", str(out), "--quiet"]) == 0
    resolved = json.loads((out / "resolved_config.json").read_text())
    assert resolved["strongtherm_version"] == st.__version__
    assert resolved["output"] == {"formats": resolved["output"]["formats"], "plot": resolved["output"]["plot"]}
    assert len(list(out.iterdir())) >= 2


def test_sweep_example_data_and_resolved_defaults(tmp_path):
    xr = pytest.importorskip("xarray")
    from strongtherm.sweeps import load

    out = tmp_path / "sweep"
    assert main(["run", str(EXAMPLES / "resonant_level_sweep.toml"), "--out", str(out), "--quiet",
                 "--set", "task.grid.eps_s=[-1.0, 0.0]", "--set", "bath.T=0.05"]) == 0
    ds = load(out / "sweep.nc")
    xr.testing.assert_identical(ds, load(out / "sweep.csv"))
    eq = st.negf.equilibrium(st.models.resonant_level(1.25), st.Bath(T=0.05), eps_s=0.0, V=0.5)
    np.testing.assert_allclose(ds["system_S"].sel(eps_s=0.0, V=0.5), eq.system.S, rtol=0, atol=1e-10)
    resolved = json.loads((out / "resolved_config.json").read_text())
    assert resolved["bath"] == {"T": 0.05, "mu": 0.0, "beta": 20.0}
    assert resolved["task"]["panels_per_segment"] == 4  # defaults written out
    assert (out / "sweep.png").stat().st_size > 0


def test_quench_example_matches_engine(tmp_path):
    out = tmp_path / "q"
    assert main(["run", str(EXAMPLES / "two_spin_quench.toml"), "--out", str(out), "--quiet"]) == 0
    data = json.loads((out / "quench.json").read_text())
    q = st.exact.quench(st.models.two_spin(0.0, 0.8, 1.2, 1.8), st.models.two_spin(2.0, 0.8, 1.2, 1.8), beta=1.0)
    assert data["results"]["work_Hstar"] == q.work["H*"] and data["kind"] == "system"
    assert data["second_law"] == {"diff": True, "H*": True, "E*": True}


def test_matrix_model_equals_builtin_two_level_model():
    # h_S = [[eps, t_c], [t_c, -eps]] with V on both chains: the built-in model at eps_1 = -eps_2 = eps
    model = st.models.matrix_open_system(
        h_S=[[0.0, 0.5], [0.5, 0.0]],
        couplings=[[[0.0, 0.0]], [[0.0, 0.0]]],
        reservoirs=[{"t0": 1.25}, {"t0": 1.25}],
        parameters={"eps": {"h_S": [[1.0, 0.0], [0.0, -1.0]]}, "V": {"default": 1.0, "couplings": [[[1.0, 0.0]], [[0.0, 1.0]]]}},
    )
    bath = st.Bath(T=0.05)
    ours = st.negf.equilibrium(model, bath, eps=0.3)
    ref = st.negf.equilibrium(st.models.two_level_two_reservoirs(1.25), bath, eps_1=0.3, eps_2=-0.3)
    # same matrices, same integrals: agreement to the quadrature tolerance (1e-11 per integral)
    for key in ("system_S", "system_Omega", "reservoir_Omega", "expectation_H_SR"):
        np.testing.assert_allclose(ours.to_dict()[key], ref.to_dict()[key], rtol=0, atol=1e-10)
    # exact derivatives: power w.r.t. eps is <dH_S/d eps_1> - <dH_S/d eps_2>
    np.testing.assert_allclose(ours.power("eps")[0], ref.power("eps_1")[0] - ref.power("eps_2")[0], atol=1e-10)


def test_matrix_model_accepts_qobj():
    qutip = pytest.importorskip("qutip")
    model = st.models.matrix_open_system(qutip.sigmaz() * 0.2, [qutip.Qobj([[0.8, 0.0]]), qutip.Qobj([[0.0, 0.8]])],
                               [{"t0": 1.25}, {"t0": 1.25}])
    eq = st.negf.equilibrium(model, st.Bath(T=0.05))
    np.testing.assert_allclose(eq.system.N, 1.0, atol=1e-9)  # particle-hole symmetric at mu = 0


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"bath": {"T": 0.02, "tempreature": 1.0}}, "'bath.tempreature'"),
        ({"model": {"name": "resonant_level", "args": {"t1": 1.0}}}, "'model.args.t1'"),
        ({"model": {"name": "nonsense"}}, "model.name must be one of"),
        ({"task": {"kind": "quench"}}, "task.kind must be one of"),
        ({"task": {"kind": "sweep", "grid": {"eps_s": "wide"}}}, "task.grid.eps_s must be a list of numbers"),
        ({"task": {"kind": "sweep", "grid": {"eps_s": {"start": 0, "stop": 1}}}}, "missing"),
        ({"bath": {"T": "hot"}}, "bath.T must be a number"),
        ({"bath": {"T": -1.0}}, "bath.T must be > 0"),
        ({"task": {"kind": "state", "alphas": [1.5]}}, r"task.alphas\[0\] must lie in \[0, 1\]"),
        ({"output": {"plot": "yes"}}, "output.plot must be true or false"),
        ({"extra": {}}, "unknown key 'extra'"),
        ({"task": {"kind": "drive", "points": [{"eps_s": 0.0}, {"eps_s": 1.0}]}}, "task.duration"),
        ({"task": {"kind": "drive", "points": [{"eps_s": 0.0}], "duration": 1.0}}, "at least 2 parameter sets"),
        ({"task": {"kind": "drive", "points": [{"eps_s": 0.0}, {"eps_s": 1.0}], "duration": 1.0, "schedule": "fast"}},
         "task.schedule must be"),
        ({"task": {"kind": "drive", "points": [{"eps_s": 0.0}, {"eps_s": 1.0}], "duration": 1.0, "initial": "x"}},
         "task.initial must be"),
        ({"task": {"kind": "drive", "points": [{"eps_s": 0.0}, {"eps_s": 1.0}], "duration": 1.0, "n_times": 1}},
         "task.n_times must be"),
    ],
)
def test_config_errors_name_the_key(change, match):
    with pytest.raises(ConfigError, match=match):
        parse_config({**BASE, **change})


def test_overrides_use_literal_eval_never_eval(tmp_path):
    raw = apply_overrides(BASE, ["bath.T=0.05", "task.params.V=0.5", "model.args.t0=2", "task.grid.V=[0.5, 1.0]"])
    assert raw["bath"]["T"] == 0.05 and raw["task"]["params"]["V"] == 0.5 and raw["task"]["grid"]["V"] == [0.5, 1.0]
    assert BASE["bath"]["T"] == 0.02  # the input is not modified
    marker = tmp_path / "evaluated"
    raw = apply_overrides(BASE, [f"bath.T=__import__('pathlib').Path('{marker}').touch()"])
    assert not marker.exists() and isinstance(raw["bath"]["T"], str)
    with pytest.raises(ConfigError, match=r"bath\.T must be a number"):
        parse_config(raw)
    with pytest.raises(ConfigError, match="key=value"):
        apply_overrides(BASE, ["bath.T"])


def test_output_folder_is_never_overwritten(tmp_path, monkeypatch, capsys):
    config = tmp_path / "my_state.toml"
    config.write_text(
        '[model]\nname = "resonant_level"\n[bath]\nT = 0.02\n[task]\nkind = "state"\nparams = { eps_s = -1.0, V = 1.0 }\n'
    )
    monkeypatch.chdir(tmp_path)
    assert main(["run", str(config), "--quiet"]) == 0
    assert main(["run", str(config), "--quiet"]) == 0
    assert (tmp_path / "runs" / "my_state" / "state.json").exists()
    assert (tmp_path / "runs" / "my_state-2" / "state.json").exists()
    assert "runs/my_state-2" in capsys.readouterr().err
    assert main(["run", str(config), "--out", str(tmp_path / "runs" / "my_state"), "--quiet"]) == 2
    assert "already exists and is not empty" in capsys.readouterr().err
    assert new_output_folder(None, config) == Path("runs/my_state-3")


def test_cli_reports_bad_values_with_the_key(tmp_path, capsys):
    out = tmp_path / "o"
    assert main(["run", str(EXAMPLES / "resonant_level_path.toml"), "--out", str(out), "--set", "task.panels_per_segment=0"]) == 2
    assert "task.panels_per_segment" in capsys.readouterr().err
    assert main(["run", str(EXAMPLES / "resonant_level_sweep.toml"), "--out", str(out), "--set", "task.grid.V=[-1.0]"]) == 2
    assert "V must be" in capsys.readouterr().err
    assert not out.exists() or not any(out.iterdir()) or (out / "resolved_config.json").exists()


def test_load_config_reads_toml_into_frozen_dataclasses():
    config = load_config(EXAMPLES / "two_spin_quench.toml")
    assert config.model.engine == "exact" and config.bath.beta == 1.0 and config.task.B == {"eps": 2.0}
    with pytest.raises(AttributeError):
        config.bath.beta = 2.0  # type: ignore[misc]


def _write_matrix_config(folder, h_S_ref, couplings_ref):
    (folder / "c.toml").write_text(
        "[model]\nname = \"negf_matrices\"\n[model.args]\n"
        f"h_S = {h_S_ref}\ncouplings = {couplings_ref}\n"
        "reservoirs = [{ t0 = 1.25 }, { t0 = 1.25 }]\n"
        "parameters = { eps = { default = 0.0, h_S = \"m.npz:deps\" }, V = { default = 1.0, low = 0.0, couplings = [[[1.0, 0.0]], [[0.0, 1.0]]] } }\n"
        "[bath]\nT = 0.05\n[task]\nkind = \"state\"\nparams = { eps = 0.3 }\n"
    )
    return folder / "c.toml"


def test_config_matrices_from_npy_npz_and_qutip_files(tmp_path):
    # issue 13: matrices by file name, relative to the config's folder; the model is the same as
    # the built-in two-level model at eps_1 = -eps_2 = 0.3 (same matrices: identical numbers)
    qutip = pytest.importorskip("qutip")
    from strongtherm.config import load_config

    np.save(tmp_path / "h.npy", np.array([[0.0, 0.5], [0.5, 0.0]]))
    np.savez(tmp_path / "m.npz", deps=np.diag([1.0, -1.0]), V1=np.array([[0.0, 0.0]]))
    qutip.qsave(qutip.Qobj(np.array([[0.0, 0.0]])), str(tmp_path / "v2"))
    path = _write_matrix_config(tmp_path, '"h.npy"', '["m.npz:V1", "v2.qu"]')
    model = load_config(path).model.build()
    ours = st.negf.equilibrium(model, st.Bath(T=0.05), eps=0.3)
    ref = st.negf.equilibrium(st.models.two_level_two_reservoirs(1.25), st.Bath(T=0.05), eps_1=0.3, eps_2=-0.3)
    assert ours.system.S == pytest.approx(ref.system.S, abs=1e-12)  # same arithmetic
    assert main(["run", str(path), "--out", str(tmp_path / "out")]) == 0  # and from the command line


@pytest.mark.parametrize(
    ("h_S_ref", "match"),
    [
        ('"missing.npy"', "model.args.h_S: matrix file 'missing.npy' not found"),
        ('"m.npz"', r"holds arrays \['deps', 'V1'\]"),
        ('"m.npz:nope"', "has no array 'nope'"),
        ('"h.txt"', "must end in .npy, .npz or .qu"),
        ('"bad.npy"', "Hermitian"),
    ],
)
def test_config_matrix_file_errors_name_the_key(tmp_path, h_S_ref, match):
    from strongtherm.config import ConfigError, load_config

    np.savez(tmp_path / "m.npz", deps=np.diag([1.0, -1.0]), V1=np.array([[0.0, 0.0]]))
    np.save(tmp_path / "bad.npy", np.array([[0.0, 1.0], [0.0, 0.0]]))  # not Hermitian
    (tmp_path / "h.txt").write_text("0 1\n1 0\n")
    path = _write_matrix_config(tmp_path, h_S_ref, '[[[0.0, 0.0]], [[0.0, 0.0]]]')
    with pytest.raises((ConfigError, ValueError), match=match):
        load_config(path).model.build()
    # and the command line refuses before creating any folder
    assert main(["run", str(path), "--out", str(tmp_path / "out")]) != 0
    assert not (tmp_path / "out").exists()


def test_drive_task_refuses_a_negative_duration_before_any_folder(tmp_path, capsys):
    # issue 12 (configs): a drive task is checked (here: the Protocol refuses tau < 0) before the
    # run creates its folder
    path = tmp_path / "drive.toml"
    path.write_text((EXAMPLES / "resonant_level_drive.toml").read_text().replace("duration = 5.0", "duration = -1.0"))
    assert main(["run", str(path), "--out", str(tmp_path / "out")]) != 0
    assert "duration" in capsys.readouterr().err and not (tmp_path / "out").exists()


def test_every_task_kind_of_the_schema_has_one_task():
    # issue 20: config owns the kinds (TASK_KINDS), tasks the functions (TASKS); the two tables agree
    from strongtherm.config import TASK_KINDS
    from strongtherm.tasks import TASKS

    assert set(TASKS) == {(engine, kind) for engine, kinds in TASK_KINDS.items() for kind in kinds}


def test_typicality_example_agrees_with_the_dense_engine(tmp_path):
    # the typicality sweep example (qubit + 7 spins, sectors, 32 samples, beta = 0.5, 1, 2): F*_S and
    # U_diff of every point within 4.5 of their own error bars from the dense engine (6 values);
    # the same model as a state task on the deflated road at beta = 4
    pytest.importorskip("xarray")
    from strongtherm.models.spin_chains import qubit_on_spin_chain
    from strongtherm.sweeps import load

    out = tmp_path / "typ"
    assert main(["run", str(EXAMPLES / "spin_chain_typicality.toml"), "--out", str(out), "--quiet"]) == 0
    ds = load(out / "sweep.nc")
    H_S, H_R, V = qubit_on_spin_chain(7, eps=1.0, J=1.0, Jz=1.0, h=0.3, J_c=0.5, Jz_c=0.5)
    model = st.exact.Composite(H_S=H_S, H_R=H_R.toarray(), V=V.toarray())
    for eq in st.exact.equilibria(model, [0.5, 1.0, 2.0]):
        point = ds.sel(beta=eq.beta)
        assert abs(float(point["F_S"]) - eq.F_S) < 4.5 * float(point["error_F_S"])
        assert abs(float(point["U_diff"]) - eq.U["diff"]) < 4.5 * float(point["error_U_diff"])
    from strongtherm.tasks import run

    state = tmp_path / "state"
    raw = {"model": {"name": "qubit_on_spin_chain", "args": {"n": 7, "h": 0.3}}, "bath": {"beta": 4.0},
           "task": {"kind": "state", "samples": 16, "method": "deflated", "sectors": True}}
    run(parse_config(raw), state, log=lambda text: None)
    data = json.loads((state / "state.json").read_text())
    exact = st.exact.equilibrium(model, beta=4.0)
    # every sector of this universe (d = 2^8) has <= 70 states: the deflated road diagonalizes them
    # all, so the numbers are exact (to rounding, 1e-10) with zero error bars
    assert abs(data["results"]["F_S"] - exact.F_S) < 1e-10 and data["results"]["error_F_S"] == 0.0
    assert data["method"] == "deflated" and data["rho_S"][0][1] == 0.0  # a structural zero


@pytest.mark.parametrize("change, match", [
    ({"samples": 2}, "task.samples"),
    ({"method": "ftlm"}, "task.method"),
    ({"sectors": "yes"}, "task.sectors"),
    ({"alphas": [0.5]}, "task.alphas"),
])
def test_typicality_config_errors_name_the_key(change, match):
    raw = {"model": {"name": "qubit_on_spin_chain", "args": {"n": 4}}, "bath": {"beta": 1.0},
           "task": {"kind": "state", **change}}
    with pytest.raises(ConfigError, match=match):
        parse_config(raw)
    with pytest.raises(ConfigError, match=r"bath\.mu"):
        parse_config({**raw, "bath": {"beta": 1.0, "mu": 0.1}, "task": {"kind": "state"}})
