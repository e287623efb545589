"""The evaluated-model layer of the Green's-function engine: a model evaluated once on a stack of
parameter points, and the arrays handed on to the physics (kwant's ``hamiltonian_submatrix(params=)``).

:func:`evaluate` is the one place where an :class:`~.system.OpenSystem` is called for a batch of
points: it returns an :class:`EvaluatedModel` with h_S (P, n, n), the couplings V_r (P, m_r, n)
and their parameter derivatives (:class:`ModelStack`), whether each point is real, a rigorous
spectral radius per point, and, for one level with one surface orbital per reservoir, the
numbers of that reduction (:class:`OneLevel`). Both roads to the energy integrals (the pole sums
of :mod:`.poles` and the contour of :mod:`.contour`) and the bound-state counts of
:mod:`.spectral` take it.

A model whose h_S and couplings evaluate themselves on a stack of points
(:class:`StackedMatrix`, :class:`StackedCouplings`: :mod:`strongtherm.models.affine` implements
them with one matrix product per matrix) is evaluated that way; any other model is called once
per point and matrix, and anything unusual (QuTiP operators, a model without exact derivatives,
a bad matrix) takes the validated per-point road of :meth:`.OpenSystem.at`, which converts,
differentiates numerically and raises the precise error.
"""

from __future__ import annotations

import cmath
import math
import operator
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache, reduce
from typing import Any, NamedTuple, Protocol, runtime_checkable

import numpy as np

from .system import ModelPoint, OpenSystem

__all__ = [
    "AffineLevel", "EvaluatedModel", "ModelStack", "OneLevel", "OnePoint", "StackedCouplings", "StackedMatrix",
    "affine_level", "continuum_frame", "evaluate", "model_point", "total",
]  # fmt: skip


@runtime_checkable
class StackedMatrix(Protocol):
    """A matrix function of the named parameters (h_S, or one coupling V_r) that evaluates itself,
    and its exact derivatives, on a stack of points at once (e.g.
    :class:`strongtherm.models.AffineMatrix`: one matrix product instead of one call per point).
    Its ``derivative`` method must be the model's derivative callable; hashable (the one-level
    reduction is cached by it)."""

    def __hash__(self) -> int: ...

    @property
    def real(self) -> bool:
        """The matrix is real at every real parameter point."""

    @property
    def exactly_hermitian(self) -> bool:
        """The matrix is exactly Hermitian at every real parameter point (no point needs checking)."""

    def derivative(self, params: Mapping[str, float], name: str) -> np.ndarray:
        """d matrix / d ``name`` at one point."""

    def stacked(self, points: Sequence[Mapping[str, float]]) -> np.ndarray:
        """The matrix at every point, ``(P, *shape)``."""

    def stacked_derivative(self, n_points: int, name: str) -> np.ndarray:
        """d matrix / d ``name`` at ``n_points`` points, ``(P, *shape)`` (may be read-only)."""

    def level_form(self, names: Sequence[str]) -> tuple[complex, list[complex]] | None:
        """For a 1 x 1 matrix affine in the parameters: its value at lambda = 0 and its slope by
        each of ``names`` (0 for a parameter that does not enter); None for any other matrix."""


@runtime_checkable
class StackedCouplings(Protocol):
    """The couplings of a model as one :class:`StackedMatrix` per reservoir (e.g.
    :class:`strongtherm.models.AffineCouplings`). Its ``derivative`` method must be the model's
    couplings derivative; hashable, as :class:`StackedMatrix`."""

    def __hash__(self) -> int: ...

    @property
    def parts(self) -> tuple[StackedMatrix, ...]:
        """V_r's function, one per reservoir."""

    def derivative(self, params: Mapping[str, float], name: str) -> tuple[np.ndarray, ...]:
        """d V_r / d ``name`` at one point, one matrix per reservoir."""


