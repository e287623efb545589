"""Tutorial: the full statistics of work at strong coupling, and measuring the system alone.

Run it as ``python docs/tutorials/work_statistics.py [FIGURE_FOLDER]``; the test suite runs it too.
"""

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display needed
import matplotlib.pyplot as plt
import numpy as np

import strongtherm as st
from strongtherm.core.statistics import crooks_deviation
from strongtherm.exact.statistics import work_statistics
from strongtherm.gaussian.statistics import driven_work_statistics, quench_work_statistics

out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("tutorial_figures")
out.mkdir(parents=True, exist_ok=True)

# Davoudi et al.'s two-spin model, quenched eps: 0 -> 2 from the global Gibbs state at beta = 1.
A = st.models.two_spin(eps=0.0, alpha=0.8, gamma=1.2, chi=1.8)
B = st.models.two_spin(eps=2.0, alpha=0.8, gamma=1.2, chi=1.8)
universe = work_statistics(A, B, beta=1.0)           # two-point measurement of the universe's H
print(universe, universe.values, universe.probabilities, sep="\n")
assert abs(universe.jarzynski_gap) < 1e-12           # <e^{-beta W}> = e^{-beta Delta F*_S}
assert crooks_deviation(universe, work_statistics(B, A, beta=1.0)) < 1e-9

# Measuring the system alone: the bare H_S, the Hamiltonian of mean force H*_S, the energy operator E*_S.
fig, ax = plt.subplots(figsize=(6.5, 4.0))
for k, measure in enumerate(("universe", "H_S", "H*", "E*")):
    w = work_statistics(A, B, beta=1.0, measure=measure)
    print(f"{measure:8s} <W> = {w.mean:+.5f}  Jarzynski gap = {w.jarzynski_gap:+.2e}")
    ax.bar(w.values + 0.05 * (k - 1.5), w.probabilities, width=0.05, label=f"{measure} (gap {w.jarzynski_gap:+.1e})")
ax.set_xlabel("W (units of energy)")
ax.set_ylabel("P(W)")
ax.set_title("Two-spin quench eps: 0 -> 2, beta = 1: what a TPM of each observable sees", fontsize=9)
ax.legend(fontsize=7)
fig.tight_layout()
fig.savefig(out / "work_statistics_two_spin.png", dpi=110)

# Fermions: chi(u) of a resonant-level quench by determinants on a chain of 100 sites.
rlm = st.models.resonant_level(t0=1.25)
stats = quench_work_statistics(rlm, st.Bath(T=0.1), {"eps_s": 0.0, "V": 0.6}, {"eps_s": 1.0, "V": 0.9},
                               np.linspace(0.0, 30.0, 241), L=100)
print(stats)                                          # exact mean and variance, Jarzynski gap
W, density, resolution = stats.characteristic.distribution()
# The same change at finite speed: the orbitals are evolved by the dynamics wing, then the same
# determinants; the mean is the drive's W_ext and Jarzynski holds at every speed.
ramp = st.dynamics.Protocol(st.Path.line({"eps_s": 0.0, "V": 0.6}, {"eps_s": 1.0, "V": 0.9}), duration=5.0)
driven = driven_work_statistics(rlm, st.Bath(T=0.1), ramp, np.linspace(0.0, 30.0, 241), L=100)
print(driven)
W_slow, density_slow, _ = driven.characteristic.distribution()
fig, ax = plt.subplots(figsize=(6.0, 4.0))
ax.plot(W, density, label="sudden")
ax.plot(W_slow, density_slow, label="ramp, tau = 5 hbar/energy")
ax.legend(fontsize=8)
ax.set_xlim(-1.0, 3.0)
ax.set_xlabel("W (units of energy)")
ax.set_ylabel(f"P(W) (1 / units of energy; resolution {resolution:.2f})")
ax.set_title("Resonant level (t0 = 1.25, T = 0.1): eps_s 0 -> 1, V 0.6 -> 0.9", fontsize=9)
fig.tight_layout()
fig.savefig(out / "work_statistics_level.png", dpi=110)
