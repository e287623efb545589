"""Execution backends of a sweep: drop-in maps with one signature.

Every backend has ``map(task, chunks) -> iterator of (index, result)``: it applies the picklable
callable ``task`` to each value of ``chunks`` (a mapping ``index -> chunk of points``) and yields
the results as they finish, in any order. The chunks are the same whichever backend runs them,
so the numbers never depend on it.

* :class:`Serial` - in this process;
* :class:`Processes` - local worker processes (:class:`concurrent.futures.ProcessPoolExecutor`);
* :class:`Dask` - a ``dask.distributed.Client``.

:class:`ChunkTask` is what every backend runs: it evaluates one chunk of points, in one batch
where the computation offers ``batch(points)``, else point by point, and records for each point
its values, its error or a wrong return value, and the warnings raised.

Worker processes that start by ``spawn`` or ``forkserver`` (Dask's local clusters, and local
processes when this process runs other threads) import the main script again. A script that
starts them outside an ``if __name__ == "__main__":`` block starts them again in every worker;
:func:`check_main_guard` finds that before anything starts and says where, and
:func:`dask_client` starts a local Dask cluster only after that check.
"""

from __future__ import annotations

import ast
import os
import pickle
import sys
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any

from ..core.convert import to_float
from ..core.threads import limit_blas_threads_here

__all__ = [
    "Backend",
    "ChunkTask",
    "Dask",
    "PointResult",
    "Processes",
    "Serial",
    "check_main_guard",
    "dask_client",
    "picklable",
]

_BLAS_THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS")


# --------------------------------------------------------------------------- what workers run
@dataclass(frozen=True)
class PointResult:
    """One grid point: its values, or the error it raised, or what was wrong with its return value."""

    values: dict[str, float] | None
    error: str | None
    warnings: tuple[str, ...]
    bad_return: str | None = None


def _flatten(result: Any) -> dict[str, float]:
    """A point's result (mapping of scalars, or an object with ``to_dict()``) as a dict of floats."""
    if hasattr(result, "to_dict") and not isinstance(result, Mapping):
        result = result.to_dict()
    if not isinstance(result, Mapping):
        raise TypeError(
            f"the computation must return a mapping of real numbers or an object with to_dict(), "
            f"got {type(result).__name__} {result!r:.60}"
        )
    return {str(k): to_float(v, name=f"result[{k!r}]") for k, v in result.items()}


def _messages(caught: Sequence[warnings.WarningMessage]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(f"{w.category.__name__}: {w.message}" for w in caught))


def _one(compute: Callable[..., Any], point: Mapping[str, Any]) -> PointResult:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            raw = compute(**point)
        except Exception as exc:  # one bad point must not lose the others: record it
            return PointResult(None, f"{type(exc).__name__}: {exc}", _messages(caught))
        try:
            values = _flatten(raw)
        except (TypeError, ValueError) as exc:  # a wrong return value is a bug of the computation
            return PointResult(None, None, _messages(caught), bad_return=str(exc))
    return PointResult(values, None, _messages(caught))


@dataclass(frozen=True)
class ChunkTask:
    """Evaluate one chunk of points; picklable (``compute`` may be cloudpickle bytes)."""

    compute: Any
    vectorize: bool

    def __call__(self, points: Sequence[Mapping[str, Any]]) -> list[PointResult]:
        compute = pickle.loads(self.compute) if isinstance(self.compute, bytes) else self.compute
        if self.vectorize and len(points) > 1:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                try:
                    batch = [_flatten(r) for r in compute.batch(points)]
                except Exception:  # find the failing point(s) one by one
                    batch = None
            if batch is not None and len(batch) == len(points):
                shared = _messages(caught)
                return [PointResult(values, None, shared) for values in batch]
        return [_one(compute, p) for p in points]


# --------------------------------------------------------------------------- the main-script guard
def _guard_lines(path: str) -> list[tuple[int, int]]:
    """Line ranges of the module-level ``if __name__ == "__main__":`` blocks of a script."""
    try:
        with open(path, encoding="utf-8") as handle:
            tree = ast.parse(handle.read(), filename=path)
    except (OSError, SyntaxError, UnicodeDecodeError):
        return []
    ranges = []
    for node in tree.body:
        if isinstance(node, ast.If) and isinstance(node.test, ast.Compare) and len(node.test.comparators) == 1:
            sides = [node.test.left, node.test.comparators[0]]
            names = {s.id for s in sides if isinstance(s, ast.Name)}
            constants = {s.value for s in sides if isinstance(s, ast.Constant)}
            if names == {"__name__"} and constants == {"__main__"}:
                ranges.append((node.lineno, node.end_lineno or node.lineno))
    return ranges