def _stacked_parts(model: OpenSystem) -> tuple[StackedMatrix, StackedCouplings] | None:
    """h_S and the couplings of ``model`` where both evaluate themselves on a stack of points with
    the model's own derivatives (:class:`StackedMatrix`, :class:`StackedCouplings`); else None.
    Kept in the model's memo: a runtime protocol check costs ~10 us, a batch's share of it per
    point would be a measurable part of the ~8 us a state costs."""
    memo = model.memo
    parts = memo.get("evaluated.stacked_parts", False)
    if parts is False:
        parts = memo["evaluated.stacked_parts"] = _find_stacked_parts(model)
    return parts


#: The members of :class:`StackedMatrix` and :class:`StackedCouplings` (a test keeps them equal to
#: the protocols'): checked with hasattr, which is what a runtime protocol's isinstance does, in
#: ~2 us instead of ~40 us a model (150-200 us in a fresh process; Python 3.11 collects a
#: protocol's members again on every isinstance).
STACKED_MATRIX_MEMBERS = ("__hash__", "real", "exactly_hermitian", "derivative", "stacked", "stacked_derivative",
                          "level_form")  # fmt: skip
STACKED_COUPLINGS_MEMBERS = ("__hash__", "parts", "derivative")


def _has_members(obj: object, members: tuple[str, ...]) -> bool:
    """Every member present and not None (an unhashable object's ``__hash__`` is None), as the
    runtime check of a protocol tests them."""
    return all(getattr(obj, name, None) is not None for name in members)


def _find_stacked_parts(model: OpenSystem) -> tuple[StackedMatrix, StackedCouplings] | None:
    h_fn, V_fn = model.system_hamiltonian, model.couplings
    if not (_has_members(h_fn, STACKED_MATRIX_MEMBERS) and _has_members(V_fn, STACKED_COUPLINGS_MEMBERS)):
        return None
    # the derivatives the model is solved with must be the stacked functions' own
    if getattr(model.system_hamiltonian_derivative, "__self__", None) is not h_fn:
        return None
    if getattr(model.couplings_derivative, "__self__", None) is not V_fn:
        return None
    if not all(_has_members(part, STACKED_MATRIX_MEMBERS) for part in V_fn.parts):
        return None
    return h_fn, V_fn  # checked member by member above


def model_point(model: OpenSystem, params: Mapping[str, float]) -> ModelPoint:
    """:meth:`.OpenSystem.at` at resolved ``params``, the same arrays, for a single state.

    A model whose h_S and couplings evaluate themselves (:class:`StackedMatrix`) with an exactly
    Hermitian h_S cannot fail the Hermiticity test at a real point, and its shapes are fixed: of
    ``at``'s checks only finiteness is left (an overflowing slope x parameter), so its matrices are
    called directly (~20 us instead of ~40 us, of a one-level steady state's ~200 us). Anything else,
    or a non-finite or misshapen matrix, takes ``at``, which converts, checks and raises.
    """
    parts = _stacked_parts(model)  # the model's own h_S and couplings callables, if they stack
    if parts is not None and parts[0].exactly_hermitian:
        try:
            h = np.asarray(model.system_hamiltonian(params), dtype=np.complex128)
            V = tuple(np.asarray(v, dtype=np.complex128) for v in model.couplings(params))
        except (TypeError, ValueError, IndexError):
            return model.at(params)
        if _checked_shapes(model) == (h.shape, *(v.shape for v in V)) and _all_finite((h, *V)):
            # check_hermitian's symmetrization: h itself, kept so that the arrays are at()'s bit for bit
            return ModelPoint(model, params, 0.5 * (h + h.conj().T), V)
    return model.at(params)


def _all_finite(arrays: tuple[np.ndarray, ...]) -> bool:
    """Every entry finite. A one-level model's matrices are 1 x 1: their few entries are tested in
    Python (cmath), ~3x cheaper than two NumPy calls per array; larger ones by NumPy."""
    if sum(a.size for a in arrays) <= 16:
        return all(cmath.isfinite(x) for a in arrays for x in a.ravel().tolist())
    return all(bool(np.isfinite(a).all()) for a in arrays)


