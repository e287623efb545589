"""``st.sweep``: evaluate a computation on a grid, with a backend, into an xarray Dataset."""

from __future__ import annotations

import json
import os
import time
import warnings
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np

from ..core.quantities import variable_attrs
from ._backends import Backend, ChunkTask, Dask, PointResult, Processes, Serial, picklable
from ._grid import check_sweep, describe_computation

__all__ = ["DEFAULT_CHUNK_SIZE", "SweepError", "SweepWarning", "sweep"]

#: Points per chunk: the unit of work sent to a worker and of a batched evaluation. It is fixed
#: (never derived from the number of workers) so that every backend evaluates the same chunks.
DEFAULT_CHUNK_SIZE = 25

#: A serial first chunk decides the backend when ``processes=None``: processes are started only
#: if the rest of the sweep is estimated to take longer than this (seconds).
_PARALLEL_THRESHOLD_S = 2.0

#: The progress bar appears only once a sweep has run this long (seconds).
_PROGRESS_DELAY_S = 1.0


class SweepWarning(UserWarning):
    """Some grid points of a sweep failed (see ``ds.attrs["failures"]``), or the sweep ran serially
    although ``processes`` asked for more (too few chunks to share)."""


class SweepError(RuntimeError):
    """Every grid point of a sweep failed; the message names the first and its error."""


class _Progress:
    """A tqdm bar that shows up only for sweeps longer than a moment; or a user callback."""

    def __init__(self, progress: bool | Callable[[int, int], None] | None, total: int) -> None:
        self.callback = progress if callable(progress) else None
        self.bar = None
        self.done = 0
        self.total = total
        if progress is False or self.callback is not None:
            return
        try:
            from tqdm.auto import tqdm
        except ImportError:
            return

        class _Bar(tqdm):
            monitor_interval = 0  # no monitor thread: later sweeps may still fork worker processes

        self.bar = _Bar(total=total, unit="pt", desc="sweep", delay=0.0 if progress else _PROGRESS_DELAY_S, leave=False)

    def update(self, n: int) -> None:
        if n == 0:
            return
        self.done += n
        if self.bar is not None:
            self.bar.update(n)
        if self.callback is not None:
            self.callback(self.done, self.total)

    def __enter__(self) -> _Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.close()


def _check_options(compute: Any, chunk_size: Any, processes: Any, client: Any, vectorize: bool | None) -> bool:
    if not callable(compute):
        raise ValueError(f"compute must be callable (e.g. st.sweeps.negf_equilibrium(model, bath)), got {compute!r:.80}")
    if isinstance(chunk_size, bool) or int(chunk_size) != chunk_size or chunk_size < 1:
        raise ValueError(f"chunk_size must be a positive integer, got {chunk_size!r}")
    if processes is not None and (isinstance(processes, bool) or int(processes) != processes or processes < 1):
        raise ValueError(f"processes must be a positive integer or None, got {processes!r}")
    if client is not None and processes not in (None, 1):
        raise ValueError("give either client= (a Dask cluster) or processes=, not both")
    batch_ok = callable(getattr(compute, "batch", None))
    if vectorize and not batch_ok:
        raise ValueError(f"vectorize=True, but {type(compute).__name__} has no batch(points) method")
    return batch_ok if vectorize is None else bool(vectorize)


