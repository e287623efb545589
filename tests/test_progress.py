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
