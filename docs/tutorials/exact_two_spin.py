"""Tutorial: the mean-force engine on the two-spin model (Davoudi et al. 2025).

Run it as ``python docs/tutorials/exact_two_spin.py [FIGURE_FOLDER]``; the test suite runs it
too (tests/docs/test_tutorials.py), so every line here works.
"""

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display needed
import numpy as np

import strongtherm as st

out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("tutorial_figures")
out.mkdir(parents=True, exist_ok=True)

# --- 1. A composite system + reservoir ---------------------------------------------------------
# Eq. (38): H = eps/2 sz_S + alpha/2 sz_R + gamma sz_S sz_R + chi sx_S sx_R. Here alpha is the
# reservoir's splitting (a model parameter), not the alpha of an alpha-partition.
A = st.models.two_spin(eps=0.0, alpha=0.8, gamma=1.2, chi=1.8)
beta = 1.0

# --- 2. Equilibrium: Hamiltonian of mean force and the three internal energies ----------------
eq = st.exact.equilibrium(A, beta=beta)
print("H*_S =\n", eq.H_star.real)
print("E*_S =\n", eq.E_star.real)
print("U_diff, U_H*, U_E* =", dict(eq.U), " F_S =", eq.F_S)
# In a global Gibbs state U_E* = U_diff (Appendix B of the paper)
assert abs(eq.U["E*"] - eq.U["diff"]) < 1e-10
# pi_S = exp(-beta H*_S) / Z*_S with Z*_S = exp(-beta F_S) (Eqs. 3, 4, 7)
w, v = np.linalg.eigh(eq.H_star)
rho = (v * np.exp(-beta * (w - eq.F_S))) @ v.conj().T
assert np.allclose(rho, eq.rho_S, atol=1e-12)

# --- 3. A sudden system quench eps: 0 -> 2 ----------------------------------------------------
B = st.models.two_spin(eps=2.0, alpha=0.8, gamma=1.2, chi=1.8)
q = st.exact.quench(A, B, beta=beta)
print(q)
audit = q.second_law()
print(audit)
assert audit.verdicts["diff"] and audit.verdicts["H*"]  # guaranteed by Eqs. (29), (30)
ax = st.plot.second_law(audit)
ax.figure.savefig(out / "exact_second_law.png", dpi=110)

# --- 4. Where W_E* breaks the second law ---------------------------------------------------------
# W_diff and W_H* never fall below Delta F_S; W_E* does for some eps_B (Fig. 2(a) of the paper).
eps_B = np.linspace(-5.0, 5.0, 41)
quenches = [st.exact.quench(A, st.models.two_spin(e, 0.8, 1.2, 1.8), beta=beta) for e in eps_B]
dissipated = {k: np.array([qq.dissipated_work[k] for qq in quenches]) for k in ("diff", "H*", "E*")}
assert dissipated["diff"].min() >= -1e-12 and dissipated["H*"].min() >= -1e-12
print("min W_E* - Delta F_S =", dissipated["E*"].min())
assert dissipated["E*"].min() < 0.0

# --- 5. State functions versus the system splitting ------------------------------------------------
scan = [st.exact.equilibrium(st.models.two_spin(e, 0.8, 1.2, 1.8), beta=beta) for e in eps_B]
axes = st.plot.state_functions(
    scan,
    x=eps_B,
    xlabel="ε (units of energy)",
    quantities=["U_diff", "U_H*", "U_E*", "F_S", "S_diff", "S_H*"],
)
axes[0].figure.savefig(out / "exact_state_functions.png", dpi=110)

# --- 6. Any finite composite ---------------------------------------------------------------------
C = st.exact.Composite(
    H_S=np.diag([0.0, 1.0, 2.5]), H_R=np.diag([0.0, 0.7]), V=0.3 * np.ones((6, 6))
)
print("E*_S of a qutrit + qubit:\n", st.exact.equilibrium(C, beta=2.0).E_star.real.round(6))
