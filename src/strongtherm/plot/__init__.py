"""Plots of strongtherm results: they draw what was computed and never recompute it.

Every function takes results (or, for :func:`ldos`, precomputed arrays), draws onto ``ax`` (a
new figure when ``ax`` is None) and returns the :class:`matplotlib.axes.Axes` it drew on. Axes
are labelled with the quantity, the definition it follows (equation numbers of Kumar, Webb &
Stafford, PRL 133, 070404 (2024) or of Davoudi et al. (2025)) and its unit: energies "in units of
energy" (the model's unit), entropies in nats, as on the conventions page of the documentation.

* :func:`state_functions` - state functions versus a parameter, from a list of equilibrium
  results (either engine) or from a sweep :class:`xarray.Dataset`;
* :func:`path_works` - cumulative works along a quasistatic path (W_ext, Delta Omega_S,
  Delta(delta Omega_R), W_S, nonlocal work);
* :func:`second_law` - W - Delta F_S (Eq. 28) and Q - Delta S / beta (Eq. 35) per definition of
  a quench, with the verdict of each;
* :func:`ldos` - system LDOS g_S and reservoir change delta g_R, with bound states (delta peaks)
  marked by arrows and their weights;
* :func:`sweep_map` - a data variable of a sweep as a 2-D map over two coordinates;
* :func:`sweep_overview` - a sweep at a glance, shaped by its grid (curves, maps, maps per slice);
* :func:`drive_overview` - a finite-speed run: works, energies and entropy production;
* :func:`composite_drive_overview` - a finite composite driven at finite speed (one-sigma bands on
  the typicality road);
* :func:`duration_overview` - ramps against their duration tau (log axis): W(tau), the
  quasistatic limit Delta F*_S and the dissipated work;
* :func:`friction_overview` - the friction metric along a path and the minimum-dissipation schedule;
* :func:`draw` - the standard plot of a result, chosen by the result's type (a table from type
  to drawer, never a guess from its attributes); :func:`new_figure` and :func:`save_figure`,
  through which the reproductions of :mod:`strongtherm.papers` make their figures.

Labels come from the quantity registry (:mod:`strongtherm.core.quantities`): a quantity is named
by its short name (``"U_S"``, ``"U_H*"``) or its ``to_dict()`` key (``"system_U"``,
``"U_Hstar"``), and shows its symbol, definition, equation and unit. Parameter names print with
Greek letters (``eps_s`` -> ε_s); T, μ and a model's Hamiltonian parameters are energies, β an
inverse energy.

Axis labels are :class:`AxisLabel` objects (:data:`AXIS_LABELS` by short name): how a quantity
is shown, not the quantity itself, which is a row of the registry.

Every public name is imported from this package (``st.plot.X``); its private modules do one job
each: ``_style`` (labels, units, figures), ``_states`` (:func:`state_functions`), ``_results``
(one drawer per result type), ``_datasets`` (sweep maps and overviews), ``_transport`` (I-V,
conductance map, power-efficiency loop of steady-state sweeps), ``_draw`` (the dispatch by type).

matplotlib is imported only when a function here is called, so ``import strongtherm`` stays
light. No backend is chosen here: on a machine without a display matplotlib falls back to Agg.
"""

from __future__ import annotations

from . import _style
from ._datasets import duration_overview, sweep_map, sweep_overview
from ._draw import can_draw, draw
from ._results import (
    composite_drive_overview,
    drive_overview,
    friction_overview,
    ldos,
    path_works,
    second_law,
)
from ._states import state_functions
from ._statistics import work_density, work_distribution
from ._style import AxisLabel, new_figure, save_figure
from ._transport import conductance_map, iv_curves, power_efficiency, transport_overview

__all__ = [
    "AXIS_LABELS",
    "AxisLabel",
    "can_draw",
    "composite_drive_overview",
    "conductance_map",
    "draw",
    "drive_overview",
    "duration_overview",
    "friction_overview",
    "iv_curves",
    "ldos",
    "new_figure",
    "path_works",
    "power_efficiency",
    "save_figure",
    "second_law",
    "state_functions",
    "sweep_map",
    "sweep_overview",
    "transport_overview",
    "work_density",
    "work_distribution",
]

#: Labels of the quantities :func:`state_functions` knows by their short names (``N_S``,
#: ``U_S``, ``S_S``, ``Omega_S``, ``dN_R``, ``dU_R``, ``dS_R``, ``dOmega_R``, ``H_S``, ``H_SR``,
#: ``alpha_U_S``, ``alpha_S_S``; ``U_diff``, ``U_H*``, ``U_E*``, ``F_S``, ``S_diff``, ``S_H*``,
#: ``S_E*``). Every key of a result's ``to_dict()`` (``system_U``, ``U_Hstar``, ...) is
#: accepted too. All of them are rows of the quantity registry
#: (:mod:`strongtherm.core.quantities`), which this dict is read from.
AXIS_LABELS: dict[str, AxisLabel] = _style.AXIS_LABELS
