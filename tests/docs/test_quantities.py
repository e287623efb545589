"""The quantity registry (issue 9, item 3): one row per quantity, covering every name a result or
a sweep writes, and the plot labels and docs page read from it."""

from __future__ import annotations

import numpy as np
import pytest

import strongtherm as st
from strongtherm import plot
from strongtherm.core import quantities as q
from strongtherm.models.spin_chains import qubit_on_spin_chain

BATH = st.Bath(T=0.02, mu=0.0)
RLM = st.models.resonant_level(t0=1.25)
ALPHAS = (0.0, 0.5, 1.0)
TWO_SPIN = {"alpha": 0.8, "gamma": 1.2, "chi": 1.8}
DOT = st.models.affine_open_system(
    name="dot", reservoirs=(st.negf.TightBindingChain(t0=1.0), st.negf.TightBindingChain(t0=1.0)),
    h_S=np.zeros((1, 1)), couplings=(np.array([[0.5]]), np.array([[0.5]])), h_S_slopes={"eps": np.ones((1, 1))},
    parameter_domain={"eps": (-5.0, 5.0)},
)


def _every_to_dict() -> dict[str, dict[str, float]]:
    """to_dict() of every result type of both engines and the bridge."""
    two_level = st.models.two_level_two_reservoirs(1.25)
    path = st.Path.line({"eps_s": 0.0, "V": 0.6}, {"eps_s": 0.5, "V": 0.6})
    A, B = st.models.two_spin(eps=0.0, **TWO_SPIN), st.models.two_spin(eps=2.0, **TWO_SPIN)
    start, end = {"eps_s": 0.0, "V": 0.6}, {"eps_s": 1.0, "V": 0.6}
    return {
        "negf.Equilibrium": st.negf.equilibrium(RLM, BATH, eps_s=-1.0, V=1.0).to_dict(ALPHAS),
        "negf.Equilibrium (two levels)": st.negf.equilibrium(two_level, BATH).to_dict(ALPHAS),
        "negf.QuasistaticProcess": st.negf.quasistatic(RLM, BATH, path, panels_per_segment=1).to_dict(ALPHAS),
        "negf.MeanForce": st.gaussian.mean_force(RLM, BATH, eps_s=0.0, V=0.6).to_dict(),
        "negf.FermionicQuench": st.gaussian.quench(RLM, BATH, start=start, end=end).to_dict(),
        "exact.Equilibrium": st.exact.equilibrium(A, beta=1.0).to_dict(),
        "exact.Quench (Gibbs)": st.exact.quench(A, B, beta=1.0).to_dict(),
        "exact.Quench (unitary)": st.exact.quench(A, B, beta=1.0, t_f=1.0).to_dict(),
        "dynamics.Drive": _drive().to_dict(),
        "dynamics.Drive (product start)": _drive(initial="product").to_dict(),
        "dynamics.Friction": st.dynamics.friction(RLM, st.Bath(T=0.5), path).to_dict(),
        "negf.SteadyState": st.negf.transport.steady_state(DOT, [BATH, st.Bath(T=0.05, mu=-0.2)], eps=0.1).to_dict(),
        "negf.LinearResponse": st.negf.transport.linear_response(DOT, BATH, eps=0.1).to_dict(),
        "exact.typicality.TypicalEquilibrium": st.exact.typicality.typical_equilibrium(
            *qubit_on_spin_chain(3), beta=1.0, samples=4, rng=0).to_dict(),
        "exact.CompositeDrive": st.exact.drive_composite(
            lambda eps: st.models.two_spin(eps=eps, **TWO_SPIN), st.Path.line({"eps": 0.0}, {"eps": 1.0}), 0.5,
            beta=1.0).to_dict(),
        "exact.CompositeDrive (typicality)": st.exact.drive_composite(
            lambda eps: qubit_on_spin_chain(3, eps=eps), st.Path.line({"eps": 0.5}, {"eps": 1.0}), 0.5, beta=1.0,
            method="typicality", samples=4, rng=0).to_dict(),
    }


def _drive(**kwargs):
    proto = st.Protocol(st.Path.line({"eps_s": 0.0, "V": 0.6}, {"eps_s": 0.5, "V": 0.6}), duration=0.5)
    return st.dynamics.drive(RLM, st.Bath(T=0.5), proto, times=[0.0, 0.5], **kwargs)


def test_registry_covers_every_key_of_every_to_dict():
    for result, keys in _every_to_dict().items():
        unknown = [k for k in keys if q.lookup(k) is None]
        assert unknown == [], f"{result}: keys without a registry row {unknown}"
        for k in keys:
            assert q.lookup(k).key == k  # a family member resolves to its own key


