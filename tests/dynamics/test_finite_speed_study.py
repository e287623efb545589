"""The finite-speed study (``strongtherm reproduce finite_speed``) writes its files and every claim agrees."""

from __future__ import annotations

import json

import pytest


@pytest.mark.slow
def test_finite_speed_reproduction(tmp_path):
    from strongtherm.papers import REPRODUCTIONS, run_reproduction

    assert "finite_speed" in REPRODUCTIONS
    report = run_reproduction("finite_speed", tmp_path, progress=False)  # ~20 s
    payload = json.loads((tmp_path / "finite_speed" / "report.json").read_text())
    failing = [c["claim"] for c in payload["claims"] if not c["agrees"]]
    assert payload["all_agree"] and not failing, failing
    assert report.all_agree
    for name in ("work_vs_duration.png", "entropy_production.png", "bound_state.png", "work_vs_duration_level.csv"):
        assert (tmp_path / "finite_speed" / name).stat().st_size > 0
