"""Parameter sweeps: one computation mapped over a grid of named parameters, as an xarray Dataset.

``st.sweep(compute, grid)`` evaluates ``compute(**point)`` at every point of the Cartesian
product of ``grid`` (a mapping ``name -> 1-D values``) and returns an :class:`xarray.Dataset`
whose coordinates are the parameters (in the order of ``grid``) and whose data variables are the
scalar results, named as in the result objects' ``to_dict()`` (``system_S``, ``W_ext``,
``work_Hstar``, ...), each with ``units`` and ``long_name`` attributes. The dataset's attributes
hold the computation, the model, the bath and the strongtherm version.

``compute`` is either one of the ready-made computations of :mod:`strongtherm.sweeps` (which
know their parameters, check every point before anything is computed, and may evaluate a chunk
of points in one batch) or any callable taking the grid's names as keyword arguments and
returning a mapping of real scalars or a result object with a ``to_dict()`` method.

Backends (the numbers never depend on them, since the chunks are the same everywhere):

* serial, in this process;
* local processes (:class:`concurrent.futures.ProcessPoolExecutor`, the default when the sweep
  is long enough to pay for starting them);
* a Dask cluster, when a ``dask.distributed.Client`` is passed.

A failure at one grid point does not stop the sweep: that point's variables are NaN, the error
and the parameters are listed in ``ds.attrs["failures"]`` (a JSON string) and a
:class:`SweepWarning` is issued. ``xarray`` (and ``tqdm`` for the progress bar, ``dask`` for
clusters) are optional dependencies: ``pip install 'strongtherm[distributed]'``.
"""

from __future__ import annotations

import inspect
import itertools
import json
import os
import pickle
import re
import time
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ._convert import to_float

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "SweepWarning",
    "load",
    "save",
    "sweep",
    "variable_attrs",
]

#: Points per chunk: the unit of work sent to a worker and of a batched evaluation. It is fixed
#: (never derived from the number of workers) so that every backend evaluates the same chunks.
DEFAULT_CHUNK_SIZE = 25

#: A serial first chunk decides the backend when ``processes=None``: processes are started only
#: if the rest of the sweep is estimated to take longer than this (seconds).
_PARALLEL_THRESHOLD_S = 2.0

#: The progress bar appears only once a sweep has run this long (seconds).
_PROGRESS_DELAY_S = 1.0

_BLAS_THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS")


class SweepWarning(UserWarning):
    """Some grid points of a sweep failed; see ``ds.attrs["failures"]``."""


