"""Equilibrium state functions under the Hilbert-space partition (Kumar, Webb & Stafford 2024).

For a system + reservoirs in equilibrium at (T, mu), one call of :func:`equilibrium` computes

* system (Hilbert-space partition, Eq. 12):  N_S, U_S, S_S, Omega_S = int g_S(e) x(e) de,
  x = f, e f, s, omega (Eqs. 6, 8-10 with g -> g_S);
* reservoir change: dN_R, dU_R, dS_R, dOmega_R with delta g_R = (1/pi) Im Tr[G_S dSigma/de];
* the correlation matrix C = int A_SS f (C_ij = <d_j^dag d_i>), and int A_SS ln f,
  int A_SS ln(1 - f) for the alpha-entropy (Eq. 24, matrix form); dC/dbeta at fixed mu,
  int A_SS (-(e - mu) f (1 - f)), for the mean-force energy operator E*_S;
* <H_S> = Tr[h_S C] and <H_SR> = -(2/pi) int f Im Tr[Sigma G_S] (so U_S = <H_S> + <H_SR>/2,
  Eq. 14, is a check, not a definition);
* for every model parameter lambda the power densities <dH_S/dlambda> = Tr[dh_S C] and
  <dH_SR/dlambda> = -(1/pi) int f Im Tr[dSigma/dlambda G_S] (Eqs. 19-20, retarded form);
* optionally, for a direction d lambda/dt, the second term of Eq. (21).

Two roads compute the energy integrals, both handing over an :class:`.energy_integrals.EnergyIntegrals`:

* ``method="poles"`` (default where every reservoir has an analytic continuation, the spectrum
  is bounded, and beta x spectral radius <= 2e4 with a rounding floor below atol: all built-in
  reservoirs but the Lorentzian band, away from T -> 0 and huge energy scales): sums of G_S over the poles of a
  rational Fermi expansion (:mod:`.poles`); bound states are inside the pole sums, and the
  moments int g_S = n, int delta g_R = 0 enter analytically (their residuals are zero). A single
  state of a one-level affine model (and each point of a batch of fewer than ten) takes
  :func:`.poles.single_point`, the same sums in Python numbers wherever an array would hold one;
* ``method="contour"``: one adaptive wedge-contour integral (:mod:`.integrate`), which includes
  bound states without sampling delta functions, within an evaluation and memory budget; the two
  sum rules are checked on every call (a residual beyond the quadrature's own error raises the
  error estimates to cover it, and warns), and rounding at energies far above T and the
  spectrum's width warns. The default wherever the pole road would be long, and for a continuum
  reaching infinity (see :func:`.integrate.integrate_contour`).

:func:`.spectral.bound_states` finds the bound states independently (on first access of
``Equilibrium.bound_states``: the pole road never needs them).
"""

from __future__ import annotations

import gc
import operator
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from types import MappingProxyType
from typing import Any

import numpy as np

from ..core.quantities import key as quantity_key
from ..core.results import PartitionedState, RegionState
from ..core.warnings import NumericsWarning
from ..thermal import Bath
from .energy_integrals import (
    MATRIX_FIELDS,
    EnergyIntegrals,
    column_layout,
    column_names,
    contour_integrals,
)
from .evaluated import EvaluatedModel, evaluate
from .integrate import DEFAULT_OPTIONS, QuadratureOptions
from .poles import PointColumns, affordable, pole_integrals, single_point, supports_poles
from .spectral import BoundState, bound_state_counts, bound_states
from .system import OpenSystem, check_model_and_bath

__all__ = ["METHODS", "Equilibrium", "NumericsWarning", "RegionState", "energy_integrals", "equilibria", "equilibrium"]

#: The roads to the energy integrals (see module docstring).
METHODS = ("poles", "contour")


