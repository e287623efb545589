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
  nodes, sum_p R_p K_S(z_p) = -i T sum_q v_q F_q (:func:`_vertical_rule`); it is taken of
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
(:class:`_Functionals`); models affine in their parameters are evaluated for a whole batch by
one matrix product per matrix. For one level with one surface orbital per reservoir (every
built-in one-level model) every node function is a fixed function of z times G_S or G_S^2, since
Sigma = sum_r abs(V_r)^2 g_r: the weights are folded with g_r and g_r' once per set of nodes
(:func:`_one_level_weights`), and two node arrays (G_S, G_S^2) give every sum, G_S - 1/(z - mu)
included, as (eps - mu + Sigma) G_S / (z - mu). A batch costs P x (N + Q) elements, N ~
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
import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache, reduce
from typing import Any, NamedTuple

import numpy as np
from scipy.linalg import eigh_tridiagonal
from scipy.special import expit

from ..thermal import Bath
from .contour import _Stack, _stack, check_request
from .energy_integrals import (
    MATRIX_FIELDS,
    EnergyIntegrals,
    column_names,
    system_traces,
)
from .integrate import DEFAULT_OPTIONS, QuadratureOptions
from .reservoirs import TightBindingChain, WideBand
from .spectral import _decoupled_states, _gaps
from .system import ModelPoint, OpenSystem

__all__ = [
    "POLE_REACH_LIMIT", "EvaluatedModel", "FermiPoleExpansion", "PointColumns", "affordable", "bound_state_counts", "evaluate",
    "fermi_pole_expansion", "pole_integrals", "rounding_floor", "single_point", "supports_poles",
]  # fmt: skip

_EPS = float(np.finfo(float).eps)
#: below this the expansion's truncation error is hidden by the rounding of its sums
_ROUNDING_FLOOR = 1e-15
#: largest number of poles tried before the requested accuracy is declared out of reach: the
#: expansion's set-up (an eigenproblem of size 2N) takes ~0.3 s at N = 800 and grows as N^2, and
#: beyond the default road's reach (2e4, ~330 poles) the contour costs less anyway
MAX_POLES = 1000
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
    return _supports(model.reservoirs, model.continuum)


@lru_cache(maxsize=64)
def _supports(reservoirs: tuple, continuum: tuple[tuple[float, float], ...]) -> bool:
    for res in reservoirs:
        known = isinstance(res, (TightBindingChain, WideBand)) or bool(getattr(res, "analytic_continuation", False))
        if not known:
            return False
    return all(math.isfinite(e) for iv in continuum for e in iv)


# ---------------------------------------------------------------------- Fermi expansion
@lru_cache(maxsize=256)
def _ozaki(n_poles: int) -> tuple[np.ndarray, np.ndarray]:
    """Ozaki's continued-fraction poles zeta_p (ascending) and residues R_p, N = n_poles."""
    m = np.arange(1, 2 * n_poles)
    b = 1.0 / (2.0 * np.sqrt((2.0 * m - 1.0) * (2.0 * m + 1.0)))
    # eigenpairs of the symmetric tridiagonal matrix with zero diagonal and off-diagonal b;
    # the eigenvalues come in +- pairs, the positive ones are 1 / zeta_p. (Inverse iteration on
    # the positive half: MRRR, lapack_driver="stemr", is 3x faster but its small first
    # components lose ~1e-10 relative accuracy, and N = 330 then no longer reaches 2.5e-12)
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


#: grid of the reach and tolerance buckets: 2^(1/_STEPS_PER_OCTAVE) steps
_STEPS_PER_OCTAVE = 16


@lru_cache(maxsize=64)
def _tolerance_bucket(tolerance: float) -> float:
    """The tolerance rounded down to the grid of :func:`_bucket` (a few distinct values per run)."""
    return _bucket(tolerance) / 2.0 ** (1.0 / _STEPS_PER_OCTAVE)


def _bucket_index(value: float) -> int:
    """k of the grid value 2^(k / _STEPS_PER_OCTAVE) at or above ``value`` (:func:`_bucket`)."""
    return math.ceil(_STEPS_PER_OCTAVE * math.log2(value))


def _bucket(value: float) -> float:
    # round the reach up (and the tolerance, then divided by the step, down) to a grid of
    # 2^(1/16) steps, so that nearby temperatures and tolerances share one cache entry
    return _bucket_value(_bucket_index(value))


def _bucket_value(index: int) -> float:
    return float(2.0 ** (index / _STEPS_PER_OCTAVE))


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
    if not (isinstance(reach, (int, float, np.floating)) and math.isfinite(reach) and reach >= 0.0):
        raise ValueError(f"reach (beta x spectral radius) must be finite and >= 0, got {reach!r}")
    if not (isinstance(tolerance, (int, float, np.floating)) and tolerance > 0.0 and math.isfinite(tolerance)):
        raise ValueError(f"tolerance must be a positive finite number, got {tolerance!r}")
    if tolerance < _ROUNDING_FLOOR:
        raise ValueError(
            f"the Fermi pole expansion cannot reach tolerance {tolerance:g}: its N-term sums are only "
            f"accurate to rounding, ~{_ROUNDING_FLOOR:g}; use tolerance >= {_ROUNDING_FLOOR:g}"
        )
    return _expansion(_bucket(max(reach, 1.0)), _tolerance_bucket(tolerance))


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


#: widest panel (in u = ln Im z) of the line quadrature among the poles: wider panels need fewer
#: nodes per unit length (rho -> 1 + strip / half-width), down to ~16 per unit at 1e-16
_PANEL_WIDTH = 3.0


@lru_cache(maxsize=64)
def _partial_integrals(m: int, t: tuple[float, ...]) -> np.ndarray:
    """c[p, i] = int_{t_p}^1 l_i(x) dx for the Lagrange basis l_i of the m Gauss-Legendre nodes:
    int_{t}^{1} phi ~ sum_i c[., i] phi(x_i), exact for polynomials of degree < m. From the
    discrete orthogonality of the rule, l_i = W_i sum_{k<m} (2k + 1)/2 P_k(x_i) P_k, and
    int_t^1 P_k = (P_{k-1}(t) - P_{k+1}(t)) / (2k + 1) (k >= 1), 1 - t (k = 0)."""
    x, W = _gauss_legendre(m)
    at = np.asarray(t, dtype=float)
    P_t = np.polynomial.legendre.legvander(at, m)  # (T, m + 1)
    k = np.arange(1, m)
    integrals = np.empty((at.size, m))
    integrals[:, 0] = 1.0 - at
    integrals[:, 1:] = (P_t[:, k - 1] - P_t[:, k + 1]) / (2 * k + 1)
    basis = 0.5 * (2 * np.arange(m) + 1) * np.polynomial.legendre.legvander(x, m - 1)  # (m nodes, m degrees)
    return (integrals @ basis.T) * W


def _nodes_for(half_width: float, interpolated: bool) -> int:
    """Gauss-Legendre nodes on a panel of ``half_width`` in u for an integrand analytic in the strip
    abs(Im u) < _STRIP (Bernstein ellipse rho): the full-panel rule errs ~rho^(-2m), the
    interpolant's partial integrals ~rho^(-m)."""
    ratio = _STRIP / half_width
    rho = ratio + math.sqrt(ratio * ratio + 1.0)
    return max(3, math.ceil((1.0 if interpolated else 0.5) * math.log(1.0 / _GL_TARGET) / math.log(rho)))


