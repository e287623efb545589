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
* :func:`draw` - the standard plot of a result, chosen by the result's type (a table from type
  to drawer, never a guess from its attributes); :func:`new_figure` and :func:`save_figure`,
  through which the reproductions of :mod:`strongtherm.papers` make their figures.

Labels come from the quantity registry (:mod:`strongtherm.core.quantities`): a quantity is named
by its short name (``"U_S"``, ``"U_H*"``) or its ``to_dict()`` key (``"system_U"``,
``"U_Hstar"``), and shows its symbol, definition, equation and unit. Parameter names print with
Greek letters (``eps_s`` -> ε_s); T, μ and a model's Hamiltonian parameters are energies, β an
inverse energy.

matplotlib is imported only when a function here is called, so ``import strongtherm`` stays
light. No backend is chosen here: on a machine without a display matplotlib falls back to Agg.
"""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from .core.quantities import REGISTRY, UNITS, lookup, parameter_symbol, parameter_unit

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

__all__ = [
    "QUANTITIES",
    "Quantity",
    "can_draw",
    "draw",
    "drive_overview",
    "ldos",
    "new_figure",
    "path_works",
    "save_figure",
    "second_law",
    "state_functions",
    "sweep_map",
    "sweep_overview",
]

ENERGY = UNITS["energy"]
ENTROPY = UNITS["nats"]
NUMBER = UNITS["1"]
INVERSE_ENERGY = UNITS["1/energy"]


@dataclass(frozen=True)
class Quantity:
    """How a scalar quantity is labelled: symbol, definition (with its equation) and unit."""

    symbol: str
    definition: str
    unit: str
    kind: str = ""

    def label(self) -> str:
        """``"symbol: definition"`` (the symbol alone when there is no definition)."""
        return f"{self.symbol}: {self.definition}" if self.definition else self.symbol


def _label_of(row: Any) -> Quantity:
    """A registry row (:class:`strongtherm.core.quantities.Quantity`) as a plot label."""
    return Quantity(row.symbol, row.definition, UNITS[row.unit], row.kind)


#: Labels of the quantities :func:`state_functions` knows by their short names (``N_S``,
#: ``U_S``, ``S_S``, ``Omega_S``, ``dN_R``, ``dU_R``, ``dS_R``, ``dOmega_R``, ``H_S``, ``H_SR``,
#: ``alpha_U_S``, ``alpha_S_S``; ``U_diff``, ``U_H*``, ``U_E*``, ``F_S``, ``S_diff``, ``S_H*``,
#: ``S_E*``). Every key of a result's ``to_dict()`` (``system_U``, ``U_Hstar``, ...) is
#: accepted too. All of them are rows of the quantity registry
#: (:mod:`strongtherm.core.quantities`), which this dict is read from.
QUANTITIES: dict[str, Quantity] = {row.plot_name: _label_of(row) for row in REGISTRY.values() if row.plot_name}


def _resolve(name: str) -> Any:
    """The registry row of a short plot name or a ``to_dict()`` key; None if unknown."""
    for row in REGISTRY.values():
        if row.plot_name == name:
            return row
    return lookup(name)


def _pyplot() -> Any:
    import matplotlib.pyplot as plt

    return plt


def _new_axes(ax: Axes | None, figsize: tuple[float, float] = (6.0, 4.0)) -> Axes:
    if ax is not None:
        return ax
    _, ax = _pyplot().subplots(figsize=figsize, layout="constrained")
    return ax


def _with_unit(text: str, unit: str | None) -> str:
    return f"{text} ({unit})" if unit else text


def _unit(unit: Any) -> str:
    """Display form of a unit: a registry code (``"energy"``, ``"1"``, ...) or any other text as is."""
    text = "" if unit is None else str(unit)
    return UNITS.get(text, text)


def _parameter_label(name: str, attrs: Mapping[str, Any] | None = None, *, model_parameter: bool = True) -> str:
    """Axis label of a parameter or coordinate: symbol and unit (from ``attrs`` if given).

    ``model_parameter``: the name belongs to a model of this package, whose Hamiltonian
    parameters are energies (:func:`strongtherm.core.quantities.parameter_unit`).
    """
    attrs = attrs or {}
    long_name = attrs.get("long_name")
    text = str(long_name) if long_name and long_name != name else parameter_symbol(name)
    unit = _unit(attrs.get("units") or parameter_unit(name, model_parameter=model_parameter))
    return _with_unit(text, unit or None)


def _format_params(params: Mapping[str, Any]) -> str:
    return ", ".join(f"{parameter_symbol(k)}={v:g}" for k, v in params.items())


# ---------------------------------------------------------------------------- state functions
def _dataset_type() -> type | None:
    """``xarray.Dataset`` if xarray is loaded (a Dataset cannot exist otherwise), else None."""
    xr = sys.modules.get("xarray")
    return None if xr is None else xr.Dataset


def _is_dataset(obj: Any) -> bool:
    dataset = _dataset_type()
    return dataset is not None and isinstance(obj, dataset)


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
        return f"{first.model.name}: {_format_params(fixed)} (Kumar et al. 2024)"


class _ExactStates:
    """How :func:`state_functions` reads a list of :class:`strongtherm.exact.EquilibriumResult`."""

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
            f"x={x!r}: an exact EquilibriumResult knows only 'beta'; pass the parameter values as an array, "
            "e.g. x=np.linspace(...), and name them with xlabel="
        )

    @staticmethod
    def title(results: Sequence[Any], x: Any) -> str:
        beta = results[0].beta
        fixed = f", β={beta:g}" if all(r.beta == beta for r in results) else ""
        return f"mean-force state functions{fixed} (Davoudi et al. 2025)"


def _state_readers() -> dict[type, Any]:
    """Result type -> how to read it (the engines are imported here, when a plot is asked for)."""
    from . import exact, negf

    return {negf.Equilibrium: _NegfStates, exact.EquilibriumResult: _ExactStates}


def _reader_of(result: Any) -> Any:
    readers = _state_readers()
    for cls in type(result).__mro__:
        if cls in readers:
            return readers[cls]
    raise TypeError(
        "results must be strongtherm.negf.Equilibrium or strongtherm.exact.EquilibriumResult objects "
        f"(or an xarray.Dataset from st.sweep), got {type(result).__name__}"
    )


def _draw_groups(
    curves: list[tuple[str, Quantity, np.ndarray, np.ndarray]],
    ax: Axes | Sequence[Axes] | None,
    xlabel: str,
    title: str | None,
) -> Any:
    units: list[str] = []
    for _, q, _, _ in curves:
        if q.unit not in units:
            units.append(q.unit)
    if ax is None:
        _, axes = _pyplot().subplots(
            len(units),
            1,
            sharex=True,
            squeeze=False,
            figsize=(6.5, 2.2 + 2.0 * len(units)),
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
        axis.set_ylabel(_with_unit(kind, unit or None))
        axis.legend(fontsize="small")
        axis.grid(alpha=0.3)
    for axis in axes:
        axis.set_xlabel(xlabel)
    if title:
        axes[0].set_title(title, fontsize="medium")
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
        :class:`strongtherm.exact.EquilibriumResult` (one per parameter value), or an
        :class:`xarray.Dataset` from ``st.sweep`` (scalar data variables over coordinates).
    x
        The parameter on the x axis: a model parameter name (``"eps_s"``), ``"T"``, ``"mu"`` or
        ``"beta"`` for a list of results; a coordinate name for a Dataset (default: its only
        dimension); or the values themselves as an array (then name them with ``xlabel``).
    quantities
        Names from :data:`QUANTITIES` (default ``U_S, Omega_S, S_S`` for the Green's-function
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
    if _is_dataset(results):
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
        default_xlabel = _parameter_label(x)
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
            q = Quantity(str(label), "user quantity", ENERGY, "energy")
            ys = np.array([float(function(r)) for r in results])
        else:
            row = _resolve(item)
            if row is None:
                raise ValueError(
                    f"unknown quantity {item!r}; choose from {list(QUANTITIES)}, a key of the results' "
                    "to_dict(), or pass (label, function)"
                )
            if row.suffix == "alpha":
                if alpha is None:
                    raise ValueError(
                        f"quantity {item!r} needs the α of the α-partition: pass alpha=... (0 <= alpha <= 1)"
                    )
                row = row.instance(f"{float(alpha):g}")
            q = _label_of(row)
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
            row = _resolve(name)
            if row is None or row.key not in ds.data_vars:
                raise ValueError(f"{name!r} is not a data variable of the Dataset {list(ds.data_vars)}")
            name = row.key
        da = ds[name]
        if x not in da.dims:
            raise ValueError(f"data variable {name!r} does not depend on {x!r} (dims {da.dims})")
        q = _quantity_of(name, da.attrs)
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
    return _draw_groups(curves, ax, xlabel or _parameter_label(x, ds[x].attrs), title)


def _quantity_of(name: str, attrs: Mapping[str, Any]) -> Quantity:
    """Label of a Dataset variable: the registry's if it knows the name, else its ``long_name``/``units``."""
    row = _resolve(name)
    if row is not None:
        known = _label_of(row)
        return Quantity(known.symbol, known.definition, _unit(attrs.get("units")) or known.unit, known.kind)
    symbol = str(attrs.get("symbol") or name)
    definition = str(attrs.get("long_name") or attrs.get("definition") or "")
    return Quantity(symbol, "" if definition == symbol else definition, _unit(attrs.get("units")))