@dataclass(frozen=True)
class Equilibrium(PartitionedState):
    """Equilibrium of an open system at (T, mu) and fixed parameters; see module docstring."""

    model: OpenSystem
    bath: Bath
    params: Mapping[str, float]
    system: RegionState
    reservoir: RegionState
    correlation_matrix: np.ndarray
    log_f_matrix: np.ndarray
    log_one_minus_f_matrix: np.ndarray
    correlation_matrix_beta_derivative: np.ndarray
    expectation_H_S: float
    expectation_H_SR: float
    powers: Mapping[str, tuple[float, float]]
    sum_rule_residuals: Mapping[str, float]
    quadrature_error: float
    n_evaluations: int
    direction: Mapping[str, float] | None = None
    nonlocal_density: float | None = None
    method: str = "contour"
    _bound_states: tuple[BoundState, ...] | None = field(default=None, repr=False, compare=False)
    _n_bound_states: int | None = field(default=None, repr=False, compare=False)

    @property
    def bound_states(self) -> tuple[BoundState, ...]:
        """Real poles of G_S (:func:`.spectral.bound_states`), searched on first access: the pole
        road has them inside its sums already and never needs the search."""
        if self._bound_states is None:
            object.__setattr__(self, "_bound_states", bound_states(self.model, self.params))
        return self._bound_states  # type: ignore[return-value]

    @property
    def n_bound_states(self) -> int:
        """Number of bound states: from the search if it ran, else counted without root finding
        (:func:`.spectral.bound_state_counts`: eigenvalue signs of e - h_S - Sigma(e) at the gap edges)."""
        if self._bound_states is not None:
            return len(self._bound_states)
        if self._n_bound_states is None:
            count = bound_state_counts(evaluate(self.model, [self.params], self.bath.mu))[0]
            object.__setattr__(self, "_n_bound_states", int(count))
        return int(self._n_bound_states)  # type: ignore[arg-type]

    def __repr__(self) -> str:
        p = ", ".join(f"{k}={v:g}" for k, v in self.params.items())
        return (
            f"Equilibrium({self.model.name}; {p}; T={self.bath.T:g}, mu={self.bath.mu:g})\n"
            f"  system:    {self.system}\n  reservoir: {self.reservoir}\n"
            f"  bound states: {self.n_bound_states}; quadrature error <= {self.quadrature_error:.2g}"
        )

    def to_dict(self, alphas: Sequence[float] = ()) -> dict[str, float]:
        """The scalar results as a flat dict of plain floats (for sweeps, JSON and tables).

        Keys: ``system_N, system_U, system_S, system_Omega``, the same for ``reservoir_`` (the
        change of the reservoir's part) and ``universe_``; ``expectation_H_S``,
        ``expectation_H_SR``, ``entropy_coefficient``, ``power_H_S_<name>`` and
        ``power_H_SR_<name>`` per model parameter (Eqs. 19-20), ``n_bound_states``,
        ``quadrature_error``, ``sum_rule_g_S`` (int g_S - n), ``sum_rule_dg_R`` (int delta g_R);
        for each ``a`` in ``alphas``: ``alpha_energy_<a>`` (Eq. 22) and ``alpha_entropy_<a>``
        (Eq. 24). Energies in the model's unit, entropies in nats.

        Parameters
        ----------
        alphas : sequence of float
            Fractions of the alpha-partition, each in [0, 1] (not a model parameter).
        """

        out = {
            **self.system.to_dict("system_"),
            **self.reservoir.to_dict("reservoir_"),
            **self.universe.to_dict("universe_"),
            "expectation_H_S": float(self.expectation_H_S),
            "expectation_H_SR": float(self.expectation_H_SR),
            "entropy_coefficient": self.entropy_coefficient,
        }
        for name, (p_S, p_SR) in self.powers.items():
            out[f"power_H_S_{name}"] = float(p_S)
            out[f"power_H_SR_{name}"] = float(p_SR)
        out["n_bound_states"] = float(self.n_bound_states)
        out["quadrature_error"] = float(self.quadrature_error)
        out["sum_rule_g_S"] = float(self.sum_rule_residuals["int g_S - n"])
        out["sum_rule_dg_R"] = float(self.sum_rule_residuals["int delta g_R"])
        for a in alphas:
            out[quantity_key("alpha_energy", alpha=a)] = self.alpha_energy(a)
            out[quantity_key("alpha_entropy", alpha=a)] = self.alpha_entropy(a)
        return out

    def power(self, name: str) -> tuple[float, float]:
        """(<dH_S/d name>, <dH_SR/d name>): Eqs. (19)-(20) per unit change of parameter ``name``."""
        if name not in self.powers:
            raise ValueError(f"{self.model.name} has no parameter {name!r}; its parameters are {list(self.powers)}")
        return self.powers[name]