def test_registry_covers_every_sweep_variable():
    pytest.importorskip("xarray")
    kwargs = {"processes": 1, "progress": False}
    datasets = [
        st.sweep(st.sweeps.negf_equilibrium(RLM, BATH, alphas=ALPHAS), {"eps_s": [0.0], "V": [0.5]}, **kwargs),
        st.sweep(st.sweeps.negf_quasistatic(RLM, BATH, _path, alphas=ALPHAS, panels_per_segment=1), {"V": [0.6]}, **kwargs),
        st.sweep(st.sweeps.exact_equilibrium(st.models.two_spin, beta=1.0, **TWO_SPIN), {"eps": [0.5]}, **kwargs),
        st.sweep(st.sweeps.exact_quench(st.models.two_spin, beta=1.0, A={"eps": 0.0}, **TWO_SPIN), {"B.eps": [1.0]}, **kwargs),
        st.sweep(st.sweeps.negf_steady_state(DOT, [BATH, BATH], state=True), {"eps": [0.1], "bias": [0.2]}, **kwargs),
        st.sweep(st.sweeps.negf_linear_response(DOT, BATH), {"eps": [0.1], "T": [0.05]}, **kwargs),
        st.sweep(st.sweeps.typical_equilibrium(qubit_on_spin_chain, beta=1.0, samples=4, n=3), {"eps": [0.5]}, **kwargs),
        st.sweep(st.sweeps.composite_drive(qubit_on_spin_chain, [{"eps": 0.5}, {"eps": 1.0}], beta=1.0, method="typicality",
                                           samples=4, n=3), {"duration": [0.0, 0.5]}, **kwargs),
    ]
    for ds in datasets:
        for name, da in ds.data_vars.items():
            row = q.lookup(name)
            assert row is not None, f"sweep variable {name!r} has no registry row"
            assert da.attrs["units"] == row.unit and da.attrs["symbol"] == row.symbol
            assert da.attrs["long_name"] == row.definition
        for coord in ds.coords:
            assert ds[coord].attrs["units"] in q.UNITS  # ready computations know their grid keys


def _path(V):
    return st.Path.line({"eps_s": 0.0, "V": V}, {"eps_s": 0.5, "V": V})


def test_one_name_per_quantity_and_plot_labels_from_the_registry():
    keys = [row.key for row in q.REGISTRY.values()]
    assert len(keys) == len(set(keys))
    plot_names = [row.plot_name for row in q.REGISTRY.values() if row.plot_name]
    assert len(plot_names) == len(set(plot_names))
    for name, label in plot.AXIS_LABELS.items():
        row = next(r for r in q.REGISTRY.values() if r.plot_name == name)
        assert (label.symbol, label.definition) == (row.symbol, row.definition)
    # today's short plot names all survive (public API of plot.state_functions)
    assert {"N_S", "U_S", "S_S", "Omega_S", "dN_R", "dU_R", "dS_R", "dOmega_R", "H_S", "H_SR", "alpha_U_S",
            "alpha_S_S", "U_diff", "U_H*", "U_E*", "F_S", "S_diff", "S_H*", "S_E*"} <= set(plot.AXIS_LABELS)


def test_keys_are_built_from_the_registry():
    assert q.key("alpha_entropy", alpha=0.5) == "alpha_entropy_0.5"
    assert q.key("work", definition="H*") == "work_Hstar"
    assert q.key("power_H_S", parameter="eps_s") == "power_H_S_eps_s"
    with pytest.raises(KeyError, match="not a registered quantity"):
        q.key("nonsense")
    with pytest.raises(ValueError, match="definition must be one of"):
        q.key("work", definition="X*")


@pytest.mark.parametrize(
    ("paper", "equation", "key", "attribute"),
    [
        ("davoudi2025", 23, "work_Hstar", "work['H*']"),
        ("davoudi2025", 11, "U_Hstar", "U['H*']"),
        ("kumar2024", 18, "W_S", "W_S"),
        ("kumar2024", 24, "alpha_entropy", "alpha_entropy({})"),
        ("kumar2024", 14, "system_U", "system.U"),
    ],
)
def test_an_equation_number_leads_to_attribute_and_key(paper, equation, key, attribute):
    rows = {row.key: row for row in q.by_equation(paper, equation)}
    assert key in rows and attribute in rows[key].attribute


def test_every_row_is_complete_and_cites_its_paper():
    for row in q.REGISTRY.values():
        assert row.symbol and row.long_name and row.attribute, row.key
        if row.paper:
            assert row.equation and row.citation.startswith(q.PAPERS[row.paper][1]), row.key


def test_plot_accepts_registry_keys_as_well_as_short_names():
    results = [st.negf.equilibrium(RLM, BATH, eps_s=e, V=1.0) for e in (-1.0, 0.0)]
    ax_short = plot.state_functions(results, x="eps_s", quantities=["S_S"])
    ax_key = plot.state_functions(results, x="eps_s", quantities=["system_S"])
    np.testing.assert_array_equal(ax_short.lines[0].get_ydata(), ax_key.lines[0].get_ydata())
    assert ax_short.lines[0].get_label() == ax_key.lines[0].get_label()
    import matplotlib.pyplot as plt

    plt.close("all")


def test_docs_page_lists_every_row():
    rows = q.table_rows()
    assert {r["key"] for r in rows} == set(q.REGISTRY)
    # sorted by paper, then equation number: a reader scans for "Eq. 23"
    kumar = [r for r in rows if r["paper"] == "kumar2024"]
    assert [r["first_equation"] for r in kumar] == sorted(r["first_equation"] for r in kumar)
