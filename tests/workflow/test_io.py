"""strongtherm.io: the one writer per format, and staged output folders (issues 9 and 10)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from strongtherm.io import staged_folder, write_csv, write_json


def test_write_json_plain_and_strict(tmp_path):
    data = {"x": np.float64(1.5), "m": np.eye(2), "z": 1 + 2j, "bad": float("nan"), "ok": np.bool_(True)}
    plain = json.loads(write_json(tmp_path / "a.json", data).read_text())
    assert plain["x"] == 1.5 and plain["m"] == [[1.0, 0.0], [0.0, 1.0]] and plain["z"] == [1.0, 2.0]
    assert plain["ok"] is True and np.isnan(plain["bad"])
    strict = (tmp_path / "b.json")
    write_json(strict, data, strict=True)
    assert "NaN" not in strict.read_text() and json.loads(strict.read_text())["bad"] == "nan"


def test_write_csv_reads_back_bit_for_bit(tmp_path):
    x = np.random.default_rng(1).normal(size=5)
    path = write_csv(tmp_path / "t.csv", {"x": x, "y": 2 * x}, comment=["units: energy"])
    lines = path.read_text().splitlines()
    assert lines[0] == "# units: energy" and lines[1] == "x,y"
    back = np.array([[float(v) for v in line.split(",")] for line in lines[2:]])
    np.testing.assert_array_equal(back[:, 0], x)  # repr() keeps 17 digits: exact
    with pytest.raises(ValueError, match=r"differ in length: \{'x': 5, 'y': 4\}"):
        write_csv(tmp_path / "bad.csv", {"x": x, "y": x[:4]})


def test_staged_folder_moves_on_success_and_cleans_up_on_failure(tmp_path):
    target = tmp_path / "new" / "run"
    with staged_folder(target) as staging:
        (staging / "a.txt").write_text("done")
        assert not target.exists()  # nothing visible until every file is written
    assert (target / "a.txt").read_text() == "done" and sorted(p.name for p in (tmp_path / "new").iterdir()) == ["run"]
    other = tmp_path / "x" / "y" / "run"
    with pytest.raises(RuntimeError, match="halfway"), staged_folder(other) as staging:
        (staging / "part.txt").write_text("half")
        raise RuntimeError("halfway")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["new"]  # the created parents x/y are gone too
