"""The typed hand-over between the energy integrals and their consumers (partition, process).

Both roads of the Green's-function engine produce one :class:`EnergyIntegrals` per batch of P
parameter points of one model at one (T, mu):

* the pole road (:mod:`.poles`): sums of G_S over the poles of a rational Fermi expansion;
* the lifted contour (:mod:`.contour`): one adaptive Gauss-Kronrod integral, converted here by
  :func:`contour_integrals`.

:mod:`.partition` and :mod:`.process` read fields, never string keys (Kumar, Webb & Stafford
2024; the quantities are listed in :class:`EnergyIntegrals`).
"""

from __future__ import annotations

import contextlib
import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np

from ..core.warnings import NumericsWarning, numerics_failed
from ..thermal import Bath
from .contour import SpectralIntegrals, spectral_integrals
from .evaluated import EvaluatedModel, evaluate
from .integrate import DEFAULT_OPTIONS, QuadratureOptions
from .system import OpenSystem

__all__ = ["MATRIX_FIELDS", "STATE_FIELDS", "ColumnLayout", "EnergyIntegrals", "column_layout", "column_names", "contour_integrals", "system_traces"]

#: The per-point state fields (shape (P,) or (P, n, n)); ``None`` when only rates were asked for.
STATE_FIELDS = (
    "N_S", "U_S", "S_S", "Omega_S", "dN_R", "dU_R", "dS_R", "dOmega_R", "H_SR",
    "log_f_matrix", "log_one_minus_f_matrix", "correlation_matrix_beta_derivative",
)  # fmt: skip


@dataclass(frozen=True)
class ColumnLayout:
    """Where each flat column of :meth:`EnergyIntegrals.from_columns` goes: ``plain`` fields,
    ``matrices`` (1 x 1 per point), and the entries of the mapping fields (``powers_S``,
    ``powers_SR``, ``errors``), each as (column index, name); ``errors`` lists the error columns."""

    plain: tuple[tuple[int, str], ...]
    matrices: tuple[tuple[int, str], ...]
    mappings: tuple[tuple[str, tuple[tuple[int, str], ...]], ...]
    errors: tuple[int, ...]


@lru_cache(maxsize=128)
def column_layout(keys: tuple[str, ...]) -> ColumnLayout:
    """:class:`ColumnLayout` of flat column names (``field``, ``powers_S:name``, ``powers_SR:name``,
    ``error:field``), worked out once per set of names."""
    plain, matrices = [], []
    mappings: dict[str, list[tuple[int, str]]] = {"powers_S": [], "powers_SR": [], "errors": []}
    for i, key in enumerate(keys):
        group, _, name = key.partition(":")
        if name:
            mappings[{"error": "errors"}.get(group, group)].append((i, name))
        elif key in MATRIX_FIELDS:
            matrices.append((i, key))
        else:
            plain.append((i, key))
    return ColumnLayout(
        tuple(plain), tuple(matrices), tuple((k, tuple(v)) for k, v in mappings.items()), tuple(i for i, _ in mappings["errors"])
    )


