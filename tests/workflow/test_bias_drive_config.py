"""A biased drive from a config (issue 22, item 3): ``task.baths`` on kind = "drive" stands for
``st.dynamics.drive`` with one Bath per reservoir, and its per-lead currents, heat and pumped
charge are written; what it cannot do is refused, naming the key."""

from __future__ import annotations

import json

import numpy as np
import pytest

import strongtherm as st
from strongtherm import tasks
from strongtherm.config import ConfigError, parse_config

QUIET = {"progress": False, "log": lambda _: None}
POINTS = [{"eps_1": 0.0}, {"eps_1": 0.3}]


def _config(**task):
    return {
        "model": {"name": "two_level_two_reservoirs", "args": {}},
        "bath": {"T": 0.1},
        "task": {"kind": "drive", "points": POINTS, "duration": 2.0, "hold": 3.0, "n_times": 6, **task},
    }


def test_a_biased_drive_config_is_the_library_drive_with_one_bath_per_lead(tmp_path):
    config = parse_config(_config(initial="partitioned", baths=[{"mu": 0.2}, {"mu": -0.2, "T": 0.05}]))
    tasks.run(config, tmp_path / "bias", **QUIET)
    written = json.loads((tmp_path / "bias" / "drive.json").read_text())
    # each key of a lead's table defaults to [bath]'s
    assert written["baths"] == [{"T": 0.1, "mu": 0.2}, {"T": 0.05, "mu": -0.2}]
    model = st.models.two_level_two_reservoirs(1.25)
    protocol = st.dynamics.Protocol(st.Path.corners(POINTS), duration=2.0, hold=3.0)
    baths = [st.Bath(T=0.1, mu=0.2), st.Bath(T=0.05, mu=-0.2)]
    theirs = st.dynamics.drive(model, baths, protocol, times=np.linspace(0.0, 5.0, 6), initial="partitioned")
    # the same call: rtol 1e-13 admits rounding only; a current flows (the bias is applied)
    for key in ("I_0", "J_E_1", "J_Q_0", "pumped_charge_1", "lead_heat_0", "W_ext"):
        np.testing.assert_allclose(written["results"][key], theirs.to_dict()[key], rtol=1e-13)
    assert written["results"]["I_0"] > 1e-3
    header = (tmp_path / "bias" / "drive.csv").read_text().splitlines()[0].split(",")
    assert {"I_0", "I_1", "J_Q_1", "pumped_charge_0", "lead_heat_1"} <= set(header)


@pytest.mark.parametrize(
    ("task", "match"),
    [
        ({"baths": [{"mu": 0.2}], "grid": {"duration": [1.0, 2.0]}}, "task.baths .* with a grid over durations"),
        ({"baths": []}, "task.baths must list one table"),
        ({"baths": [{"mu": 0.2, "V": 1.0}]}, "V"),
        ({"initial": "partition"}, "task.initial"),
    ],
)
def test_bad_biased_drive_configs_are_refused(task, match):
    raw = _config(**task)
    if "grid" in task:
        del raw["task"]["duration"], raw["task"]["n_times"]
    with pytest.raises(ConfigError, match=match):
        parse_config(raw)


def test_a_bias_the_drive_refuses_is_a_clear_error(tmp_path):
    # one table for two reservoirs; different T with the partition-free start
    with pytest.raises(ValueError, match="one table per reservoir"):
        tasks.run(parse_config(_config(baths=[{"mu": 0.2}])), tmp_path / "one", **QUIET)
    with pytest.raises(ValueError, match="initial='partitioned'"):
        tasks.run(parse_config(_config(baths=[{"mu": 0.2}, {"T": 0.05}])), tmp_path / "two", **QUIET)
