"""The pole-sum road of the Green's-function engine: every energy integral from G_S at a few tens
of points on the line Re z = mu (Kumar, Webb & Stafford 2024; DESIGN.md "Paper 000", trap 2).

**Fermi expansion.** Ozaki's continued fraction (Phys. Rev. B 75, 035123 (2007)) gives, with
x = beta (e - mu),

.. math:: f(x) \\approx f_N(x) = \\frac12 - \\sum_{p=1}^{N} R_p \\Big[\\frac{1}{x - i\\zeta_p}
          + \\frac{1}{x + i\\zeta_p}\\Big],

exact to rounding for |x| below a reach that grows as ~0.27 N^2 (measured, see
:func:`fermi_pole_expansion`), so N ~ sqrt(beta x spectral radius): the cost grows as T^(-1/2).
The lowest zeta_p are the Matsubara frequencies (2p - 1) pi; all poles lie on Re z = mu.

**Pole sums.** For F analytic in the upper half plane with F(z*) = F(z)^dagger and
F ~ M_1 / z, the "spectral part" X(e) = (i / 2 pi)[F(e + i0) - F(e - i0)] obeys (close the
contour in the upper half plane for F, in the lower one for F^dagger)

.. math:: \\int X f_N\\, de = \\frac{M_1}{2} + T \\sum_p R_p [F(z_p) + F(z_p)^\\dagger],
          \\qquad z_p = \\mu + i \\zeta_p T.

Real poles of G_S (bound states, decoupled levels) are inside that contour: they come in
automatically and must never be added a second time. With G' = -G (1 - Sigma') G:

* C = int A_SS f: F = G_S, M_1 = 1;  int A_SS (e - mu) f: F = (z - mu) G_S - 1, M_1 = h_S - mu
  (first-moment sum rule, exact); U_S = mu N_S + Tr of the latter;
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
  by one cumulative Gauss-Legendre quadrature down the line Re z = mu, in u = ln Im z, where the
  integrand is analytic in the strip |Im u| < pi/2 for every model (real-axis features sit at
  Im u = -pi/2 or beyond): a handful of nodes per pole;
* then S = beta (U - mu N - Omega), int A ln(1 - f) = beta int A omega, int A ln f =
  beta [int A omega - (h_S - mu)], and the reservoir's parts are universe minus system;
* the second term of Eq. (21), int omega (-1/pi) Im Tr[dG/dt Sigma' - dG/dz dSigma/dt], by the same
  integration by parts on the same line.

**Errors.** The expansion error is bounded, per quantity, by sup norms of f_N - f (and of its
moments) over |x| <= beta x a rigorous spectral radius, measured on a fine grid, above a rounding
allowance; A_SS >= 0 with int A_SS = 1 makes the bound for C rigorous. The quadrature error of the
log kernels is estimated by running the universe through the same quadrature and comparing with
its closed form. The spectrum must be bounded (every continuum finite): a continuum reaching
infinity (Lorentzian band) or a reservoir without analytic continuation uses the contour road.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy.linalg import eigh_tridiagonal
from scipy.special import expit

from ..thermal import Bath
from .contour import _stack
from .energy_integrals import EnergyIntegrals, system_traces
from .integrate import QuadratureOptions
from .reservoirs import TightBindingChain, WideBand
from .spectral import _decoupled_states, _gaps
from .system import OpenSystem

__all__ = ["FermiPoleExpansion", "bound_state_counts", "fermi_pole_expansion", "pole_integrals", "supports_poles"]

_EPS = float(np.finfo(float).eps)
#: below this the expansion's truncation error is hidden by the rounding of its sums
_ROUNDING_FLOOR = 1e-15
#: largest number of poles tried before the requested accuracy is declared out of reach
MAX_POLES = 4000
#: the reach of N poles is about 0.26-0.27 N^2 at 1e-13 (measured); start the search just below
_REACH_PER_POLE_SQUARED = 0.27
#: analyticity half-width of the vertical-line integrand in u = ln Im z, with a safety factor
_STRIP = 0.75 * 0.5 * math.pi
#: target of the Gauss-Legendre error factor rho^(-2m) per panel
_GL_TARGET = 1e-16


def supports_poles(model: OpenSystem) -> bool:
    """True when the pole road applies: every reservoir has a known continuation to the upper half
    plane (tight-binding chain, wide band, or a reservoir with ``analytic_continuation = True``)
    and a finite continuum (so the spectrum is bounded)."""
    for res in model.reservoirs:
        known = isinstance(res, (TightBindingChain, WideBand)) or bool(getattr(res, "analytic_continuation", False))
        if not known:
            return False
    return all(np.isfinite(e) for iv in model.continuum for e in iv)


# ---------------------------------------------------------------------- Fermi expansion
@lru_cache(maxsize=256)
def _ozaki(n_poles: int) -> tuple[np.ndarray, np.ndarray]:
    """Ozaki's continued-fraction poles zeta_p (ascending) and residues R_p, N = n_poles."""
    m = np.arange(1, 2 * n_poles)
    b = 1.0 / (2.0 * np.sqrt((2.0 * m - 1.0) * (2.0 * m + 1.0)))
    # eigenpairs of the symmetric tridiagonal matrix with zero diagonal and off-diagonal b;
    # the eigenvalues come in +- pairs, the positive ones are 1 / zeta_p
    lam, vec = eigh_tridiagonal(np.zeros(2 * n_poles), b, select="v", select_range=(0.0, np.inf))
    positive = lam > 0.0
    lam, v1 = lam[positive], vec[0, positive]
    zeta = 1.0 / lam
    residue = np.abs(v1) ** 2 / (4.0 * lam**2)
    order = np.argsort(zeta)
    zeta, residue = zeta[order], residue[order]
    zeta.setflags(write=False)
    residue.setflags(write=False)
    return zeta, residue


