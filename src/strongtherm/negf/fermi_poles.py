"""The Fermi pole expansion and the rule of its pole sums (the pole road, :mod:`.poles`).

**Expansion.** Ozaki's continued fraction (Phys. Rev. B 75, 035123 (2007)) gives, with
x = beta (e - mu),

.. math:: f(x) \\approx f_N(x) = \\frac12 - \\sum_{p=1}^{N} R_p \\Big[\\frac{1}{x - i\\zeta_p}
          + \\frac{1}{x + i\\zeta_p}\\Big],

exact to rounding for abs(x) below a reach that grows as ~0.27 N^2 (measured, see
:func:`fermi_pole_expansion`), so N ~ sqrt(beta x spectral radius): the cost grows as T^(-1/2).
The lowest zeta_p are the Matsubara frequencies (2p - 1) pi; all poles lie on Re z = mu.

**Line rule.** The log kernels need sum_p R_p K(z_p) with K an antiderivative down the line
Re z = mu; one Gauss-Legendre quadrature in u = ln Im z folds that double sum into a single
weighted sum over line nodes (:func:`_vertical_rule`). :class:`Functionals` holds every pole sum
as a linear functional of values at the poles and those nodes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy.linalg import eigh_tridiagonal
from scipy.special import expit

__all__ = [
    "MAX_POLES", "REACH_PER_POLE_SQUARED", "STEPS_PER_OCTAVE", "FermiPoleExpansion", "Functionals", "bucket_index",
    "fermi_pole_expansion", "functionals", "pole_count", "top_decades",
]  # fmt: skip

_EPS = float(np.finfo(float).eps)
#: below this the expansion's truncation error is hidden by the rounding of its sums
_ROUNDING_FLOOR = 1e-15
#: largest number of poles tried before the requested accuracy is declared out of reach: the
#: expansion's set-up (an eigenproblem of size 2N) takes ~0.3 s at N = 800 and grows as N^2, and
#: beyond the default road's reach (2e4, ~330 poles) the contour costs less anyway
MAX_POLES = 1000
#: the reach of N poles is about 0.26-0.27 N^2 at 1e-13 (measured); start the search just below
REACH_PER_POLE_SQUARED = 0.27
#: analyticity half-width of the vertical-line integrand in u = ln Im z, with a safety factor
_STRIP = 0.75 * 0.5 * math.pi
#: target of the Gauss-Legendre error factor rho^(-2m) per panel
_GL_TARGET = 1e-16
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


#: grid of the reach and tolerance buckets: 2^(1/STEPS_PER_OCTAVE) steps
STEPS_PER_OCTAVE = 16


@lru_cache(maxsize=64)
def _tolerance_bucket(tolerance: float) -> float:
    """The tolerance rounded down to the grid of :func:`_bucket` (a few distinct values per run)."""
    return _bucket(tolerance) / 2.0 ** (1.0 / STEPS_PER_OCTAVE)


def bucket_index(value: float) -> int:
    """k of the grid value 2^(k / STEPS_PER_OCTAVE) at or above ``value`` (:func:`_bucket`)."""
    return math.ceil(STEPS_PER_OCTAVE * math.log2(value))


def _bucket(value: float) -> float:
    # round the reach up (and the tolerance, then divided by the step, down) to a grid of
    # 2^(1/16) steps, so that nearby temperatures and tolerances share one cache entry
    return _bucket_value(bucket_index(value))


def _bucket_value(index: int) -> float:
    return float(2.0 ** (index / STEPS_PER_OCTAVE))


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
    n = max(4, math.ceil(math.sqrt(reach / REACH_PER_POLE_SQUARED)) - 1)
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


# ---------------------------------------------------------------------- the line rule
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
    :class:`Functionals`).

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
class Functionals:
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
def functionals(T: float, mu: float, n_poles: int, top_decades: int) -> Functionals:
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
    out = Functionals(mu + iy, weights, real_weights, line_shift, complex(np.log(iy[:n_poles]) @ residue), n_poles, residue)
    for a in (out.z, out.weights, out.real_weights, out.line_shift):
        a.setflags(write=False)
    return out


@lru_cache(maxsize=4096)
def pole_count(bucket: int, tolerance: float) -> int:
    """Poles of the expansion for the reach of bucket ``bucket`` at ``tolerance`` (:func:`fermi_pole_expansion`)."""
    return fermi_pole_expansion(_bucket_value(bucket), tolerance).n_poles

def top_decades(expansion: FermiPoleExpansion) -> int:
    """Decades of line quadrature above the last pole: up to 4 x the expansion's reach (the
    points' reach rounded up to its bucket, :func:`fermi_pole_expansion`), where G_S ~ 1/z."""
    last, reach = float(expansion.poles[-1]), expansion.reach
    return max(0, math.ceil(math.log(4.0 * reach / last))) if last < 4.0 * reach else 0


