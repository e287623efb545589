"""Benchmark: the Fig. 3 workload of Kumar, Webb & Stafford (2024), engine vs plain scipy.quad.

Workload: both corner paths of Fig. 3 ((eps_s, V) = (0, 0.6) -> (1, 0.4), T = 0.02, t0 = 1.25),
>= 200 path points each, giving W_ext, alpha-W_S (alpha = 0, 1/2, 1), Delta Omega_S,
Delta(dOmega_R) and W_S. Reference: ``tests/references/quad_reference.py`` (scipy.integrate.quad
at every Gauss-Legendre node, epsabs ~1e-13), run in the same process. Accuracy of each: the
work-sum-rule residual W_ext - Delta Omega_S - Delta(dOmega_R) (an identity, Eq. 15) and the
difference between the two roads. Prints a table and writes benchmarks/results/bench_negf.json.

Run: ``.venv/bin/python benchmarks/bench_negf.py [--repeat N]``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from references.quad_reference import quad_path_works  # noqa: E402

import strongtherm as st  # noqa: E402

T, MU, T0 = 0.02, 0.0, 1.25
ALPHAS = (0.0, 0.5, 1.0)
CORNERS = {
    "A": [(0.0, 0.6), (1.0, 0.6), (1.0, 0.4)],
    "B": [(0.0, 0.6), (0.0, 0.4), (1.0, 0.4)],
}
PANELS_PER_SEGMENT = 7  # 2 segments x 7 panels x 15 GK nodes = 210 path points
QUAD_NODES_PER_SEGMENT = 105  # 2 x 105 = 210 path points


def engine(corners):
    rlm = st.models.resonant_level(t0=T0)
    path = st.Path.corners([{"eps_s": e, "V": v} for e, v in corners])
    proc = st.negf.quasistatic(rlm, st.Bath(T=T, mu=MU), path, panels_per_segment=PANELS_PER_SEGMENT)
    return {
        "points": proc.n_path_nodes,
        "W_ext": proc.W_ext,
        "alpha_W_S": [proc.alpha_work(a) for a in ALPHAS],
        "W_S": proc.W_S,
        "sum_rule_residual": proc.sum_rule_residual,
    }


def reference(corners):
    works = quad_path_works(corners, T, MU, T0, alphas=ALPHAS, n_nodes=QUAD_NODES_PER_SEGMENT)
    return {
        "points": works.n_quad_calls,
        "W_ext": works.W_ext,
        "alpha_W_S": list(works.alpha_W_S),
        "W_S": works.W_S,
        "sum_rule_residual": works.W_ext - works.dOmega_S - works.dOmega_R,
    }


def timed(fn, arg, repeat):
    best, out = np.inf, None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn(arg)
        best = min(best, time.perf_counter() - t)
    return best, out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="timing repeats of the engine (best of)")
    args = parser.parse_args(argv)
    rows = {}
    for name, corners in CORNERS.items():
        t_engine, ours = timed(engine, corners, args.repeat)
        t_quad, ref = timed(reference, corners, 1)
        rows[name] = {
            "engine_seconds": t_engine,
            "quad_seconds": t_quad,
            "speedup": t_quad / t_engine,
            "engine": ours,
            "quad": ref,
            "max_difference": max(abs(ours["W_ext"] - ref["W_ext"]), *(abs(a - b) for a, b in zip(ours["alpha_W_S"], ref["alpha_W_S"], strict=True))),
        }
        print(
            f"path {name}: engine {t_engine:.3f} s ({ours['points']} points), quad {t_quad:.2f} s ({ref['points']} points), "
            f"speed-up {t_quad / t_engine:.0f}x; sum-rule residual engine {ours['sum_rule_residual']:.1e}, "
            f"quad {ref['sum_rule_residual']:.1e}; max |engine - quad| {rows[name]['max_difference']:.1e}"
        )
    total = sum(r["quad_seconds"] for r in rows.values()) / sum(r["engine_seconds"] for r in rows.values())
    print(f"overall speed-up: {total:.0f}x (target >= 50x at equal or better accuracy)")
    out = ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "bench_negf.json").write_text(json.dumps({"paths": rows, "overall_speedup": total, "version": st.__version__}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
