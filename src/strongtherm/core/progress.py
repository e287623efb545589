"""Progress of long single calls (tqdm), off when not a terminal, switchable.

``progress=None`` (the default of every engine call that takes it) shows a bar only when standard
error is a terminal and the environment variable ``STRONGTHERM_PROGRESS`` is not ``0``; ``True`` or
``False`` force it on or off. Without tqdm installed there is no bar, never an error.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator
from typing import Any, TypeVar

__all__ = ["progress_enabled", "stages"]

T = TypeVar("T")


def progress_enabled(progress: bool | None) -> bool:
    """Whether to show a bar: ``progress`` if given, else a terminal and not ``STRONGTHERM_PROGRESS=0``."""
    if progress is not None:
        if not isinstance(progress, bool):
            raise TypeError(f"progress must be True, False or None, got {type(progress).__name__}")
        return progress
    if os.environ.get("STRONGTHERM_PROGRESS", "").strip() == "0":
        return False
    return bool(getattr(sys.stderr, "isatty", lambda: False)())


def stages(items: Iterable[T], *, total: int, desc: str, progress: bool | None) -> Iterator[T]:
    """Iterate over ``items``, with a tqdm bar of ``total`` steps labelled ``desc`` when enabled."""
    if not progress_enabled(progress):
        yield from items
        return
    try:
        from tqdm.auto import tqdm
    except ImportError:  # tqdm is optional: no bar, same results
        yield from items
        return
    bar: Any = tqdm(total=total, desc=desc, leave=False, file=sys.stderr)
    try:
        for item in items:
            yield item
            bar.update(1)
    finally:
        bar.close()