# ---------------------------------------------------------------------------- path works
def path_works(
    process: Any,
    x: str | None = None,
    *,
    curves: Sequence[str] = ("W_ext", "delta_Omega_S", "delta_dOmega_R", "W_S", "nonlocal_work"),
    ax: Axes | None = None,
    title: str | None = None,
) -> Axes:
    """Cumulative works and state-function changes along a quasistatic path (Kumar et al. 2024).

    Parameters
    ----------
    process
        A :class:`strongtherm.negf.QuasistaticProcess`; its values at the panel edges
        ``process.path_s`` are drawn (nothing is recomputed).
    x
        A parameter of the path to put on the x axis (e.g. ``"eps_s"``, as in Fig. 1 of Kumar
        et al.); default: the path parameter s in [0, 1].
    curves
        Any of ``"W_ext"`` (time-integrated power, Eqs. 2, 19-20), ``"delta_Omega_S"``
        (ΔΩ_S), ``"delta_dOmega_R"`` (Δ(δΩ_R), Eq. 15), ``"W_S"`` (W_ext − Δ(δΩ_R), Eq. 18),
        ``"nonlocal_work"`` (∫I_S^W dt on the system, Eq. 21), ``"nonlocal_work_on_reservoir"``,
        ``"work_H_S"`` (∫⟨Ḣ_S⟩, Eq. 19), ``"work_H_SR"`` (∫⟨Ḣ_SR⟩, Eq. 20).
    ax
        Axes to draw on (default: a new figure).
    title
        Overrides the title (default: model, path, T and μ).

    Returns
    -------
    matplotlib.axes.Axes
    """
    s = np.asarray(process.path_s, dtype=float)
    states = process.states
    if len(states) != len(s):
        raise ValueError(
            f"process.states ({len(states)}) and process.path_s ({len(s)}) differ in length"
        )
    cumulative = process.cumulative
    omega_S = np.array([st.system.Omega for st in states])
    omega_R = np.array([st.reservoir.Omega for st in states])
    W_ext = np.asarray(cumulative["W_ext"], dtype=float)
    data: dict[str, tuple[np.ndarray, str, dict[str, Any]]] = {
        "W_ext": (W_ext, "W_ext: ∫⟨Ḣ⟩dt (Kumar Eqs. 2, 19-20)", {"ls": "", "marker": "o", "ms": 4}),
        "delta_Omega_S": (
            omega_S - omega_S[0],
            "ΔΩ_S: Hilbert-space partition (Kumar Eqs. 10, 12)",
            {"ls": "--"},
        ),
        "delta_dOmega_R": (
            omega_R - omega_R[0],
            "Δ(δΩ_R): reservoir change (Kumar Eq. 15)",
            {"ls": ":"},
        ),
        "W_S": (
            W_ext - (omega_R - omega_R[0]),
            "W_S = W_ext − Δ(δΩ_R) (Kumar Eq. 18)",
            {"ls": "-."},
        ),
        "nonlocal_work": (
            np.asarray(cumulative["nonlocal"], dtype=float),
            "∫I_S^W dt: nonlocal work on S (Kumar Eq. 21)",
            {"ls": "-"},
        ),
        "nonlocal_work_on_reservoir": (
            -np.asarray(cumulative["nonlocal"], dtype=float),
            "−∫I_S^W dt: nonlocal work on R (Kumar Eqs. 13, 16)",
            {"ls": "-"},
        ),
        "work_H_S": (
            np.asarray(cumulative["H_S"], dtype=float),
            "∫⟨Ḣ_S⟩dt (Kumar Eq. 19)",
            {"ls": "-"},
        ),
        "work_H_SR": (
            np.asarray(cumulative["H_SR"], dtype=float),
            "∫⟨Ḣ_SR⟩dt (Kumar Eq. 20)",
            {"ls": "-"},
        ),
    }
    unknown = [c for c in curves if c not in data]
    if unknown:
        raise ValueError(f"unknown curve(s) {unknown}; choose from {list(data)}")
    if x is None:
        xs = s
        xlabel = "path parameter s (dimensionless)"
    else:
        if x not in process.path.names:
            raise ValueError(f"x={x!r} is not a parameter of the path {list(process.path.names)}")
        xs = np.array([float(process.path.function(float(v))[x]) for v in s])
        xlabel = _parameter_label(x)
    ax = _new_axes(ax)
    for name in curves:
        ys, label, style = data[name]
        ax.plot(xs, ys, label=label, **style)
    ax.axhline(0.0, color="0.6", lw=0.6)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(_with_unit("work, change of Ω", ENERGY))
    ax.legend(fontsize="small")
    ax.grid(alpha=0.3)
    if title is None:
        title = f"{process.model.name}; T={process.bath.T:g}, μ={process.bath.mu:g}\npath: {process.path.label}"
    ax.set_title(title, fontsize="medium")
    return ax