def _check_direction(direction: Mapping[str, float] | None, params: Mapping[str, float]) -> dict[str, float] | None:
    if direction is None:
        return None
    unknown = set(direction) - set(params)
    if unknown:
        raise ValueError(f"direction names unknown parameter(s) {sorted(unknown)}")
    return {k: float(v) for k, v in direction.items()}


def equilibrium(
    model: OpenSystem,
    bath: Bath,
    *,
    options: QuadratureOptions | None = None,
    direction: Mapping[str, float] | None = None,
    method: str | None = None,
    **params: float,
) -> Equilibrium:
    """Equilibrium state functions of ``model`` at ``bath`` and parameters ``params``.

    Parameters
    ----------
    model : OpenSystem
        E.g. ``st.models.resonant_level(t0=1.25)``.
    bath : Bath
        Common (T, mu) of all reservoirs.
    options : QuadratureOptions, optional
        Tolerances (default ``atol=1e-11`` per integral).
    direction : mapping, optional
        d lambda / dt for a quasistatic process: adds the second term of Eq. (21).
    method : {"poles", "contour"}, optional
        Road to the energy integrals (module docstring); default ``"poles"`` where it applies.
    **params : float
        The model's parameters, e.g. ``eps_s=-1.0, V=1.0``.

    Returns
    -------
    Equilibrium
    """
    if direction is None:  # the single-point road where it applies, without a batch's lists
        check_model_and_bath(model, bath)
        resolved, chosen = model.resolve(params), options or DEFAULT_OPTIONS
        point = single_point(model, bath, resolved, chosen, method)
        if point is not None:
            return _point_equilibrium(model, bath, resolved, point, chosen)
    # equilibria validates model, bath and parameters once; nothing below checks them again
    directions = None if direction is None else [direction]
    return equilibria(model, bath, [params], options=options, directions=directions, method=method)[0]


def _point_equilibrium(
    model: OpenSystem, bath: Bath, params: Mapping[str, float], point: PointColumns, options: QuadratureOptions
) -> Equilibrium:
    """The Equilibrium of a point of :func:`.poles.single_point` (resolved ``params``)."""
    row, matrices = _point_row(point, model.parameter_names), _point_matrices(point)
    return _equilibria_of_rows(model, bath, [params], [row], [matrices], point.n_evaluations, "poles", point.converged,
                               None, None, options)[0]  # fmt: skip


def _poles_affordable(model: OpenSystem, bath: Bath, evaluated: EvaluatedModel, options: QuadratureOptions) -> bool:
    """The pole road suits every point (:func:`.poles.affordable` at the widest spectral radius)."""
    if evaluated.radii is None:
        return False
    return affordable(model.n_levels, float(evaluated.radii.max()), bath, options.atol)


def _choose_method(
    model: OpenSystem,
    method: str | None,
    bath: Bath,
    evaluated: EvaluatedModel | None,
    options: QuadratureOptions,
) -> str:
    """``method`` checked, or the default road: poles where :func:`_poles_affordable` (``evaluated``
    is None where the model does not support them), else the contour."""
    if method is None:
        return "poles" if evaluated is not None and _poles_affordable(model, bath, evaluated, options) else "contour"
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS} (or None for the default), got {method!r}")
    return method