def _unguarded_script_line() -> tuple[str, int] | None:
    """(script, line) if the current call comes from the main script's top level outside its
    ``if __name__ == "__main__":`` block; None otherwise (interactive sessions, ``-c``, notebooks,
    and calls from inside the guard, which a re-import does not run)."""
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    if not path or not os.path.isfile(path):
        return None
    frame: Any = sys._getframe(1)
    while frame is not None:
        if frame.f_code.co_name == "<module>" and frame.f_globals.get("__name__") == "__main__":
            try:
                same = os.path.samefile(frame.f_code.co_filename, path)
            except OSError:
                same = False
            if same:
                line = frame.f_lineno
                if any(lo <= line <= hi for lo, hi in _guard_lines(path)):
                    return None
                return path, line
        frame = frame.f_back
    return None


def check_main_guard(what: str) -> None:
    """RuntimeError if ``what`` (starting worker processes that re-import the main script) is
    reached from the main script's top level outside ``if __name__ == "__main__":``."""
    where = _unguarded_script_line()
    if where is not None:
        path, line = where
        raise RuntimeError(
            f"{what} starts worker processes that import your script {path} again; line {line} runs "
            "at its top level, so every worker would start workers of its own (Dask reports this as "
            "'Nanny failed to start'). Put the code that starts the sweep under "
            "`if __name__ == \"__main__\":` (https://docs.python.org/3/library/multiprocessing.html"
            "#the-spawn-and-forkserver-start-methods), or pass processes=1."
        )


# --------------------------------------------------------------------------- backends
class Backend:
    """The one map signature: ``map(task, chunks) -> iterator of (index, task(chunk))``."""

    name = "backend"
    workers = 1

    def map(self, task: Callable[[Any], Any], chunks: Mapping[int, Any]) -> Iterator[tuple[int, Any]]:
        raise NotImplementedError


class Serial(Backend):
    """In this process, one chunk after another."""

    name = "serial"

    def map(self, task: Callable[[Any], Any], chunks: Mapping[int, Any]) -> Iterator[tuple[int, Any]]:
        return ((i, task(chunk)) for i, chunk in chunks.items())


def _limit_blas_threads() -> None:
    """Worker initializer: one BLAS thread per worker process. The variables reach a worker that
    loads numpy itself (spawn, forkserver); a forked worker has BLAS loaded already, and only
    threadpoolctl reaches it (without it, two forked workers ran 3-5x slower each than one)."""
    for variable in _BLAS_THREAD_VARIABLES:
        os.environ[variable] = "1"
    limit_blas_threads_here()


def picklable(compute: Any) -> Any:
    """``compute`` itself if the standard pickle takes it, else cloudpickle bytes (lambdas, closures)."""
    try:
        pickle.dumps(compute)
        return compute
    except (pickle.PicklingError, TypeError, AttributeError):
        try:
            import cloudpickle
        except ImportError:
            raise TypeError(
                "the computation cannot be pickled for worker processes (a lambda or closure?): define it "
                "at module level, install cloudpickle, or pass processes=1"
            ) from None
        return cloudpickle.dumps(compute)


def _process_context() -> Any:
    """fork where it is safe (POSIX, this process runs no other thread): fast, and scripts need no
    ``if __name__ == "__main__"`` guard. Otherwise forkserver (or spawn), which re-imports the
    main module: scripts that sweep with processes while other threads run need that guard."""
    import multiprocessing
    import threading

    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")


@dataclass(frozen=True)
class _Bundle:
    """Several chunks in one submission: a process pool hands work over one item at a time with
    a round trip of ~1 ms, as long as a 25-point chunk of the pole road takes (measured: two
    workers slower than one process). Picklable; returns (index, result) per chunk."""

    task: Callable[[Any], Any]

    def __call__(self, chunks: Sequence[tuple[int, Any]]) -> list[tuple[int, Any]]:
        return [(i, self.task(chunk)) for i, chunk in chunks]


#: submissions per worker: enough to balance chunks of unequal cost, few enough that the hand-over
#: does not dominate (8 per worker: 400 chunks of 25 points run in 25-chunk bundles on 2 workers)
_BUNDLES_PER_WORKER = 8


