"""Benchmark: fermionic TPM work statistics (issue 23, "Speed"), all ratios in one run.

(a) chi(u) on 1000 values of u for the sudden quench of the resonant level (t0 = 1.25,
    eps_s: 0 -> 1, V: 0.6 -> 0.9) on a 400-site chain (401 one-body modes), as
    ``quench_work_statistics`` (its two eigendecompositions included), against the time of one
    ``numpy.linalg.eigh`` of the 401 x 401 one-body Hamiltonian; target <= 10. At two
    temperatures: the determinants drop the modes A leaves empty (c <= 1e-18), so the cost
    depends on how many there are; the full determinants (nothing dropped) are timed beside them,
    and the two chi(u) compared.
(b) a driven protocol (the same quench as a linear ramp of duration 10): ``driven_work_statistics``
    on 1000 values of u against ``st.dynamics.drive`` of the same protocol on the same chain
    (L = the drive's own choice); target <= 2.

One BLAS thread. Timings are best-of ``--repeat`` wall times. Prints a table and writes
benchmarks/results/bench_work_statistics.json. Run: ``.venv/bin/python benchmarks/bench_work_statistics.py``.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import argparse
import json
import time
from pathlib import Path

import numpy as np

import strongtherm as st
import strongtherm.gaussian.statistics as statistics
from strongtherm.gaussian.statistics import driven_work_statistics, quench_work_statistics
from strongtherm.negf.universe import Universe

RLM = st.models.resonant_level(t0=1.25)
START, END = {"eps_s": 0.0, "V": 0.6}, {"eps_s": 1.0, "V": 0.9}
L = 400
U = np.linspace(0.0, 100.0, 1000)


def _best(fn, repeat: int) -> tuple[float, object]:
    best, out = np.inf, None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2, help="timing repeats (best of)")
    args = parser.parse_args()
    h_A = Universe(RLM, L).dense(RLM.resolve(START))
    t_eigh, _ = _best(lambda: np.linalg.eigh(h_A), 5 * args.repeat)
    results: dict[str, object] = {"modes": L + 1, "u_values": U.size, "eigh_seconds": t_eigh}
    print(f"one eigh of {L + 1} x {L + 1}: {1e3 * t_eigh:.1f} ms")
    default_empty = statistics.EMPTY_MODE
    for T in (0.1, 0.02):
        bath = st.Bath(T=T, mu=0.0)
        t_chi, stats = _best(lambda bath=bath: quench_work_statistics(RLM, bath, START, END, U, L=L), args.repeat)
        statistics.EMPTY_MODE = -1.0  # keep every mode: the full determinants
        try:
            t_full, full = _best(lambda bath=bath: quench_work_statistics(RLM, bath, START, END, U, L=L), 1)
        finally:
            statistics.EMPTY_MODE = default_empty
        kept = int(np.sum(bath.fermi(np.linalg.eigvalsh(h_A)) > default_empty))
        diff = float(np.max(np.abs(stats.characteristic.values - full.characteristic.values)))  # type: ignore[union-attr]
        print(f"(a) T = {T}: chi on {U.size} u in {t_chi:.2f} s = {t_chi / t_eigh:.0f} x eigh (target 10); "
              f"full determinants {t_full:.2f} s = {t_full / t_eigh:.0f} x eigh; {kept} of {L + 1} modes kept; "
              f"max |dropped - full| {diff:.1e}")
        results[f"T={T}"] = {"chi_seconds": t_chi, "ratio_to_eigh": t_chi / t_eigh, "full_seconds": t_full,
                             "full_ratio_to_eigh": t_full / t_eigh, "modes_kept": kept, "max_difference": diff}
    bath = st.Bath(T=0.1, mu=0.0)
    protocol = st.Protocol(st.Path.line(START, END), duration=10.0)
    t_drive, run = _best(lambda: st.dynamics.drive(RLM, bath, protocol, times=[0.0, 10.0], mean_force_energies=False,
                                                   entropy=False, reference=False), args.repeat)  # fmt: skip
    L_drive = run.chain.L  # type: ignore[union-attr]
    t_driven, driven = _best(lambda: driven_work_statistics(RLM, bath, protocol, U, L=L_drive), args.repeat)
    gap = abs(driven.mean - run.W_ext[-1])  # type: ignore[union-attr]
    print(f"(b) ramp of duration 10 on L = {L_drive}: drive {t_drive:.2f} s, chi on {U.size} u {t_driven:.2f} s "
          f"= {t_driven / t_drive:.1f} x drive (target 2); |<W> - W_ext| = {gap:.1e}")
    results["driven"] = {"L": L_drive, "drive_seconds": t_drive, "chi_seconds": t_driven,
                         "ratio_to_drive": t_driven / t_drive, "mean_minus_W_ext": gap}
    target = Path(__file__).resolve().parent / "results" / "bench_work_statistics.json"
    target.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