def _checked_shapes(model: OpenSystem) -> tuple[tuple[int, ...], ...]:
    """The shapes :meth:`.OpenSystem.at` requires: h_S (n, n), then V_r (n_surface_r, n); in the memo."""
    shapes: tuple[tuple[int, ...], ...] | None = model.memo.get("evaluated.shapes")
    if shapes is None:
        n = model.n_levels
        shapes = model.memo["evaluated.shapes"] = ((n, n), *((res.n_surface, n) for res in model.reservoirs))
    return shapes


@dataclass(frozen=True)
class ModelStack:
    """Model matrices of P points, stacked: h (P, n, n), V_r (P, m_r, n), and their derivatives
    by each parameter (``dh[name]`` (P, n, n), ``dV[name][r]`` (P, m_r, n))."""

    h: np.ndarray
    V: tuple[np.ndarray, ...]
    dh: Mapping[str, np.ndarray]
    dV: Mapping[str, tuple[np.ndarray, ...]]

    def take(self, idx: np.ndarray) -> ModelStack:
        """The points ``idx`` only."""
        return ModelStack(
            self.h[idx], tuple(v[idx] for v in self.V), {k: d[idx] for k, d in self.dh.items()},
            {k: tuple(d[idx] for d in ds) for k, ds in self.dV.items()},
        )  # fmt: skip


def _checked_stack(model: OpenSystem, points: Sequence[Mapping[str, float]], names: Sequence[str]) -> ModelStack:
    """The model evaluated once per point (:meth:`OpenSystem.at`: validated matrices and exact or
    finite-difference derivatives), stacked over the points."""
    records = [model.at(p) for p in points]
    R = len(model.reservoirs)
    h = np.array([r.h_S for r in records])
    V = tuple(np.array([r.V[k] for r in records]) for k in range(R))
    dh = {name: np.array([r.dh_S[name] for r in records]) for name in names}
    dV = {name: tuple(np.array([r.dV[name][k] for r in records]) for k in range(R)) for name in names}
    return ModelStack(h, V, dh, dV)


def _self_stacked_matrices(parts: tuple[StackedMatrix, StackedCouplings], points: Sequence[Mapping[str, float]],
                           names: Sequence[str]) -> tuple:  # fmt: skip
    """h, V, dh, dV of a model that evaluates itself on a stack (:class:`StackedMatrix`): one call
    per matrix instead of one per point."""
    h_fn, V_fn = parts
    P = len(points)
    h = h_fn.stacked(points)
    V = tuple(part.stacked(points) for part in V_fn.parts)
    dh = {k: h_fn.stacked_derivative(P, k) for k in names}
    dV = {k: tuple(part.stacked_derivative(P, k) for part in V_fn.parts) for k in names}
    real = bool(h_fn.real and all(part.real for part in V_fn.parts))
    return h, V, dh, dV, bool(h_fn.exactly_hermitian), real


def _called_matrices(model: OpenSystem, points: Sequence[Mapping[str, float]], names: Sequence[str]) -> tuple:
    """h, V, dh, dV from the model's callables, point by point, stacked."""
    R = len(model.reservoirs)
    assert model.system_hamiltonian_derivative is not None and model.couplings_derivative is not None
    h = np.array([model.system_hamiltonian(p) for p in points], dtype=complex)
    couplings = [tuple(model.couplings(p)) for p in points]
    if any(len(c) != R for c in couplings):
        raise ValueError("couplings returned the wrong number of matrices")
    V = tuple(np.array([c[r] for c in couplings], dtype=complex) for r in range(R))
    dh = {k: np.array([model.system_hamiltonian_derivative(p, k) for p in points], dtype=complex) for k in names}
    dV_all = {k: [tuple(model.couplings_derivative(p, k)) for p in points] for k in names}
    dV = {k: tuple(np.array([c[r] for c in dV_all[k]], dtype=complex) for r in range(R)) for k in names}
    return h, V, dh, dV, False, None


