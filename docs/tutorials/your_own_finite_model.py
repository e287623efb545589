"""Tutorial: your own finite model for the exact engine, built in QuTiP.

A qubit (the system) on the end of a Heisenberg spin chain (the reservoir), coupled by an XY
exchange: the kind of model a quantum-simulation group writes first. We build it in QuTiP, hand
it to the exact mean-force engine of Davoudi et al. (2025), scan the temperature from one
eigendecomposition, quench the qubit, audit the second law, and switch the coupling on.

Run it as ``python docs/tutorials/your_own_finite_model.py [FIGURE_FOLDER]``; the test suite
runs it too (tests/docs/test_tutorials.py), so every line here works. Conventions: hbar = k_B = 1,
energies in units of the chain exchange J, entropies in nats, the system factor first.
"""

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display needed
import numpy as np
import qutip

import strongtherm as st

out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("tutorial_figures")
out.mkdir(parents=True, exist_ok=True)

# --- 1. The model, in QuTiP ---------------------------------------------------------------------
# H_S = (eps/2) sz on the qubit; H_R = J sum_j S_j . S_{j+1} + (h/2) sum_j sz_j on n_R chain spins;
# H_SR = g (sx sx_1 + sy sy_1) between the qubit and the first chain spin.
n_R, J, h_field, g = 6, 1.0, 0.3, 0.4


def on_chain(op: qutip.Qobj, site: int) -> qutip.Qobj:
    """``op`` on chain site ``site``, identity elsewhere (reservoir space only)."""
    return qutip.tensor([op if k == site else qutip.qeye(2) for k in range(n_R)])


sx, sy, sz = qutip.sigmax(), qutip.sigmay(), qutip.sigmaz()


def qubit(eps: float) -> qutip.Qobj:
    return 0.5 * eps * sz


H_R = sum(J / 4 * (on_chain(a, j) * on_chain(a, j + 1)) for j in range(n_R - 1) for a in (sx, sy, sz))
H_R += sum(0.5 * h_field * on_chain(sz, j) for j in range(n_R))
V = g * (qutip.tensor(sx, on_chain(sx, 0)) + qutip.tensor(sy, on_chain(sy, 0)))  # system (x) reservoir

A = st.exact.Composite(H_S=qubit(0.5), H_R=H_R, V=V)
print(A, "total dimension", A.dims[0] * A.dims[1])

# --- 2. Hamiltonian of mean force at one temperature ----------------------------------------------
eq = st.exact.equilibrium(A, beta=2.0)
# QuTiP in, QuTiP out: rho_S, H*_S and E*_S come back as Qobj with the qubit's dims
assert isinstance(eq.H_star, qutip.Qobj) and eq.H_star.dims == [[2], [2]]
H_star = eq.H_star.full()
print("H*_S =\n", np.round(H_star, 6))  # real: the model is real
print("U_diff, U_H*, U_E* =", dict(eq.U))
# the coupling renormalizes the qubit: H*_S is not (eps/2) sz, even up to a constant
bare = np.diag([0.25, -0.25])
print("H*_S - H_S, traceless part:\n", np.round(H_star - bare - np.trace(H_star - bare) / 2 * np.eye(2), 6))
assert abs(eq.U["E*"] - eq.U["diff"]) < 1e-10  # Appendix B: they agree in the Gibbs state

# --- 3. A temperature scan from ONE eigendecomposition -----------------------------------------
# st.exact.equilibria diagonalizes H once and reuses it for every beta (the per-beta cost is the
# partial trace and a 2 x 2 eigendecomposition); equilibrium() per beta would diagonalize each time.
betas = np.geomspace(0.1, 10.0, 30)
scan = st.exact.equilibria(A, betas)
axes = st.plot.state_functions(
    list(scan),
    x=betas,
    xlabel="β (1/J)",
    quantities=["U_diff", "U_H*", "U_E*", "F_S", "S_diff", "S_H*"],
)
axes[0].set_xscale("log")
axes[0].figure.savefig(out / "finite_model_beta_scan.png", dpi=110)

# --- 4. Quench the qubit, reusing the equilibrium already computed -----------------------------
beta_index = 15
eq_A = scan[beta_index]  # the equilibrium of A at betas[15]: not computed again
B = A.replace(H_S=qubit(1.5))
q = st.exact.quench(eq_A, B)  # beta is taken from eq_A
print(q)
audit = q.second_law()
print(audit)
assert audit.verdicts["diff"] and audit.verdicts["H*"]  # guaranteed (Eqs. 29, 30)
st.plot.second_law(audit).figure.savefig(out / "finite_model_second_law.png", dpi=110)

# --- 5. Switch the coupling on (an interaction quench, Eq. 15) ---------------------------------
iq = st.exact.interaction_quench(A, beta=float(betas[beta_index]))
# state A has no coupling, so H*^A = E*^A = H_S exactly (DESIGN.md, paper 001 trap 4)
assert np.allclose(iq.A.H_star, A.H_S, atol=1e-10)
print("switching on g costs W_diff =", iq.work["diff"], "and W_H* =", iq.work["H*"])
