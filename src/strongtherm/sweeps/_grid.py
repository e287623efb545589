"""Grid checks of a sweep: every problem is a ValueError naming the parameter, before anything runs.

A grid is a mapping ``name -> 1-D values``; its points are the Cartesian product in the order of
the mapping (C order, the last name fastest). Values must be real, finite, at least one, and
distinct (a repeated value would make two points of one coordinate). A name must be one the
computation accepts (its ``parameters`` attribute, else its signature), and every required name
must be there. A sweep has at most :data:`MAX_POINTS` points, refused before any point is built.
"""

from __future__ import annotations

import inspect
import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["MAX_POINTS", "Grid", "accepted_names", "check_grid", "check_names", "check_sweep", "describe_computation"]

#: Points of one sweep (the product of the grid's sizes) at most. Each point holds a parameter
#: dict and a result of a few dozen floats, about 3 kB measured on a Green's-function sweep, so the
#: largest sweep keeps about 3 GB; a config's ``num`` is bounded by it too. A larger study is
#: several sweeps (each point is independent).
MAX_POINTS = 1_000_000


@dataclass(frozen=True)
class Grid:
    """A checked grid: float64 values per name, whether each was given as integers, and its points."""

    values: Mapping[str, np.ndarray]
    integer: Mapping[str, bool]

    @property
    def names(self) -> list[str]:
        return list(self.values)

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(v.size for v in self.values.values())

    def points(self) -> list[dict[str, float | int]]:
        """Every point of the Cartesian product (C order); integer grids stay integers."""
        names = self.names
        return [
            {n: (int(v) if self.integer[n] else float(v)) for n, v in zip(names, combo, strict=True)}
            for combo in itertools.product(*self.values.values())
        ]


def check_grid(grid: Mapping[str, Any]) -> Grid:
    """Check a grid; ValueError naming the parameter for anything but distinct, finite, real 1-D values."""
    if not isinstance(grid, Mapping) or len(grid) == 0:
        raise ValueError(f"grid must be a non-empty mapping of parameter names to 1-D values, got {grid!r:.80}")
    values: dict[str, np.ndarray] = {}
    integer: dict[str, bool] = {}
    for name, given in grid.items():
        if not isinstance(name, str) or not name:
            raise ValueError(f"grid keys must be parameter names (non-empty strings), got {name!r}")
        raw = np.asarray(given) if not np.isscalar(given) else np.asarray([given])
        if raw.dtype == object or not (np.issubdtype(raw.dtype, np.number) or raw.dtype == bool):
            raise ValueError(f"grid[{name!r}] must hold real numbers, got {given!r:.80}")
        if np.iscomplexobj(raw):
            raise ValueError(f"grid[{name!r}] must hold real numbers, got complex values")
        if raw.ndim != 1:
            raise ValueError(f"grid[{name!r}] must be 1-D, but has shape {raw.shape}")
        if raw.size == 0:
            raise ValueError(f"grid[{name!r}] is empty: give at least one value")
        if not np.all(np.isfinite(raw)):
            raise ValueError(f"grid[{name!r}] has NaN or infinite values: {raw.tolist()!r:.120}")
        as_float = raw.astype(float)
        unique, counts = np.unique(as_float, return_counts=True)
        if unique.size < as_float.size:
            repeated = unique[counts > 1].tolist()
            raise ValueError(f"grid[{name!r}] repeats the value(s) {repeated!r:.120}: give each value once")
        values[name] = as_float
        integer[name] = bool(np.issubdtype(raw.dtype, np.integer))
    # the product of the sizes, before itertools.product builds a dict per point
    if math.prod(v.size for v in values.values()) > MAX_POINTS:
        sizes = " x ".join(f"{n}: {v.size}" for n, v in values.items())
        raise ValueError(
            f"grid has {math.prod(v.size for v in values.values())} points ({sizes}); a sweep takes at most "
            f"{MAX_POINTS} (st.sweeps.MAX_POINTS): split it into several sweeps"
        )
    return Grid(values, integer)


def accepted_names(compute: Callable[..., Any]) -> tuple[tuple[str, ...] | None, tuple[str, ...]]:
    """(names ``compute`` accepts or None for any, names it requires), from ``parameters`` or its signature."""
    declared = getattr(compute, "parameters", None)
    if declared is not None:
        return tuple(declared), tuple(getattr(compute, "required", ()))
    try:
        signature = inspect.signature(compute)
    except (TypeError, ValueError):  # builtins without a signature: accept anything
        return None, ()
    accepted: list[str] = []
    required: list[str] = []
    for p in signature.parameters.values():
        if p.kind is p.VAR_KEYWORD:
            return None, tuple(required)
        if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY):
            accepted.append(p.name)
            if p.default is p.empty:
                required.append(p.name)
    return tuple(accepted), tuple(required)


def describe_computation(compute: Callable[..., Any]) -> str:
    """A short name of the computation for messages and the dataset's title."""
    return str(getattr(compute, "label", None) or getattr(compute, "__qualname__", type(compute).__name__))


def check_names(compute: Callable[..., Any], names: Sequence[str]) -> None:
    """ValueError if a grid name is not accepted by ``compute`` or a required one is missing."""
    accepted, required = accepted_names(compute)
    label = describe_computation(compute)
    if accepted is not None:
        for name in names:
            if name not in accepted:
                raise ValueError(
                    f"grid parameter {name!r} is not a parameter of {label}; its parameters are {list(accepted)}"
                )
    missing = [r for r in required if r not in names]
    if missing:
        raise ValueError(f"{label} requires parameter(s) {missing}: add them to the grid (or fix them in the computation)")


def check_sweep(compute: Callable[..., Any], grid: Mapping[str, Any]) -> tuple[Grid, list[dict[str, float | int]]]:
    """Everything that can be checked before computing: the grid, its names, and every point
    (``compute.check(point)`` where the computation offers it). Returns the grid and its points."""
    checked = check_grid(grid)
    check_names(compute, checked.names)
    points = checked.points()
    check = getattr(compute, "check", None)
    if callable(check):
        for point in points:
            check(point)
    return checked, points