def _real_points(stack: ModelStack) -> np.ndarray:
    """Per point, True where h_S and every coupling are real."""
    return ~total(np.any(M.imag != 0.0, axis=(-2, -1)) for M in (stack.h, *stack.V))


def _stacked_model(model: OpenSystem, points: Sequence[Mapping[str, float]], names: Sequence[str]) -> tuple[ModelStack, np.ndarray]:
    """The model matrices of all points, validated once on the stack (shapes, finite entries,
    Hermitian h_S within check_hermitian's tolerance), and which points are real (see
    :class:`EvaluatedModel`); anything unusual takes :func:`_checked_stack`."""
    n = model.n_levels

    def per_point() -> tuple[ModelStack, np.ndarray]:
        stack = _checked_stack(model, points, names)
        return stack, _real_points(stack)

    if model.system_hamiltonian_derivative is None or model.couplings_derivative is None:
        return per_point()
    try:
        parts = _stacked_parts(model)
        self_stacked = parts is not None
        h, V, dh, dV, hermitian, real = (_self_stacked_matrices(parts, points, names) if parts is not None
                                         else _called_matrices(model, points, names))  # fmt: skip
    except (TypeError, ValueError, IndexError):
        return per_point()
    P = len(points)
    shapes_ok = h.shape == (P, n, n) and all(
        v.shape == (P, res.n_surface, n) for v, res in zip(V, model.reservoirs, strict=True)
    )
    shapes_ok = shapes_ok and all(dh[k].shape == h.shape for k in names)
    shapes_ok = shapes_ok and all(d.shape == v.shape for k in names for d, v in zip(dV[k], V, strict=True))
    if not shapes_ok:
        return per_point()
    # finite: for a self-stacked (affine) model, a non-finite slope makes h non-finite too (0 x inf = nan)
    derivatives = () if self_stacked else [*dh.values(), *(d for k in names for d in dV[k])]
    if not all(np.isfinite(a).all() for a in (h, *V, *derivatives)):
        return per_point()
    if not hermitian:
        h_dagger = np.conj(np.swapaxes(h, -1, -2))
        scale = np.maximum(1.0, np.abs(h).max(axis=(-2, -1)))
        if np.any(np.abs(h - h_dagger).max(axis=(-2, -1)) > 1e-12 * scale):
            return per_point()
        h = 0.5 * (h + h_dagger)
    stack = ModelStack(h, V, dh, dV)
    return stack, (np.ones(P, dtype=bool) if real else _real_points(stack))


@dataclass(frozen=True)
class OneLevel:
    """One level with one surface orbital per reservoir at P points: every model matrix is a
    number. ``eps`` (P,) level energies; ``V`` (R, P) couplings; ``dh`` (K, P) and ``dV`` (K, R, P)
    their derivatives by each of the K parameters (last axis 1 where they are the same at every
    point, as in an affine model)."""

    eps: np.ndarray
    V: np.ndarray
    dh: np.ndarray
    dV: np.ndarray

    @classmethod
    def from_stack(cls, stack: ModelStack, names: Sequence[str]) -> OneLevel:
        # the point count named, not inferred (-1): a model without parameters has K = 0
        P = stack.h.shape[0]
        return cls(
            stack.h[:, 0, 0].real,
            np.array([v[:, 0, 0] for v in stack.V]),
            np.array([stack.dh[k][:, 0, 0].real for k in names]).reshape(len(names), P),
            np.array([[d[:, 0, 0] for d in stack.dV[k]] for k in names]).reshape(len(names), len(stack.V), P),
        )

    def point(self) -> OnePoint:
        """The numbers of a single point (P = 1)."""
        return OnePoint.of(float(self.eps[0]), self.V[:, 0].tolist(), self.dh[:, 0].tolist(), self.dV[..., 0].tolist())

    def take(self, idx: np.ndarray) -> OneLevel:
        def pick(a: np.ndarray) -> np.ndarray:
            return a if a.shape[-1] == 1 else a[..., idx]

        return OneLevel(self.eps[idx], self.V[:, idx], pick(self.dh), pick(self.dV))

    def stack(self, names: Sequence[str]) -> ModelStack:
        """The same as (P, 1, 1) matrices (:class:`ModelStack`)."""
        P = self.eps.size

        def matrices(a: np.ndarray) -> np.ndarray:
            return np.broadcast_to(a.astype(complex)[:, None, None], (P, 1, 1))

        return ModelStack(
            matrices(self.eps),
            tuple(matrices(v) for v in self.V),
            {k: matrices(d) for k, d in zip(names, self.dh, strict=True)},
            {k: tuple(matrices(d) for d in ds) for k, ds in zip(names, self.dV, strict=True)},
        )


