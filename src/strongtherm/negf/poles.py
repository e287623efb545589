"""The pole-sum road of the Green's-function engine: every energy integral from G_S at a few tens
of points on the line Re z = mu (Kumar, Webb & Stafford 2024; DESIGN.md "Paper 000", trap 2).

This module is the road: which points share an expansion, the single-state path
(:func:`single_point`), the batch (:func:`pole_integrals`) and the error estimates. The model is
evaluated by :mod:`.evaluated`, the expansion and its line rule live in :mod:`.fermi_poles`, the
node algebra and the pole sums in :mod:`.pole_kernels`; this docstring gives the theory of all.

**Fermi expansion.** Ozaki's continued fraction (Phys. Rev. B 75, 035123 (2007)) gives, with
x = beta (e - mu),

.. math:: f(x) \\approx f_N(x) = \\frac12 - \\sum_{p=1}^{N} R_p \\Big[\\frac{1}{x - i\\zeta_p}
          + \\frac{1}{x + i\\zeta_p}\\Big],

exact to rounding for abs(x) below a reach that grows as ~0.27 N^2 (measured, see
:func:`.fermi_poles.fermi_pole_expansion`), so N ~ sqrt(beta x spectral radius): the cost grows as T^(-1/2).
The lowest zeta_p are the Matsubara frequencies (2p - 1) pi; all poles lie on Re z = mu.

**Pole sums.** For F analytic in the upper half plane with F(z*) = F(z)^dagger and
F ~ M_1 / z, the "spectral part" X(e) = (i / 2 pi)[F(e + i0) - F(e - i0)] obeys (close the
contour in the upper half plane for F, in the lower one for F^dagger)

.. math:: \\int X f_N\\, de = \\frac{M_1}{2} + T \\sum_p R_p [F(z_p) + F(z_p)^\\dagger],
          \\qquad z_p = \\mu + i \\zeta_p T.

Real poles of G_S (bound states, decoupled levels) are inside that contour: they come in
automatically and must never be added a second time. With G' = -G (1 - Sigma') G:

* C = int A_SS f: F = G_S, M_1 = 1;  int A_SS (e - mu) f: F = (z - mu) G_S - 1, M_1 = h_S - mu
  (first-moment sum rule, exact), summed as (h_S - mu + Sigma) G_S, the same function without
  cancelling ~1 against 1 at every pole; U_S = mu N_S + Tr of the latter;
* <H_SR>: F = 2 Tr[Sigma G_S]; <dH_SR/dlambda> (Eq. 20): F = Tr[dSigma/dlambda G_S]; delta g_R:
  F = -Tr[G_S Sigma'], and (z - mu) times it for dU_R; all with M_1 = 0;
* dC/dbeta at fixed mu differentiates the pole sum (double poles): -T^2 sum_p R_p [G + i zeta_p T G' + h.c.].

**The log kernels.** omega' = f, so int g omega = -int n(e) f(e) de with n the integrated
density (integration by parts; the spectrum is bounded). Subtracting n theta(e - mu), the
spectral part of K(z) = L(z) - n Log(z - mu) (L' = the trace whose spectral part is g) decays,
has M_1 = n mu - Tr h_S, and int_mu^inf f = T ln 2:

* universe (g_S + delta g_R): L = ln det[z - h_S - Sigma(z)] = sum_k Log lambda_k, closed form,
  on the principal branch of each eigenvalue, since Im(z - h_S - Sigma) >= Im z > 0 puts every
  eigenvalue in the upper half plane (no branch to track);
* system alone (g_S, and the matrix int A_SS omega): K_S(z) = -int_z^{i inf} [G_S(w) - 1/(w - mu)] dw
  by one Gauss-Legendre quadrature down the line Re z = mu, in u = ln Im z, where the
  integrand is analytic in the strip |Im u| < pi/2 for every model (real-axis features sit at
  Im u = -pi/2 or beyond), on panels sized by that strip, not by the pole spacing: each pole's
  integral from its own height up takes the partial integral of its panel's interpolant, ~16
  nodes per unit of u in all. The pole sum of K_S folds into a single weighted sum over the line
  nodes, sum_p R_p K_S(z_p) = -i T sum_q v_q F_q (:mod:`.fermi_poles`); it is taken of
  G_S - 1/(w - mu) as a whole (the fold of 1/(w - mu) alone diverges logarithmically);
* then S = beta (U - mu N - Omega), int A ln(1 - f) = beta int A omega, int A ln f =
  beta [int A omega - (h_S - mu)], and the reservoir's parts are universe minus system;
* the second term of Eq. (21), int omega (-1/pi) Im Tr[dG/dt Sigma' - dG/dz dSigma/dt], by the same
  integration by parts on the same line.

**Errors.** The expansion error is bounded, per quantity, by sup norms of f_N - f (and of its
moments) over abs(x) <= beta x a rigorous spectral radius, measured on a fine grid, above a rounding
allowance; A_SS >= 0 with int A_SS = 1 makes the bound for C rigorous. The quadrature error of the
log kernels is estimated by running the universe through the same quadrature and comparing with
its closed form. The rounding of the sums, 16 eps sqrt(nodes) n x max(radius + abs(mu), T), is
added to every estimate (it dominates at T >~ 100, where the energies ~ n T ln 2 are large). The
spectrum must be bounded (every continuum finite): a continuum reaching infinity (Lorentzian
band) or a reservoir without analytic continuation uses the contour road.

**Cost.** G_S is evaluated once on the poles and the line nodes together, and every pole sum
is one column of one product of a few node arrays with a fixed weight matrix
(:class:`.fermi_poles.Functionals`, the kernels of :mod:`.pole_kernels`); models affine in
their parameters are evaluated for a whole batch by one matrix product per matrix
(:mod:`.evaluated`). For one level with one surface orbital per reservoir (every built-in
one-level model) every node function is a fixed function of z times G_S or G_S^2, since
Sigma = sum_r abs(V_r)^2 g_r: the weights are folded with g_r and g_r' once per set of nodes
(:func:`.pole_kernels.one_level_weights`), and two node arrays (G_S, G_S^2) give every sum,
G_S - 1/(z - mu) included, as (eps - mu + Sigma) G_S / (z - mu). A batch costs P x (N + Q) elements, N ~
sqrt(beta x radius / 0.27) poles and Q ~ 16 ln(zeta_N / zeta_1) + 30 line nodes (~130 at N = 30,
~200 at N = 140), one division each and a few real products; a single state of a one-level
affine model (:func:`single_point`) does a dozen array operations on its nodes and everything
else in Python numbers, since an array operation costs ~1 us whatever its size and a Python
multiplication ~50 ns. On that path ``zip`` goes without
``strict=`` where the lengths are fixed by construction: a keyword costs ~0.35 us a call
(measured), and a single state made nine such calls.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from typing import Any, NamedTuple

import numpy as np

from ..thermal import Bath
from .contour import check_request
from .energy_integrals import MATRIX_FIELDS, EnergyIntegrals, column_names
from .evaluated import AffineLevel, EvaluatedModel, affine_level, continuum_frame, evaluate
from .fermi_poles import (
    MAX_POLES,
    REACH_PER_POLE_SQUARED,
    STEPS_PER_OCTAVE,
    TABLE_MAX_REACH,
    FermiPoleExpansion,
    Functionals,
    bucket_index,
    bucket_reach,
    fermi_pole_expansion,
    functionals,
    pole_count,
    top_decades,
)
from .integrate import DEFAULT_OPTIONS, QuadratureOptions
from .pole_kernels import (
    STATE_SCALARS,
    PointModel,
    PoleGroup,
    Surfaces,
    matrix_integrals,
    node_surfaces,
    one_level_integrals,
    one_level_weights,
)
from .reservoirs import TightBindingChain, WideBand
from .spectral import bound_state_counts
from .system import OpenSystem

__all__ = [
    "POLE_REACH_LIMIT", "PointColumns", "affordable", "pole_integrals", "rounding_floor", "single_point", "supports_poles",
]  # fmt: skip

_EPS = float(np.finfo(float).eps)


def supports_poles(model: OpenSystem) -> bool:
    """True when the pole road applies: every reservoir has a known continuation to the upper half
    plane (tight-binding chain, wide band, or a reservoir with ``analytic_continuation = True``)
    and a finite continuum (so the spectrum is bounded)."""
    return _supports(model.reservoirs, model.continuum)


@lru_cache(maxsize=64)
def _supports(reservoirs: tuple, continuum: tuple[tuple[float, float], ...]) -> bool:
    for res in reservoirs:
        known = isinstance(res, (TightBindingChain, WideBand)) or bool(getattr(res, "analytic_continuation", False))
        if not known:
            return False
    return all(math.isfinite(e) for iv in continuum for e in iv)


def rounding_floor(n_levels: int, radius: float, mu: float) -> float:
    """The smallest absolute error the pole sums can promise in double precision: ~ eps
    sqrt(number of terms) x the largest energy, with a margin (measured: ~1e-15 relative to the
    energy scale on the test set)."""
    return 2e-15 * n_levels * max(1.0, radius + abs(mu))


#: its rounding floor (2e-15 n x radius) well below atol. Beyond, the wedge contour, whose cost
#: grows with neither (issue 10: T = 1e-6, |eps_s| = 1e8, V = 1e6 in a second).
POLE_REACH_LIMIT = 2e4


def affordable(n_levels: int, radius: float, bath: Bath, atol: float) -> bool:
    """The pole road's expansion stays short (beta x ``radius`` <= :data:`POLE_REACH_LIMIT`) and its
    rounding floor well below ``atol``: where it is the default road."""
    return bool(bath.beta * radius <= POLE_REACH_LIMIT and 10.0 * rounding_floor(n_levels, radius, bath.mu) <= atol)


def _expansion_tolerance(atol: float, n_levels: int) -> float:
    """The tolerance of the Fermi expansion for ``atol`` on every quantity: the strictest bound is
    the entropy's n (sup abs(x err) + int abs(err)), so atol is shared among them."""
    return atol / (4.0 * n_levels)