@lru_cache(maxsize=64)
def column_names(names: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """The flat columns ``powers_S:k``, ``powers_SR:k`` and ``error:powers_SR:k`` of the parameters
    ``names`` (:meth:`EnergyIntegrals.from_columns`), formatted once."""
    return tuple(f"powers_S:{k}" for k in names), tuple(f"powers_SR:{k}" for k in names), tuple(f"error:powers_SR:{k}" for k in names)


#: The (P, n, n) matrix fields, in the order the partition's assembly takes them.
MATRIX_FIELDS = ("correlation_matrix", "log_f_matrix", "log_one_minus_f_matrix", "correlation_matrix_beta_derivative")


@dataclass(frozen=True)
class EnergyIntegrals:
    """Energy integrals of P parameter points of one model at one (T, mu).

    Scalars have shape (P,), matrices (P, n, n). Under the Hilbert-space partition (Eq. 12 of
    Kumar, Webb & Stafford 2024):

    * ``N_S, U_S, S_S, Omega_S`` = int g_S x with x = f, e f, s, omega (Eqs. 6, 8-10);
    * ``dN_R, dU_R, dS_R, dOmega_R`` = the same with delta g_R (change of the reservoirs);
    * ``H_SR`` = <H_SR> = -(2/pi) int f Im Tr[Sigma G_S];
    * ``powers_SR[name]`` = <dH_SR/d name> = -(1/pi) int f Im Tr[dSigma/d name G_S] (Eq. 20);
    * ``powers_S[name]`` = <dH_S/d name> = Tr[dh_S/d name C] (Eq. 19), ``expectation_H_S`` = Tr[h_S C];
    * ``correlation_matrix`` C = int A_SS f; ``log_f_matrix`` = int A_SS ln f,
      ``log_one_minus_f_matrix`` = int A_SS ln(1 - f) (Eq. 24); ``correlation_matrix_beta_derivative``
      = int A_SS df/dbeta at fixed mu;
    * ``nonlocal_density`` = second term of Eq. (21) for the direction of each point (or ``None``);
    * ``sum_rule_residuals``: ``"int g_S - n"`` and ``"int delta g_R"`` per point (the pole road
      puts the zeroth moments in analytically, so its residuals are exactly zero);
    * ``errors[field]``: error estimate per point (largest element for matrices);
    * ``bound_state_counts``: number of bound states per point, where the road counted them;
    * ``real_model``: per point, True where h_S and the couplings are real (every spectral matrix
      is then real), where the road evaluated the model on a stack;
    * ``entropy_coefficient``: the coefficient of (1 - 2 alpha) in Eq. (24) per point, where the
      road has it already (one level); else the Equilibrium computes it from the matrices;
    * ``method``: ``"poles"`` or ``"contour"``; ``n_evaluations``: evaluations of G_S per point
      (poles) or contour nodes (contour); ``converged``: every tolerance met.

    State fields are ``None`` when only the rates along a path were asked for.
    """

    method: str
    correlation_matrix: np.ndarray
    powers_SR: Mapping[str, np.ndarray]
    errors: Mapping[str, np.ndarray]
    n_evaluations: int
    converged: bool
    N_S: np.ndarray | None = None
    U_S: np.ndarray | None = None
    S_S: np.ndarray | None = None
    Omega_S: np.ndarray | None = None
    dN_R: np.ndarray | None = None
    dU_R: np.ndarray | None = None
    dS_R: np.ndarray | None = None
    dOmega_R: np.ndarray | None = None
    H_SR: np.ndarray | None = None
    log_f_matrix: np.ndarray | None = None
    log_one_minus_f_matrix: np.ndarray | None = None
    correlation_matrix_beta_derivative: np.ndarray | None = None
    nonlocal_density: np.ndarray | None = None
    sum_rule_residuals: Mapping[str, np.ndarray] = field(default_factory=dict)
    powers_S: Mapping[str, np.ndarray] = field(default_factory=dict)
    expectation_H_S: np.ndarray | None = None
    bound_state_counts: np.ndarray | None = None
    real_model: np.ndarray | None = None
    entropy_coefficient: np.ndarray | None = None
    #: (keys, (F, P) table) where a road made every scalar per point at once (:meth:`from_columns`):
    #: the fields above are views of it, and :mod:`.partition` converts it in one piece
    table: tuple[tuple[str, ...], np.ndarray] | None = field(default=None, repr=False, compare=False)

    @classmethod
    def from_columns(cls, columns: Mapping[str, Any], n_points: int, **fields: Any) -> EnergyIntegrals:
        """An instance from flat per-point columns: the scalar fields, ``powers_S:name``,
        ``powers_SR:name``, ``error:field``, and the 1 x 1 matrix fields of a one-level model;
        each a number (the same at every point, or the value of a single point) or a (P,) array.
        ``fields``: everything else (``method``, ``n_evaluations``, ``converged``, (P, n, n)
        matrices, ...). The columns become one (F, P) table (:attr:`table`), one conversion."""
        keys = tuple(columns)
        values = list(columns.values())
        table: np.ndarray | None = None
        if n_points == 1:  # numbers, as a single point has them: one conversion
            with contextlib.suppress(ValueError):  # numbers and (1,) arrays mixed: row by row below
                table = np.array(values, dtype=float).reshape(len(keys), 1)
        if table is None:  # numbers (the same at every point) and (P,) arrays: row by row (a
            # trial conversion first would raise, at ~10 us, for every batch)
            table = np.empty((len(keys), n_points))
            for i, v in enumerate(values):
                table[i] = v
        return cls.from_table(keys, table, **fields)

    @classmethod
    def from_table(cls, keys: tuple[str, ...], table: np.ndarray, **fields: Any) -> EnergyIntegrals:
        """:meth:`from_columns` of columns already stacked into an (F, P) table (rows: ``keys``)."""
        n_points = table.shape[1]
        layout = column_layout(keys)
        rows = list(table)
        out: dict[str, Any] = {key: rows[i] for i, key in layout.plain}
        out.update({key: rows[i].reshape(n_points, 1, 1) for i, key in layout.matrices})
        for target, entries in layout.mappings:
            out[target] = {name: rows[i] for i, name in entries}
        return cls(**out, **fields, table=(keys, table))

    @property
    def n_points(self) -> int:
        return int(self.correlation_matrix.shape[0])

    @property
    def has_state(self) -> bool:
        return self.N_S is not None

    def worst_error(self, i: int) -> float:
        """Largest error estimate of point ``i`` over all fields."""
        return max((float(e[i]) for e in self.errors.values()), default=0.0)


def system_traces(
    h: np.ndarray, dh: Mapping[str, np.ndarray], C: np.ndarray
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """<H_S> = Tr[h_S C] and <dH_S/d name> = Tr[dh_S/d name C] (Eq. 19) for stacked (P, n, n)."""

    if C.shape[-1] == 1:  # one level: a product of numbers

        def tr(X: np.ndarray) -> np.ndarray:
            return (X[:, 0, 0] * C[:, 0, 0]).real

    else:

        def tr(X: np.ndarray) -> np.ndarray:
            return np.real((X * np.swapaxes(C, -1, -2)).sum(axis=(-2, -1)))

    return tr(h), {k: tr(d) for k, d in dh.items()}


def _cover_sum_rules(
    model: OpenSystem,
    bath: Bath,
    points: Sequence[Mapping[str, float]],
    raw: SpectralIntegrals,
    residuals: Mapping[str, np.ndarray],
    errors: dict[str, np.ndarray],
    options: QuadratureOptions,
) -> None:
    """Raise the error estimates of a region whose sum rule (int g_S = n, int delta g_R = 0) is off
    by more than its own quadrature error allows, and say so: weight the quadrature missed (or
    made up) enters each state function of that region times its kernel, and a panel estimate
    cannot see weight that no node resolved (issue 21: 5e-8 reported while int delta g_R = -0.066).

    Off means ``abs(residual) > max(1e3 atol, 10 x the estimate of the zeroth moment)``. The
    missing weight sits somewhere in the contour's extent [low, high], where abs(f) <= 1,
    abs(e f) <= max(abs(low), abs(high)), s <= ln 2, abs(omega) <= max(abs(e - mu)) + T ln 2: each
    error becomes at least abs(residual) times that bound. A NumericsWarning names the points, or
    with ``options.strict`` a NumericsError.
    """
    low, high = raw.spectrum
    ln2 = math.log(2.0)
    bound = {
        "N": 1.0,
        "U": max(abs(low), abs(high)),
        "S": ln2,
        "Omega": max(abs(low - bath.mu), abs(high - bath.mu)) + bath.T * ln2,
    }
    bad: list[str] = []
    for rule, moment, template in (("int g_S - n", "g_S:one", "{}_S"), ("int delta g_R", "dg_R:one", "d{}_R")):
        residual = np.abs(residuals[rule])
        off = residual > np.maximum(1e3 * options.atol, 10.0 * raw.errors[moment])
        if not np.any(off):
            continue
        for q, kernel_bound in bound.items():
            key = template.format(q)
            errors[key] = np.where(off, np.maximum(errors[key], residual * kernel_bound), errors[key])
        if rule == "int g_S - n":
            errors["correlation_matrix"] = np.where(off, np.maximum(errors["correlation_matrix"], residual), errors["correlation_matrix"])
        i = int(np.argmax(np.where(off, residual, -1.0)))
        bad.append(
            f"{rule} = {residuals[rule][i]:.3g} at {dict(points[i])} while its quadrature estimate is "
            f"{raw.errors[moment][i]:.2g} ({int(off.sum())} of {off.size} points)"
        )
    if bad:
        message = (
            f"spectral sum rules of {model.name} violated beyond their quadrature errors: {'; '.join(bad)}. "
            "The error estimates of that region's N, U, S, Omega now cover the missing weight. The quadrature "
            "may have stopped early (see its warning), or a user reservoir may break causality "
            "(CustomReservoir(check=True) tests it)"
        )
        numerics_failed(message, strict=options.strict, stacklevel=5)


#: The relative accuracy, at the scale of the physics (T and the width of the spectrum), below which
#: the contour road says that rounding took over: a state function at mu = 1e12 with every
#: feature within a few units of 0 carries an error ~1e-2 (64 eps x 1e12) against that scale's 10,
#: a level at -1e8 only 1e-14 of its own scale (|eps_s| is the width there).
RELATIVE_ROUNDING_LIMIT = 1e-12


def _warn_of_rounding(
    model: OpenSystem,
    bath: Bath,
    points: Sequence[Mapping[str, float]],
    raw: SpectralIntegrals,
    errors: Mapping[str, np.ndarray],
    options: QuadratureOptions,
) -> None:
    """NumericsWarning where the rounding of large energies, not the quadrature, sets an error
    estimate above both ``atol`` and :data:`RELATIVE_ROUNDING_LIMIT` times the scale of the physics.

    The state functions depend on energies only through e - mu, but they are sums of energies of
    size abs(mu) or abs(e) (Omega_S ~ -mu at mu = 1e12, where the contour also rises to a height
    ~ abs(mu - e)), and a double holds those to eps x that size: their error estimates carry it
    (the quadrature's rounding floor), and so does every difference between two states (Delta F*
    of a level shifted by 1 at mu = 1e12 came out 1 + 1.2e-4; issue 21). Silence here would let
    W - Delta F* < 0 pass as physics.
    """
    low, high = raw.spectrum
    scale = max(bath.T, high - low)
    limit = max(options.atol, RELATIVE_ROUNDING_LIMIT * scale)
    worst = np.max([errors[f"{q}_S"] for q in _CONTOUR_SCALARS] + [errors[f"d{q}_R"] for q in _CONTOUR_SCALARS], axis=0)
    if np.all(worst <= limit):
        return
    i = int(np.argmax(worst))
    largest = max(abs(low), abs(high), abs(bath.mu))
    warnings.warn(
        f"{model.name} at {dict(points[i])}, T={bath.T:g}, mu={bath.mu:g}: energies up to {largest:.3g} are "
        f"{largest / scale:.2g} times the scale of the physics (T and the spectrum's width, {scale:.3g}), and their "
        f"rounding limits the state functions to errors up to {float(worst[i]):.2g} (in .errors; atol={options.atol:g}). "
        "Differences of state functions between such states (Delta F*, W - Delta F*) carry that rounding too; "
        "the physics depends only on e - mu, so a model written near mu = 0 avoids it",
        NumericsWarning,
        stacklevel=5,
    )


_CONTOUR_SCALARS = {
    "N": "f", "U": "ef", "S": "s", "Omega": "omega",
}  # fmt: skip


def contour_integrals(
    model: OpenSystem,
    bath: Bath,
    points: Sequence[Mapping[str, float]],
    *,
    quantities: str = "state",
    directions: Sequence[Mapping[str, float]] | None = None,
    break_energies: Sequence[float] = (),
    options: QuadratureOptions | None = None,
    evaluated: EvaluatedModel | None = None,
) -> EnergyIntegrals:
    """The lifted-contour road (:func:`.contour.spectral_integrals`) as :class:`EnergyIntegrals`.

    Real poles (bound states, decoupled levels) lie inside the contour on every model, a
    continuum reaching infinity included, and are never added by hand.

    Parameters
    ----------
    evaluated : EvaluatedModel, optional
        :func:`.evaluated.evaluate` of the same model and points, where the caller has it already.
    """
    evaluated = evaluated or evaluate(model, points, bath.mu)
    raw = spectral_integrals(
        model, bath, points, quantities=quantities, directions=directions,
        break_energies=break_energies, options=options, evaluated=evaluated,
    )  # fmt: skip
    values = {k: np.array(v) for k, v in raw.values.items()}
    names = model.parameter_names
    errors: dict[str, np.ndarray] = {"correlation_matrix": raw.errors["A:f"]}
    errors.update({f"powers_SR:{k}": raw.errors[f"power_SR:{k}"] for k in names})
    state: dict[str, object] = {}
    if quantities == "state":
        for q, k in _CONTOUR_SCALARS.items():
            state[f"{q}_S"] = values[f"g_S:{k}"]
            state[f"d{q}_R"] = values[f"dg_R:{k}"]
            errors[f"{q}_S"] = raw.errors[f"g_S:{k}"]
            errors[f"d{q}_R"] = raw.errors[f"dg_R:{k}"]
        state["H_SR"] = values["H_SR"]
        errors["H_SR"] = raw.errors["H_SR"]
        for name, key in (
            ("log_f_matrix", "A:log_f"),
            ("log_one_minus_f_matrix", "A:log_1mf"),
            ("correlation_matrix_beta_derivative", "A:df_dbeta"),
        ):
            state[name] = values[key]
            errors[name] = raw.errors[key]
        residuals = {"int g_S - n": values["g_S:one"] - model.n_levels, "int delta g_R": values["dg_R:one"]}
        state["sum_rule_residuals"] = residuals
        if raw.converged:  # else the quadrature warned already, with its own error estimate
            _warn_of_rounding(model, bath, points, raw, errors, options or DEFAULT_OPTIONS)
        _cover_sum_rules(model, bath, points, raw, residuals, errors, options or DEFAULT_OPTIONS)
    if "nonlocal" in values:
        state["nonlocal_density"] = values["nonlocal"]
        errors["nonlocal_density"] = raw.errors["nonlocal"]
    stack = evaluated.stack
    state["expectation_H_S"], state["powers_S"] = system_traces(stack.h, stack.dh, values["A:f"])
    return EnergyIntegrals(
        method="contour",
        correlation_matrix=values["A:f"],
        powers_SR={k: values[f"power_SR:{k}"] for k in names},
        errors=errors,
        n_evaluations=raw.n_evaluations,
        converged=raw.converged,
        **state,  # type: ignore[arg-type]
    )

