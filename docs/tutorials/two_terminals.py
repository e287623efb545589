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
