"""Sweeps as pictures: :func:`sweep_map` (one variable over two coordinates) and
:func:`sweep_overview` (curves, maps or maps per slice, shaped by the grid).
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ..core.quantities import REGISTRY, parameter_symbol
from ._states import state_functions
from ._style import (
    format_params,
    is_dataset,
    new_axes,
    new_figure,
    parameter_label,
    variable_label,
    with_unit,
)

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

__all__ = ["sweep_map", "sweep_overview"]

def sweep_map(
    dataset: Any,
    variable: str,
    x: str | None = None,
    y: str | None = None,
    *,
    ax: Axes | None = None,
    cmap: str = "viridis",
    title: str | None = None,
) -> Axes:
    """A data variable of a sweep as a 2-D colour map over two coordinates.

    Parameters
    ----------
    dataset
        An :class:`xarray.Dataset` (from ``st.sweep``): coordinates with optional ``units`` /
        ``long_name`` attributes, scalar data variables.
    variable
        Name of the data variable to draw; it must have exactly two dimensions (select the
        others first, e.g. ``dataset.sel(T=0.02)``).
    x, y
        Coordinates on the x and y axes (default: the variable's first and second dimension).
    ax
        Axes to draw on (default: a new figure).
    cmap
        Colour map name.
    title
        Overrides the title (default: the variable's label and the dataset's title attribute).

    Returns
    -------
    matplotlib.axes.Axes
        The map's colour bar is ``ax.collections[0].colorbar``.
    """
    if not is_dataset(dataset):
        raise TypeError(f"dataset must be an xarray.Dataset, got {type(dataset).__name__}")
    if variable not in dataset.data_vars:
        raise ValueError(
            f"variable {variable!r} is not a data variable of the Dataset {list(dataset.data_vars)}"
        )
    da = dataset[variable]
    dims = list(da.dims)
    if len(dims) != 2:
        raise ValueError(
            f"variable {variable!r} must have exactly 2 dimensions for a map, but has {dims}: select the others first"
        )
    x = x or (dims[0] if y is None or y != dims[0] else dims[1])
    y = y or next(d for d in dims if d != x)
    if {x, y} != set(dims):
        raise ValueError(
            f"x and y must be the dimensions {dims} of {variable!r}, got x={x!r}, y={y!r}"
        )
    Z = np.asarray(da.transpose(y, x).values, dtype=float)
    xs = np.asarray(dataset[x].values, dtype=float)
    ys = np.asarray(dataset[y].values, dtype=float)
    ax = new_axes(ax)
    mesh = ax.pcolormesh(xs, ys, Z, shading="auto", cmap=cmap)
    q = variable_label(variable, da.attrs)
    colorbar = ax.figure.colorbar(mesh, ax=ax)
    colorbar.set_label(with_unit(q.symbol, q.unit or None))
    ax.set_xlabel(parameter_label(x, dataset[x].attrs))
    ax.set_ylabel(parameter_label(y, dataset[y].attrs))
    if title is None:
        title = textwrap.fill(q.label(), width=60) + (f"\n{dataset.attrs['title']}" if "title" in dataset.attrs else "")
    ax.set_title(title, fontsize="medium")
    return ax


def sweep_overview(
    dataset: Any,
    quantities: Sequence[str] | None = None,
    *,
    slice_axis: str | None = None,
    max_slices: int = 4,
) -> Any:
    """A sweep at a glance, shaped by its grid: curves, maps, or maps per slice.

    Dimensions of length one are fixed (named in the titles). A 1-D grid gives curves
    (:func:`state_functions`); a 2-D grid one colour map per quantity (:func:`sweep_map`, each
    with its labelled colour bar); a grid of three or more dimensions a row of maps per quantity,
    one per value of ``slice_axis`` (at most ``max_slices`` values, evenly spread), with any
    further dimensions fixed at their first value.

    Parameters
    ----------
    dataset
        An :class:`xarray.Dataset` from ``st.sweep``.
    quantities
        Data variables to draw (default: up to three headline quantities of the registry).
    slice_axis
        The dimension to slice along for 3-D and larger grids (default: the last one).
    max_slices
        Most slices drawn along ``slice_axis``.

    Returns
    -------
    matplotlib.axes.Axes or numpy.ndarray of Axes
    """
    if not is_dataset(dataset):
        raise TypeError(f"dataset must be an xarray.Dataset, got {type(dataset).__name__}")
    headline = [row.key for row in REGISTRY.values() if row.headline and row.key in dataset.data_vars]
    names = list(quantities) if quantities is not None else (headline[:3] or [str(v) for v in list(dataset.data_vars)[:3]])
    dims = [str(d) for d in dataset.dims if dataset.sizes[d] > 1]
    fixed = {str(d): float(dataset[d].values[0]) for d in dataset.dims if dataset.sizes[d] == 1}
    ds = dataset.isel({d: 0 for d in fixed})
    if len(dims) <= 1:
        return state_functions(ds, x=dims[0] if dims else None, quantities=names)
    note = f" ({format_params(fixed)})" if fixed else ""
    if len(dims) == 2:
        _, axes = new_figure(1, len(names), figsize=(4.8 * len(names), 3.9), squeeze=False, layout="constrained")
        for ax, name in zip(axes[0], names, strict=True):
            title = textwrap.fill(variable_label(name, ds[name].attrs).label() + note, width=52)  # fits one panel
            sweep_map(ds, name, x=dims[0], y=dims[1], ax=ax, title=title)
        return axes[0]
    if slice_axis is None:
        slice_axis = dims[-1]
    if slice_axis not in dims:
        raise ValueError(f"slice_axis must be one of the dimensions {dims}, got {slice_axis!r}")
    max_slices = int(max_slices)
    if max_slices < 1:
        raise ValueError(f"max_slices must be a positive integer, got {max_slices}")
    plane = [d for d in dims if d != slice_axis][:2]
    extra = {d: float(ds[d].values[0]) for d in dims if d not in plane and d != slice_axis}
    ds = ds.isel({d: 0 for d in extra})
    picks = np.unique(np.linspace(0, ds.sizes[slice_axis] - 1, min(max_slices, ds.sizes[slice_axis])).round().astype(int))
    note = f" ({format_params({**fixed, **extra})})" if fixed or extra else ""
    _, axes = new_figure(len(names), len(picks), figsize=(4.4 * len(picks), 3.6 * len(names)), squeeze=False, layout="constrained")
    for row, name in zip(axes, names, strict=True):
        for ax, k in zip(row, picks, strict=True):
            value = float(ds[slice_axis].values[k])
            title = f"{variable_label(name, ds[name].attrs).symbol}, {parameter_symbol(slice_axis)}={value:g}{note}"
            sweep_map(ds.isel({slice_axis: k}), name, x=plane[0], y=plane[1], ax=ax, title=title)
    return axes.ravel()
