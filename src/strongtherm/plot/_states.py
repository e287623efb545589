"""State functions versus a parameter: :func:`state_functions`, for lists of results and sweeps.

A list of equilibrium results of either engine is read through a small reader per result type
(:class:`strongtherm.negf.Equilibrium`, :class:`strongtherm.exact.Equilibrium`); a sweep
:class:`xarray.Dataset` through its coordinates and data variables. Curves of one unit share an
Axes, so energies, entropies and particle numbers are never drawn against one scale.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import exact, negf
from ..core.quantities import parameter_symbol
from ._style import (
    AXIS_LABELS,
    ENERGY,
    AxisLabel,
    axis_label_of,
    fit_title,
    format_params,
    is_dataset,
    legend_beside,
    parameter_label,
    pyplot,
    resolve,
    variable_label,
    with_unit,
)

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

__all__ = ["state_functions"]

class _NegfStates:
    """How :func:`state_functions` reads a list of :class:`strongtherm.negf.Equilibrium`."""

    defaults = ("U_S", "Omega_S", "S_S")

    @staticmethod
    def values(result: Any, key: str, alpha: float | None) -> float:
        return float(result.to_dict(() if alpha is None else (alpha,))[key])

    @staticmethod
    def default_x(results: Sequence[Any]) -> str:
        varying = [k for k in results[0].params if len({float(r.params[k]) for r in results}) > 1]
        if len(varying) != 1:
            raise ValueError(f"give x=: the parameters that vary are {varying}")
        return varying[0]

    @staticmethod
    def x_of(result: Any, x: str) -> float:
        if x in result.params:
            return float(result.params[x])
        if x in ("T", "mu"):
            return float(getattr(result.bath, x))
        if x == "beta":
            return 1.0 / float(result.bath.T)
        raise ValueError(f"x={x!r} is neither a parameter of {result.model.name} {sorted(result.params)} nor T, mu, beta")

    @staticmethod
    def title(results: Sequence[Any], x: Any) -> str:
        # only what is the same for every result goes in the title (never the first one's value
        # of a parameter that varies along the curve)
        first = results[0]
        fixed = {k: v for k, v in first.params.items() if all(r.params.get(k) == v for r in results)}
        for name in ("T", "mu"):
            value = getattr(first.bath, name)
            if all(getattr(r.bath, name) == value for r in results):
                fixed[name] = value
        return f"{first.model.name}: {format_params(fixed)} (Kumar et al. 2024)"


class _ExactStates:
    """How :func:`state_functions` reads a list of :class:`strongtherm.exact.Equilibrium`."""

    defaults = ("U_diff", "U_H*", "U_E*", "F_S")

    @staticmethod
    def values(result: Any, key: str, alpha: float | None) -> float:
        return float(result.to_dict()[key])

    @staticmethod
    def default_x(results: Sequence[Any]) -> str:
        return "beta"

    @staticmethod
    def x_of(result: Any, x: str) -> float:
        if x == "beta":
            return float(result.beta)
        raise ValueError(
            f"x={x!r}: an exact Equilibrium knows only 'beta'; pass the parameter values as an array, "
            "e.g. x=np.linspace(...), and name them with xlabel="
        )

    @staticmethod
    def title(results: Sequence[Any], x: Any) -> str:
        beta = results[0].beta
        fixed = f", β={beta:g}" if all(r.beta == beta for r in results) else ""
        return f"mean-force state functions{fixed} (Davoudi et al. 2025)"


#: result type -> how to read it
_STATE_READERS: dict[type, Any] = {negf.Equilibrium: _NegfStates, exact.Equilibrium: _ExactStates}


def _reader_of(result: Any) -> Any:
    for cls in type(result).__mro__:
        if cls in _STATE_READERS:
            return _STATE_READERS[cls]
    raise TypeError(
        "results must be strongtherm.negf.Equilibrium or strongtherm.exact.Equilibrium objects "
        f"(or an xarray.Dataset from st.sweep), got {type(result).__name__}"
    )


def _draw_groups(
    curves: list[tuple[str, AxisLabel, np.ndarray, np.ndarray]],
    ax: Axes | Sequence[Axes] | None,
    xlabel: str,
    title: str | None,
) -> Any:
    units: list[str] = []
    for _, q, _, _ in curves:
        if q.unit not in units:
            units.append(q.unit)
    if ax is None:
        _, axes = pyplot().subplots(
            len(units),
            1,
            sharex=True,
            squeeze=False,
            figsize=(9.0, 2.2 + 2.0 * len(units)),  # room for the legends beside the axes
            layout="constrained",
        )
        axes = list(axes[:, 0])
    elif len(units) == 1 and not isinstance(ax, Sequence | np.ndarray):
        axes = [ax]
    else:
        axes = list(np.ravel(np.asarray(ax, dtype=object)))
        if len(axes) != len(units):
            raise ValueError(
                f"the quantities come in {len(units)} units {units}: pass as many Axes in ax, got {len(axes)}"
            )
    for axis, unit in zip(axes, units, strict=True):
        for legend, q, xs, ys in curves:
            if q.unit == unit:
                style = "-o" if len(xs) < 25 else "-"
                axis.plot(xs, ys, style, ms=3, label=legend)
        kinds = {q.kind for _, q, _, _ in curves if q.unit == unit}
        kind = kinds.pop() if len(kinds) == 1 and "" not in kinds else "value"
        axis.set_ylabel(with_unit(kind, unit or None))
        legend_beside(axis)
        axis.grid(alpha=0.3)
    for axis in axes:
        axis.set_xlabel(xlabel)
    if title:
        axes[0].set_title(fit_title(title, axes[0].figure), fontsize="medium")
    return axes[0] if len(axes) == 1 else np.array(axes, dtype=object)


def state_functions(
    results: Any,
    x: str | Sequence[float] | np.ndarray | None = None,
    quantities: Sequence[str | tuple[str, Callable[[Any], float]]] | None = None,
    *,
    alpha: float | None = None,
    xlabel: str | None = None,
    ax: Axes | Sequence[Axes] | None = None,
    title: str | None = None,
) -> Any:
    """State functions versus a parameter.

    Parameters
    ----------
    results
        A sequence of :class:`strongtherm.negf.Equilibrium` or of
        :class:`strongtherm.exact.Equilibrium` (one per parameter value), or an
        :class:`xarray.Dataset` from ``st.sweep`` (scalar data variables over coordinates).
    x
        The parameter on the x axis: a model parameter name (``"eps_s"``), ``"T"``, ``"mu"`` or
        ``"beta"`` for a list of results; a coordinate name for a Dataset (default: its only
        dimension); or the values themselves as an array (then name them with ``xlabel``).
    quantities
        Names from :data:`AXIS_LABELS` (default ``U_S, Omega_S, S_S`` for the Green's-function
        engine, ``U_diff, U_H*, U_E*, F_S`` for the mean-force engine), data-variable names of a
        Dataset (default: all of them), or ``(label, function)`` pairs where ``function(result)``
        returns a number (unit taken as energy).
    alpha
        α of the α-partition, for ``alpha_U_S`` and ``alpha_S_S`` (Kumar Eqs. 22, 24).
    xlabel
        Overrides the x-axis label.
    ax
        Axes to draw on. Quantities of different units (energy, entropy, particle number) go on
        separate Axes: pass one Axes per unit, in the order the units first appear.
    title
        Overrides the title.

    Returns
    -------
    matplotlib.axes.Axes or numpy.ndarray of Axes
        One Axes if all quantities share a unit, else an array with one Axes per unit.
    """
    if is_dataset(results):
        return _state_functions_dataset(results, x, quantities, xlabel=xlabel, ax=ax, title=title)
    results = list(results)
    if not results:
        raise ValueError("results must hold at least one equilibrium result, got an empty sequence")
    reader = _reader_of(results[0])
    if any(_reader_of(r) is not reader for r in results):
        raise TypeError("results must all come from the same engine")
    if x is None:
        x = reader.default_x(results)
    if isinstance(x, str):
        xs = np.array([reader.x_of(r, x) for r in results])
        default_xlabel = parameter_label(x)
    else:
        xs = np.asarray(x, dtype=float)
        if xs.shape != (len(results),):
            raise ValueError(
                f"x must have shape ({len(results)},) like results, but has shape {xs.shape}"
            )
        default_xlabel = "parameter"
    names = list(quantities) if quantities is not None else list(reader.defaults)
    curves = []
    for item in names:
        if isinstance(item, tuple):
            label, function = item
            q = AxisLabel(str(label), "user quantity", ENERGY, "energy")
            ys = np.array([float(function(r)) for r in results])
        else:
            row = resolve(item)
            if row is None:
                raise ValueError(
                    f"unknown quantity {item!r}; choose from {list(AXIS_LABELS)}, a key of the results' "
                    "to_dict(), or pass (label, function)"
                )
            if row.suffix == "alpha":
                if alpha is None:
                    raise ValueError(
                        f"quantity {item!r} needs the α of the α-partition: pass alpha=... (0 <= alpha <= 1)"
                    )
                row = row.instance(f"{float(alpha):g}")
            q = axis_label_of(row)
            try:
                ys = np.array([reader.values(r, row.key, alpha) for r in results])
            except KeyError:
                raise ValueError(
                    f"unknown quantity {item!r} for {type(results[0]).__name__}: its results are "
                    f"{sorted(results[0].to_dict())}"
                ) from None
        curves.append((q.label(), q, xs, ys))
    if title is None:
        title = reader.title(results, x)
    return _draw_groups(curves, ax, xlabel or default_xlabel, title)


def _state_functions_dataset(
    ds: Any,
    x: Any,
    quantities: Any,
    *,
    xlabel: str | None,
    ax: Any,
    title: str | None,
) -> Any:
    if x is None:
        if len(ds.dims) != 1:
            raise ValueError(f"give x=: the Dataset has dimensions {list(ds.dims)}")
        x = next(iter(ds.dims))
    if not isinstance(x, str) or x not in ds.coords:
        raise ValueError(f"x must name a coordinate of the Dataset {list(ds.coords)}, got {x!r}")
    names = list(quantities) if quantities is not None else [str(v) for v in ds.data_vars]
    xs = np.asarray(ds[x].values, dtype=float)
    curves = []
    for name in names:
        if name not in ds.data_vars:
            # one naming for lists of results and Datasets: a short plot name ("U_S", "U_H*") is
            # the registry row whose key is the Dataset's variable ("system_U", "U_Hstar")
            row = resolve(name)
            if row is None or row.key not in ds.data_vars:
                raise ValueError(f"{name!r} is not a data variable of the Dataset {list(ds.data_vars)}")
            name = row.key
        da = ds[name]
        if x not in da.dims:
            raise ValueError(f"data variable {name!r} does not depend on {x!r} (dims {da.dims})")
        q = variable_label(name, da.attrs)
        others = [d for d in da.dims if d != x]
        values = np.asarray(da.transpose(x, *others).values, dtype=float).reshape(len(xs), -1)
        if others:
            grids = np.meshgrid(*(np.asarray(ds[d].values) for d in others), indexing="ij")
            combos = [
                ", ".join(
                    f"{parameter_symbol(d)}={g.ravel()[j]:g}"
                    for d, g in zip(others, grids, strict=True)
                )
                for j in range(values.shape[1])
            ]
        else:
            combos = [""]
        for j, combo in enumerate(combos):
            legend = q.label() + (f" [{combo}]" if combo else "")
            curves.append((legend, q, xs, values[:, j]))
    if title is None:
        title = str(ds.attrs.get("title", "")) or None
    return _draw_groups(curves, ax, xlabel or parameter_label(x, ds[x].attrs), title)
