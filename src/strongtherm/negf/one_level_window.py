"""Steady states of a one-level model, many at once: one vectorized Gauss-Kronrod sweep.

A (gate, bias) map asks for 10^4 - 10^5 steady states of one model. Each is cheap (a few hundred
nodes of a scalar integrand) but a Python call per point costs more than its arithmetic. Here the
panels of every point (the very edges :func:`~strongtherm.negf.fermi_window.break_points` gives
it alone, built vectorized) are laid side by side, the one-level integrand
(:func:`one_level_columns`) is evaluated on all their nodes in one pass with per-node parameters,
and the GK15 sums are reduced per point. The tolerance test is the single road's
(:func:`~strongtherm.negf.fermi_window.integrate_window`): a point whose one-sweep error estimate
misses it, whose window spans several bands or none, or whose panels exceed the one-sweep budget is
reported as not done, and the caller runs the adaptive single road for it.

The single call :func:`~strongtherm.negf.steady_state` of a one-level model integrates the same
integrand (:func:`one_level_columns`) over the same panel edges, so a map and a loop of single
calls agree to rounding.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from ..thermal import Bath
from .fermi_window import SWEEP_PANELS, WINDOW_WIDTH, inner_band_edges, surface_values, window_edges
from .integrate import GAUSS_KRONROD_15, QuadratureOptions, panel_sums
from .system import ModelPoint

__all__ = ["POINTS_PER_SWEEP", "one_level_columns", "one_level_sweep"]

#: Points per vectorized sweep: ~40 panels x 15 nodes x (R + 2R columns) complex numbers a point,
#: so 256 points keep every array of a sweep below ~10 MB.
POINTS_PER_SWEEP = 256
#: Panels whose nodes are evaluated in one call (15 nodes each): ~4000 nodes, so that the (R, nodes)
#: temporaries stay near 100 kB. Measured per node on this project's 2-core VM (R = 2): 26 ns at
#: 4096 nodes a call, 82 ns at 10^4 (the allocator returns larger blocks to the system and page-faults
#: them back), 55 ns at 512 (call overhead).
PANELS_PER_BLOCK = 272


def one_level_columns(
    e: np.ndarray, eps: np.ndarray | complex, strengths: np.ndarray, g: np.ndarray, mu: np.ndarray, T: np.ndarray,
    reference: int, state: bool,
) -> np.ndarray:
    """The steady-state integrand of one level, in numbers, with per-node parameters.

    Sigma_r = abs(V_r)^2 g_r, G = 1/(e - eps - sum_r Sigma_r), Gamma_r = -2 Im Sigma_r, so
    T_ab = Gamma_a Gamma_b abs(G)^2 and the current from a is
    Gamma_a abs(G)^2 sum_b Gamma_b (f_a - f_b): the columns of the matrix road
    (:func:`~strongtherm.negf.steady_state`), I_a then e I_a, and with ``state`` the corrections
    dC (real, imaginary) and d<H_SR> relative to the reference bath's equilibrium; all / 2 pi.

    Parameters
    ----------
    e : ndarray, shape (N,)
        Real energies.
    eps : complex or ndarray, shape (N,)
        The level, per node.
    strengths, g, mu, T : ndarray, shape (R, N) or (R, 1)
        abs(V_r)^2, the surface Green's function g_r(e + i0), and each reservoir's bath.
    """
    sigmas = strengths * g
    D = e - eps - sigmas.sum(axis=0)  # 1/G
    G2 = 1.0 / (D.real**2 + D.imag**2)  # abs(G)^2 without a complex division
    gammas = -2.0 * sigmas.imag
    with np.errstate(over="ignore"):  # Bath.fermi per node; e^x = inf far above mu gives f = 0 exactly
        f = 1.0 / (1.0 + np.exp((e - mu) / T))  # 3x cheaper than scipy's expit, equal to 3e-16
    if gammas.shape[0] == 2 and not state:
        # two reservoirs (the common device): I_0 = Gamma_0 Gamma_1 abs(G)^2 (f_0 - f_1) / 2 pi and
        # I_1 = -I_0 exactly, written into the (E, 4) result in place (a third of the general
        # road's NumPy calls, which are most of a single steady state's integrand)
        out = np.empty((e.size, 4))
        current = out[:, 0]
        np.multiply(gammas[0] * gammas[1], G2, out=current)
        current *= f[0] - f[1]
        current *= 1.0 / (2.0 * np.pi)
        np.negative(current, out=out[:, 1])
        np.multiply(e, current, out=out[:, 2])
        np.negative(out[:, 2], out=out[:, 3])
        return out
    # sum_b Gamma_b (f_a - f_b) with the differences taken first: exactly 0 between equal baths
    current = gammas * G2 * np.einsum("be,abe->ae", gammas, f[:, None, :] - f[None, :, :])
    columns = [current.T, (e * current).T]
    if state:
        delta = f - f[reference]
        dC = G2 * (delta * gammas).sum(axis=0)
        h_sr = 2.0 * np.real(sigmas.sum(axis=0) * dC + D * G2 * (delta * gammas).sum(axis=0))  # conj(G) = D abs(G)^2
        columns += [dC[:, None], np.zeros((e.size, 1)), h_sr[:, None]]
    return np.concatenate(columns, axis=1) / (2.0 * np.pi)


def _resonances(points: Sequence[ModelPoint], eps: np.ndarray, strengths: np.ndarray, centre: np.ndarray,
                broad: np.ndarray) -> np.ndarray:
    """The one-level branch of :func:`~strongtherm.negf.fermi_window.resonances` for many points:
    lambda = eps + sum_r abs(V_r)^2 g_r(Re lambda), up to three fixed-point steps from ``centre``,
    each point stopping where the single road stops (the same floats, step by step)."""
    lam = centre.astype(complex)
    active = np.ones(lam.size, dtype=bool)
    reservoirs = points[0].reservoirs
    for _ in range(3):
        where = np.flatnonzero(active)
        if where.size == 0:
            break
        at = lam[where].real + 0j
        total = np.zeros(where.size, dtype=complex)
        for r, res in enumerate(reservoirs):
            total = total + strengths[where, r] * res.surface_greens_function(at)[:, 0, 0]
        moved = eps[where] + total
        done = (np.abs(moved.imag) > broad[where]) | (np.abs(moved - lam[where]) < 1e-3 * np.abs(moved.imag))
        lam[where] = moved
        active[where[done]] = False
    return lam


def one_level_sweep(
    points: Sequence[ModelPoint], bath_sets: Sequence[Sequence[Bath]], options: QuadratureOptions, *,
    state: bool = False, reference: int = 0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Steady-state integrals of one-level points (same model) in vectorized GK15 sweeps.

    Parameters
    ----------
    points : sequence of ModelPoint
        One-level points of one model, every reservoir with one surface orbital.
    bath_sets : sequence of sequences of Bath
        Per point, one bath per reservoir (checked by the caller).
    options : QuadratureOptions
        ``atol`` and ``rounding_factor`` of the single road's one-sweep test.
    state, reference
        Also the state columns (see :func:`one_level_columns`).

    Returns
    -------
    values, errors : ndarray, shape (P, K)
        The integrals (columns of :func:`one_level_columns`) and their error estimates.
    done : ndarray of bool, shape (P,)
        False where the caller must run the adaptive single road (values there are meaningless).
    """
    P, R = len(points), len(points[0].reservoirs)
    K = 2 * R + (3 if state else 0)
    values, errors, done = np.zeros((P, K)), np.zeros((P, K)), np.zeros(P, dtype=bool)
    for start in range(0, P, POINTS_PER_SWEEP):
        chunk = slice(start, min(start + POINTS_PER_SWEEP, P))
        values[chunk], errors[chunk], done[chunk] = _sweep(points[chunk], bath_sets[chunk], options, state, reference, K)
    return values, errors, done