def energy_integrals(
    model: OpenSystem,
    bath: Bath,
    points: Sequence[Mapping[str, float]],
    *,
    quantities: str = "state",
    directions: Sequence[Mapping[str, float]] | None = None,
    options: QuadratureOptions | None = None,
    method: str | None = None,
) -> tuple[EnergyIntegrals, list[tuple[BoundState, ...] | None]]:
    """Energy integrals of resolved ``points`` by the chosen road, and the bound states that road
    had to search for (``None`` per point where it did not: they are then found on demand).

    The model is evaluated once on the stack of points (:func:`.evaluated.evaluate`): the choice
    of road, the pole sums or the contour and its bound-state search share those matrices."""
    options = options or DEFAULT_OPTIONS
    evaluated = evaluate(model, points, bath.mu) if method != "contour" and supports_poles(model) else None
    method = _choose_method(model, method, bath, evaluated, options)
    if method == "poles":
        integrals = pole_integrals(
            model, bath, points, quantities=quantities, directions=directions, options=options, evaluated=evaluated
        )
        return integrals, [None] * len(points)
    evaluated = evaluated or evaluate(model, points, bath.mu)  # the contour and the bound states share it
    states = [bound_states(evaluated.point(i)) for i in range(len(points))]
    single = len(points) == 1
    breaks = [float(e) for e in np.linalg.eigvalsh(evaluated.stack.h[0])] if single else []
    breaks += [b.energy for b in states[0]] if single else []
    integrals = contour_integrals(
        model, bath, points, quantities=quantities, directions=directions,
        break_energies=breaks, options=options, evaluated=evaluated,
    )  # fmt: skip
    return integrals, list(states)


def equilibria(
    model: OpenSystem,
    bath: Bath,
    points: Sequence[Mapping[str, float]],
    *,
    options: QuadratureOptions | None = None,
    directions: Sequence[Mapping[str, float] | None] | None = None,
    method: str | None = None,
) -> list[Equilibrium]:
    """:func:`equilibrium` at many parameter points, with all energy integrals done in one batch.

    Parameters
    ----------
    points : sequence of mappings
        Parameter sets of ``model`` (each completed with its defaults and validated).
    directions : sequence of mappings, optional
        d lambda / dt per point (all or none), as in :func:`equilibrium`.
    method : {"poles", "contour"}, optional
        As in :func:`equilibrium`. The pole road evaluates all points in one stacked batch
        (no shared adaptive grid), so a batch never costs more than its points one by one.
    """
    check_model_and_bath(model, bath)
    options = options or DEFAULT_OPTIONS
    resolved = [model.resolve(p) for p in points]
    if len(resolved) == 0:
        raise ValueError("points must contain at least one parameter set")
    dirs = None
    if directions is not None:
        if len(directions) != len(resolved) or any(d is None for d in directions):
            raise ValueError("directions must give one mapping per point")
        dirs = [_check_direction(d, p) or {} for d, p in zip(directions, resolved, strict=True)]  # none is None (checked)
    if len(resolved) < _BATCH_FROM and dirs is None:
        singles = [single_point(model, bath, p, options, method) for p in resolved]
        if all(point is not None for point in singles):
            return [_point_equilibrium(model, bath, p, point, options)
                    for p, point in zip(resolved, singles, strict=True) if point is not None]  # fmt: skip
    integrals, states = energy_integrals(model, bath, resolved, directions=dirs, options=options, method=method)
    real = [_is_real(model, p) for p in resolved] if integrals.real_model is None else integrals.real_model.tolist()
    return _assemble(model, bath, resolved, integrals, states, dirs, options, real)


#: below this many points a batch of a one-level model takes the single-point road point by point:
#: a batch's set-up (model stacked, bound states counted, groups) costs ~300 us, about six single
#: states (measured, resonant level at T = 0.02: a batch of 2 cost 3.4 x two single states, of
#: 5 1.5 x, of 8 1.06 x, of 10 0.89 x, of 20 0.53 x, of 50 0.32 x)
_BATCH_FROM = 10


def _is_real(model: OpenSystem, params: Mapping[str, float]) -> bool:
    """Real h_S and couplings: G_S(z) is complex symmetric, so every spectral matrix is real."""
    return not (np.any(model.h_S(params).imag) or any(np.any(V.imag) for V in model.V(params)))


_SCALARS = ("N_S", "U_S", "S_S", "Omega_S", "dN_R", "dU_R", "dS_R", "dOmega_R", "H_SR", "expectation_H_S")


