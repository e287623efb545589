"""BLAS threads for loops over small matrices.

A time loop over matrices of a few hundred rows calls BLAS thousands of times on operands too
small to share between threads; a threaded BLAS then spends its time waking and parking threads
(measured: ``st.dynamics.drive`` of the README, 0.8 s with one BLAS thread against 4-9 s with
two on a busy 2-core machine, identical numbers). :func:`single_threaded_blas` runs a function
with one BLAS thread and restores the setting afterwards (threadpoolctl); :func:`one_blas_thread`
is the same as a context manager, cheap enough (~4 us against ~120 us for a fresh
``threadpool_limits``: one controller, inspected once) to wrap short calls.
:func:`limit_blas_threads_here` is for worker processes forked
from a parent that has loaded BLAS already (environment variables no longer reach it there:
two forked sweep workers ran 3-5x slower each than one).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import ParamSpec, TypeVar

from threadpoolctl import ThreadpoolController, threadpool_limits

__all__ = ["limit_blas_threads_here", "one_blas_thread", "single_threaded_blas"]

P = ParamSpec("P")
R = TypeVar("R")


def single_threaded_blas(function: Callable[P, R]) -> Callable[P, R]:
    """Decorate ``function`` so that it runs with one BLAS thread (restored when it returns)."""

    @functools.wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with one_blas_thread():
            return function(*args, **kwargs)

    return wrapper


@functools.cache
def _controller() -> ThreadpoolController:
    return ThreadpoolController()


@contextmanager
def one_blas_thread() -> Iterator[None]:
    """Run the block with one BLAS thread; the previous setting is restored afterwards."""
    with _controller().limit(limits=1, user_api="blas"):
        yield


def limit_blas_threads_here() -> None:
    """One BLAS thread for the rest of this process (a worker's initializer)."""
    threadpool_limits(limits=1, user_api="blas")