def _sweep(
    points: Sequence[ModelPoint], bath_sets: Sequence[Sequence[Bath]], options: QuadratureOptions, state: bool,
    reference: int, K: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    P = len(points)
    model_point = points[0]
    strengths = np.array([[abs(complex(V[0, 0])) ** 2 for V in p.V] for p in points])  # (P, R)
    mu = np.array([[b.mu for b in baths] for baths in bath_sets])
    T = np.array([[b.T for b in baths] for baths in bath_sets])
    # the window (fermi_window) and its part inside the continuum (window_segments): one segment only
    lo_w, hi_w = (mu - WINDOW_WIDTH * T).min(axis=1), (mu + WINDOW_WIDTH * T).max(axis=1)
    bands = np.array(model_point.continuum, dtype=float).reshape(-1, 2)
    seg_lo = np.maximum(bands[None, :, 0], lo_w[:, None])
    seg_hi = np.minimum(bands[None, :, 1], hi_w[:, None])
    overlaps = seg_hi > seg_lo
    ok = overlaps.sum(axis=1) == 1
    band = np.argmax(overlaps, axis=1)
    lo = np.where(ok, seg_lo[np.arange(P), band], 0.0)
    hi = np.where(ok, seg_hi[np.arange(P), band], 1.0)
    # features (fermi_window.features): each chemical potential, then the resonance
    eps = np.array([complex(p.h_S[0, 0]) for p in points])
    lam = _resonances(points, eps, strengths, mu.mean(axis=1), 4.0 * np.pi * T.max(axis=1))
    x0 = np.concatenate([mu, lam.real[:, None]], axis=1)
    d = np.concatenate([np.pi * T, np.maximum(np.abs(lam.imag), 1e-12 * (1.0 + np.abs(lam.real)))[:, None]], axis=1)
    edges = window_edges(lo, hi, x0, d, bands.ravel(), inner_band_edges(model_point))
    # equal neighbours are np.unique's duplicates of the single road: no panel between them
    a, b = edges[:, :-1], edges[:, 1:]
    panel = np.isfinite(b) & (b > a)
    ok &= panel.sum(axis=1) <= SWEEP_PANELS
    panel &= ok[:, None]
    owner = np.nonzero(panel)[0]  # point of each panel, ascending (row-major)
    mid, half = 0.5 * (a[panel] + b[panel]), 0.5 * (b[panel] - a[panel])
    if owner.size == 0:
        return np.zeros((P, K)), np.zeros((P, K)), ok
    reservoirs = model_point.reservoirs
    per_panel = [strengths[owner].T, mu[owner].T, T[owner].T]  # (R, panels) each

    def integrand_of(block: slice) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
        def integrand(e: np.ndarray, _w: np.ndarray) -> np.ndarray:
            g = surface_values(reservoirs, e)  # a lead given twice evaluated once
            nodes = GAUSS_KRONROD_15.size
            strengths_n, mu_n, T_n = (np.repeat(x[:, block], nodes, axis=1) for x in per_panel)
            eps_n = np.repeat(eps[owner[block]], nodes)
            return one_level_columns(e, eps_n, strengths_n, g, mu_n, T_n, reference, state)

        return integrand

    # the nodes in blocks of PANELS_PER_BLOCK panels: every temporary stays small enough to be
    # reused by the allocator (arrays of 10^4 nodes cost 3x more a node here, in page faults)
    sums = [panel_sums(integrand_of(block), mid[block], half[block])
            for block in (slice(k, k + PANELS_PER_BLOCK) for k in range(0, owner.size, PANELS_PER_BLOCK))]  # fmt: skip
    kronrod, gauss, absolute = (np.concatenate([s[j] for s in sums]) for j in range(3))
    starts = np.searchsorted(owner, np.arange(P))  # each point's first panel (owner.size: none)
    has = np.bincount(owner, minlength=P) > 0

    def per_point(x: np.ndarray) -> np.ndarray:
        padded = np.concatenate([x, np.zeros((1, x.shape[1]), dtype=x.dtype)])  # the row "none" points at
        return np.where(has[:, None], np.add.reduceat(padded, starts, axis=0), 0.0)

    value = np.real(per_point(kronrod))
    error = per_point(np.abs(kronrod - gauss))
    floor = options.rounding_factor * float(np.finfo(float).eps) * per_point(absolute)
    ok &= has & np.all(error <= np.maximum(options.atol, floor), axis=1)
    return value, np.maximum(error, floor), ok