# ---------------------------------------------------------------------------- second law
def second_law(audit: Any, *, ax: Axes | None = None, title: str | None = None) -> Axes:
    """Second-law audit of a quench as bars per definition (Davoudi et al. 2025, Eqs. 28, 35).

    For each definition (``diff``, ``H*``, ``E*``) a bar of the dissipated work W − ΔF_S, which
    the second law requires to be ≥ 0 (Eq. 28), and, when the final state is Gibbs, a bar of
    Q − Δ𝒮/β = Q − TΔ𝒮, which it requires to be ≤ 0 (Eq. 35). Each bar carries its verdict.

    Parameters
    ----------
    audit
        A :class:`strongtherm.exact.SecondLawAudit` (``quench.second_law()``); a
        :class:`strongtherm.exact.QuenchResult` is accepted and its ``second_law()`` used.
    ax
        Axes to draw on (default: a new figure).
    title
        Overrides the title.

    Returns
    -------
    matplotlib.axes.Axes
    """
    from . import exact

    if not isinstance(audit, exact.SecondLawAudit):
        if not _is_quench(audit):
            raise TypeError(
                f"audit must be a strongtherm.exact.SecondLawAudit or a quench result, got {type(audit).__name__}"
            )
        audit = audit.second_law()
    rows = list(audit.rows)
    created = ax is None
    ax = _new_axes(ax)
    with_heat = any(r.heat_excess is not None for r in rows)
    width = 0.38 if with_heat else 0.6
    positions = np.arange(len(rows), dtype=float)
    bars_w = [r.dissipated_work for r in rows]
    ok_w = [r.obeys_work for r in rows]
    offset = width / 2 if with_heat else 0.0
    b1 = ax.bar(positions - offset, bars_w, width, color="tab:blue", label="W − ΔF_S ≥ 0 (Eq. 28)")
    _verdicts(ax, b1, ok_w)
    if with_heat:
        heat = [np.nan if r.heat_excess is None else r.heat_excess for r in rows]
        ok_q = [r.obeys_heat for r in rows]
        b2 = ax.bar(
            positions + offset,
            heat,
            width,
            color="tab:orange",
            label=r"Q − TΔ$\mathcal{S}$ ≤ 0 (Eqs. 33, 35)",
        )
        _verdicts(ax, b2, ok_q)
    ax.axhline(0.0, color="k", lw=0.8)
    ax.set_xticks(positions)
    ax.set_xticklabels([_definition_label(r.definition) for r in rows])
    ax.set_xlabel("definition of the system's internal energy (Davoudi Eqs. 10, 11, 13)")
    ax.set_ylabel(_with_unit(r"W − ΔF_S,  Q − TΔ$\mathcal{S}$", ENERGY))
    ax.legend(fontsize="small")
    ax.margins(y=0.2)
    if title is None:
        title = f"Second law (Davoudi et al. Eqs. 28, 35)\nfinal state: {audit.final}; tolerance {audit.atol:g}"
    ax.set_title(title, fontsize="medium")
    figure = ax.get_figure(root=True)
    if created and figure is not None:  # our figure: the title and two-line tick labels fit (a user's is theirs)
        figure.set_layout_engine("constrained")
    return ax