@lru_cache(maxsize=256)
def _vertical_rule(n_poles: int, top_decades: int) -> tuple[np.ndarray, np.ndarray]:
    """Nodes y_q (in units of T) and folded weights v_q (measure dy, units of T) of the line
    quadrature: sum_p R_p int_{zeta_p}^inf F(y) dy ~ sum_q v_q F(y_q) for F analytic in
    abs(Im ln y) < pi/2 and ~ 1/y^2 at large y (the pole sum of the log kernels, see
    :class:`_Functionals`).

    In u = ln y: from the lowest pole to the highest, equal panels of at most
    :data:`_PANEL_WIDTH`, on which each pole inside a panel gets the partial integral of the
    panel's interpolant from its own u up (:func:`_partial_integrals`), and the nodes above it
    their full weights; above the highest pole ``top_decades`` panels of width 1 and a tail y =
    Y / v, v in (0, 1], with the plain rule. The panels follow the integrand's analyticity, not
    the pole spacing (1 / p in u at the p-th pole): ~16 nodes per unit of u whatever N.
    """
    zeta, residue = _ozaki(n_poles)
    u_poles = np.log(zeta)
    low, high = float(u_poles[0]), float(u_poles[-1])
    n_panels = max(1, math.ceil((high - low) / _PANEL_WIDTH))
    edges = np.linspace(low, high, n_panels + 1)
    edges[-1] = high
    nodes, weights = [], []
    # the pole region: a pole counts as below a panel from the panel's bottom edge on (its partial
    # integral there is the full one), and the highest pole as below everything above the region
    for a, b in zip(edges[:-1], edges[1:], strict=True):
        h = 0.5 * (b - a)
        m = _nodes_for(h, interpolated=True)
        x, W = _gauss_legendre(m)
        y = np.exp(0.5 * (a + b) + h * x)
        below = float(residue[u_poles <= a].sum())
        inside = (u_poles > a) & (u_poles < b)
        fold = below * W
        if inside.any():
            t = tuple(((u_poles[inside] - 0.5 * (a + b)) / h).tolist())
            fold = fold + residue[inside] @ _partial_integrals(m, t)
        nodes.append(y)
        weights.append(fold * h * y)  # dy = y du
    total = float(residue.sum())
    m = _nodes_for(0.5, interpolated=False)
    x, W = _gauss_legendre(m)
    for j in range(top_decades):
        y = np.exp(high + j + 0.5 + 0.5 * x)
        nodes.append(y)
        weights.append(total * W * 0.5 * y)
    # tail above Y: y = Y / v, dy = Y / v^2 dv on (0, 1]; the integrand is ~ const / y^2 there
    Y = math.exp(high + top_decades)
    x, W = _gauss_legendre(12)
    v = 0.5 * (x + 1.0)
    nodes.append(Y / v)
    weights.append(total * 0.5 * W * Y / v**2)
    out = np.concatenate(nodes), np.concatenate(weights)
    for array in out:
        array.setflags(write=False)
    return out


@dataclass(frozen=True)
class _Functionals:
    """Every pole sum as a linear functional of values at M = N + Q points: the N poles
    z_p = mu + i zeta_p T first, then the Q nodes of the line quadrature (:func:`_vertical_rule`).

    For values F_m, ``F @ weights`` gives three sums (columns):

    0. sum_p R_p F(z_p);
    1. sum_p R_p (z_p - mu) F(z_p);
    2. sum_p R_p K(z_p) with K(z) = -int_z^{i inf} F(w) dw, the antiderivative down the line
       Re w = mu: K(z_p) = -i T int_{zeta_p}^inf F dy, and the double sum folds into one,
       sum_p R_p K(z_p) = -i T sum_q v_q F_q with the folded weights v_q of :func:`_vertical_rule`.

    A pole sum of Hermitian-valued spectral parts is then T (S + S^dagger) (module docstring).
    """

    z: np.ndarray  # (M,)
    weights: np.ndarray  # (M, 3) complex: columns 0-2 above
    real_weights: np.ndarray  # (2 M, 3): Re(F @ weights) = F.view(float) @ real_weights
    line_shift: np.ndarray  # 1 / (z - mu) on the line nodes, 0 at the poles, (M,)
    log_iy_sum: complex  # sum_p R_p Log(z_p - mu), principal branch
    n_poles: int
    residues: np.ndarray  # R_p, (N,): column 0 of weights at the poles


@lru_cache(maxsize=64)
def _functionals(T: float, mu: float, n_poles: int, top_decades: int) -> _Functionals:
    zeta, residue = _ozaki(n_poles)
    y_line, folded = _vertical_rule(n_poles, top_decades)
    iy = 1j * T * np.concatenate([zeta, y_line])
    weights = np.zeros((iy.size, 3), dtype=complex)
    weights[:n_poles, 0] = residue
    weights[:n_poles, 1] = residue * iy[:n_poles]
    weights[n_poles:, 2] = -1j * T * folded
    line_shift = np.concatenate([np.zeros(n_poles), 1.0 / iy[n_poles:]])
    # F viewed as floats interleaves (Re F_m, Im F_m): Re(F w) = Re F Re w - Im F Im w
    real_weights = np.empty((2 * iy.size, 3))
    real_weights[0::2], real_weights[1::2] = weights.real, -weights.imag
    out = _Functionals(mu + iy, weights, real_weights, line_shift, complex(np.log(iy[:n_poles]) @ residue), n_poles, residue)
    for a in (out.z, out.weights, out.real_weights, out.line_shift):
        a.setflags(write=False)
    return out


@dataclass(frozen=True)
class _Surfaces:
    """g_r and dg_r/dz of every reservoir at the poles and the line nodes, (M, m_r, m_r) each;
    where every reservoir has one surface orbital also as (R, M) arrays ``g_flat``, ``dg_flat``."""

    g: tuple[np.ndarray, ...]
    dg: tuple[np.ndarray, ...]
    g_flat: np.ndarray | None
    dg_flat: np.ndarray | None


@lru_cache(maxsize=64)
def _surfaces(reservoirs: tuple, T: float, mu: float, n_poles: int, top: int) -> _Surfaces:
    """:class:`_Surfaces` (they depend on the reservoirs, T, mu and the rule only, not on the
    parameter point): computed once per set of nodes."""
    z = _functionals(T, mu, n_poles, top).z
    g = tuple(np.asarray(res.surface_greens_function(z)) for res in reservoirs)
    dg = tuple(np.asarray(res.surface_greens_function_derivative(z)) for res in reservoirs)
    single = all(a.shape[-1] == 1 for a in g)
    g_flat = np.array([a[:, 0, 0] for a in g]) if single else None
    dg_flat = np.array([a[:, 0, 0] for a in dg]) if single else None
    for a in (*g, *dg, *((g_flat, dg_flat) if single else ())):
        a.setflags(write=False)
    return _Surfaces(g, dg, g_flat, dg_flat)


