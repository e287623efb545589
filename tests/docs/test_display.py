"""Results in a notebook (issue 13): a concise text repr and an HTML table of the same numbers."""

from __future__ import annotations

import pytest

import strongtherm as st

RLM = st.models.resonant_level(t0=1.25)
BATH = st.Bath(T=0.2, mu=0.1)
PATH = st.Path.line({"eps_s": 0.0, "V": 0.6}, {"eps_s": 0.5, "V": 0.6})
A = st.models.two_spin(eps=0.0, alpha=0.8, gamma=1.2, chi=1.8)
B = st.models.two_spin(eps=2.0, alpha=0.8, gamma=1.2, chi=1.8)


@pytest.fixture(scope="module")
def results():
    return {
        "negf.Equilibrium": st.negf.equilibrium(RLM, BATH, eps_s=0.2, V=0.6),
        "negf.QuasistaticProcess": st.negf.quasistatic(RLM, BATH, PATH),
        "gaussian.MeanForce": st.gaussian.mean_force(RLM, BATH, eps_s=0.2, V=0.6),
        "gaussian.FermionicQuench": st.gaussian.quench(RLM, BATH, start={"eps_s": 0.0, "V": 0.6}, end={"eps_s": 0.5, "V": 0.6}),
        "exact.Equilibrium": st.exact.equilibrium(A, beta=1.0),
        "exact.Quench": st.exact.quench(A, B, beta=1.0),
        "dynamics.Drive": st.dynamics.drive(RLM, BATH, st.Protocol(PATH, 1.0), times=[0.0, 1.0]),
        "dynamics.Friction": st.dynamics.friction(RLM, BATH, PATH),
    }


@pytest.mark.parametrize(
    "name",
    ["negf.Equilibrium", "negf.QuasistaticProcess", "gaussian.MeanForce", "gaussian.FermionicQuench",
     "exact.Equilibrium", "exact.Quench", "dynamics.Drive", "dynamics.Friction"],
)  # fmt: skip
def test_every_result_has_a_concise_repr_and_a_table(results, name):
    result = results[name]
    text = repr(result)
    assert len(text) < 800 and "array(" not in text, text  # a summary, not a wall of arrays
    html = result._repr_html_()
    assert html.startswith("<table>") and "</table>" in html and "<td>" in html


def test_open_system_repr_is_one_line():
    text = repr(RLM)
    assert "\n" not in text and len(text) < 200 and "eps_s" in text