@lru_cache(maxsize=64)
def _table_places(keys: tuple[str, ...], names: tuple[str, ...]) -> tuple[list[int], list[int], list[int]]:
    """For a road's table (rows ``keys``): where each key of :func:`_row_keys` sits in the rows of
    :func:`_rows` (``to``) and in the table (``from``), and the table's error rows."""
    row_keys = _row_keys(names)
    taken = [(i, keys.index(key)) for i, key in enumerate(row_keys) if key in keys]
    return [i for i, _ in taken], [j for _, j in taken], list(column_layout(keys).errors)


#: the keys of :func:`_row_keys` that a road may leave out for a whole batch (None in the row)
_OPTIONAL = ("nonlocal_density", "bound_state_counts", "entropy_coefficient")


def _rows(integrals: EnergyIntegrals, names: tuple[str, ...]) -> tuple[list[list[float]], tuple[bool, bool, bool]]:
    """Per point, the values of :func:`_row_keys` (``names``: the model's parameters) as one list
    of floats: one (P, keys) table and one conversion per batch, not one per value or per field;
    and whether each of :data:`_OPTIONAL` is there (its place holds NaN where not)."""
    row_keys = _row_keys(names)
    P = integrals.n_points
    table = np.full((P, len(row_keys)), np.nan)
    place = {key: i for i, key in enumerate(row_keys)}
    if integrals.table is not None:  # the road's own table: its rows, the errors' largest
        keys, source = integrals.table
        to, taken, error_rows = _table_places(keys, names)
        table[:, to] = source[taken].T
        table[:, place["worst"]] = source[error_rows].max(axis=0) if error_rows else 0.0
    else:
        fields = {name: getattr(integrals, name) for name in _SCALARS}
        fields.update({f"error:{k}": e for k, e in integrals.errors.items()})
        fields.update({f"powers_S:{k}": v for k, v in integrals.powers_S.items()})
        fields.update({f"powers_SR:{k}": v for k, v in integrals.powers_SR.items()})
        for key, value in fields.items():
            if key in place:
                table[:, place[key]] = value
        errors = list(integrals.errors.values())
        table[:, place["worst"]] = np.max(errors, axis=0) if errors else 0.0
    for name, key in _RESIDUALS:
        table[:, place[key]] = integrals.sum_rule_residuals[name]
    present = []
    for name in _OPTIONAL:
        value = getattr(integrals, name)
        if value is not None and (integrals.table is None or name not in integrals.table[0]):
            table[:, place[name]] = np.asarray(value).real
        present.append(value is not None)
    return table.tolist(), (present[0], present[1], present[2])


def _point_row(point: PointColumns, names: tuple[str, ...]) -> tuple:
    """The row of :func:`_equilibria_of_rows` of a single point of :func:`.poles.single_point`:
    its values, the largest error, and what the pole road knows without computing (exact
    moments, no Eq. 21 term, no bound-state count asked for)."""
    head, powers = _point_getters(names)
    values = point.values
    return (*head(values), point.worst, None, None, values["entropy_coefficient"], 0.0, 0.0, *powers(values))


@lru_cache(maxsize=64)
def _point_getters(names: tuple[str, ...]) -> tuple[Callable[[Mapping[str, Any]], tuple], Callable[[Mapping[str, Any]], tuple]]:
    """Getters of the keys of :func:`_row_keys` before ``worst``, and of the powers, from a
    single point's values (:func:`_point_row` puts the rest in between)."""
    keys = _row_keys(names)
    worst = keys.index("worst")
    assert keys[worst: len(_ROW_KEYS)] == ("worst", "nonlocal_density", "bound_state_counts", "entropy_coefficient",
                                           *(key for _, key in _RESIDUALS))  # fmt: skip
    return _tuple_getter(keys[:worst]), _tuple_getter(keys[len(_ROW_KEYS):])


def _tuple_getter(keys: Sequence[str]) -> Callable[[Mapping[str, Any]], tuple]:
    """operator.itemgetter of ``keys`` that returns a tuple for any number of them."""
    if len(keys) > 1:
        return operator.itemgetter(*keys)
    return (lambda values: (values[keys[0]],)) if keys else (lambda values: ())


