"""Paths in a model's parameter space, for quasistatic processes.

A path maps s in [0, 1] to named parameter values lambda(s) and their derivatives
d lambda / d s. Corners (piecewise-linear paths) are listed in ``breakpoints`` so that path
integrals of the power are done segment by segment (Gauss-Legendre is exact for the
polynomial part and loses its accuracy at a kink).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from .core.validation import check_integer, check_real

__all__ = ["MAX_PANELS_PER_SEGMENT", "Path"]

#: GK15 panels per smooth segment of a path at most (``panels_per_segment`` of every path
#: quadrature: quasistatic processes, friction, configs): 256 panels are 3840 nodes a segment, each
#: an energy integral (about 8 s for the resonant level); adaptive rules refine further only where
#: the integrand needs it.
MAX_PANELS_PER_SEGMENT = 256


@dataclass(frozen=True)
class Path:
    """A path s -> lambda(s), s in [0, 1], through named parameters.

    Build it with :meth:`line`, :meth:`corners` or :meth:`from_function`.
    """

    names: tuple[str, ...]
    function: Callable[[float], Mapping[str, float]]
    derivative: Callable[[float], Mapping[str, float]]
    breakpoints: tuple[float, ...] = (0.0, 1.0)
    label: str = "path"

    @staticmethod
    def _check_point(point: Mapping[str, float], what: str) -> dict[str, float]:
        if not isinstance(point, Mapping) or not point:
            raise ValueError(f"{what} must be a non-empty mapping of parameter names to values, got {point!r}")
        return {str(k): check_real(f"{what}[{k!r}]", v) for k, v in point.items()}

    @classmethod
    def line(cls, start: Mapping[str, float], end: Mapping[str, float], label: str | None = None) -> Path:
        """Straight line from ``start`` to ``end`` (same parameter names)."""
        return cls.corners([start, end], label=label)

    @classmethod
    def corners(cls, points: Sequence[Mapping[str, float]], label: str | None = None) -> Path:
        """Piecewise-linear path through ``points`` (>= 2), each segment taking equal s."""
        if len(points) < 2:
            raise ValueError(f"points must hold at least 2 parameter sets, got {len(points)}")
        checked = [cls._check_point(p, f"points[{k}]") for k, p in enumerate(points)]
        names = tuple(checked[0])
        for k, p in enumerate(checked):
            if set(p) != set(names):
                raise ValueError(f"points[{k}] has parameters {sorted(p)}, expected {sorted(names)}")
        values = np.array([[p[n] for n in names] for p in checked])
        n_seg = len(points) - 1
        knots = np.linspace(0.0, 1.0, n_seg + 1)

        def segment(s: float) -> int:
            return min(max(int(np.searchsorted(knots, s, side="right")) - 1, 0), n_seg - 1)

        def function(s: float) -> dict[str, float]:
            k = segment(s)
            u = (s - knots[k]) * n_seg
            return dict(zip(names, (1 - u) * values[k] + u * values[k + 1], strict=True))

        def derivative(s: float) -> dict[str, float]:
            k = segment(s)
            return dict(zip(names, (values[k + 1] - values[k]) * n_seg, strict=True))

        if label is None:
            label = " -> ".join("(" + ", ".join(f"{n}={p[n]:g}" for n in names) + ")" for p in checked)
        return cls(names, function, derivative, tuple(float(k) for k in knots), label)

    @classmethod
    def from_function(
        cls,
        function: Callable[[float], Mapping[str, float]],
        derivative: Callable[[float], Mapping[str, float]] | None = None,
        breakpoints: Sequence[float] = (0.0, 1.0),
        label: str = "user path",
    ) -> Path:
        """A smooth user path; without ``derivative``, d lambda/ds by 4th-order central differences."""
        names = tuple(cls._check_point(function(0.0), "function(0)"))
        if derivative is None:
            step = 1e-4

            def derivative(s: float) -> dict[str, float]:
                a, b, c, d = (function(s + k * step) for k in (2, 1, -1, -2))
                return {n: (-a[n] + 8 * b[n] - 8 * c[n] + d[n]) / (12 * step) for n in names}

        knots = sorted({0.0, 1.0, *(float(b) for b in breakpoints)})
        if knots[0] < 0.0 or knots[-1] > 1.0:
            raise ValueError(f"breakpoints must lie in [0, 1], got {list(breakpoints)}")
        return cls(names, function, derivative, tuple(knots), label)

    @property
    def start(self) -> dict[str, float]:
        return dict(self.function(0.0))

    @property
    def end(self) -> dict[str, float]:
        return dict(self.function(1.0))

    def panel_edges(self, panels_per_segment: int) -> np.ndarray:
        """Edges of ``panels_per_segment`` equal panels in s on each smooth segment (sorted, the
        corners included once): the panels of every Gauss-Kronrod rule along the path, at most
        :data:`MAX_PANELS_PER_SEGMENT` a segment."""
        n = check_integer("panels_per_segment", panels_per_segment, low=1, high=MAX_PANELS_PER_SEGMENT, integral_float=True)
        segments = zip(self.breakpoints[:-1], self.breakpoints[1:], strict=True)
        return np.unique(np.concatenate([np.linspace(a, b, n + 1) for a, b in segments]))

    def nodes(self, n_per_segment: int) -> tuple[np.ndarray, np.ndarray]:
        """Gauss-Legendre nodes and weights in s, ``n_per_segment`` on each smooth segment."""
        x, w = np.polynomial.legendre.leggauss(int(n_per_segment))
        s_all, w_all = [], []
        for a, b in zip(self.breakpoints[:-1], self.breakpoints[1:], strict=True):
            s_all.append(0.5 * (b - a) * x + 0.5 * (a + b))
            w_all.append(0.5 * (b - a) * w)
        return np.concatenate(s_all), np.concatenate(w_all)
