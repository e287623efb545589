"""Benchmark: the two-terminal steady state (issue 22), all ratios in one run.

(a) one steady state (I, J_E, J_Q of both leads) of the resonant level between two tight-binding
    chains (t0 = 1.25, T = 0.02), 200 random points (eps uniform in [-2, 2], V in [0.3, 1.5],
    symmetric bias in [-1, 1]), against a careful ``scipy.integrate.quad_vec`` of the same
    integrals, (1/2pi) int T(e) (f_L - f_R) (1, e) de, at epsabs = 1e-11 with break points at both
    chemical potentials and the resonance, timed in the same run; target <= 1/50. The largest
    difference is the accuracy check (target <= 1e-10).
(a') the same states in one ``st.negf.steady_states`` call (the per-state cost in a batch).
(b) a 200 x 200 (gate, bias) map with ``st.sweep`` and ``st.sweeps.negf_steady_state`` on
    2 processes (and serially); target <= 2 s.

Timings are best-of ``--repeat`` wall times (CPU time beside them). Prints a table and writes
benchmarks/results/bench_transport.json. Run: ``.venv/bin/python benchmarks/bench_transport.py``.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

import numpy as np
from scipy import integrate

import strongtherm as st
from strongtherm.papers.transport import two_lead_level

T, T0 = 0.02, 1.25
N_POINTS = 200
MAP = 200


def _points(seed: int = 2026) -> list[tuple[float, float, float]]:
    rng = np.random.default_rng(seed)
    return [(float(rng.uniform(-2, 2)), float(rng.uniform(0.3, 1.5)), float(rng.uniform(-1, 1))) for _ in range(N_POINTS)]


def _engine(model: st.negf.OpenSystem, points: list[tuple[float, float, float]]) -> list[np.ndarray]:
    out = []
    for eps, V, bias in points:
        ss = st.negf.steady_state(model, [st.Bath(T=T, mu=bias / 2), st.Bath(T=T, mu=-bias / 2)], state=False,
                                  eps=eps, V_L=V, V_R=V)
        out.append(np.concatenate([ss.particle_current, ss.energy_current, ss.heat_current]))
    return out


def _quad_vec(chain: st.negf.TightBindingChain, points: list[tuple[float, float, float]]) -> list[np.ndarray]:
    out = []
    for eps, V, bias in points:
        muL, muR = bias / 2, -bias / 2

        def integrand(e: float, eps: float = eps, V: float = V, muL: float = muL, muR: float = muR) -> np.ndarray:
            sigma = V * V * complex(chain.surface_greens_function(np.array([e + 0j]))[0, 0, 0])
            gamma = -2.0 * sigma.imag
            transmission = gamma * gamma / abs(e - eps - 2.0 * sigma) ** 2
            window = 0.5 * (math.tanh((e - muR) / (2 * T)) - math.tanh((e - muL) / (2 * T)))
            return np.array([transmission * window, e * transmission * window]) / (2 * math.pi)

        lo, hi = max(-2 * T0, min(muL, muR) - 40 * T), min(2 * T0, max(muL, muR) + 40 * T)
        breaks = sorted(x for x in (muL, muR, eps) if lo < x < hi)
        value, _ = integrate.quad_vec(integrand, lo, hi, epsabs=1e-11, epsrel=0.0, points=breaks, limit=10000)
        current, J_E = value
        out.append(np.array([current, -current, J_E, -J_E, J_E - muL * current, -J_E + muR * current]))
    return out


def _timed(fn, repeat: int) -> tuple[float, float, object]:
    best_wall = best_cpu = math.inf
    result = None
    for _ in range(repeat):
        w0, c0 = time.perf_counter(), time.process_time()
        result = fn()
        best_wall = min(best_wall, time.perf_counter() - w0)
        best_cpu = min(best_cpu, time.process_time() - c0)
    return best_wall, best_cpu, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="timing repeats (best of)")
    args = parser.parse_args()
    chain = st.negf.TightBindingChain(t0=T0)
    model = two_lead_level((chain, chain))
    points = _points()
    _engine(model, points[:5])  # imports and first-call set-up out of the timing
    wall_e, cpu_e, ours = _timed(lambda: _engine(model, points), args.repeat)
    wall_q, cpu_q, theirs = _timed(lambda: _quad_vec(chain, points), max(1, args.repeat - 1))
    diff = max(float(np.max(np.abs(a - b))) for a, b in zip(ours, theirs, strict=True))  # type: ignore[arg-type]
    ratio = wall_q / wall_e
    print(f"(a) one steady state: engine {1e3 * wall_e / N_POINTS:.3f} ms, quad_vec {1e3 * wall_q / N_POINTS:.3f} ms "
          f"-> ratio 1/{ratio:.1f} (CPU 1/{cpu_q / cpu_e:.1f}; target 1/50); max |engine - quad_vec| {diff:.2e}")

    # the same states in one call (st.negf.steady_states: one vectorized sweep): the cost a state
    # has in a map or any batch, where the per-call Python overhead of (a) is shared
    def batched() -> list[np.ndarray]:
        states = st.negf.steady_states(model, [[st.Bath(T=T, mu=b / 2), st.Bath(T=T, mu=-b / 2)] for _, _, b in points],
                                       [{"eps": e, "V_L": v, "V_R": v} for e, v, _ in points])  # fmt: skip
        return [np.concatenate([s.particle_current, s.energy_current, s.heat_current]) for s in states]

    wall_b, _, many = _timed(batched, args.repeat)
    diff_b = max(float(np.max(np.abs(a - b))) for a, b in zip(many, theirs, strict=True))  # type: ignore[arg-type]
    print(f"(a') the same {N_POINTS} states in one steady_states call: {1e3 * wall_b / N_POINTS:.3f} ms a state "
          f"-> ratio 1/{wall_q / wall_b:.1f} of quad_vec; max |batch - quad_vec| {diff_b:.2e}")

    compute = st.sweeps.negf_steady_state(model, [st.Bath(T=T), st.Bath(T=T)], V_L=0.8, V_R=0.8)
    grid = {"eps": np.linspace(-2.0, 2.0, MAP), "bias": np.linspace(-1.0, 1.0, MAP)}
    maps = {}
    for processes in (1, 2):
        t0 = time.perf_counter()
        ds = st.sweep(compute, grid, processes=processes, progress=False)
        maps[processes] = (time.perf_counter() - t0, ds)
    same = bool(np.array_equal(maps[1][1]["I_0"].values, maps[2][1]["I_0"].values))
    print(f"(b) {MAP} x {MAP} (gate, bias) map: serial {maps[1][0]:.2f} s, 2 processes {maps[2][0]:.2f} s "
          f"(target 2 s); identical arrays: {same}")
    results = {
        "workload_a": f"{N_POINTS} random steady states of the resonant level between two chains, T = {T}",
        "engine_ms": 1e3 * wall_e / N_POINTS, "quad_vec_ms": 1e3 * wall_q / N_POINTS, "ratio": ratio,
        "cpu_ratio": cpu_q / cpu_e, "max_abs_difference": diff,
        "batch_ms": 1e3 * wall_b / N_POINTS, "batch_ratio": wall_q / wall_b, "batch_max_abs_difference": diff_b,
        "map_serial_s": maps[1][0], "map_2_processes_s": maps[2][0], "map_identical": same,
    }
    target = Path(__file__).resolve().parent / "results" / "bench_transport.json"
    target.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
