"""Moved to :mod:`strongtherm.gaussian.meanforce` (the bridge between the engines); this old path keeps working.

Attributes are looked up lazily (PEP 562), so the Green's-function engine itself imports
nothing from the bridge or from the exact engine.
"""

from __future__ import annotations

from typing import Any

__all__: list[str] = []


def __getattr__(name: str) -> Any:
    from importlib import import_module

    return getattr(import_module("strongtherm.gaussian.meanforce"), name)