class OnePoint(NamedTuple):
    """:class:`OneLevel` of a single point in Python numbers: eps, V_r, dh/dk, dV_r/dk (lists over
    r and k), and from them s_r = abs(V_r)^2 and slope[k][r] = 2 Re(V_r^* dV_r/dk) (dSigma/dk =
    sum_r slope[k][r] g_r), so that a single state pays ~50 ns an operation where an array costs
    ~1 us (a named tuple: a frozen dataclass's field-by-field set-up costs more than its use)."""

    eps: float
    V: list[complex]
    dh: list[float]
    dV: list[list[complex]]
    s: list[float]
    slope: list[list[float]]

    @classmethod
    def of(cls, eps: float, V: list[complex], dh: list[float], dV: list[list[complex]]) -> OnePoint:
        s = [v.real * v.real + v.imag * v.imag for v in V]
        slope = [[2.0 * (v.real * d.real + v.imag * d.imag) for v, d in zip(V, row)] for row in dV]  # noqa: B905
        return cls(eps, V, dh, dV, s, slope)


@dataclass(frozen=True, eq=False)
class AffineLevel:
    """A one-level model affine in its parameters, one surface orbital per reservoir:
    eps = eps0 + lambda . eps_slopes and V_r = V0_r + lambda . V_slopes[:, r] (all numbers)."""

    eps0: float
    eps_slopes: np.ndarray  # (K,)
    V0: np.ndarray  # (R,)
    V_slopes: np.ndarray  # (K, R)
    real: bool

    @cached_property
    def _lists(self) -> tuple[list[float], list[complex], list[list[complex]]]:
        return self.eps_slopes.tolist(), self.V0.tolist(), self.V_slopes.tolist()

    def point(self, params: Mapping[str, float], names: Sequence[str]) -> OnePoint:
        """One point as Python numbers."""
        eps_slopes, V0, V_slopes = self._lists
        lam = [params[k] for k in names]
        eps, V = self.eps0, list(V0)
        for x, d_eps, d_V in zip(lam, eps_slopes, V_slopes):  # noqa: B905
            eps += x * d_eps
            V = [v + x * d for v, d in zip(V, d_V)]  # noqa: B905
        return OnePoint.of(eps, V, eps_slopes, V_slopes)

    def at(self, points: Sequence[Mapping[str, float]], names: Sequence[str]) -> OneLevel:
        # one list per parameter (not one per point): a quarter of the conversion's time
        lam = np.array([[p[k] for p in points] for k in names], dtype=float).reshape(len(names), len(points)).T
        return OneLevel(self.eps0 + lam @ self.eps_slopes, (self.V0 + lam @ self.V_slopes).T,
                         self.eps_slopes[:, None], self.V_slopes[:, :, None])  # fmt: skip


def affine_level(model: OpenSystem) -> AffineLevel | None:
    """:class:`AffineLevel` of a one-level model whose h_S and couplings evaluate themselves
    (:class:`StackedMatrix`) as 1 x 1 matrices affine in the parameters, with a real level (as
    exact Hermiticity makes it); None for any other model."""
    parts = _stacked_parts(model) if model.n_levels == 1 else None
    return None if parts is None else _level_of(*parts, model.parameter_names)


