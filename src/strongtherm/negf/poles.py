"""The pole-sum road of the Green's-function engine: every energy integral from G_S at a few tens
of points on the line Re z = mu (Kumar, Webb & Stafford 2024; DESIGN.md "Paper 000", trap 2).

**Fermi expansion.** Ozaki's continued fraction (Phys. Rev. B 75, 035123 (2007)) gives, with
x = beta (e - mu),

.. math:: f(x) \\approx f_N(x) = \\frac12 - \\sum_{p=1}^{N} R_p \\Big[\\frac{1}{x - i\\zeta_p}
          + \\frac{1}{x + i\\zeta_p}\\Big],

exact to rounding for abs(x) below a reach that grows as ~0.27 N^2 (measured, see
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
moments) over abs(x) <= beta x a rigorous spectral radius, measured on a fine grid, above a rounding
allowance; A_SS >= 0 with int A_SS = 1 makes the bound for C rigorous. The quadrature error of the
log kernels is estimated by running the universe through the same quadrature and comparing with
its closed form. The spectrum must be bounded (every continuum finite): a continuum reaching
infinity (Lorentzian band) or a reservoir without analytic continuation uses the contour road.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

import numpy as np
from scipy.linalg import eigh_tridiagonal
from scipy.special import expit

from ..thermal import Bath
from .contour import _Stack, _stack, check_request
from .energy_integrals import STATE_FIELDS, EnergyIntegrals, system_traces
from .integrate import QuadratureOptions
from .reservoirs import TightBindingChain, WideBand
from .spectral import _decoupled_states, _gaps
from .system import ModelPoint, OpenSystem

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
    four measures over abs(x) <= X: sup abs(f_N - f), sup abs(x (f_N - f)), int abs(f_N - f) dx (both signs)
    and sup abs(x (f_N' - f')). f_N - f is odd and f_N' - f' even, so x >= 0 suffices. The grid
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

    ``reach``: the abs(x) range on which the errors hold; ``sup_error`` = sup abs(f_N - f),
    ``sup_x_error`` = sup abs(x (f_N - f)), ``integrated_error`` = int abs(f_N - f) dx and
    ``sup_x_derivative_error`` = sup abs(x (f_N' - f')), all over abs(x) <= reach (truncation only;
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
    """The shortest Ozaki expansion whose errors on abs(x) <= ``reach`` are all <= ``tolerance``.

    Parameters
    ----------
    reach : float
        beta x (largest abs(e - mu) where spectral weight can be), >= 0.
    tolerance : float
        Bound on each of sup abs(f_N - f), sup abs(x (f_N - f)), int abs(f_N - f) dx, sup abs(x (f_N' - f')).

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


@lru_cache(maxsize=64)
def _reservoir_on_nodes(reservoir: object, T: float, mu: float, n_poles: int, top: int) -> tuple[np.ndarray, np.ndarray]:
    """g_r and dg_r/dz at the poles and the line nodes (they depend on the reservoir, T, mu and
    the rule only, not on the parameter point): computed once per set of nodes."""
    zeta, _ = _ozaki(n_poles)
    y_quad, _, _ = _vertical_rule(n_poles, top)
    z = mu + 1j * T * np.concatenate([zeta, y_quad])
    g = np.asarray(reservoir.surface_greens_function(z))  # type: ignore[attr-defined]
    dg = np.asarray(reservoir.surface_greens_function_derivative(z))  # type: ignore[attr-defined]
    g.setflags(write=False)
    dg.setflags(write=False)
    return g, dg


def _cumulative_from_above(values: np.ndarray, weights: np.ndarray, segment: np.ndarray, n_poles: int) -> np.ndarray:
    """K_p = -i sum_{q: s_q >= p} w_q values_q for every pole p; values (P, Q, ...) -> (P, N, ...)."""
    weighted = values * weights.reshape((1, -1) + (1,) * (values.ndim - 2))
    # segment is non-decreasing and holds every pole index: sum each run, then sum from the top
    per_segment = np.add.reduceat(weighted, np.searchsorted(segment, np.arange(n_poles)), axis=1)
    return -1j * np.cumsum(per_segment[:, ::-1], axis=1)[:, ::-1]