# --------------------------------------------------------------------------- variable metadata
# (pattern, units, long name); the first match wins. Units follow the conventions page:
# energies in the model's unit, entropies in nats, particle numbers dimensionless.
_VARIABLE_DOCS: tuple[tuple[str, str, str], ...] = (
    (r"(system|reservoir|universe)_N", "1", "{0} particle number (reservoir: change, Kumar et al. Eq. 12)"),
    (r"(system|reservoir|universe)_S", "nats", "{0} entropy (reservoir: change, Kumar et al. Eq. 8)"),
    (r"(system|reservoir|universe)_U", "energy", "{0} internal energy (reservoir: change, Kumar et al. Eq. 14)"),
    (r"(system|reservoir|universe)_Omega", "energy", "{0} grand potential (reservoir: change, Kumar et al. Eq. 10)"),
    (r"expectation_H_S", "energy", "<H_S>"),
    (r"expectation_H_SR", "energy", "<H_SR>"),
    (r"entropy_coefficient", "nats", "coefficient of (1 - 2 alpha) in alpha-S_S (Kumar et al. Eq. 24)"),
    (r"power_H_S_(.+)", "energy", "<dH_S/d{0}> (Kumar et al. Eq. 19), per unit of {0}"),
    (r"power_H_SR_(.+)", "energy", "<dH_SR/d{0}> (Kumar et al. Eq. 20), per unit of {0}"),
    (r"n_bound_states", "1", "number of bound states of G_S"),
    (r"quadrature_error", "energy", "largest energy-quadrature error estimate"),
    (r"sum_rule_g_S", "1", "int g_S - n (spectral sum rule, zero up to quadrature error)"),
    (r"sum_rule_dg_R", "1", "int delta g_R (spectral sum rule, zero up to quadrature error)"),
    (r"alpha_energy_(.+)", "energy", "alpha-U_S at alpha = {0} (Kumar et al. Eq. 22)"),
    (r"alpha_entropy_change_(.+)", "nats", "Delta alpha-S_S at alpha = {0} (Kumar et al. Eq. 24)"),
    (r"alpha_entropy_(.+)", "nats", "alpha-S_S at alpha = {0} (Kumar et al. Eq. 24)"),
    (r"alpha_work_(.+)", "energy", "alpha-W_S at alpha = {0} (Kumar et al. Eq. 23)"),
    (r"entropy_change_EOG_(.+)", "nats", "Delta S_S^EOG at alpha = {0} (Kumar et al. Eq. 25)"),
    (r"W_ext", "energy", "external work, integrated power (Kumar et al. Eqs. 2, 19-20)"),
    (r"W_S", "energy", "work on the system, W_ext - Delta(dOmega_R) (Kumar et al. Eq. 18)"),
    (r"work_H_S", "energy", "int <dH_S/dt> dt (Kumar et al. Eq. 19)"),
    (r"work_H_SR", "energy", "int <dH_SR/dt> dt (Kumar et al. Eq. 20)"),
    (r"nonlocal_work", "energy", "nonlocal work on the system (Kumar et al. Eq. 21)"),
    (r"nonlocal_work_eq13", "energy", "nonlocal work on the system (Kumar et al. Eq. 13)"),
    (r"nonlocal_work_on_reservoir", "energy", "nonlocal work on the reservoir (minus Eq. 21)"),
    (r"nonlocal_work_discrepancy", "energy", "Eq. (21) minus Eq. (13) of Kumar et al."),
    (r"delta_Omega_S", "energy", "Delta Omega_S"),
    (r"delta_dOmega_R", "energy", "Delta(delta Omega_R)"),
    (r"delta_S_S", "nats", "Delta S_S"),
    (r"sum_rule_residual", "energy", "W_ext - Delta Omega_S - Delta(dOmega_R) (Kumar et al. Eq. 15)"),
    (r"first_law_residual", "energy", "first-law residual (Kumar et al. Eq. 17)"),
    (r"error_(.+)", "energy", "s-quadrature error estimate of {0}"),
    (r"F_(S|SR|R)", "energy", "free energy F_{0} (Davoudi et al. Eqs. 6-8)"),
    (r"U_(diff|Hstar|Estar)", "energy", "internal energy U_{0} (Davoudi et al. Eqs. 10, 11, 13)"),
    (r"entropy_(diff|Hstar|Estar)", "nats", "entropy per definition {0} (Davoudi et al. Eq. 33)"),
    (r"U_SR", "energy", "<H_SR> in the global Gibbs state"),
    (r"U_R0", "energy", "bare reservoir energy U_R^0"),
    (r"ln_Z_(SR|R)", "1", "ln Z_{0}"),
    (r"rank_deficient", "1", "1 if pi_S is rank deficient"),
    (r"delta_F_S", "energy", "F_S^B - F_S^A (Davoudi et al. Eq. 7)"),
    (r"work_(diff|Hstar|Estar)", "energy", "quench work W_{0} (Davoudi et al. Eqs. 22-24)"),
    (r"heat_(diff|Hstar|Estar)", "energy", "heat Q_{0} (Davoudi et al. Eqs. 25-27)"),
    (r"dissipated_work_(diff|Hstar|Estar)", "energy", "W_{0} - Delta F_S (Davoudi et al. Eq. 28)"),
    (r"entropy_change_(diff|Hstar|Estar)", "nats", "Delta S per definition {0} (Davoudi et al. Eq. 33)"),
)


def variable_attrs(name: str) -> dict[str, str]:
    """``{"units", "long_name"}`` of a result variable named as in the ``to_dict()`` methods.

    Units: ``"energy"`` (the model's unit), ``"nats"``, ``"1"`` (dimensionless); a name this
    package does not know (a user computation's) gets ``units = ""`` and its own name.
    """
    for pattern, units, text in _VARIABLE_DOCS:
        match = re.fullmatch(pattern, name)
        if match:
            return {"units": units, "long_name": text.format(*match.groups())}
    return {"units": "", "long_name": name}