def _definition_label(key: str) -> str:
    return {
        "diff": "U_diff\n(W: Eq. 22)",
        "H*": "U_H*\n(W: Eq. 23)",
        "E*": "U_E*\n(W: Eq. 24)",
    }.get(key, key)


def _verdicts(ax: Axes, bars: Any, ok: Sequence[bool | None]) -> None:
    for bar, verdict in zip(bars, ok, strict=True):
        if verdict is None:
            continue
        height = bar.get_height()
        if not np.isfinite(height):
            continue
        text, color = ("obeys", "tab:green") if verdict else ("VIOLATES", "tab:red")
        ax.annotate(
            text,
            (bar.get_x() + bar.get_width() / 2, height),
            xytext=(0, 3 if height >= 0 else -3),
            textcoords="offset points",
            ha="center",
            va="bottom" if height >= 0 else "top",
            color=color,
            fontsize="small",
            fontweight="bold",
        )


# ---------------------------------------------------------------------------- LDOS
def ldos(
    energies: Any,
    g_S: Any,
    delta_g_R: Any | None = None,
    *,
    bound_states: Sequence[Any] = (),
    mu: float | None = None,
    ax: Axes | None = None,
    title: str | None = None,
) -> Axes:
    """System LDOS g_S(ε) and reservoir change δg_R(ε), with bound states as weighted arrows.

    The arrays come from :func:`strongtherm.negf.spectral_densities` (continuum parts on the
    real axis) and the bound states from :func:`strongtherm.negf.bound_states` or
    ``Equilibrium.bound_states``; this function only draws them.

    Parameters
    ----------
    energies
        Real energies ε, shape (m,), in units of energy.
    g_S
        g_S(ε) = −(1/π) Im Tr G_S(ε + i0), shape (m,), per unit energy.
    delta_g_R
        δg_R(ε) = (1/π) Im Tr[G_S ∂_εΣ], shape (m,), per unit energy; optional.
    bound_states
        :class:`strongtherm.negf.BoundState` objects, or ``(energy, system_weight)`` pairs. Each
        is a δ-peak: drawn as a vertical arrow whose height (in axes fraction) is its system
        weight, labelled with the system and reservoir weights.
    mu
        Chemical potential, marked by a vertical line if given.
    ax
        Axes to draw on (default: a new figure).
    title
        Title (default none).

    Returns
    -------
    matplotlib.axes.Axes
    """
    e = np.asarray(energies, dtype=float)
    g = np.asarray(g_S, dtype=float)
    if e.ndim != 1 or g.shape != e.shape:
        raise ValueError(
            f"energies and g_S must be 1-D of the same shape, got {e.shape} and {g.shape}"
        )
    ax = _new_axes(ax, figsize=(6.5, 5.5))
    ax.plot(e, g, label="g_S(ε) = −(1/π) Im Tr G_S (Hilbert-space partition)")
    if delta_g_R is not None:
        dg = np.asarray(delta_g_R, dtype=float)
        if dg.shape != e.shape:
            raise ValueError(
                f"delta_g_R must have shape {e.shape} like energies, but has shape {dg.shape}"
            )
        ax.plot(e, dg, "--", label="δg_R(ε) = (1/π) Im Tr[G_S ∂_εΣ] (change of the reservoir)")
    states = []
    for state in bound_states:
        if isinstance(state, tuple | list):
            energy, w_S = float(state[0]), float(state[1])
            w_R = float(state[2]) if len(state) > 2 else 1.0 - w_S
        else:
            energy = float(state.energy)
            w_S, w_R = float(state.system_weight), float(state.reservoir_weight)
        states.append((energy, w_S, w_R))
    lo = min([float(np.min(e)), *(b[0] for b in states)])
    hi = max([float(np.max(e)), *(b[0] for b in states)])
    if mu is not None:
        ax.axvline(mu, color="0.5", ls=":", lw=1.0, label=f"μ = {mu:g}")
    span = hi - lo
    ax.set_xlim(lo - 0.05 * span, hi + 0.05 * span)
    ax.axhline(0.0, color="0.6", lw=0.6)
    ax.margins(y=0.35)
    if states:
        import matplotlib.transforms as mtransforms

        # arrows live in axes fraction (a delta peak has no height in LDOS units): they start
        # exactly at the LDOS zero line and rise in proportion to the system weight. If the zero
        # line sits high (a deep negative delta g_R), the top of the axes is raised until it is at
        # most half-way up, so there is room for the arrows (the base is never moved off zero).
        ax.autoscale_view()
        y0, y1 = ax.get_ylim()
        y1 = max(y1, -y0, 1e-12)
        base = (0.0 - y0) / (y1 - y0) if y0 < 0.0 else 0.0
        blended = mtransforms.blended_transform_factory(ax.transData, ax.transAxes)
        for energy, w_S, w_R in states:
            # a weak bound state (near its threshold at a band edge) keeps a visible arrow
            top = base + (0.85 - base) * max(min(max(w_S, 0.0), 1.0), 0.06)
            ax.annotate(
                "",
                xy=(energy, top),
                xytext=(energy, base),
                xycoords=blended,
                textcoords=blended,
                arrowprops={"arrowstyle": "-|>", "color": "tab:red", "lw": 1.5},
            )
            ax.text(
                energy,
                top + 0.02,
                f"ε_b={energy:.3g}\nZ_S={w_S:.3g}, Z_R={w_R:.3g}",
                transform=blended,
                ha="center",
                va="bottom",
                fontsize="x-small",
                color="tab:red",
            )
        ax.plot(
            [],
            [],
            color="tab:red",
            label="bound state δ(ε − ε_b): arrow height ∝ system weight Z_S",
        )
        ax.set_ylim(y0, y1)
    ax.set_xlabel(_with_unit("energy ε", ENERGY))
    ax.set_ylabel(_with_unit("local density of states", "per unit of energy"))
    # below the axes: inside, it would hide the bound-state labels
    ax.legend(fontsize="x-small", loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=1)
    if title:
        ax.set_title(title, fontsize="medium")
    return ax