# ---------------------------------------------------------------------- the integrals
class _Algebra:
    """Stacked n x n matrix algebra on arrays (P, M, n, n); for n = 1 plain arrays (P, M), so the
    one-level models (the common case) run elementwise instead of through 1 x 1 matmuls."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.scalar = n == 1
        self.eye: np.ndarray | float = 1.0 if self.scalar else np.eye(n)

    def lift(self, X: np.ndarray) -> np.ndarray:
        """(P, n, n) model matrices -> broadcastable against (P, M, ...)."""
        return X[:, None, 0, 0] if self.scalar else X[:, None]

    def sandwich(self, V: np.ndarray, g: np.ndarray, W: np.ndarray) -> np.ndarray:
        """V^dag g W for stacked V, W (P, m, n) and g (M, m, m)."""
        if g.shape[-1] == 1:  # one surface orbital: an outer product times a scalar
            if self.scalar:
                return (np.conj(V[:, 0, 0]) * W[:, 0, 0])[:, None] * g[None, :, 0, 0]
            outer = np.conj(V[:, 0, :])[:, :, None] * W[:, 0, None, :]
            return g[None, :, 0, 0, None, None] * outer[:, None]
        out = np.conj(np.swapaxes(V, -1, -2))[:, None] @ g[None] @ W[:, None]
        return out[..., 0, 0] if self.scalar else out

    def mm(self, *factors: Any) -> Any:  # arrays, or numbers where n = 1 (elementwise)
        out = factors[0]
        for f in factors[1:]:
            out = out * f if self.scalar else out @ f
        return out

    def inv(self, X: np.ndarray) -> np.ndarray:
        return 1.0 / X if self.scalar else np.linalg.inv(X)

    def tr(self, X: Any) -> Any:
        return X if self.scalar else np.trace(X, axis1=-2, axis2=-1)

    def tr_mm(self, X: Any, Y: Any) -> Any:
        return X * Y if self.scalar else (X * np.swapaxes(Y, -1, -2)).sum(axis=(-2, -1))

    def log_det_upper(self, D: np.ndarray) -> np.ndarray:
        """ln det D on the branch continuous in the upper half plane: the sum of the principal Log
        of the eigenvalues, every one of which has Im > 0 when (D - D^dag) / 2i > 0."""
        return np.log(D) if self.scalar else np.log(np.linalg.eigvals(D)).sum(axis=-1)

    def pole_sum(self, F: np.ndarray, weights: np.ndarray, T: float, first_moment: np.ndarray | float = 0.0,
                 matrix: bool = False) -> np.ndarray:
        """M_1/2 + T sum_p R_p (F_p + F_p^dagger): F (P, N) traces, or (P, N[, n, n]) matrices
        returned as (P, n, n) Hermitian."""
        if not matrix or self.scalar:
            s = (2.0 * T) * (F.real @ weights)
            s = 0.5 * np.asarray(first_moment).real + s
            return s[:, None, None] if matrix else s
        summed = T * (F * weights[:, None, None]).sum(axis=1)
        return 0.5 * np.asarray(first_moment) + summed + np.conj(np.swapaxes(summed, -1, -2))


def _stacked_model(model: OpenSystem, points: Sequence[Mapping[str, float]], names: Sequence[str]) -> _Stack:
    """The model matrices of all points, validated once on the stack (shapes, finite entries,
    Hermitian h_S within check_hermitian's tolerance). Anything unusual (QuTiP operators, a model
    without exact derivatives, a bad matrix) takes the per-point road of :func:`.contour._stack`,
    which converts, differentiates numerically and raises the precise error."""
    n, R = model.n_levels, len(model.reservoirs)
    if model.system_hamiltonian_derivative is None or model.couplings_derivative is None:
        return _stack(model, points, names)
    try:
        h = np.array([model.system_hamiltonian(p) for p in points], dtype=complex)
        couplings = [tuple(model.couplings(p)) for p in points]
        V = tuple(np.array([c[r] for c in couplings], dtype=complex) for r in range(R))
        dh = {k: np.array([model.system_hamiltonian_derivative(p, k) for p in points], dtype=complex) for k in names}
        dV_all = {k: [tuple(model.couplings_derivative(p, k)) for p in points] for k in names}
        dV = {k: tuple(np.array([c[r] for c in dV_all[k]], dtype=complex) for r in range(R)) for k in names}
    except (TypeError, ValueError, IndexError):
        return _stack(model, points, names)
    P = len(points)
    shapes_ok = h.shape == (P, n, n) and all(
        v.shape == (P, res.n_surface, n) for v, res in zip(V, model.reservoirs, strict=True)
    ) and all(len(c) == R for c in couplings)
    shapes_ok = shapes_ok and all(dh[k].shape == h.shape for k in names)
    shapes_ok = shapes_ok and all(d.shape == v.shape for k in names for d, v in zip(dV[k], V, strict=True))
    if not shapes_ok:
        return _stack(model, points, names)
    arrays = [h, *V, *dh.values(), *(d for k in names for d in dV[k])]
    scale = np.maximum(1.0, np.abs(h).max(axis=(-2, -1)))
    deviation = np.abs(h - np.conj(np.swapaxes(h, -1, -2))).max(axis=(-2, -1))
    if not all(np.isfinite(a).all() for a in arrays) or np.any(deviation > 1e-12 * scale):
        return _stack(model, points, names)
    return _Stack(0.5 * (h + np.conj(np.swapaxes(h, -1, -2))), V, dh, dV)


def _spectral_radii(model: OpenSystem, h: np.ndarray, V: Sequence[np.ndarray], mu: float) -> np.ndarray | None:
    """Per point, a rigorous bound of max |e - mu| over the universe's spectrum: with c the centre
    of the continua, ||h - c|| <= max(||h_S - c||, max |band edge - c|) + ||V||, V the whole
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
    return abs(c - mu) + np.maximum(system_radius, reservoir_radius) + coupling_norm


