"""Benchmark: mean-force thermodynamics beyond dense diagonalization (issue 24), in one run.

(a) a qubit coupled to an open 20-spin Heisenberg chain (d = 2^21) at beta = 1: the reduced state
    by quantum typicality (exact.typicality.typical_equilibrium), samples added until the
    statistical error of every entry of rho_S is below 1e-3; target: within 2 minutes on 2 cores.
(b) the same road on an XX chain of 19 spins plus the qubit (d = 2^20), where Jordan-Wigner makes
    it a free-fermion chain: the boundary spin's rho_S and F*_S against the Gaussian engine's exact
    numbers, as z-scores of the reported error bars.
(c) the dense engine at d = 2^11 against typicality at the same d, for the time ratio at the
    accuracy the typicality bars report.
(d) a quench eps: 1 -> 2 of the qubit on an 11-spin chain (d = 2^12) at beta = 16 (beta x bandwidth
    ~ 150): Delta F*_S and W_diff = Tr[rho_S^A (H_S^B - H_S^A)] by the deflated road with U(1)
    sectors against the dense engine's quench; target <= 1/10 of the dense time at equal accuracy
    (there the deflated road's bars are ~1e-14; at beta = 1 plain typicality's are ~3e-3, and
    equal accuracy is out of reach of any sampling).

Prints a table and writes benchmarks/results/bench_typicality.json.
Run: ``.venv/bin/python benchmarks/bench_typicality.py``.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

import strongtherm as st
from strongtherm.exact.typicality import typical_equilibrium
from strongtherm.models.spin_chains import (
    qubit_chain_total_sz,
    qubit_on_spin_chain,
    xx_chain_as_fermions,
)

BETA = 1.0


def main() -> None:
    results: dict[str, object] = {}
    # (a) Heisenberg, d = 2^21
    t0 = time.perf_counter()
    H_S, H_R, V = qubit_on_spin_chain(20, eps=1.0, J=1.0, Jz=1.0, J_c=0.5, Jz_c=0.5)
    build = time.perf_counter() - t0
    samples, state = 2, None
    while True:
        state = typical_equilibrium(H_S, H_R, V, beta=BETA, samples=max(samples, 4), rng=2026)
        error = float(np.max(state.errors["rho_S"]))
        if error < 1e-3 or samples >= 16:
            break
        samples *= 2
    elapsed = time.perf_counter() - t0
    print(f"(a) qubit + 20-spin Heisenberg chain, d = 2^21, beta = {BETA}: {state.samples} samples, "
          f"max error of rho_S {error:.2e} (target 1e-3), {elapsed:.1f} s including {build:.1f} s to build H (target 120 s)")
    print(f"    rho_S diagonal {np.real(np.diag(state.rho_S))}, F*_S = {state.F_S:.6f} +- {state.errors['F_S']:.1e}")
    results["heisenberg_d"] = 2**21
    results["heisenberg_seconds"] = elapsed
    results["heisenberg_samples"] = state.samples
    results["heisenberg_max_rho_error"] = error
    # (b) XX chain, d = 2^20, against the Gaussian engine
    eps, J, J_c = 0.7, 1.0, 0.4
    t0 = time.perf_counter()
    H_S, H_R, V = qubit_on_spin_chain(19, eps=eps, J=J, Jz=0.0, J_c=J_c, Jz_c=0.0)
    typical = typical_equilibrium(H_S, H_R, V, beta=BETA, samples=4, rng=7)
    xx_time = time.perf_counter() - t0
    gaussian = st.gaussian.mean_force_from_hamiltonian(xx_chain_as_fermions(19, eps=eps, J=J, J_c=J_c), 1,
                                                       st.Bath(T=1.0 / BETA, mu=0.0))
    z_F = (typical.F_S - (gaussian.F_S + eps / 2)) / typical.errors["F_S"]
    z_n = (float(np.real(typical.rho_S[1, 1])) - gaussian.reduced_state.N) / float(typical.errors["rho_S"][1, 1])
    print(f"(b) XX chain, d = 2^20: F*_S {typical.F_S:.6f} +- {typical.errors['F_S']:.1e} vs Gaussian "
          f"{gaussian.F_S + eps / 2:.6f} (z = {z_F:+.2f}); occupation z = {z_n:+.2f}; {xx_time:.1f} s")
    results.update(xx_d=2**20, xx_seconds=xx_time, xx_z_F=z_F, xx_z_occupation=z_n)
    # (c) dense against typicality at d = 2^11
    H_S, H_R, V = qubit_on_spin_chain(10, eps=1.0, J=1.0, Jz=1.0, J_c=0.5, Jz_c=0.5)
    t0 = time.perf_counter()
    dense = st.exact.equilibrium(st.exact.Composite(H_S=H_S, H_R=H_R.toarray(), V=V.toarray()), beta=BETA)
    dense_time = time.perf_counter() - t0
    t0 = time.perf_counter()
    small = typical_equilibrium(H_S, H_R, V, beta=BETA, samples=8, rng=3)
    typical_time = time.perf_counter() - t0
    print(f"(c) d = 2^11: dense {dense_time:.2f} s, typicality {typical_time:.2f} s (8 samples, F*_S error "
          f"{small.errors['F_S']:.1e}, |difference| {abs(small.F_S - dense.F_S):.1e}); ratio 1/{dense_time / typical_time:.1f}")
    results.update(dense_seconds_2_11=dense_time, typical_seconds_2_11=typical_time, typical_F_error_2_11=small.errors["F_S"],
                   difference_2_11=abs(small.F_S - dense.F_S))  # fmt: skip
    # (d) a quench at d = 2^12, low temperature: deflated road with sectors against the dense engine
    beta, n = 16.0, 11
    A = qubit_on_spin_chain(n, eps=1.0, J=1.0, Jz=1.0, J_c=0.5, Jz_c=0.5)
    B = qubit_on_spin_chain(n, eps=2.0, J=1.0, Jz=1.0, J_c=0.5, Jz_c=0.5)
    t0 = time.perf_counter()
    composites = [st.exact.Composite(H_S=X[0], H_R=X[1].toarray(), V=X[2].toarray()) for X in (A, B)]
    dense_quench = st.exact.quench(*composites, beta=beta).to_dict()
    dense_time = time.perf_counter() - t0
    t0 = time.perf_counter()
    sectors = qubit_chain_total_sz(n)
    ends = [typical_equilibrium(*X, beta=beta, samples=32, rng=1, sectors=sectors, method="deflated") for X in (A, B)]
    delta_F = ends[1].F_S - ends[0].F_S
    work = float(np.real(np.trace(ends[0].rho_S @ (B[0] - A[0]))))
    typical_time = time.perf_counter() - t0
    errors = (abs(delta_F - dense_quench["delta_F_S"]), abs(work - dense_quench["work_diff"]))
    bars = max(e.errors["F_S"] for e in ends)
    print(f"(d) quench at d = 2^12, beta = {beta}: dense {dense_time:.1f} s, deflated + sectors {typical_time:.2f} s "
          f"(ratio 1/{dense_time / typical_time:.0f}, target 1/10); |Delta F*_S - dense| {errors[0]:.1e}, "
          f"|W_diff - dense| {errors[1]:.1e}, bars {bars:.1e}")
    results.update(quench_dense_seconds_2_12=dense_time, quench_deflated_seconds_2_12=typical_time,
                   quench_delta_F_difference=errors[0], quench_work_difference=errors[1], quench_bar=bars)  # fmt: skip
    target = Path(__file__).resolve().parent / "results" / "bench_typicality.json"
    target.write_text(json.dumps(results, indent=1, default=float))


if __name__ == "__main__":
    main()
