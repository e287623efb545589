"""Benchmark: error bars of the typicality roads against beta, against the dense engine (issue 24).

A qubit on an open 10-spin Heisenberg chain with a field (d = 2^11, total S^z conserved), the
dense engine's numbers from one eigendecomposition (:func:`strongtherm.exact.equilibria`) as
reference; for each beta, four roads of :func:`strongtherm.exact.typicality.typical_equilibrium`
with 32 samples and 4 seeds: plain typicality, with U(1) sectors, deflated (16 lowest states
exact), deflated with sectors. Reports the median one-sigma error bar of F*_S and of rho_S[0, 0]
and the largest abs(z) over the seeds (of F*_S, rho_S[0, 0], U_E*; where the bar exceeds 1e-12) and
the largest abs(difference), with beta times the bandwidth of H.

Prints a table and writes benchmarks/results/bench_typicality_beta.json.
Run: ``.venv/bin/python benchmarks/bench_typicality_beta.py``.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

import strongtherm as st
from strongtherm.exact.typicality import typical_equilibrium
from strongtherm.models.spin_chains import qubit_on_spin_chain, total_sz

BETAS = (0.25, 1.0, 4.0, 16.0)
ROADS = {"plain": {}, "sectors": {"sectors": "Q"}, "deflated": {"method": "deflated"},
         "deflated+sectors": {"method": "deflated", "sectors": "Q"}}  # fmt: skip
SEEDS = 4
SAMPLES = 32


def main() -> None:
    n = 10
    H_S, H_R, V = qubit_on_spin_chain(n, eps=1.0, h=0.3)
    Q = total_sz(n + 1)
    t0 = time.perf_counter()
    dense = st.exact.equilibria(st.exact.Composite(H_S=H_S, H_R=H_R.toarray(), V=V.toarray()), BETAS)
    dense_time = time.perf_counter() - t0
    energies = dense[0].energies
    bandwidth, gap = float(energies[-1] - energies[0]), float(energies[1] - energies[0])
    print(f"d = 2^{n + 1}: dense engine {dense_time:.1f} s; bandwidth {bandwidth:.3f}, lowest gap {gap:.2e}")
    rows = []
    for beta, reference in zip(BETAS, dense, strict=True):
        for road, options in ROADS.items():
            kwargs = {k: (Q if v == "Q" else v) for k, v in options.items()}
            errors_F, errors_rho, z_max, difference, seconds = [], [], 0.0, 0.0, 0.0
            for seed in range(SEEDS):
                t0 = time.perf_counter()
                r = typical_equilibrium(H_S, H_R, V, beta=beta, samples=SAMPLES, rng=seed, **kwargs)
                seconds += time.perf_counter() - t0
                errors_F.append(r.errors["F_S"])
                errors_rho.append(float(r.errors["rho_S"][0, 0]))
                for value, exact, error in ((r.F_S, reference.F_S, r.errors["F_S"]),
                                            (r.rho_S[0, 0].real, reference.rho_S[0, 0].real, r.errors["rho_S"][0, 0]),
                                            (r.U["E*"], reference.U["E*"], r.errors["U_E*"])):  # fmt: skip
                    # a z-score only where the bar is above the rounding of the two engines (1e-12):
                    # a bar of 1e-15 against a dense eigh's own 1e-14 says nothing
                    if error > 1e-12:
                        z_max = max(z_max, abs(value - exact) / error)
                    difference = max(difference, abs(value - exact))
            row = {"beta": beta, "beta_bandwidth": beta * bandwidth, "road": road, "error_F_S": float(np.median(errors_F)),
                   "error_rho_00": float(np.median(errors_rho)), "max_abs_z": z_max, "max_abs_difference": difference,
                   "seconds_per_run": seconds / SEEDS}  # fmt: skip
            rows.append(row)
            print(f"beta {beta:6.2f} (x bandwidth {beta * bandwidth:7.1f}) {road:17s} error F*_S {row['error_F_S']:.1e} "
                  f"rho_00 {row['error_rho_00']:.1e} max|z| {z_max:.1f} max|diff| {difference:.1e}  {row['seconds_per_run']:.2f} s/run")  # fmt: skip
    target = Path(__file__).resolve().parent / "results" / "bench_typicality_beta.json"
    target.write_text(json.dumps({"dense_seconds": dense_time, "bandwidth": bandwidth, "gap": gap, "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
