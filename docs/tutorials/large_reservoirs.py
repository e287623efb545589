"""Tutorial: reservoirs beyond dense diagonalization -- typicality, symmetry sectors, low temperature,
and every internal energy along a finite-speed drive.

A qubit on the end of an XXZ spin chain in a field (:func:`strongtherm.models.spin_chains.qubit_on_spin_chain`,
sparse matrices). Total S^z of the universe is conserved, so the typicality road
(:func:`strongtherm.exact.typicality.typical_equilibrium`) can work sector by sector; at low
temperature its deflated road traces the lowest states exactly. Every number is checked against
the dense engine at a size it still holds (d = 2^10).

Run it as ``python docs/tutorials/large_reservoirs.py [FIGURE_FOLDER]``; the test suite runs it too.
Conventions: hbar = k_B = 1, energies in units of the chain exchange J, the system factor first.
"""

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display needed
import matplotlib.pyplot as plt
import numpy as np

import strongtherm as st
from strongtherm.exact.driving import drive_composite
from strongtherm.exact.typicality import typical_equilibrium
from strongtherm.models.spin_chains import qubit_on_spin_chain, total_sz

out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("tutorial_figures")
out.mkdir(parents=True, exist_ok=True)

# --- 1. Typicality with U(1) sectors -------------------------------------------------------------
n = 9  # reservoir spins: d = 2^10, small enough for the dense engine to check every number
H_S, H_R, V = qubit_on_spin_chain(n, eps=1.0, h=0.3)
Q = total_sz(n + 1)  # the conserved total S^z on every product state (system first)
dense = st.exact.equilibrium(st.exact.Composite(H_S=H_S, H_R=H_R.toarray(), V=V.toarray()), beta=1.0)
typical = typical_equilibrium(H_S, H_R, V, beta=1.0, samples=32, rng=1, sectors=Q)
print(typical)
print(f"F*_S = {typical.F_S:.5f} +- {typical.errors['F_S']:.1e} (dense {dense.F_S:.5f})")
# rho_S[0, 1] would change S^z of the qubit: no sector connects it, so it is zero structurally --
# not merely within an error bar
assert typical.rho_S[0, 1] == 0.0 and typical.errors["rho_S"][0, 1] == 0.0
assert abs(typical.F_S - dense.F_S) < 5 * typical.errors["F_S"]

# --- 2. Error bars against beta: plain typicality and the deflated road --------------------------
# plain typicality's error grows as the Gibbs state's effective dimension falls; the deflated road
# traces the 16 lowest states (of the universe, and s (x) those of the reservoir) exactly and
# samples only the rest. (With the sectors as well it would be exact here: every reservoir sector
# of 9 spins has <= 126 states and is diagonalized, and s (x) them spans every universe sector.)
betas = np.array([0.25, 0.5, 1.0, 2.0, 4.0, 8.0])
reference = st.exact.equilibria(st.exact.Composite(H_S=H_S, H_R=H_R.toarray(), V=V.toarray()), betas)
exact = typical_equilibrium(H_S, H_R, V, beta=4.0, samples=4, rng=0, sectors=Q, method="deflated")
assert abs(exact.F_S - reference[4].F_S) < 1e-10 and exact.errors["F_S"] == 0.0
roads = {"plain typicality": {}, "deflated": {"method": "deflated"}}
fig, ax = plt.subplots(figsize=(6, 4))
for (label, options), marker in zip(roads.items(), "os", strict=True):
    bars, misses = [], []
    for beta, eq in zip(betas, reference, strict=True):
        r = typical_equilibrium(H_S, H_R, V, beta=float(beta), samples=16, rng=3, **options)
        bars.append(r.errors["F_S"])
        misses.append(abs(r.F_S - eq.F_S))
        assert misses[-1] < 5 * bars[-1]  # the dense engine within the reported error bar
    ax.loglog(betas, bars, marker + "-", label=f"{label}: error bar")
    ax.loglog(betas, misses, marker, mfc="none", color=ax.lines[-1].get_color(), label=f"{label}: |minus dense|")
    print(label, "error bars of F*_S:", np.array(bars))
