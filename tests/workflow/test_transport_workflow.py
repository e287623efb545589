"""Two terminals in the workflow (issue 22, item 5): the config task ``transport``, its refusals,
and the standard two-terminal plots."""

from __future__ import annotations

import json

import numpy as np
import pytest

import strongtherm as st
from strongtherm import tasks
from strongtherm.config import ConfigError, parse_config

DOT = {"name": "negf_matrices", "args": {"h_S": [[0.0]], "couplings": [[[0.3]], [[0.3]]],
                                         "reservoirs": [{"t0": 1.0}, {"t0": 1.0}],
                                         "parameters": {"eps": {"default": 0.2, "h_S": [[1.0]]}}}}


def config(**task):
    return parse_config({"model": DOT, "bath": {"T": 0.05, "mu": 0.0},
                         "task": {"kind": "transport", "baths": [{"mu": 0.1}, {"mu": -0.1, "T": 0.02}], **task}})


def test_single_steady_state_from_a_config(tmp_path):
    files = tasks.run(config(params={"eps": 0.1}, state=True), tmp_path / "out", log=lambda _: None)
    data = json.loads((tmp_path / "out" / "transport.json").read_text())
    model = st.models.matrix_open_system([[0.0]], [[[0.3]], [[0.3]]], reservoirs=[{"t0": 1.0}, {"t0": 1.0}],
                                         parameters={"eps": {"default": 0.2, "h_S": [[1.0]]}})
    direct = st.negf.transport.steady_state(model, [st.Bath(T=0.05, mu=0.1), st.Bath(T=0.02, mu=-0.1)], eps=0.1)
    assert data["results"]["I_0"] == direct.particle_current[0]
    assert data["reservoirs"][1] == {"T": 0.02, "mu": -0.1, "I": direct.particle_current[1],
                                     "J_E": direct.energy_current[1], "J_Q": direct.heat_current[1]}
    assert data["results"]["N_S"] == pytest.approx(direct.N_S, abs=0)
    assert {p.name for p in files} >= {"transport.json", "summary.json", "resolved_config.json"}


def test_bias_gate_map_from_a_config_draws_the_transport_pictures(tmp_path):
    pytest.importorskip("xarray")
    run = config(grid={"eps": [-0.1, 0.2], "bias": [-0.2, 0.0, 0.2]})
    files = tasks.run(run, tmp_path / "out", log=lambda _: None)
    assert "sweep.png" in {p.name for p in files}
    ds = st.sweeps.load(tmp_path / "out" / "sweep.nc")
    assert ds.attrs["computation"] == "strongtherm.negf.steady_state"
    assert np.allclose(ds["I_0"] + ds["I_1"], 0.0, atol=1e-12)


def test_transport_config_refusals():
    with pytest.raises(ConfigError, match=r"task\.baths must list"):
        config(baths=[])
    with pytest.raises(ConfigError, match=r"task.baths\[0\].T must be > 0"):
        config(baths=[{"T": -1.0}, {}])
    with pytest.raises(ConfigError, match=r"unknown key 'task.baths\[1\].beta'"):
        config(baths=[{}, {"beta": 2.0}])
    with pytest.raises(ConfigError, match="used only by kind = 'drive' or 'transport'"):
        parse_config({"model": DOT, "bath": {"T": 0.05}, "task": {"kind": "state", "baths": [{}, {}]}})
    with pytest.raises(ValueError, match="has 2, the config gives 3"):
        tasks.prepare(config(baths=[{}, {}, {}]))
    with pytest.raises(ValueError, match="no parameter"):
        tasks.prepare(config(params={"W": 1.0}))
    with pytest.raises(ValueError, match="no parameter"):
        tasks.prepare(config(params={"W": 1.0}, grid={"bias": [0.1]}))


def test_transport_plots_need_a_bias_sweep():
    pytest.importorskip("xarray")
    model = st.models.matrix_open_system([[0.0]], [[[0.3]], [[0.3]]], reservoirs=[{"t0": 1.0}, {"t0": 1.0}],
                                         parameters={"eps": {"default": 0.2, "h_S": [[1.0]]}})
    compute = st.sweeps.negf_steady_state(model, [st.Bath(T=0.1), st.Bath(T=0.02)])
    ds = st.sweep(compute, {"eps": [0.1, 0.3], "bias": np.linspace(-0.2, 0.0, 5)}, processes=1, progress=False)
    axes = st.plot.transport_overview(ds)
    assert len(axes) == 3 and axes[1].get_title().startswith("Differential conductance")
    assert st.plot.draw(ds).get_title().startswith("I-V")
    # an engine: the level above mu carries particles from the hot lead against a small reverse bias
    assert float(ds["power"].max()) > 0
    with pytest.raises(ValueError, match="2-D sweep"):
        st.plot.conductance_map(ds.sel(eps=0.1))
    with pytest.raises(ValueError, match="negf_steady_state"):
        st.plot.iv_curves(ds.drop_vars("I_0"))
