"""Tutorial: a level between two leads out of equilibrium: currents, heat, a thermoelectric engine.

Run it as ``python docs/tutorials/two_terminals.py [FIGURE_FOLDER]``; the test suite runs it too.
Conventions (every sign): docs/conventions.rst, "Two terminals".
"""

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display needed
import numpy as np

import strongtherm as st

out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("tutorial_figures")
out.mkdir(parents=True, exist_ok=True)

# A level eps between two tight-binding leads, each coupled by its own V (any reservoir kind works:
# WideBand, LorentzianBand, CustomReservoir).
zero = np.zeros((1, 1))
dot = st.models.affine_open_system(
    name="level between two chains",
    reservoirs=(st.negf.TightBindingChain(t0=1.0), st.negf.TightBindingChain(t0=1.0)),
    h_S=zero, couplings=(zero, zero), h_S_slopes={"eps": np.ones((1, 1))},
    coupling_slopes={"V_L": (np.ones((1, 1)), zero), "V_R": (zero, np.ones((1, 1)))},
    parameter_domain={"eps": (-3.0, 3.0), "V_L": (0.0, 2.0), "V_R": (0.0, 2.0)},
    defaults={"eps": 0.2, "V_L": 0.15, "V_R": 0.15},
)

# One bath per lead: a hot left lead and a cold right one, with a small reverse bias.
hot, cold = st.Bath(T=0.1, mu=0.0), st.Bath(T=0.03, mu=0.02)
ss = st.negf.steady_state(dot, [hot, cold], eps=0.25)
print(ss)                                        # currents into the level from each lead
print("heat currents", ss.heat_current, "power", ss.power, "efficiency", ss.efficiency)
assert abs(sum(ss.particle_current)) < 1e-10     # a steady state: what enters leaves
assert ss.entropy_production >= 0.0              # second law, -sum J_Q/T >= 0
print("steady N_S, U_S:", ss.N_S, ss.U_S)        # the level's state under the Hilbert-space partition

# Linear response around a common state: conductance, thermopower, ZT, Onsager symmetric.
lr = st.negf.linear_response(dot, st.Bath(T=0.05), eps=0.25)
print(lr, "Onsager matrix:", lr.onsager, sep="\n")

# The local temperature the biased level shows to a weakly coupled probe (Stafford 2016):
probed = st.models.affine_open_system(
    name="probed level", reservoirs=(*dot.reservoirs, st.negf.WideBand(D=10.0)),
    h_S=zero, couplings=(np.array([[0.3]]), np.array([[0.3]]), np.array([[0.01]])),
    h_S_slopes={"eps": np.ones((1, 1))}, parameter_domain={"eps": (-3.0, 3.0)}, defaults={"eps": 0.0},
)
reading = st.negf.probe(probed, [st.Bath(T=0.05, mu=0.2), st.Bath(T=0.05, mu=-0.2), st.Bath(T=0.05)], 2)
print("probe reads T_p =", reading.bath.T, "mu_p =", reading.bath.mu)  # hotter than the leads

# A (gate, bias) map and the standard two-terminal pictures: I-V, dI/dV, power-efficiency loop.
# A one-level model's points go through st.negf.steady_states: each chunk of the grid is one
# vectorized sweep over every point's own panels (the same numbers as single calls, to rounding).
compute = st.sweeps.negf_steady_state(dot, [hot, st.Bath(T=0.03)])
ds = st.sweep(compute, {"eps": np.linspace(0.1, 0.5, 5), "bias": np.linspace(-0.12, 0.02, 36)}, processes=1)
axes = st.plot.transport_overview(ds)
axes[0].figure.savefig(out / "two_terminals_overview.png", dpi=110)

# Driven with a bias: the same level, each lead in its own equilibrium and the coupling switched on
# at t = 0 (initial="partitioned"; "partition-free" biases the coupled equilibrium by shifting the
# leads' potentials instead, one T only). Currents per lead, into the level, relax to Landauer's.
import matplotlib.pyplot as plt  # noqa: E402

level = {"eps": 0.25, "V_L": 0.5, "V_R": 0.5}
relax = st.Protocol(st.Path.line(level, level), duration=0.0, hold=50.0)  # fixed parameters for t = 50
run = st.dynamics.drive(dot, [hot, cold], relax, times=np.linspace(0.0, 50.0, 101), initial="partitioned")
landauer = run.steady_state()                    # st.negf.steady_state of the same leads and baths
print("I(t=50) - Landauer:", run.particle_current[-1] - landauer.particle_current)  # ~1e-7
print("pumped charge from each lead by t = 50:", run.pumped_charge[-1], "heat per lead:", run.lead_heat[-1])
fig, ax = plt.subplots(figsize=(6.0, 3.5))
for k, name in enumerate(("hot lead", "cold lead")):
    ax.plot(run.times, run.particle_current[:, k], label=f"I from the {name}")
    ax.axhline(landauer.particle_current[k], color=f"C{k}", ls=":", lw=1)
ax.set_xlabel("t (units of hbar / energy)")
ax.set_ylabel("particle current into the level")
ax.legend(fontsize=8)
fig.savefig(out / "two_terminals_relaxation.png", dpi=110)

# A cyclic engine at finite speed (an Otto cycle): the level couples to a hot lead at eps = 1.5,
# moves to eps = 0.3 while both couplings rest at 0.02, couples to a cold lead, and moves back.
otto = st.models.affine_open_system(
    name="Otto level", reservoirs=dot.reservoirs, h_S=zero, couplings=(zero, zero), h_S_slopes={"eps": np.ones((1, 1))},
    coupling_slopes={"V_h": (np.ones((1, 1)), zero), "V_c": (zero, np.ones((1, 1)))},
    parameter_domain={"eps": (-3.0, 3.0), "V_h": (0.0, 2.0), "V_c": (0.0, 2.0)}, reservoir_names=("h", "c"),
)
ramp = [0.02, 0.11, 0.21, 0.3]                    # the coupling ramped up and down in 3 + 3 steps
loop = [{"eps": 1.5, "V_h": x, "V_c": 0.02} for x in ramp + ramp[::-1]]
loop += [{"eps": 0.3, "V_h": 0.02, "V_c": x} for x in ramp + ramp[::-1]]
period = 2.0 * len(loop)                           # each corner-to-corner segment takes 2
cycles = st.Protocol(st.Path.corners(loop * 2 + loop[:1]), duration=2 * period)
baths = {"h": st.Bath(T=1.5), "c": st.Bath(T=0.1)}
engine = st.dynamics.drive(otto, baths, cycles, times=np.linspace(0.0, 2 * period, 65), initial="partitioned")
second = engine.cycle(period, period)            # the second cycle, closer to the periodic regime
print(f"work {second.work:.4f}, heat from hot/cold {second.lead_heat}, power {second.power:.5f}, "
      f"efficiency {second.efficiency:.3f} (Carnot {1 - 0.1 / 1.5:.3f})")
print("first-law residual", second.energy_balance, "; change of each system energy over the cycle:",
      dict(second.delta_system_energy))        # -> 0 in the periodic regime; H*, E* NaN (two baths)
assert abs(second.energy_balance) < 1e-8 and second.power > 0.0