def sweep(
    compute: Callable[..., Any],
    grid: Mapping[str, Iterable[float]],
    *,
    client: Any = None,
    processes: int | None = None,
    progress: bool | Callable[[int, int], None] | None = None,
    vectorize: bool | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
) -> Any:
    """Evaluate ``compute`` on the Cartesian product of ``grid``; return an ``xarray.Dataset``.

    Parameters
    ----------
    compute : callable
        ``compute(**point)`` returning a mapping of real scalars or a result with ``to_dict()``;
        e.g. ``st.sweeps.negf_equilibrium(model, bath)`` or
        ``st.sweeps.exact_quench(st.models.two_spin, beta=1.0, ...)``. A computation with a
        ``parameters`` attribute (the names it accepts), a ``check(point)`` method (validation
        without computing) and a ``batch(points)`` method (many points at once) uses them.
    grid : mapping of str to 1-D array-like of float
        Parameter name -> values (real, finite, at least one each); a scalar is a grid of one.
        Energies in the model's unit. The dataset's dimensions follow the order of ``grid``.
    client : dask.distributed.Client, optional
        Run the chunks on this Dask cluster.
    processes : int, optional
        Local worker processes. ``None`` (default): evaluate the first chunk here and start
        ``os.cpu_count()`` processes for the rest only if it is estimated to take longer than a
        couple of seconds; ``1``: serial, in this process.
    progress : bool or callable, optional
        ``None``: a tqdm progress bar once the sweep has taken more than a second (if tqdm is
        installed); ``True``: always; ``False``: never; a callable: ``progress(done, total)``
        after each chunk.
    vectorize : bool, optional
        Evaluate each chunk in one batch (``compute.batch``, e.g. all energy integrals of a chunk
        in one stacked pole evaluation). ``None``: whenever ``compute`` offers it.
    chunk_size : int
        Points per chunk (the unit sent to a worker; default 25). Independent of the backend,
        so that every backend returns identical numbers.

    Returns
    -------
    xarray.Dataset
        Coordinates: the grid parameters (float64). Data variables: every scalar the computation
        returns, with ``units`` and ``long_name``; NaN where a point failed. Attributes:
        ``computation``, ``model``, the bath or ``beta`` where the computation has them,
        ``strongtherm_version``, ``grid_order``, ``failures`` (JSON list of
        ``{"index", "parameters", "error"}``), ``n_failures``, ``warnings`` (JSON list),
        ``backend`` (``"serial"``, ``"processes"`` or ``"dask"``: the one that ran the points
        after the first chunk) and ``workers``.

    Raises
    ------
    ValueError
        Before anything is computed: an empty, non-finite or repeated grid value, a parameter
        ``compute`` does not accept, a missing required parameter, or a point outside the
        model's domain (each message names the parameter).
    TypeError
        If ``compute`` returns something other than a mapping of real numbers (or a result with
        ``to_dict()``); the message names the first such point.
    SweepError
        If every point failed; the message names the first point and its error.
    RuntimeError
        If worker processes would re-import a main script that starts them at its top level
        (no ``if __name__ == "__main__":`` guard); the message names the line.

    Warns
    -----
    SweepWarning
        If some points failed; their parameters and errors are in ``attrs["failures"]``. Also
        when ``processes > 1`` was given but the grid fits in one chunk, which runs serially.

    Notes
    -----
    :func:`strongtherm.sweeps.dask_client` starts a local Dask cluster with the guard checked and
    the following setting made. Dask's nanny starts workers with ``MALLOC_TRIM_THRESHOLD_=65536``, which slows the many
    small NumPy allocations of the Green's-function engine by about 1.5x; create the cluster
    under ``dask.config.set({"distributed.nanny.pre-spawn-environ":
    {"MALLOC_TRIM_THRESHOLD_": 2**30}})`` to avoid it (``benchmarks/bench_sweep.py``).

    Examples
    --------
    >>> import numpy as np, strongtherm as st
    >>> rlm = st.models.resonant_level(t0=1.25)
    >>> ds = st.sweep(st.sweeps.negf_equilibrium(rlm, st.Bath(T=0.02)),
    ...               {"eps_s": np.linspace(-1, 1, 3), "V": [1.0]}, processes=1, progress=False)
    >>> ds["system_N"].shape
    (3, 1)
    """
    import xarray as xr

    from ..core.version import __version__

    vectorize = _check_options(compute, chunk_size, processes, client, vectorize)
    grid_, points = check_sweep(compute, grid)
    names = grid_.names
    size = int(chunk_size)
    chunks = [points[i : i + size] for i in range(0, len(points), size)]

    results: list[list[PointResult] | None] = [None] * len(chunks)
    pending = dict(enumerate(chunks))
    task = ChunkTask(compute, vectorize)
    backend: Backend = Serial()
    with _Progress(progress, len(points)) as bar:
        if client is not None:
            backend = Dask(client)
        else:
            workers = processes if processes is not None else (os.cpu_count() or 1)
            if processes is None and len(chunks) > 1 and workers > 1:
                # decide from the first chunk whether starting processes pays
                start = time.perf_counter()
                first = task(pending.pop(0))
                results[0] = first
                bar.update(len(first))
                if (time.perf_counter() - start) * len(pending) < _PARALLEL_THRESHOLD_S:
                    workers = 1
            if workers > 1 and len(pending) > 1:
                backend = Processes(min(workers, len(pending)))
                task = ChunkTask(picklable(compute), vectorize)
            elif processes is not None and processes > 1:
                # a chunk is the unit of work: one chunk cannot be shared, and starting a process
                # for it would only add its start-up; say so, since the caller asked for processes
                warnings.warn(
                    f"processes={processes} was given, but the sweep's {len(points)} points make one chunk "
                    f"(chunk_size={size}): it ran serially in this process (ds.attrs['backend'] = 'serial'); "
                    "pass a smaller chunk_size to share it between processes",
                    SweepWarning,
                    stacklevel=2,
                )
        for i, chunk_results in backend.map(task, pending):
            results[i] = chunk_results
            bar.update(len(chunk_results))

    flat = [r for chunk_results in results for r in (chunk_results or [])]
    label = describe_computation(compute)
    for point, r in zip(points, flat, strict=True):
        if r.bad_return is not None:
            raise TypeError(f"{label} at {point}: {r.bad_return}")
    failures = [
        {"index": index, "parameters": point, "error": r.error}
        for index, (point, r) in enumerate(zip(points, flat, strict=True))
        if r.error is not None
    ]
    if failures and len(failures) == len(points):
        head = failures[0]
        raise SweepError(f"all {len(points)} points of the sweep failed; the first at {head['parameters']}: {head['error']}")
    variables: dict[str, None] = {}
    for r in flat:
        for key in r.values or {}:
            variables.setdefault(key)
    data = {key: np.full(len(points), np.nan) for key in variables}
    caught = []
    for index, (point, r) in enumerate(zip(points, flat, strict=True)):
        for message in r.warnings:
            caught.append({"index": index, "parameters": point, "warning": message})
        for key, value in (r.values or {}).items():
            data[key][index] = value

    units = getattr(compute, "units", None)  # ready computations know their grid keys' units
    coords = {
        name: (name, values, {"long_name": name, **({"units": units(name)} if callable(units) else {})})
        for name, values in grid_.values.items()
    }
    attrs: dict[str, Any] = {"title": label}
    describe = getattr(compute, "attrs", None)
    attrs.update(describe() if callable(describe) else {"computation": label})
    attrs.update(
        strongtherm_version=__version__,
        grid_order=json.dumps(names),
        vectorized=int(vectorize),
        backend=backend.name,
        workers=int(backend.workers),
        n_failures=len(failures),
        failures=json.dumps(failures),
        warnings=json.dumps(caught),
    )
    ds = xr.Dataset(
        {key: (names, values.reshape(grid_.shape), variable_attrs(key)) for key, values in data.items()},
        coords=coords,
        attrs=attrs,
    )
    if failures:
        first_failure = failures[0]
        warnings.warn(
            f"{len(failures)} of {len(points)} sweep points failed (NaN there); the first at "
            f"{first_failure['parameters']}: {first_failure['error']}. See ds.attrs['failures'].",
            SweepWarning,
            stacklevel=2,
        )
    return ds
