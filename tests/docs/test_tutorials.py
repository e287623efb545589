"""The documentation's tutorials run as integration tests (kwant's habit): every line works."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

TUTORIALS = sorted((Path(__file__).resolve().parents[2] / "docs" / "tutorials").glob("*.py"))


def test_there_is_one_tutorial_per_engine():
    names = {p.stem for p in TUTORIALS}
    assert {"negf_resonant_level", "exact_two_spin"} <= names


@pytest.mark.parametrize("script", TUTORIALS, ids=[p.stem for p in TUTORIALS])
def test_tutorial_runs_and_draws(script, tmp_path):
    if script.stem.startswith("sweep"):
        pytest.importorskip("xarray")  # st.sweep returns an xarray.Dataset
    # a fresh interpreter, as a reader would run it; the figures land in tmp_path
    done = subprocess.run(
        [sys.executable, str(script), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    figures = list(tmp_path.glob("*.png"))
    assert figures and all(f.stat().st_size > 0 for f in figures)
    # RuntimeWarnings from strongtherm are errors in the test suite; a tutorial must not emit them
    assert "RuntimeWarning" not in done.stderr, done.stderr[-3000:]