def _fermi_sum(zeta: np.ndarray, residue: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """f_N(x), f_N'(x) and the sum of the magnitudes of the terms (for the rounding allowance)."""
    x2 = x[:, None] ** 2
    z2 = zeta[None, :] ** 2
    terms = residue * 2.0 * x[:, None] / (x2 + z2)
    f = 0.5 - terms.sum(axis=1)
    df = -(residue * 2.0 * (z2 - x2) / (x2 + z2) ** 2).sum(axis=1)
    return f, df, np.abs(terms).sum(axis=1)


@lru_cache(maxsize=512)
def _error_curves(n_poles: int) -> tuple[np.ndarray, np.ndarray]:
    """Running error measures of the N-pole expansion as functions of the reach X.

    Returns the grid X (from 0 to 1.2 N^2 + 40, beyond any useful reach) and, for each X, the
    four measures over |x| <= X: sup |f_N - f|, sup |x (f_N - f)|, int |f_N - f| dx (both signs)
    and sup |x (f_N' - f')|. f_N - f is odd and f_N' - f' even, so x >= 0 suffices. The grid
    step is 0.01 below x = 5 and 0.004 x above: the error varies on the scale of the Matsubara
    spacing near 0 and of the pole spacing (~ x / N) further out. Differences below a rounding
    allowance of 4 sqrt(N) eps (1 + sum of |terms|) are rounding, not truncation, and are not counted.
    """
    zeta, residue = _ozaki(n_poles)
    x_max = 1.2 * n_poles**2 + 40.0
    x = np.concatenate([np.arange(0.0, 5.0, 0.01), 5.0 * np.exp(np.arange(0.0, math.log(x_max / 5.0) + 0.004, 0.004))])
    f_n, df_n, magnitude = _fermi_sum(zeta, residue, x)
    # rounding of a sum of N terms: ~ sqrt(N) eps x their magnitude (measured: ~4e-15 at N = 150)
    allowance = 4.0 * _EPS * math.sqrt(n_poles) * (1.0 + magnitude)
    err = np.maximum(np.abs(f_n - expit(-x)) - allowance, 0.0)
    derr = np.maximum(np.abs(df_n + expit(x) * expit(-x)) - allowance, 0.0)
    # the integral: trapezoid with each panel's larger end (an upper bound for a monotone piece)
    panel = np.maximum(err[1:], err[:-1]) * np.diff(x)
    integrated = 2.0 * np.concatenate([[0.0], np.cumsum(panel)])
    curves = np.stack([np.maximum.accumulate(err), np.maximum.accumulate(x * err), integrated,
                       np.maximum.accumulate(x * derr)])  # fmt: skip
    x.setflags(write=False)
    curves.setflags(write=False)
    return x, curves


def _errors_at(n_poles: int, reach: float) -> tuple[float, float, float, float] | None:
    """The four error measures of :func:`_error_curves` at ``reach`` (None beyond the grid)."""
    x, curves = _error_curves(n_poles)
    k = int(np.searchsorted(x, reach))
    if k >= x.size:
        return None
    return tuple(float(c) for c in curves[:, k])  # type: ignore[return-value]


@dataclass(frozen=True)
class FermiPoleExpansion:
    """f(x) ~ 1/2 - sum_p R_p [1/(x - i zeta_p) + 1/(x + i zeta_p)], x = beta (e - mu) (Ozaki).

    ``reach``: the |x| range on which the errors hold; ``sup_error`` = sup |f_N - f|,
    ``sup_x_error`` = sup |x (f_N - f)|, ``integrated_error`` = int |f_N - f| dx and
    ``sup_x_derivative_error`` = sup |x (f_N' - f')|, all over |x| <= reach (truncation only;
    rounding, ~1e-16 per term, excluded).
    """

    poles: np.ndarray
    residues: np.ndarray
    reach: float
    sup_error: float
    sup_x_error: float
    integrated_error: float
    sup_x_derivative_error: float

    @property
    def n_poles(self) -> int:
        return int(self.poles.size)

    def fermi(self, x: np.ndarray) -> np.ndarray:
        """f_N(x) at real x."""
        return _fermi_sum(self.poles, self.residues, np.atleast_1d(np.asarray(x, dtype=float)))[0]


def _bucket(value: float) -> float:
    # round the reach up (and the tolerance, then divided by the step, down) to a grid of
    # 2^(1/16) steps, so that nearby temperatures and tolerances share one cache entry
    k = math.ceil(16.0 * math.log2(value))
    return float(2.0 ** (k / 16.0))


def fermi_pole_expansion(reach: float, tolerance: float) -> FermiPoleExpansion:
    """The shortest Ozaki expansion whose errors on |x| <= ``reach`` are all <= ``tolerance``.

    Parameters
    ----------
    reach : float
        beta x (largest |e - mu| where spectral weight can be), >= 0.
    tolerance : float
        Bound on each of sup |f_N - f|, sup |x (f_N - f)|, int |f_N - f| dx, sup |x (f_N' - f')|.

    Raises
    ------
    ValueError
        If ``tolerance`` is below the rounding floor (1e-15) or no expansion with at most
        :data:`MAX_POLES` poles reaches it (too low a temperature).
    """
    if not (np.isfinite(reach) and reach >= 0.0):
        raise ValueError(f"reach (beta x spectral radius) must be finite and >= 0, got {reach!r}")
    if not (tolerance > 0.0 and np.isfinite(tolerance)):
        raise ValueError(f"tolerance must be a positive finite number, got {tolerance!r}")
    if tolerance < _ROUNDING_FLOOR:
        raise ValueError(
            f"the Fermi pole expansion cannot reach tolerance {tolerance:g}: its N-term sums are only "
            f"accurate to rounding, ~{_ROUNDING_FLOOR:g}; use tolerance >= {_ROUNDING_FLOOR:g}"
        )
    return _expansion(_bucket(max(reach, 1.0)), _bucket(tolerance) / 2.0 ** (1.0 / 16.0))


@lru_cache(maxsize=1024)
def _expansion(reach: float, tolerance: float) -> FermiPoleExpansion:
    n = max(4, math.ceil(math.sqrt(reach / _REACH_PER_POLE_SQUARED)) - 1)
    while n <= MAX_POLES:
        errs = _errors_at(n, reach)
        if errs is not None and max(errs) <= tolerance:
            zeta, residue = _ozaki(n)
            return FermiPoleExpansion(zeta, residue, reach, *errs)
        # beyond the reach the error grows fast: step by ~4% of n (at least 1)
        n += max(1, n // 25)
    raise ValueError(
        f"the Fermi pole expansion cannot reach tolerance {tolerance:g} on |beta (e - mu)| <= {reach:.4g} "
        f"with at most {MAX_POLES} poles; raise the tolerance or the temperature"
    )


# ---------------------------------------------------------------------- vertical-line quadrature
@lru_cache(maxsize=64)
def _gauss_legendre(m: int) -> tuple[np.ndarray, np.ndarray]:
    return np.polynomial.legendre.leggauss(m)


@lru_cache(maxsize=256)
def _vertical_rule(n_poles: int, top_decades: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Nodes y_q (in units of T), weights w_q (measure dy, units of T) and the index s_q of the
    pole just below each node, for int_{zeta_p}^inf dy of a function analytic in
    |Im ln y| < pi/2 (plus a tail y = Y / v, v in (0, 1], above Y = zeta_N e^top_decades).
    """
    zeta, _ = _ozaki(n_poles)
    u_edges = np.log(zeta)
    if top_decades > 0:
        u_edges = np.concatenate([u_edges, u_edges[-1] + np.arange(1, top_decades + 1)])
    nodes, weights, segment = [], [], []
    for j in range(len(u_edges) - 1):
        width = u_edges[j + 1] - u_edges[j]
        pieces = max(1, math.ceil(width / 1.0))
        h = 0.5 * width / pieces
        ratio = _STRIP / h
        rho = ratio + math.sqrt(ratio * ratio + 1.0)
        m = max(3, math.ceil(0.5 * math.log(1.0 / _GL_TARGET) / math.log(rho)))
        x, w = _gauss_legendre(m)
        for k in range(pieces):
            centre = u_edges[j] + (2 * k + 1) * h
            u = centre + h * x
            y = np.exp(u)
            nodes.append(y)
            weights.append(w * h * y)  # dy = y du
            segment.append(np.full(m, min(j, n_poles - 1)))
    # tail above Y: y = Y / v, dy = Y / v^2 dv on (0, 1]; the integrand is ~ const / y^2 there
    Y = float(np.exp(u_edges[-1]))
    x, w = _gauss_legendre(12)
    v = 0.5 * (x + 1.0)
    nodes.append(Y / v)
    weights.append(0.5 * w * Y / v**2)
    segment.append(np.full(12, n_poles - 1))
    out = np.concatenate(nodes), np.concatenate(weights), np.concatenate(segment)
    for a in out:
        a.setflags(write=False)
    return out


def _cumulative_from_above(values: np.ndarray, weights: np.ndarray, segment: np.ndarray, n_poles: int) -> np.ndarray:
    """K_p = -i sum_{q: s_q >= p} w_q values_q for every pole p; values (P, Q, ...) -> (P, N, ...)."""
    weighted = values * weights.reshape((1, -1) + (1,) * (values.ndim - 2))
    # segment is non-decreasing and holds every pole index: sum each run, then sum from the top
    per_segment = np.add.reduceat(weighted, np.searchsorted(segment, np.arange(n_poles)), axis=1)
    return -1j * np.cumsum(per_segment[:, ::-1], axis=1)[:, ::-1]


# ---------------------------------------------------------------------- the integrals
def _pole_sum(values: np.ndarray, residue: np.ndarray, T: float, first_moment: np.ndarray | float = 0.0) -> np.ndarray:
    """M_1/2 + T sum_p R_p (F_p + F_p^dagger) for F (P, N) scalars or (P, N, n, n) matrices."""
    if values.ndim == 2:
        s = (2.0 * T) * (values.real @ residue)
    else:
        summed = T * (values * residue[:, None, None]).sum(axis=1)
        s = summed + np.conj(np.swapaxes(summed, -1, -2))
    return 0.5 * np.asarray(first_moment) + s


def _sandwich(V: np.ndarray, g: np.ndarray, W: np.ndarray) -> np.ndarray:
    """V^dag g W for stacked V, W (P, m, n) and g (M, m, m) -> (P, M, n, n), by matmul (einsum's
    path search costs more than the product at these sizes)."""
    if g.shape[-1] == 1:  # one surface orbital: an outer product times a scalar
        outer = np.conj(V[:, 0, :])[:, :, None] * W[:, 0, None, :]
        return g[None, :, 0, 0, None, None] * outer[:, None]
    Vh = np.conj(np.swapaxes(V, -1, -2))
    return Vh[:, None] @ g[None] @ W[:, None]


def _trace(X: np.ndarray, Y: np.ndarray) -> np.ndarray:
    if X.shape[-1] == 1:
        return X[..., 0, 0] * Y[..., 0, 0]
    return (X * np.swapaxes(Y, -1, -2)).sum(axis=(-2, -1))


def _inverse(D: np.ndarray) -> np.ndarray:
    return 1.0 / D if D.shape[-1] == 1 else np.linalg.inv(D)


def _log_det_upper(D: np.ndarray) -> np.ndarray:
    """ln det D on the branch continuous in the upper half plane: sum of principal Log of the
    eigenvalues, every one of which has Im > 0 when Im D (anti-Hermitian part / i) > 0."""
    if D.shape[-1] == 1:
        return np.log(D[..., 0, 0])
    return np.log(np.linalg.eigvals(D)).sum(axis=-1)


def _spectrum_bound(model: OpenSystem, h: np.ndarray, V: Sequence[np.ndarray]) -> tuple[float, float] | None:
    """A rigorous bound [c - r, c + r] of the universe's spectrum for all points: with c the
    centre of the continua, ||h - c|| <= max(||h_S - c||, max |band edge - c|) + ||V||, V the whole
    coupling block (||V||^2 = ||sum_r V_r^dag V_r||). None for a continuum reaching infinity."""
    edges = np.array([e for interval in model.continuum for e in interval])
    if not np.all(np.isfinite(edges)):
        return None
    c = 0.5 * (edges.min() + edges.max())
    reservoir_radius = float(np.max(np.abs(edges - c)))
    n = h.shape[-1]
    if n == 1:
        system_radius = np.abs(h[:, 0, 0].real - c)
        coupling_norm = np.sqrt(sum((np.abs(v) ** 2).sum(axis=(-2, -1)) for v in V))
    else:
        system_radius = np.abs(np.linalg.eigvalsh(h - c * np.eye(n))).max(axis=-1)
        coupling = sum(np.conj(np.swapaxes(v, -1, -2)) @ v for v in V)
        coupling_norm = np.sqrt(np.abs(np.linalg.eigvalsh(coupling)).max(axis=-1))
    radius = float(np.max(np.maximum(system_radius, reservoir_radius) + coupling_norm))
    return c - radius, c + radius


def bound_state_counts(model: OpenSystem, points: Sequence[Mapping[str, float]], h: np.ndarray, V: Sequence[np.ndarray]) -> np.ndarray:
    """Number of bound states per point, as :func:`.spectral.bound_states` would find them, without
    root finding: D(e) = e - h_S - Sigma(e) has eigenvalues rising with e outside the continuum,
    so each gap holds (#negative at its bottom) - (#negative at its top) of them (one stacked
    eigvalsh per gap edge). Decoupled levels inside a continuum are counted exactly by
    :func:`.spectral._decoupled_states` for the points that may have one."""
    P, n = h.shape[0], h.shape[-1]
    scale = 1.0 + np.abs(h).max(axis=(-2, -1)) + sum(np.abs(v).max(axis=(-2, -1)) ** 2 for v in V)
    eye = np.eye(n)

    def negatives(e: np.ndarray) -> np.ndarray:
        D = e[:, None, None] * eye - h
        for res, v in zip(model.reservoirs, V, strict=True):
            D = D - np.conj(np.swapaxes(v, -1, -2)) @ res.surface_greens_function(e) @ v
        D = 0.5 * (D + np.conj(np.swapaxes(D, -1, -2)))
        return (np.linalg.eigvalsh(D) < 0.0).sum(axis=-1)

    counts = np.zeros(P, dtype=int)
    for lo, hi in _gaps(model):
        below = np.full(P, n) if not np.isfinite(lo) else negatives(lo + 1e-12 * scale)
        above = np.zeros(P, dtype=int) if not np.isfinite(hi) else negatives(hi - 1e-12 * scale)
        counts += below - above
    levels, vectors = np.linalg.eigh(h)
    inside = np.zeros(levels.shape, dtype=bool)
    for lo, hi in model.continuum:
        inside |= (levels > lo) & (levels < hi)
    V_all = np.concatenate(list(V), axis=-2)
    coupling = np.linalg.norm(V_all @ vectors, axis=-2)  # |V u_k| per eigenvector
    tol = 1e-8 * (1.0 + np.abs(levels).max(axis=-1, keepdims=True))
    gaps = np.diff(levels, axis=-1)
    degenerate = np.zeros(levels.shape, dtype=bool)
    degenerate[..., 1:] |= gaps < tol
    degenerate[..., :-1] |= gaps < tol
    suspect = np.any(inside & ((coupling < tol) | degenerate), axis=-1)
    for p in np.flatnonzero(suspect):
        counts[p] += len(_decoupled_states(model, points[p], h[p]))
    return counts


def pole_integrals(
    model: OpenSystem,
    bath: Bath,
    points: Sequence[Mapping[str, float]],
    *,
    quantities: str = "state",
    directions: Sequence[Mapping[str, float]] | None = None,
    options: QuadratureOptions | None = None,
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

    Returns
    -------
    EnergyIntegrals
    """
    options = options or QuadratureOptions()
    if quantities not in ("state", "rates"):
        raise ValueError(f"quantities must be 'state' or 'rates', got {quantities!r}")
    if quantities == "rates" and directions is None:
        raise ValueError("quantities='rates' needs directions (d lambda/dt per point)")
    if directions is not None and len(directions) != len(points):
        raise ValueError(f"directions has {len(directions)} entries for {len(points)} points")
    n, P = model.n_levels, len(points)
    names = model.parameter_names
    stack = _stack(model, points, names)
    spectrum = _spectrum_bound(model, stack.h, stack.V)
    if spectrum is None:
        raise ValueError(
            f"the pole road needs a bounded spectrum, but a continuum of {model.name} reaches infinity; use method='contour'"
        )
    T, mu, beta = bath.T, bath.mu, bath.beta
    radius = max(abs(spectrum[0] - mu), abs(spectrum[1] - mu))
    atol = float(options.atol)
    # rounding floor of the sums below: ~ eps x (number of terms) x (largest energy scale)
    floor = 1e-14 * n * max(1.0, radius + abs(mu))
    if atol < floor:
        raise ValueError(
            f"tolerance atol={atol:g} is below what the pole expansion can reach in double precision "
            f"for this model (about {floor:.1g}); use atol >= {floor:.1g}"
        )
    # the strictest bound below is the entropy's n (sup|x err| + int|err|): share atol among them
    expansion = fermi_pole_expansion(beta * radius, atol / (4.0 * n))
    zeta, residue = expansion.poles, expansion.residues
    N = zeta.size
    top = max(0, math.ceil(math.log(max(4.0 * beta * radius, 1.0) / zeta[-1]))) if zeta[-1] < 4.0 * beta * radius else 0
    y_quad, w_quad, segment = _vertical_rule(N, top)
    t_all = np.concatenate([zeta, y_quad]) * T
    z = mu + 1j * t_all
    M = z.size

    eye = np.eye(n)
    g = [res.surface_greens_function(z) for res in model.reservoirs]
    dg = [res.surface_greens_function_derivative(z) for res in model.reservoirs]
    Sigma = sum(_sandwich(V, g_r, V) for V, g_r in zip(stack.V, g, strict=True))
    dSigma_dz = sum(_sandwich(V, dg_r, V) for V, dg_r in zip(stack.V, dg, strict=True))
    D = z[None, :, None, None] * eye - stack.h[:, None] - Sigma
    G = _inverse(D)
    dSigma = {
        k: sum(_sandwich(dV, g_r, V) + _sandwich(V, g_r, dV) for V, dV, g_r in zip(stack.V, stack.dV[k], g, strict=True))
        for k in names
    }
    at_poles = slice(0, N)
    on_line = slice(N, M)
    Gp = G[:, at_poles]
    iy = 1j * zeta * T  # z_p - mu, (N,)

    errors: dict[str, np.ndarray] = {}
    ones = np.ones(P)
    C = _pole_sum(Gp, residue, T, eye)
    C = 0.5 * (C + np.conj(np.swapaxes(C, -1, -2)))
    errors["correlation_matrix"] = expansion.sup_error * ones
    powers = {k: _pole_sum(_trace(dSigma[k][:, at_poles], Gp), residue, T) for k in names}
    coupling_scale = np.array([sum(float(np.linalg.norm(V[p], 2)) ** 2 for V in stack.V) for p in range(P)])
    for k in names:
        # |int f X| for X with int |X| <~ 2 |dSigma/dlambda| ~ 2 |V| |dV| / band: bounded via sup |f_N - f|
        errors[f"powers_SR:{k}"] = 2.0 * expansion.sup_error * (1.0 + coupling_scale) * ones

    state: dict[str, object] = {}
    # the universe's ln det at the poles (closed form) and through the vertical quadrature (check)
    L_closed = _log_det_upper(D[:, at_poles]) - n * np.log(iy)[None, :]
    trace_universe = np.trace(G[:, on_line] @ (eye - dSigma_dz[:, on_line]), axis1=-2, axis2=-1)
    K_universe = _cumulative_from_above(trace_universe - n / (1j * T * y_quad), w_quad * T, segment, N)
    log_quadrature_error = np.abs(_pole_sum(L_closed - K_universe, residue, T))

    if quantities == "state":
        h_minus_mu = stack.h - mu * eye
        E1 = _pole_sum(iy[None, :, None, None] * Gp - eye, residue, T, h_minus_mu)  # int A (e - mu) f
        N_S = np.real(np.trace(C, axis1=-2, axis2=-1))
        U_rel = np.real(np.trace(E1, axis1=-2, axis2=-1))
        U_S = mu * N_S + U_rel
        # system: K_S(z) = -int_z^{i inf} [G_S - 1/(w - mu)] dw at the poles, then int A omega
        K_S = _cumulative_from_above(G[:, on_line] - eye / (1j * T * y_quad)[None, :, None, None], w_quad * T, segment, N)
        A_omega = -(_pole_sum(K_S, residue, T, -h_minus_mu) + T * math.log(2.0) * eye)
        A_omega = 0.5 * (A_omega + np.conj(np.swapaxes(A_omega, -1, -2)))
        Omega_S = np.real(np.trace(A_omega, axis1=-2, axis2=-1))
        S_S = beta * (U_rel - Omega_S)
        # universe: Omega_U = -int n_U f, n_U the phase of det[z - h_S - Sigma] (closed form)
        first_moment_L = n * mu - np.real(np.trace(stack.h, axis1=-2, axis2=-1))
        Omega_U = -(_pole_sum(L_closed, residue, T, first_moment_L) + n * T * math.log(2.0))
        # reservoir: delta g_R has F = -Tr[G Sigma'] (M_1 = 0), and (z - mu) F for dU_R
        F_R = -_trace(Gp, dSigma_dz[:, at_poles])
        dN_R = _pole_sum(F_R, residue, T)
        dU_rel = _pole_sum(iy[None, :] * F_R, residue, T)
        dU_R = mu * dN_R + dU_rel
        dOmega_R = Omega_U - Omega_S
        dS_R = beta * (dU_rel - dOmega_R)
        H_SR = _pole_sum(2.0 * _trace(Sigma[:, at_poles], Gp), residue, T)
        # dC/dbeta at fixed mu: -T^2 sum_p R_p [G_p + i zeta_p T G'_p + h.c.], G' = -G (1 - Sigma') G
        dG_dz = -Gp @ (eye - dSigma_dz[:, at_poles]) @ Gp
        dC = -T * _pole_sum(Gp + iy[None, :, None, None] * dG_dz, residue, T)
        dC = 0.5 * (dC + np.conj(np.swapaxes(dC, -1, -2)))
        # expansion bounds (see module docstring), plus the vertical quadrature's error estimate
        e_U = n * T * expansion.sup_x_error
        e_Omega = n * T * expansion.integrated_error + log_quadrature_error
        state.update(
            N_S=N_S, U_S=U_S, S_S=S_S, Omega_S=Omega_S, dN_R=dN_R, dU_R=dU_R, dS_R=dS_R, dOmega_R=dOmega_R,
            H_SR=H_SR, log_one_minus_f_matrix=beta * A_omega, log_f_matrix=beta * (A_omega - h_minus_mu),
            correlation_matrix_beta_derivative=dC,
            sum_rule_residuals={"int g_S - n": np.zeros(P), "int delta g_R": np.zeros(P)},
        )  # fmt: skip
        errors.update(
            N_S=n * expansion.sup_error * ones,
            U_S=(e_U + abs(mu) * n * expansion.sup_error) * ones,
            S_S=beta * (e_U + e_Omega),
            Omega_S=e_Omega * ones,
            dN_R=2.0 * n * expansion.sup_error * ones,
            dU_R=2.0 * (e_U + abs(mu) * n * expansion.sup_error) * ones,
            dS_R=2.0 * beta * (e_U + e_Omega),
            dOmega_R=2.0 * e_Omega * ones,
            H_SR=2.0 * expansion.sup_error * (1.0 + coupling_scale),
            log_f_matrix=beta * e_Omega * ones,
            log_one_minus_f_matrix=beta * e_Omega * ones,
            correlation_matrix_beta_derivative=T * expansion.sup_x_derivative_error * ones,
        )  # fmt: skip

    if directions is not None:
        # Eq. (21), second term: int omega X, X the spectral part of term(z); by parts onto
        # K_term(z) = -int_z^{i inf} term(w) dw (term ~ 1/z^3: M_1 = 0, no subtraction)
        h_dot = np.array([sum((v * stack.dh[k][p] for k, v in d.items()), np.zeros((n, n), complex)) for p, d in enumerate(directions)])
        rate = {k: np.array([d.get(k, 0.0) for d in directions]) for k in names}
        Sigma_dot = sum(rate[k][:, None, None, None] * dSigma[k][:, on_line] for k in names)
        Gl = G[:, on_line]
        dG_dt = Gl @ (h_dot[:, None] + Sigma_dot) @ Gl
        dG_dz_line = -Gl @ (eye - dSigma_dz[:, on_line]) @ Gl
        term = _trace(dG_dt, dSigma_dz[:, on_line]) - _trace(dG_dz_line, Sigma_dot)
        K_term = _cumulative_from_above(term, w_quad * T, segment, N)
        state["nonlocal_density"] = -_pole_sum(K_term, residue, T)
        errors["nonlocal_density"] = (n * T * expansion.integrated_error + log_quadrature_error) * (1.0 + coupling_scale)

    state["expectation_H_S"], state["powers_S"] = system_traces(stack.h, stack.dh, C)
    if quantities == "state":
        state["bound_state_counts"] = bound_state_counts(model, points, stack.h, stack.V)
    return EnergyIntegrals(
        method="poles",
        correlation_matrix=C,
        powers_SR=powers,
        errors=errors,
        n_evaluations=M,
        converged=True,
        **state,  # type: ignore[arg-type]
    )