# ---------------------------------------------------------------------------- sweep maps
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
    if not _is_dataset(dataset):
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
    ax = _new_axes(ax)
    mesh = ax.pcolormesh(xs, ys, Z, shading="auto", cmap=cmap)
    q = _quantity_of(variable, da.attrs)
    colorbar = ax.figure.colorbar(mesh, ax=ax)
    colorbar.set_label(_with_unit(q.symbol, q.unit or None))
    ax.set_xlabel(_parameter_label(x, dataset[x].attrs))
    ax.set_ylabel(_parameter_label(y, dataset[y].attrs))
    if title is None:
        title = textwrap.fill(q.label(), width=60) + (f"\n{dataset.attrs['title']}" if "title" in dataset.attrs else "")
    ax.set_title(title, fontsize="medium")
    return ax


# ---------------------------------------------------------------------------- results by type
def _is_quench(result: Any) -> bool:
    from . import exact, negf

    return isinstance(result, exact.QuenchResult | negf.FermionicQuench)


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
    if not _is_dataset(dataset):
        raise TypeError(f"dataset must be an xarray.Dataset, got {type(dataset).__name__}")
    headline = [row.key for row in REGISTRY.values() if row.headline and row.key in dataset.data_vars]
    names = list(quantities) if quantities is not None else (headline[:3] or [str(v) for v in list(dataset.data_vars)[:3]])
    dims = [str(d) for d in dataset.dims if dataset.sizes[d] > 1]
    fixed = {str(d): float(dataset[d].values[0]) for d in dataset.dims if dataset.sizes[d] == 1}
    ds = dataset.isel({d: 0 for d in fixed})
    if len(dims) <= 1:
        return state_functions(ds, x=dims[0] if dims else None, quantities=names)
    note = f" ({_format_params(fixed)})" if fixed else ""
    if len(dims) == 2:
        _, axes = new_figure(1, len(names), figsize=(4.8 * len(names), 3.9), squeeze=False, layout="constrained")
        for ax, name in zip(axes[0], names, strict=True):
            title = textwrap.fill(_quantity_of(name, ds[name].attrs).label() + note, width=52)  # fits one panel
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
    note = f" ({_format_params({**fixed, **extra})})" if fixed or extra else ""
    _, axes = new_figure(len(names), len(picks), figsize=(4.4 * len(picks), 3.6 * len(names)), squeeze=False, layout="constrained")
    for row, name in zip(axes, names, strict=True):
        for ax, k in zip(row, picks, strict=True):
            value = float(ds[slice_axis].values[k])
            title = f"{_quantity_of(name, ds[name].attrs).symbol}, {parameter_symbol(slice_axis)}={value:g}{note}"
            sweep_map(ds.isel({slice_axis: k}), name, x=plane[0], y=plane[1], ax=ax, title=title)
    return axes.ravel()


