"""Progress of long single calls (issue 13): tqdm bars, on request or on a terminal, switchable."""

from __future__ import annotations

import pytest

import strongtherm as st
from strongtherm.core.progress import progress_enabled


def test_progress_bar_on_request_and_never_when_switched_off(capsys):
    model = st.models.random_composite(2, 3, 0)
    st.exact.equilibrium(model, beta=1.0, progress=True)
    assert "exact equilibrium (d=6)" in capsys.readouterr().err  # forced on, even for a small model
    st.exact.equilibria(model, [0.5, 1.0], progress=False)
    st.exact.quench(model, model.replace(H_S=2 * model.H_S), beta=1.0)  # default: small model, no bar
    assert capsys.readouterr().err == ""


def test_progress_switch(monkeypatch):
    monkeypatch.setenv("STRONGTHERM_PROGRESS", "0")
    assert progress_enabled(None) is False and progress_enabled(True) is True
    monkeypatch.delenv("STRONGTHERM_PROGRESS")
    assert progress_enabled(None) is False  # pytest's stderr is not a terminal
    with pytest.raises(TypeError, match="progress"):
        progress_enabled("yes")  # type: ignore[arg-type]


def test_the_roads_beyond_dense_diagonalization_show_progress(capsys):
    # issue 24, item 3: typicality and the composite drive have bars over their long loops, and
    # the same numbers with or without them
    from strongtherm.models.spin_chains import qubit_on_spin_chain

    parts = qubit_on_spin_chain(3)
    with_bar = st.exact.typicality.typical_equilibrium(*parts, beta=1.0, samples=4, rng=1, progress=True)
    assert "typical_equilibrium: propagations" in capsys.readouterr().err
    without = st.exact.typicality.typical_equilibrium(*parts, beta=1.0, samples=4, rng=1, progress=False)
    assert capsys.readouterr().err == "" and with_bar.F_S == without.F_S
    path = st.Path.line({"eps": 0.0}, {"eps": 1.0})
    st.exact.drive_composite(lambda eps: st.models.two_spin(eps=eps, alpha=0.8, gamma=1.2, chi=1.8), path, 1.0,
                             beta=1.0, progress=True, mean_force=False)
    assert "drive_composite: time steps" in capsys.readouterr().err