def _expansions(model: OpenSystem, bath: Bath, widest_radius: float, atol: float) -> Callable[[float], FermiPoleExpansion]:
    """The Fermi expansion for a reach (beta x radius) at ``atol``, after refusing what the pole road
    cannot do for spectral radii up to ``widest_radius``: ``atol`` below its rounding floor, or a
    reach that would need more than :data:`MAX_POLES` poles (refused before building any)."""
    floor = rounding_floor(model.n_levels, widest_radius, bath.mu)
    if atol < floor:
        raise ValueError(
            f"tolerance atol={atol:g} is below what the pole expansion can reach in double precision "
            f"for this model (about {floor:.1g}); use atol >= {floor:.1g}"
        )
    widest_reach = bath.beta * widest_radius
    if widest_reach > REACH_PER_POLE_SQUARED * MAX_POLES**2:
        # the expansion needs >= sqrt(reach / 0.27) poles
        raise ValueError(
            f"tolerance atol={atol:g} at T={bath.T:g} needs a Fermi expansion with about "
            f"{math.sqrt(widest_reach / REACH_PER_POLE_SQUARED):.0f} poles (beta x spectral radius = {widest_reach:.3g}), "
            f"more than the {MAX_POLES} allowed; use method='contour', whose cost does not grow as T -> 0"
        )
    tolerance = _expansion_tolerance(atol, model.n_levels)

    def expansion(reach: float) -> FermiPoleExpansion:
        try:
            return fermi_pole_expansion(reach, tolerance)
        except ValueError as exc:
            raise ValueError(f"the pole road cannot reach atol={atol:g} at T={bath.T:g}: {exc}; use method='contour'") from exc

    return expansion


