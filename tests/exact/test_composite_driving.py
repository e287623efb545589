"""Finite-speed driving of finite composites (issue 24, item 2): the sudden and quantum-adiabatic
limits, the second law, an independent ODE integration, and the typicality road's error bars."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import solve_ivp

import strongtherm as st
from strongtherm.exact.driving import drive_composite

PATH = st.Path.line({"eps": 0.0}, {"eps": 2.0})


def two_spin(eps):
    return st.models.two_spin(eps=eps, alpha=0.8, gamma=1.2, chi=1.8)


def test_sudden_limit_is_the_quench_and_the_slow_limit_is_adiabatic():
    # tau = 0: W = W_diff of the quench engine (1e-12); tau large: each level followed (no crossing in
    # this model), W -> sum_n p_n (E_n^B - E_n^A) as 1/tau^2, above Delta F*_S (a closed universe)
    q = st.exact.quench(two_spin(0.0), two_spin(2.0), beta=1.0)
    sudden = drive_composite(two_spin, PATH, 0.0, beta=1.0)
    assert sudden.work[-1] == pytest.approx(q.work["diff"], abs=1e-12)
    slow = [drive_composite(two_spin, PATH, tau, beta=1.0) for tau in (25.0, 50.0)]
    gaps = [abs(r.work[-1] - r.adiabatic_work) for r in slow]
    assert gaps[1] < 1e-5 and gaps[1] < 0.4 * gaps[0]
    assert slow[1].adiabatic_work > slow[1].delta_F_S + 1e-3  # adiabatic is not isothermal


def test_work_against_an_independent_ode_integration():
    # rho' = -i[H(t), rho] by scipy's DOP853 at rtol 1e-13 on the 4 x 4 density matrix, against the
    # fourth-order Magnus steps at dt = 0.0025: the 1e-10 (measured 1.3e-13 for W, 6e-14 for
    # rho_S; at dt = 0.01 it was 9.8e-12, so the Magnus error ~ dt^4 is far below the tolerance)
    tau, beta = 3.0, 1.0
    drive = drive_composite(two_spin, PATH, tau, beta=beta, dt=0.0025, times=np.linspace(0.0, tau, 4))
    A, B = two_spin(0.0).H, two_spin(2.0).H

    def H(t):
        return (1 - t / tau) * A + (t / tau) * B

    energies, vectors = np.linalg.eigh(A)
    p = np.exp(-beta * (energies - energies[0]))
    rho0 = (vectors * (p / p.sum())) @ vectors.conj().T

    def rhs(t, y):
        rho = y.reshape(4, 4)
        return (-1j * (H(t) @ rho - rho @ H(t))).ravel()

    solution = solve_ivp(rhs, (0.0, tau), rho0.astype(complex).ravel(), method="DOP853", rtol=1e-13, atol=1e-15,
                         t_eval=np.linspace(0.0, tau, 4))
    reference = [np.real(np.trace(solution.y[:, k].reshape(4, 4) @ H(t))) - np.real(np.trace(rho0 @ A))
                 for k, t in enumerate(solution.t)]
    assert np.max(np.abs(drive.work - reference)) < 1e-10
    rho_S_ref = np.einsum("arbr->ab", solution.y[:, -1].reshape(2, 2, 2, 2))
    assert np.max(np.abs(drive.rho_S[-1] - rho_S_ref)) < 1e-10


def test_second_law_on_random_composites():
    # W(tau) >= Delta F*_S from a Gibbs start, for random small composites and durations
    rng = np.random.default_rng(5)
    for _ in range(4):
        H_R = rng.normal(size=(3, 3))
        H_R = 0.5 * (H_R + H_R.T)
        V0 = rng.normal(size=(6, 6))
        V0 = 0.2 * (V0 + V0.T)

        def build(x, H_R=H_R, V0=V0):
            return st.exact.Composite(H_S=np.diag([0.0, 1.0 + x]), H_R=H_R, V=(1.0 + x) * V0)

        r = drive_composite(build, st.Path.line({"x": 0.0}, {"x": 1.5}), float(rng.uniform(0.2, 5.0)), beta=float(rng.uniform(0.5, 2)))
        assert r.dissipated_work >= -1e-10


@pytest.fixture(scope="module")
def qubit_chain_drives():
    """A qubit on a 6-spin Heisenberg chain (d = 128) driven by its splitting 0.2 -> 1.5 in a time 2,
    by the dense road and by typicality (16 random vectors)."""
    from strongtherm.models.spin_chains import qubit_on_spin_chain

    def build(eps):
        H_S, H_R, V = qubit_on_spin_chain(6, eps=eps)
        return st.exact.Composite(H_S=H_S, H_R=H_R.toarray(), V=V.toarray())

    path = st.Path.line({"eps": 0.2}, {"eps": 1.5})
    dense = drive_composite(build, path, 2.0, beta=1.0, dt=0.05)
    typical = drive_composite(build, path, 2.0, beta=1.0, dt=0.05, method="typicality", samples=16, rng=3)
    return dense, typical, build, path


def test_typicality_road_within_its_error_bars(qubit_chain_drives):
    # the typicality road's W and rho_S against the dense road, within 5 error bars
    dense, typical, _, _ = qubit_chain_drives
    assert abs(typical.work[-1] - dense.work[-1]) < 5 * typical.errors["work"][-1]
    assert np.max(np.abs(typical.rho_S[-1] - dense.rho_S[-1]) / typical.errors["rho_S"][-1]) < 5


def test_bad_input():
    with pytest.raises(ValueError, match="duration"):
        drive_composite(two_spin, PATH, -1.0, beta=1.0)
    with pytest.raises(ValueError, match="times"):
        drive_composite(two_spin, PATH, 1.0, beta=1.0, times=[0.0, 2.0])
    with pytest.raises(ValueError, match="max_steps"):
        drive_composite(two_spin, PATH, 1e6, beta=1.0, dt=1e-3)
    with pytest.raises(ValueError, match="method"):
        drive_composite(two_spin, PATH, 1.0, beta=1.0, method="exact")


def test_every_internal_energy_at_the_sudden_limit_and_the_end_points():
    # sudden (tau = 0): the one output is right after the jump, U^A + W of the quench engine for
    # every definition (Eqs. 22-24), to 1e-12 (the same state, two codes); with tau > 0, t = 0 is
    # the equilibrium of A exactly, U_diff(t) - U_diff(0) = W(t) (closed universe, fixed H_R), the
    # end point's U_H*, U_E* are Tr[X*^B rho_S(tau)] with the dense engine's B operators, and the
    # entropy production beta (W - Delta F*_S) >= 0 along the way
    q = st.exact.quench(two_spin(0.0), two_spin(2.0), beta=1.0)
    eq_A = st.exact.equilibrium(two_spin(0.0), beta=1.0)
    eq_B = st.exact.equilibrium(two_spin(2.0), beta=1.0)
    sudden = drive_composite(two_spin, PATH, 0.0, beta=1.0)
    for key in ("diff", "H*", "E*"):
        assert sudden.energy[key][-1] == pytest.approx(eq_A.U[key] + q.work[key], abs=1e-12), key
    finite = drive_composite(two_spin, PATH, 2.0, beta=1.0, dt=0.02, times=np.linspace(0.0, 2.0, 5))
    for key in ("diff", "H*", "E*"):
        assert finite.energy[key][0] == pytest.approx(eq_A.U[key], abs=1e-12), key
    np.testing.assert_allclose(finite.energy["diff"] - finite.energy["diff"][0], finite.work, atol=1e-12)
    for key, op in (("H*", eq_B.H_star), ("E*", eq_B.E_star)):
        assert finite.energy[key][-1] == pytest.approx(np.real(np.trace(op @ finite.rho_S[-1])), abs=1e-12)
    assert finite.free_energy[-1] - finite.free_energy[0] == pytest.approx(finite.delta_F_S, abs=1e-12)
    assert np.all(finite.entropy_production >= -1e-10) and finite.entropy_production[0] == pytest.approx(0.0, abs=1e-12)
    # the interior lambda(t) operators come from the dense engine too: t = 1 is eps = 1
    eq_mid = st.exact.equilibrium(two_spin(1.0), beta=1.0)
    assert finite.energy["E*"][2] == pytest.approx(np.real(np.trace(eq_mid.E_star @ finite.rho_S[2])), abs=1e-12)


def test_typicality_road_energies_within_their_error_bars(qubit_chain_drives):
    # the typicality road's U_diff, U_H*, U_E* and entropy production at the end of the same drive,
    # against the dense road, within 5 error bars
    dense, typical, build, path = qubit_chain_drives
    for key in ("diff", "H*", "E*"):
        assert abs(typical.energy[key][-1] - dense.energy[key][-1]) < 5 * typical.errors[f"energy_{key}"][-1], key
    assert abs(typical.entropy_production[-1] - dense.entropy_production[-1]) < 5 * typical.errors["entropy_production"][-1]
    skipped = drive_composite(build, path, 2.0, beta=1.0, dt=0.05, mean_force=False)
    assert np.isnan(skipped.energy["H*"]).all() and skipped.work[-1] == pytest.approx(dense.work[-1], abs=1e-14)
