"""The documentation's tutorials run as integration tests (kwant's habit): every line works."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

TUTORIALS = sorted((Path(__file__).resolve().parents[2] / "docs" / "tutorials").glob("*.py"))


def test_there_is_one_tutorial_per_engine_and_one_per_own_model():
    names = {p.stem for p in TUTORIALS}
    assert {"negf_resonant_level", "exact_two_spin", "your_own_fermionic_model", "your_own_finite_model"} <= names


@pytest.mark.parametrize("script", TUTORIALS, ids=[p.stem for p in TUTORIALS])
def test_tutorial_runs_and_draws(script, tmp_path):
    # optional extras a tutorial needs: st.sweep returns an xarray.Dataset, the map runs on Dask,
    # the finite model is built in QuTiP (all three are in the test extra)
    needs = {"sweep_maps": ("xarray",), "two_terminals": ("xarray",), "your_own_fermionic_model": ("xarray", "dask.distributed"), "your_own_finite_model": ("qutip",)}
    for module in needs.get(script.stem, ()):
        pytest.importorskip(module)
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