def bound_state_counts(model: OpenSystem, points: Sequence[Mapping[str, float]], h: np.ndarray, V: Sequence[np.ndarray]) -> np.ndarray:
    """Number of bound states per point, as :func:`.spectral.bound_states` would find them, without
    root finding: D(e) = e - h_S - Sigma(e) has eigenvalues rising with e outside the continuum,
    so each gap holds (#negative at its bottom) - (#negative at its top) of them (one stacked
    eigvalsh per gap edge). Decoupled levels inside a continuum are counted exactly by
    :func:`.spectral._decoupled_states` for the points that may have one."""
    P, n = h.shape[0], h.shape[-1]
    alg = _Algebra(n)
    scale = 1.0 + np.abs(h).max(axis=(-2, -1)) + sum(np.abs(v).max(axis=(-2, -1)) ** 2 for v in V)
    gaps = _gaps(model)
    edges = [lo + 1e-12 * scale for lo, _ in gaps if np.isfinite(lo)] + [hi - 1e-12 * scale for _, hi in gaps if np.isfinite(hi)]
    e = np.stack(edges, axis=1) if edges else np.zeros((P, 0))  # (P, E) energies, one reservoir call
    D = (e if alg.scalar else e[..., None, None] * alg.eye) - alg.lift(h)
    for res, v in zip(model.reservoirs, V, strict=True):
        g = res.surface_greens_function(e)
        if alg.scalar and g.shape[-1] == 1:
            D = D - (np.abs(v[:, 0, 0]) ** 2)[:, None] * g[..., 0, 0]
        else:
            Sigma = np.conj(np.swapaxes(v, -1, -2))[:, None] @ g @ v[:, None]
            D = D - (Sigma[..., 0, 0] if alg.scalar else Sigma)
    if alg.scalar:
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
    if alg.scalar:
        levels = h[:, :, 0].real
        coupling = np.sqrt(sum((np.abs(v) ** 2).sum(axis=-2) for v in V))  # |V u| with u = 1
    else:
        levels, vectors = np.linalg.eigh(h)
        coupling = np.linalg.norm(np.concatenate(list(V), axis=-2) @ vectors, axis=-2)  # |V u_k|
    inside = np.zeros(levels.shape, dtype=bool)
    for lo, hi in model.continuum:
        inside |= (levels > lo) & (levels < hi)
    tol = 1e-8 * (1.0 + np.abs(levels).max(axis=-1, keepdims=True))
    spacing = np.diff(levels, axis=-1)
    degenerate = np.zeros(levels.shape, dtype=bool)
    degenerate[..., 1:] |= spacing < tol
    degenerate[..., :-1] |= spacing < tol
    suspect = np.any(inside & ((coupling < tol) | degenerate), axis=-1)
    for p in np.flatnonzero(suspect):
        point = ModelPoint(model, dict(points[int(p)]), h[p], tuple(v[p] for v in V))
        counts[p] += len(_decoupled_states(point))
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
    check_request(quantities, directions, points)
    n, P = model.n_levels, len(points)
    names = model.parameter_names
    stack = _stacked_model(model, points, names)
    radii = _spectral_radii(model, stack.h, stack.V, bath.mu)
    if radii is None:
        raise ValueError(
            f"the pole road needs a bounded spectrum, but a continuum of {model.name} reaches infinity; use method='contour'"
        )
    atol = float(options.atol)
    # rounding floor of the sums below: ~ eps sqrt(number of terms) x (largest energy scale),
    # with a margin (measured: ~1e-15 relative to the energy scale on the test set)
    floor = 2e-15 * n * max(1.0, float(radii.max()) + abs(bath.mu))
    if atol < floor:
        raise ValueError(
            f"tolerance atol={atol:g} is below what the pole expansion can reach in double precision "
            f"for this model (about {floor:.1g}); use atol >= {floor:.1g}"
        )
    # the strictest bound below is the entropy's n (sup|x err| + int|err|): share atol among them.
    # Points are grouped by the pole count their own spectral radius needs (the cost per point is
    # ~ linear in it); a group runs with the expansion of its widest member, and no member needs
    # fewer than 1/1.25 of its poles, so a batch never costs much more than its points one by one
    tolerance = atol / (4.0 * n)
    if P == 1:
        counts = np.array([fermi_pole_expansion(bath.beta * float(radii[0]), tolerance).n_poles])
    else:  # one expansion per reach bucket (see _bucket), not per point
        buckets, inverse = np.unique(np.ceil(16.0 * np.log2(np.maximum(bath.beta * radii, 1.0))), return_inverse=True)
        per_bucket = [fermi_pole_expansion(2.0 ** (b / 16.0), tolerance).n_poles for b in buckets]
        counts = np.array(per_bucket)[inverse.ravel()]
    order = np.argsort(counts, kind="stable")
    groups: list[np.ndarray] = []
    start = 0
    for k in range(1, P + 1):
        if k == P or counts[order[k]] > 1.25 * counts[order[start]]:
            groups.append(np.sort(order[start:k]))
            start = k
    parts = []
    for idx in groups:
        sub = stack if len(groups) == 1 else _Stack(stack.h[idx], tuple(v[idx] for v in stack.V), {k: d[idx] for k, d in stack.dh.items()},
                     {k: tuple(d[idx] for d in ds) for k, ds in stack.dV.items()})  # fmt: skip
        widest = float(radii[idx].max())
        parts.append(_integrals_of_group(
            model, bath, [points[i] for i in idx], sub, fermi_pole_expansion(bath.beta * widest, tolerance), widest,
            quantities, None if directions is None else [directions[i] for i in idx],
        ))  # fmt: skip
    merged = parts[0] if len(parts) == 1 else _merge(parts, groups, P)
    if quantities == "state" and P > 1:
        # counted for batches (sweeps write n_bound_states); a single state counts on demand
        merged = replace(merged, bound_state_counts=bound_state_counts(model, points, stack.h, stack.V))
    return merged


