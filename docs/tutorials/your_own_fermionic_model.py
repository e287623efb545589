"""Tutorial: your own fermionic model, from idea to map (Green's-function engine).

A double quantum dot: two levels eps_1, eps_2 hybridized by t_c, dot 1 on a left lead and dot 2
on a right lead, with the leads at a common chemical potential mu != 0. We write the model as
matrices, compute its equilibrium and bound states, drive a gate quasistatically, read off the
mean-force thermodynamics of Davoudi et al. (2025), and draw a map over both gates on a local
Dask cluster.

Run it as ``python docs/tutorials/your_own_fermionic_model.py [FIGURE_FOLDER]``; the test suite
runs it too (tests/docs/test_tutorials.py), so every line here works. Its twin for the command
line is ``examples/double_dot_map.toml``. Conventions (docs/conventions.rst): hbar = k_B = 1,
energies in units of the left lead's hopping, entropies in nats, G_S(z) = [z - h_S - Sigma(z)]^-1.
"""

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display needed
import numpy as np

import strongtherm as st


def double_dot() -> st.negf.OpenSystem:
    """The model: *what* the physics is (matrices and parameters), no solving.

    h_S(lambda) = h_S^0 + sum_k lambda_k dh_S/dlambda_k and V_r(lambda) likewise: affine in the
    named parameters, so the derivatives are exact and the model pickles (worker processes).
    """
    left = st.negf.TightBindingChain(t0=1.0)  # band [-2, 2]
    right = st.negf.TightBindingChain(t0=0.75)  # band [-1.5, 1.5]
    return st.models.affine_open_system(
        name="double dot",
        reservoirs=(left, right),
        h_S=np.zeros((2, 2)),
        couplings=(np.zeros((1, 2)), np.zeros((1, 2))),  # (surface sites) x (levels), per lead
        h_S_slopes={
            "eps_1": np.diag([1.0, 0.0]),
            "eps_2": np.diag([0.0, 1.0]),
            "t_c": np.array([[0.0, 1.0], [1.0, 0.0]]),
        },
        coupling_slopes={
            "V_L": (np.array([[1.0, 0.0]]), np.zeros((1, 2))),
            "V_R": (np.zeros((1, 2)), np.array([[0.0, 1.0]])),
        },
        parameter_domain={"eps_1": (-10, 10), "eps_2": (-10, 10), "t_c": (-5, 5), "V_L": (0, 5), "V_R": (0, 5)},
        defaults={"eps_1": 0.0, "eps_2": 0.0, "t_c": 0.3, "V_L": 0.6, "V_R": 0.6},
    )


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    model = double_dot()
    bath = st.Bath(T=0.05, mu=0.2)
    print(model)

    # --- 1. Equilibrium and bound states ---------------------------------------------------------
    # A deep left level (eps_1 = -2.6, below both bands) leaves a bound state: a pole of
    # G_S outside the continuum, fully occupied, found by root finding and carried by the integrals.
    eq = st.negf.equilibrium(model, bath, eps_1=-2.6, eps_2=0.4)
    print(eq)
    for b in eq.bound_states:
        print(f"bound state at {b.energy:.6f}: system weight {b.system_weight:.6f}")
    assert len(eq.bound_states) >= 1
    assert abs(eq.system.U - (eq.expectation_H_S + 0.5 * eq.expectation_H_SR)) < 1e-9  # Eq. (14)
    energies = np.linspace(-3.2, 2.4, 1200)
    g_S, delta_g_R = st.negf.spectral_densities(model, energies, eq.params)  # continuum parts
    ax = st.plot.ldos(energies, g_S, delta_g_R, bound_states=eq.bound_states, mu=bath.mu)
    ax.figure.savefig(out / "double_dot_ldos.png", dpi=110)

    # --- 2. A quasistatic gate sweep: the work sum rule -------------------------------------------
    # eps_1 from 0 to -2.6: the bound state appears halfway; W_ext (integrated power) must equal
    # Delta Omega_S + Delta(delta Omega_R) (Kumar Eqs. 15-16) term by term.
    path = st.Path.line({"eps_1": 0.0, "eps_2": 0.4}, {"eps_1": -2.6, "eps_2": 0.4})
    proc = st.negf.quasistatic(model, bath, path)
    print("W_ext =", proc.W_ext, " W_S =", proc.W_S, " sum-rule residual =", proc.sum_rule_residual)
    assert abs(proc.sum_rule_residual) < 1e-8
    ax = st.plot.path_works(proc)
    ax.figure.savefig(out / "double_dot_path_works.png", dpi=110)

    # --- 3. Mean force: Davoudi et al.'s definitions for these fermions ---------------------------
    # The Gibbs state is Gaussian: H*_S is a 2 x 2 one-body matrix plus a constant (K = H - mu N
    # in every Gibbs state; U and U_K side by side, see the conventions page).
    mf = st.gaussian.mean_force(model, bath, eps_1=-0.5, eps_2=0.4)
    print("H*_S one-body matrix:\n", np.round(mf.H_star.matrix, 6), "\nconstant", mf.H_star.constant)
    print("U  (with mu N):", dict(mf.U))
    print("U_K (K = H - mu N):", dict(mf.U_K))
    assert abs(mf.U_K["E*"] - mf.U_K["diff"]) < 1e-9  # App. B of Davoudi et al., with K

    # --- 4. A map over both gates on a local Dask cluster ---------------------------------------
    # Dask starts worker *processes* that import this file: everything that starts the cluster
    # must sit under `if __name__ == "__main__":` (see the bottom of this file), or each worker
    # would start a cluster of its own. `processes=2` without Dask works the same way.
    from dask.distributed import Client, LocalCluster

    grid = {"eps_1": np.linspace(-3.0, 1.5, 16), "eps_2": np.linspace(-1.5, 1.5, 13)}
    compute = st.sweeps.negf_equilibrium(model, bath)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, Client(cluster) as client:
        ds = st.sweep(compute, grid, client=client)
    serial = st.sweep(compute, grid, processes=1)
    assert np.array_equal(ds["system_N"].values, serial["system_N"].values)  # same chunks, same numbers
    print(ds["system_N"])
    ax = st.plot.sweep_map(ds, "system_N")
    ax.figure.savefig(out / "double_dot_map.png", dpi=110)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("tutorial_figures"))
