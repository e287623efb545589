"""Files: the JSON and CSV writers of results and reproductions, and staged output folders.

* :func:`write_json` - any plain data, NumPy arrays and QuTiP ``Qobj`` included (through the one
  converter :func:`strongtherm.core.convert.to_builtin`); ``strict=True`` writes non-finite floats
  as the strings ``"nan"``, ``"inf"``, ``"-inf"`` so that the file is strict JSON.
* :func:`write_csv` - equal-length columns, ``# ...`` comment lines (units, parameters) on top,
  every number to 17 significant digits (``repr``), so that it reads back bit for bit.
* :func:`staged_folder` - a run's files are written into a hidden sibling folder and moved into
  place only when every file is written; on failure nothing is left behind.

A sweep's :class:`xarray.Dataset` is written and read by :func:`strongtherm.sweeps.save` and
:func:`strongtherm.sweeps.load` (NetCDF, or CSV through :func:`write_csv`).
"""

from __future__ import annotations

import json
import math
import os
import shutil
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from .core.convert import to_builtin

__all__ = ["staged_folder", "write_csv", "write_json"]


def _strict(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, list):
        return [_strict(v) for v in value]
    if isinstance(value, dict):
        return {k: _strict(v) for k, v in value.items()}
    return value


def write_json(path: str | os.PathLike[str], data: Any, *, strict: bool = False) -> Path:
    """Write ``data`` as indented JSON (UTF-8, final newline); return the path.

    Parameters
    ----------
    path : path-like
        Target file.
    data
        Plain data, NumPy scalars/arrays, complex numbers (``[re, im]``), ``Qobj`` (dense lists).
    strict : bool
        Write NaN and infinities as strings (strict JSON) instead of ``NaN``/``Infinity``.
    """
    path = Path(path)
    plain = to_builtin(data)
    if strict:
        plain = _strict(plain)
    path.write_text(json.dumps(plain, indent=2) + "\n", encoding="utf-8")
    return path


def write_csv(
    path: str | os.PathLike[str],
    columns: Mapping[str, Sequence[Any] | np.ndarray],
    comment: Iterable[str] = (),
) -> Path:
    """Write equal-length columns to CSV, with ``# line`` comments on top; return the path.

    Real numbers are written with ``repr(float(x))`` (17 significant digits, reads back
    exactly); anything else (complex numbers) with ``str``.

    Raises
    ------
    ValueError
        If the columns differ in length (the message lists each length).
    """
    path = Path(path)
    names = list(columns)
    data = [np.asarray(columns[n]).ravel() for n in names]
    if len({len(d) for d in data}) > 1:
        lengths = {n: len(d) for n, d in zip(names, data, strict=True)}
        raise ValueError(f"columns of {path.name} differ in length: {lengths}")
    with path.open("w", encoding="utf-8") as handle:
        for line in comment:
            handle.write(f"# {line}\n")
        handle.write(",".join(names) + "\n")
        for row in zip(*data, strict=True):
            handle.write(",".join(repr(float(v)) if np.isrealobj(v) else str(v) for v in row) + "\n")
    return path


@contextmanager
def staged_folder(target: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a fresh hidden folder beside ``target``; move its files to ``target`` when the block ends.

    ``target`` must not exist or be an empty folder. Missing parent folders are created. If the
    block raises (or is interrupted), the staging folder and the parents created for it are
    removed, so a failed run leaves nothing behind and the same ``target`` can be used again.

    Raises
    ------
    OSError
        If the folder cannot be created (no permission, read-only file system, a parent is a file).
    """
    target = Path(target)
    created: list[Path] = []
    missing, ancestor = [], target.parent
    while not ancestor.exists():
        missing.append(ancestor)
        ancestor = ancestor.parent

    def remove_created() -> None:
        for folder in reversed(created):
            try:
                folder.rmdir()
            except OSError:  # someone else put something there meanwhile: keep it
                pass

    staging = target.parent / f".{target.name}.partial-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    try:
        for folder in reversed(missing):
            folder.mkdir()
            created.append(folder)
        staging.mkdir()
    except OSError:
        remove_created()
        raise
    try:
        yield staging
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        remove_created()
        raise
    if target.is_dir():  # an existing empty folder (checked by the caller): fill it
        for entry in staging.iterdir():
            os.replace(entry, target / entry.name)
        staging.rmdir()
    else:
        os.replace(staging, target)
