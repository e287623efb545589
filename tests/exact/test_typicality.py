"""Mean-force thermodynamics by quantum typicality (issue 24, item 1): against the dense engine
within the reported error bars, with calibrated z-scores, and symmetry zeros within their bars."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

import strongtherm as st
from strongtherm.exact.typicality import typical_equilibrium


def random_composite(seed, d_S=2, d_R=64, coupling=0.1):
    r = np.random.default_rng(seed)

    def herm(d, scale):
        X = r.normal(size=(d, d)) + 1j * r.normal(size=(d, d))
        return scale * 0.5 * (X + X.conj().T)

    return herm(d_S, 1.0), herm(d_R, 0.3), herm(d_S * d_R, coupling)


def test_z_scores_against_the_dense_engine_are_calibrated():
    # 24 independent models and seeds: (typical - dense) / error for F_S and U_diff should look like
    # a standard normal; with 24 draws, the sample standard deviation lies in [0.55, 1.6] and at most
    # two |z| exceed 3 for a calibrated error bar (failure probability of this test < 1e-3)
    z = {"F_S": [], "U_diff": []}
    for seed in range(24):
        H_S, H_R, V = random_composite(seed)
        dense = st.exact.equilibrium(st.exact.Composite(H_S=H_S, H_R=H_R, V=V), beta=1.0)
        typical = typical_equilibrium(H_S, H_R, V, beta=1.0, samples=16, rng=1000 + seed)
        z["F_S"].append((typical.F_S - dense.F_S) / typical.errors["F_S"])
        z["U_diff"].append((typical.U["diff"] - dense.U["diff"]) / typical.errors["U_diff"])
    for key, values in z.items():
        values = np.array(values)
        assert 0.55 < values.std(ddof=1) < 1.6, (key, values)
        assert np.sum(np.abs(values) > 3) <= 2, (key, values)


def test_operators_within_their_error_bars():
    H_S, H_R, V = random_composite(5, d_S=3, d_R=40)
    dense = st.exact.equilibrium(st.exact.Composite(H_S=H_S, H_R=H_R, V=V), beta=0.8)
    typical = typical_equilibrium(H_S, H_R, V, beta=0.8, samples=32, rng=9)
    for name in ("rho_S", "H_star", "E_star"):
        deviation = np.abs(getattr(typical, name) - getattr(dense, name)) / typical.errors[name]
        assert np.max(deviation) < 5.0, (name, np.max(deviation))


def test_parity_forbidden_elements_vanish_within_their_error_bars():
    # H = (eps/2) sz (x) 1 + 1 (x) H_R + g sx (x) X_R with H_R, X_R commuting with a reservoir parity
    # P_R: the total parity sz (x) P_R is conserved, so rho_S commutes with sz and rho_S[0, 1] = 0
    d_R = 64
    r = np.random.default_rng(3)
    parity = np.diag(np.where(np.arange(d_R) % 2 == 0, 1.0, -1.0))
    A = r.normal(size=(d_R, d_R))
    H_R = 0.5 * (A + A.T)
    H_R = 0.5 * (H_R + parity @ H_R @ parity)  # even under P_R
    B = r.normal(size=(d_R, d_R))
    X_R = 0.5 * (B + B.T)
    X_R = 0.5 * (X_R - parity @ X_R @ parity)  # odd under P_R
    sz, sx = np.diag([1.0, -1.0]), np.array([[0.0, 1.0], [1.0, 0.0]])
    V = 0.3 * np.kron(sx, X_R)
    typical = typical_equilibrium(0.5 * sz, sp.csr_matrix(0.2 * H_R), V, beta=1.0, samples=24, rng=4)
    assert abs(typical.rho_S[0, 1]) < 4.0 * typical.errors["rho_S"][0, 1]
    dense = st.exact.equilibrium(st.exact.Composite(H_S=0.5 * sz, H_R=0.2 * H_R, V=V), beta=1.0)
    assert abs(dense.rho_S[0, 1]) < 1e-12  # the symmetry is real


def test_bad_input_is_named():
    H_S, H_R, V = random_composite(1, d_R=8)
    with pytest.raises(ValueError, match="samples"):
        typical_equilibrium(H_S, H_R, V, beta=1.0, samples=2)
    with pytest.raises(ValueError, match="beta"):
        typical_equilibrium(H_S, H_R, V, beta=-1.0)
    with pytest.raises(ValueError, match="V must have shape"):
        typical_equilibrium(H_S, H_R, np.eye(3), beta=1.0)
    with pytest.raises(ValueError, match="H_R must be Hermitian"):
        typical_equilibrium(H_S, H_R + np.triu(np.ones((8, 8)), 1), V, beta=1.0)


def test_xx_chain_boundary_spin_equals_the_gaussian_engine():
    # a qubit on an XX chain is, by Jordan-Wigner, a level on a free-fermion chain: the reduced state
    # (down = occupied) and F*_S (+ eps/2, the constant of H_S = (eps/2) Z) come from the Gaussian
    # engine exactly; typicality at d = 2^12 (real vectors, 8 samples) within 5 error bars, and the
    # dense engine at d = 2^7 to 1e-12 (the mapping itself)
    from strongtherm.models.spin_chains import qubit_on_spin_chain, xx_chain_as_fermions

    eps, J, J_c, beta = 0.7, 1.0, 0.4, 1.0

    def gaussian(n):
        return st.gaussian.mean_force_from_hamiltonian(xx_chain_as_fermions(n, eps=eps, J=J, J_c=J_c), 1,
                                                       st.Bath(T=1.0 / beta, mu=0.0))

    H_S, H_R, V = qubit_on_spin_chain(6, eps=eps, J=J, Jz=0.0, J_c=J_c, Jz_c=0.0)
    dense = st.exact.equilibrium(st.exact.Composite(H_S=H_S, H_R=H_R.toarray(), V=V.toarray()), beta=beta)
    assert dense.F_S == pytest.approx(gaussian(6).F_S + eps / 2, abs=1e-12)
    assert dense.rho_S[1, 1].real == pytest.approx(gaussian(6).reduced_state.N, abs=1e-12)
    H_S, H_R, V = qubit_on_spin_chain(11, eps=eps, J=J, Jz=0.0, J_c=J_c, Jz_c=0.0)
    typical = typical_equilibrium(H_S, H_R, V, beta=beta, samples=8, rng=2)
    exact = gaussian(11)
    assert abs(typical.F_S - (exact.F_S + eps / 2)) < 5 * typical.errors["F_S"]
    assert abs(typical.rho_S[1, 1] - exact.reduced_state.N) < 5 * typical.errors["rho_S"][1, 1]
