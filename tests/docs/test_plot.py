"""Smoke tests of strongtherm.plot on the Agg backend: no exceptions, labels present, nothing recomputed."""

from __future__ import annotations

import subprocess
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pytest

import strongtherm as st
from strongtherm import plot

BATH = st.Bath(T=0.02, mu=0.0)
RLM = st.models.resonant_level(t0=1.25)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def negf_results():
    return [st.negf.equilibrium(RLM, BATH, eps_s=e, V=1.0) for e in (-3.0, -1.0, 0.0, 1.0)]


@pytest.fixture(scope="module")
def process():
    path = st.Path.line({"eps_s": 1.0, "V": 0.75}, {"eps_s": 1.5, "V": 0.75})
    return st.negf.quasistatic(RLM, BATH, path, panels_per_segment=2)


def _legend_texts(ax):
    return [t.get_text() for t in ax.get_legend().get_texts()]


def test_import_strongtherm_does_not_import_matplotlib():
    # the package import stays light: plot imports matplotlib only when a function is called
    code = "import sys, strongtherm; assert 'matplotlib' not in sys.modules, 'matplotlib imported'"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_state_functions_negf_one_axes_per_unit(negf_results):
    axes = plot.state_functions(
        negf_results, x="eps_s", quantities=["U_S", "Omega_S", "S_S", "N_S"]
    )
    assert len(axes) == 3  # energy, entropy, particle number
    energy, entropy, number = axes
    assert "units of energy" in energy.get_ylabel()
    assert "nats" in entropy.get_ylabel()
    # one unit per quantity, from the registry: particle numbers are dimensionless
    assert number.get_ylabel() == "particle number (dimensionless)"
    assert "ε_s" in number.get_xlabel() and "units of energy" in number.get_xlabel()
    assert any("Eq. 14" in t for t in _legend_texts(energy))  # U_S = <H_S> + <H_SR>/2
    assert "T=0.02" in energy.get_title() and "V=1" in energy.get_title()
    # the values drawn are the results' own
    np.testing.assert_array_equal(energy.lines[0].get_ydata(), [r.system.U for r in negf_results])


def test_state_functions_single_unit_returns_axes_and_accepts_ax(negf_results):
    _fig, ax = plt.subplots()
    out = plot.state_functions(negf_results, quantities=["S_S", "alpha_S_S"], alpha=1.0, ax=ax)
    assert out is ax
    assert "entropy (nats)" == ax.get_ylabel()
    assert any("α=1" in t and "Eq. 24" in t for t in _legend_texts(ax))


def test_state_functions_errors(negf_results):
    with pytest.raises(ValueError, match="alpha"):
        plot.state_functions(negf_results, x="eps_s", quantities=["alpha_U_S"])
    with pytest.raises(ValueError, match="unknown quantity"):
        plot.state_functions(negf_results, x="eps_s", quantities=["nonsense"])
    with pytest.raises(ValueError, match="x must have shape"):
        plot.state_functions(negf_results, x=[1.0, 2.0])
    with pytest.raises(TypeError, match="results must be"):
        plot.state_functions([object()])


def test_state_functions_exact_and_user_quantity():
    eps = np.linspace(-2.0, 2.0, 5)
    results = [st.exact.equilibrium(st.models.two_spin(e, 0.8, 1.2, 1.8), beta=1.0) for e in eps]
    axes = plot.state_functions(
        results, x=eps, xlabel="ε (units of energy)", quantities=["U_diff", "U_H*", "U_E*", "S_H*"]
    )
    energy, entropy = axes
    assert energy.get_xlabel() == "ε (units of energy)"
    assert any("Davoudi Eqs. 9, 10" in t for t in _legend_texts(energy))  # U_diff = U_SR - U_R^0
    assert "nats" in entropy.get_ylabel()
    ax = plot.state_functions(results, x=eps, quantities=[("Tr ρ_S H*_S", lambda r: r.U["H*"])])
    np.testing.assert_array_equal(ax.lines[0].get_ydata(), [r.U["H*"] for r in results])