def _point_matrices(point: PointColumns) -> tuple[np.ndarray, ...]:
    """The 1 x 1 matrices of a single point of :func:`.poles.single_point`, in :data:`MATRIX_FIELDS` order."""
    values = point.values
    return tuple(np.array([values[name] for name in MATRIX_FIELDS]).reshape(len(MATRIX_FIELDS), 1, 1))


#: the spectral sum rules of every road (EnergyIntegrals.sum_rule_residuals), as row keys
_RESIDUALS = (("int g_S - n", "residual:int g_S - n"), ("int delta g_R", "residual:int delta g_R"))
_ZERO_RESIDUALS = MappingProxyType({name: 0.0 for name, _ in _RESIDUALS})
#: the row an Equilibrium is made from (:func:`_equilibria_of_rows`), before the powers of each parameter
_ROW_KEYS = (
    "N_S", "U_S", "S_S", "Omega_S", "dN_R", "dU_R", "dS_R", "dOmega_R", "error:N_S", "error:U_S", "error:S_S",
    "error:Omega_S", "error:dN_R", "error:dU_R", "error:dS_R", "error:dOmega_R", "expectation_H_S", "H_SR",
    "worst", "nonlocal_density", "bound_state_counts", "entropy_coefficient", *(key for _, key in _RESIDUALS),
)  # fmt: skip


@lru_cache(maxsize=64)
def _row_keys(names: tuple[str, ...]) -> tuple[str, ...]:
    """The keys of a row of :func:`_equilibria_of_rows`: :data:`_ROW_KEYS`, then ``powers_S:k`` and
    ``powers_SR:k`` of the parameters ``names``."""
    powers_S, powers_SR, _ = column_names(names)
    return (*_ROW_KEYS, *powers_S, *powers_SR)


def _assemble(
    model: OpenSystem,
    bath: Bath,
    points: Sequence[Mapping[str, float]],
    integrals: EnergyIntegrals,
    states: Sequence[tuple[BoundState, ...] | None],
    directions: Sequence[Mapping[str, float]] | None,
    options: QuadratureOptions,
    real: Sequence[bool],
) -> list[Equilibrium]:
    """The Equilibrium of every point of a batch (:func:`_equilibria_of_rows`): each column
    converted once per batch, and the per-point work reduced to picking values."""
    # a real model's spectral matrices are real: drop the imaginary rounding (~1e-19), never a value
    matrices = [getattr(integrals, name) for name in MATRIX_FIELDS]
    assert all(m is not None for m in matrices) and integrals.H_SR is not None and integrals.expectation_H_S is not None
    per_point: list[Any] = list(matrices)  # stacked (P, n, n) arrays, or per-point lists
    if all(real):
        per_point = [np.ascontiguousarray(m.real) for m in matrices]
    elif any(real):
        per_point = [[np.ascontiguousarray(m[i].real) if r else m[i] for i, r in enumerate(real)] for m in matrices]
    rows, present = _rows(integrals, model.parameter_names)
    return _equilibria_of_rows(
        model, bath, points, rows, zip(*per_point, strict=True), integrals.n_evaluations, integrals.method,
        integrals.converged, states, directions, options, present,
    )  # fmt: skip


