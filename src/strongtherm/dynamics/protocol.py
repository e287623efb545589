"""Finite-speed protocols: a path in parameter space, a duration and a schedule.

A protocol drives the parameters as lambda(t) = path(s(t)) with s(t) = schedule(t / tau) for
0 <= t <= tau (the ramp) and s = 1 during an optional ``hold`` of the final parameters
(tau < t <= tau + hold), during which the system relaxes at fixed lambda_B. The schedule maps
u = t / tau in [0, 1] onto s in [0, 1] with s(0) = 0 and s(1) = 1:

* ``"linear"``: s = u (constant speed along the path);
* ``"smooth"``: s = sin^2(pi u / 2) (zero speed at both ends, analytic inside);
* a callable ``s(u)`` (vectorized), with its derivative or with one computed by finite differences;
  its jumps (discontinuities of s) are found and become sudden quenches at that instant;
* a list of knots ``[(u_0, s_0), ..., (u_K, s_K)]``, piecewise linear; equal consecutive s values
  are holds inside the ramp.

``duration = 0`` is the sudden quench: the parameters jump from path(0) to path(1) at t = 0.
Times are in units of hbar / energy (hbar = 1).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from ..core.validation import check_real
from ..path import Path

__all__ = ["Protocol", "Schedule"]

#: Tolerance of the schedule checks s(0) = 0, s(1) = 1 and 0 <= s <= 1 (rounding of a user function).
SCHEDULE_ATOL = 1e-12
#: Points of u at which a user schedule is checked, and its jumps are looked for, when it is built
#: (2^14 + 1: a jump of size J is seen wherever J exceeds a few times the smooth change s' / 2^14).
_CHECK_POINTS = 16385
#: A change of s across two adjacent floats larger than this is a jump (a discontinuity of s).
JUMP_ATOL = 1e-9
#: Most intervals of the check grid bisected in search of a jump (the largest changes first): a
#: noisy schedule must not cost 16384 bisections; a jump missed shows in drive's energy balance.
MAX_JUMP_CANDIDATES = 256
#: Finite-difference derivative of a user schedule: points and spacing of the Lagrange stencil.
STENCIL_POINTS = 7
STENCIL_SPACING = 1e-3


class _Guarded:
    """A user callable (schedule or its derivative) whose every evaluation is checked.

    It converts to a float array, names the schedule and u in any error (the original chained),
    rejects values that are not finite, and for the schedule itself values outside [0, 1]
    (beyond ``SCHEDULE_ATOL``, then clipped): a schedule is checked wherever it is evaluated, not
    only on a grid.
    """

    def __init__(self, function: Callable[[np.ndarray], np.ndarray], label: str, what: str, bounded: bool) -> None:
        self.function, self.label, self.what, self.bounded = function, label, what, bounded

    def __call__(self, u: np.ndarray) -> np.ndarray:
        u = np.asarray(u, dtype=float)
        try:
            values = np.asarray(self.function(u), dtype=float)
        except Exception as exc:  # any user error, named and chained (never swallowed)
            raise ValueError(
                f"{self.what} of schedule {self.label!r} failed at u = {_first_failing(self.function, u)}: "
                f"{type(exc).__name__}: {exc}"
            ) from exc
        if values.shape != u.shape:
            raise ValueError(f"{self.what} of schedule {self.label!r} must be vectorized: f(u) of shape {u.shape}, got {values.shape}")
        bad = ~np.isfinite(values)
        if self.bounded:
            bad |= (values < -SCHEDULE_ATOL) | (values > 1.0 + SCHEDULE_ATOL)
        if np.any(bad):
            i = np.flatnonzero(bad)[0]
            allowed = "must lie in [0, 1]" if self.bounded else "must be finite"
            raise ValueError(
                f"{self.what} of schedule {self.label!r} {allowed}, got {float(values.flat[i])!r} at u = {float(u.flat[i])!r}"
            )
        return np.clip(values, 0.0, 1.0) if self.bounded else values


def _first_failing(function: Callable[[np.ndarray], np.ndarray], u: np.ndarray) -> str:
    """The first u (of an array) at which ``function`` raises on its own, for an error message."""
    if u.size <= 1:
        return repr(float(u.reshape(-1)[0])) if u.size else "[]"
    for x in u.reshape(-1)[:10_000]:  # one point at a time, only to name the culprit
        try:
            function(np.asarray(x))
        except Exception:
            return repr(float(x))
    return f"one of {u.size} points in [{u.min():.6g}, {u.max():.6g}]"


def _jumps(function: Callable[[np.ndarray], np.ndarray], grid: np.ndarray, values: np.ndarray) -> list[tuple[float, float, float, float]]:
    """The jumps of s as (u_lo, u_hi, s(u_lo), s(u_hi)), u_lo and u_hi adjacent floats.

    An interval of the grid whose change is more than 4 times its neighbours' (and above
    ``JUMP_ATOL``) is bisected down to adjacent floats; a change above ``JUMP_ATOL`` left there
    is a jump (a continuous s changes by ~ s' 1e-16 there).
    """
    step = np.abs(np.diff(values))
    neighbours = np.maximum(np.concatenate([[0.0], step[:-1]]), np.concatenate([step[1:], [0.0]]))
    found = []
    candidates = np.flatnonzero((step > 4.0 * neighbours) & (step > JUMP_ATOL))
    candidates = np.sort(candidates[np.argsort(-step[candidates], kind="stable")[:MAX_JUMP_CANDIDATES]])
    for i in candidates:
        lo, hi, s_lo, s_hi = float(grid[i]), float(grid[i + 1]), float(values[i]), float(values[i + 1])
        while True:
            mid = 0.5 * (lo + hi)
            if not lo < mid < hi:
                break
            s_mid = float(function(np.asarray(mid)))
            if abs(s_mid - s_lo) > abs(s_hi - s_mid):
                hi, s_hi = mid, s_mid
            else:
                lo, s_lo = mid, s_mid
        if abs(s_hi - s_lo) > JUMP_ATOL:
            found.append((lo, hi, s_lo, s_hi))
    return found


def _stencil_matrix(points: int) -> np.ndarray:
    """M with p(z) = sum_j (M f)_j z^j the interpolant through (k, f_k), k = 0..points-1 centred."""
    z = np.arange(points) - 0.5 * (points - 1)
    return np.linalg.inv(z[:, None] ** np.arange(points)[None, :])


_STENCIL = _stencil_matrix(STENCIL_POINTS)


class _StencilDerivative:
    """ds/du of a user schedule from a 7-point Lagrange stencil kept inside the smooth interval of u.

    The stencil (spacing 1e-3, smaller on short intervals) is centred where it fits, and shifted
    to stay inside the interval between the schedule's kinks and jumps near its ends (s is not
    smooth, or not defined, across them): truncation ~ 5e-20 max abs(s^(7)) centred,
    ~ 1e-17 max abs(s^(7)) one-sided, rounding ~ 1e-13 max abs(s) centred and ~ 3e-13 max abs(s)
    at the ends (measured: 5e-13 at
    u = 0 and 1 before the differences were taken from the middle node, 2e-13 after, for s = u +
    4u(1-u) sum_k a_k sin((k+1) pi u), |a_k| ~ 0.1; 4e-13 for sin^2(pi u / 2)).
    """

    def __init__(self, function: Callable[[np.ndarray], np.ndarray], intervals: Sequence[tuple[float, float]]) -> None:
        self.function = function
        self.starts = np.array([a for a, _ in intervals])
        self.intervals = np.array(intervals, dtype=float)

    def __call__(self, u: np.ndarray) -> np.ndarray:
        u = np.asarray(u, dtype=float)
        x = u.reshape(-1)
        k = np.clip(np.searchsorted(self.starts, x, side="right") - 1, 0, len(self.starts) - 1)
        lo, hi = self.intervals[k, 0], self.intervals[k, 1]
        half = 0.5 * (STENCIL_POINTS - 1)
        # an interval of no width (u = 0 before a jump there) has no slope: 0, never 0 / 0
        h = np.maximum(np.minimum(STENCIL_SPACING, (hi - lo) / (STENCIL_POINTS - 1)), np.finfo(float).tiny)
        centre = np.clip(x, lo + half * h, hi - half * h)
        offsets = np.arange(STENCIL_POINTS) - half
        nodes = np.clip(centre[:, None] + h[:, None] * offsets[None, :], lo[:, None], hi[:, None])
        values = np.asarray(self.function(nodes.reshape(-1)), dtype=float).reshape(nodes.shape)
        # differences from the middle node: a constant drops out exactly, and the rounding of
        # _STENCIL (~1e-16 cond) multiplies changes ~ h s', not s
        values -= values[:, STENCIL_POINTS // 2 : STENCIL_POINTS // 2 + 1]
        coefficients = values @ _STENCIL.T  # interpolant in z = (u - centre) / h
        theta = (x - centre) / h
        powers = np.arange(1, STENCIL_POINTS)
        slope = np.sum(coefficients[:, 1:] * powers * theta[:, None] ** (powers - 1), axis=1)
        return (slope / h).reshape(u.shape)


@dataclass(frozen=True)
class Schedule:
    """A schedule s(u): [0, 1] -> [0, 1], s(0) = 0, s(1) = 1 (build with the class methods).

    Attributes
    ----------
    function, derivative
        Vectorized s(u) and ds/du.
    kinks
        Values of u (0 and 1 included) where ds/du may jump; the integrator never steps across one.
    constant_intervals
        Intervals of u on which s is constant (holds inside the ramp).
    label
        Shown in reports.
    jumps
        Discontinuities of s as (u, s just before, s just after), u among the kinks: the
        integrator treats each as a sudden quench at that instant.
    """

    function: Callable[[np.ndarray], np.ndarray]
    derivative: Callable[[np.ndarray], np.ndarray]
    kinks: tuple[float, ...] = (0.0, 1.0)
    constant_intervals: tuple[tuple[float, float], ...] = ()
    label: str = "schedule"
    jumps: tuple[tuple[float, float, float], ...] = ()

    @classmethod
    def linear(cls) -> Schedule:
        """s = u."""
        return cls(lambda u: np.asarray(u, dtype=float), lambda u: np.ones_like(np.asarray(u, dtype=float)), label="linear")

    @classmethod
    def smooth(cls) -> Schedule:
        """s = sin^2(pi u / 2): zero speed at both ends."""
        return cls(
            lambda u: np.sin(0.5 * np.pi * np.asarray(u, dtype=float)) ** 2,
            lambda u: 0.5 * np.pi * np.sin(np.pi * np.asarray(u, dtype=float)),
            label="smooth",
        )

    @classmethod
    def piecewise(cls, knots: Sequence[tuple[float, float]]) -> Schedule:
        """Piecewise-linear s(u) through ``knots`` [(u_0 = 0, s_0 = 0), ..., (u_K = 1, s_K = 1)].

        Raises
        ------
        ValueError
            If u does not rise strictly from 0 to 1, or s leaves [0, 1] or does not run from 0 to 1.
        """
        try:
            arr = np.asarray(knots, dtype=float)
        except (TypeError, ValueError):
            raise ValueError(f"schedule knots must be a list of (u, s) pairs, got {knots!r}") from None
        if arr.ndim != 2 or arr.shape[1] != 2 or arr.shape[0] < 2:
            raise ValueError(f"schedule knots must be a list of at least 2 (u, s) pairs, got shape {arr.shape}")
        if not np.all(np.isfinite(arr)):
            raise ValueError("schedule knots must be finite")
        u, s = arr[:, 0], arr[:, 1]
        if u[0] != 0.0 or u[-1] != 1.0 or np.any(np.diff(u) <= 0.0):
            raise ValueError(f"schedule knots: u must rise strictly from 0 to 1, got {u.tolist()}")
        if s[0] != 0.0 or s[-1] != 1.0 or np.any(s < 0.0) or np.any(s > 1.0):
            raise ValueError(f"schedule knots: s must lie in [0, 1] and run from 0 to 1, got {s.tolist()}")
        slopes = np.diff(s) / np.diff(u)

        def function(x: np.ndarray) -> np.ndarray:
            return np.interp(np.asarray(x, dtype=float), u, s)

        def derivative(x: np.ndarray) -> np.ndarray:
            x = np.asarray(x, dtype=float)
            k = np.clip(np.searchsorted(u, x, side="right") - 1, 0, len(slopes) - 1)
            return slopes[k]

        holds = tuple((float(a), float(b)) for a, b, m in zip(u[:-1], u[1:], slopes, strict=True) if m == 0.0)
        return cls(function, derivative, tuple(float(x) for x in u), holds, label=f"piecewise {arr.tolist()}")

    @classmethod
    def from_function(
        cls,
        function: Callable[[np.ndarray], np.ndarray],
        derivative: Callable[[np.ndarray], np.ndarray] | None = None,
        *,
        kinks: Sequence[float] = (0.0, 1.0),
        label: str | None = None,
    ) -> Schedule:
        """A user schedule s(u), checked on 16385 points and the kinks, then at every evaluation.

        Jumps of s (a change above ``JUMP_ATOL`` = 1e-9 between adjacent floats, looked for on
        the check grid and located by bisection) become kinks and :attr:`jumps`: the integrator
        applies each as a sudden quench, W += <h_after - h_before> in the current state.

        Without ``derivative``, ds/du comes from a 7-point Lagrange stencil of spacing 1e-3 kept
        inside each smooth interval (between kinks and jumps): error ~1e-13 max abs(s) inside and
        ~3e-13 max abs(s) within 3e-3 of an interval's ends, plus ~1e-17 max abs(s^(7)).

        Parameters
        ----------
        function
            Vectorized s(u) on [0, 1], s(0) = 0, s(1) = 1, 0 <= s <= 1.
        derivative
            Vectorized ds/du, optional.
        kinks
            Values of u where ds/du may jump (0 and 1 are always kinks).
        label
            Shown in reports and error messages (default: "user schedule" and the function's name).

        Raises
        ------
        ValueError
            If s is not finite, leaves [0, 1], or s(0) != 0 or s(1) != 1 (beyond 1e-12), here or
            at any later evaluation; if the function raises (the message names the schedule and
            u, the original error chained).
        """
        if not callable(function):
            raise ValueError(f"schedule must be 'linear', 'smooth', a callable s(u) or a list of knots, got {function!r}")
        if label is None:
            label = f"user schedule {getattr(function, '__qualname__', type(function).__name__)}"
        guarded = _Guarded(function, label, "s(u)", bounded=True)
        knots = sorted({0.0, 1.0, *(check_real("kinks", k, low=0.0, high=1.0) for k in kinks)})
        grid = np.union1d(np.linspace(0.0, 1.0, _CHECK_POINTS), knots)
        ends = _Guarded(function, label, "s(u)", bounded=False)(np.array([0.0, 1.0]))
        if abs(ends[0]) > SCHEDULE_ATOL or abs(ends[1] - 1.0) > SCHEDULE_ATOL:
            raise ValueError(
                f"schedule {label!r} must start at s(0) = 0 and end at s(1) = 1, got s(0) = {ends[0]!r}, s(1) = {ends[1]!r}"
            )
        values = guarded(grid)
        jumps = _jumps(guarded, grid, values)
        # a jump is placed at u_hi (s(u_hi) is the value after it), one right after s(0) = 0 at u = 0
        # (a sudden quench at t = 0); smooth intervals of u run between kinks and jumps, the
        # interval left of a jump ending at u_lo, the one right of it starting at u_hi
        at = {(0.0 if lo == 0.0 else hi): (lo, hi) for lo, hi, _, _ in jumps}
        bounds = sorted({*knots, *at})
        intervals = [
            (at[a][1] if a in at else a, at[b][0] if b in at and b > 0.0 else b)
            for a, b in zip(bounds[:-1], bounds[1:], strict=True)
        ]
        if derivative is None:
            slope: Callable[[np.ndarray], np.ndarray] = _StencilDerivative(guarded, intervals)
        else:
            slope = _Guarded(derivative, label, "ds/du", bounded=False)
        jump_table = tuple((0.0 if lo == 0.0 else hi, s_lo, s_hi) for lo, hi, s_lo, s_hi in jumps)
        return cls(guarded, slope, tuple(bounds), (), label, jump_table)

    @classmethod
    def coerce(cls, schedule: object) -> Schedule:
        """``"linear"``, ``"smooth"``, a :class:`Schedule`, a callable or a list of knots."""
        if isinstance(schedule, Schedule):
            return schedule
        if isinstance(schedule, str):
            if schedule == "linear":
                return cls.linear()
            if schedule == "smooth":
                return cls.smooth()
            raise ValueError(f"schedule must be 'linear', 'smooth', a callable s(u) or a list of (u, s) knots, got {schedule!r}")
        if callable(schedule):
            return cls.from_function(schedule)
        if isinstance(schedule, Sequence | np.ndarray):
            return cls.piecewise(schedule)  # type: ignore[arg-type]
        raise ValueError(f"schedule must be 'linear', 'smooth', a callable s(u) or a list of (u, s) knots, got {schedule!r}")


@dataclass(frozen=True)
class Protocol:
    """A finite-speed protocol lambda(t) = path(schedule(t / duration)), then a hold at path(1).

    Parameters
    ----------
    path : Path
        Path in the model's parameter space (:class:`strongtherm.Path`).
    duration : float
        Ramp duration tau >= 0, in units of hbar / energy; 0 is the sudden quench.
    schedule : str, callable, list of (u, s) or Schedule
        ``"linear"`` (default), ``"smooth"``, a vectorized s(u), or piecewise-linear knots.
    hold : float
        Time >= 0 spent at the final parameters after the ramp.

    Raises
    ------
    ValueError
        If ``path`` is not a Path, ``duration`` or ``hold`` is negative or not finite, or the
        schedule is invalid (the message names the argument and the allowed range).

    Examples
    --------
    >>> import strongtherm as st
    >>> proto = st.dynamics.Protocol(st.Path.line({"eps_s": 0.0}, {"eps_s": 1.0}), duration=5.0)
    >>> proto.parameters(2.5)["eps_s"]
    0.5
    """

    path: Path
    duration: float
    schedule: Schedule | str | Callable[[np.ndarray], np.ndarray] | Sequence[tuple[float, float]] = "linear"
    hold: float = 0.0

    def __post_init__(self) -> None:
        if not isinstance(self.path, Path):
            raise ValueError(f"path must be a strongtherm.Path (Path.line, Path.corners, Path.from_function), got {type(self.path).__name__}")
        object.__setattr__(self, "duration", check_real("duration", self.duration, low=0.0))
        object.__setattr__(self, "hold", check_real("hold", self.hold, low=0.0))
        object.__setattr__(self, "schedule", Schedule.coerce(self.schedule))

    # ------------------------------------------------------------------ time axis
    @property
    def total_time(self) -> float:
        """duration + hold."""
        return self.duration + self.hold

    @property
    def sudden(self) -> bool:
        """True for duration = 0 (the parameters jump at t = 0)."""
        return self.duration == 0.0

    def progress(self, t: np.ndarray | float) -> np.ndarray:
        """s(t) in [0, 1]; s = 1 after the ramp (for a sudden quench s(0) = 0, s(t > 0) = 1)."""
        t = np.asarray(t, dtype=float)
        if self.sudden:
            return np.where(t > 0.0, 1.0, 0.0)
        u = np.clip(t / self.duration, 0.0, 1.0)
        return np.asarray(self.schedule.function(u), dtype=float)  # type: ignore[union-attr]

    def progress_rate(self, t: np.ndarray | float) -> np.ndarray:
        """ds/dt (0 during the hold); for a sudden quench 0 (the jump is handled apart)."""
        t = np.asarray(t, dtype=float)
        if self.sudden:
            return np.zeros_like(t)
        u = t / self.duration
        inside = (u >= 0.0) & (u <= 1.0)
        rate = np.asarray(self.schedule.derivative(np.clip(u, 0.0, 1.0)), dtype=float) / self.duration  # type: ignore[union-attr]
        return np.where(inside, rate, 0.0)

    def parameters(self, t: float) -> dict[str, float]:
        """lambda(t) as a parameter mapping."""
        return dict(self.path.function(float(self.progress(t))))

    def rates(self, t: float) -> dict[str, float]:
        """d lambda / dt at t (path derivative times ds/dt)."""
        rate = float(self.progress_rate(t))
        if rate == 0.0:
            return dict.fromkeys(self.path.names, 0.0)
        return {k: v * rate for k, v in self.path.derivative(float(self.progress(t))).items()}

    def jumps(self) -> list[tuple[float, float, float]]:
        """Sudden quenches as (t, s just before, s just after): the jumps of the schedule, and for
        duration 0 the jump from s = 0 to s = 1 at t = 0."""
        if self.sudden:
            return [(0.0, 0.0, 1.0)]
        return [(self.duration * u, s_before, s_after) for u, s_before, s_after in self.schedule.jumps]  # type: ignore[union-attr]

    def kinks(self) -> np.ndarray:
        """Times in [0, total_time] where d lambda / dt may jump: ramp ends, schedule kinks and
        jumps, path corners."""
        times = {0.0, self.duration, self.total_time}
        if not self.sudden:
            times.update(self.duration * k for k in self.schedule.kinks)  # type: ignore[union-attr]
            interior = [b for b in self.path.breakpoints if 0.0 < b < 1.0]
            if interior:
                u = np.linspace(0.0, 1.0, _CHECK_POINTS)
                s = self.schedule.function(u)  # type: ignore[union-attr]
                for b in interior:
                    crossing = np.nonzero(np.diff(np.sign(s - b)) != 0)[0]
                    for k in crossing:
                        # linear interpolation, refined by bisection on the schedule
                        lo, hi = u[k], u[k + 1]
                        for _ in range(60):
                            mid = 0.5 * (lo + hi)
                            if (self.schedule.function(np.array(mid)) - b) * (s[k] - b) > 0:  # type: ignore[union-attr]
                                lo = mid
                            else:
                                hi = mid
                        times.add(self.duration * 0.5 * (lo + hi))
            # a jump across a path corner is found twice: keep the jump's own time, no sliver piece
            jump_times = np.array([t for t, _, _ in self.jumps()])
            if jump_times.size:
                slack = 1e-12 * self.duration
                times = {t for t in times if t in jump_times or np.min(np.abs(jump_times - t)) > slack}
        return np.array(sorted(times))

    def constant_intervals(self) -> list[tuple[float, float]]:
        """Time intervals on which lambda is constant (holds): the integrator takes exact steps there."""
        out = [] if self.sudden else [(self.duration * a, self.duration * b) for a, b in self.schedule.constant_intervals]  # type: ignore[union-attr]
        if self.hold > 0.0:
            out.append((self.duration, self.total_time))
        return out

    def describe(self) -> str:
        label = self.schedule.label if isinstance(self.schedule, Schedule) else str(self.schedule)
        return f"{self.path.label}, duration {self.duration:g} ({label}), hold {self.hold:g}"