def test_path_works_labels(process):
    ax = plot.path_works(process, x="eps_s")
    assert "ε_s" in ax.get_xlabel()
    assert "units of energy" in ax.get_ylabel()
    texts = _legend_texts(ax)
    assert any("W_ext" in t for t in texts) and any("Eq. 18" in t for t in texts)
    assert any("Eq. 21" in t for t in texts)
    # the last points are the process's own totals
    by_label = {line.get_label(): line for line in ax.lines}
    w_ext = next(v for k, v in by_label.items() if k.startswith("W_ext"))
    assert w_ext.get_ydata()[-1] == process.W_ext
    nonlocal_line = next(v for k, v in by_label.items() if "nonlocal work on S" in k)
    assert nonlocal_line.get_ydata()[-1] == process.nonlocal_work
    ax_s = plot.path_works(process, curves=["W_ext", "nonlocal_work_on_reservoir", "work_H_S"])
    assert "path parameter s" in ax_s.get_xlabel()
    with pytest.raises(ValueError, match="unknown curve"):
        plot.path_works(process, curves=["nonsense"])


@pytest.mark.parametrize(
    ("eps_B", "violates"), [(2.0, False), (-4.0, True)], ids=["obeys", "E*-violates"]
)
def test_second_law_bars_and_verdicts(eps_B, violates):
    A = st.models.two_spin(0.0, 0.8, 1.2, 1.8)
    q = st.exact.quench(A, st.models.two_spin(eps_B, 0.8, 1.2, 1.8), beta=1.0)
    ax = plot.second_law(q.second_law())
    assert len(ax.patches) == 6  # W - dF_S and Q - dS/beta for diff, H*, E*
    assert "units of energy" in ax.get_ylabel()
    assert "Eqs. 28, 35" in ax.get_title()
    verdicts = [t.get_text() for t in ax.texts]
    assert ("VIOLATES" in verdicts) == violates
    assert [t.get_text().split("\n")[0] for t in ax.get_xticklabels()] == ["U_diff", "U_H*", "U_E*"]
    plot.second_law(q)  # a Quench is accepted too


def test_second_law_unitary_final_state_has_work_bars_only():
    A = st.models.two_spin(0.0, 0.8, 1.2, 1.8)
    q = st.exact.quench(A, st.models.two_spin(2.0, 0.8, 1.2, 1.8), beta=1.0, t_f=1.0)
    ax = plot.second_law(q.second_law())
    assert len(ax.patches) == 3


def test_ldos_with_bound_state():
    eq = st.negf.equilibrium(RLM, BATH, eps_s=-2.5, V=1.5)
    assert len(eq.bound_states) == 1
    energies = np.linspace(-4.0, 4.0, 400)  # avoids the band edges +-2.5 exactly
    g_S, dg_R = st.negf.spectral_densities(RLM, energies, eq.params)
    ax = plot.ldos(energies, g_S, dg_R, bound_states=eq.bound_states, mu=0.0)
    assert "units of energy" in ax.get_xlabel()
    assert "density of states" in ax.get_ylabel()
    arrows = [t for t in ax.texts if "Z_S=" in t.get_text()]
    assert len(arrows) == 1 and f"{eq.bound_states[0].system_weight:.3g}" in arrows[0].get_text()
    lo, hi = ax.get_xlim()
    assert lo < eq.bound_states[0].energy < hi
    ax2 = plot.ldos(energies, g_S, bound_states=[(-3.0, 0.5), (3.0, 0.2, 0.8)])
    assert len([t for t in ax2.texts if "Z_S=" in t.get_text()]) == 2
    with pytest.raises(ValueError, match="same shape"):
        plot.ldos(energies, g_S[:-1])


def _dataset():
    xr = pytest.importorskip("xarray")
    eps = np.linspace(-1.0, 1.0, 5)
    V = np.array([0.5, 1.0, 1.5])
    S = np.add.outer(eps**2, V)
    return xr.Dataset(
        {
            "S_S": (("eps_s", "V"), S, {"units": "nats"}),
            "U_S": (("eps_s", "V"), -S, {"units": "units of energy", "long_name": "U_S, Eq. 14"}),
        },
        coords={"eps_s": ("eps_s", eps, {"units": "units of energy"}), "V": V},
        attrs={"title": "resonant level, T=0.02"},
    )


