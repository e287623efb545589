"""The standard plot of a result, chosen by its type: :func:`draw` and :func:`can_draw`.

A table from result type to drawer, never a guess from a result's attributes; ``strongtherm
run`` draws every result through it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import dynamics, exact, gaussian, negf
from ..core.statistics import WorkDistribution
from ..gaussian.statistics import FermionicWorkStatistics
from ._datasets import duration_overview, is_duration_sweep, sweep_overview
from ._results import (
    composite_drive_overview,
    drive_overview,
    friction_overview,
    path_works,
    second_law,
)
from ._statistics import work_density, work_distribution
from ._style import dataset_type
from ._transport import is_transport_sweep, transport_overview

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

__all__ = ["can_draw", "draw"]

def _drawers() -> list[tuple[type, Callable[[Any], Any]]]:
    """Result type -> the plot that shows it (a Dataset only once xarray is loaded: none exists before)."""
    table: list[tuple[type, Callable[[Any], Any]]] = [
        (dynamics.Drive, drive_overview),
        (dynamics.Friction, friction_overview),
        (exact.CompositeDrive, composite_drive_overview),
        (negf.QuasistaticProcess, path_works),
        (exact.Quench, second_law),
        (gaussian.FermionicQuench, second_law),
        (exact.SecondLawAudit, second_law),
        (WorkDistribution, work_distribution),
        (FermionicWorkStatistics, work_density),
    ]
    dataset = dataset_type()
    if dataset is not None:
        table.append((dataset, _dataset_overview))
    return table


def _dataset_overview(dataset: Any) -> Any:
    """A steady-state sweep over bias gets the two-terminal pictures, a sweep of ramps over their
    duration W(tau) against Delta F*_S; any other the generic overview."""
    if is_transport_sweep(dataset):
        return transport_overview(dataset)
    return duration_overview(dataset) if is_duration_sweep(dataset) else sweep_overview(dataset)


def _drawer_of(result: Any) -> Callable[[Any], Any] | None:
    for cls, drawer in _drawers():
        if isinstance(result, cls):
            return drawer
    return None


def can_draw(result: Any) -> bool:
    """Whether :func:`draw` knows the type of ``result``."""
    return _drawer_of(result) is not None


def draw(result: Any) -> Axes:
    """The standard plot of a result, chosen by its type.

    ``QuasistaticProcess`` -> :func:`path_works`; ``Quench``, ``FermionicQuench`` or
    ``SecondLawAudit`` -> :func:`second_law`; a sweep ``xarray.Dataset`` -> :func:`sweep_overview`
    (curves for a 1-D grid, maps for a 2-D grid, maps per slice beyond), or for a steady-state
    sweep over ``bias`` :func:`transport_overview` (I-V, conductance map, power-efficiency loop).

    Returns
    -------
    matplotlib.axes.Axes
        The (first) Axes drawn on; ``.figure`` is its figure.

    Raises
    ------
    TypeError
        For a result type without a standard plot.
    """
    drawer = _drawer_of(result)
    if drawer is None:
        raise TypeError(f"no standard plot for a {type(result).__name__}; see the functions of strongtherm.plot")
    ax = drawer(result)
    return ax[0] if isinstance(ax, np.ndarray) else ax