# --------------------------------------------------------------------------- input checks
def _check_grid(grid: Mapping[str, Any]) -> dict[str, tuple[np.ndarray, bool]]:
    """Each grid entry as (float64 values, all-integer flag); ValueError naming the parameter."""
    if not isinstance(grid, Mapping) or len(grid) == 0:
        raise ValueError(f"grid must be a non-empty mapping of parameter names to 1-D values, got {grid!r:.80}")
    out: dict[str, tuple[np.ndarray, bool]] = {}
    for name, values in grid.items():
        if not isinstance(name, str) or not name:
            raise ValueError(f"grid keys must be parameter names (non-empty strings), got {name!r}")
        raw = np.asarray(values) if not np.isscalar(values) else np.asarray([values])
        if raw.dtype == object or not (np.issubdtype(raw.dtype, np.number) or raw.dtype == bool):
            raise ValueError(f"grid[{name!r}] must hold real numbers, got {values!r:.80}")
        if np.iscomplexobj(raw):
            raise ValueError(f"grid[{name!r}] must hold real numbers, got complex values")
        if raw.ndim != 1:
            raise ValueError(f"grid[{name!r}] must be 1-D, but has shape {raw.shape}")
        if raw.size == 0:
            raise ValueError(f"grid[{name!r}] is empty: give at least one value")
        if not np.all(np.isfinite(raw)):
            raise ValueError(f"grid[{name!r}] has NaN or infinite values: {raw.tolist()!r:.120}")
        out[name] = (raw.astype(float), bool(np.issubdtype(raw.dtype, np.integer)))
    return out


def _accepted_names(compute: Callable[..., Any]) -> tuple[tuple[str, ...] | None, tuple[str, ...]]:
    """(names ``compute`` accepts or None for any, names it requires), from ``parameters`` or its signature."""
    declared = getattr(compute, "parameters", None)
    if declared is not None:
        return tuple(declared), tuple(getattr(compute, "required", ()))
    try:
        signature = inspect.signature(compute)
    except (TypeError, ValueError):  # builtins without a signature: accept anything
        return None, ()
    accepted, required = [], []
    for p in signature.parameters.values():
        if p.kind is p.VAR_KEYWORD:
            return None, tuple(required)
        if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY):
            accepted.append(p.name)
            if p.default is p.empty:
                required.append(p.name)
    return tuple(accepted), tuple(required)


def _check_names(compute: Callable[..., Any], names: Sequence[str]) -> None:
    accepted, required = _accepted_names(compute)
    label = getattr(compute, "label", None) or getattr(compute, "__qualname__", type(compute).__name__)
    if accepted is not None:
        for name in names:
            if name not in accepted:
                raise ValueError(
                    f"grid parameter {name!r} is not a parameter of {label}; its parameters are {list(accepted)}"
                )
    missing = [r for r in required if r not in names]
    if missing:
        raise ValueError(f"{label} requires parameter(s) {missing}: add them to the grid (or fix them in the computation)")


# --------------------------------------------------------------------------- evaluation
@dataclass(frozen=True)
class _PointResult:
    values: dict[str, float] | None
    error: str | None
    warnings: tuple[str, ...]


def _flatten(result: Any) -> dict[str, float]:
    """A point's result (mapping of scalars, or an object with ``to_dict()``) as a dict of floats."""
    if hasattr(result, "to_dict") and not isinstance(result, Mapping):
        result = result.to_dict()
    if not isinstance(result, Mapping):
        raise TypeError(
            f"the computation must return a mapping of real scalars or an object with to_dict(), got {type(result).__name__}"
        )
    return {str(k): to_float(v, name=f"result[{k!r}]") for k, v in result.items()}


