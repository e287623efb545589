"""The Fermi window of reservoirs at different (T, mu): where currents flow, and the quadrature
that integrates over it (:mod:`strongtherm.negf.transport`, :mod:`strongtherm.negf.probe`).

Every steady-state integral is int de K(e) with K non-zero only where two Fermi functions differ
(the window, :func:`fermi_window`) and inside a continuum (Gamma = 0 outside). Its panels are sized
by analyticity (:func:`break_points`): graded meshes around every chemical potential (the Fermi
functions' poles stand pi T off the axis), every resonance of G_S and toward every band edge, so
that one GK15 sweep usually meets the tolerance (:func:`integrate_window`), the adaptive rule of
:mod:`strongtherm.negf.integrate` refining only where it does not.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, cast

import numpy as np

from ..thermal import Bath
from .greens import system_greens_function
from .integrate import QuadratureOptions, gauss_kronrod_panels, sweep_totals
from .reservoirs import Reservoir
from .system import ModelPoint

__all__ = [
    "SWEEP_PANELS",
    "WINDOW_WIDTH",
    "break_points",
    "edge_grading",
    "features",
    "fermi_window",
    "graded_edges",
    "greens_and_self_energies",
    "inner_band_edges",
    "integrate_window",
    "level_widths",
    "one_level_couplings",
    "resonances",
    "self_energies",
    "single_window_edges",
    "surface_value",
    "surface_values",
    "transmissions",
    "window_edges",
    "window_segments",
]

#: The Fermi window reaches this many temperatures beyond the outermost chemical potentials:
#: f(1 - f) < e^-40 ~ 4e-18 there, below the rounding of any current.
WINDOW_WIDTH = 40.0


def self_energies(point: ModelPoint, energies: np.ndarray) -> np.ndarray:
    """Sigma_a(e + i0) = V_a^dag g_a(e + i0) V_a of every reservoir apart, shape (R, E, n, n)."""
    e = np.asarray(energies, dtype=float).astype(complex)
    return np.stack([V.conj().T @ res.surface_greens_function(e) @ V for res, V in zip(point.reservoirs, point.V, strict=True)])


def greens_and_self_energies(point: ModelPoint, energies: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """G_S(e + i0), shape (E, n, n), and the self-energies of :func:`self_energies` from one
    evaluation of each reservoir's surface Green's function."""
    e = np.asarray(energies, dtype=float)
    sigmas = self_energies(point, e)
    return system_greens_function(e.astype(complex), point.h_S, sigmas.sum(axis=0)), sigmas


def surface_values(reservoirs: Sequence[Reservoir], e: np.ndarray) -> np.ndarray:
    """g_r(e)[0, 0] of reservoirs with one surface orbital each at energies ``e`` (E,) (real ones
    meaning e + i0, as every reservoir reads them), shape (R, E). A reservoir given twice (the same
    object: two identical leads, the common two-terminal case) is evaluated once, which halves the
    cost of a one-level integrand."""
    def one(res: Reservoir) -> np.ndarray:
        real_values = getattr(res, "real_surface_values", None)  # a chain's, without the (1, 1) axes
        return real_values(e) if real_values is not None else res.surface_greens_function(e)[:, 0, 0]

    g = np.empty((len(reservoirs), e.size), dtype=complex)
    for r, res in enumerate(reservoirs):
        earlier = next(k for k, other in enumerate(reservoirs) if other is res)
        g[r] = g[earlier] if earlier < r else one(res)
    return g


def surface_value(reservoir: Reservoir, e: float) -> complex:
    """g(e + i0)[0, 0] of a reservoir with one surface orbital at one real energy: from its own
    ``surface_value`` where it has one (:meth:`~strongtherm.negf.TightBindingChain.surface_value`,
    the same number without an array call), else from one array call."""
    scalar = getattr(reservoir, "surface_value", None)
    if scalar is not None:
        return cast("complex", scalar(e))
    return complex(reservoir.surface_greens_function(np.array([e + 0j]))[0, 0, 0])


def level_widths(sigmas: np.ndarray) -> np.ndarray:
    """Gamma_a = i(Sigma_a - Sigma_a^dag) of the self-energies of :func:`self_energies`."""
    return 1j * (sigmas - np.swapaxes(sigmas.conj(), -1, -2))


def transmissions(G: np.ndarray, gammas: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """T_ab(e) = Tr[Gamma_a G Gamma_b G^dag], shape (E, R, R), and the products X_b = G Gamma_b G^dag,
    shape (R, E, n, n), it is formed from (the steady state's correlation matrix reuses them).

    Parameters
    ----------
    G : ndarray, shape (E, n, n)
        G_S(e + i0).
    gammas : ndarray, shape (R, E, n, n)
        Gamma_a(e) of every reservoir (:func:`level_widths`).
    """
    X = G[None] @ gammas @ np.swapaxes(G.conj(), -1, -2)[None]
    return np.einsum("aeij,beji->eab", gammas, X).real, X


def fermi_window(baths: Sequence[Bath], width: float) -> tuple[float, float]:
    """Energies outside which every f_a - f_b is below e^-width."""
    return min(b.mu - width * b.T for b in baths), max(b.mu + width * b.T for b in baths)


def window_segments(point: ModelPoint, window: tuple[float, float]) -> list[tuple[float, float]]:
    """The parts of the window inside the continuum (Gamma = 0 outside: no current there)."""
    lo, hi = window
    return [(max(a, lo), min(b, hi)) for a, b in point.continuum if min(b, hi) > max(a, lo)]


#: Panels grow geometrically away from each feature: edges at x0 +- d 2^k (d its distance to the
#: nearest singularity off the axis). Every panel then sees its nearest singularity at least one
#: half-width beyond its own end, so GK15 converges to ~1e-12 on the first sweep (Bernstein
#: ellipse rho >= 2 + sqrt 5 away from the feature, ~4.4 beside it).
_GRADING = 2.0
#: Toward a band edge (a branch point on the axis) the panels shrink by this factor, down to
#: _EDGE_DEPTH of the segment's width: the 1/sqrt edge then holds an error below 1e-12.
_EDGE_RATIO, _EDGE_DEPTH = 0.25, 1e-11
_EPS = float(np.finfo(float).eps)
#: Up to this many panels, the first sweep is one call of the integrand (memory ~ 15 x panels x
#: components x 16 B, a few MB); more go to the adaptive rule's memory-bounded chunks.
SWEEP_PANELS = 2000


def resonances(point: ModelPoint, centre: float, broad: float) -> np.ndarray:
    """Complex poles of G_S near the axis: eigenvalues of h_S + Sigma(e) at their own real parts
    (up to three fixed-point steps from ``centre``; close enough to grade panels, the adaptive
    rule refines what is off). A one-level resonance wider than ``broad`` (a few pi T: the Fermi
    functions' own grading resolves it) is not refined."""
    strengths = one_level_couplings(point)
    if strengths is not None:  # one level: lambda = eps + sum_r |V_r|^2 g_r(Re lambda), in numbers
        lam1, eps, reservoirs = complex(centre), complex(point.h_S[0, 0]), point.reservoirs
        for _ in range(3):
            g: dict[int, complex] = {}  # a lead given twice (the same object) evaluated once
            for res in reservoirs:
                if id(res) not in g:
                    g[id(res)] = surface_value(res, lam1.real)
            moved = eps + sum(s * g[id(res)] for s, res in zip(strengths, reservoirs, strict=True))
            done = abs(moved.imag) > broad or abs(moved - lam1) < 1e-3 * abs(moved.imag)
            lam1 = moved
            if done:
                break
        return np.array([lam1])
    lam = np.linalg.eigvals(point.h_S + point.self_energy(np.array(centre, dtype=complex)))
    for _ in range(2):
        moved = np.linalg.eigvals(point.h_S + point.self_energy(lam.real.astype(complex)))  # (n, n) at each Re(lambda)
        lam = moved[np.arange(lam.size), np.argmin(np.abs(moved - lam[:, None]), axis=1)]
    return lam


def graded_edges(x0: np.ndarray | float, d: np.ndarray | float, lo: np.ndarray | float, hi: np.ndarray | float) -> np.ndarray:
    """Edges x0 +- (d/2) 2^k (k = 0, 1, ...) strictly inside (lo, hi), and x0: a graded mesh around
    each feature x0 whose nearest singularity stands d off the axis.

    Vectorized over features: ``x0`` and ``d`` of one shape S (x0 inside [lo, hi]), ``lo`` and
    ``hi`` broadcasting against it; returns shape S + (2K + 1,), NaN where an edge falls outside,
    K just enough doublings to leave the widest window. The powers of two make every edge the same
    float as a doubling loop's. (Written for few numpy calls: a single steady state grades ~3
    features.)
    """
    x0, half = np.asarray(x0, dtype=float), 0.5 * np.asarray(d, dtype=float)
    lo, hi = np.asarray(lo, dtype=float)[..., None], np.asarray(hi, dtype=float)[..., None]
    if x0.size == 0:
        return np.empty((*x0.shape, 1))
    widest = float(((hi - lo)[..., 0] / half).max())
    doublings = math.ceil(np.log2(max(widest, 1.0))) + 1
    powers = _POWERS[:doublings] if doublings <= _POWERS.size else _GRADING ** np.arange(doublings)
    steps = half[..., None] * powers
    x = x0[..., None]
    edges = np.concatenate([x, x - steps, x + steps], axis=-1)
    return np.where((edges > lo) & (edges < hi), edges, np.nan)


#: 2^k for the graded meshes (k up to 63: a feature 1e-12 wide in a window of width 1e6 needs 61).
_POWERS = _GRADING ** np.arange(64)


#: Distances of the panel edges graded toward a band edge, in units of the segment's width.
_EDGE_STEPS = 0.5 * _EDGE_RATIO ** np.arange(int(np.ceil(np.log(2 * _EDGE_DEPTH) / np.log(_EDGE_RATIO))) + 1)


def edge_grading(edge: np.ndarray | float, inward: np.ndarray | float, width: np.ndarray | float) -> np.ndarray:
    """Edges edge + inward * width/2 * (1/4)^k toward a band edge, down to ``_EDGE_DEPTH`` of the
    segment's width (a 1/sqrt branch point then holds an error below 1e-12); vectorized like
    :func:`graded_edges`, NaN past the depth."""
    edge, inward, width = np.broadcast_arrays(*(np.asarray(a, dtype=float) for a in (edge, inward, width)))
    k = width[..., None] * _EDGE_STEPS
    return np.where(k > (_EDGE_DEPTH * width)[..., None], edge[..., None] + inward[..., None] * k, np.nan)


def features(point: ModelPoint, baths: Sequence[Bath]) -> list[tuple[float, float]]:
    """(position, distance of its nearest singularity off the axis) of every feature the panels
    resolve: each chemical potential (Fermi poles pi T off the axis) and each resonance of G_S."""
    mus = [b.mu for b in baths]
    # np.mean's number (the vectorized road's) without its set-up: below 8 terms NumPy sums in order
    centre = sum(mus) / len(mus) if len(mus) < 8 else float(np.add.reduce(np.array(mus)) / len(mus))
    broad = 4.0 * np.pi * max(b.T for b in baths)
    found = [(b.mu, np.pi * b.T) for b in baths]
    return found + [(float(lam.real), max(abs(float(lam.imag)), 1e-12 * (1.0 + abs(lam.real))))
                    for lam in resonances(point, centre, broad)]  # fmt: skip


def break_points(point: ModelPoint, segments: list[tuple[float, float]], baths: Sequence[Bath]) -> np.ndarray:
    """Panel edges sized by analyticity: graded meshes around every chemical potential (the Fermi
    functions' poles stand pi T off the axis), every resonance of G_S (abs(Im) of its pole off the
    axis) and toward every band edge inside the window (a branch point on the axis); the edges of
    :func:`window_edges` for each segment (built in floats by :func:`single_window_edges`), in
    ascending order without repeats."""
    found = features(point, baths)
    boundaries = [float(x) for interval in point.continuum for x in interval]
    inner = inner_band_edges(point)
    return np.array(sorted({x for lo, hi in segments for x in single_window_edges(lo, hi, found, boundaries, inner)}))


def window_edges(lo: np.ndarray, hi: np.ndarray, x0: np.ndarray, d: np.ndarray, boundaries: np.ndarray,
                 inner: Sequence[float]) -> np.ndarray:
    """The panel edges of P windows [lo_p, hi_p] inside one band each, sorted per row (P, S) with
    NaN where a row has fewer: the window's ends; a graded mesh (:func:`graded_edges`) around each
    feature (x0, d), shape (P, F), lying within 8 d of the window (clipped into it); grading toward
    each end that is a band edge (one of ``boundaries``, the merged continuum's); and from both
    sides toward each of ``inner`` (:func:`inner_band_edges`) inside the window. The vectorized
    road (:mod:`strongtherm.negf.one_level_window`) calls it; the single road (:func:`break_points`)
    calls its float twin :func:`single_window_edges`, held equal to it bit for bit by a test."""
    lo_c, hi_c, reach = lo[:, None], hi[:, None], 8 * d
    near = (lo_c - reach < x0) & (x0 < hi_c + reach)
    x0 = np.where(near, np.minimum(np.maximum(x0, lo_c), hi_c), np.nan)  # np.clip's numbers, fewer calls
    width = hi - lo
    parts = [lo_c, hi_c, graded_edges(x0, d, lo_c, hi_c).reshape(lo.size, -1)]
    # (one test for both ends first: a single steady state inside one band skips the rest)
    if (np.concatenate([lo, hi])[:, None] == boundaries).any():
        for end, inward in ((lo, 1.0), (hi, -1.0)):
            at_band_edge = (end[:, None] == boundaries).any(axis=1)  # not the window's own cut
            if at_band_edge.any():
                parts.append(np.where(at_band_edge[:, None], edge_grading(end, inward, width), np.nan))
    for edge in inner:  # one reservoir's edge inside the merged band: graded from both sides
        graded = np.concatenate([np.full((lo.size, 1), edge), edge_grading(edge, 1.0, width),
                                 edge_grading(edge, -1.0, width)], axis=1)  # fmt: skip
        keep = (lo[:, None] < edge) & (edge < hi[:, None]) & (graded > lo[:, None]) & (graded < hi[:, None])
        parts.append(np.where(keep, graded, np.nan))
    edges = np.concatenate(parts, axis=1)
    edges.sort(axis=1)  # NaN last
    return edges


def single_window_edges(lo: float, hi: float, found: Sequence[tuple[float, float]], boundaries: Sequence[float],
                        inner: Sequence[float]) -> list[float]:
    """The finite edges of :func:`window_edges` for one window [lo, hi] (unsorted, repeats kept),
    built in Python floats: the same float operations on the same numbers, so the same edges.

    A single steady state grades ~3 features (``found``: (x0, d) pairs as :func:`features` gives
    them) into ~50 edges; :func:`window_edges` spends ~40 NumPy calls on that (~35 us of the
    ~200 us of a one-level steady state), these loops ~10 us. The vectorized function stays the
    one a map uses; ``tests/negf/test_fermi_window_edges.py`` holds the two equal on random windows.
    """
    width = hi - lo
    edges = [lo, hi]
    # graded_edges: one number of doublings for every feature, from the narrowest
    widest = max(width / (0.5 * d) for _, d in found)
    doublings = math.ceil(np.log2(max(widest, 1.0))) + 1
    powers = _POWER_LIST[:doublings] if doublings <= len(_POWER_LIST) else [_GRADING**k for k in range(doublings)]
    for x0, d in found:
        if not (lo - 8 * d < x0 < hi + 8 * d):  # window_edges' reach
            continue
        x, half = min(max(x0, lo), hi), 0.5 * d
        if lo < x < hi:
            edges.append(x)
        # x -+ half p moves monotonically with p (IEEE products and sums are monotone), so the
        # first edge past lo (hi) ends each side: the same edges, without the ~2/3 that fall outside
        for p in powers:
            e = x - half * p
            if e <= lo:
                break
            if e < hi:
                edges.append(e)
        for p in powers:
            e = x + half * p
            if e >= hi:
                break
            if e > lo:
                edges.append(e)
    depth = _EDGE_DEPTH * width
    steps = [k for k in (width * step for step in _EDGE_STEP_LIST) if k > depth]  # edge_grading's
    for end, inward in ((lo, 1.0), (hi, -1.0)):
        if end in boundaries:
            edges += [end + inward * k for k in steps]
    for edge in inner:
        if lo < edge < hi:
            graded = (edge, *(edge + 1.0 * k for k in steps), *(edge + -1.0 * k for k in steps))
            edges += [g for g in graded if lo < g < hi]
    return edges


#: :data:`_POWERS` and :data:`_EDGE_STEPS` as Python floats, for :func:`single_window_edges`.
_POWER_LIST = _POWERS.tolist()
_EDGE_STEP_LIST = _EDGE_STEPS.tolist()


def inner_band_edges(point: ModelPoint) -> list[float]:
    """Band edges of single reservoirs that are not edges of the merged continuum: there the
    continuum goes on but one reservoir's self-energy has a branch point on the axis (a chain's
    square root, a flat band's logarithm), graded toward from both sides like the continuum's own."""
    memo = point.model.memo  # the model's reservoirs are frozen: found once per model
    edges = memo.get("fermi_window.inner_band_edges")
    if edges is None:
        merged = {x for interval in point.continuum for x in interval}
        edges = memo["fermi_window.inner_band_edges"] = sorted(
            {x for res in point.reservoirs for interval in res.continuum for x in interval
             if np.isfinite(x) and x not in merged})  # fmt: skip
    return list(edges)


def integrate_window(func: Any, points: np.ndarray, options: QuadratureOptions, what: str) -> tuple[np.ndarray, np.ndarray]:
    """Real parts and error estimates of the Gauss-Kronrod integrals over the panels ``points``.

    The panels are sized by analyticity (:func:`break_points`), so one GK15 sweep over all of them
    in one call of ``func`` usually meets the tolerance; only when its error estimate (the Kronrod
    - Gauss difference, summed over panels) does not, the adaptive rule
    (:func:`~strongtherm.negf.integrate.gauss_kronrod_panels`) refines from the same panels, with
    its budgets. A gap between two bands is one more panel, where Gamma = 0 makes the integrand 0.
    """
    if points.size - 1 <= SWEEP_PANELS:
        value, error, absolute = sweep_totals(func, points)
        floor = options.rounding_factor * _EPS * absolute
        if (error <= np.maximum(options.atol, floor)).all():
            return np.real(value), np.maximum(error, floor)
    result = gauss_kronrod_panels(func, points, options=options, what=what)
    return np.real(result.value), result.error


def one_level_couplings(point: ModelPoint) -> np.ndarray | None:
    """|V_r|^2 of a one-level model whose every reservoir has one surface orbital (the common case:
    every matrix a number, see :func:`_one_level_integrand`), else None."""
    if point.n_levels != 1 or any(V.shape != (1, 1) for V in point.V):
        return None
    return np.array([abs(complex(V[0, 0])) ** 2 for V in point.V])
