"""Energy integrals of the Green's-function engine, with error estimates.

Every state function and power of paper 000 has the form

.. math:: X = \\int d\\epsilon\\, K(\\epsilon)\\, \\Big(-\\frac{1}{\\pi}\\Big)\\,\\mathrm{Im}\\, F(\\epsilon + i0),

with a kernel K in {f, e f, s, omega, ln f, ln(1-f)} that is real on the real axis and analytic
in the strip |Im z| < pi T, and F (G_S, Tr[G_S dSigma/dz], ...) analytic in the upper half
plane and decaying at least as 1/z. By Cauchy's theorem the integral is unchanged when the line
is lifted to Im z = eta with 0 < eta < pi T:

.. math:: \\int K(\\epsilon) F(\\epsilon + i0) d\\epsilon = \\int K(\\epsilon + i\\eta) F(\\epsilon + i\\eta) d\\epsilon.

On the lifted line the bound-state poles (which sit on the real axis) and the Fermi edge are
smoothed to width ~eta, so bound states are included without being searched for and no
delta-function is ever sampled (DESIGN.md, traps 1-2). Matrix integrals of the spectral
function follow from M = int K G: int K A = (i / 2 pi)(M - M^dagger), since
G(e - i eta) = G(e + i eta)^dagger and K(z*) = K(z)*.

The infinite line is mapped to phi in (-pi/2, pi/2) by e = mu + c tan(phi), and integrated by a
vectorized, globally adaptive Gauss-Kronrod (7, 15) rule: all panels of one refinement step are
evaluated in one batched call. The error estimate is the sum over panels of |K15 - G7|, a
conservative bound for smooth integrands.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["IntegralResult", "QuadratureOptions", "gauss_kronrod_panels", "integrate_contour"]

# Gauss-Kronrod 15-point nodes (on [-1, 1]) and weights, with the embedded 7-point Gauss weights.
_XGK = np.array([
    0.991455371120812639206854697526329, 0.949107912342758524526189684047851,
    0.864864423359769072789712788640926, 0.741531185599394439863864773280788,
    0.586087235467691130294144845693013, 0.405845151377397166906606412076961,
    0.207784955007898467600689403773245, 0.000000000000000000000000000000000,
])
_WGK = np.array([
    0.022935322010529224963732008058970, 0.063092092629978553290700663189204,
    0.104790010322250183839876322541518, 0.140653259715525918745189590510238,
    0.169004726639267902826583426598550, 0.190350578064785409913256402421014,
    0.204432940075298892414161999234649, 0.209482141084727828012999174891714,
])
_WG = np.array([
    0.129484966168869693270611432679082, 0.279705391489276667901467771423780,
    0.381830050505118944950369775488975, 0.417959183673469387755102040816327,
])
_NODES = np.concatenate([-_XGK[:-1], _XGK[::-1]])  # 15 nodes, ascending
_WEIGHTS_K = np.concatenate([_WGK[:-1], _WGK[::-1]])
_WEIGHTS_G = np.zeros(15)
_WEIGHTS_G[[1, 3, 5, 7, 9, 11, 13]] = np.concatenate([_WG[:-1], _WG[::-1]])


@dataclass(frozen=True)
class QuadratureOptions:
    """Tolerances of the energy integrals.

    Parameters
    ----------
    atol : float
        Target absolute error of each integrated component (energy units for U, Omega; nats for S).
    max_refinements : int
        Refinement sweeps before giving up (the result then carries its larger error estimate and
        ``converged=False``).
    initial_panels : int
        Uniform panels in phi before the break points are added.
    eta_fraction : float
        The lifted line sits at Im z = eta_fraction * pi T (0 < eta_fraction < 1).
    """

    atol: float = 1e-11
    max_refinements: int = 40
    initial_panels: int = 24
    eta_fraction: float = 0.5

    def __post_init__(self) -> None:
        if not (self.atol > 0 and np.isfinite(self.atol)):
            raise ValueError(f"atol must be a positive finite number, got {self.atol!r}")
        if not 0.0 < self.eta_fraction < 1.0:
            raise ValueError(f"eta_fraction must lie in (0, 1), got {self.eta_fraction!r}")
        if int(self.initial_panels) < 1 or int(self.max_refinements) < 0:
            raise ValueError("initial_panels must be >= 1 and max_refinements >= 0")


@dataclass(frozen=True)
class IntegralResult:
    """Integrals of a vector of integrands, with per-component error estimates."""

    value: np.ndarray
    error: np.ndarray
    n_evaluations: int
    converged: bool


def gauss_kronrod_panels(
    func: Callable[[np.ndarray, np.ndarray], np.ndarray],
    edges: Sequence[float],
    *,
    atol: float,
    max_refinements: int,
) -> IntegralResult:
    """Globally adaptive GK(7,15) of ``func`` over the union of panels ``edges``.

    ``func(x, w)`` receives nodes ``x`` (N,) and must return integrand values (N, K) (complex
    allowed); ``w`` are the Kronrod weights times the panel half-width, passed for callers that
    want to fold in Jacobians. Panels whose error exceeds their share of ``atol`` are bisected.
    """
    a = np.asarray(edges[:-1], dtype=float)
    b = np.asarray(edges[1:], dtype=float)
    accepted_value: np.ndarray | None = None
    accepted_error: np.ndarray | None = None
    total_width = float(b.sum() - a.sum())
    n_eval = 0
    converged = False
    for _ in range(max_refinements + 1):
        half = 0.5 * (b - a)
        mid = 0.5 * (a + b)
        x = (mid[:, None] + half[:, None] * _NODES[None, :]).ravel()
        values = np.asarray(func(x, np.repeat(half, 15) * np.tile(_WEIGHTS_K, len(a))))
        n_eval += x.size
        values = values.reshape(len(a), 15, -1)
        kronrod = np.einsum("j,pjk->pk", _WEIGHTS_K, values) * half[:, None]
        gauss = np.einsum("j,pjk->pk", _WEIGHTS_G, values) * half[:, None]
        err = np.abs(kronrod - gauss)
        if accepted_value is None:
            accepted_value = np.zeros(kronrod.shape[1], dtype=kronrod.dtype)
            accepted_error = np.zeros(kronrod.shape[1])
        panel_err = err.max(axis=1)
        if float((accepted_error + err.sum(axis=0)).max()) <= atol:
            done = np.ones(len(a), dtype=bool)  # the whole integral is within atol: stop here
        else:
            done = panel_err <= atol * (b - a) / total_width
        accepted_value = accepted_value + kronrod[done].sum(axis=0)
        accepted_error = accepted_error + err[done].sum(axis=0)
        if np.all(done):
            converged = True
            break
        a, b = a[~done], b[~done]
        if _ == max_refinements:
            accepted_value = accepted_value + kronrod[~done].sum(axis=0)
            accepted_error = accepted_error + err[~done].sum(axis=0)
            break
        mids = 0.5 * (a + b)
        a, b = np.concatenate([a, mids]), np.concatenate([mids, b])
    assert accepted_value is not None and accepted_error is not None
    return IntegralResult(accepted_value, accepted_error, n_eval, converged)


def integrate_contour(
    func: Callable[[np.ndarray, np.ndarray], np.ndarray],
    *,
    spectrum: tuple[float, float] | None,
    center: float,
    scale: float,
    eta: float,
    break_energies: Sequence[float],
    options: QuadratureOptions,
) -> IntegralResult:
    """Integrate ``func(z, dz) -> (N, K)`` (real) along the contour that replaces e + i0.

    ``func`` receives the nodes z (N,) and the line elements dz/dt (N,) of the contour
    parameter t, and returns the real projection of K(z) F(z) dz/dt (e.g. -Im[...] / pi).

    * Bounded spectrum ``(low, high)`` (all spectral weight, bound states included, inside):
      the real axis outside [a, b] = [low - m, high + m] carries no weight, so the integral
      runs along the rectangle a -> a + i eta -> b + i eta -> b (m = margin, eta < pi T).
    * ``spectrum=None`` (a continuum reaching infinity): the real axis itself, mapped by
      e = center + scale tan(phi). Real poles must then be added by the caller.

    ``break_energies`` (band edges, mu, levels) start as panel edges, graded by powers of 4 in eta.
    """
    breaks = [e for e in break_energies if np.isfinite(e)]
    # graded panels: mu +- eta 4^k out to the spectral scale (the Fermi edge has width ~eta),
    # and a few graded levels around each other break energy (band edges, levels, bound states)
    n_levels = int(np.ceil(np.log(max(scale / eta, 4.0)) / np.log(4.0)))
    graded = [center + sign * eta * 4.0**k for k in range(n_levels + 1) for sign in (-1.0, 1.0)]
    graded += [e + sign * eta * 4.0**k for e in breaks for k in range(3) for sign in (-1.0, 1.0)]
    breaks += graded
    if spectrum is None:
        t_edges = np.linspace(-0.5 * np.pi, 0.5 * np.pi, int(options.initial_panels) + 1)
        t_edges = np.unique(np.concatenate([t_edges, np.arctan((np.asarray(breaks) - center) / scale)]))

        def mapped(t: np.ndarray, _w: np.ndarray) -> np.ndarray:
            e = center + scale * np.tan(t)
            dz = (scale / np.cos(t) ** 2).astype(complex)
            return np.asarray(func(e + 0.0j, dz))

        return gauss_kronrod_panels(mapped, t_edges, atol=options.atol, max_refinements=options.max_refinements)

    margin = max(20.0 * eta, 0.05 * scale)
    a, b = spectrum[0] - margin, spectrum[1] + margin
    length = b - a
    # t in [0, 1]: up the left side; [1, 2]: along the top; [2, 3]: down the right side
    top = np.linspace(1.0, 2.0, int(options.initial_panels) + 1)
    inner = [1.0 + (e - a) / length for e in breaks if a < e < b]
    t_edges = np.unique(np.concatenate([[0.0, 0.5], top, inner, [2.5, 3.0]]))

    def on_rectangle(t: np.ndarray, _w: np.ndarray) -> np.ndarray:
        left, right = t < 1.0, t > 2.0
        middle = ~(left | right)
        z = np.empty(t.shape, dtype=complex)
        dz = np.empty(t.shape, dtype=complex)
        z[left], dz[left] = a + 1j * eta * t[left], 1j * eta
        z[middle], dz[middle] = a + length * (t[middle] - 1.0) + 1j * eta, length
        z[right], dz[right] = b + 1j * eta * (3.0 - t[right]), -1j * eta
        return np.asarray(func(z, dz))

    return gauss_kronrod_panels(on_rectangle, t_edges, atol=options.atol, max_refinements=options.max_refinements)