ax.set_xticks(betas, labels=[f"{b:g}" for b in betas], minor=False)
ax.minorticks_off()
ax.set_xlabel("β (1/J)")
ax.set_ylabel("F*_S error (J)")
ax.set_title("qubit + 9-spin XXZ chain (d = 2^10), 16 samples")
ax.legend(fontsize=8)
fig.tight_layout()
fig.savefig(out / "large_reservoirs_error_vs_beta.png", dpi=110)

# --- 3. Every internal energy along a finite-speed drive ------------------------------------------
# the qubit's splitting ramped 0.2 -> 1.5 in a time 3 on a 5-spin chain (d = 64, dense road):
# U_diff(t) = U_diff(0) + W(t); U_H*, U_E* with the mean-force operators of lambda(t)


def build(eps: float) -> st.exact.Composite:
    h_S, h_R, v = qubit_on_spin_chain(5, eps=eps, h=0.3)
    return st.exact.Composite(H_S=h_S, H_R=h_R.toarray(), V=v.toarray())


path = st.Path.line({"eps": 0.2}, {"eps": 1.5})
times = np.linspace(0.0, 3.0, 13)
drive = drive_composite(build, path, 3.0, beta=1.0, times=times, dt=0.05)
assert np.all(drive.entropy_production >= -1e-10)  # second law from a Gibbs start
fig, (top, bottom) = plt.subplots(2, 1, figsize=(6, 5), sharex=True)
for key in ("diff", "H*", "E*"):
    top.plot(times, drive.energy[key], label=f"U_{key}")
top.set_ylabel("U(t) (J)")
top.legend(fontsize=8)
bottom.plot(times, drive.entropy_production)
bottom.set_ylabel("β (W - ΔF*_S)")
bottom.set_xlabel("t (1/J)")
fig.tight_layout()
fig.savefig(out / "large_reservoirs_drive_energies.png", dpi=110)
print(drive, "dissipated work", drive.dissipated_work)

# --- 4. A quantum-adiabatic preparation -----------------------------------------------------------
# The quantum-simulation use: switch the qubit-chain coupling on (J_c = Jz_c: 0 -> 0.8) from
# a cold Gibbs state (beta = 20, nearly the ground state of the uncoupled universe) at growing tau.
# The work approaches the quantum-adiabatic work sum_n p_n (E_n(B) - E_n(A)) as 1/tau^2; it is
# close to, not equal to, E_0(B) - E_0(A), since beta = 20 still populates the lowest gaps.


def coupled(J_c: float) -> st.exact.Composite:
    h_S, h_R, v = qubit_on_spin_chain(5, eps=1.0, h=0.3, J_c=J_c, Jz_c=J_c)
    return st.exact.Composite(H_S=h_S, H_R=h_R.toarray(), V=v.toarray())


switch_on = st.Path.line({"J_c": 0.0}, {"J_c": 0.8})
taus = np.array([1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0])
ramps = [drive_composite(coupled, switch_on, float(tau), beta=20.0, dt=0.05) for tau in taus]
excess = np.array([r.work[-1] - r.adiabatic_work for r in ramps])
ground = np.linalg.eigvalsh(coupled(0.8).H)[0] - np.linalg.eigvalsh(coupled(0.0).H)[0]
print(f"adiabatic work {ramps[-1].adiabatic_work:.6f}, E_0(B) - E_0(A) = {ground:.6f}; "
      f"W(tau) - W_adiabatic at tau = 64: {excess[-1]:.2e}")
fig, ax = plt.subplots(figsize=(6, 4))
ax.loglog(taus, excess, "o-", label="W(τ) - W_adiabatic")
ax.loglog(taus, excess[-3] * (taus / taus[-3]) ** -2, "k:", label="∝ 1/τ²")
ax.set_xlabel("ramp duration τ (ħ/J)")
ax.set_ylabel("excess work (J)")
ax.set_title("Switching on a qubit-chain coupling from β = 20 (d = 64, dense road)", fontsize=9)
ax.legend(fontsize=8)
fig.tight_layout()
fig.savefig(out / "large_reservoirs_adiabatic.png", dpi=110)