def _merge(parts: Sequence[EnergyIntegrals], indices: Sequence[np.ndarray], P: int) -> EnergyIntegrals:
    """One EnergyIntegrals of P points from groups of them (``indices``: their places)."""

    def join(arrays: Sequence[np.ndarray]) -> np.ndarray:
        out = np.empty((P,) + arrays[0].shape[1:], dtype=np.result_type(*arrays))
        for a, ix in zip(arrays, indices, strict=True):
            out[ix] = a
        return out

    def join_map(maps: Sequence[Mapping[str, np.ndarray]]) -> dict[str, np.ndarray]:
        return {k: join([m[k] for m in maps]) for k in maps[0]}

    first = parts[0]
    fields: dict[str, object] = {}
    for name in (*STATE_FIELDS, "nonlocal_density", "expectation_H_S", "bound_state_counts"):
        if getattr(first, name) is not None:
            fields[name] = join([getattr(p, name) for p in parts])
    for name in ("powers_SR", "powers_S", "errors", "sum_rule_residuals"):
        fields[name] = join_map([getattr(p, name) for p in parts])
    return EnergyIntegrals(
        method=first.method,
        correlation_matrix=join([p.correlation_matrix for p in parts]),
        n_evaluations=max(p.n_evaluations for p in parts),
        converged=all(p.converged for p in parts),
        **fields,  # type: ignore[arg-type]
    )


