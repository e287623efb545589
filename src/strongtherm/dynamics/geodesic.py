"""Minimum-dissipation paths: the geodesic of the friction metric in a plane of two parameters.

Driven at constant metric speed along the shortest path of the metric zeta
(:mod:`strongtherm.dynamics.friction`), the first-order dissipated work L^2 / tau is the smallest
over all paths and schedules between two end points (Sivak & Crooks, PRL 108, 190602 (2012)).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from ..core.validation import check_integer, check_real
from ..core.warnings import NumericsWarning
from ..negf.spectral import bound_states
from ..negf.system import OpenSystem, check_model_and_bath
from ..path import Path
from ..thermal import Bath
from .friction import Friction, format_point, friction
from .tensor import FrictionOptions, friction_tensor

__all__ = ["MAX_GRID_POINTS", "MAX_SEGMENTS", "Geodesic", "geodesic"]

#: Grid points per axis of the friction metric at most: 101 x 101 = 10 201 friction tensors and
#: bound-state searches, about 25 s for the resonant level (2 ms a point); the bicubic interpolant
#: is smooth long before that.
MAX_GRID_POINTS = 101

#: Segments of the discrete geodesic at most (2 x 1023 variables for L-BFGS-B, each step cheap).
MAX_SEGMENTS = 1024


@dataclass(frozen=True, eq=False)
class Geodesic:
    """Shortest path in the friction metric between two points of a 2-parameter plane.

    Along it, driven at constant metric speed (its :meth:`Friction.optimal_protocol`), the
    first-order dissipated work L^2 / tau is the smallest over all paths and schedules between the
    end points (Sivak & Crooks 2012).

    Attributes
    ----------
    names : tuple of str
        The two parameters of the plane.
    points : (N + 1, 2) ndarray
        The discrete geodesic (end points included), equally spaced in metric length.
    path : Path
        A cubic spline through ``points`` with s = k / N (so that constant speed in s is close to
        constant metric speed).
    length_estimate : float
        Length of the discrete geodesic in the interpolated metric (sqrt of N x discrete action).
    friction : Friction
        The friction along ``path`` computed afresh by the engine (not from the interpolation):
        ``friction.thermodynamic_length`` is the length to trust.
    straight : Friction
        The same along the straight line, for comparison.
    grid : tuple of (ndarray, ndarray)
        The grid on which zeta was computed and interpolated (bicubic).
    touches_bounds : bool
        True when the discrete geodesic runs along the edge of the search box: it is then the
        shortest path inside the box, and a larger box (if free of bound states) may give a shorter one.
    """

    names: tuple[str, str]
    points: np.ndarray
    path: Path
    length_estimate: float
    friction: Friction
    straight: Friction
    grid: tuple[np.ndarray, np.ndarray]
    touches_bounds: bool

    def __repr__(self) -> str:
        return (
            f"Geodesic({self.names[0]}, {self.names[1]}: {len(self.points)} points; length "
            f"{self.friction.thermodynamic_length:.8g} vs straight line {self.straight.thermodynamic_length:.8g}"
            f"{'; touches the search box' if self.touches_bounds else ''})"
        )


def geodesic(
    model: OpenSystem,
    bath: Bath,
    start: Mapping[str, float],
    end: Mapping[str, float],
    *,
    bounds: Mapping[str, tuple[float, float]] | None = None,
    grid_points: int = 21,
    n_segments: int = 32,
    options: FrictionOptions | None = None,
) -> Geodesic:
    """Minimum-dissipation path between ``start`` and ``end`` in a plane of two parameters.

    zeta is computed by the engine on a ``grid_points`` x ``grid_points`` grid over ``bounds``
    (default: the box of the end points widened by half its size on each side, inside the
    model's domain), interpolated bicubically through its Cholesky factor (so that it stays
    positive), and the discrete action N sum_k dl_k^T zeta dl_k
    over ``n_segments`` segments is minimized (L-BFGS-B, analytic gradient) from the straight
    line. The result is then checked by computing the friction along it afresh.

    Parameters
    ----------
    model, bath : OpenSystem, Bath
    start, end : mapping
        The end points, with the same two parameter names (other parameters: model defaults).
    bounds : mapping name -> (low, high), optional
        The box searched; it must contain both end points and hold no bound state.
    grid_points : int
        Grid points per axis, in [6, 101] (:data:`MAX_GRID_POINTS`).
    n_segments : int
        Segments of the discrete geodesic, in [4, 1024] (:data:`MAX_SEGMENTS`).
    options : FrictionOptions, optional

    Raises
    ------
    ValueError
        Bad end points or bounds, ``grid_points`` or ``n_segments`` outside their range, or a
        bound state on the grid (its friction is infinite).
    """
    from scipy.interpolate import CubicSpline, RectBivariateSpline
    from scipy.optimize import minimize

    check_model_and_bath(model, bath)
    if not isinstance(start, Mapping) or not isinstance(end, Mapping) or set(start) != set(end) or len(start) != 2:
        raise ValueError("start and end must be mappings of the same two parameter names")
    names = tuple(start)
    for name in names:
        model._check_name(name)
    a = np.array([check_real(f"start[{n!r}]", start[n]) for n in names])
    b = np.array([check_real(f"end[{n!r}]", end[n]) for n in names])
    n_grid = check_integer("grid_points", grid_points, low=6, high=MAX_GRID_POINTS, integral_float=True)
    n_seg = check_integer("n_segments", n_segments, low=4, high=MAX_SEGMENTS, integral_float=True)
    if bounds is None:
        span = np.maximum(np.abs(b - a), 1e-3 * (1.0 + np.abs(a) + np.abs(b)))
        box = [(min(a[i], b[i]) - 0.5 * span[i], max(a[i], b[i]) + 0.5 * span[i]) for i in range(2)]
        box = [(max(lo, model.parameter_domain[n][0]), min(hi, model.parameter_domain[n][1]))
               for (lo, hi), n in zip(box, names, strict=True)]  # fmt: skip
    else:
        if set(bounds) != set(names):
            raise ValueError(f"bounds must give (low, high) for {list(names)}")
        box = [(check_real(f"bounds[{n!r}][0]", bounds[n][0]), check_real(f"bounds[{n!r}][1]", bounds[n][1])) for n in names]
    for i, n in enumerate(names):
        lo, hi = box[i]
        if not (lo < hi and lo <= min(a[i], b[i]) and max(a[i], b[i]) <= hi):
            raise ValueError(f"bounds[{n!r}] = ({lo:g}, {hi:g}) must be an interval containing both end points")
    axes = (np.linspace(*box[0], n_grid), np.linspace(*box[1], n_grid))
    X, Y = np.meshgrid(*axes, indexing="ij")
    grid = [model.resolve({names[0]: float(x), names[1]: float(y)}) for x, y in zip(X.ravel(), Y.ravel(), strict=True)]
    for point in grid:
        if bound_states(model, point):
            raise ValueError(
                f"a bound state exists on the search grid at {format_point({n: point[n] for n in names})}: its friction "
                "is infinite; choose bounds that keep the plane free of bound states"
            )
    zeta, _ = friction_tensor(model, bath, grid, names, options=options)
    # interpolate the Cholesky factor R (zeta = R R^T), not zeta: a bicubic zeta can lose its
    # positivity between grid points, and the minimizer would then run into the hole
    zeta = zeta.reshape(n_grid, n_grid, 2, 2)
    floor = 1e-14 * float(np.max(np.abs(zeta))) * np.eye(2)  # zeta may be singular (e.g. T -> 0, one channel)
    factor = np.linalg.cholesky(zeta + floor)
    splines = {(i, j): RectBivariateSpline(*axes, factor[:, :, i, j]) for i, j in ((0, 0), (1, 0), (1, 1))}

    def cholesky_factor(points: np.ndarray, dx: int = 0, dy: int = 0) -> np.ndarray:
        out = np.zeros((len(points), 2, 2))
        for (i, j), spline in splines.items():
            out[:, i, j] = spline(points[:, 0], points[:, 1], dx=dx, dy=dy, grid=False)
        return out

    def metric(points: np.ndarray, dx: int = 0, dy: int = 0) -> np.ndarray:
        R = cholesky_factor(points)
        if dx == dy == 0:
            return R @ np.swapaxes(R, 1, 2)
        dR = cholesky_factor(points, dx, dy)
        product = dR @ np.swapaxes(R, 1, 2)
        return product + np.swapaxes(product, 1, 2)

    def action(flat: np.ndarray) -> tuple[float, np.ndarray]:
        pts = np.vstack([a, flat.reshape(-1, 2), b])
        step = np.diff(pts, axis=0)  # (N, 2)
        mid = 0.5 * (pts[1:] + pts[:-1])
        Z = metric(mid)
        value = n_seg * float(np.einsum("ki,kij,kj->", step, Z, step))
        # d/d step_k: 2 Z step; d/d mid_k: step^T (dZ/dx_c) step, mid_k = (p_k + p_k+1) / 2
        g_step = 2.0 * np.einsum("kij,kj->ki", Z, step)
        g_mid = np.stack([np.einsum("ki,kij,kj->k", step, metric(mid, dx=1), step),
                          np.einsum("ki,kij,kj->k", step, metric(mid, dy=1), step)], axis=1)  # fmt: skip
        grad = np.zeros_like(pts)
        grad[1:] += g_step + 0.5 * g_mid
        grad[:-1] += -g_step + 0.5 * g_mid
        return value, n_seg * grad[1:-1].ravel()

    straight_points = a + np.linspace(0.0, 1.0, n_seg + 1)[:, None] * (b - a)
    box_bounds = [box[0], box[1]] * (n_seg - 1)
    result = minimize(action, straight_points[1:-1].ravel(), jac=True, method="L-BFGS-B", bounds=box_bounds,
                      options={"maxiter": 2000, "ftol": 1e-14, "gtol": 1e-10})  # fmt: skip
    if not result.success:
        warnings.warn(f"geodesic: the action minimization stopped without converging ({result.message})",
                      NumericsWarning, stacklevel=2)  # fmt: skip
    points = np.vstack([a, result.x.reshape(-1, 2), b])
    spline = CubicSpline(np.linspace(0.0, 1.0, n_seg + 1), points, axis=0)
    slope = spline.derivative()

    def function(s: float) -> dict[str, float]:
        return dict(zip(names, (float(v) for v in spline(float(np.clip(s, 0.0, 1.0)))), strict=True))

    def derivative(s: float) -> dict[str, float]:
        return dict(zip(names, (float(v) for v in slope(float(np.clip(s, 0.0, 1.0)))), strict=True))

    label = f"friction geodesic {format_point(dict(zip(names, a, strict=True)))} -> {format_point(dict(zip(names, b, strict=True)))}"
    path = Path.from_function(function, derivative, label=label)
    return Geodesic(
        names=names,  # type: ignore[arg-type]
        points=points,
        path=path,
        length_estimate=float(np.sqrt(result.fun)),
        friction=friction(model, bath, path, options=options),
        straight=friction(model, bath, Path.line(dict(zip(names, a, strict=True)), dict(zip(names, b, strict=True))), options=options),
        grid=axes,
        touches_bounds=bool(np.any([np.isclose(points[1:-1, i], edge, rtol=0.0, atol=1e-9 * (1.0 + abs(edge)))
                                    for i in range(2) for edge in box[i]])),
    )