class PointColumns(NamedTuple):
    """One state of a one-level model by the pole road (:func:`single_point`): ``values``, the
    flat columns of :meth:`EnergyIntegrals.from_columns` as Python numbers (errors included);
    the largest error estimate; whether every tolerance was met; evaluations of G_S; whether h_S
    and the couplings are real (a named tuple: made once per single state)."""

    values: dict[str, float]
    worst: float
    converged: bool
    n_evaluations: int
    real: bool



class _SingleSetting(NamedTuple):
    """What the states of one model share at one (T, mu, atol) and reach bucket (:func:`single_point`)."""

    expansion: FermiPoleExpansion
    fn: Functionals
    top: int
    surfaces: Surfaces
    weights: np.ndarray


class _SingleRoad(NamedTuple):
    """What :func:`single_point` derives from a model once (kept in :attr:`.OpenSystem.memo`): its
    affine one-level numbers, the frame of its continua, its parameter names, and a
    :class:`_SingleSetting` per (T, mu, atol, reach bucket), at most :data:`_SINGLE_SETTINGS`."""

    reduced: AffineLevel
    frame: tuple[float, float]
    names: tuple[str, ...]
    settings: dict[tuple[float, float, float, int], _SingleSetting]


#: settings kept per model (:class:`_SingleRoad`), each ~50 kB of node arrays
_SINGLE_SETTINGS = 256
#: The single road shares a setting across this many consecutive reach buckets (a factor sqrt(2)
#: in the reach, ~19 % in the pole count), using the expansion of the largest. Building a setting
#: costs a fresh process 0.1-0.2 ms (first touches of its arrays), evaluating a state with it
#: ~0.04 ms, nearly independent of a few poles more: 100 random resonant-level states at
#: T = 0.02 met 7 pole counts on the plain buckets and meet 2 on these (27 and 32); their warm
#: cost stayed 4.0 ms at T = 0.1 and 0.02 and 4.2 ms at T = 0.001 (with 4 and 8 buckets alike).
SINGLE_BUCKETS = 8


