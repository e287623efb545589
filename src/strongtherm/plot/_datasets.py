"""Sweeps as pictures: :func:`sweep_map` (one variable over two coordinates),
:func:`sweep_overview` (curves, maps or maps per slice, shaped by the grid) and
:func:`duration_overview` (finite-speed ramps against their duration).
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ..core.quantities import REGISTRY, UNITS, parameter_symbol
from ._states import state_functions
from ._style import (
    ENERGY,
    fit_title,
    format_params,
    is_dataset,
    legend_beside,
    new_axes,
    new_figure,
    parameter_label,
    variable_label,
    with_unit,
)

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

__all__ = ["duration_overview", "is_duration_sweep", "sweep_map", "sweep_overview"]

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


#: the grid key of a sweep over ramp durations, and what each of its points must hold
DURATION_KEY = "duration"
#: the free-energy change a duration sweep holds beside W_ext: the Green's-function engine's
#: (a fermionic drive) or the composite's own (st.sweeps.composite_drive)
_DURATION_REFERENCES = ("delta_F_S_engine", "delta_F_S")


#: Most durations labelled one by one on the tau axis; more get the decades only.
_MAX_TAU_LABELS = 8


def _log_duration_axis(ax: Axes, tau: np.ndarray) -> None:
    """A logarithmic tau axis: few durations are labelled at their own values (within a decade
    the default minor labels overlap), many at the decades."""
    from matplotlib.ticker import FixedLocator, NullFormatter, NullLocator

    ax.set_xscale("log")
    if len(tau) <= _MAX_TAU_LABELS:
        ax.xaxis.set_major_locator(FixedLocator(tau.tolist()))
        ax.xaxis.set_major_formatter(lambda value, _pos: f"{value:g}")
        ax.xaxis.set_minor_locator(NullLocator())
    else:
        ax.xaxis.set_minor_formatter(NullFormatter())


def is_duration_sweep(dataset: Any) -> bool:
    """A sweep of finite-speed ramps over their duration alone (``st.sweeps.dynamics_drive`` or
    ``st.sweeps.composite_drive``, or any sweep whose one dimension longer than 1 is ``duration``
    and which holds W_ext and delta_F_S_engine or delta_F_S)."""
    if not is_dataset(dataset):
        return False
    dims = [str(d) for d in dataset.dims if dataset.sizes[d] > 1]
    return (dims == [DURATION_KEY] and "W_ext" in dataset.data_vars
            and any(v in dataset.data_vars for v in _DURATION_REFERENCES))  # fmt: skip


def duration_overview(dataset: Any, *, title: str | None = None) -> Any:
    """Finite-speed ramps against their duration tau, on a logarithmic tau axis.

    Left: the work W_ext(tau) with the quasistatic limit Delta F*_S (the Green's-function engine's,
    the same at every tau: a dashed line), and the sudden quench (tau = 0, which a logarithmic axis
    cannot show) as a dotted line when the grid holds it. For a finite composite
    (``st.sweeps.composite_drive``) Delta F*_S is the reversible isothermal reference and the
    quantum-adiabatic work, the tau -> infinity limit of a closed universe, is drawn too; on its
    typicality road with one-sigma error bars. Right: the dissipated work W_ext - Delta F*_S
    (>= 0 by the second law for the Gibbs start), on a logarithmic axis when it is positive at
    every tau.

    Parameters
    ----------
    dataset
        An :class:`xarray.Dataset` whose one dimension is ``duration`` (units of hbar / energy),
        with ``W_ext`` and ``delta_F_S_engine`` (or ``delta_F_S``): ``st.sweep(st.sweeps.dynamics_drive(...),
        {"duration": taus})``, ``st.sweeps.composite_drive``, or a config task ``kind = "drive"`` with
        ``grid.duration``.
    title
        Overrides the title (default: the dataset's model, path and bath attributes).

    Returns
    -------
    numpy.ndarray of Axes
        The two Axes.

    Raises
    ------
    TypeError
        If ``dataset`` is not an xarray.Dataset.
    ValueError
        If it is not a sweep over ``duration`` alone with ``W_ext`` and ``delta_F_S_engine`` (or
        ``delta_F_S``), or holds no duration > 0.
    """
    if not is_dataset(dataset):
        raise TypeError(f"dataset must be an xarray.Dataset, got {type(dataset).__name__}")
    if not is_duration_sweep(dataset):
        raise ValueError(f"dataset must be a sweep over {DURATION_KEY!r} alone holding W_ext and one of "
                         f"{list(_DURATION_REFERENCES)}; "
                         f"it has dimensions {dict(dataset.sizes)} and variables {list(dataset.data_vars)[:8]}")  # fmt: skip
    ds = dataset.isel({d: 0 for d in dataset.dims if d != DURATION_KEY})
    tau = np.asarray(ds[DURATION_KEY].values, dtype=float)
    W = np.asarray(ds["W_ext"].values, dtype=float)
    reference_name = next(v for v in _DURATION_REFERENCES if v in ds.data_vars)
    reference = np.asarray(ds[reference_name].values, dtype=float)
    # a finite closed composite tends to its quantum-adiabatic work as tau -> infinity, not to
    # Delta F*_S (which stays the reversible, isothermal reference)
    adiabatic = np.asarray(ds["adiabatic_work"].values, dtype=float) if "adiabatic_work" in ds.data_vars else None
    ramps = tau > 0.0
    if not np.any(ramps):
        raise ValueError("the sweep holds no duration > 0: a logarithmic tau axis needs one")
    finite = reference[np.isfinite(reference)]
    delta_F = float(np.median(finite)) if finite.size else float("nan")  # one value: it depends on the path only
    fig, (left, right) = new_figure(1, 2, figsize=(13.0, 4.4), layout="constrained")
    tau_label = with_unit("ramp duration τ", UNITS["time"])
    left.plot(tau[ramps], W[ramps], "ko-", ms=4, label="W_ext(τ) = ∫⟨∂H/∂t⟩dt at the end of the ramp")
    composite = reference_name == "delta_F_S"
    if np.isfinite(delta_F):
        limit = "reversible isothermal work" if composite else "quasistatic limit τ → ∞"
        left.axhline(delta_F, color="tab:red", ls="--", lw=1.0, label=f"ΔF*_S = {delta_F:.6g} ({limit})")
    if adiabatic is not None and np.any(np.isfinite(adiabatic)):
        W_ad = float(np.nanmedian(adiabatic))
        left.axhline(W_ad, color="C4", ls="-.", lw=1.0, label=f"quantum-adiabatic work {W_ad:.6g} (τ → ∞, closed universe)")
    if not np.all(ramps):
        left.axhline(float(W[~ramps][0]), color="0.4", ls=":", lw=1.0, label="W_ext at τ = 0 (sudden quench)")
    dissipated = W[ramps] - delta_F
    right.plot(tau[ramps], dissipated, "C0o-", ms=4, label="W_diss(τ) = W_ext − ΔF*_S")
    if "error_W" in ds.data_vars:  # the typicality road: one-sigma bars
        error = np.asarray(ds["error_dissipated_work"].values, dtype=float)[ramps]
        left.errorbar(tau[ramps], W[ramps], yerr=np.asarray(ds["error_W"].values, dtype=float)[ramps], fmt="none",
                      ecolor="k", capsize=2, lw=0.8)  # fmt: skip
        right.errorbar(tau[ramps], dissipated, yerr=error, fmt="none", ecolor="C0", capsize=2, lw=0.8)
    for ax in (left, right):
        _log_duration_axis(ax, tau[ramps])
        ax.set_xlabel(tau_label)
        ax.grid(alpha=0.3, which="both")
        legend_beside(ax, width=30, fontsize="x-small")
    if np.all(dissipated > 0.0):
        right.set_yscale("log")
    left.set_ylabel(with_unit("work", ENERGY))
    right.set_ylabel(with_unit("dissipated work", ENERGY))
    if title is None:
        attrs = ds.attrs
        parts = [str(attrs.get("model", "")), str(attrs.get("path", ""))]
        if "T" in attrs:
            parts.append(f"T={float(attrs['T']):g}, μ={float(attrs.get('mu', 0.0)):g}")
        if "beta" in attrs:
            parts.append(f"β={float(attrs['beta']):g} ({attrs.get('method', '')})")
        if "schedule" in attrs:
            parts.append(f"schedule {attrs['schedule']}" + (f", hold {float(attrs['hold']):g}" if "hold" in attrs else ""))
        title = "finite-speed ramps against their duration: " + "; ".join(p for p in parts if p)
    fig.suptitle(fit_title(title, fig), fontsize="medium")
    return np.array([left, right], dtype=object)
