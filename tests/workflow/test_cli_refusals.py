"""``strongtherm run`` / ``reproduce`` refuse bad input before creating anything, and a failed run
leaves nothing behind (issue 10, item 5)."""

from __future__ import annotations

from pathlib import Path

import pytest

import strongtherm as st
from strongtherm.cli import main
from strongtherm.config import ConfigError, check_writable, new_output_folder

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
STATE = str(EXAMPLES / "two_level_matrices_state.toml")
SWEEP = str(EXAMPLES / "resonant_level_sweep.toml")


def _entries(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


@pytest.mark.parametrize(
    ("config", "overrides", "match"),
    [
        (SWEEP, ["task.grid.V=[-1.0, 0.5]"], "V"),  # a grid point outside the model's domain
        (SWEEP, ["task.grid.V=[0.5, 0.5]"], "repeats"),  # duplicate grid values
        (SWEEP, ["task.params.t0=1.0"], "t0"),  # not a parameter of the model
        (STATE, ["task.params.nonsense=1.0"], "nonsense"),
        (STATE, ["model.args.h_S=[[0.0, 1.0]]"], "h_S"),  # a matrix that is not square
        (str(EXAMPLES / "two_spin_quench.toml"), ["task.B.eps='x'"], "eps|str|float"),
    ],
    ids=["grid-domain", "grid-duplicate", "unknown-fixed", "unknown-param", "bad-matrix", "bad-arg"],
)
def test_run_validates_everything_before_creating_a_folder(tmp_path, capsys, config, overrides, match):
    out = tmp_path / "deep" / "out"
    argv = ["run", config, "--out", str(out), "--quiet"]
    for o in overrides:
        argv += ["--set", o]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "strongtherm run: error:" in err and "Traceback" not in err
    assert pytest.importorskip("re").search(match, err), err
    assert _entries(tmp_path) == []  # no folder, not even the parent


def test_run_refuses_an_existing_file_as_out(tmp_path, capsys):
    target = tmp_path / "taken.txt"
    target.write_text("mine")
    assert main(["run", STATE, "--out", str(target), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "is an existing file, not a folder" in err and "non-empty" not in err
    assert target.read_text() == "mine"
    assert main(["run", STATE, "--out", str(target / "sub"), "--quiet"]) == 2
    assert "is a file, not a folder" in capsys.readouterr().err


def test_unwritable_parent_is_a_clear_error(tmp_path, monkeypatch):
    # as root every permission check passes, so pretend: the check must name the folder
    monkeypatch.setattr("strongtherm.config.os.access", lambda path, mode: False)
    with pytest.raises(ConfigError, match=r"no write permission in .*"):
        check_writable(tmp_path / "new")
    with pytest.raises(ConfigError, match="no write permission"):
        new_output_folder(tmp_path / "new", "x.toml")


def test_a_real_write_failure_is_one_line(tmp_path, capsys, monkeypatch):
    # a folder that cannot be created even by root: below a file system that refuses mkdir
    import strongtherm.io

    def refuse(self, *args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(strongtherm.io.Path, "mkdir", refuse)
    assert main(["run", STATE, "--out", str(tmp_path / "out"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "cannot write the output folder" in err and "Permission denied" in err and "Traceback" not in err


def test_a_failed_run_leaves_nothing_and_the_same_out_works_again(tmp_path, capsys, monkeypatch):
    def fails(*args, **kwargs):
        raise ValueError("the computation failed halfway")

    out = tmp_path / "a" / "out"
    monkeypatch.setattr(st.negf, "equilibrium", fails)
    assert main(["run", STATE, "--out", str(out), "--quiet"]) == 2
    assert "the computation failed halfway" in capsys.readouterr().err
    assert _entries(tmp_path) == []  # neither the folder, its staging copy, nor the parent "a"
    monkeypatch.undo()
    assert main(["run", STATE, "--out", str(out), "--quiet"]) == 0
    assert _entries(out) == ["resolved_config.json", "state.json", "summary.json"]
    assert _entries(out.parent) == ["out"]  # no staging folder left beside it


def test_run_into_an_existing_empty_folder(tmp_path):
    out = tmp_path / "empty"
    out.mkdir()
    assert main(["run", STATE, "--out", str(out), "--quiet"]) == 0
    assert _entries(out) == ["resolved_config.json", "state.json", "summary.json"]


def test_reproduce_refuses_a_non_empty_out_like_run(tmp_path, capsys):
    (tmp_path / "old.txt").write_text("keep me")
    assert main(["reproduce", "kumar2024", "--out", str(tmp_path), "--quiet"]) == 2
    assert "already exists and is not empty" in capsys.readouterr().err
    assert _entries(tmp_path) == ["old.txt"]
    assert main(["reproduce", "kumar2024", "--out", str(tmp_path / "old.txt"), "--quiet"]) == 2
    assert "is an existing file" in capsys.readouterr().err


def test_reproduce_default_folder_is_numbered_when_taken(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "results").mkdir()
    (tmp_path / "results" / "x").write_text("")
    assert new_output_folder(None, "results", default_root=".") == Path("results-2")