def _equilibria_of_rows(
    model: OpenSystem,
    bath: Bath,
    points: Sequence[Mapping[str, float]],
    rows: Iterable[Sequence[Any]],
    matrices: Iterable[Sequence[np.ndarray]],
    n_evaluations: int,
    method: str,
    converged: bool,
    states: Sequence[tuple[BoundState, ...] | None] | None,
    directions: Sequence[Mapping[str, float]] | None,
    options: QuadratureOptions,
    present: tuple[bool, bool, bool] = (True, True, True),
) -> list[Equilibrium]:
    """The Equilibrium of each point from its row (values of :func:`_row_keys`, in order) and its
    matrices (:data:`MATRIX_FIELDS` order), with the warnings of :func:`_warn_if_unconverged`;
    ``present``: whether the row's entries of :data:`_OPTIONAL` hold values (else None is meant).

    One loop with everything shared bound once: the instances are made as
    :func:`.core.results.filled` makes them (the dataclasses' own ``__init__`` sets each field
    through ``object.__setattr__``, more than a batch point's physics costs), and for the pole
    road, whose moments are exact, the residuals are one shared read-only mapping."""
    names = model.parameter_names
    K = len(names)
    out: list[Equilibrium] = []
    new, fill = object.__new__, object.__setattr__  # core.results.filled, inline: 3 calls per point saved
    has_nonlocal, has_counts, has_coefficient = present
    # the cyclic collector paused while the results are made: they form no cycles, and a batch's
    # ~10 new containers per point would otherwise set off collections that traverse every
    # object alive, the results kept so far included (measured: 0.6-1.8 us of a batch point's ~12)
    collecting = gc.isenabled()
    gc.disable()
    try:
        for i, (params, row, (C, log_f, log_one_minus_f, dC_dbeta)) in enumerate(zip(points, rows, matrices, strict=True)):
            (N, U, S, Omega, dN, dU, dS, dOmega, e_N, e_U, e_S, e_Omega, e_dN, e_dU, e_dS, e_dOmega, expectation_H_S,
             H_SR, worst, nonlocal_density, n_bound, coefficient, residual_g, residual_dg, *powers) = row  # fmt: skip
            if not has_nonlocal:
                nonlocal_density = None
            if not has_counts:
                n_bound = None
            residuals: Mapping[str, float] = (
                {"int g_S - n": residual_g, "int delta g_R": residual_dg} if residual_g or residual_dg else _ZERO_RESIDUALS
            )
            if not converged:
                _warn_if_unconverged(model, params, method, options, worst)
            system, reservoir, equilibrium = new(RegionState), new(RegionState), new(Equilibrium)
            fill(system, "__dict__", {"N": N, "U": U, "S": S, "Omega": Omega,
                                      "errors": {"N": e_N, "U": e_U, "S": e_S, "Omega": e_Omega}})
            fill(reservoir, "__dict__", {"N": dN, "U": dU, "S": dS, "Omega": dOmega,
                                         "errors": {"N": e_dN, "U": e_dU, "S": e_dS, "Omega": e_dOmega}})
            fields = {
                "model": model,
                "bath": bath,
                "params": params,  # resolved: a fresh dict per point
                "system": system,
                "reservoir": reservoir,
                "correlation_matrix": C,
                "log_f_matrix": log_f,
                "log_one_minus_f_matrix": log_one_minus_f,
                "correlation_matrix_beta_derivative": dC_dbeta,
                "expectation_H_S": expectation_H_S,
                "expectation_H_SR": H_SR,
                # lengths fixed by the row's construction; strict= would parse keywords per call
                "powers": dict(zip(names, zip(powers[:K], powers[K:]))),  # noqa: B905
                "sum_rule_residuals": residuals,
                "quadrature_error": worst,
                "n_evaluations": n_evaluations,
                "direction": directions[i] if directions else None,
                "nonlocal_density": nonlocal_density,
                "method": method,
                "_bound_states": states[i] if states else None,
                "_n_bound_states": n_bound,
            }  # fmt: skip
            if has_coefficient and coefficient is not None:  # the road computed it: Equilibrium.entropy_coefficient is cached
                fields["entropy_coefficient"] = coefficient
            fill(equilibrium, "__dict__", fields)
            out.append(equilibrium)
    finally:
        if collecting:
            gc.enable()
    return out


def _warn_if_unconverged(
    model: OpenSystem, p: Mapping[str, float], method: str, options: QuadratureOptions, worst: float
) -> None:
    """NumericsWarning where the pole road stopped above atol. The contour road warns (or raises,
    if strict) itself: when it stops above its tolerance, and when a spectral sum rule is off by
    more than its quadrature error (:func:`.energy_integrals.contour_integrals`, which then raises
    the error estimates to cover the missing weight); the pole road's sum rules are exact."""
    if method != "contour":
        warnings.warn(
            f"energy quadrature did not converge to atol={options.atol:g} (error estimate {worst:.2g}) "
            f"for {model.name} at {dict(p)}",
            NumericsWarning,
            stacklevel=4,
        )
