"""Finite-speed protocols: a path in parameter space, a duration and a schedule.

A protocol drives the parameters as lambda(t) = path(s(t)) with s(t) = schedule(t / tau) for
0 <= t <= tau (the ramp) and s = 1 during an optional ``hold`` of the final parameters
(tau < t <= tau + hold), during which the system relaxes at fixed lambda_B. The schedule maps
u = t / tau in [0, 1] onto s in [0, 1] with s(0) = 0 and s(1) = 1:

* ``"linear"``: s = u (constant speed along the path);
* ``"smooth"``: s = sin^2(pi u / 2) (zero speed at both ends, analytic inside);
* a callable ``s(u)`` (vectorized), with its derivative or with one computed by finite differences;
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
#: Points of u at which a user schedule is checked.
_CHECK_POINTS = 2001


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
    """

    function: Callable[[np.ndarray], np.ndarray]
    derivative: Callable[[np.ndarray], np.ndarray]
    kinks: tuple[float, ...] = (0.0, 1.0)
    constant_intervals: tuple[tuple[float, float], ...] = ()
    label: str = "schedule"

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
        label: str = "user schedule",
    ) -> Schedule:
        """A user schedule s(u), checked on 2001 points and the kinks.

        Without ``derivative``, ds/du comes from fourth-order central differences (step 1e-4,
        one-sided near the ends), error ~1e-13 for a smooth s.

        Raises
        ------
        ValueError
            If s is not finite, leaves [0, 1], or s(0) != 0 or s(1) != 1 (beyond 1e-12).
        """
        if not callable(function):
            raise ValueError(f"schedule must be 'linear', 'smooth', a callable s(u) or a list of knots, got {function!r}")
        knots = sorted({0.0, 1.0, *(check_real("kinks", k, low=0.0, high=1.0) for k in kinks)})
        grid = np.union1d(np.linspace(0.0, 1.0, _CHECK_POINTS), knots)
        try:
            values = np.asarray(function(grid), dtype=float)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"schedule function failed on an array of u in [0, 1]: {exc}") from None
        if values.shape != grid.shape:
            raise ValueError(f"schedule function must be vectorized: s(u) of shape {grid.shape}, got {values.shape}")
        if not np.all(np.isfinite(values)):
            raise ValueError("schedule s(u) must be finite on [0, 1]")
        if abs(values[0]) > SCHEDULE_ATOL or abs(values[-1] - 1.0) > SCHEDULE_ATOL:
            raise ValueError(f"schedule must start at s(0) = 0 and end at s(1) = 1, got s(0) = {values[0]!r}, s(1) = {values[-1]!r}")
        if np.min(values) < -SCHEDULE_ATOL or np.max(values) > 1.0 + SCHEDULE_ATOL:
            raise ValueError(f"schedule s(u) must lie in [0, 1], got values in [{np.min(values):.6g}, {np.max(values):.6g}]")

        def clipped(x: np.ndarray) -> np.ndarray:
            return np.clip(np.asarray(function(np.asarray(x, dtype=float)), dtype=float), 0.0, 1.0)

        if derivative is None:
            step = 1e-4

            def derivative(x: np.ndarray) -> np.ndarray:
                x = np.asarray(x, dtype=float)
                # shift the 5-point stencil inside [0, 1] near the ends (s is only defined there)
                c = np.clip(x, 2 * step, 1.0 - 2 * step)
                a, b, d, e = (np.asarray(function(c + k * step), dtype=float) for k in (2, 1, -1, -2))
                first = (-a + 8 * b - 8 * d + e) / (12 * step)
                second = (a - b - d + e) / (3 * step**2)  # (s(c+2h)-s(c+h)-s(c-h)+s(c-2h))/(3h^2) ~ s''
                return first + (x - c) * second

        return cls(clipped, derivative, tuple(knots), (), label)

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

    def kinks(self) -> np.ndarray:
        """Times in [0, total_time] where d lambda / dt may jump: ramp ends, schedule kinks, path corners."""
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