def _integrals_of_group(
    model: OpenSystem,
    bath: Bath,
    points: Sequence[Mapping[str, float]],
    stack: _Stack,
    expansion: FermiPoleExpansion,
    radius: float,
    quantities: str,
    directions: Sequence[Mapping[str, float]] | None,
) -> EnergyIntegrals:
    """:func:`pole_integrals` for points that share one Fermi expansion."""
    n, P = model.n_levels, len(points)
    names = model.parameter_names
    T, mu, beta = bath.T, bath.mu, bath.beta
    zeta, residue = expansion.poles, expansion.residues
    N = zeta.size
    top = max(0, math.ceil(math.log(4.0 * beta * radius / zeta[-1]))) if zeta[-1] < 4.0 * beta * radius else 0
    y_quad, w_quad, segment = _vertical_rule(N, top)
    w_line = w_quad * T
    want_state = quantities == "state"
    alg = _Algebra(n)
    eye = alg.eye

    # G_S at the poles z_p = mu + i zeta_p T (everything) and on the line nodes (antiderivatives)
    z_p = mu + 1j * T * zeta
    z_l = mu + 1j * T * y_quad
    iy = z_p - mu
    h = alg.lift(stack.h)
    if not alg.scalar:
        z_p_, z_l_ = z_p[:, None, None] * eye, z_l[:, None, None] * eye
    else:
        z_p_, z_l_ = z_p, z_l
    g_all, dg_all = zip(*(_reservoir_on_nodes(res, T, mu, N, top) for res in model.reservoirs), strict=True)  # type: ignore[arg-type]  # reservoirs are frozen dataclasses (hashable); the Protocol cannot say so
    g_p, g_l = [g[:N] for g in g_all], [g[N:] for g in g_all]
    dg_p, dg_l = [g[:N] for g in dg_all], [g[N:] for g in dg_all]
    Sigma_p = sum(alg.sandwich(V, g, V) for V, g in zip(stack.V, g_p, strict=True))
    Sigma_l = sum(alg.sandwich(V, g, V) for V, g in zip(stack.V, g_l, strict=True))
    dSz_p = sum(alg.sandwich(V, g, V) for V, g in zip(stack.V, dg_p, strict=True))
    dSz_l = sum(alg.sandwich(V, g, V) for V, g in zip(stack.V, dg_l, strict=True))
    D_p = z_p_ - h - Sigma_p
    G_p = alg.inv(D_p)
    G_l = alg.inv(z_l_ - h - Sigma_l)
    one_minus_dSz_p = eye - dSz_p

    errors: dict[str, np.ndarray] = {}
    ones = np.ones(P)
    C = alg.pole_sum(G_p, residue, T, eye, matrix=True)
    errors["correlation_matrix"] = expansion.sup_error * ones
    coupling_scale = sum((np.abs(V) ** 2).sum(axis=(-2, -1)) for V in stack.V)
    powers = {}
    for k in names:
        dSigma_k = sum(
            alg.sandwich(dV, g, V) + alg.sandwich(V, g, dV) for V, dV, g in zip(stack.V, stack.dV[k], g_p, strict=True)
        )
        powers[k] = alg.pole_sum(alg.tr_mm(dSigma_k, G_p), residue, T)
        # int f X with int |X| <~ 2 |V| |dV| per unit band: bounded through sup |f_N - f|
        errors[f"powers_SR:{k}"] = 2.0 * expansion.sup_error * (1.0 + coupling_scale)

    # the universe's ln det at the poles (closed form) and through the line quadrature (a check)
    L_closed = alg.log_det_upper(D_p) - n * np.log(iy)
    trace_universe = alg.tr(alg.mm(G_l, eye - dSz_l)) - n / (z_l - mu)
    K_universe = _cumulative_from_above(trace_universe, w_line, segment, N)
    log_quadrature_error = np.abs(alg.pole_sum(L_closed - K_universe, residue, T))

    state: dict[str, object] = {}
    if want_state:
        h_minus_mu = stack.h - mu * np.eye(n)
        trace_h = np.real(np.trace(stack.h, axis1=-2, axis2=-1))
        # int A (e - mu) f: F = (z - mu) G - 1, M_1 = h_S - mu (first-moment sum rule)
        E1 = alg.pole_sum(iy[:, None, None] * G_p - eye if not alg.scalar else iy * G_p - 1.0, residue, T,
                          h_minus_mu if not alg.scalar else h_minus_mu[:, 0, 0], matrix=True)  # fmt: skip
        N_S = np.real(np.trace(C, axis1=-2, axis2=-1))
        U_rel = np.real(np.trace(E1, axis1=-2, axis2=-1))
        # system: K_S(z) = -int_z^{i inf} [G_S - 1/(w - mu)] dw at the poles, then int A omega
        subtraction = 1.0 / (z_l - mu)
        K_S = _cumulative_from_above(G_l - (subtraction if alg.scalar else subtraction[:, None, None] * eye), w_line, segment, N)
        A_omega = -alg.pole_sum(K_S, residue, T, -h_minus_mu if not alg.scalar else -h_minus_mu[:, 0, 0], matrix=True)
        A_omega = A_omega - T * math.log(2.0) * np.eye(n)
        Omega_S = np.real(np.trace(A_omega, axis1=-2, axis2=-1))
        # universe: Omega_U = -int n_U f, n_U from the phase of det[z - h_S - Sigma] (closed form)
        Omega_U = -(alg.pole_sum(L_closed, residue, T, n * mu - trace_h) + n * T * math.log(2.0))
        # reservoir: delta g_R has F = -Tr[G Sigma'] (M_1 = 0), and (z - mu) F for dU_R
        F_R = -alg.tr_mm(G_p, dSz_p)
        dN_R = alg.pole_sum(F_R, residue, T)
        dU_rel = alg.pole_sum(iy * F_R, residue, T)
        dOmega_R = Omega_U - Omega_S
        H_SR = alg.pole_sum(2.0 * alg.tr_mm(Sigma_p, G_p), residue, T)
        # dC/dbeta at fixed mu: -T^2 sum_p R_p [G_p + i zeta_p T G'_p + h.c.], G' = -G (1 - Sigma') G
        dG_dz = -alg.mm(G_p, one_minus_dSz_p, G_p)
        dC = -T * alg.pole_sum(G_p + (iy * dG_dz if alg.scalar else iy[:, None, None] * dG_dz), residue, T, matrix=True)
        # expansion bounds (see module docstring), plus the line quadrature's error estimate
        e_U = n * T * expansion.sup_x_error
        e_Omega = n * T * expansion.integrated_error + log_quadrature_error
        state.update(
            N_S=N_S, U_S=mu * N_S + U_rel, S_S=beta * (U_rel - Omega_S), Omega_S=Omega_S,
            dN_R=dN_R, dU_R=mu * dN_R + dU_rel, dS_R=beta * (dU_rel - dOmega_R), dOmega_R=dOmega_R,
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
        # K_term(z) = -int_z^{i inf} term(w) dw (term ~ 1/z^3: M_1 = 0, no subtraction).
        # d/dt acts through h_dot = sum_k rate_k dh/dk and V_dot = sum_k rate_k dV/dk.
        rates = [[float(d.get(k, 0.0)) for k in names] for d in directions]
        h_dot = np.einsum("pk,kpij->pij", rates, np.array([stack.dh[k] for k in names]))
        V_dot = [np.einsum("pk,kpij->pij", rates, np.array([stack.dV[k][r] for k in names])) for r in range(len(stack.V))]
        Sigma_dot = sum(
            alg.sandwich(Vd, g, V) + alg.sandwich(V, g, Vd) for V, Vd, g in zip(stack.V, V_dot, g_l, strict=True)
        )
        dG_dt = alg.mm(G_l, alg.lift(h_dot) + Sigma_dot, G_l)
        dG_dz_line = -alg.mm(G_l, eye - dSz_l, G_l)
        term = alg.tr_mm(dG_dt, dSz_l) - alg.tr_mm(dG_dz_line, Sigma_dot)
        K_term = _cumulative_from_above(term, w_line, segment, N)
        state["nonlocal_density"] = -alg.pole_sum(K_term, residue, T)
        errors["nonlocal_density"] = (n * T * expansion.integrated_error + log_quadrature_error) * (1.0 + coupling_scale)

    state["expectation_H_S"], state["powers_S"] = system_traces(stack.h, stack.dh, C)
    return EnergyIntegrals(
        method="poles",
        correlation_matrix=C,
        powers_SR=powers,
        errors=errors,
        n_evaluations=N + y_quad.size,
        converged=True,
        **state,  # type: ignore[arg-type]
    )
