"""Tutorial: driving at finite speed, from the sudden quench to the quasistatic limit.

Run it as ``python docs/tutorials/finite_speed.py [FIGURE_FOLDER]``; the test suite runs it too.
Definitions (W(t), heat, Sigma, the slow-driving limit): docs/conventions.rst, "Finite speed".
"""

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display needed
import matplotlib.pyplot as plt
import numpy as np

import strongtherm as st

out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("tutorial_figures")
out.mkdir(parents=True, exist_ok=True)

# The resonant level's energy ramped 0 -> 1 at V = 0.6, T = 0.1, from the global Gibbs state.
rlm = st.models.resonant_level(t0=1.25)
bath = st.Bath(T=0.1)
path = st.Path.line({"eps_s": 0.0, "V": 0.6}, {"eps_s": 1.0, "V": 0.6})
durations = np.array([0.0, 0.5, 2.0, 8.0, 20.0])
runs = [st.dynamics.drive(rlm, bath, st.Protocol(path, duration=tau), times=[tau]) for tau in durations]
W = np.array([run.W_ext[-1] for run in runs])
dF = st.negf.quasistatic(rlm, bath, path).W_ext  # the quasistatic limit, Delta F*_S (Kumar Eq. 15)
print("W(tau):", W, " sudden W_diff:", W[0], " quasistatic Delta F*_S:", dF)
assert np.all(W >= dF - 1e-8)  # second law from a Gibbs start
print("entropy production Sigma = beta (W - Delta F*_S) at tau = 20:", runs[-1].entropy_production[-1])

# Slow driving: W_diss ~ (1/tau) int lambda' zeta lambda' ds, and the schedule that minimizes it.
friction = st.dynamics.friction(rlm, bath, path)
print(friction)
schedule = friction.optimal_protocol(20.0)
optimal = st.dynamics.drive(rlm, bath, schedule.protocol(), times=[0.0, 20.0])
print("tau = 20: linear W_diss", W[-1] - dF, " optimal schedule", optimal.W_ext[-1] - dF)

fig, ax = plt.subplots(figsize=(6.0, 4.0))
ax.semilogx(durations[1:], W[1:], "o-", label="W(tau), linear ramp")
ax.axhline(W[0], color="C1", ls="--", label=f"sudden quench W_diff = {W[0]:.3f}")
ax.axhline(dF, color="k", ls=":", label=f"quasistatic Delta F*_S = {dF:.3f}")
taus = np.geomspace(2.0, 40.0, 20)
first_order = friction.predicted_dissipation(1.0)  # tau W_diss of the linear ramp as tau -> infinity
ax.semilogx(taus, dF + first_order / taus, "C2-.", label=f"friction: Delta F*_S + {first_order:.3f} / tau")
ax.set_xlabel("duration tau (units of hbar / energy)")
ax.set_ylabel("work W (units of energy)")
ax.set_title("Resonant level, t0 = 1.25, V = 0.6, T = 0.1: eps_s 0 -> 1", fontsize=9)
ax.legend(fontsize=7)
fig.tight_layout()
fig.savefig(out / "finite_speed_work.png", dpi=110)
ax = st.plot.draw(friction)
ax.figure.savefig(out / "finite_speed_friction.png", dpi=110)