def _overview(ds: Any) -> Any:
    return sweep_overview(ds)


def drive_overview(run: Any, *, title: str | None = None) -> Any:
    """A finite-speed run at a glance: works and energies against time, and the entropy production.

    Left: W_ext(t) (time-integrated power), the heat Q(t) and the change of each system energy the
    run recorded (Hilbert-space U_S, alpha-partitions, U_H*, U_E*), with Delta F*_S of the Green's-
    function engine as the quasistatic reference. Right: Sigma(t) = beta (W - Delta F) and the
    relative entropy D(rho(t) || rho_eq) (they coincide for the coupled Gibbs start).

    Parameters
    ----------
    run
        A :class:`strongtherm.dynamics.DriveResult`.
    title
        Overrides the title.

    Returns
    -------
    numpy.ndarray of Axes
        The two Axes.
    """
    from .dynamics import DriveResult

    if not isinstance(run, DriveResult):
        raise TypeError(f"run must be a strongtherm.dynamics.DriveResult, got {type(run).__name__}")
    _, axes = new_figure(1, 2, figsize=(11.0, 4.2), layout="constrained")
    left, right = axes
    t = run.times
    left.plot(t, run.W_ext, "k-", lw=2, label="W_ext(t) = ∫⟨∂H/∂t⟩dt")
    left.plot(t, run.heat, "k:", label="Q(t) = −Δ⟨H_R − μN_R⟩")
    for key, series in run.system_energy.items():
        left.plot(t, series - series[0], "-", lw=1, label=f"ΔU_S [{key}]")
    if run.delta_F_S_engine is not None:
        left.axhline(run.delta_F_S_engine, color="grey", ls="--", lw=0.8, label="ΔF*_S (quasistatic)")
    left.set_xlabel("time t (ħ / energy)")
    left.set_ylabel(_with_unit("energy", ENERGY))
    left.legend(fontsize=7)
    right.plot(t, run.entropy_production, "C3-", label="Σ(t) = β(W − ΔF)")
    right.plot(t, run.relative_entropy, "C0--", label="D(ρ(t) ‖ ρ_eq(λ(t)))")
    right.set_xlabel("time t (ħ / energy)")
    right.set_ylabel(_with_unit("entropy production", ENTROPY))
    right.legend(fontsize=7)
    p = run.protocol
    default = f"{run.model.name}: {p.path.label}, τ = {p.duration:g}, hold {p.hold:g}; T={run.bath.T:g}, μ={run.bath.mu:g}"
    left.figure.suptitle(textwrap.fill(title or default, width=110), fontsize="medium")
    return axes


