"""Issue 23: the fermionic work statistics as a config task (kind = "statistics" on a negf model):
a sudden quench between two points, or a protocol through them at finite speed. Each config is
checked against the library call it stands for, and each bad input is a clear error naming the key."""

from __future__ import annotations

import json

import numpy as np
import pytest

import strongtherm as st
from strongtherm import tasks
from strongtherm.config import ConfigError, parse_config
from strongtherm.gaussian.statistics import driven_work_statistics, quench_work_statistics

CORNERS = [{"eps_s": 0.0, "V": 0.6}, {"eps_s": 1.0, "V": 0.9}]
QUIET = {"progress": False, "log": lambda _: None}


def _config(**task) -> dict:
    return {"model": {"name": "resonant_level", "args": {"t0": 1.25}}, "bath": {"T": 0.2, "mu": 0.1},
            "task": {"kind": "statistics", "points": CORNERS, "u_max": 6.0, "n_u": 25, "L": 40, **task}}


@pytest.mark.parametrize("duration", [None, 2.0], ids=["sudden", "ramp"])
def test_statistics_config_is_the_library_call(duration, tmp_path):
    # the same call, so rtol 1e-12 admits rounding only; the files hold chi, P(W) and the scalars
    extra = {} if duration is None else {"duration": duration, "schedule": "smooth"}
    tasks.run(parse_config(_config(**extra)), tmp_path / "out", **QUIET)
    ours = json.loads((tmp_path / "out" / "statistics.json").read_text())
    model, bath, u = st.models.resonant_level(t0=1.25), st.Bath(T=0.2, mu=0.1), np.linspace(0.0, 6.0, 25)
    if duration is None:
        theirs = quench_work_statistics(model, bath, *CORNERS, u, L=40)
    else:
        protocol = st.dynamics.Protocol(st.Path.corners(CORNERS), duration=duration, schedule="smooth")
        theirs = driven_work_statistics(model, bath, protocol, u, L=40)
    np.testing.assert_allclose(ours["chi_real"], theirs.characteristic.values.real, rtol=1e-12, atol=1e-14)
    for key, value in theirs.to_dict().items():
        assert ours["results"][key] == pytest.approx(value, rel=1e-12, abs=1e-14)
    assert abs(ours["results"]["jarzynski_gap"]) < 1e-9
    W, P = np.loadtxt(tmp_path / "out" / "statistics.csv", delimiter=",", skiprows=1, unpack=True)
    assert W.size == 2 * 25 - 1 and np.all(np.isfinite(P))
    assert (tmp_path / "out" / "statistics.png").exists()


@pytest.mark.parametrize(("task", "message"), [
    ({"hold": 1.0}, "task.hold belongs to a protocol"),
    ({"points": [*CORNERS, {"eps_s": 0.5, "V": 0.9}]}, "exactly 2 parameter sets"),
    ({"u_max": 0.0}, "task.u_max must be a finite number > 0"),
    ({"n_u": 10**6}, "task.n_u"),
    ({"L": 10**5}, "task.L"),
    ({"duration": -1.0}, "task.duration must be > 0"),
    ({"measure": "H*"}, "measure"),
], ids=["hold-without-duration", "three-points-sudden", "u_max", "n_u", "L", "duration", "measure-is-exact-only"])
def test_statistics_config_refusals_name_the_key(task, message):
    with pytest.raises(ConfigError, match=message):
        parse_config(_config(**task))
