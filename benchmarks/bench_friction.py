"""Benchmark: friction tensor along the Fig. 3 change of Kumar, Webb & Stafford (2024), engine vs plain quad.

Workload: zeta_ij (i, j in {eps_s, V}) of the resonant level (t0 = 1.25) along the straight line
(eps_s, V) = (0, 0.6) -> (1, 0.4) at T = 0.1 and T = 0.02, at every path node the engine uses, and
the work coefficient tau W_diss = int lambda'^T zeta lambda' ds. Reference, in the same process:
``scipy.integrate.quad`` (epsabs 1e-12) at every one of those nodes and for each of the three
independent entries, with a plain scalar integrand: the 2 x 2 block of G^R on (level, first chain
site), written out from the chain's closed-form surface Green's function, no engine code.

Run: ``.venv/bin/python benchmarks/bench_friction.py [--repeat N]``; writes
benchmarks/results/bench_friction.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
from scipy.integrate import quad
from scipy.special import expit

import strongtherm as st
from strongtherm.dynamics import friction

ROOT = Path(__file__).resolve().parents[1]
T0 = 1.25
START, END = {"eps_s": 0.0, "V": 0.6}, {"eps_s": 1.0, "V": 0.4}


def _surface_g(e: float) -> complex:
    # semi-infinite chain, retarded: (e - i sqrt(4 t0^2 - e^2)) / 2 t0^2 inside the band
    w = complex(e, 1e-300)
    root = np.sqrt(w - 2 * T0) * np.sqrt(w + 2 * T0)
    return 2.0 / (w + root)


def _entries(e: float, eps: float, V: float) -> np.ndarray:
    g = _surface_g(e)
    G_S = 1.0 / (e - eps - V * V * g)
    G = np.array([[G_S, G_S * V * g], [g * V * G_S, g + g * V * G_S * V * g]])
    A = (0.5j / np.pi) * (G - G.conj().T)
    X_eps = np.array([[1.0, 0.0], [0.0, 0.0]])
    X_V = np.array([[0.0, 1.0], [1.0, 0.0]])
    AX = (A @ X_eps, A @ X_V)
    return np.array([np.real(np.trace(AX[0] @ AX[0])), np.real(np.trace(AX[0] @ AX[1])), np.real(np.trace(AX[1] @ AX[1]))])


def reference(T: float, s_nodes: np.ndarray) -> np.ndarray:
    """zeta at the nodes by scipy.quad, (N, 3): entries (eps, eps), (eps, V), (V, V)."""
    out = np.zeros((len(s_nodes), 3))
    lo, hi = max(-2 * T0, -40 * T), min(2 * T0, 40 * T)
    for n, s in enumerate(s_nodes):
        eps = (1 - s) * START["eps_s"] + s * END["eps_s"]
        V = (1 - s) * START["V"] + s * END["V"]
        for k in range(3):
            def integrand(e: float, k: int = k, eps: float = eps, V: float = V) -> float:
                return expit(e / T) * expit(-e / T) / T * _entries(e, eps, V)[k]

            out[n, k] = np.pi * quad(integrand, lo, hi, points=[0.0, eps], limit=500, epsabs=1e-12, epsrel=1e-12)[0]
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="timing repeats of the engine (best of)")
    args = parser.parse_args(argv)
    rlm = st.models.resonant_level(T0)
    path = st.Path.line(START, END)
    rows = {}
    for T in (0.1, 0.02):
        best = np.inf
        for _ in range(args.repeat):
            t = time.perf_counter()
            fr = friction(rlm, st.Bath(T=T), path)
            best = min(best, time.perf_counter() - t)
        t = time.perf_counter()
        ref = reference(T, fr.s)
        t_quad = time.perf_counter() - t
        ours = fr.zeta[:, [0, 0, 1], [0, 1, 1]]
        rows[f"T={T:g}"] = {
            "nodes": len(fr.s),
            "engine_seconds": best,
            "quad_seconds": t_quad,
            "speedup": t_quad / best,
            "max_abs_difference": float(np.max(np.abs(ours - ref))),
            "max_zeta": float(np.max(np.abs(ref))),
            "work_coefficient": fr.predicted_dissipation(1.0),
            "thermodynamic_length": fr.thermodynamic_length,
        }
        r = rows[f"T={T:g}"]
        print(f"T={T:g}: {r['nodes']} path nodes; engine {best:.3f} s (bound-state search included), "
              f"quad {t_quad:.2f} s, speed-up {r['speedup']:.0f}x; max |engine - quad| {r['max_abs_difference']:.1e} "
              f"(max zeta {r['max_zeta']:.3g}); tau W_diss = {r['work_coefficient']:.10g}")  # fmt: skip
    out = ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "bench_friction.json").write_text(json.dumps({"rows": rows, "version": st.__version__}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