@lru_cache(maxsize=64)
def _level_of(h_fn: StackedMatrix, V_fn: StackedCouplings, names: tuple[str, ...]) -> AffineLevel | None:
    """:func:`affine_level` of h_S and couplings (cached by the functions: a batch asks once per call)."""
    level = h_fn.level_form(names) if h_fn.exactly_hermitian else None
    couplings = [part.level_form(names) for part in V_fn.parts]
    if level is None or any(c is None for c in couplings):
        return None
    eps_slopes = np.array([slope.real for slope in level[1]])
    V_slopes = np.array([c[1] for c in couplings if c is not None], dtype=complex).T.reshape(len(names), len(couplings))
    V0 = np.array([c[0] for c in couplings if c is not None], dtype=complex)
    real = all(part.real for part in V_fn.parts)
    out = AffineLevel(float(level[0].real), eps_slopes, V0, V_slopes, real)
    for a in (out.eps_slopes, out.V0, out.V_slopes):
        a.setflags(write=False)
    return out


@dataclass(frozen=True)
class EvaluatedModel:
    """A model evaluated once at P points (:func:`evaluate`), for both roads and the choice of road.

    ``model`` and ``points``: what was evaluated (the model's reservoirs and parameter names go
    with the arrays); ``radii``: per point, a rigorous bound of max abs(e - mu) over the universe's spectrum (None
    for a continuum reaching infinity); ``real``: per point, True where h_S and every coupling are
    real (G_S is then complex symmetric and every spectral matrix real); ``one_level``: the
    numbers of a one-level model with one surface orbital per reservoir (else None);
    ``matrices``: the stacked matrices, built from ``one_level`` on first use of :attr:`stack`
    where the model was evaluated as numbers only.
    """

    model: OpenSystem
    points: Sequence[Mapping[str, float]]
    radii: np.ndarray | None
    real: np.ndarray
    one_level: OneLevel | OnePoint | None = None
    matrices: ModelStack | None = None

    @property
    def n_points(self) -> int:
        return int(self.real.size)

    @property
    def stack(self) -> ModelStack:
        """The model's matrices, stacked over the points."""
        if self.matrices is None:
            assert isinstance(self.one_level, OneLevel)  # a single point's numbers have no batch use
            object.__setattr__(self, "matrices", self.one_level.stack(self.model.parameter_names))
        return self.matrices  # type: ignore[return-value]

    def h_and_V(self) -> tuple[np.ndarray, tuple[np.ndarray, ...]]:
        """h_S (P, n, n) and the couplings (P, m_r, n), without the derivatives of :attr:`stack`."""
        if self.matrices is None and isinstance(self.one_level, OneLevel):
            return self.one_level.eps[:, None, None], tuple(v[:, None, None] for v in self.one_level.V)
        return self.stack.h, self.stack.V

    def take(self, idx: np.ndarray) -> EvaluatedModel:
        """The points ``idx`` only."""
        matrices = None if self.matrices is None else self.matrices.take(idx)
        assert not isinstance(self.one_level, OnePoint)
        one_level = None if self.one_level is None else self.one_level.take(idx)
        radii = None if self.radii is None else self.radii[idx]
        points = [self.points[i] for i in idx.tolist()]
        return EvaluatedModel(self.model, points, radii, self.real[idx], one_level, matrices)

    def point(self, index: int) -> ModelPoint:
        """The :class:`.ModelPoint` of point ``index`` (its matrices, no second call of the model)."""
        h, V = self.h_and_V()
        return ModelPoint(self.model, dict(self.points[index]), np.asarray(h[index], dtype=complex),
                          tuple(np.asarray(v[index], dtype=complex) for v in V))  # fmt: skip


