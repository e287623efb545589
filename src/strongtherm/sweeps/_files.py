"""Sweep files: :func:`save` and :func:`load` of a sweep's :class:`xarray.Dataset`.

NetCDF (``.nc``, netCDF-3 through scipy, so no netCDF4 library is needed) or CSV (``.csv``: the
``#`` header lines hold the coordinates and every attribute as JSON, the rows are written by
:func:`strongtherm.io.write_csv` to 17 significant digits); :func:`load` gives the same dataset
back from either.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from ..io import write_csv

__all__ = ["load", "save"]


def _check_suffix(path: Path) -> None:
    if path.suffix not in (".nc", ".csv"):
        raise ValueError(f"path must end in .nc (NetCDF) or .csv, got {path.name!r}")


def save(ds: Any, path: str | os.PathLike[str]) -> Path:
    """Write a sweep dataset to NetCDF (``.nc``, netCDF-3 via scipy) or CSV (``.csv``).

    The CSV starts with ``#`` lines holding the coordinates and all attributes as JSON, followed
    by one row per grid point (C order, the last parameter fastest) with every value written to
    17 significant digits, so that :func:`load` gives back the same dataset.

    Parameters
    ----------
    ds : xarray.Dataset
        A dataset from :func:`strongtherm.sweep` (float64 coordinates and data variables).
    path : path-like
        Target file; its suffix picks the format.

    Returns
    -------
    pathlib.Path
    """
    path = Path(path)
    _check_suffix(path)
    if path.suffix == ".nc":
        ds.to_netcdf(path, engine="scipy")
        return path
    dims = list(ds.dims)
    variables = list(ds.data_vars)
    header = {
        "attrs": {k: v.item() if isinstance(v, np.generic) else v for k, v in ds.attrs.items()},
        "coords": {d: {"values": ds[d].values.tolist(), "attrs": dict(ds[d].attrs)} for d in dims},
        "variables": {v: {"dims": list(ds[v].dims), "attrs": dict(ds[v].attrs)} for v in variables},
    }
    mesh = np.meshgrid(*(ds[d].values for d in dims), indexing="ij")
    columns = {d: m.ravel() for d, m in zip(dims, mesh, strict=True)}
    columns.update({v: ds[v].transpose(*dims).values.ravel() for v in variables})
    return write_csv(path, columns, comment=json.dumps(header, indent=1).splitlines())


def load(path: str | os.PathLike[str]) -> Any:
    """Read a dataset written by :func:`save` (``.nc`` or ``.csv``)."""
    import xarray as xr

    path = Path(path)
    _check_suffix(path)
    if path.suffix == ".nc":
        with xr.open_dataset(path, engine="scipy") as ds:
            return ds.load()
    header_lines, rows = [], []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("# "):
                header_lines.append(line[2:])
            elif line.strip():
                rows.append(line)
    header = json.loads("".join(header_lines))
    columns = rows[0].strip().split(",")
    table = np.array([[float(x) for x in row.strip().split(",")] for row in rows[1:]], dtype=float).reshape(-1, len(columns))
    dims = list(header["coords"])
    shape = tuple(len(header["coords"][d]["values"]) for d in dims)
    coords = {d: (d, np.asarray(c["values"], dtype=float), c["attrs"]) for d, c in header["coords"].items()}
    data = {}
    for v, meta in header["variables"].items():
        values = table[:, columns.index(v)].reshape(shape)
        data[v] = (meta["dims"], values.transpose([dims.index(d) for d in meta["dims"]]), meta["attrs"])
    return xr.Dataset(data, coords=coords, attrs=header["attrs"])
