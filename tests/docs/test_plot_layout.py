"""Issue 21 (a new user's findings on the plots): titles clipped at the figure's edge, legends over
the data, the drive plot drawing the Hilbert-space partition and alpha = 1/2 twice, and duration
plots with a linear tau axis in "units of energy" and no Delta F*_S line.

The layout checks measure the drawn figure (Agg at 100 dpi, after ``canvas.draw()``): every
title, suptitle and legend lies inside the figure (1 pixel of slack for rounding of the
extents), and no point of a plotted line (its vertices and 49 points along each segment) lies
inside a legend's box. Measured on the cases below before the fix: the state-function title ran
218 px and its legend 55 px past the figure's edge and the legends covered 62 of 800 and 24 of
400 line points; the path-works legend covered 28 of 453; the LDOS title ran 98 px past the edge.
After it: 0 everywhere.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pytest

import strongtherm as st
from strongtherm import plot
from strongtherm.plot._style import LEGEND_WIDTH, wrap_label

RLM = st.models.resonant_level(t0=1.25)
BATH = st.Bath(T=0.1)
SLACK_PX = 1.0  # the extents of texts are rounded to whole pixels


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _outside_figure(figure) -> list[str]:
    """Titles, suptitle and legends of ``figure`` whose drawn extent leaves the figure."""
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()
    box = figure.bbox
    texts = [(f"suptitle {figure._suptitle.get_text()[:30]!r}", figure._suptitle)] if figure._suptitle else []
    for ax in figure.axes:
        texts += [(f"title {t.get_text()[:30]!r}", t) for t in (ax.title, ax._left_title, ax._right_title) if t.get_text()]
        if ax.get_legend() is not None:
            texts.append(("legend", ax.get_legend()))
    bad = []
    for name, artist in texts:
        e = artist.get_window_extent(renderer)
        if e.x0 < box.x0 - SLACK_PX or e.x1 > box.x1 + SLACK_PX or e.y0 < box.y0 - SLACK_PX or e.y1 > box.y1 + SLACK_PX:
            bad.append(f"{name}: x {e.x0:.0f}..{e.x1:.0f}, y {e.y0:.0f}..{e.y1:.0f} of {box.x1:.0f} x {box.y1:.0f}")
    return bad


#: points per segment of a line at which the legend's box is tested (a segment may pass under the
#: box with both its ends outside)
SAMPLES = 50


def _covered_points(ax) -> int:
    """Points of the lines of ``ax`` (vertices and along segments) that its legend's box covers."""
    legend = ax.get_legend()
    if legend is None:
        return 0
    ax.figure.canvas.draw()
    box = legend.get_window_extent(ax.figure.canvas.get_renderer())
    covered = 0
    for line in ax.get_lines():
        xy = line.get_transform().transform(np.asarray(line.get_xydata(), dtype=float))
        xy = xy[np.all(np.isfinite(xy), axis=1)]
        if len(xy) > 1 and line.get_linestyle() not in ("None", ""):
            f = np.linspace(0.0, 1.0, SAMPLES)[:, None, None]
            xy = (xy[:-1][None] * (1.0 - f) + xy[1:][None] * f).reshape(-1, 2)
        covered += int(np.sum((xy[:, 0] > box.x0) & (xy[:, 0] < box.x1) & (xy[:, 1] > box.y0) & (xy[:, 1] < box.y1)))
    return covered


def _assert_laid_out(axes) -> None:
    axes = list(np.ravel(axes))
    assert _outside_figure(axes[0].figure) == []
    assert [_covered_points(ax) for ax in axes] == [0] * len(axes)


# --------------------------------------------------------------------------- layout
def test_state_functions_keep_titles_and_legends_inside_and_off_the_data():
    # the reported case: long registry labels (symbol, definition, equations) on a sweep of eps_s
    eqs = [st.negf.equilibrium(RLM, BATH, eps_s=e, V=1.0) for e in np.linspace(-2.0, 2.0, 9)]
    axes = plot.state_functions(eqs, title="resonant level with a long title that names every setting: t0 = 1.25, "
                                            "V = 1, T = 0.1, mu = 0, Kumar, Webb & Stafford PRL 133, 070404 (2024)")
    _assert_laid_out(axes)


def test_path_works_keep_titles_and_legends_inside_and_off_the_data():
    path = st.Path.line({"eps_s": -1.0, "V": 1.0}, {"eps_s": 1.0, "V": 0.5})
    ax = plot.path_works(st.negf.quasistatic(RLM, BATH, path, panels_per_segment=2))
    _assert_laid_out(ax)


def test_ldos_keeps_a_long_title_inside_the_figure():
    eq = st.negf.equilibrium(RLM, BATH, eps_s=-2.8, V=1.0)
    e = np.linspace(-3.5, 3.5, 400)
    g_S, dg_R = st.negf.spectral_densities(RLM, e, eq.params)
    title = "resonant level t0 = 1.25, eps_s = -2.8, V = 1, T = 0.1: LDOS with a bound state below the band and its weights"
    ax = plot.ldos(e, g_S, dg_R, bound_states=eq.bound_states, mu=0.0, title=title)
    _assert_laid_out(ax)
    assert ax.get_title().replace("\n", " ") == title  # wrapped, never cut


def test_wrapped_labels_keep_equations_and_mathtext_whole():
    label = "U_S: system internal energy, Hilbert-space partition, ∫g_S εf = ⟨H_S⟩ + ½⟨H_SR⟩ (Kumar Eqs. 10, 14)"
    lines = wrap_label(label).split("\n")
    assert len(lines) > 1 and all(len(line) <= LEGEND_WIDTH for line in lines)
    assert "Kumar Eqs. 10, 14" in lines[-1] and " ".join(lines) == label
    assert wrap_label(r"Q − TΔ$\mathcal{S} x y$ ≤ 0", width=5).split("\n") == ["Q −", r"TΔ$\mathcal{S} x y$", "≤ 0"]