def test_sweep_map_colorbar_labelled():
    ds = _dataset()
    ax = plot.sweep_map(ds, "S_S")
    colorbar = ax.collections[0].colorbar
    assert colorbar is not None and "nats" in colorbar.ax.get_ylabel()
    assert "ε_s" in ax.get_xlabel() and ax.get_ylabel().startswith("V")
    assert "resonant level" in ax.get_title()
    ax2 = plot.sweep_map(ds, "U_S", x="V", y="eps_s")
    assert ax2.get_xlabel().startswith("V")
    with pytest.raises(ValueError, match="exactly 2 dimensions"):
        plot.sweep_map(ds.isel(V=0), "S_S")
    with pytest.raises(ValueError, match="not a data variable"):
        plot.sweep_map(ds, "nonsense")


def test_state_functions_from_dataset():
    ds = _dataset()
    axes = plot.state_functions(ds, x="eps_s")
    energy_or_entropy = {ax.get_ylabel() for ax in axes}
    assert energy_or_entropy == {"entropy (nats)", "energy (units of energy)"}
    assert len(axes[0].lines) == 3  # one line per value of V
    ax = plot.state_functions(ds.isel(V=1), quantities=["S_S"])
    assert "ε_s" in ax.get_xlabel()


def test_plots_of_a_real_sweep():
    pytest.importorskip("xarray")
    compute = st.sweeps.negf_equilibrium(RLM, BATH)
    ds = st.sweep(compute, {"eps_s": np.linspace(-1.0, 1.0, 3), "V": [0.5, 1.0]}, processes=1)
    ax = plot.sweep_map(ds, "system_S")
    assert "nats" in ax.collections[0].colorbar.ax.get_ylabel()
    assert ax.get_xlabel() == "ε_s (units of energy)" and ax.get_ylabel() == "V (units of energy)"
    axes = plot.state_functions(ds, x="eps_s", quantities=["system_U", "system_S", "system_N"])
    assert [a.get_ylabel() for a in axes] == [
        "energy (units of energy)",
        "entropy (nats)",
        "particle number (dimensionless)",
    ]
    assert "Eq. 14" in _legend_texts(axes[0])[0]


def test_state_functions_negf_with_values_as_x(negf_results):
    values = [r.params["eps_s"] for r in negf_results]
    ax = plot.state_functions(negf_results, x=values, xlabel="level", quantities=["U_S"])
    assert ax.get_xlabel() == "level" and "eps_s" not in ax.get_title()


