"""Spectral quantities of an open system: G_S(z), g_S(e), delta g_R(e), bound states.

Kumar, Webb & Stafford (2024) and DESIGN.md ("Paper 000"):

* G_S(z) = [z - h_S - Sigma(z)]^-1
* g_S(e) = -(1/pi) Im Tr G_S(e + i0)                       (system LDOS, Hilbert-space partition)
* delta g_R(e) = (1/pi) Im Tr[G_S(e + i0) dSigma/de]        (change of the reservoir's LDOS)

Outside the continuum Sigma is Hermitian and G_S can have real poles: bound states, delta peaks
in g_S and delta g_R that no real-axis grid sees. They are found here by root finding on the
real axis in every gap of the continuum. With D(e) = e - h_S - Sigma(e) Hermitian and
dD/de = 1 - Sigma'(e) >= 1 there, every eigenvalue branch of D increases strictly, so each gap
holds exactly (#negative eigenvalues of D at its bottom) - (#negative at its top) bound states.
For a null space U of D(e_b) the residue matrix of G_S is R = U [U^dag (1 - Sigma') U]^-1 U^dag:
system weight Tr R, reservoir weight -Tr[R Sigma'] (1 - Tr R per state). States of h_S that do
not couple at all (V_r u = 0 for every r) are bound states wherever they lie, inside a
continuum too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.optimize import brentq

from .evaluated import EvaluatedModel
from .greens import greens_denominator
from .system import ModelPoint, OpenSystem

__all__ = [
    "BoundState",
    "bound_state_counts",
    "bound_states",
    "greens_function",
    "spectral_densities",
]


@dataclass(frozen=True)
class BoundState:
    """A real pole of G_S: energy, residue matrix R (n, n), and its weights.

    ``system_weight`` = Tr R is the bound state's share in the system (Hilbert-space partition),
    ``reservoir_weight`` = -Tr[R Sigma'(e_b)] its share in delta g_R; they add up to the
    multiplicity (1 unless degenerate). ``decoupled`` marks eigenstates of h_S with no coupling.
    """

    energy: float
    system_weight: float
    reservoir_weight: float
    residue: np.ndarray
    multiplicity: int = 1
    decoupled: bool = False

    def __repr__(self) -> str:
        return (
            f"BoundState(energy={self.energy:.10g}, system_weight={self.system_weight:.6g}, "
            f"reservoir_weight={self.reservoir_weight:.6g}, multiplicity={self.multiplicity})"
        )


def _point(model: OpenSystem | ModelPoint, params: Mapping[str, float] | None) -> ModelPoint:
    """The model evaluated at ``params`` (validated once), or the given point as it is."""
    if isinstance(model, ModelPoint):
        return model
    if not isinstance(model, OpenSystem):
        raise TypeError(f"model must be an OpenSystem or a ModelPoint, got {type(model).__name__}")
    return model.at(params)


def greens_function(
    model: OpenSystem | ModelPoint, z: np.ndarray, params: Mapping[str, float] | None = None
) -> np.ndarray:
    """G_S(z) = [z - h_S - Sigma(z)]^-1 for any array of complex z, shape z.shape + (n, n).

    ``model`` is an :class:`OpenSystem` with its ``params``, or a :class:`ModelPoint`.
    """
    return _point(model, params).greens_function(z)


def spectral_densities(
    model: OpenSystem | ModelPoint, energies: np.ndarray, params: Mapping[str, float] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Continuum parts of g_S(e) and delta g_R(e) on the real axis (e + i0), shape energies.shape.

    Bound states are delta peaks and are not in these arrays: see :func:`bound_states`. An
    energy exactly on a band edge is taken just outside the band (the one-sided limit there is
    finite; from inside, delta g_R has an integrable 1/sqrt divergence).
    """
    point = _point(model, params)
    e = np.array(energies, dtype=float)
    # exactly on a band edge dSigma/de is infinite (integrable 1/sqrt edge): evaluate there just
    # outside the band, where the continuum densities are finite (their one-sided limit)
    for lo, hi in point.continuum:
        for edge, outward in ((lo, -1.0), (hi, 1.0)):
            if np.isfinite(edge):
                at_edge = np.abs(e - edge) <= 4 * np.finfo(float).eps * max(1.0, abs(edge))
                e[at_edge] = edge + outward * 1e-12 * max(1.0, abs(edge))
    G = point.greens_function(e)
    dSigma = point.self_energy_derivative(e)
    g_S = -np.imag(np.trace(G, axis1=-2, axis2=-1)) / np.pi
    dg_R = np.imag(np.trace(G @ dSigma, axis1=-2, axis2=-1)) / np.pi
    return g_S, dg_R


def _gaps(model: OpenSystem | ModelPoint) -> list[tuple[float, float]]:
    """Real intervals outside the continuum: below, between and above the bands."""
    edges = model.continuum
    gaps = [(-np.inf, edges[0][0])]
    gaps += [(hi, lo) for (_, hi), (lo, _) in zip(edges[:-1], edges[1:], strict=True)]
    gaps.append((edges[-1][1], np.inf))
    return [(lo, hi) for lo, hi in gaps if lo < hi]


def _D(point: ModelPoint, e: float) -> np.ndarray:
    D = greens_denominator(e, point.h_S, point.self_energy(np.array(e)))
    return 0.5 * (D + D.conj().T)  # Hermitian outside the continuum up to rounding


def _eigenvalues_of_D(point: ModelPoint, e: float) -> np.ndarray:
    """Ascending eigenvalues of D(e) = e - h_S - Sigma(e) outside the continuum."""
    if point.n_levels == 1:  # the root search's hot path: no eigensolver for a number
        return np.array([float(np.real(_D(point, e)[0, 0]))])
    return np.linalg.eigvalsh(_D(point, e))


def _count_negative(point: ModelPoint, e: float) -> int:
    return int(np.sum(_eigenvalues_of_D(point, e) < 0.0))


def _residue(point: ModelPoint, energy: float, multiplicity: int) -> tuple[np.ndarray, float, float]:
    D = _D(point, energy)
    _, vecs = np.linalg.eigh(D)
    # the `multiplicity` eigenvalues of D closest to zero span its null space at the root
    order = np.argsort(np.abs(np.linalg.eigvalsh(D)))
    U = vecs[:, order[:multiplicity]]
    dSigma = point.self_energy_derivative(np.array(energy))
    M = U.conj().T @ (np.eye(point.n_levels) - dSigma) @ U
    R = U @ np.linalg.solve(M, U.conj().T)
    R = 0.5 * (R + R.conj().T)
    return R, float(np.real(np.trace(R))), float(-np.real(np.trace(R @ dSigma)))


def bound_states(
    model: OpenSystem | ModelPoint, params: Mapping[str, float] | None = None, *, xtol: float = 1e-14
) -> tuple[BoundState, ...]:
    """All bound states of G_S: roots of det[e - h_S - Sigma(e)] outside the continuum,
    plus eigenstates of h_S that couple to no reservoir (inside a continuum too).

    Parameters
    ----------
    model : OpenSystem or ModelPoint
        The model (with ``params``), or the model already evaluated at a point.
    params : mapping, optional
        Model parameters (resolved and validated here); not needed for a ModelPoint.
    xtol : float
        Absolute tolerance of the root energies (a relative tolerance of 4 eps applies as well).
    """
    point = _point(model, params)
    h = point.h_S
    scale = 1.0 + float(np.max(np.abs(h))) + sum(float(np.max(np.abs(V))) ** 2 for V in point.V)
    n = point.n_levels
    found: list[BoundState] = []
    for lo, hi in _gaps(point):
        # evaluate just inside the gap (Sigma' diverges at band edges, Sigma itself may too), by
        # a step relative to the edge itself: a global scale (V = 1e6 gives 1e12) would step
        # over bound states near the edge
        a = lo + 1e-12 * max(1.0, abs(lo)) if np.isfinite(lo) else None
        b = hi - 1e-12 * max(1.0, abs(hi)) if np.isfinite(hi) else None
        if a is None:
            a = _search_outward(point, (b if b is not None else 0.0), -scale, n)
        if b is None:
            b = _search_outward(point, a, scale, 0)
        n_a, n_b = _count_negative(point, a), _count_negative(point, b)
        for branch in range(n_b, n_a):
            # eigenvalues rise with e: branch `branch` (ascending order) goes from < 0 to >= 0
            def eig(e: float, k: int = branch) -> float:
                return float(_eigenvalues_of_D(point, e)[k])

            ea, eb = eig(a), eig(b)
            if ea > 0.0 or eb < 0.0:  # rounding at a threshold: the root sits on the edge
                continue
            # xtol absolute, rtol relative: a root at 1e8 and one at 3.1 are both found to rounding
            root = brentq(eig, a, b, xtol=xtol, rtol=4 * np.finfo(float).eps, maxiter=500)
            R, w_S, w_R = _residue(point, root, 1)
            found.append(BoundState(root, w_S, w_R, R))
    found.extend(_decoupled_states(point))
    return tuple(sorted(found, key=lambda b: b.energy))


def _search_outward(point: ModelPoint, start: float, step: float, target: int) -> float:
    """First e = start + step 2^k with ``target`` negative eigenvalues of D(e) (all of them far
    below the spectrum, none far above). Bounded: D(e) ~ e - h_S for |e| large, since Sigma ~ 1/e;
    a reservoir whose self-energy does not decay never gets there."""
    for k in range(200):
        e = start + step * 2.0**k
        if _count_negative(point, e) == target:
            return e
    raise ValueError(
        f"bound-state search: e - h_S - Sigma(e) keeps {'positive' if target else 'negative'} eigenvalues "
        f"out to e = {e:.3g}; a reservoir's surface Green's function must decay as 1/z"
    )


def _decoupled_states(point: ModelPoint) -> list[BoundState]:
    """Eigenstates of h_S inside a continuum with V_r u = 0 for all r (bound states in the continuum)."""
    h = point.h_S
    V_all = np.vstack(point.V)
    levels, vecs = np.linalg.eigh(h)
    states: list[BoundState] = []
    tol = 1e-10 * (1.0 + float(np.max(np.abs(h))))
    inside = [any(lo < e < hi for lo, hi in point.continuum) for e in levels]
    done = np.zeros(len(levels), dtype=bool)
    for k, e in enumerate(levels):
        if done[k] or not inside[k]:
            continue
        same = np.abs(levels - e) < tol
        done |= same
        E = vecs[:, same]  # eigenspace of h_S at e
        # null space of V restricted to E: decoupled combinations
        _, sv, wh = np.linalg.svd(V_all @ E)
        rank = int(np.sum(sv > tol))
        null = E @ wh[rank:].conj().T
        if null.shape[1]:
            R = null @ null.conj().T
            states.append(BoundState(float(e), float(null.shape[1]), 0.0, R, null.shape[1], True))
    return states


def bound_state_counts(evaluated: EvaluatedModel) -> np.ndarray:
    """Number of bound states per point, as :func:`.spectral.bound_states` would find them, without
    root finding: D(e) = e - h_S - Sigma(e) has eigenvalues rising with e outside the continuum,
    so each gap holds (#negative at its bottom) - (#negative at its top) of them (one stacked
    eigvalsh per gap edge). Decoupled levels inside a continuum are counted exactly by
    :func:`_decoupled_states` for the points that may have one.

    Parameters
    ----------
    evaluated : EvaluatedModel
        The model at P points (:func:`.evaluated.evaluate`).

    Returns
    -------
    ndarray of int, (P,)
    """
    model = evaluated.model
    h, V = evaluated.h_and_V()
    P, n = h.shape[0], h.shape[-1]
    scalar = n == 1  # one level: numbers, no eigensolver
    scale = 1.0 + np.abs(h).max(axis=(-2, -1)) + sum(np.abs(v).max(axis=(-2, -1)) ** 2 for v in V)
    gaps = _gaps(model)
    edges = [lo + 1e-12 * scale for lo, _ in gaps if np.isfinite(lo)] + [hi - 1e-12 * scale for _, hi in gaps if np.isfinite(hi)]
    e = np.stack(edges, axis=1) if edges else np.zeros((P, 0))  # (P, E) energies, one reservoir call
    Sigma: Any = 0.0
    for res, v in zip(model.reservoirs, V, strict=True):
        g = res.surface_greens_function(e)
        if scalar and g.shape[-1] == 1:
            Sigma = Sigma + (np.abs(v[:, 0, 0]) ** 2)[:, None] * g[..., 0, 0]
        else:
            Sigma_r = np.conj(np.swapaxes(v, -1, -2))[:, None] @ g @ v[:, None]
            Sigma = Sigma + (Sigma_r[..., 0, 0] if scalar else Sigma_r)
    D = greens_denominator(e, h[:, None, 0, 0] if scalar else h[:, None], Sigma, scalar=scalar)
    if scalar:
        negative = (D.real < 0.0).astype(int)
    else:
        negative = (np.linalg.eigvalsh(0.5 * (D + np.conj(np.swapaxes(D, -1, -2)))) < 0.0).sum(axis=-1)
    counts = np.zeros(P, dtype=int)
    k_lo, k_hi = 0, sum(1 for lo, _ in gaps if np.isfinite(lo))
    for lo, hi in gaps:
        if np.isfinite(lo):
            counts += negative[:, k_lo]
            k_lo += 1
        else:
            counts += n
        if np.isfinite(hi):
            counts -= negative[:, k_hi]
            k_hi += 1
    # decoupled levels: eigenstates of h_S inside a continuum with V u = 0 (degenerate ones too)
    if scalar:
        levels = h[:, :, 0].real
        coupling = np.sqrt(sum((np.abs(v) ** 2).sum(axis=-2) for v in V))  # |V u| with u = 1
    else:
        levels, vectors = np.linalg.eigh(h)
        coupling = np.linalg.norm(np.concatenate(list(V), axis=-2) @ vectors, axis=-2)  # |V u_k|
    inside = np.zeros(levels.shape, dtype=bool)
    for lo, hi in model.continuum:
        inside |= (levels > lo) & (levels < hi)
    tol = 1e-8 * (1.0 + np.abs(levels).max(axis=-1, keepdims=True))
    weak = coupling < tol
    if n > 1:  # degenerate levels (one level has none)
        spacing = np.diff(levels, axis=-1)
        weak[..., 1:] |= spacing < tol
        weak[..., :-1] |= spacing < tol
    suspect = np.any(inside & weak, axis=-1)
    for p in np.flatnonzero(suspect):
        counts[p] += len(_decoupled_states(evaluated.point(int(p))))
    return counts


#: The default road is the pole sum while its Fermi expansion stays short: beta x spectral radius
#: <= this (~270 poles; the expansion's set-up grows fast beyond: 5 s at 1e5, minutes at 3e5) and
