"""Tutorial: the Green's-function engine on the resonant-level model (Kumar, Webb & Stafford 2024).

Run it as ``python docs/tutorials/negf_resonant_level.py [FIGURE_FOLDER]``; the test suite runs
it too (tests/docs/test_tutorials.py), so every line here works.
"""

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display needed
import numpy as np

import strongtherm as st

out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("tutorial_figures")
out.mkdir(parents=True, exist_ok=True)

# --- 1. A model and a bath --------------------------------------------------------------------
# One level eps_s coupled by V to a semi-infinite tight-binding chain with hopping t0 = 1.25
# (band |e| < 2 t0 = 2.5). Parameters are passed at solve time; T and mu travel in a Bath.
bath = st.Bath(T=0.02, mu=0.0)
rlm = st.models.resonant_level(t0=1.25)

# --- 2. Equilibrium: state functions under the Hilbert-space partition ------------------------
eq = st.negf.equilibrium(rlm, bath, eps_s=-1.0, V=1.0)
print(eq)
print("S_S =", eq.system.S, "nats (0 <= S_S <= ln 2)")
assert 0.0 <= eq.system.S <= np.log(2)
# U_S = <H_S> + <H_SR>/2 (Eq. 14): computed from g_S, checked against the expectation values
assert abs(eq.system.U - (eq.expectation_H_S + 0.5 * eq.expectation_H_SR)) < 1e-8
# the two spectral sum rules (bound states included)
print("sum rules:", eq.sum_rule_residuals)

# alpha-partitions (Eqs. 22, 24): only alpha = 1/2 keeps the entropy within [0, ln 2]
for a in (0.0, 0.5, 1.0):
    print(
        f"alpha = {a}: alpha-U_S = {eq.alpha_energy(a):+.6f}, alpha-S_S = {eq.alpha_entropy(a):+.4f}"
    )
assert eq.alpha_entropy(1.0) < 0.0 < eq.alpha_entropy(0.5)

# --- 3. The local density of states and a bound state -----------------------------------------
# Strong coupling pulls a bound state below the band (eps_s - V^2/t0 < -2 t0): a delta peak
# that no real-axis grid sees. spectral_densities gives the continuum; bound_states the peaks.
strong = st.negf.equilibrium(rlm, bath, eps_s=-2.5, V=1.5)
energies = np.linspace(-4.0, 4.0, 801) + 1e-3  # keep clear of the band edges +-2.5
g_S, dg_R = st.negf.spectral_densities(rlm, energies, strong.params)
(bound,) = strong.bound_states
print(bound)
ax = st.plot.ldos(
    energies,
    g_S,
    dg_R,
    bound_states=strong.bound_states,
    mu=bath.mu,
    title="resonant level, eps_s = -2.5, V = 1.5, t0 = 1.25",
)
ax.figure.savefig(out / "negf_ldos.png", dpi=110)

# --- 4. State functions versus the level energy ------------------------------------------------
scan = [st.negf.equilibrium(rlm, bath, eps_s=e, V=1.0) for e in np.linspace(-2.0, 2.0, 17)]
axes = st.plot.state_functions(scan, x="eps_s", quantities=["U_S", "Omega_S", "S_S"])
axes[0].figure.savefig(out / "negf_state_functions.png", dpi=110)

# --- 5. A quasistatic process: work sum rule and nonlocal work --------------------------------
# Drive the level from 1 to 1.5 at V = 0.75 (Fig. 1(a) of the paper).
path = st.Path.line({"eps_s": 1.0, "V": 0.75}, {"eps_s": 1.5, "V": 0.75})
proc = st.negf.quasistatic(rlm, bath, path)
print(proc)
# W_ext (integrated power) = Delta Omega_S + Delta(delta Omega_R)   (Eq. 15)
assert abs(proc.sum_rule_residual) < 1e-9
# Eq. (21) and Eq. (13) give the same nonlocal work
assert abs(proc.nonlocal_work - proc.nonlocal_work_eq13) < 1e-8
# level driving: the nonlocal work on the reservoir equals Delta(delta Omega_R) (Eq. 16)
assert abs(proc.nonlocal_work_on_reservoir - proc.delta_dOmega_R) < 1e-8
print(
    f"W_ext = {proc.W_ext:.6f}, W_S = {proc.W_S:.6f}, nonlocal work on S = {proc.nonlocal_work:.6f}"
)
ax = st.plot.path_works(proc, x="eps_s")
ax.figure.savefig(out / "negf_path_works.png", dpi=110)

# Entropy from the EOG identity (Eq. 25) versus the Hilbert-space partition (Eq. 24, alpha = 1/2)
print("Delta S_S =", proc.delta_S_S, " Delta S^EOG(alpha=1) =", proc.entropy_change_EOG(1.0))
