"""QuTiP in, NumPy out: conversions at the edges of the package.

Every entry point that takes an operator accepts a QuTiP ``Qobj``, a NumPy array or a nested
list; :func:`to_array` turns each into a NumPy array (QuTiP is never imported here: a ``Qobj`` is
recognised by its module and its ``full`` method, so the package works without QuTiP).
Results leave as plain Python objects (:func:`to_builtin`, the one JSON converter, used by the
``to_dict`` methods of the result classes and by :mod:`strongtherm.io`) or as ``xarray``
datasets (:mod:`strongtherm.sweep`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

__all__ = ["as_array", "is_qobj", "qobj_dims", "to_array", "to_builtin", "to_float", "to_qobj"]


def is_qobj(value: Any) -> bool:
    """True if ``value`` is a QuTiP ``Qobj`` (checked without importing QuTiP)."""
    return type(value).__module__.split(".")[0] == "qutip" and hasattr(value, "full")


def as_array(value: Any) -> Any:
    """``value`` as a NumPy array if it is a QuTiP ``Qobj`` (dense copy), otherwise unchanged."""
    return np.asarray(value.full()) if is_qobj(value) else value


def qobj_dims(value: Any) -> list[list[int]] | None:
    """The QuTiP ``dims`` of an operator ``Qobj`` as ``[[row factors], [column factors]]``, else None."""
    if not is_qobj(value):
        return None
    return [[int(d) for d in part] for part in value.dims]


def to_qobj(array: np.ndarray, dims: list[list[int]]) -> Any:
    """A QuTiP ``Qobj`` of ``array`` with ``dims`` (QuTiP is imported only here, when a user's
    inputs were Qobj, so it is installed)."""
    import qutip

    return qutip.Qobj(np.asarray(array), dims=dims)


def to_array(value: Any, *, name: str = "value", ndim: int | None = None) -> np.ndarray:
    """Return ``value`` (``Qobj``, array or nested list) as a numeric NumPy array.

    Parameters
    ----------
    value
        A QuTiP ``Qobj`` (dense copy via ``full()``), a NumPy array, or a nested list of numbers.
    name
        The argument's name, used in error messages.
    ndim
        Required number of dimensions (e.g. 2 for a matrix), or ``None`` for any.

    Returns
    -------
    numpy.ndarray
        Real (float64) if every entry is real, complex128 otherwise.

    Raises
    ------
    ValueError
        If ``value`` is not numeric, is ragged, has the wrong number of dimensions, or holds NaN
        or infinite entries. The message names ``name``.
    """
    if is_qobj(value):
        arr = np.asarray(value.full())
    else:
        try:
            arr = np.asarray(value)
        except ValueError as exc:  # ragged nested lists
            raise ValueError(f"{name} must be a rectangular array of numbers: {exc}") from None
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise ValueError(f"{name} must be an array of numbers (or a qutip.Qobj), got dtype {arr.dtype}")
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimension(s), but has shape {arr.shape}")
    arr = arr.astype(complex if np.iscomplexobj(arr) else float)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} has NaN or infinite entries")
    return arr


def to_float(value: Any, *, name: str = "value") -> float:
    """A real scalar (Python, NumPy 0-d or size-1 array) as a Python float; NaN/inf are kept.

    Raises
    ------
    ValueError
        If ``value`` is not a real scalar (complex with nonzero imaginary part, array of size > 1,
        string, ...). The message names ``name``.
    """
    if type(value) is float:  # the common case (to_dict returns plain floats): no array round trip
        return value
    if isinstance(value, bool | np.bool_):
        return float(value)
    arr = np.asarray(value)
    if arr.dtype == object or not np.issubdtype(arr.dtype, np.number) or arr.size != 1:
        raise ValueError(f"{name} must be a real scalar, got {type(value).__name__} {value!r:.80}")
    x = arr.reshape(())[()]
    if np.iscomplexobj(x):
        if x.imag != 0.0:
            raise ValueError(f"{name} must be real, got {x!r}")
        x = x.real
    return float(x)


def to_builtin(value: Any) -> Any:
    """Plain Python (JSON-ready) version of ``value``: NumPy scalars and arrays become floats and
    (nested) lists, complex numbers ``[re, im]`` pairs, mappings dicts, ``Qobj`` dense lists.
    Non-finite floats are kept (``json`` writes them as ``NaN``/``Infinity``)."""
    if is_qobj(value):
        value = value.full()
    if isinstance(value, Mapping):
        return {str(k): to_builtin(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_builtin(v) for v in value]
    if isinstance(value, np.ndarray):
        return to_builtin(value.tolist())
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, complex):
        return value.real if value.imag == 0.0 else [value.real, value.imag]
    return value