def _drawers() -> list[tuple[type, Callable[[Any], Any]]]:
    """Result type -> the plot that shows it (engines imported when a plot is asked for)."""
    from . import dynamics, exact, negf

    table: list[tuple[type, Callable[[Any], Any]]] = [
        (dynamics.DriveResult, drive_overview),
        (negf.QuasistaticProcess, path_works),
        (exact.QuenchResult, second_law),
        (negf.FermionicQuench, second_law),
        (exact.SecondLawAudit, second_law),
    ]
    dataset = _dataset_type()
    if dataset is not None:
        table.append((dataset, _overview))
    return table


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

    ``QuasistaticProcess`` -> :func:`path_works`; ``QuenchResult``, ``FermionicQuench`` or
    ``SecondLawAudit`` -> :func:`second_law`; a sweep ``xarray.Dataset`` -> :func:`sweep_overview`
    (curves for a 1-D grid, maps for a 2-D grid, maps per slice beyond).

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


def new_figure(nrows: int = 1, ncols: int = 1, **options: Any) -> tuple[Any, Any]:
    """``matplotlib.pyplot.subplots(nrows, ncols, **options)``: the one place figures are made
    (the reproductions in :mod:`strongtherm.papers` draw through it)."""
    return _pyplot().subplots(nrows, ncols, **options)


def save_figure(figure: Any, path: Any, *, dpi: int = 150, tight: bool = False) -> Any:
    """Save ``figure`` to ``path`` and close it (``tight``: ``tight_layout()`` first); return the path."""
    if tight:
        figure.tight_layout()
    figure.savefig(path, dpi=dpi)
    _pyplot().close(figure)
    return path