# --------------------------------------------------------------------------- drive plot
@pytest.fixture(scope="module")
def run():
    proto = st.Protocol(st.Path.line({"eps_s": 0.0, "V": 0.6}, {"eps_s": 1.0, "V": 0.6}), duration=2.0)
    return st.dynamics.drive(RLM, BATH, proto, times=np.linspace(0.0, 2.0, 5))


def test_the_drive_plot_draws_each_system_energy_once(run):
    left, right = plot.drive_overview(run)
    labels = [line.get_label() for line in left.get_lines()]
    # hilbert and alpha=0.5 are one series, H_S and alpha=0 another: each drawn once
    np.testing.assert_array_equal(run.system_energy["hilbert"], run.system_energy["alpha=0.5"])
    np.testing.assert_array_equal(run.system_energy["H_S"], run.system_energy["alpha=0"])
    energies = [label for label in labels if label.startswith("ΔU_S")]
    assert len(energies) == len(run.system_energy) - 2 == 5
    assert any("Hilbert" in label and "α = 1/2" in label for label in energies)
    assert not any("alpha=0.5" in label or "[H_S]" in label for label in energies)
    assert len(left.get_lines()) == 2 + 5 + 1  # W_ext, Q, five energies, Delta F*_S
    _assert_laid_out([left, right])


def test_the_drive_plot_leaves_out_energies_it_did_not_compute():
    proto = st.Protocol(st.Path.line({"eps_s": 0.0, "V": 0.6}, {"eps_s": 1.0, "V": 0.6}), duration=1.0)
    bare = st.dynamics.drive(RLM, BATH, proto, times=[0.0, 0.5, 1.0], mean_force_energies=False)
    left, _ = plot.drive_overview(bare)
    energies = [line.get_label() for line in left.get_lines() if line.get_label().startswith("ΔU_S")]
    assert len(energies) == 3 and not any("H*" in label or "E*" in label for label in energies)


# --------------------------------------------------------------------------- duration plot
@pytest.fixture(scope="module")
def durations():
    pytest.importorskip("xarray")
    compute = st.sweeps.dynamics_drive(RLM, BATH, [{"eps_s": 0.0, "V": 0.6}, {"eps_s": 1.0, "V": 0.6}])
    return st.sweep(compute, {"duration": [0.0, 0.5, 1.0, 2.0]}, processes=1, progress=False)


def test_the_duration_plot_has_a_log_tau_axis_in_hbar_per_energy_and_the_quasistatic_line(durations):
    left, right = plot.draw(durations).figure.axes[:2]  # the standard plot of such a sweep
    for ax in (left, right):
        assert ax.get_xscale() == "log"
        assert ax.get_xlabel() == "ramp duration τ (units of ħ / energy)"
    dF = float(durations["delta_F_S_engine"].values[0])
    reference = [line for line in left.get_lines() if line.get_label().startswith("ΔF*_S")]
    assert len(reference) == 1 and np.all(np.asarray(reference[0].get_ydata()) == dF)
    # tau = 0 (the sudden quench) cannot sit on a log axis: it is a line at its work, not a point
    sudden = [line for line in left.get_lines() if "sudden" in line.get_label()]
    assert len(sudden) == 1 and np.all(np.asarray(sudden[0].get_ydata()) == float(durations["W_ext"].values[0]))
    work = next(line for line in left.get_lines() if line.get_label().startswith("W_ext"))
    np.testing.assert_array_equal(work.get_xdata(), [0.5, 1.0, 2.0])
    np.testing.assert_array_equal(work.get_ydata(), durations["W_ext"].values[1:])
    dissipated = right.get_lines()[0]
    np.testing.assert_array_equal(dissipated.get_ydata(), durations["W_ext"].values[1:] - dF)
    assert right.get_yscale() == "log"  # W - Delta F*_S > 0 at every tau
    _assert_laid_out([left, right])


def test_the_duration_plot_refuses_what_it_cannot_draw(durations):
    with pytest.raises(ValueError, match=r"dataset must be a sweep over 'duration' alone"):
        plot.duration_overview(durations.drop_vars("delta_F_S_engine"))
    with pytest.raises(ValueError, match=r"the sweep holds no duration > 0"):
        plot.duration_overview(durations.isel(duration=[0, 0]))
    with pytest.raises(TypeError, match=r"dataset must be an xarray\.Dataset, got list"):
        plot.duration_overview([1.0])


def test_a_users_own_sweep_over_duration_labels_tau_as_a_time():
    # st.sweep over any function of `duration` (not the ready-made computation): the coordinate's
    # unit is a time, not the energy of a model parameter
    from strongtherm.core.quantities import parameter_unit

    assert parameter_unit("duration") == parameter_unit("tau") == parameter_unit("hold") == "time"
    assert plot._style.parameter_label("duration") == "duration (units of ħ / energy)"


def test_the_friction_plot_is_labelled_in_units_and_laid_out():
    path = st.Path.line({"eps_s": 0.0, "V": 0.6}, {"eps_s": 1.0, "V": 0.6})
    fr = st.dynamics.friction(RLM, BATH, path)
    density, schedule = plot.draw(fr).figure.axes[:2]
    assert density.get_ylabel() == "dissipation density λ′ᵀζλ′ (units of ħ)"
    assert density.get_xlabel() == schedule.get_ylabel() == "path parameter s (dimensionless)"
    assert f"{fr.predicted_dissipation(1.0):.6g}" in density.get_title().replace("\n", " ")
    _assert_laid_out([density, schedule])
