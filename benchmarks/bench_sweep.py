"""Benchmark: sweep throughput (points/s) of resonant-level equilibria on an N x N grid.

Workload: ``st.negf.equilibrium`` of ``resonant_level(t0=1.25)`` at T = 0.02, mu = 0 on the grid
eps_s in [-3, 3] x V in [0.2, 1.5] (N x N points, default N = 100, about 2-3 ms per point), as
``st.sweep(st.sweeps.negf_equilibrium(...), grid)`` with

* serial, point by point (``processes=1, vectorize=False``): the reference;
* serial, vectorized (``vectorize=True``: each chunk's energy integrals on one contour);
* 2 local processes (ProcessPoolExecutor, vectorized chunks; start-up included);
* a Dask LocalCluster with 1 and with 2 worker processes (one thread each, vectorized chunks,
  MALLOC_TRIM_THRESHOLD_ raised: see the comment in main), timed after the workers are up and
  have imported strongtherm (start-up excluded).

Parallel efficiency (DESIGN.md errata, issue 5): t(1 worker) / (2 x t(2 workers)) on the same
chunks. One BLAS thread per worker (OMP/OPENBLAS/MKL_NUM_THREADS=1, set before numpy loads).
The backends must return identical arrays; this is checked. Writes
benchmarks/results/bench_sweep.json. Never a test: timings depend on the machine.

Run: ``.venv/bin/python benchmarks/bench_sweep.py [--n 100] [--chunk-size 25]``.
"""

from __future__ import annotations

import os

for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS"):
    os.environ[_variable] = "1"

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

import strongtherm as st  # noqa: E402
from strongtherm.sweeps import DEFAULT_CHUNK_SIZE  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
T, MU, T0 = 0.02, 0.0, 1.25


def timed(label, n_points, fn):
    start = time.perf_counter()
    ds = fn()
    seconds = time.perf_counter() - start
    print(f"{label:<34s} {seconds:8.2f} s  {n_points / seconds:8.0f} points/s", flush=True)
    return seconds, ds


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100, help="grid side (N x N points)")
    parser.add_argument("--chunk-size", type=int, default=DEFAULT_CHUNK_SIZE, help="points per chunk")
    args = parser.parse_args(argv)
    import dask
    from dask.distributed import Client, LocalCluster

    compute = st.sweeps.negf_equilibrium(st.models.resonant_level(t0=T0), st.Bath(T=T, mu=MU))
    grid = {"eps_s": np.linspace(-3.0, 3.0, args.n), "V": np.linspace(0.2, 1.5, args.n)}
    n_points = args.n**2
    common = {"progress": False, "chunk_size": args.chunk_size}
    print(f"{n_points} resonant-level equilibria, chunks of {args.chunk_size}, {os.cpu_count()} CPUs")

    t_serial, ds_serial = timed("serial, point by point", n_points, lambda: st.sweep(compute, grid, processes=1, vectorize=False, **common))
    t_vec, ds_vec = timed("serial, vectorized chunks", n_points, lambda: st.sweep(compute, grid, processes=1, vectorize=True, **common))
    t_proc, ds_proc = timed("2 processes, vectorized (with start)", n_points, lambda: st.sweep(compute, grid, processes=2, vectorize=True, **common))

    dask_seconds = {}
    # Dask's nanny starts workers with MALLOC_TRIM_THRESHOLD_=65536, which makes the many small
    # NumPy allocations of this workload return memory to the OS all the time (about 1.5x slower
    # per point here); a larger threshold restores the in-process speed.
    trim = {"distributed.nanny.pre-spawn-environ": {"MALLOC_TRIM_THRESHOLD_": 2**30}}
    for workers in (1, 2):
        with dask.config.set(trim), LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, Client(cluster) as client:
            client.wait_for_workers(workers)
            st.sweep(compute, {"eps_s": [0.0] * workers * 2, "V": [1.0]}, client=client, progress=False, chunk_size=1)  # warm-up
            dask_seconds[workers], ds_dask = timed(f"dask, {workers} worker(s), vectorized", n_points,
                                                  lambda client=client: st.sweep(compute, grid, client=client, vectorize=True, **common))
    identical = bool(ds_vec.identical(ds_proc) and ds_vec.identical(ds_dask))
    batch_difference = float(max(np.nanmax(np.abs(ds_vec[v].values - ds_serial[v].values)) for v in ("system_S", "system_Omega", "reservoir_Omega")))
    efficiency = dask_seconds[1] / (2.0 * dask_seconds[2])
    print(f"parallel efficiency t(1)/(2 t(2)) on the same chunks: {efficiency:.2f}; backends identical: {identical}; "
          f"max |vectorized - point by point| = {batch_difference:.1e}")

    result = {
        "workload": f"resonant_level(t0={T0}) equilibria, T={T}, mu={MU}, eps_s in [-3, 3] x V in [0.2, 1.5]",
        "grid": [args.n, args.n],
        "points": n_points,
        "chunk_size": args.chunk_size,
        "cpus": os.cpu_count(),
        "blas_threads_per_worker": 1,
        "dask_worker_malloc_trim_threshold": 2**30,
        "seconds": {"serial": t_serial, "vectorized": t_vec, "processes_2": t_proc, "dask_1": dask_seconds[1], "dask_2": dask_seconds[2]},
        "points_per_second": {
            "serial": n_points / t_serial,
            "vectorized": n_points / t_vec,
            "processes_2": n_points / t_proc,
            "dask_1": n_points / dask_seconds[1],
            "dask_2": n_points / dask_seconds[2],
        },
        "parallel_efficiency_dask": efficiency,
        "backends_identical": identical,
        "max_difference_vectorized_vs_point_by_point": batch_difference,
        "load_average_1min_at_end": os.getloadavg()[0],  # > 2 on 2 CPUs: other jobs shared the machine
        "version": st.__version__,
    }
    out = ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "bench_sweep.json").write_text(json.dumps(result, indent=2) + "\n")
    return 0 if identical else 1


if __name__ == "__main__":
    sys.exit(main())
