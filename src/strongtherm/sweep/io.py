"""Sweep files: :func:`save` and :func:`load` (NetCDF or CSV), from :mod:`strongtherm.io`.

``from strongtherm.sweep import save, load`` is the documented spelling; the writers themselves
are :func:`strongtherm.io.save_dataset` and :func:`strongtherm.io.load_dataset`.
"""

from __future__ import annotations

from ..io import load_dataset as load
from ..io import save_dataset as save

__all__ = ["load", "save"]