class _Algebra:
    """Stacked n x n matrix algebra on arrays (P, M, n, n); for n = 1 plain arrays (P, M), so the
    one-level models (the common case) run elementwise instead of through 1 x 1 matmuls."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.scalar = n == 1
        self.eye: np.ndarray | float = 1.0 if self.scalar else np.eye(n)
        self.unit = np.eye(n)  # the unit matrix also where n = 1 (for (P, n, n) results)
        self.unit.setflags(write=False)

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

    def real_trace(self, X: np.ndarray) -> np.ndarray:
        """Re Tr X of stacked (P, n, n) matrices."""
        return X[:, 0, 0].real if self.scalar else np.trace(X, axis1=-2, axis2=-1).real

    def tr_mm(self, X: Any, Y: Any) -> Any:
        return X * Y if self.scalar else (X * np.swapaxes(Y, -1, -2)).sum(axis=(-2, -1))

    def log_det_upper(self, D: np.ndarray) -> np.ndarray:
        """ln det D on the branch continuous in the upper half plane: the sum of the principal Log
        of the eigenvalues, every one of which has Im > 0 when (D - D^dag) / 2i > 0."""
        return np.log(D) if self.scalar else np.log(np.linalg.eigvals(D)).sum(axis=-1)

    def times_eye(self, x: np.ndarray) -> np.ndarray:
        """x (shape (M,) or (P, M)) times the unit matrix (for n = 1, x itself)."""
        return x if self.scalar else x[..., None, None] * self.eye

    def node_sums(self, matrices: Sequence[np.ndarray], traces: Sequence[np.ndarray],
                  functionals: _Functionals) -> tuple[np.ndarray, np.ndarray]:
        """sum_m F_m weights[m, c] of every F at once: ``matrices`` (P, M[, n, n]) each ->
        (L, P, n, n, C), ``traces`` (P, M) each -> (K, P, C). For n = 1 only the real parts,
        which is all that the pole sums of one level need: one real (K P, 2 M) x (2 M, C) product."""
        if self.scalar:
            arrays = [*matrices, *traces]
            sums = np.concatenate(arrays).view(float).dot(functionals.real_weights).reshape(len(arrays), -1, 3)
            return sums[: len(matrices), :, None, None, :], sums[len(matrices):]
        weights = functionals.weights
        traced = np.stack(traces) @ weights if traces else np.zeros((0, 0, weights.shape[1]))
        return np.einsum("lpmij,mc->lpijc", np.stack(matrices), weights), traced

    def hermitian_sum(self, S: np.ndarray, T: float) -> np.ndarray:
        """T (S + S^dagger) of stacked (P, n, n) sums: the pole sum of a spectral part."""
        return (2.0 * T) * S.real if self.scalar else T * (S + np.conj(np.swapaxes(S, -1, -2)))


@lru_cache(maxsize=16)
def _algebra(n: int) -> _Algebra:
    return _Algebra(n)


def _affine_parts(model: OpenSystem) -> tuple[Any, Any] | None:
    """h_S and the couplings of a model affine in its parameters (:mod:`strongtherm.models.affine`),
    with the derivatives they define; None for any other model."""
    h_fn, V_fn = model.system_hamiltonian, model.couplings
    # duck-typed: models.affine imports this package (AffineMatrix, AffineCouplings)
    affine = hasattr(h_fn, "stacked") and hasattr(V_fn, "stacked")
    affine = affine and getattr(model.system_hamiltonian_derivative, "__self__", None) is h_fn
    if not (affine and getattr(model.couplings_derivative, "__self__", None) is V_fn):
        return None
    return h_fn, V_fn


def _affine_matrices(model: OpenSystem, points: Sequence[Mapping[str, float]], names: Sequence[str]) -> tuple | None:
    """h, V, dh, dV of a model affine in its parameters (:mod:`strongtherm.models.affine`), by one
    matrix product per matrix instead of one call per point; None for any other model."""
    affine = _affine_parts(model)
    if affine is None:
        return None
    h_fn, V_fn = affine
    P = len(points)
    h = h_fn.stacked(points)
    V = V_fn.stacked(points)
    dh = {k: h_fn.stacked_derivative(P, k) for k in names}
    dV = {k: V_fn.stacked_derivative(P, k) for k in names}
    real = bool(h_fn.real and V_fn.real)
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


def _real_points(stack: _Stack) -> np.ndarray:
    """Per point, True where h_S and every coupling are real."""
    return ~_total(np.any(M.imag != 0.0, axis=(-2, -1)) for M in (stack.h, *stack.V))


def _stacked_model(model: OpenSystem, points: Sequence[Mapping[str, float]], names: Sequence[str]) -> tuple[_Stack, np.ndarray]:
    """The model matrices of all points, validated once on the stack (shapes, finite entries,
    Hermitian h_S within check_hermitian's tolerance), and which points are real (see
    :class:`EvaluatedModel`). Anything unusual (QuTiP operators, a model without exact
    derivatives, a bad matrix) takes the per-point road of :func:`.contour._stack`, which
    converts, differentiates numerically and raises the precise error."""
    n = model.n_levels

    def per_point() -> tuple[_Stack, np.ndarray]:
        stack = _stack(model, points, names)
        return stack, _real_points(stack)

    if model.system_hamiltonian_derivative is None or model.couplings_derivative is None:
        return per_point()
    try:
        evaluated = _affine_matrices(model, points, names)
        affine = evaluated is not None
        h, V, dh, dV, hermitian, real = evaluated or _called_matrices(model, points, names)
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
    # finite: for an affine model, a non-finite slope makes h non-finite too (0 x inf = nan)
    derivatives = () if affine else [*dh.values(), *(d for k in names for d in dV[k])]
    if not all(np.isfinite(a).all() for a in (h, *V, *derivatives)):
        return per_point()
    if not hermitian:
        h_dagger = np.conj(np.swapaxes(h, -1, -2))
        scale = np.maximum(1.0, np.abs(h).max(axis=(-2, -1)))
        if np.any(np.abs(h - h_dagger).max(axis=(-2, -1)) > 1e-12 * scale):
            return per_point()
        h = 0.5 * (h + h_dagger)
    stack = _Stack(h, V, dh, dV)
    return stack, (np.ones(P, dtype=bool) if real else _real_points(stack))


@dataclass(frozen=True)
class _OneLevel:
    """One level with one surface orbital per reservoir at P points: every model matrix is a
    number. ``eps`` (P,) level energies; ``V`` (R, P) couplings; ``dh`` (K, P) and ``dV`` (K, R, P)
    their derivatives by each of the K parameters (last axis 1 where they are the same at every
    point, as in an affine model)."""

    eps: np.ndarray
    V: np.ndarray
    dh: np.ndarray
    dV: np.ndarray

    @classmethod
    def from_stack(cls, stack: _Stack, names: Sequence[str]) -> _OneLevel:
        return cls(
            stack.h[:, 0, 0].real,
            np.array([v[:, 0, 0] for v in stack.V]),
            np.array([stack.dh[k][:, 0, 0].real for k in names]).reshape(len(names), -1),
            np.array([[d[:, 0, 0] for d in stack.dV[k]] for k in names]).reshape(len(names), len(stack.V), -1),
        )

    def point(self) -> _OnePoint:
        """The numbers of a single point (P = 1)."""
        return _OnePoint.of(float(self.eps[0]), self.V[:, 0].tolist(), self.dh[:, 0].tolist(), self.dV[..., 0].tolist())

    def take(self, idx: np.ndarray) -> _OneLevel:
        def pick(a: np.ndarray) -> np.ndarray:
            return a if a.shape[-1] == 1 else a[..., idx]

        return _OneLevel(self.eps[idx], self.V[:, idx], pick(self.dh), pick(self.dV))

    def stack(self, names: Sequence[str]) -> _Stack:
        """The same as (P, 1, 1) matrices (:class:`.contour._Stack`)."""
        P = self.eps.size

        def matrices(a: np.ndarray) -> np.ndarray:
            return np.broadcast_to(a.astype(complex)[:, None, None], (P, 1, 1))

        return _Stack(
            matrices(self.eps),
            tuple(matrices(v) for v in self.V),
            {k: matrices(d) for k, d in zip(names, self.dh, strict=True)},
            {k: tuple(matrices(d) for d in ds) for k, ds in zip(names, self.dV, strict=True)},
        )


class _OnePoint(NamedTuple):
    """:class:`_OneLevel` of a single point in Python numbers: eps, V_r, dh/dk, dV_r/dk (lists over
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
    def of(cls, eps: float, V: list[complex], dh: list[float], dV: list[list[complex]]) -> _OnePoint:
        s = [v.real * v.real + v.imag * v.imag for v in V]
        slope = [[2.0 * (v.real * d.real + v.imag * d.imag) for v, d in zip(V, row)] for row in dV]  # noqa: B905
        return cls(eps, V, dh, dV, s, slope)


@dataclass(frozen=True, eq=False)
class _AffineOneLevel:
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

    def point(self, params: Mapping[str, float], names: Sequence[str]) -> _OnePoint:
        """One point as Python numbers."""
        eps_slopes, V0, V_slopes = self._lists
        lam = [params[k] for k in names]
        eps, V = self.eps0, list(V0)
        for x, d_eps, d_V in zip(lam, eps_slopes, V_slopes):  # noqa: B905
            eps += x * d_eps
            V = [v + x * d for v, d in zip(V, d_V)]  # noqa: B905
        return _OnePoint.of(eps, V, eps_slopes, V_slopes)

    def at(self, points: Sequence[Mapping[str, float]], names: Sequence[str]) -> _OneLevel:
        # one list per parameter (not one per point): a quarter of the conversion's time
        lam = np.array([[p[k] for p in points] for k in names], dtype=float).reshape(len(names), len(points)).T
        return _OneLevel(self.eps0 + lam @ self.eps_slopes, (self.V0 + lam @ self.V_slopes).T,
                         self.eps_slopes[:, None], self.V_slopes[:, :, None])  # fmt: skip


@lru_cache(maxsize=64)
def _affine_one_level(h_fn: Any, V_fn: Any, names: tuple[str, ...]) -> _AffineOneLevel | None:
    """:class:`_AffineOneLevel` of an affine model's h_S and couplings (:mod:`strongtherm.models.affine`),
    or None where they are not 1 x 1 numbers (with a real level, as Hermitian h_S makes it)."""
    parts = getattr(V_fn, "parts", None)
    if parts is None or not getattr(h_fn, "exactly_hermitian", False) or h_fn.constant.shape != (1, 1):
        return None
    if any(part.constant.shape != (1, 1) for part in parts):
        return None

    def number(matrix: Any, name: str) -> complex:
        slope = matrix.slopes.get(name)
        return 0j if slope is None else complex(slope[0, 0])

    eps_slopes = np.array([number(h_fn, k).real for k in names])
    V_slopes = np.array([[number(part, k) for part in parts] for k in names], dtype=complex).reshape(len(names), len(parts))
    V0 = np.array([complex(part.constant[0, 0]) for part in parts])
    out = _AffineOneLevel(float(h_fn.constant[0, 0].real), eps_slopes, V0, V_slopes, bool(V_fn.real))
    for a in (out.eps_slopes, out.V0, out.V_slopes):
        a.setflags(write=False)
    return out


@dataclass(frozen=True)
class EvaluatedModel:
    """A model evaluated once at P points, for the pole road and the choice of road.

    ``radii``: per point, a rigorous bound of max abs(e - mu) over the universe's spectrum (None
    for a continuum reaching infinity); ``real``: per point, True where h_S and every coupling are
    real (G_S is then complex symmetric and every spectral matrix real); ``one_level``: the
    numbers of a one-level model with one surface orbital per reservoir (else None);
    ``matrices``: the stacked matrices, built from ``one_level`` on first use of :attr:`stack`
    where the model was evaluated as numbers only.
    """

    radii: np.ndarray | None
    real: np.ndarray
    names: tuple[str, ...]
    one_level: _OneLevel | _OnePoint | None = None
    matrices: _Stack | None = None

    @property
    def n_points(self) -> int:
        return int(self.real.size)

    @property
    def stack(self) -> _Stack:
        """The model's matrices, stacked over the points."""
        if self.matrices is None:
            assert isinstance(self.one_level, _OneLevel)  # a single point's numbers have no batch use
            object.__setattr__(self, "matrices", self.one_level.stack(self.names))
        return self.matrices  # type: ignore[return-value]

    def h_and_V(self) -> tuple[np.ndarray, tuple[np.ndarray, ...]]:
        """h_S (P, n, n) and the couplings (P, m_r, n), without the derivatives of :attr:`stack`."""
        if self.matrices is None and isinstance(self.one_level, _OneLevel):
            return self.one_level.eps[:, None, None], tuple(v[:, None, None] for v in self.one_level.V)
        return self.stack.h, self.stack.V

    def take(self, idx: np.ndarray) -> EvaluatedModel:
        """The points ``idx`` only."""
        m = self.matrices
        matrices = None if m is None else _Stack(
            m.h[idx], tuple(v[idx] for v in m.V), {k: d[idx] for k, d in m.dh.items()},
            {k: tuple(d[idx] for d in ds) for k, ds in m.dV.items()},
        )  # fmt: skip
        assert not isinstance(self.one_level, _OnePoint)
        one_level = None if self.one_level is None else self.one_level.take(idx)
        radii = None if self.radii is None else self.radii[idx]
        return EvaluatedModel(radii, self.real[idx], self.names, one_level, matrices)


def evaluate(model: OpenSystem, points: Sequence[Mapping[str, float]], mu: float) -> EvaluatedModel:
    """:class:`EvaluatedModel` of resolved ``points``: a one-level affine model as numbers (one
    product per parameter set), any other model called once per matrix."""
    names = model.parameter_names
    affine = _affine_parts(model)
    reduced = None if affine is None or model.n_levels != 1 else _affine_one_level(*affine, names)
    if reduced is not None:
        one_level = reduced.at(points, names)
        radii = _one_level_radii(model, one_level, mu)
        # a non-finite value (an overflowing slope x parameter) takes the checked road below
        if radii is not None and np.isfinite(radii).all():
            real = np.ones(len(points), dtype=bool) if reduced.real else ~np.any(one_level.V.imag != 0.0, axis=0)
            return EvaluatedModel(radii, real, names, one_level)
    stack, real = _stacked_model(model, points, names)
    if model.n_levels == 1 and all(v.shape[-2] == 1 for v in stack.V):
        one_level = _OneLevel.from_stack(stack, names)
        return EvaluatedModel(_one_level_radii(model, one_level, mu), real, names, one_level, stack)
    return EvaluatedModel(_spectral_radii(model, stack.h, stack.V, mu), real, names, None, stack)


def rounding_floor(n_levels: int, radius: float, mu: float) -> float:
    """The smallest absolute error the pole sums can promise in double precision: ~ eps
    sqrt(number of terms) x the largest energy, with a margin (measured: ~1e-15 relative to the
    energy scale on the test set)."""
    return 2e-15 * n_levels * max(1.0, radius + abs(mu))


@lru_cache(maxsize=64)
def _continuum_frame(continuum: tuple[tuple[float, float], ...]) -> tuple[float, float] | None:
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
    frame = _continuum_frame(model.continuum)
    if frame is None:
        return None
    c, reservoir_radius = frame
    n = h.shape[-1]
    system_radius = np.abs(np.linalg.eigvalsh(h - c * np.eye(n))).max(axis=-1)
    coupling = _total(np.conj(np.swapaxes(v, -1, -2)) @ v for v in V)
    coupling_norm = np.sqrt(np.abs(np.linalg.eigvalsh(coupling)).max(axis=-1))
    return abs(c - mu) + np.maximum(system_radius, reservoir_radius) + coupling_norm


def _one_level_radii(model: OpenSystem, one_level: _OneLevel, mu: float) -> np.ndarray | None:
    """:func:`_spectral_radii` of a one-level model (:func:`_one_level_radius` per point)."""
    frame = _continuum_frame(model.continuum)
    V = one_level.V
    return None if frame is None else _one_level_radius(frame, mu, one_level.eps, (V.real**2 + V.imag**2).sum(axis=0))


def _one_level_radius(frame: tuple[float, float], mu: float, eps: Any, total_strength: Any) -> Any:
    """:func:`_spectral_radii` of one level: ||h_S - c|| = abs(eps - c), ||V||^2 = sum_r abs(V_r)^2
    = ``total_strength``; numbers or (P,) arrays. ``frame``: :func:`_continuum_frame`."""
    c, reservoir_radius = frame
    return abs(c - mu) + np.maximum(abs(eps - c), reservoir_radius) + np.sqrt(total_strength)


def bound_state_counts(model: OpenSystem, points: Sequence[Mapping[str, float]], h: np.ndarray, V: Sequence[np.ndarray]) -> np.ndarray:
    """Number of bound states per point, as :func:`.spectral.bound_states` would find them, without
    root finding: D(e) = e - h_S - Sigma(e) has eigenvalues rising with e outside the continuum,
    so each gap holds (#negative at its bottom) - (#negative at its top) of them (one stacked
    eigvalsh per gap edge). Decoupled levels inside a continuum are counted exactly by
    :func:`.spectral._decoupled_states` for the points that may have one."""
    P, n = h.shape[0], h.shape[-1]
    alg = _algebra(n)
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
    weak = coupling < tol
    if n > 1:  # degenerate levels (one level has none)
        spacing = np.diff(levels, axis=-1)
        weak[..., 1:] |= spacing < tol
        weak[..., :-1] |= spacing < tol
    suspect = np.any(inside & weak, axis=-1)
    for p in np.flatnonzero(suspect):
        point = ModelPoint(model, dict(points[int(p)]), h[p], tuple(v[p] for v in V))
        counts[p] += len(_decoupled_states(point))
    return counts


#: The default road is the pole sum while its Fermi expansion stays short: beta x spectral radius
#: <= this (~270 poles; the expansion's set-up grows fast beyond: 5 s at 1e5, minutes at 3e5) and
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
    if widest_reach > _REACH_PER_POLE_SQUARED * MAX_POLES**2:
        # the expansion needs >= sqrt(reach / 0.27) poles
        raise ValueError(
            f"tolerance atol={atol:g} at T={bath.T:g} needs a Fermi expansion with about "
            f"{math.sqrt(widest_reach / _REACH_PER_POLE_SQUARED):.0f} poles (beta x spectral radius = {widest_reach:.3g}), "
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


class _PointModel(NamedTuple):
    """:class:`EvaluatedModel` of a single point as the one-level kernel reads it (its numbers)."""

    one_level: _OnePoint
    n_points: int = 1


class _SingleSetting(NamedTuple):
    """What the states of one model share at one (T, mu, atol) and reach bucket (:func:`single_point`)."""

    expansion: FermiPoleExpansion
    fn: _Functionals
    top: int
    surfaces: _Surfaces
    weights: np.ndarray


class _SingleRoad(NamedTuple):
    """What :func:`single_point` derives from a model once (kept in :attr:`.OpenSystem.memo`): its
    affine one-level numbers, the frame of its continua, its parameter names, and a
    :class:`_SingleSetting` per (T, mu, atol, reach bucket), at most :data:`_SINGLE_SETTINGS`."""

    reduced: _AffineOneLevel
    frame: tuple[float, float]
    names: tuple[str, ...]
    settings: dict[tuple[float, float, float, int], _SingleSetting]


#: settings kept per model (:class:`_SingleRoad`), each ~50 kB of node arrays
_SINGLE_SETTINGS = 256


def _single_road(model: OpenSystem) -> _SingleRoad | None:
    """:class:`_SingleRoad` of ``model``, or None where the single-point road does not apply (a
    matrix model, a reservoir without continuation, a continuum reaching infinity, a model not
    affine in its parameters)."""
    memo = model.memo
    road = memo.get("poles.single_point", False)
    if road is False:
        road = None
        affine = _affine_parts(model) if model.n_levels == 1 and supports_poles(model) else None
        reduced = None if affine is None else _affine_one_level(*affine, model.parameter_names)
        frame = _continuum_frame(model.continuum)
        if reduced is not None and frame is not None:
            road = _SingleRoad(reduced, frame, model.parameter_names, {})
        memo["poles.single_point"] = road
    return road


def single_point(
    model: OpenSystem, bath: Bath, params: Mapping[str, float], options: QuadratureOptions, method: str | None
) -> PointColumns | None:
    """The pole road for one resolved point of a one-level model affine in its parameters (every
    built-in one-level model), in Python numbers wherever an array would hold one number: the
    same kernel as a batch (:func:`_one_level_integrals`) without the batch's set-up, which costs
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
    c, reservoir_radius = road.frame  # _one_level_radius in Python numbers
    radius = abs(c - bath.mu) + max(abs(one.eps - c), reservoir_radius) + math.sqrt(sum(one.s))
    atol = float(options.atol)
    if not math.isfinite(radius) or (method is None and not affordable(1, radius, bath, atol)):
        return None
    reach = bath.beta * radius
    if method is not None:  # a forced road: checked and refused with the same messages as any batch
        _expansions(model, bath, radius, atol)(reach)
    key = (bath.T, bath.mu, atol, _bucket_index(max(reach, 1.0)))  # the bucket of fermi_pole_expansion
    setting = road.settings.get(key)
    if setting is None:
        if len(road.settings) >= _SINGLE_SETTINGS:  # bounded: a sweep over T makes one per temperature
            road.settings.clear()
        expansion = fermi_pole_expansion(reach, _expansion_tolerance(atol, 1))
        top = _top_decades(expansion)
        setting = _SingleSetting(
            expansion, _functionals(bath.T, bath.mu, expansion.n_poles, top), top,
            _surfaces(model.reservoirs, bath.T, bath.mu, expansion.n_poles, top),
            _one_level_weights(model.reservoirs, bath.T, bath.mu, expansion.n_poles, top),
        )  # fmt: skip
        road.settings[key] = setting
    fn = setting.fn
    group = _Group(model, bath, _PointModel(one), setting.expansion, fn, setting.top, setting.surfaces,
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
        :func:`evaluate` of the same model, points and mu, where the caller has it already.

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
    buckets = np.ceil(_STEPS_PER_OCTAVE * np.log2(np.maximum(bath.beta * radii, 1.0))).astype(int)  # _bucket_index
    lowest = int(buckets.min())
    tolerance = _expansion_tolerance(atol, n)
    per_bucket = np.array([_pole_count(k, tolerance) for k in range(lowest, int(buckets.max()) + 1)])
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
    counts_bound = bound_state_counts(model, points, *evaluated.h_and_V()) if quantities == "state" else None
    slices: list[np.ndarray] = []
    parts = []
    for group in groups:
        widest = float(radii[group].max())
        group_expansion = expansion(bath.beta * widest)
        n_nodes = _functionals(bath.T, bath.mu, group_expansion.n_poles, _top_decades(group_expansion)).z.size
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


@lru_cache(maxsize=4096)
def _pole_count(bucket: int, tolerance: float) -> int:
    """Poles of the expansion for the reach of bucket ``bucket`` at ``tolerance`` (:func:`fermi_pole_expansion`)."""
    return fermi_pole_expansion(_bucket_value(bucket), tolerance).n_poles


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


def _total(terms: Any) -> Any:
    """The sum of a non-empty iterable of arrays, without the extra copy of ``sum``'s start at 0."""
    return reduce(operator.add, terms)


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


def _top_decades(expansion: FermiPoleExpansion) -> int:
    """Decades of line quadrature above the last pole: up to 4 x the expansion's reach (the
    points' reach rounded up to its bucket, :func:`fermi_pole_expansion`), where G_S ~ 1/z."""
    last, reach = float(expansion.poles[-1]), expansion.reach
    return max(0, math.ceil(math.log(4.0 * reach / last))) if last < 4.0 * reach else 0


#: rounding of an N-term sum ~ sqrt(N) eps x the magnitude of its terms, with a margin: measured
#: against the contour road up to T = 1e6 (where the energies ~ n T ln 2 are huge), see tests
_ROUNDING_MARGIN = 16.0


#: the state scalars of :func:`_state_scalars`, in its order
_STATE_SCALARS = ("N_S", "U_S", "S_S", "Omega_S", "dN_R", "dU_R", "dS_R", "dOmega_R")


def _state_scalars(n: int, T: float, mu: float, trace_h: Any, c: Any, e: Any, k: Any, u: Any, r0: Any, r1: Any) -> tuple:
    """The state scalars (:data:`_STATE_SCALARS`) from Re Tr of the pole sums (every pole sum of a
    spectral part enters as 2T Re, module docstring): c and k of G - 1 / (z - mu) with columns 0
    and 2 of :class:`_Functionals` (C and K_S), e of (z - mu) G - 1 = (h_S - mu + Sigma) G
    (int A (e - mu) f), u of the universe's ln det, r0 and r1 of Tr[G Sigma'] with columns 0 and 1.
    Numbers (one point) or (P,) arrays."""
    two_T, ln2 = 2.0 * T, math.log(2.0)
    N_S = 0.5 * n + two_T * c
    # int A (e - mu) f: F = (z - mu) G - 1, M_1 = h_S - mu (first-moment sum rule)
    U_rel = 0.5 * (trace_h - n * mu) + two_T * e
    # int A omega = -int n_S f by parts onto K_S (M_1 = -(h_S - mu)), int_mu^inf f = T ln 2
    Omega_S = 0.5 * (trace_h - n * mu) - two_T * k - n * T * ln2
    # reservoir: delta g_R has F = -Tr[G Sigma'] (M_1 = 0), and (z - mu) F for dU_R; the universe
    # has Omega_U = -int n_U f with n_U the phase of det[z - h_S - Sigma] (M_1 = n mu - Tr h_S),
    # so dOmega_R = Omega_U - Omega_S = -2T (u - k)
    dN_R, dU_rel, dOmega_R = -two_T * r0, -two_T * r1, -two_T * (u - k)
    # S = beta (U - mu N - Omega), with beta T = 1 taken exactly (the Tr h_S terms cancel)
    S_S = 2.0 * (e + k) + n * ln2
    dS_R = 2.0 * (u - k - r1)
    return N_S, mu * N_S + U_rel, S_S, Omega_S, dN_R, mu * dN_R + dU_rel, dS_R, dOmega_R


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
    group = _Group.of(model, bath, evaluated, expansion, radius, quantities == "state", directions)
    columns, matrices, converged, _ = _group_columns(group, atol)
    residuals = {"int g_S - n": np.zeros(evaluated.n_points), "int delta g_R": np.zeros(evaluated.n_points)} if group.want_state else {}
    return EnergyIntegrals.from_columns(
        columns, evaluated.n_points, method="poles", n_evaluations=group.fn.z.size, converged=converged,
        real_model=evaluated.real, bound_state_counts=bound_counts, sum_rule_residuals=residuals, **matrices,
    )  # fmt: skip


def _group_columns(group: _Group, atol: float) -> tuple[dict[str, Any], dict[str, np.ndarray], bool, dict[str, Any]]:
    """Every energy integral of a group of points that share one Fermi expansion, as the flat
    columns of :meth:`EnergyIntegrals.from_columns` (errors included), the (P, n, n) matrices,
    whether every tolerance was met, and the error columns alone.

    G_S is evaluated once on the poles and the line nodes together, and every pole sum (the
    log kernels' antiderivatives included, see :class:`_Functionals`) is a column of one product
    of a few node arrays with a fixed weight matrix. One level with one surface orbital per
    reservoir (the common case) takes :func:`_one_level_integrals`, anything else
    :func:`_matrix_integrals`.
    """
    kernel = _one_level_integrals if group.evaluated.one_level is not None else _matrix_integrals
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


class _Group(NamedTuple):
    """What the kernels of :func:`_integrals_of_group` share: the points (evaluated), the
    expansion, its nodes and weights and the decades of line above them, and the rounding of
    the sums (:func:`_rounding`). A named tuple: built once per group, and for a single state
    a frozen dataclass's field-by-field set-up is a measurable share of the cost."""

    model: OpenSystem
    bath: Bath
    evaluated: EvaluatedModel | _PointModel
    expansion: FermiPoleExpansion
    fn: _Functionals
    top: int
    surfaces: _Surfaces
    roundings: tuple[float, float]
    want_state: bool
    directions: Sequence[Mapping[str, float]] | None
    one_level_weights: np.ndarray | None = None  # :func:`_one_level_weights`, where the caller has them

    @classmethod
    def of(
        cls, model: OpenSystem, bath: Bath, evaluated: EvaluatedModel | _PointModel, expansion: FermiPoleExpansion,
        radius: float, want_state: bool, directions: Sequence[Mapping[str, float]] | None,
    ) -> _Group:
        """The group of ``evaluated``'s points, whose spectral radii are at most ``radius``."""
        top = _top_decades(expansion)
        fn = _functionals(bath.T, bath.mu, expansion.n_poles, top)
        surfaces = _surfaces(model.reservoirs, bath.T, bath.mu, expansion.n_poles, top)
        roundings = _rounding(model.n_levels, fn.z.size, radius, bath.mu, bath.T)
        return cls(model, bath, evaluated, expansion, fn, top, surfaces, roundings, want_state, directions)


def _error_estimates(group: _Group, log_quadrature_error: Any, scale: Any) -> dict[str, Any]:
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
_STATE_ERRORS = tuple(f"error:{k}" for k in (*_STATE_SCALARS, "H_SR", "log_f_matrix", "log_one_minus_f_matrix",
                                              "correlation_matrix_beta_derivative"))  # fmt: skip


@lru_cache(maxsize=64)
def _one_level_weights(reservoirs: tuple, T: float, mu: float, n_poles: int, top: int) -> np.ndarray:
    """The real weights of every pole sum of one level (:func:`_one_level_integrals`), (2 M, 3 + 8 R):
    with G or G^2 at the M nodes (P, M), G.view(float) @ W gives the real parts of the sums,
    columns (w = :attr:`_Functionals.weights`, g_r, g_r' = the surfaces, l = 1 / (z - mu) on the
    line, 0 at the poles; :func:`_one_level_columns` names their places):

    * of G: w0; w2 l; w2 l g_r per reservoir; then per reservoir w0 g_r', w1 g_r', w2 g_r', w0 g_r;
    * of G^2: w1; then per reservoir w1 g_r', w2 g_r', w2 g_r.

    Every node function of one level is such a weighted G or G^2, since Sigma = sum_r abs(V_r)^2 g_r
    is a sum of fixed functions; so is G - 1 / (z - mu) = (eps - mu + Sigma) G / (z - mu), whose
    fold down the line (the system's log kernel) is then a sum of two columns, (eps - mu) x the
    second and sum_r s_r x the next R, without cancelling G against 1 / (z - mu) at every node."""
    fn = _functionals(T, mu, n_poles, top)
    surfaces = _surfaces(reservoirs, T, mu, n_poles, top)
    assert surfaces.g_flat is not None and surfaces.dg_flat is not None
    w0, w1, w2 = fn.weights.T
    folded = w2 * fn.line_shift
    columns = [w0, folded, *(folded * g for g in surfaces.g_flat)]
    for g, dg in zip(surfaces.g_flat, surfaces.dg_flat, strict=True):
        columns += [w0 * dg, w1 * dg, w2 * dg, w0 * g]
    columns.append(w1)
    for g, dg in zip(surfaces.g_flat, surfaces.dg_flat, strict=True):
        columns += [w1 * dg, w2 * dg, w2 * g]
    W = np.array(columns).T
    # a complex F viewed as floats interleaves (Re F_m, Im F_m): Re(F w) = Re F Re w - Im F Im w
    out = np.empty((2 * W.shape[0], W.shape[1]))
    out[0::2], out[1::2] = W.real, -W.imag
    out.setflags(write=False)
    return out


def _one_level_columns(R: int) -> tuple[int, int]:
    """Where the columns of :func:`_one_level_weights` start for R reservoirs: the per-reservoir
    ones on G (after w0, w2 l and the R of w2 l g_r), and those on G^2."""
    return 2 + R, 2 + 5 * R


@lru_cache(maxsize=64)
def _level_basis(reservoirs: tuple, T: float, mu: float, n_poles: int, top: int) -> np.ndarray:
    """The rows z, 1, g_1, ..., g_R at the nodes of :func:`_functionals` (same arguments), viewed
    as floats (2 + R, 2 M): D = z - eps - sum_r s_r g_r of a batch is one real product with them."""
    fn = _functionals(T, mu, n_poles, top)
    surfaces = _surfaces(reservoirs, T, mu, n_poles, top)
    assert surfaces.g_flat is not None
    basis = np.concatenate([fn.z[None], np.ones((1, fn.z.size), dtype=complex), surfaces.g_flat]).view(float)
    basis.setflags(write=False)
    return basis


class _BatchWeights(NamedTuple):
    """:func:`_one_level_weights` rearranged for a batch (:func:`_one_level_batch_sums`): per
    block of node values (G at the poles, G^2 at the poles, G on the line, G^2 on the line) the
    columns nonzero there and their weights (2 N or 2 Q real rows each)."""

    blocks: tuple[tuple[np.ndarray, np.ndarray], ...]
    n_columns: int


@lru_cache(maxsize=64)
def _batch_weights(reservoirs: tuple, T: float, mu: float, n_poles: int, top: int) -> _BatchWeights:
    """:class:`_BatchWeights` of :func:`_one_level_weights` (same arguments): w0 and w1 live on the
    poles, w2 on the line only, so most columns need one block of values only; G^2 on the line
    serves the Eq. (21) term alone."""
    weights = _one_level_weights(reservoirs, T, mu, n_poles, top)
    split, on_G2 = 2 * n_poles, _one_level_columns(len(reservoirs))[1]
    blocks = []
    for rows in (slice(0, split), slice(split, None)):
        for columns in (slice(0, on_G2), slice(on_G2, None)):  # the columns on G, then on G^2
            part = np.zeros_like(weights[rows])
            part[:, columns] = weights[rows][:, columns]
            nonzero = np.flatnonzero(np.any(part != 0.0, axis=0))
            block = np.ascontiguousarray(part[:, nonzero])
            for array in (nonzero, block):
                array.setflags(write=False)
            blocks.append((nonzero, block))
    # no column takes values from two blocks (w0, w1 and w2 never share one): each is set once
    taken = np.concatenate([columns for columns, _ in blocks])
    assert taken.size == np.unique(taken).size
    return _BatchWeights(tuple(blocks), weights.shape[1])


def _one_level_batch_sums(D: np.ndarray, fn: _Functionals, weights: _BatchWeights, line_G2: bool) -> np.ndarray:
    """The real parts of the pole sums of :func:`_one_level_weights` for a batch, (P, columns),
    from D = z - eps - Sigma (P, M), which is overwritten by G = 1 / D: one product per block of
    node values (:func:`_batch_weights`), each with the columns nonzero there only; G^2 on the
    line (``line_G2``) for the Eq. (21) term only. Per point one division per node and one
    multiplication per pole; the node values stay in D's memory (fresh ~1 MB buffers per batch
    cost cache misses as much as the arithmetic)."""
    N = fn.n_poles
    G = np.divide(1.0, D, out=D)
    G2_poles = np.square(G[:, :N])
    values = (G[:, :N], G2_poles, G[:, N:], np.square(G[:, N:]) if line_G2 else None)
    sums = np.zeros((D.shape[0], weights.n_columns))  # the Eq. (21) columns stay 0 where not asked for
    for (columns, block), array in zip(weights.blocks, values, strict=True):
        if array is not None and columns.size:
            sums[:, columns] = array.view(float) @ block
    return sums


def _one_level_integrals(group: _Group) -> tuple[dict[str, Any], dict[str, np.ndarray], Any]:
    """The columns of :meth:`EnergyIntegrals.from_columns` (numbers for a single point, else (P,)
    arrays) for one level with one surface orbital per reservoir, no (P, n, n) matrices, and the
    log quadrature's error estimate.

    Every function of z is a number: with s_r = abs(V_r)^2, Sigma = sum_r s_r g_r and dSigma/dk =
    sum_r 2 Re(V_r^* dV_r/dk) g_r. Every node function is then a fixed function times G or G^2
    ((z - mu) G - 1 = (eps - mu) G + sum_r s_r g_r G; G (1 - Sigma') G = G^2 - sum_r s_r g_r' G^2;
    Eq. 21's term G^2 (h_dot Sigma' + Sigma_dot)), so every pole sum is a column of one product
    (:func:`_one_level_weights`), and the outputs are a few multiplications of those columns by
    the point's numbers: for a single point, Python numbers.
    """
    one, fn, T, mu = group.evaluated.one_level, group.fn, group.bath.T, group.bath.mu
    names, R = group.model.parameter_names, len(group.model.reservoirs)
    g_flat = group.surfaces.g_flat
    assert one is not None and g_flat is not None
    P = group.evaluated.n_points
    rates = None
    if group.directions is not None:
        rates = np.array([[float(d.get(k, 0.0)) for d in group.directions] for k in names]).reshape(len(names), P)
    eps: Any  # numbers (P = 1) or arrays, and so are the rest below
    s: Any
    slope: Any
    dh: Any
    if P == 1:  # Python numbers wherever an array would hold one: ~50 ns an operation, not ~1 us
        point = one if isinstance(one, _OnePoint) else one.point()
        eps, dh, s, slope = point.eps, point.dh, point.s, point.slope
        rate = None if rates is None else rates[:, 0].tolist()
        Sigma = s[0] * g_flat[0]
        for r in range(1, R):
            Sigma = Sigma + s[r] * g_flat[r]
        D = fn.z - (eps + Sigma)  # (M,)
    else:
        assert isinstance(one, _OneLevel)
        eps, s, dh, rate = one.eps, one.V.real**2 + one.V.imag**2, one.dh, rates  # (P,), (R, P), (K, P | 1)
        slope = 2.0 * (np.conj(one.V) * one.dV).real  # (K, R, P)
        # D = z - eps - sum_r s_r g_r (P, M) as one real product: [1, -eps, -s_1, ...] times the
        # rows [z, 1, g_1, ...] viewed as floats (a fifth of the time of three complex passes)
        coefficients = np.empty((P, 2 + R))
        coefficients[:, 0], coefficients[:, 1], coefficients[:, 2:] = 1.0, -eps, -s.T
        D = (coefficients @ _level_basis(group.model.reservoirs, T, mu, fn.n_poles, group.top)).view(complex)
    # the universe's ln det at the poles: Re of sum_p R_p Log D(z_p) = sum_p R_p ln abs(D(z_p))
    universe = np.log(np.abs(D[..., : fn.n_poles])) @ fn.residues - fn.log_iy_sum.real
    if P == 1:
        weights = group.one_level_weights
        if weights is None:
            weights = _one_level_weights(group.model.reservoirs, T, mu, fn.n_poles, group.top)
        # the node values G and G^2 side by side and one product: its fixed cost outweighs the
        # unused columns (each array's own columns are read below)
        nodes = np.empty((2, *D.shape), dtype=complex)
        np.square(np.divide(1.0, D, out=nodes[0]), out=nodes[1])
        u, (of_G, of_G2) = float(universe), (nodes.view(float).reshape(2, -1) @ weights).tolist()
    else:  # (after the universe: the batch's sums overwrite D) one table, the columns side by side
        batch_weights = _batch_weights(group.model.reservoirs, T, mu, fn.n_poles, group.top)
        u, of_G = universe, _one_level_batch_sums(D, fn, batch_weights, line_G2=rate is not None).T
        of_G2 = of_G

    # the columns of _one_level_weights (its docstring). Sums over reservoirs as plain loops:
    # numbers for one point, arrays for a batch
    per_reservoir, on_G2 = _one_level_columns(R)
    c = of_G[0]
    k = (eps - mu) * of_G[1]  # the fold of G - 1 / (z - mu) = (eps - mu + Sigma) G / (z - mu)
    scale, coupling = 1.0, []
    r0 = r1 = r2 = h = d1_coupled = nonlocal_coupled = 0.0  # of Tr[G Sigma'] (3), Sigma G, Sigma' G^2 (2)
    for r in range(R):
        on_G, on_G2_r, s_r = per_reservoir + 4 * r, on_G2 + 1 + 3 * r, s[r]
        k = k + s_r * of_G[2 + r]
        r0, r1, r2 = r0 + s_r * of_G[on_G], r1 + s_r * of_G[on_G + 1], r2 + s_r * of_G[on_G + 2]
        coupling.append(of_G[on_G + 3])  # of g_r G
        h = h + s_r * of_G[on_G + 3]
        d1_coupled, nonlocal_coupled = d1_coupled + s_r * of_G2[on_G2_r], nonlocal_coupled + s_r * of_G2[on_G2_r + 1]
        scale = scale + s_r
    e = h + (eps - mu) * c  # of (z - mu) G - 1
    # the universe by line quadrature (the fold of Tr[G (1 - Sigma')] - 1 / (w - mu)) against its
    # closed form: the error estimate of that quadrature, which the system's log kernel uses too
    log_quadrature_error = abs((2.0 * T) * (u - (k - r2)))
    C = 0.5 + (2.0 * T) * c
    powers_S, powers_SR, _ = column_names(names)
    columns: dict[str, Any] = {"correlation_matrix": C, "expectation_H_S": eps * C}
    columns.update(zip(powers_S, [d * C for d in dh]))  # noqa: B905
    # <dH_SR/dk> (Eq. 20): F = Tr[dSigma/dk G] = sum_r slope[k][r] g_r G
    columns.update(zip(powers_SR, [(2.0 * T) * _contract(row, coupling) for row in slope]))  # noqa: B905
    if group.want_state:
        columns.update(zip(_STATE_SCALARS, _state_scalars(1, T, mu, eps, c, e, k, u, r0, r1)))  # noqa: B905
        # int A omega = -int n_S f by parts onto K_S (M_1 = -(eps - mu)), int_mu^inf f = T ln 2
        A_omega = 0.5 * (eps - mu) - (2.0 * T) * k - T * math.log(2.0)
        beta = group.bath.beta
        log_one_minus_f, log_f = beta * A_omega, beta * (A_omega - (eps - mu))
        columns.update(
            H_SR=(4.0 * T) * h, log_one_minus_f_matrix=log_one_minus_f, log_f_matrix=log_f,
            # dC/dbeta at fixed mu: -T^2 sum_p R_p [G + (z_p - mu) G' + h.c.], -G' = G^2 - Sigma' G^2
            correlation_matrix_beta_derivative=-2.0 * T * T * (c - (of_G2[on_G2] - d1_coupled)),
            # Eq. (24)'s coefficient, as core.alpha.entropy_coefficient writes it for one level
            entropy_coefficient=-C * log_f - (1.0 - C) * log_one_minus_f,
        )  # fmt: skip
    if rate is not None:
        # Eq. (21), second term: G^2 (h_dot Sigma' + Sigma_dot), h_dot = sum_k rate_k dh/dk,
        # Sigma_dot = sum_r (sum_k rate_k slope[k][r]) g_r; column 2 (its antiderivative)
        h_dot = _contract(rate, dh)
        slope_dot = [_contract(rate, [row[r] for row in slope]) for r in range(R)]
        term = h_dot * nonlocal_coupled + _contract(slope_dot, [of_G2[on_G2 + 3 + 3 * r] for r in range(R)])
        columns["nonlocal_density"] = -(2.0 * T) * term
    columns["scale"] = scale
    return columns, {}, log_quadrature_error


def _contract(weights: Sequence[Any], values: Sequence[Any]) -> Any:
    """sum_i weights[i] values[i] of numbers or arrays (0 for none)."""
    return sum(map(operator.mul, weights, values))


def _matrix_integrals(group: _Group) -> tuple[dict[str, Any], dict[str, np.ndarray], np.ndarray]:
    """The columns of :meth:`EnergyIntegrals.from_columns` for any number of levels and surface
    orbitals (n x n matrix algebra on the nodes), the (P, n, n) matrices, and the log
    quadrature's error estimate per point."""
    evaluated = group.evaluated
    assert isinstance(evaluated, EvaluatedModel)  # a single point's numbers take the one-level kernel
    model, bath, stack, fn, directions = group.model, group.bath, evaluated.stack, group.fn, group.directions
    n, names = model.n_levels, model.parameter_names
    T, mu, beta, N = bath.T, bath.mu, bath.beta, group.expansion.n_poles
    alg = _algebra(n)
    unit = alg.unit
    surfaces = group.surfaces
    g_all = surfaces.g
    Sigma = _total(alg.sandwich(V, g, V) for V, g in zip(stack.V, g_all, strict=True))
    dSigma_dz = _total(alg.sandwich(V, dg, V) for V, dg in zip(stack.V, surfaces.dg, strict=True))
    D = alg.times_eye(fn.z) - alg.lift(stack.h) - Sigma
    G = alg.inv(D)
    # G - 1 / (w - mu) on the line (its antiderivative converges; that of 1 / (w - mu) alone does
    # not), G itself at the poles, where line_shift is 0
    G_sub = G - alg.times_eye(fn.line_shift)
    G_dSz = alg.tr_mm(G, dSigma_dz)  # Tr[G Sigma']: delta g_R's F, and the universe's log kernel
    # the couplings' traces Tr[Sigma G] (<H_SR>) and Tr[dSigma/dk G] (Eq. 20)
    coupling_nodes = [alg.tr_mm(Sigma, G)] + [
        alg.tr_mm(_total(alg.sandwich(dV, g, V) + alg.sandwich(V, g, dV)
                         for V, dV, g in zip(stack.V, stack.dV[k], g_all, strict=True)), G)
        for k in names
    ]  # fmt: skip
    matrix_nodes = [G_sub]
    if group.want_state:
        # G (1 - Sigma') G = -G', for dC/dbeta (double poles); and (z - mu) G - 1, the F of
        # int A (e - mu) f, as (h_S - mu + Sigma) G: the same, without cancelling ~1 against 1
        # (which left ~eps x 2T x sum_p R_p in U_S: 3e-9 at T = 1e6)
        matrix_nodes.append(alg.mm(G, alg.eye - dSigma_dz, G))
        matrix_nodes.append(alg.mm(alg.lift(stack.h) - mu * alg.eye + Sigma, G))
    trace_nodes = [G_dSz, *coupling_nodes]
    if directions is not None:
        trace_nodes.append(_nonlocal_integrand(alg, stack, names, directions, G, g_all, dSigma_dz))
    S_matrix, S_trace = alg.node_sums(matrix_nodes, trace_nodes, fn)
    S_G, S_GdS = S_matrix[0], S_trace[0]  # sums of G_sub and Tr[G Sigma']: (P, n, n, 3), (P, 3)
    coupling_sums = (2.0 * T) * S_trace[1: 1 + len(coupling_nodes), :, 0].real

    # the universe: ln det[z - h_S - Sigma] at the poles in closed form (each eigenvalue in the
    # upper half plane: principal Log), and the same through the line quadrature (the fold of
    # Tr[G (1 - Sigma')] - n / (w - mu)): their difference is the error estimate of that
    # quadrature, which the system's log kernel uses too
    universe = (alg.log_det_upper(D[:, :N]) @ fn.weights[:N, 0] - n * fn.log_iy_sum).real
    k = np.trace(S_G[..., 2], axis1=-2, axis2=-1).real
    log_quadrature_error = np.abs((2.0 * T) * (universe - (k - S_GdS[:, 2].real)))
    C = 0.5 * unit + alg.hermitian_sum(S_G[..., 0], T)
    expectation_H_S, powers_S = system_traces(stack.h, stack.dh, C)
    powers_S_keys, powers_SR_keys, _ = column_names(names)
    columns: dict[str, Any] = {"expectation_H_S": expectation_H_S}
    columns.update(zip(powers_S_keys, [powers_S[name] for name in names], strict=True))
    columns.update(zip(powers_SR_keys, coupling_sums[1:], strict=True))
    matrices = {"correlation_matrix": C}
    if group.want_state:
        h_minus_mu = stack.h - mu * unit
        c, e = (np.trace(S_matrix[j][..., 0], axis1=-2, axis2=-1).real for j in (0, 2))
        scalars = _state_scalars(n, T, mu, alg.real_trace(stack.h), c, e, k, universe, S_GdS[:, 0].real, S_GdS[:, 1].real)
        columns.update(zip(_STATE_SCALARS, scalars, strict=True))
        columns["H_SR"] = 2.0 * coupling_sums[0]
        # int A omega = -int n_S f by parts onto K_S = -int [G - 1 / (w - mu)] (M_1 = -(h_S - mu));
        # int_mu^inf f = T ln 2
        A_omega = 0.5 * h_minus_mu - alg.hermitian_sum(S_G[..., 2], T) - (T * math.log(2.0)) * unit
        # dC/dbeta at fixed mu: -T^2 sum_p R_p [G + (z_p - mu) G' + h.c.], G' = -G (1 - Sigma') G
        matrices.update(
            log_one_minus_f_matrix=beta * A_omega, log_f_matrix=beta * (A_omega - h_minus_mu),
            correlation_matrix_beta_derivative=-T * alg.hermitian_sum(S_G[..., 0] - S_matrix[1][..., 1], T),
        )  # fmt: skip
    if directions is not None:
        columns["nonlocal_density"] = -(2.0 * T) * S_trace[-1][:, 2].real
    columns["scale"] = 1.0 + _total((np.abs(V) ** 2).sum(axis=(-2, -1)) for V in stack.V)
    return columns, matrices, log_quadrature_error


def _nonlocal_integrand(
    alg: _Algebra,
    stack: _Stack,
    names: Sequence[str],
    directions: Sequence[Mapping[str, float]],
    G: np.ndarray,
    g_all: Sequence[np.ndarray],
    dSigma_dz: np.ndarray,
) -> np.ndarray:
    """Eq. (21), second term: int omega X, X the spectral part of term(z) = Tr[dG/dt Sigma' -
    dG/dz dSigma/dt]; by parts onto its antiderivative down the line (column 2 of
    :class:`_Functionals`; term ~ 1/z^3: M_1 = 0, no subtraction). d/dt acts through
    h_dot = sum_k rate_k dh/dk and V_dot = sum_k rate_k dV/dk. Values at every node, (P, M)."""
    rates = np.array([[float(d.get(k, 0.0)) for k in names] for d in directions])
    h_dot = np.einsum("pk,kpij->pij", rates, np.array([stack.dh[k] for k in names]))
    V_dot = [np.einsum("pk,kpij->pij", rates, np.array([stack.dV[k][r] for k in names])) for r in range(len(stack.V))]
    Sigma_dot = _total(
        alg.sandwich(Vd, g, V) + alg.sandwich(V, g, Vd) for V, Vd, g in zip(stack.V, V_dot, g_all, strict=True)
    )
    dG_dt = alg.mm(G, alg.lift(h_dot) + Sigma_dot, G)
    dG_dz = -alg.mm(G, alg.eye - dSigma_dz, G)
    return alg.tr_mm(dG_dt, dSigma_dz) - alg.tr_mm(dG_dz, Sigma_dot)
