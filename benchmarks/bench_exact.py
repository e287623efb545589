"""Cost of the exact mean-force engine relative to one ``numpy.linalg.eigh`` per Hamiltonian.

Full analysis of one quench A -> B on random complex models with d_S = 2, d_R = 2^k
(``strongtherm.exact.quench``: both equilibria with H*_S, E*_S, F_S, the three U's and entropies,
the three works and heats, dF_S, entropy changes), against a plain reference in the same run: one
``numpy.linalg.eigh`` of H^A and one of H^B. The quench changes both H_S and V, so that W_diff
takes the general path (one matrix product with the Gibbs weights) rather than the cheap
system-quench path. Target: ratio <= 1.5 per Hamiltonian. The engine uses scipy's default
eigensolver (MRRR), so the table also gives the ratio against that.

Usage::

    python benchmarks/bench_exact.py [--max-power 12] [--repeats 3]

Writes ``benchmarks/results/bench_exact.{csv,json}``.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import time
from pathlib import Path

import numpy as np
import scipy
import scipy.linalg

import strongtherm as st

__all__ = ["main", "measure"]

RESULTS = Path(__file__).resolve().parent / "results"


def measure(d_R: int, repeats: int, seed: int = 0) -> dict[str, float]:
    """Best-of-``repeats`` wall times of the reference (two eigh) and of the full quench analysis."""
    rng = np.random.default_rng(seed)
    A = st.models.random_composite(2, d_R, rng)
    other = st.models.random_composite(2, d_R, rng)
    B = A.replace(H_S=other.H_S, V=other.V)
    H_A, H_B = A.H, B.H  # built once (O(d^2)); both timings use the same matrices
    t_ref, t_scipy, t_full = np.inf, np.inf, np.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        np.linalg.eigh(H_A)
        np.linalg.eigh(H_B)
        t_ref = min(t_ref, time.perf_counter() - t0)
        t0 = time.perf_counter()
        scipy.linalg.eigh(H_A, check_finite=False)
        scipy.linalg.eigh(H_B, check_finite=False)
        t_scipy = min(t_scipy, time.perf_counter() - t0)
        t0 = time.perf_counter()
        q = st.exact.quench(A, B, beta=1.0)
        t_full = min(t_full, time.perf_counter() - t0)
    assert np.isfinite(q.work["E*"])
    return {
        "d_S": 2,
        "d_R": d_R,
        "d": 2 * d_R,
        "t_two_numpy_eigh_s": t_ref,
        "t_two_scipy_eigh_s": t_scipy,
        "t_quench_s": t_full,
        "ratio_per_hamiltonian": t_full / t_ref,
        "ratio_vs_scipy_eigh": t_full / t_scipy,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-power", type=int, default=11, help="largest total dimension d = 2^p (default 11)")
    parser.add_argument("--repeats", type=int, default=3, help="best of this many runs (1 above d = 2048)")
    args = parser.parse_args(argv)
    rows = []
    print(f"{'d':>6} {'d_R':>6} {'2 x np.eigh [s]':>16} {'2 x scipy eigh':>15} {'quench [s]':>11} {'ratio':>7} {'vs scipy':>9}")
    for p in range(2, args.max_power + 1):
        d_R = 2 ** (p - 1)
        row = measure(d_R, args.repeats if p <= 11 else 1)
        rows.append(row)
        print(
            f"{row['d']:>6} {d_R:>6} {row['t_two_numpy_eigh_s']:>16.4g} {row['t_two_scipy_eigh_s']:>15.4g}"
            f" {row['t_quench_s']:>11.4g} {row['ratio_per_hamiltonian']:>7.3f} {row['ratio_vs_scipy_eigh']:>9.3f}",
            flush=True,
        )
    RESULTS.mkdir(exist_ok=True)
    with (RESULTS / "bench_exact.csv").open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    meta = {
        "benchmark": "exact engine: full quench analysis / (eigh(H_A) + eigh(H_B)), random complex models, d_S = 2",
        "target_ratio": 1.5,
        "machine": platform.platform(),
        "processor": platform.processor(),
        "cpu_count": os.cpu_count(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "note": "ratio = quench / (numpy eigh of H_A + H_B); the engine itself uses scipy.linalg.eigh (default MRRR driver), so ratio_vs_scipy_eigh is the overhead beyond its own eigensolver",
        "rows": rows,
    }
    (RESULTS / "bench_exact.json").write_text(json.dumps(meta, indent=2) + "\n")
    print(f"wrote {RESULTS / 'bench_exact.csv'} and .json")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