def test_papers_choose_no_backend_and_draw_through_plot():
    # issue 9: papers/ sets no matplotlib backend at import and makes figures through st.plot
    from pathlib import Path

    papers = Path(st.__file__).parent / "papers"
    for source in papers.glob("*.py"):
        text = source.read_text()
        assert "matplotlib.use" not in text and "import matplotlib" not in text, source.name
    code = (
        "import matplotlib; matplotlib.use('template'); "
        "import strongtherm.papers.kumar2024, strongtherm.papers.davoudi2025, strongtherm.papers.compare; "
        "assert matplotlib.get_backend() == 'template', matplotlib.get_backend()"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_draw_picks_the_plot_by_result_type(process):
    A = st.models.two_spin(0.0, 0.8, 1.2, 1.8)
    q = st.exact.quench(A, st.models.two_spin(2.0, 0.8, 1.2, 1.8), beta=1.0)
    assert plot.can_draw(process) and plot.can_draw(q) and plot.can_draw(q.second_law())
    assert "W_ext" in plot.draw(process).get_legend().get_texts()[0].get_text()
    assert len(plot.draw(q).patches) == 6  # the second-law bars
    eq = st.negf.equilibrium(RLM, BATH, eps_s=0.0, V=1.0)
    assert not plot.can_draw(eq)
    with pytest.raises(TypeError, match="no standard plot for a Equilibrium"):
        plot.draw(eq)


def _grid_dataset(shape_names):
    # a synthetic sweep Dataset: the plot only draws, so any numbers with the registry's names do
    xr = pytest.importorskip("xarray")
    coords = {name: np.linspace(0.0, 1.0, n) for name, n in shape_names}
    shape = tuple(n for _, n in shape_names)
    values = np.arange(np.prod(shape), dtype=float).reshape(shape)
    data = {key: (list(coords), values + k) for k, key in enumerate(("system_N", "system_S", "system_Omega"))}
    return xr.Dataset(data, coords=coords)


def test_sweep_overview_is_shaped_by_the_grid():
    # issue 13: a 1-D grid gives curves, a 2-D grid one map per quantity (each with a colour bar),
    # a 3-D grid a row of maps per quantity, one per slice; length-one dimensions are fixed
    curves = st.plot.sweep_overview(_grid_dataset([("eps_s", 5), ("V", 1)]))
    first = np.ravel(curves)[0]
    assert first.lines and not first.collections
    maps = st.plot.sweep_overview(_grid_dataset([("eps_s", 5), ("V", 4)]))
    assert len(maps) == 3 and all(ax.collections[0].colorbar is not None for ax in maps)
    assert "V" in maps[0].get_ylabel() and "ε" in maps[0].get_xlabel()
    sliced = st.plot.sweep_overview(_grid_dataset([("eps_s", 5), ("V", 4), ("T", 6)]), max_slices=3)
    assert len(sliced) == 3 * 3  # three quantities x three slices along T
    assert "T=" in sliced[0].get_title()
    with pytest.raises(ValueError, match="slice_axis"):
        st.plot.sweep_overview(_grid_dataset([("eps_s", 5), ("V", 4), ("T", 6)]), slice_axis="mu")
    assert st.plot.draw(_grid_dataset([("eps_s", 5), ("V", 4)])).collections  # the CLI's plot: maps
    matplotlib.pyplot.close("all")


def test_titles_name_only_what_is_fixed_along_the_curve():
    # issue 13 (found while writing the finite-model tutorial): a beta scan must not be titled
    # with the first result's beta, nor an eps_s scan with the first eps_s
    A = st.models.two_spin(eps=0.0, alpha=0.8, gamma=1.2, chi=1.8)
    scan = st.exact.equilibria(A, [0.5, 1.0, 2.0])
    axes = st.plot.state_functions(list(scan), x=[0.5, 1.0, 2.0], quantities=["U_diff", "F_S"])
    assert "β=" not in np.ravel(axes)[0].get_title()
    rlm = st.models.resonant_level()
    eqs = [st.negf.equilibrium(rlm, st.Bath(T=0.1), eps_s=e, V=0.5) for e in (-0.5, 0.5)]
    title = np.ravel(st.plot.state_functions(eqs, x="eps_s"))[0].get_title()
    assert "ε_s=" not in title and "V=0.5" in title and "T=0.1" in title
    matplotlib.pyplot.close("all")


def test_drive_overview_draws_works_energies_and_entropy_production():
    # the standard plot of a finite-speed run (the CLI's drive.png): two panels with labelled axes
    rlm = st.models.resonant_level()
    proto = st.Protocol(st.Path.line({"eps_s": 0.0, "V": 0.6}, {"eps_s": 0.5, "V": 0.6}), duration=1.0)
    run = st.dynamics.drive(rlm, st.Bath(T=0.5), proto, times=[0.0, 0.5, 1.0])
    left, right = st.plot.draw(run).figure.axes[:2]
    assert "ħ" in left.get_xlabel() and "energy" in left.get_ylabel() and "nats" in right.get_ylabel()
    assert len(left.lines) >= 3 and len(right.lines) == 2
    with pytest.raises(TypeError, match="Drive"):
        st.plot.drive_overview(object())
    matplotlib.pyplot.close("all")


def test_bound_state_arrows_start_on_the_zero_line():
    # issue 13: with a deep negative delta g_R spike the arrows started below zero (the base was
    # clamped in axes fraction); now they start exactly at LDOS = 0 and rise with Z_S
    rlm = st.models.resonant_level()
    eq = st.negf.equilibrium(rlm, st.Bath(T=0.1), eps_s=-2.8, V=1.0)
    e = np.linspace(-3.5, 3.5, 800)
    g_S, dg_R = st.negf.spectral_densities(rlm, e, eq.params)
    ax = st.plot.ldos(e, g_S, dg_R, bound_states=eq.bound_states, mu=0.0)
    arrows = [a for a in ax.texts if getattr(a, "arrow_patch", None) is not None]
    assert len(arrows) == len(eq.bound_states) == 1
    base_axes = arrows[0].xyann[1]  # the tail, in axes fraction
    base_data = ax.transData.inverted().transform(ax.transAxes.transform((0.0, base_axes)))[1]
    assert abs(base_data) < 1e-9 * (ax.get_ylim()[1] - ax.get_ylim()[0])
    assert arrows[0].xy[1] > base_axes  # and it points up
    matplotlib.pyplot.close("all")
