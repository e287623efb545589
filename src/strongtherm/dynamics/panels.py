"""Functions of the path parameter known at the GK15 nodes of panels, and the inverse of a length.

The friction along a path (:mod:`strongtherm.dynamics.friction`) is computed at the Gauss-Kronrod
nodes of panels in s. On each panel the 15 values fix a degree-14 polynomial exactly (Legendre
basis), which gives the value, the derivative and the cumulative integral anywhere in [0, 1]
without another energy integral. The optimal schedule s*(u) inverts the cumulative thermodynamic
length l(s) = u L: by safeguarded Newton on that polynomial (exact to rounding), and then as a
degree-14 polynomial on panels in u (cheap inside a time loop).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.polynomial import legendre

from ..negf.integrate import GAUSS_KRONROD_15

__all__ = ["MAX_PATH_PANELS", "Panels", "fit_inverse", "inverse_length"]

#: Panels in s of one friction computation at most, initial and refined together: 2048 panels
#: are 30 720 path nodes, about a minute; the energy integrals of a batch stay within the
#: quadrature's memory budget (256 MiB). Bisection that would pass it refines the worst panels
#: that fit and then stops with a NumericsWarning, as at the refinement budget.
MAX_PATH_PANELS = 2048


@dataclass(frozen=True, eq=False)
class Panels:
    """A function of s known at the GK15 nodes of each panel: exact polynomial interpolation
    (degree 14, Legendre basis) per panel, and its cumulative integral."""

    edges: np.ndarray  # (K + 1,)
    coefficients: np.ndarray  # (K, 15, ...) Legendre coefficients on [-1, 1]
    antiderivative: np.ndarray  # (K, 16, ...) coefficients of the antiderivative (zero at -1)
    cumulative: np.ndarray  # (K + 1, ...) integral from 0 to each edge

    @classmethod
    def fit(cls, edges: np.ndarray, values: np.ndarray) -> Panels:
        K = len(edges) - 1
        values = values.reshape((K, 15) + values.shape[1:])
        vandermonde_inverse = np.linalg.inv(legendre.legvander(GAUSS_KRONROD_15.nodes, 14))
        coefficients = np.einsum("cj,kj...->kc...", vandermonde_inverse, values)
        half = 0.5 * np.diff(edges)
        antiderivative = legendre.legint(coefficients, m=1, lbnd=-1.0, axis=1)
        antiderivative = antiderivative * half.reshape((K,) + (1,) * (antiderivative.ndim - 1))
        ends = legendre.legval(1.0, np.moveaxis(antiderivative, 1, 0))  # (K, ...)
        cumulative = np.concatenate([np.zeros((1,) + ends.shape[1:]), np.cumsum(ends, axis=0)])
        return cls(edges, coefficients, antiderivative, cumulative)

    def _locate(self, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        k = np.clip(np.searchsorted(self.edges, s, side="right") - 1, 0, len(self.edges) - 2)
        x = 2.0 * (s - self.edges[k]) / (self.edges[k + 1] - self.edges[k]) - 1.0
        return k, x

    def value(self, s: np.ndarray) -> np.ndarray:
        s = np.asarray(s, dtype=float)
        k, x = self._locate(s.ravel())
        basis = legendre.legvander(x, self.coefficients.shape[1] - 1)  # (N, 15)
        out = np.einsum("nc,nc...->n...", basis, self.coefficients[k])
        return out.reshape(s.shape + self.coefficients.shape[2:])

    def derivative(self, s: np.ndarray) -> np.ndarray:
        s = np.asarray(s, dtype=float)
        k, x = self._locate(s.ravel())
        slopes = legendre.legder(self.coefficients, axis=1)  # d/dx on [-1, 1]
        scale = (2.0 / np.diff(self.edges))[k].reshape((-1,) + (1,) * (slopes.ndim - 2))
        out = np.einsum("nc,nc...->n...", legendre.legvander(x, slopes.shape[1] - 1), slopes[k]) * scale
        return out.reshape(s.shape + self.coefficients.shape[2:])

    def integral(self, s: np.ndarray) -> np.ndarray:
        s = np.asarray(s, dtype=float)
        k, x = self._locate(s.ravel())
        basis = legendre.legvander(x, self.antiderivative.shape[1] - 1)  # (N, 16)
        inside = np.einsum("nc,nc...->n...", basis, self.antiderivative[k])
        return (self.cumulative[k] + inside).reshape(s.shape + self.cumulative.shape[1:])


def inverse_length(panels: Panels, length: float) -> Callable[[np.ndarray], np.ndarray]:
    """s(u) with l(s) = u L, by safeguarded Newton on the piecewise polynomial l (exact to rounding)."""
    length_at, speed_at = panels.integral, panels.value
    # a monotone table of l(s) brackets every root; Newton (dl/ds = speed, the derivative of the
    # same polynomial) then converges quadratically inside the bracket
    edges = panels.edges
    grid_s = np.unique(np.concatenate([np.linspace(a, b, 33) for a, b in zip(edges[:-1], edges[1:], strict=True)]))
    grid_l = np.maximum.accumulate(length_at(grid_s))

    def solve(u: np.ndarray) -> np.ndarray:
        target = np.asarray(u, dtype=float) * length
        k = np.clip(np.searchsorted(grid_l, target, side="right") - 1, 0, len(grid_s) - 2)
        low, high = grid_s[k], grid_s[k + 1]
        l_low, l_high = grid_l[k], grid_l[k + 1]
        rise = np.where(l_high > l_low, l_high - l_low, 1.0)
        s = np.where(l_high > l_low, low + (target - l_low) / rise * (high - low), low)
        for _ in range(12):  # 3-4 Newton steps reach rounding from the linear guess; bisection if it strays
            r = length_at(s) - target
            if np.all(np.abs(r) <= 4.0 * np.finfo(float).eps * length):
                break
            low, high = np.where(r < 0.0, s, low), np.where(r > 0.0, s, high)
            speed = speed_at(s)
            with np.errstate(divide="ignore", invalid="ignore"):
                newton = s - r / speed
            inside = np.isfinite(newton) & (newton >= low) & (newton <= high)
            s = np.where(r == 0.0, s, np.where(inside, newton, 0.5 * (low + high)))
        s = np.where(target <= 0.0, 0.0, np.where(target >= length, 1.0, s))
        return s

    return solve


def fit_inverse(
    solve: Callable[[np.ndarray], np.ndarray], panels: Panels, length: float, *, tol: float, budget: int = 12
) -> tuple[Panels | None, float]:
    """s*(u) as a degree-14 polynomial on panels in u (cheap to call inside a time loop).

    The u-panels start at the images of the s-panels and are bisected until the fit agrees with
    the Newton inverse to ``tol`` between its nodes. Returns (None, error) if the budget runs out
    (e.g. where the metric vanishes and s*(u) has a jump or a square-root corner).
    """
    u_edges = np.unique(np.clip(panels.cumulative / length, 0.0, 1.0))
    u_edges = u_edges[np.concatenate([[True], np.diff(u_edges) > 1e-14])]
    u_edges[0], u_edges[-1] = 0.0, 1.0
    pending = list(zip(u_edges[:-1].tolist(), u_edges[1:].tolist(), strict=True))
    accepted: dict[tuple[float, float], np.ndarray] = {}
    vandermonde_inverse = np.linalg.inv(legendre.legvander(GAUSS_KRONROD_15.nodes, 14))
    between = 0.5 * (GAUSS_KRONROD_15.nodes[:-1] + GAUSS_KRONROD_15.nodes[1:])  # test points between the nodes
    worst = 0.0
    for sweep in range(budget + 1):
        a = np.array([lo for lo, _ in pending])
        b = np.array([hi for _, hi in pending])
        nodes_s = solve(0.5 * (a + b)[:, None] + 0.5 * (b - a)[:, None] * GAUSS_KRONROD_15.nodes[None, :])
        test_s = solve(0.5 * (a + b)[:, None] + 0.5 * (b - a)[:, None] * between[None, :])
        coefficients = nodes_s @ vandermonde_inverse.T  # (K, 15)
        error = np.max(np.abs(coefficients @ legendre.legvander(between, 14).T - test_s), axis=1)
        good = error <= tol
        for panel, values, ok in zip(pending, nodes_s, good, strict=True):
            if ok:
                accepted[panel] = values
        if np.all(good):
            worst = max(worst, float(np.max(error)))
            break
        worst = max(worst, float(np.max(error[good]))) if np.any(good) else worst
        if sweep == budget:
            return None, float(np.max(error))
        pending = [half for (lo, hi), ok in zip(pending, good, strict=True) if not ok
                   for half in ((lo, 0.5 * (lo + hi)), (0.5 * (lo + hi), hi))]  # fmt: skip
    keys = sorted(accepted)
    edges = np.array([keys[0][0]] + [hi for _, hi in keys])
    return Panels.fit(edges, np.concatenate([accepted[k] for k in keys])), worst