def _single_road(model: OpenSystem) -> _SingleRoad | None:
    """:class:`_SingleRoad` of ``model``, or None where the single-point road does not apply (a
    matrix model, a reservoir without continuation, a continuum reaching infinity, a model not
    affine in its parameters)."""
    memo = model.memo
    road = memo.get("poles.single_point", False)
    if road is False:
        road = None
        reduced = affine_level(model) if supports_poles(model) else None
        frame = continuum_frame(model.continuum)
        if reduced is not None and frame is not None:
            road = _SingleRoad(reduced, frame, model.parameter_names, {})
        memo["poles.single_point"] = road
    return road


def single_point(
    model: OpenSystem, bath: Bath, params: Mapping[str, float], options: QuadratureOptions, method: str | None
) -> PointColumns | None:
    """The pole road for one resolved point of a one-level model affine in its parameters (every
    built-in one-level model), in Python numbers wherever an array would hold one number: the
    same kernel as a batch (:func:`.pole_kernels.one_level_integrals`) without the batch's set-up, which costs
    more than the physics for one point, and with what the states of a model share kept per
    reach bucket (:class:`_SingleRoad`). None where anything else applies (a matrix model, a
    reservoir without continuation, ``method="contour"``, or, for the default road, a point the
    pole road does not suit, see :func:`affordable`); :func:`pole_integrals` then decides, and
    raises its errors, as for any batch."""
    if method not in (None, "poles"):
        return None
    road = _single_road(model)
    if road is None:
        return None
    one = road.reduced.point(params, road.names)
    c, reservoir_radius = road.frame  # evaluated's one-level radius in Python numbers
    radius = abs(c - bath.mu) + max(abs(one.eps - c), reservoir_radius) + math.sqrt(sum(one.s))
    atol = float(options.atol)
    if not math.isfinite(radius) or (method is None and not affordable(1, radius, bath, atol)):
        return None
    reach = bath.beta * radius
    if method is not None:  # a forced road: checked and refused with the same messages as any batch
        _expansions(model, bath, radius, atol)(reach)
    # the reach rounded up to every SINGLE_BUCKETS-th bucket of fermi_pole_expansion: its expansion
    # holds its errors on that larger reach, so on this point's too (see SINGLE_BUCKETS); only
    # inside the shipped table's range, so that a reach near MAX_POLES's limit is never pushed past it
    bucket = bucket_index(max(reach, 1.0))
    shared = -(-bucket // SINGLE_BUCKETS) * SINGLE_BUCKETS
    if bucket_reach(shared) <= TABLE_MAX_REACH:
        bucket = shared
    key = (bath.T, bath.mu, atol, bucket)
    setting = road.settings.get(key)
    if setting is None:
        if len(road.settings) >= _SINGLE_SETTINGS:  # bounded: a sweep over T makes one per temperature
            road.settings.clear()
        expansion = fermi_pole_expansion(bucket_reach(bucket), _expansion_tolerance(atol, 1))
        top = top_decades(expansion)
        setting = _SingleSetting(
            expansion, functionals(bath.T, bath.mu, expansion.n_poles, top), top,
            node_surfaces(model.reservoirs, bath.T, bath.mu, expansion.n_poles, top),
            one_level_weights(model.reservoirs, bath.T, bath.mu, expansion.n_poles, top),
        )  # fmt: skip
        road.settings[key] = setting
    fn = setting.fn
    group = PoleGroup(model, bath, PointModel(one), setting.expansion, fn, setting.top, setting.surfaces,
                   _rounding(1, fn.z.size, radius, bath.mu, bath.T), True, None, setting.weights)  # fmt: skip
    values, _, converged, errors = _group_columns(group, atol)
    real = road.reduced.real or all(v.imag == 0.0 for v in one.V)
    return PointColumns(values, max(errors.values()), converged, fn.z.size, real)


def pole_integrals(
    model: OpenSystem,
    bath: Bath,
    points: Sequence[Mapping[str, float]],
    *,
    quantities: str = "state",
    directions: Sequence[Mapping[str, float]] | None = None,
    options: QuadratureOptions | None = None,
    evaluated: EvaluatedModel | None = None,
) -> EnergyIntegrals:
    """Every energy integral of P points of ``model`` at ``bath`` by pole sums (module docstring).

    Parameters
    ----------
    model : OpenSystem
        Reservoirs with an analytic continuation and a bounded spectrum (:func:`supports_poles`).
    bath : Bath
    points : sequence of mappings
        Resolved parameter sets.
    quantities : {"state", "rates"}
        "state": everything an :class:`~.partition.Equilibrium` needs; "rates": the correlation
        matrix, the coupling powers and the Eq. (21) term only.
    directions : sequence of mappings, optional
        d lambda/dt per point; required for "rates".
    options : QuadratureOptions, optional
        ``options.atol`` is the target absolute error of every quantity.
    evaluated : EvaluatedModel, optional
        :func:`.evaluated.evaluate` of the same model, points and mu, where the caller has it already.

    Returns
    -------
    EnergyIntegrals

    Raises
    ------
    ValueError
        A continuum reaching infinity, ``atol`` below the rounding floor of the sums, or a
        temperature so low that the expansion would need more than :data:`MAX_POLES` poles.
    """
    options = options or DEFAULT_OPTIONS
    check_request(quantities, directions, points)
    n, P = model.n_levels, len(points)
    evaluated = evaluated or evaluate(model, points, bath.mu)
    radii = evaluated.radii
    if radii is None:
        raise ValueError(
            f"the pole road needs a bounded spectrum, but a continuum of {model.name} reaches infinity; use method='contour'"
        )
    atol = float(options.atol)
    expansion = _expansions(model, bath, float(radii.max()), atol)
    # Points are grouped by the pole count their own spectral radius needs; a group runs with the
    # expansion of its widest member. A group costs a fixed amount (~ _GROUP_COST point-poles)
    # plus ~ points x poles, so a point joins the current group unless the poles it adds for
    # every member cost more than a new group would
    if P == 1:
        widest = float(radii[0])
        return _integrals_of_group(model, bath, evaluated, expansion(bath.beta * widest), widest, quantities, directions, atol)
    # one pole count per reach bucket (see _bucket), not per point: a table over the buckets'
    # range, after the widest reach was checked (every narrower one then has an expansion)
    expansion(bath.beta * float(radii.max()))
    buckets = np.ceil(STEPS_PER_OCTAVE * np.log2(np.maximum(bath.beta * radii, 1.0))).astype(int)  # bucket_index
    lowest = int(buckets.min())
    tolerance = _expansion_tolerance(atol, n)
    per_bucket = np.array([pole_count(k, tolerance) for k in range(lowest, int(buckets.max()) + 1)])
    counts = per_bucket[buckets - lowest]
    order = np.argsort(counts, kind="stable")
    sorted_counts = counts[order]
    groups: list[np.ndarray] = []
    start = 0
    # a group can only end where the pole count rises (a handful of places, not every point)
    for k, rise in zip(*_rises(sorted_counts), strict=True):
        if (k - start) * rise > _GROUP_COST:
            groups.append(np.sort(order[start:k]))
            start = k
    groups.append(np.sort(order[start:]))
    # each group in slices of at most _SLICE_ELEMENTS node values per array: every temporary
    # then stays in the allocator's reused memory instead of fresh pages from the kernel
    # (measured: 200 points x 236 nodes in one piece spent 2/3 of its time in page faults)
    # counted for batches (sweeps write n_bound_states); a single state counts on demand
    counts_bound = bound_state_counts(evaluated) if quantities == "state" else None
    slices: list[np.ndarray] = []
    parts = []
    for group in groups:
        widest = float(radii[group].max())
        group_expansion = expansion(bath.beta * widest)
        n_nodes = functionals(bath.T, bath.mu, group_expansion.n_poles, top_decades(group_expansion)).z.size
        n_slices = -(-group.size * n_nodes * n * n // _SLICE_ELEMENTS)
        step = -(-group.size // n_slices)  # equal slices, none of them a small remainder
        for start in range(0, group.size, step):
            idx = group[start : start + step]
            slices.append(idx)
            parts.append(_integrals_of_group(
                model, bath, evaluated if idx.size == P else evaluated.take(idx), group_expansion, widest,
                quantities, None if directions is None else [directions[i] for i in idx], atol,
                None if counts_bound is None else counts_bound[idx],
            ))  # fmt: skip
    merged = parts[0] if len(parts) == 1 else _merge(parts, slices, P)
    return merged



def _rises(sorted_counts: np.ndarray) -> tuple[list[int], list[int]]:
    """The places k where an ascending array rises (``sorted_counts[k] > sorted_counts[k - 1]``)
    and by how much, as Python lists."""
    steps = np.diff(sorted_counts)
    places = np.flatnonzero(steps)
    return (places + 1).tolist(), steps[places].tolist()


def _merge(parts: Sequence[EnergyIntegrals], indices: Sequence[np.ndarray], P: int) -> EnergyIntegrals:
    """One EnergyIntegrals of P points from groups of them (``indices``: their places). Every part
    holds its scalars in one table (:meth:`EnergyIntegrals.from_columns`, same keys): the tables
    are joined, and whatever lives beside them ((P, n, n) matrices, counts, flags, residuals)."""

    def join(arrays: Sequence[np.ndarray]) -> np.ndarray:
        out = np.empty((P,) + arrays[0].shape[1:], dtype=np.result_type(*arrays))
        for a, ix in zip(arrays, indices, strict=True):
            out[ix] = a
        return out

    tables = [p.table for p in parts]
    first = parts[0]
    assert first.table is not None and all(t is not None and t[0] == first.table[0] for t in tables)
    keys = first.table[0]
    table = join([t[1].T for t in tables if t is not None]).T
    beside = [name for name in (*MATRIX_FIELDS, "bound_state_counts", "real_model")
              if name not in keys and getattr(first, name) is not None]  # fmt: skip
    others: dict[str, Any] = {name: join([getattr(p, name) for p in parts]) for name in beside}
    others["sum_rule_residuals"] = {k: join([p.sum_rule_residuals[k] for p in parts]) for k in first.sum_rule_residuals}
    return EnergyIntegrals.from_table(keys, np.ascontiguousarray(table), method=first.method,
                                      n_evaluations=max(p.n_evaluations for p in parts),
                                      converged=all(p.converged for p in parts), **others)  # fmt: skip




#: the fixed cost of one group of a batch (one call of _integrals_of_group), in points x poles:
#: measured on the resonant level at T = 0.02 (30 poles, 162 nodes): ~105 us per group against
#: ~0.032 us per point and pole (2 points: 111 us, 50: 147 us, 200: 276 us, 400: 486 us). By it,
#: points share a group unless the poles a wider expansion adds to every member cost more than a group
_GROUP_COST = 3300

#: node values per array in one slice of a batch (see pole_integrals): 65536 complex numbers, 1 MiB
#: per array, so that a batch's memory stays bounded. Measured (energy integrals per state, random
#: resonant-level points, T = 0.02), slices of 8192 / 16384 / 32768 / 65536 / unsliced: 200 points
#: 9.7 / 8.5 / 7.2 / 7.3 / 7.2 us, 1000 points 8.1 / 6.4 / 5.6 / 5.3 / 5.1 us (the node values are
#: written in place, so big slices no longer pay in fresh pages what they save in fixed costs)
_SLICE_ELEMENTS = 65536


#: rounding of an N-term sum ~ sqrt(N) eps x the magnitude of its terms, with a margin: measured
#: against the contour road up to T = 1e6 (where the energies ~ n T ln 2 are huge), see tests
_ROUNDING_MARGIN = 16.0


def _rounding(n: int, n_nodes: int, radius: float, mu: float, T: float) -> tuple[float, float]:
    """The rounding of the pole sums, dimensionless and in energy: ~ sqrt(terms) eps x their
    magnitude, n x the largest energy (spectral radius, abs(mu), or T ln 2 per level)."""
    rounding = _ROUNDING_MARGIN * _EPS * math.sqrt(n_nodes) * n
    return rounding, rounding * max(radius + abs(mu), T)


def _integrals_of_group(
    model: OpenSystem,
    bath: Bath,
    evaluated: EvaluatedModel,
    expansion: FermiPoleExpansion,
    radius: float,
    quantities: str,
    directions: Sequence[Mapping[str, float]] | None,
    atol: float,
    bound_counts: np.ndarray | None = None,
) -> EnergyIntegrals:
    """:func:`pole_integrals` for points that share one Fermi expansion (:func:`_group_columns`)."""
    group = _group(model, bath, evaluated, expansion, radius, quantities == "state", directions)
    columns, matrices, converged, _ = _group_columns(group, atol)
    residuals = {"int g_S - n": np.zeros(evaluated.n_points), "int delta g_R": np.zeros(evaluated.n_points)} if group.want_state else {}
    return EnergyIntegrals.from_columns(
        columns, evaluated.n_points, method="poles", n_evaluations=group.fn.z.size, converged=converged,
        real_model=evaluated.real, bound_state_counts=bound_counts, sum_rule_residuals=residuals, **matrices,
    )  # fmt: skip


def _group_columns(group: PoleGroup, atol: float) -> tuple[dict[str, Any], dict[str, np.ndarray], bool, dict[str, Any]]:
    """Every energy integral of a group of points that share one Fermi expansion, as the flat
    columns of :meth:`EnergyIntegrals.from_columns` (errors included), the (P, n, n) matrices,
    whether every tolerance was met, and the error columns alone.

    G_S is evaluated once on the poles and the line nodes together, and every pole sum (the
    log kernels' antiderivatives included, see :class:`.fermi_poles.Functionals`) is a column of one product
    of a few node arrays with a fixed weight matrix. One level with one surface orbital per
    reservoir (the common case) takes the one-level kernel, anything else the matrix kernel
    (:func:`.pole_kernels.one_level_integrals`, :func:`.pole_kernels.matrix_integrals`).
    """
    kernel = one_level_integrals if group.evaluated.one_level is not None else matrix_integrals
    columns, matrices, log_quadrature_error = kernel(group)
    errors = _error_estimates(group, log_quadrature_error, columns.pop("scale"))
    columns.update(errors)
    # the expansion meets its share of atol by construction; the log kernels' line quadrature is
    # held to atol raised to the rounding floor (as the contour road raises its own): at
    # T = 1e4-1e6 the check of that quadrature is itself rounding, measured at 1.2-2.3 x
    # rounding_energy, hence the floor 4 x rounding_energy
    largest = log_quadrature_error if isinstance(log_quadrature_error, float) else float(log_quadrature_error.max())
    converged = largest <= max(atol, 4.0 * group.roundings[1])
    return columns, matrices, converged, errors



def _group(
    model: OpenSystem, bath: Bath, evaluated: EvaluatedModel, expansion: FermiPoleExpansion, radius: float,
    want_state: bool, directions: Sequence[Mapping[str, float]] | None,
) -> PoleGroup:
    """The :class:`.pole_kernels.PoleGroup` of ``evaluated``'s points, whose spectral radii are at
    most ``radius``."""
    top = top_decades(expansion)
    fn = functionals(bath.T, bath.mu, expansion.n_poles, top)
    surfaces = node_surfaces(model.reservoirs, bath.T, bath.mu, expansion.n_poles, top)
    roundings = _rounding(model.n_levels, fn.z.size, radius, bath.mu, bath.T)
    return PoleGroup(model, bath, evaluated, expansion, fn, top, surfaces, roundings, want_state, directions)


def _error_estimates(group: PoleGroup, log_quadrature_error: Any, scale: Any) -> dict[str, Any]:
    """Every error estimate per point as ``error:field`` columns (numbers for a single point, (P,)
    arrays or numbers where the same at every point): the expansion bounds (module docstring) plus
    the rounding of the sums (:func:`_rounding`), and for the log kernels the line quadrature's
    estimate. ``scale`` = 1 + coupling scale (sum of abs(V)^2) per point."""
    e, bath, n = group.expansion, group.bath, group.model.n_levels
    T, mu, beta = bath.T, bath.mu, bath.beta
    rounding, rounding_energy = group.roundings
    coupled = (2.0 * e.sup_error + rounding) * scale  # int f X with int |X| <~ 2 |V| |dV| per unit band
    log_kernel = n * T * e.integrated_error + rounding_energy + log_quadrature_error
    errors: dict[str, Any] = {"error:correlation_matrix": e.sup_error + rounding}
    errors.update(dict.fromkeys(column_names(group.model.parameter_names)[2], coupled))
    if group.want_state:
        e_N = n * e.sup_error + rounding
        e_U = n * T * e.sup_x_error + rounding_energy
        e_U_S = e_U + abs(mu) * e_N
        e_S = beta * (e_U + log_kernel)
        values = (e_N, e_U_S, e_S, log_kernel, 2.0 * e_N, 2.0 * e_U_S, 2.0 * e_S, 2.0 * log_kernel, coupled, beta * log_kernel,
                  beta * log_kernel, T * e.sup_x_derivative_error + rounding_energy)  # fmt: skip
        errors.update(zip(_STATE_ERRORS, values))  # noqa: B905
    if group.directions is not None:
        errors["error:nonlocal_density"] = log_kernel * scale  # a log kernel's, times the coupling scale
    return errors


#: the error columns of the state, in the order of _error_estimates
_STATE_ERRORS = tuple(f"error:{k}" for k in (*STATE_SCALARS, "H_SR", "log_f_matrix", "log_one_minus_f_matrix",
                                              "correlation_matrix_beta_derivative"))  # fmt: skip