def evaluate(model: OpenSystem, points: Sequence[Mapping[str, float]], mu: float) -> EvaluatedModel:
    """The model evaluated once at resolved ``points`` (the one evaluation both roads take).

    Parameters
    ----------
    model : OpenSystem
    points : sequence of mappings
        Resolved parameter sets (:meth:`.OpenSystem.resolve`), P of them.
    mu : float
        Chemical potential, in units of energy: the spectral radii are distances from it.

    Returns
    -------
    EvaluatedModel
        A one-level affine model as numbers (one product per parameter set, :class:`OneLevel`;
        the matrices are built from them on first use), any other model as stacked matrices
        (:class:`ModelStack`): one call per matrix for a model that stacks itself
        (:class:`StackedMatrix`), else one per point and matrix, validated.

    Raises
    ------
    ValueError
        A bad matrix of the model (shape, Hermiticity, finiteness), named by the per-point road.
    """
    names = model.parameter_names
    reduced = affine_level(model)
    if reduced is not None:
        one_level = reduced.at(points, names)
        radii = _one_level_radii(model, one_level, mu)
        # a non-finite value (an overflowing slope x parameter) takes the checked road below
        if radii is not None and np.isfinite(radii).all():
            real = np.ones(len(points), dtype=bool) if reduced.real else ~np.any(one_level.V.imag != 0.0, axis=0)
            return EvaluatedModel(model, points, radii, real, one_level)
    stack, real = _stacked_model(model, points, names)
    if model.n_levels == 1 and all(v.shape[-2] == 1 for v in stack.V):
        one_level = OneLevel.from_stack(stack, names)
        return EvaluatedModel(model, points, _one_level_radii(model, one_level, mu), real, one_level, stack)
    return EvaluatedModel(model, points, _spectral_radii(model, stack.h, stack.V, mu), real, None, stack)


@lru_cache(maxsize=64)
def continuum_frame(continuum: tuple[tuple[float, float], ...]) -> tuple[float, float] | None:
    """(c, r): the centre of the continua and the largest distance of a band edge from it; None
    for a continuum reaching infinity."""
    edges = [e for interval in continuum for e in interval]
    if not all(math.isfinite(e) for e in edges):
        return None
    c = 0.5 * (min(edges) + max(edges))
    return c, max(abs(e - c) for e in edges)


def _spectral_radii(model: OpenSystem, h: np.ndarray, V: Sequence[np.ndarray], mu: float) -> np.ndarray | None:
    """Per point, a rigorous bound of max |e - mu| over the universe's spectrum: with c the centre
    of the continua, ||h - c|| <= max(||h_S - c||, max |band edge - c|) + ||V||, V the whole
    coupling block (||V||^2 = ||sum_r V_r^dag V_r||). None for a continuum reaching infinity."""
    frame = continuum_frame(model.continuum)
    if frame is None:
        return None
    c, reservoir_radius = frame
    n = h.shape[-1]
    system_radius = np.abs(np.linalg.eigvalsh(h - c * np.eye(n))).max(axis=-1)
    coupling = total(np.conj(np.swapaxes(v, -1, -2)) @ v for v in V)
    coupling_norm = np.sqrt(np.abs(np.linalg.eigvalsh(coupling)).max(axis=-1))
    return abs(c - mu) + np.maximum(system_radius, reservoir_radius) + coupling_norm


def _one_level_radii(model: OpenSystem, one_level: OneLevel, mu: float) -> np.ndarray | None:
    """:func:`_spectral_radii` of a one-level model (:func:`_one_level_radius` per point)."""
    frame = continuum_frame(model.continuum)
    V = one_level.V
    return None if frame is None else _one_level_radius(frame, mu, one_level.eps, (V.real**2 + V.imag**2).sum(axis=0))


def _one_level_radius(frame: tuple[float, float], mu: float, eps: Any, total_strength: Any) -> Any:
    """:func:`_spectral_radii` of one level: ||h_S - c|| = abs(eps - c), ||V||^2 = sum_r abs(V_r)^2
    = ``total_strength``; numbers or (P,) arrays. ``frame``: :func:`continuum_frame`."""
    c, reservoir_radius = frame
    return abs(c - mu) + np.maximum(abs(eps - c), reservoir_radius) + np.sqrt(total_strength)

def total(terms: Any) -> Any:
    """The sum of a non-empty iterable of arrays, without the extra copy of ``sum``'s start at 0."""
    return reduce(operator.add, terms)
