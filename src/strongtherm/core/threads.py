"""BLAS threads for loops over small matrices.

A time loop over matrices of a few hundred rows calls BLAS thousands of times on operands too
small to share between threads; a threaded BLAS then spends its time waking and parking threads
(measured: ``st.dynamics.drive`` of the README, 0.8 s with one BLAS thread against 4-9 s with
two on a busy 2-core machine, identical numbers). :func:`single_threaded_blas` runs a function
with one BLAS thread and restores the setting afterwards (threadpoolctl).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from threadpoolctl import threadpool_limits

__all__ = ["single_threaded_blas"]

P = ParamSpec("P")
R = TypeVar("R")


def single_threaded_blas(function: Callable[P, R]) -> Callable[P, R]:
    """Decorate ``function`` so that it runs with one BLAS thread (restored when it returns)."""

    @functools.wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with threadpool_limits(limits=1, user_api="blas"):
            return function(*args, **kwargs)

    return wrapper
