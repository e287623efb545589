"""Benchmark: the pole-sum road of the Green's-function engine (issue 11), all ratios in one run.

(a) one state at a time, all state functions + alpha-entropy, 200 random resonant-level points
    (eps_s uniform in [-2.6, 2.6], V uniform in [0.1, 2], T = 0.02, t0 = 1.25), against a careful
    ``scipy.integrate.quad_vec`` of the same 13 quantities at epsabs = 1e-11 (theta = arccos
    substitution against the 1/sqrt band edges, break points at mu and the resonance, closed-form
    bound states added by hand), timed in the same run; target <= 1/50. The largest difference
    between the two over all points and quantities is the accuracy check (target <= 1e-10).
(b) the same 200 points in one batch against 200 single calls; target <= 1/5. The batch (~2 ms)
    runs three times per round and the single calls (~10 ms) once, so that each road is timed
    over a similar span; the batch's first run after the single calls (caches filled by them:
    measured 10-40 % slower) is reported apart as the cold figure.
(c) time per state at T = 0.1, 0.02, 0.005, 0.001 (50 random points each, warm caches) and the
    largest difference to the contour road on 5 of them; target: growth <= ~T^(-1/2).
(d) the Fig. 3 workload of Kumar et al. (benchmarks/bench_negf.py: two corner paths, 210 path
    points each, works and alpha-works) with the pole road against the contour road (today's
    engine, ``method="contour"``); target <= 1/10.
(e) a 100 x 100 (eps_s, V) map with ``st.sweep``, serial and with 2 processes; target <= 2 s.

Timings are best-of ``--repeat`` wall times, with the expansion caches warm (the cold first call
is reported on its own); the CPU time of this process is reported beside them, since on a shared
machine it is the steadier measure. (a) and (b) interleave their repeats (single calls, batch,
quad_vec, again), so that a slow phase of the machine (seconds long here) hits all three alike. Prints a table and writes benchmarks/results/bench_poles.json.

Run: ``.venv/bin/python benchmarks/bench_poles.py [--repeat N]``.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import numpy as np
from scipy import integrate

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from references.quad_reference import _theta_cuts, bound_states  # noqa: E402

import strongtherm as st  # noqa: E402
from strongtherm.negf.partition import equilibria  # noqa: E402

T, MU, T0 = 0.02, 0.0, 1.25
N_POINTS = 200
QUANTITIES = (
    "N_S", "U_S", "S_S", "Omega_S", "dN_R", "dU_R", "dS_R", "dOmega_R", "H_SR",
    "log_f", "log_1mf", "dC_dbeta", "entropy_coefficient",
)  # fmt: skip
CORNERS = {
    "A": [(0.0, 0.6), (1.0, 0.6), (1.0, 0.4)],
    "B": [(0.0, 0.6), (0.0, 0.4), (1.0, 0.4)],
}
ALPHAS = (0.0, 0.5, 1.0)


def random_points(n: int, seed: int = 2024) -> list[dict[str, float]]:
    rng = np.random.default_rng(seed)
    return [{"eps_s": float(e), "V": float(v)} for e, v in zip(rng.uniform(-2.6, 2.6, n), rng.uniform(0.1, 2.0, n), strict=True)]


def engine_values(eq: st.negf.Equilibrium) -> np.ndarray:
    s, r = eq.system, eq.reservoir
    return np.array([
        s.N, s.U, s.S, s.Omega, r.N, r.U, r.S, r.Omega, eq.expectation_H_SR,
        eq.log_f_matrix[0, 0].real, eq.log_one_minus_f_matrix[0, 0].real,
        eq.correlation_matrix_beta_derivative[0, 0].real, eq.entropy_coefficient,
    ])  # fmt: skip


def quad_vec_state(eps_s: float, V: float, bath: st.Bath, t0: float = T0) -> np.ndarray:
    """The 13 quantities by scipy.integrate.quad_vec on e = -2 t0 cos(theta), bound states by hand."""
    V2, beta, mu = V * V, bath.beta, bath.mu

    def integrand(theta: float) -> np.ndarray:
        eit = complex(math.cos(theta), math.sin(theta))
        e = -2.0 * t0 * math.cos(theta)
        Sigma = -V2 * eit / t0
        G = 1.0 / (e - eps_s - Sigma)
        g_S = -G.imag / math.pi * 2.0 * t0 * math.sin(theta)  # g_S de / dtheta
        dg_R = (G * (-1j) * V2 * eit / t0).imag / math.pi  # delta g_R de / dtheta
        h_SR = -2.0 * (Sigma * G).imag / math.pi * 2.0 * t0 * math.sin(theta)
        k = kernels(e, beta, mu)
        return np.array([g_S * k[0], g_S * k[1], g_S * k[2], g_S * k[3], dg_R * k[0], dg_R * k[1], dg_R * k[2],
                         dg_R * k[3], h_SR * k[0], g_S * k[4], g_S * k[5], g_S * k[6]])  # fmt: skip

    cuts = _theta_cuts(eps_s, V, bath, t0, 0.0)
    value, _ = integrate.quad_vec(integrand, 0.0, math.pi, epsabs=1e-11, epsrel=0.0, points=cuts[1:-1], limit=2000)
    for b in bound_states(eps_s, V, t0):
        k = kernels(b.energy, beta, mu)
        Sigma = V2 * (2.0 / (b.energy + math.copysign(math.sqrt(b.energy**2 - 4 * t0 * t0), b.energy)))
        value += np.array([b.system_weight * k[0], b.system_weight * k[1], b.system_weight * k[2], b.system_weight * k[3],
                           b.reservoir_weight * k[0], b.reservoir_weight * k[1], b.reservoir_weight * k[2],
                           b.reservoir_weight * k[3], 2.0 * b.system_weight * k[0] * Sigma,
                           b.system_weight * k[4], b.system_weight * k[5], b.system_weight * k[6]])  # fmt: skip
    N_S = value[0]
    coefficient = -N_S * value[9] - (1.0 - N_S) * value[10]  # Eq. (24), one level: A_SS = g_S
    return np.append(value, coefficient)


def kernels(e: float, beta: float, mu: float) -> tuple[float, ...]:
    x = beta * (e - mu)
    log1p_exp_x = max(x, 0.0) + math.log1p(math.exp(-abs(x)))  # ln(1 + e^x)
    log1p_exp_mx = log1p_exp_x - x  # ln(1 + e^-x)
    f = math.exp(-log1p_exp_x)
    s = f * log1p_exp_x + (1.0 - f) * log1p_exp_mx
    return (f, e * f, s, -log1p_exp_mx / beta, -log1p_exp_x, -log1p_exp_mx, -(e - mu) * f * (1.0 - f))


CPU_SECONDS: dict[int, float] = {}  # id of the last result -> its best CPU time (this process)


def best_of(fn, repeat: int) -> tuple[float, object]:
    """Best wall time of ``repeat`` runs; the best CPU time of this process goes to CPU_SECONDS
    (on a shared machine the CPU time is the steadier of the two)."""
    best, best_cpu, out = np.inf, np.inf, None
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        out = fn()
        best = min(best, time.perf_counter() - start)
        best_cpu = min(best_cpu, time.process_time() - start_cpu)
    CPU_SECONDS[id(out)] = best_cpu
    return best, out


def single_calls(model, bath, points):
    out = []
    for p in points:
        eq = st.negf.equilibrium(model, bath, **p)
        eq.alpha_entropy(0.3)
        out.append(eq)
    return out


def batch_call(model, bath, points):
    eqs = equilibria(model, bath, points)
    for eq in eqs:
        eq.alpha_entropy(0.3)
    return eqs


def workload_fig3(method: str) -> dict[str, dict[str, float]]:
    rlm = st.models.resonant_level(t0=T0)
    out = {}
    for name, corners in CORNERS.items():
        path = st.Path.corners([{"eps_s": e, "V": v} for e, v in corners])
        proc = st.negf.quasistatic(rlm, st.Bath(T=T, mu=MU), path, panels_per_segment=7, method=method)
        out[name] = {"W_ext": proc.W_ext, "W_S": proc.W_S, "points": proc.n_path_nodes,
                     **{f"alpha_W_S_{a:g}": proc.alpha_work(a) for a in ALPHAS},
                     "sum_rule_residual": proc.sum_rule_residual}  # fmt: skip
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="timing repeats (best of)")
    args = parser.parse_args(argv)
    rlm = st.models.resonant_level(t0=T0)
    bath = st.Bath(T=T, mu=MU)
    points = random_points(N_POINTS)
    results: dict[str, object] = {"version": st.__version__, "points": N_POINTS, "T": T, "t0": T0}

    # cold start: the first state ever (Ozaki eigenproblem and error curves built and cached)
    start = time.perf_counter()
    st.negf.equilibrium(rlm, st.Bath(T=0.0173), eps_s=0.1, V=0.9)
    results["cold_first_call_seconds"] = time.perf_counter() - start
    single_calls(rlm, bath, points)  # warm every cache these points touch

    # (a) single calls against quad_vec and (b) one batch, interleaved repeat by repeat (this
    # machine has slow phases lasting seconds: each ratio compares runs of the same phases)
    t_single = t_batch = t_batch_cold = t_quad = cpu_single = cpu_batch = cpu_quad = np.inf
    for _ in range(args.repeat):
        dt, eqs = best_of(lambda: single_calls(rlm, bath, points), 1)
        t_single, cpu_single = min(t_single, dt), min(cpu_single, CPU_SECONDS[id(eqs)])
        # the batch (2-3 ms) three times in a row, the single calls (~10 ms) once: the same
        # timed span per road, and the batch's first run after the single calls, whose caches
        # those calls filled, is kept apart as the cold figure
        for run in range(3):
            dt, batch = best_of(lambda: batch_call(rlm, bath, points), 1)
            t_batch, cpu_batch = min(t_batch, dt), min(cpu_batch, CPU_SECONDS[id(batch)])
            if run == 0:
                t_batch_cold = min(t_batch_cold, dt)
        dt, refs = best_of(lambda: [quad_vec_state(p["eps_s"], p["V"], bath) for p in points], 1)
        t_quad, cpu_quad = min(t_quad, dt), min(cpu_quad, CPU_SECONDS[id(refs)])
    diff = np.array([np.abs(engine_values(eq) - ref) for eq, ref in zip(eqs, refs, strict=True)])
    worst = int(np.argmax(diff.max(axis=0)))
    results["a_single_vs_quad_vec"] = {
        "engine_ms_per_state": 1e3 * t_single / N_POINTS,
        "quad_vec_ms_per_state": 1e3 * t_quad / N_POINTS,
        "ratio": t_single / t_quad,
        "cpu_ratio": cpu_single / cpu_quad,
        "engine_cpu_ms_per_state": 1e3 * cpu_single / N_POINTS,
        "quad_vec_cpu_ms_per_state": 1e3 * cpu_quad / N_POINTS,
        "target_ratio": 1 / 50,
        "max_difference": float(diff.max()),
        "worst_quantity": QUANTITIES[worst],
        "n_evaluations_per_state": float(np.mean([eq.n_evaluations for eq in eqs])),
    }
    print(f"(a) single state: engine {1e3 * t_single / N_POINTS:.3f} ms, quad_vec {1e3 * t_quad / N_POINTS:.2f} ms "
          f"-> ratio 1/{t_quad / t_single:.0f} (CPU time 1/{cpu_quad / cpu_single:.0f}; target 1/50); "
          f"max |engine - quad_vec| {diff.max():.1e} "
          f"({QUANTITIES[worst]})")  # fmt: skip

    # (b) one batch against single calls (timed above)
    batch_diff = max(float(np.max(np.abs(engine_values(a) - engine_values(b)))) for a, b in zip(batch, eqs, strict=True))
    results["b_batch_vs_single"] = {
        "batch_ms_per_state": 1e3 * t_batch / N_POINTS,
        "single_ms_per_state": 1e3 * t_single / N_POINTS,
        "ratio": t_batch / t_single,
        "cold_batch_ms_per_state": 1e3 * t_batch_cold / N_POINTS,
        "cold_ratio": t_batch_cold / t_single,
        "cpu_ratio": cpu_batch / cpu_single,
        "target_ratio": 1 / 5,
        "max_difference": batch_diff,
        "batch_vs_quad_vec_ratio": t_batch / t_quad,
        "batch_vs_quad_vec_cpu_ratio": cpu_batch / cpu_quad,
    }
    print(f"(b) batch of {N_POINTS}: {1e3 * t_batch / N_POINTS:.3f} ms per state -> ratio 1/{t_single / t_batch:.1f} "
          f"of single calls (CPU 1/{cpu_single / cpu_batch:.1f}; target 1/5), 1/{t_quad / t_batch:.0f} of "
          f"quad_vec (CPU 1/{cpu_quad / cpu_batch:.0f}); max |batch - single| {batch_diff:.1e}; cold (first batch after "
          f"the single calls) {1e3 * t_batch_cold / N_POINTS:.3f} ms per state, 1/{t_single / t_batch_cold:.1f}")

    # (c) temperature scaling
    scaling = {}
    few = random_points(50, seed=7)
    for temperature in (0.1, 0.02, 0.005, 0.001):
        cold = st.Bath(T=temperature, mu=MU)
        single_calls(rlm, cold, few)
        t_T, eqs_T = best_of(lambda cold=cold: single_calls(rlm, cold, few), args.repeat)
        t_B, _ = best_of(lambda cold=cold: batch_call(rlm, cold, few), args.repeat)
        worst_T, contour_failures = 0.0, 0
        for p, eq in zip(few[:5], eqs_T[:5], strict=True):
            try:  # the contour road can exhaust memory at low T (the reliability issue)
                ref = st.negf.equilibrium(rlm, cold, method="contour", **p)
            except MemoryError:
                contour_failures += 1
                continue
            worst_T = max(worst_T, float(np.max(np.abs(engine_values(eq) - engine_values(ref)))))
        scaling[str(temperature)] = {
            "single_ms_per_state": 1e3 * t_T / len(few), "batch_ms_per_state": 1e3 * t_B / len(few),
            "n_evaluations_per_state": float(np.mean([eq.n_evaluations for eq in eqs_T])),
            "max_difference_to_contour": worst_T, "contour_out_of_memory": contour_failures,
        }  # fmt: skip
        print(f"(c) T={temperature:<6g}: single {1e3 * t_T / len(few):.3f} ms, batch {1e3 * t_B / len(few):.3f} ms per state, "
              f"{scaling[str(temperature)]['n_evaluations_per_state']:.0f} evaluations of G_S; "
              f"max |poles - contour| {worst_T:.1e} ({5 - contour_failures} of 5 compared)")  # fmt: skip
    temps = np.array([0.1, 0.02, 0.005, 0.001])
    times = np.array([scaling[str(t)]["single_ms_per_state"] for t in temps])
    slope = float(np.polyfit(np.log(1 / temps), np.log(times), 1)[0])
    results["c_temperature_scaling"] = {"per_T": scaling, "fitted_exponent_of_beta": slope, "target_exponent": 0.5}
    print(f"(c) time per state ~ beta^{slope:.2f} (target <= ~0.5)")

    # (d) Fig. 3 workload: pole road against today's engine (contour)
    t_poles, ours = best_of(lambda: workload_fig3("poles"), args.repeat)
    t_contour, theirs = best_of(lambda: workload_fig3("contour"), 1)
    work_diff = max(abs(ours[k][q] - theirs[k][q]) for k in ours for q in ours[k] if q not in ("points", "sum_rule_residual"))
    cpu_ratio_d = CPU_SECONDS[id(ours)] / CPU_SECONDS[id(theirs)]
    results["d_fig3_workload"] = {
        "poles_seconds": t_poles, "contour_seconds": t_contour, "ratio": t_poles / t_contour, "target_ratio": 1 / 10,
        "cpu_ratio": cpu_ratio_d,
        "max_work_difference": work_diff, "poles": ours, "contour": theirs,
    }  # fmt: skip
    print(f"(d) Fig. 3 workload (2 x 210 path points): poles {t_poles:.3f} s, contour {t_contour:.3f} s -> ratio "
          f"1/{t_contour / t_poles:.1f} (CPU 1/{1 / cpu_ratio_d:.1f}; target 1/10); max work difference {work_diff:.1e}")

    # (e) a 100 x 100 (eps_s, V) map with st.sweep: serial vectorized and 2 processes (start-up included)
    compute = st.sweeps.negf_equilibrium(rlm, bath)
    grid = {"eps_s": np.linspace(-3.0, 3.0, 100), "V": np.linspace(0.2, 1.5, 100)}
    t_serial, ds_serial = best_of(lambda: st.sweep(compute, grid, processes=1, vectorize=True, progress=False), 1)
    t_two, ds_two = best_of(lambda: st.sweep(compute, grid, processes=2, vectorize=True, progress=False), 1)
    same = bool(np.array_equal(ds_serial["system_Omega"].values, ds_two["system_Omega"].values))
    results["e_sweep_100x100"] = {"serial_seconds": t_serial, "two_processes_seconds": t_two, "target_seconds": 2.0,
                                  "backends_identical": same}  # fmt: skip
    print(f"(e) 100 x 100 map with st.sweep: serial {t_serial:.2f} s, 2 processes {t_two:.2f} s (target 2 s); "
          f"identical arrays: {same}")
    out = ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "bench_poles.json").write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
