"""A beta scan of the exact engine: one eigendecomposition for all temperatures (issue 13).

Workload: ``n_beta`` log-spaced inverse temperatures from 0.1 to 10 on a random complex model
with d_S = 2, d = 2^p. Reference, timed in the same run: what a user writes without the scan, one
``st.exact.equilibrium(model, beta=b)`` per beta (one d x d ``eigh`` each). Engine:
``st.exact.equilibria(model, betas)`` (one ``eigh``, then per beta only the partial trace and a
d_S x d_S eigendecomposition). The two must agree to rounding; the script checks 1e-10 on H*_S.

Usage::

    python benchmarks/bench_beta_scan.py [--power 10] [--n-beta 20]

Writes ``benchmarks/results/bench_beta_scan.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import numpy as np

import strongtherm as st

RESULTS = Path(__file__).resolve().parent / "results"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--power", type=int, default=10, help="total dimension d = 2^power (default 10)")
    parser.add_argument("--n-beta", type=int, default=20, help="number of temperatures (default 20)")
    args = parser.parse_args(argv)
    model = st.models.random_composite(2, 2 ** (args.power - 1), 0)
    betas = np.geomspace(0.1, 10.0, args.n_beta)
    t0 = time.perf_counter()
    one_by_one = [st.exact.equilibrium(model, beta=float(b)) for b in betas]
    t_reference = time.perf_counter() - t0
    t0 = time.perf_counter()
    scan = st.exact.equilibria(model, betas, progress=False)
    t_scan = time.perf_counter() - t0
    deviation = max(float(np.max(np.abs(a.H_star - b.H_star))) for a, b in zip(one_by_one, scan, strict=True))
    assert deviation < 1e-10, deviation
    result = {
        "benchmark": "exact engine beta scan: equilibria(model, betas) vs one equilibrium per beta",
        "d": 2**args.power,
        "n_beta": args.n_beta,
        "t_reference_s": t_reference,
        "t_scan_s": t_scan,
        "speedup": t_reference / t_scan,
        "max_deviation_H_star": deviation,
        "machine": platform.platform(),
        "cpu_count": os.cpu_count(),
    }
    print(json.dumps(result, indent=2))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "bench_beta_scan.json").write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
