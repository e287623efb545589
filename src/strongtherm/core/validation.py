"""Input checks shared by both engines.

Every public entry point validates its arguments here, so that bad input fails with a
``ValueError`` naming the argument and the allowed range instead of a traceback from deep
inside NumPy or a silent NaN.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

__all__ = [
    "ArgumentTypeError",
    "check_alpha_partition",
    "check_hermitian",
    "check_integer",
    "check_matrix",
    "check_real",
]


class ArgumentTypeError(TypeError, ValueError):
    """An argument has the wrong type (a string or bool where a number is expected, ...).

    A ``TypeError``; also a ``ValueError``, so that callers that catch bad input as ValueError
    (configs, sweeps, older user code) keep working.
    """


def _is_real_number(value: Any) -> bool:
    """True for int, float and NumPy real scalars or 0-d real arrays; False for bool and str."""
    if isinstance(value, bool | np.bool_ | str | bytes):
        return False
    if isinstance(value, numbers.Real) or isinstance(value, np.integer | np.floating):
        return True
    if isinstance(value, np.ndarray) and value.ndim == 0:
        return value.dtype.kind in "iuf"
    return False


def check_real(
    name: str,
    value: Any,
    *,
    low: float = -math.inf,
    high: float = math.inf,
    low_inclusive: bool = True,
    high_inclusive: bool = True,
    allow_infinite: bool = False,
) -> float:
    """Return ``value`` as a float inside the interval, or raise.

    Raises
    ------
    ArgumentTypeError
        (a ``TypeError``) if ``value`` is not a real number: a string, a bool, a complex number,
        an array, None. The message names the argument, e.g. ``"T must be a real number, got str '0.05'"``.
    ValueError
        If ``value`` is NaN, infinite (unless ``allow_infinite``), or outside the interval; the
        message names the argument and the allowed range, e.g.
        ``"T must be a finite real number in (0, inf), got -1.0"``.
    """
    # the common case first and cheap (this runs per parameter of every solve): a plain float
    if type(value) is float and low <= value <= high and math.isfinite(value):
        if (low_inclusive or value != low) and (high_inclusive or value != high):
            return value
    lo_b = "[" if low_inclusive else "("
    hi_b = "]" if high_inclusive else ")"
    interval = f"{lo_b}{low:g}, {high:g}{hi_b}"
    if not _is_real_number(value):
        kind = "complex" if isinstance(value, complex | np.complexfloating) else type(value).__name__
        raise ArgumentTypeError(f"{name} must be a real number in {interval}, got {kind} {value!r:.80}")
    x = float(value)
    if math.isnan(x) or (math.isinf(x) and not allow_infinite):
        raise ValueError(f"{name} must be a finite real number in {interval}, got {x!r}")
    below = x < low if low_inclusive else x <= low
    above = x > high if high_inclusive else x >= high
    if below or above:
        raise ValueError(f"{name} must be a {'' if allow_infinite else 'finite '}real number in {interval}, got {x!r}")
    return x


def check_integer(
    name: str, value: Any, *, low: int | None = None, high: int | None = None, integral_float: bool = False
) -> int:
    """Return ``value`` as an int in [low, high], or raise naming ``name`` and the range.

    ``ArgumentTypeError`` for a str, bool, or (unless ``integral_float``) a float; with
    ``integral_float`` a float with an integer value (``200.0``, as a TOML file or a NumPy
    computation may give a length) is accepted and any other float is a ``ValueError``.
    """
    if type(value) is int and (low is None or value >= low) and (high is None or value <= high):
        return value  # the common case, before any message is formatted (once per call of every engine)
    span = f"an integer >= {low}" if high is None and low is not None else (
        f"an integer in [{'-inf' if low is None else low}, {'inf' if high is None else high}]")
    if isinstance(value, bool | np.bool_):
        raise ArgumentTypeError(f"{name} must be {span}, got {type(value).__name__} {value!r:.80}")
    if integral_float and isinstance(value, float | np.floating):
        if not float(value).is_integer():
            raise ValueError(f"{name} must be {span}, got {value!r}")
    elif not isinstance(value, numbers.Integral | np.integer):
        raise ArgumentTypeError(f"{name} must be {span}, got {type(value).__name__} {value!r:.80}")
    n = int(value)
    if (low is not None and n < low) or (high is not None and n > high):
        raise ValueError(f"{name} must be {span}, got {value!r}")
    return n


def check_matrix(name: str, value: Any, shape: tuple[int | None, int | None] | None = None) -> np.ndarray:
    """Return ``value`` as a finite complex 2-D array of the given shape (``None`` = any)."""
    from .convert import is_qobj  # QuTiP in: a Qobj becomes its dense matrix

    arr = np.asarray(value.full() if is_qobj(value) else value)
    if arr.dtype == object:
        raise ValueError(f"{name} must be a numeric array, got dtype object")
    if arr.ndim != 2:
        raise ValueError(f"{name} must be a 2-D matrix, but has shape {arr.shape}")
    if shape is not None:
        for axis, expected in enumerate(shape):
            if expected is not None and arr.shape[axis] != expected:
                want = tuple("any" if s is None else s for s in shape)
                raise ValueError(f"{name} must have shape {want}, but has shape {arr.shape}")
    arr = arr.astype(complex)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} has NaN or infinite entries")
    return arr


def check_hermitian(name: str, value: Any, *, atol: float = 1e-12) -> np.ndarray:
    """Return ``value`` as a square Hermitian complex matrix, or raise ``ValueError``.

    ``atol`` is relative to the largest entry (and absolute below 1), so that large energy
    scales are not flagged for rounding.
    """
    arr = check_matrix(name, value)
    if arr.shape[0] != arr.shape[1]:
        raise ValueError(f"{name} must be square, but has shape {arr.shape}")
    scale = max(1.0, float(np.max(np.abs(arr))) if arr.size else 1.0)
    deviation = float(np.max(np.abs(arr - arr.conj().T))) if arr.size else 0.0
    if deviation > atol * scale:
        raise ValueError(f"{name} must be Hermitian; max |{name} - {name}^dagger| = {deviation:.3g}")
    hermitian: np.ndarray = 0.5 * (arr + arr.conj().T)
    return hermitian


def check_alpha_partition(alpha: Any) -> float:
    """The alpha of the alpha-partition (Eqs. 22-24 of Kumar et al. 2024) lies in [0, 1]."""
    if type(alpha) is float and 0.0 <= alpha <= 1.0:  # the common case, once per state read: no call
        return alpha
    return check_real("alpha (alpha-partition fraction)", alpha, low=0.0, high=1.0)
