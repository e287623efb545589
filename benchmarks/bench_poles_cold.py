"""Benchmark: cold states of the pole road (issue 21, "Speed 2"), all ratios in one run.

A fresh process per temperature (T = 0.1, 0.02, 0.005, 0.001; mu = 0, t0 = 1.25) computes 100
random resonant-level states (eps_s uniform in [-2.6, 2.6], V uniform in [0.1, 2], fixed seed),
one ``st.negf.equilibrium`` call each plus its alpha-entropy (workload (a) of
benchmarks/bench_poles.py), timed from the first call on: imports and the model's construction
are excluded, everything the first states build (the Fermi expansion and the line rule of each
reach bucket, node surfaces, weights) is included. The same process then times a careful
``scipy.integrate.quad_vec`` of the same 13 quantities at epsabs = 1e-11 on the same states
(bench_poles.quad_vec_state), and the largest difference between the two is the accuracy check.
A second pass of the engine over the same states in the same process gives the warm figure.

Targets: cold engine <= 1/50 of quad_vec at T = 0.02, and the cold cost at T = 0.001 <= 5 x the
cold cost at T = 0.1. Each temperature runs in ``--repeat`` fresh processes, interleaved
(T = 0.1, 0.02, ..., then again), and the best of each time is kept; the ratio to quad_vec is each
process's own (best and median), the ratio of temperatures that of the best times and, in CPU
time, the median over rounds (on a shared machine the CPU time is the steadier measure). Prints a
table and writes benchmarks/results/bench_poles_cold.json.

Run: ``.venv/bin/python benchmarks/bench_poles_cold.py [--repeat N]``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
TEMPERATURES = (0.1, 0.02, 0.005, 0.001)
N_STATES = 100
SEED = 2121


def child(temperature: float, values_out: str | None) -> None:
    """One fresh process: the cold engine, quad_vec and the warm engine on the same states; one
    JSON line on stdout."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from bench_poles import MU, T0, engine_values, quad_vec_state, random_points

    import strongtherm as st

    model, bath = st.models.resonant_level(t0=T0), st.Bath(T=temperature, mu=MU)
    points = random_points(N_STATES, seed=SEED)

    def engine() -> tuple[float, float, list]:
        start, start_cpu = time.perf_counter(), time.process_time()
        eqs = []
        for p in points:
            eq = st.negf.equilibrium(model, bath, **p)
            eq.alpha_entropy(0.3)
            eqs.append(eq)
        return time.perf_counter() - start, time.process_time() - start_cpu, eqs

    cold, cold_cpu, eqs = engine()
    start, start_cpu = time.perf_counter(), time.process_time()
    refs = [quad_vec_state(p["eps_s"], p["V"], bath) for p in points]
    quad, quad_cpu = time.perf_counter() - start, time.process_time() - start_cpu
    warm, warm_cpu, _ = engine()
    values = np.array([engine_values(eq) for eq in eqs])
    if values_out:
        np.save(values_out, values)
    print(json.dumps({
        "cold_seconds": cold, "cold_cpu_seconds": cold_cpu, "quad_vec_seconds": quad, "quad_vec_cpu_seconds": quad_cpu,
        "warm_seconds": warm, "warm_cpu_seconds": warm_cpu,
        "max_difference_to_quad_vec": float(np.max(np.abs(values - np.array(refs)))),
    }))  # fmt: skip


def run_child(temperature: float, values_out: str | None = None) -> dict[str, float]:
    command = [sys.executable, __file__, "--child", repr(temperature)]
    if values_out:
        command += ["--values", values_out]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="fresh processes per temperature (best of)")
    parser.add_argument("--child", type=float, help=argparse.SUPPRESS)
    parser.add_argument("--values", help="(with --child) save the engine's values to this .npy file")
    args = parser.parse_args(argv)
    if args.child is not None:
        child(args.child, args.values)
        return 0
    runs: dict[float, list[dict[str, float]]] = {t: [] for t in TEMPERATURES}
    for _ in range(args.repeat):  # interleaved, so that a slow phase of the machine hits every T alike
        for t in TEMPERATURES:
            runs[t].append(run_child(t))
    per_T = {}
    for t in TEMPERATURES:
        best = {k: min(r[k] for r in runs[t]) for k in runs[t][0]}
        best["max_difference_to_quad_vec"] = max(r["max_difference_to_quad_vec"] for r in runs[t])
        # each process's own ratio (engine and quad_vec timed seconds apart): best and median
        ratios = sorted(r["cold_seconds"] / r["quad_vec_seconds"] for r in runs[t])
        cpu_ratios = sorted(r["cold_cpu_seconds"] / r["quad_vec_cpu_seconds"] for r in runs[t])
        best.update(cold_ratio_to_quad_vec=ratios[0], cold_ratio_to_quad_vec_median=float(np.median(ratios)),
                    cold_cpu_ratio_to_quad_vec=cpu_ratios[0], cold_cpu_ratio_to_quad_vec_median=float(np.median(cpu_ratios)))
        per_T[str(t)] = best
        print(f"T={t:<6g}: cold {1e3 * best['cold_seconds']:7.1f} ms ({1e3 * best['cold_seconds'] / N_STATES:.3f} ms per state), "
              f"warm {1e3 * best['warm_seconds']:6.1f} ms, quad_vec {1e3 * best['quad_vec_seconds']:7.1f} ms -> cold ratio "
              f"1/{1 / ratios[0]:.0f} (median 1/{1 / np.median(ratios):.0f}; CPU 1/{1 / cpu_ratios[0]:.0f}, median "
              f"1/{1 / np.median(cpu_ratios):.0f}); max |engine - quad_vec| {best['max_difference_to_quad_vec']:.1e}")  # fmt: skip
    # the two temperatures' cold times: of the best runs, and per round (runs minutes apart at most)
    low_over_high = per_T["0.001"]["cold_seconds"] / per_T["0.1"]["cold_seconds"]
    low_over_high_cpu = per_T["0.001"]["cold_cpu_seconds"] / per_T["0.1"]["cold_cpu_seconds"]
    per_round = [a["cold_cpu_seconds"] / b["cold_cpu_seconds"] for a, b in zip(runs[0.001], runs[0.1], strict=True)]
    ratio = per_T["0.02"]["cold_ratio_to_quad_vec"]
    print(f"cold at T = 0.02: 1/{1 / ratio:.0f} of quad_vec (target <= 1/50); cold T = 0.001 / T = 0.1: "
          f"{low_over_high:.1f} (CPU {low_over_high_cpu:.1f}, median of rounds {np.median(per_round):.1f}; target <= 5)")  # fmt: skip
    import strongtherm as st

    results = {
        "version": st.__version__, "states": N_STATES, "seed": SEED, "repeat": args.repeat, "per_T": per_T,
        "cold_ratio_to_quad_vec_at_0.02": ratio, "target_ratio_to_quad_vec": 1 / 50,
        "cold_T_0.001_over_T_0.1": low_over_high, "cold_cpu_T_0.001_over_T_0.1": low_over_high_cpu,
        "cold_cpu_T_0.001_over_T_0.1_median_of_rounds": float(np.median(per_round)), "target_T_0.001_over_T_0.1": 5.0,
    }  # fmt: skip
    out = ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "bench_poles_cold.json").write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
