"""Benchmark: W(tau) of the level ramp for 20 durations, engine vs a plain dense RK4 reference.

Workload (issue 12, "Speed"): resonant level of Kumar, Webb & Stafford (2024), t0 = 1.25,
eps_s: 0 -> 1 at V = 0.6, T = 0.1, mu = 0, linear schedule, 20 durations tau log-spaced from 0.1
to 100; the work W(tau) at the end of the ramp, accurate to 1e-8.

* Engine: ``st.dynamics.drive`` (chain length chosen from the window; its default road, the long
  interaction-picture steps of ``strongtherm.dynamics.interaction``), default step; and a second
  pass with the Magnus road (6th-order Magnus with Chebyshev exponentials) at ``--coarse-dt``.
* Reference, in the same process: RK4 on dC/dt = -i [h(t), C] with dense matrices and dt = 0.01
  (the step adjusted to divide tau), on the same chain of L sites, from the same Gibbs state
  C_0 = f(h_0); W = Tr[C h] - Tr[C_0 h_0] at the end (closed universe).

Both run with one BLAS thread. Prints a table and writes benchmarks/results/bench_dynamics.json.

Run: ``.venv/bin/python benchmarks/bench_dynamics.py [--reference-max-tau X]`` (the reference
costs ~tau/0.01 dense steps: a few minutes for all 20 durations).
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
from scipy.special import expit

ROOT = Path(__file__).resolve().parents[1]

import strongtherm as st  # noqa: E402
from strongtherm.negf.finite_chain import universe_hamiltonian  # noqa: E402

T, MU, T0, V = 0.1, 0.0, 1.25, 0.6
EPS_A, EPS_B = 0.0, 1.0
TAUS = np.geomspace(0.1, 100.0, 20)
RK4_DT = 0.01


def engine(rlm, tau, dt=None, method="interaction"):
    proto = st.Protocol(st.Path.line({"eps_s": EPS_A, "V": V}, {"eps_s": EPS_B, "V": V}), duration=tau)
    run = st.dynamics.drive(
        rlm, st.Bath(T=T, mu=MU), proto, times=[0.0, tau], dt=dt, mean_force_energies=False, entropy=False, reference=False,
        method=method,
    )
    return run


def reference(rlm, tau, L):
    """Plain RK4 on the dense correlation matrix; returns W = Tr[C h] - Tr[C_0 h_0]."""
    h0 = universe_hamiltonian(rlm, L, {"eps_s": EPS_A, "V": V}).real
    e, U = np.linalg.eigh(h0)
    C = (U * expit(-(e - MU) / T)) @ U.T
    C = C.astype(complex)
    P = np.zeros_like(h0)
    P[0, 0] = 1.0
    n = int(np.ceil(tau / RK4_DT - 1e-9))
    dt = tau / n

    def h_at(t):
        return h0 + (EPS_B - EPS_A) * min(max(t / tau, 0.0), 1.0) * P

    def rhs(h, C):
        X = h @ C
        return -1j * (X - X.conj().T)  # -i [h, C] for Hermitian h and C

    E0 = float(np.real(np.trace(C @ h0)))
    t = 0.0
    for _ in range(n):
        h1, h2, h3 = h_at(t), h_at(t + 0.5 * dt), h_at(t + dt)
        k1 = rhs(h1, C)
        k2 = rhs(h2, C + 0.5 * dt * k1)
        k3 = rhs(h2, C + 0.5 * dt * k2)
        k4 = rhs(h3, C + dt * k3)
        C = C + (dt / 6.0) * (k1 + 2 * k2 + 2 * k3 + k4)
        t += dt
    return float(np.real(np.trace(C @ h_at(tau)))) - E0, n


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--coarse-dt", type=float, default=0.2, help="a second engine pass, Magnus steps of this size (sized for the 1e-8 target)")
    parser.add_argument("--reference-max-tau", type=float, default=np.inf, help="run the RK4 reference only up to this tau")
    args = parser.parse_args(argv)
    rlm = st.models.resonant_level(t0=T0)
    rows = []
    t_engine = t_ref = t_coarse = 0.0
    for tau in TAUS:
        t = time.perf_counter()
        run = engine(rlm, float(tau))
        te = time.perf_counter() - t
        row = {
            "tau": float(tau),
            "L": run.chain.L,
            "W_engine": float(run.W_ext[-1]),
            "engine_seconds": te,
            "engine_steps": run.integrator.n_steps,
            "engine_matvec": run.integrator.n_matvec,
            "engine_max_step": run.integrator.max_step,
            "engine_energy_balance_residual": run.integrator.energy_balance_residual,
        }
        t = time.perf_counter()
        coarse = engine(rlm, float(tau), dt=args.coarse_dt, method="magnus")
        tc = time.perf_counter() - t
        row.update({"W_engine_coarse": float(coarse.W_ext[-1]), "engine_coarse_seconds": tc, "engine_coarse_steps": coarse.integrator.n_steps})
        if tau <= args.reference_max_tau:
            t = time.perf_counter()
            W_ref, n_ref = reference(rlm, float(tau), run.chain.L)
            tr = time.perf_counter() - t
            row.update({"W_reference": W_ref, "reference_seconds": tr, "reference_steps": n_ref, "difference": row["W_engine"] - W_ref,
                        "difference_coarse": row["W_engine_coarse"] - W_ref})
            t_engine += te
            t_coarse += tc
            t_ref += tr
        rows.append(row)
        diff = f"{row['difference']:+.2e}" if "difference" in row else "   (no ref)"
        ref_time = f"{row['reference_seconds']:8.2f}" if "reference_seconds" in row else "       -"
        print(
            f"tau={tau:8.3f} L={run.chain.L:4d} W={row['W_engine']:.12f} engine {te:6.2f} s ({row['engine_steps']} steps) "
            f"reference {ref_time} s  engine-ref {diff}",
            flush=True,
        )
    compared = [r for r in rows if "difference" in r]
    max_diff = max(abs(r["difference"]) for r in compared) if compared else float("nan")
    max_diff_coarse = max(abs(r["difference_coarse"]) for r in compared) if compared else float("nan")
    ratio = t_ref / t_engine if t_engine else float("nan")
    ratio_coarse = t_ref / t_coarse if t_coarse else float("nan")
    print(f"engine {t_engine:.2f} s, reference {t_ref:.2f} s on the {len(compared)} compared durations: ratio {ratio:.1f}x "
          f"(target >= 20x); max |W_engine - W_reference| = {max_diff:.2e} (target 1e-8)")
    print(f"engine, Magnus steps of dt={args.coarse_dt}: {t_coarse:.2f} s, ratio {ratio_coarse:.1f}x; max |W - W_reference| = {max_diff_coarse:.2e}")
    out = ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    payload = {
        "workload": "resonant level t0=1.25, eps_s 0 -> 1 at V=0.6, T=0.1, linear ramp, 20 durations in [0.1, 100]",
        "reference": f"dense RK4 on dC/dt = -i[h, C], dt = {RK4_DT}, same chain, W = Tr[C h] - Tr[C0 h0]",
        "engine_seconds": t_engine,
        "reference_seconds": t_ref,
        "speedup": ratio,
        "max_abs_difference": max_diff,
        "coarse_dt": args.coarse_dt,
        "engine_coarse_seconds": t_coarse,
        "speedup_coarse": ratio_coarse,
        "max_abs_difference_coarse": max_diff_coarse,
        "rows": rows,
        "version": st.__version__,
    }
    (out / "bench_dynamics.json").write_text(json.dumps(payload, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