class Processes(Backend):
    """Local worker processes, one BLAS thread each; every chunk is submitted at once, in
    ~8 bundles per worker."""

    name = "processes"

    def __init__(self, workers: int) -> None:
        self.workers = int(workers)

    def map(self, task: Callable[[Any], Any], chunks: Mapping[int, Any]) -> Iterator[tuple[int, Any]]:
        context = _process_context()
        if context.get_start_method() != "fork":
            check_main_guard("a sweep with processes > 1")
        # submit now, so that the workers start before any progress-bar thread
        pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=context, initializer=_limit_blas_threads)
        items = list(chunks.items())
        size = max(1, -(-len(items) // (_BUNDLES_PER_WORKER * self.workers)))
        bundle = _Bundle(task)
        futures = [pool.submit(bundle, items[k : k + size]) for k in range(0, len(items), size)]

        def results() -> Iterator[tuple[int, Any]]:
            try:
                for future in as_completed(futures):
                    yield from future.result()
            except BrokenProcessPool as exc:
                raise RuntimeError(
                    "a sweep worker process died. If this process runs other threads, workers start by "
                    "forkserver/spawn and re-import the main script: guard it with "
                    "`if __name__ == '__main__':`, or pass processes=1"
                ) from exc
            finally:
                pool.shutdown(wait=True, cancel_futures=True)

        return results()


def _apply(task: Callable[[Any], Any], chunk: Any) -> Any:
    return task(chunk)


class Dask(Backend):
    """A ``dask.distributed.Client``: the task is sent to every worker once, then the chunks."""

    name = "dask"

    def __init__(self, client: Any) -> None:
        self.client = client
        try:
            self.workers = len(client.scheduler_info().get("workers", {})) or 1
        except Exception:  # an exotic client without scheduler_info: the count is informative only
            self.workers = 1

    def map(self, task: Callable[[Any], Any], chunks: Mapping[int, Any]) -> Iterator[tuple[int, Any]]:
        from dask.distributed import as_completed as dask_as_completed

        client = self.client
        [remote] = client.scatter([task], broadcast=True, hash=False)
        futures = [client.submit(_apply, remote, chunk, pure=False) for chunk in chunks.values()]
        index = {f.key: i for f, i in zip(futures, chunks, strict=True)}

        def results() -> Iterator[tuple[int, Any]]:
            try:
                for future in dask_as_completed(futures):
                    yield index[future.key], future.result()
            finally:
                client.cancel(futures)

        return results()


def dask_client(**cluster_options: Any) -> Any:
    """A ``dask.distributed.Client`` on a new local cluster, checked for the main-script guard.

    Dask starts its workers by ``spawn``: each imports the main script again. Called from a
    script's top level outside ``if __name__ == "__main__":``, this raises a RuntimeError that
    names the line, before any worker starts (a bare ``Client()`` there fails with "Nanny failed
    to start", the cause buried in the workers' output). The workers get
    ``MALLOC_TRIM_THRESHOLD_=2**30`` (Dask's default of 65536 slows the Green's-function engine
    by about 1.5x, ``benchmarks/bench_sweep.py``).

    Parameters
    ----------
    **cluster_options
        Passed to ``dask.distributed.LocalCluster`` (``n_workers``, ``threads_per_worker``, ...);
        ``dashboard_address=None`` unless given.

    Returns
    -------
    dask.distributed.Client
        Close it (``client.close(); client.cluster.close()``) or use it in a ``with`` block.

    Examples
    --------
    >>> from strongtherm.sweeps import dask_client
    >>> if __name__ == "__main__":                                  # doctest: +SKIP
    ...     with dask_client(n_workers=2) as client:
    ...         ds = st.sweep(compute, grid, client=client)
    """
    import dask
    from dask.distributed import Client, LocalCluster

    check_main_guard("strongtherm.sweeps.dask_client()")
    cluster_options.setdefault("dashboard_address", None)
    with dask.config.set({"distributed.nanny.pre-spawn-environ": {"MALLOC_TRIM_THRESHOLD_": 2**30}}):
        try:
            cluster = LocalCluster(**cluster_options)
        except Exception as exc:
            if "Nanny failed to start" in str(exc):
                raise RuntimeError(
                    "the Dask workers failed to start. The usual cause is a script that starts the "
                    "cluster outside `if __name__ == \"__main__\":` (the workers import it again); the "
                    "workers' own errors are printed above this traceback"
                ) from exc
            raise
    return Client(cluster)