def _error_text(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def _one(compute: Callable[..., Any], point: Mapping[str, Any]) -> _PointResult:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            values, error = _flatten(compute(**point)), None
        except Exception as exc:  # one bad point must not lose the others: record it
            values, error = None, _error_text(exc)
    return _PointResult(values, error, tuple(dict.fromkeys(f"{w.category.__name__}: {w.message}" for w in caught)))


def _run_chunk(compute: Any, points: Sequence[Mapping[str, Any]], vectorize: bool) -> list[_PointResult]:
    """Evaluate one chunk: in one batch if asked and possible, else (or on failure) point by point."""
    if isinstance(compute, bytes):  # pickled by cloudpickle for a local process
        compute = pickle.loads(compute)
    if vectorize and len(points) > 1:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                batch = [_flatten(r) for r in compute.batch(points)]
            except Exception:  # find the failing point(s) one by one
                batch = None
        if batch is not None and len(batch) == len(points):
            shared = tuple(dict.fromkeys(f"{w.category.__name__}: {w.message}" for w in caught))
            return [_PointResult(values, None, shared) for values in batch]
    return [_one(compute, p) for p in points]


def _limit_blas_threads() -> None:
    """Worker initializer: one BLAS thread per worker process (set before numpy is loaded there)."""
    for variable in _BLAS_THREAD_VARIABLES:
        os.environ[variable] = "1"


def _picklable(compute: Any) -> Any:
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


def _start_processes(
    stack: ExitStack, compute: Any, chunks: Mapping[int, Sequence[Mapping[str, Any]]], vectorize: bool, workers: int
) -> Iterator[tuple[int, list[_PointResult]]]:
    """Submit every chunk now (so that workers start before any progress-bar thread), yield as done."""
    payload = _picklable(compute)
    pool = stack.enter_context(
        ProcessPoolExecutor(max_workers=workers, mp_context=_process_context(), initializer=_limit_blas_threads)
    )
    futures = {pool.submit(_run_chunk, payload, chunk, vectorize): i for i, chunk in chunks.items()}

    def results() -> Iterator[tuple[int, list[_PointResult]]]:
        try:
            for future in as_completed(futures):
                yield futures[future], future.result()
        except BrokenProcessPool as exc:
            raise RuntimeError(
                "a sweep worker process died. If this process runs other threads, workers start by "
                "forkserver/spawn and re-import the main script: guard it with "
                "`if __name__ == '__main__':`, or pass processes=1"
            ) from exc

    return results()


def _run_dask(
    client: Any, compute: Any, chunks: Sequence[Sequence[Mapping[str, Any]]], vectorize: bool
) -> Iterator[tuple[int, list[_PointResult]]]:
    from dask.distributed import as_completed as dask_as_completed

    [remote] = client.scatter([compute], broadcast=True, hash=False)
    futures = [client.submit(_run_chunk, remote, chunk, vectorize, pure=False) for chunk in chunks]
    index = {f.key: i for i, f in enumerate(futures)}
    try:
        for future in dask_as_completed(futures):
            yield index[future.key], future.result()
    finally:
        client.cancel(futures)


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

        class _Bar(tqdm):  # type: ignore[misc, valid-type]
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


# --------------------------------------------------------------------------- the sweep
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
        ``{"index", "parameters", "error"}``), ``n_failures`` and ``warnings`` (JSON list).

    Raises
    ------
    ValueError
        Before anything is computed: an empty or non-finite grid, a parameter ``compute`` does
        not accept, a missing required parameter, or a point outside the model's domain (each
        message names the parameter).

    Warns
    -----
    SweepWarning
        If some points failed; their parameters and errors are in ``attrs["failures"]``.

    Notes
    -----
    Dask's nanny starts workers with ``MALLOC_TRIM_THRESHOLD_=65536``, which slows the many
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

    from .core.version import __version__

    if not callable(compute):
        raise ValueError(f"compute must be callable (e.g. st.sweeps.negf_equilibrium(model, bath)), got {compute!r:.80}")
    checked = _check_grid(grid)
    names = list(checked)
    _check_names(compute, names)
    if int(chunk_size) != chunk_size or chunk_size < 1:
        raise ValueError(f"chunk_size must be a positive integer, got {chunk_size!r}")
    if processes is not None and (int(processes) != processes or processes < 1):
        raise ValueError(f"processes must be a positive integer or None, got {processes!r}")
    if client is not None and processes not in (None, 1):
        raise ValueError("give either client= (a Dask cluster) or processes=, not both")
    batch_ok = callable(getattr(compute, "batch", None))
    if vectorize and not batch_ok:
        raise ValueError(f"vectorize=True, but {type(compute).__name__} has no batch(points) method")
    vectorize = batch_ok if vectorize is None else bool(vectorize)

    shape = tuple(values.size for values, _ in checked.values())
    integer = [is_int for _, is_int in checked.values()]
    points = [
        {n: (int(v) if k else float(v)) for n, v, k in zip(names, combo, integer, strict=True)}
        for combo in itertools.product(*(values for values, _ in checked.values()))
    ]
    check = getattr(compute, "check", None)
    if callable(check):
        for point in points:
            check(point)
    chunks = [points[i : i + int(chunk_size)] for i in range(0, len(points), int(chunk_size))]

    results: list[list[_PointResult] | None] = [None] * len(chunks)
    with ExitStack() as stack:
        pending = dict(enumerate(chunks))
        if client is not None:
            stream: Iterable[tuple[int, list[_PointResult]]] = _run_dask(client, compute, chunks, vectorize)
        else:
            workers = processes if processes is not None else (os.cpu_count() or 1)
            if processes is None and len(chunks) > 1 and workers > 1:
                # decide from the first chunk whether starting processes pays
                start = time.perf_counter()
                results[0] = _run_chunk(compute, pending.pop(0), vectorize)
                if (time.perf_counter() - start) * len(pending) < _PARALLEL_THRESHOLD_S:
                    workers = 1
            if workers > 1 and len(pending) > 1:
                stream = _start_processes(stack, compute, pending, vectorize, min(workers, len(pending)))
            else:
                stream = ((i, _run_chunk(compute, chunk, vectorize)) for i, chunk in pending.items())
        bar = stack.enter_context(_Progress(progress, len(points)))
        bar.update(sum(len(r) for r in results if r is not None))
        for i, chunk_results in stream:
            results[i] = chunk_results
            bar.update(len(chunk_results))

    flat = [r for chunk_results in results for r in (chunk_results or [])]
    variables: dict[str, None] = {}
    for r in flat:
        for key in r.values or {}:
            variables.setdefault(key)
    data = {key: np.full(len(points), np.nan) for key in variables}
    failures, caught = [], []
    for index, (point, r) in enumerate(zip(points, flat, strict=True)):
        if r.error is not None:
            failures.append({"index": index, "parameters": point, "error": r.error})
        for message in r.warnings:
            caught.append({"index": index, "parameters": point, "warning": message})
        for key, value in (r.values or {}).items():
            data[key][index] = value

    coords = {name: (name, values, {"long_name": name}) for name, (values, _) in checked.items()}
    attrs: dict[str, Any] = {"title": getattr(compute, "label", None) or getattr(compute, "__qualname__", "sweep")}
    describe = getattr(compute, "attrs", None)
    attrs.update(describe() if callable(describe) else {"computation": attrs["title"]})
    attrs.update(
        strongtherm_version=__version__,
        grid_order=json.dumps(names),
        vectorized=int(vectorize),
        n_failures=len(failures),
        failures=json.dumps(failures),
        warnings=json.dumps(caught),
    )
    ds = xr.Dataset(
        {key: (names, values.reshape(shape), variable_attrs(key)) for key, values in data.items()},
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


# --------------------------------------------------------------------------- files
def save(ds: Any, path: str | os.PathLike[str]) -> Path:
    """Write a sweep dataset to NetCDF (``.nc``, netCDF-3 via scipy) or CSV (``.csv``).

    The CSV starts with ``#`` lines holding the coordinates and all attributes as JSON, followed
    by one row per grid point (C order, the last parameter fastest) with every value written to
    17 significant digits, so that :func:`load` gives back the same dataset.

    Parameters
    ----------
    ds : xarray.Dataset
        A dataset from :func:`sweep` (float64 coordinates and data variables).
    path : path-like
        Target file; its suffix picks the format.

    Returns
    -------
    pathlib.Path
    """
    path = Path(path)
    if path.suffix == ".nc":
        ds.to_netcdf(path, engine="scipy")
        return path
    if path.suffix != ".csv":
        raise ValueError(f"path must end in .nc (NetCDF) or .csv, got {path.name!r}")
    dims = list(ds.dims)
    variables = list(ds.data_vars)
    header = {
        "attrs": {k: _json_attr(v) for k, v in ds.attrs.items()},
        "coords": {d: {"values": ds[d].values.tolist(), "attrs": dict(ds[d].attrs)} for d in dims},
        "variables": {v: {"dims": list(ds[v].dims), "attrs": dict(ds[v].attrs)} for v in variables},
    }
    mesh = np.meshgrid(*(ds[d].values for d in dims), indexing="ij")
    columns = [m.ravel() for m in mesh] + [ds[v].transpose(*dims).values.ravel() for v in variables]
    with path.open("w", encoding="utf-8") as handle:
        for line in json.dumps(header, indent=1).splitlines():
            handle.write(f"# {line}\n")
        handle.write(",".join(dims + variables) + "\n")
        for row in zip(*columns, strict=True):
            handle.write(",".join(repr(float(x)) for x in row) + "\n")
    return path


def _json_attr(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def load(path: str | os.PathLike[str]) -> Any:
    """Read a dataset written by :func:`save` (``.nc`` or ``.csv``)."""
    import xarray as xr

    path = Path(path)
    if path.suffix == ".nc":
        with xr.open_dataset(path, engine="scipy") as ds:
            return ds.load()
    if path.suffix != ".csv":
        raise ValueError(f"path must end in .nc (NetCDF) or .csv, got {path.name!r}")
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
