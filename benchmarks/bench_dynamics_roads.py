"""Benchmark: the interaction-picture road of ``drive`` against the Magnus road (issue 21, speed 1).

Workload of the issue: the level ramp of the resonant level (t0 = 1.25, eps_s: 0 -> 1 at V = 0.6,
T = 0.1, mu = 0, linear schedule), default settings of ``st.dynamics.drive`` (error control on W at
1e-8) apart from ``method``, only the end of the ramp as output, no mean-force energies or
entropies (the time loop is what is compared).

(a) tau = 160: tau W_diss = tau (W - Delta F) on both roads (Delta F of the same chain universe);
    target: the same tau W_diss to 1e-8 in <= 1/20 of the Magnus road's time.
(b) 20 durations log-spaced from 0.1 to 160: total time of each road, largest |W difference|;
    target <= 1/20.

Both roads run in the same process, one BLAS thread, best of ``--repeat``. Prints a table and writes
benchmarks/results/bench_dynamics_roads.json.
Run: ``.venv/bin/python benchmarks/bench_dynamics_roads.py [--repeat N]``.
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

RLM = st.models.resonant_level(t0=1.25)
BATH = st.Bath(T=0.1, mu=0.0)
START, END = {"eps_s": 0.0, "V": 0.6}, {"eps_s": 1.0, "V": 0.6}
TAUS = np.geomspace(0.1, 160.0, 20)


def run(tau: float, method: str) -> tuple[float, st.dynamics.Drive]:
    proto = st.Protocol(st.Path.line(START, END), duration=float(tau))
    t = time.perf_counter()
    out = st.dynamics.drive(RLM, BATH, proto, times=[0.0, float(tau)], mean_force_energies=False, entropy=False,
                            reference=False, method=method)  # fmt: skip
    return time.perf_counter() - t, out


def best(tau: float, method: str, repeat: int) -> tuple[float, st.dynamics.Drive]:
    runs = [run(tau, method) for _ in range(repeat)]
    return min(r[0] for r in runs), runs[-1][1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2, help="timing repeats (best of)")
    args = parser.parse_args()
    run(1.0, "interaction")  # imports and first calls out of the timing
    results: dict[str, object] = {"workload": "level ramp eps_s 0 -> 1 at V = 0.6, t0 = 1.25, T = 0.1, mu = 0, linear"}
    # (a) tau = 160
    tau = float(TAUS[-1])
    t_magnus, magnus = best(tau, "magnus", args.repeat)
    t_fast, fast = best(tau, "interaction", args.repeat)
    dissipated = {name: tau * float(r.W_ext[-1] - r.delta_F[-1]) for name, r in (("magnus", magnus), ("interaction", fast))}
    gap = abs(dissipated["magnus"] - dissipated["interaction"])
    print(f"(a) tau = {tau:g} (L = {fast.chain.L}): Magnus {t_magnus:.2f} s ({magnus.integrator.n_steps} steps), "
          f"interaction {t_fast:.3f} s ({fast.integrator.n_steps} steps) -> 1/{t_magnus / t_fast:.1f} (target 1/20); "
          f"tau W_diss {dissipated['interaction']:.12f}, |difference| {gap:.1e} (target 1e-8)")  # fmt: skip
    results["tau_160"] = {"L": fast.chain.L, "magnus_seconds": t_magnus, "interaction_seconds": t_fast, "ratio": t_magnus / t_fast,
                          "tau_W_diss": dissipated, "tau_W_diss_difference": gap,
                          "magnus_steps": magnus.integrator.n_steps, "interaction_steps": fast.integrator.n_steps,
                          "energy_balance_residual": {"magnus": magnus.integrator.energy_balance_residual,
                                                      "interaction": fast.integrator.energy_balance_residual}}  # fmt: skip
    # (b) 20 durations
    rows, totals = [], {"magnus": 0.0, "interaction": 0.0}
    for tau in TAUS:
        row: dict[str, float] = {"tau": float(tau)}
        for method in ("magnus", "interaction"):
            seconds, r = best(float(tau), method, args.repeat)
            totals[method] += seconds
            row[f"{method}_seconds"], row[f"W_{method}"] = seconds, float(r.W_ext[-1])
        row["L"] = r.chain.L
        rows.append(row)
    largest = max(abs(r["W_magnus"] - r["W_interaction"]) for r in rows)
    print(f"(b) {TAUS.size} durations 0.1 .. 160: Magnus {totals['magnus']:.2f} s, interaction {totals['interaction']:.2f} s "
          f"-> 1/{totals['magnus'] / totals['interaction']:.1f} (target 1/20); max |W difference| {largest:.1e}")  # fmt: skip
    results["durations"] = {"magnus_seconds": totals["magnus"], "interaction_seconds": totals["interaction"],
                            "ratio": totals["magnus"] / totals["interaction"], "max_W_difference": largest, "rows": rows}  # fmt: skip
    results["version"] = st.__version__
    target = Path(__file__).resolve().parent / "results" / "bench_dynamics_roads.json"
    target.write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
