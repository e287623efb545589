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


def parity_composite(d_R=200):
    # H = (eps/2) sz (x) 1 + 1 (x) H_R + g sx (x) X_R, H_R even and X_R odd under a diagonal reservoir
    # parity P_R: the total parity sz (x) P_R is conserved and diagonal in the product basis
    r = np.random.default_rng(3)
    p_R = np.where(np.arange(d_R) % 2 == 0, 1.0, -1.0)
    A = r.normal(size=(d_R, d_R))
    H_R = 0.5 * (A + A.T) * (p_R[:, None] == p_R[None, :]) * 0.1
    B = r.normal(size=(d_R, d_R))
    X_R = 0.5 * (B + B.T) * (p_R[:, None] != p_R[None, :])
    sz, sx = np.diag([1.0, -1.0]), np.array([[0.0, 1.0], [1.0, 0.0]])
    return 0.5 * sz, H_R, 0.3 * np.kron(sx, X_R), np.kron(np.diag(sz), p_R)


def test_sectors_make_forbidden_elements_structurally_zero():
    # with the conserved parity as sectors, rho_S[0, 1], H*_S[0, 1], E*_S[0, 1] are exactly zero
    # (no sector connects them, so nothing is summed) and so are their error bars; the projector
    # form of the same sectors gives the same numbers to rounding (1e-12: same vectors, same sums)
    H_S, H_R, V, parity = parity_composite()
    typical = typical_equilibrium(H_S, sp.csr_matrix(H_R), V, beta=1.0, samples=8, rng=4, sectors=parity)
    assert typical.sectors == 2
    for name in ("rho_S", "H_star", "E_star"):
        assert getattr(typical, name)[0, 1] == 0.0 and typical.errors[name][0, 1] == 0.0
    projectors = [sp.diags((parity == value).astype(float)) for value in (-1.0, 1.0)]
    again = typical_equilibrium(H_S, sp.csr_matrix(H_R), V, beta=1.0, samples=8, rng=4, sectors=projectors)
    assert again.F_S == pytest.approx(typical.F_S, abs=1e-12)
    # U(1): total S^z of a qubit on an XXZ chain in a field, as values and as the diagonal operator
    from strongtherm.models.spin_chains import qubit_on_spin_chain, total_sz

    H_S, H_R, V = qubit_on_spin_chain(7, eps=1.0, h=0.3)
    for sectors in (total_sz(8), sp.diags(total_sz(8))):
        u1 = typical_equilibrium(H_S, H_R, V, beta=1.0, samples=4, rng=1, sectors=sectors)
        assert u1.sectors == 9 and u1.rho_S[0, 1] == 0.0 and u1.errors["rho_S"][0, 1] == 0.0


def test_sectors_agree_with_the_dense_engine_within_error_bars():
    # qubit + 9-spin XXZ chain in a field (d = 1024, 11 sectors of total S^z), beta = 1, 32 samples,
    # 10 seeds: the z-scores of F*_S, rho_S[0, 0], U_diff, U_H*, U_E* against the dense engine have a
    # standard deviation in [0.5, 1.7] (the jackknife of 32 samples underestimates heavy tails by
    # ~10%; measured 1.0-1.1) and no abs(z) above 4.5 (50 values)
    from strongtherm.models.spin_chains import qubit_on_spin_chain, total_sz

    H_S, H_R, V = qubit_on_spin_chain(9, eps=1.0, h=0.3)
    dense = st.exact.equilibrium(st.exact.Composite(H_S=H_S, H_R=H_R.toarray(), V=V.toarray()), beta=1.0)
    z = []
    for seed in range(10):
        r = typical_equilibrium(H_S, H_R, V, beta=1.0, samples=32, rng=seed, sectors=total_sz(10))
        z += [(r.F_S - dense.F_S) / r.errors["F_S"], (r.rho_S[0, 0] - dense.rho_S[0, 0]).real / r.errors["rho_S"][0, 0]]
        z += [(r.U[k] - dense.U[k]) / r.errors[f"U_{k}"] for k in ("diff", "H*", "E*")]
    z = np.array(z)
    assert 0.5 < z.std() < 1.7 and np.max(np.abs(z)) < 4.5, z


def test_deflated_road_at_low_temperature():
    # beta = 4 (beta x bandwidth ~ 35): the deflated road agrees with the dense engine within 4 error
    # bars, and its error bar on F*_S is > 20x smaller than plain typicality's with the same samples
    # (measured ~40x: the remainder carries only the weight above the 16 lowest states). With U(1)
    # sectors every reservoir sector here has <= 126 states and is diagonalized, and s (x) those
    # states span every universe sector: the result is exact (1e-10, rounding) with zero error bars
    from strongtherm.models.spin_chains import qubit_on_spin_chain, total_sz

    H_S, H_R, V = qubit_on_spin_chain(9, eps=1.0, h=0.3)
    dense = st.exact.equilibrium(st.exact.Composite(H_S=H_S, H_R=H_R.toarray(), V=V.toarray()), beta=4.0)
    plain = typical_equilibrium(H_S, H_R, V, beta=4.0, samples=16, rng=7)
    deflated = typical_equilibrium(H_S, H_R, V, beta=4.0, samples=16, rng=7, method="deflated")
    assert deflated.method == "deflated"
    assert deflated.errors["F_S"] < plain.errors["F_S"] / 20
    assert abs(deflated.F_S - dense.F_S) < 4 * deflated.errors["F_S"]
    for k in ("diff", "H*", "E*"):
        assert abs(deflated.U[k] - dense.U[k]) < 4 * deflated.errors[f"U_{k}"], k
    assert np.max(np.abs(deflated.rho_S - dense.rho_S) - 4 * deflated.errors["rho_S"]) < 1e-15
    exact = typical_equilibrium(H_S, H_R, V, beta=4.0, samples=4, rng=7, method="deflated", sectors=total_sz(10))
    assert exact.F_S == pytest.approx(dense.F_S, abs=1e-10) and exact.errors["F_S"] == 0.0
    assert np.max(np.abs(exact.E_star - dense.E_star)) < 1e-10


def test_deflated_road_on_a_tiny_composite_is_exact():
    # every sector at or below EXACT_SECTOR_DIMENSION is diagonalized: no sampling left, the dense
    # engine's numbers to 1e-10 (rounding of two different eigensolvers) and zero error bars
    H_S, H_R, V, parity = parity_composite(d_R=100)  # two sectors of 100 states
    exact = typical_equilibrium(H_S, H_R, V, beta=2.0, samples=4, rng=0, sectors=parity, method="deflated")
    dense = st.exact.equilibrium(st.exact.Composite(H_S=H_S, H_R=H_R, V=V), beta=2.0)
    assert exact.F_S == pytest.approx(dense.F_S, abs=1e-10) and exact.errors["F_S"] == 0.0
    assert np.max(np.abs(exact.E_star - dense.E_star)) < 1e-10


def test_bad_sectors_and_methods_are_named():
    H_S, H_R, V, parity = parity_composite()
    with pytest.raises(ValueError, match="sectors must have shape"):
        typical_equilibrium(H_S, H_R, V, beta=1.0, sectors=parity[:-1])
    with pytest.raises(ValueError, match="does not conserve"):
        typical_equilibrium(H_S, H_R, V, beta=1.0, sectors=np.arange(parity.size) % 3)
    with pytest.raises(ValueError, match="diagonal"):
        typical_equilibrium(H_S, H_R, V, beta=1.0, sectors=np.ones((parity.size, parity.size)))
    with pytest.raises(ValueError, match="sum to 1"):
        typical_equilibrium(H_S, H_R, V, beta=1.0, sectors=[sp.diags((parity > 0).astype(float))])
    with pytest.raises(ValueError, match="method"):
        typical_equilibrium(H_S, H_R, V, beta=1.0, method="ftlm")
    with pytest.raises(ValueError, match="exact_states"):
        typical_equilibrium(H_S, H_R, V, beta=1.0, method="deflated", exact_states=0)


def test_sectors_on_a_complex_three_level_system():
    # a complex Hermitian model, d_S = 3 with two levels of even parity (s = 0, 2) and one odd; the
    # parity p_S (x) p_R conserved: rho_S[0, 1] and rho_S[1, 2] are structural zeros, rho_S[0, 2] is
    # allowed (and complex); every entry and F*_S, U_E* within 4 error bars of the dense engine on
    # both roads (one seed, 24 samples, 9 entries + 2 scalars each)
    r = np.random.default_rng(0)
    d_R = 240
    p_R = np.where(np.arange(d_R) % 3 == 0, 1.0, -1.0)
    sparse = r.random((d_R, d_R)) < 0.05  # 5% of the entries: a sparse model, as the road is meant for
    sparse = sparse | sparse.T
    A = (r.normal(size=(d_R, d_R)) + 1j * r.normal(size=(d_R, d_R))) * sparse
    H_R = 0.2 * (A + A.conj().T) * (p_R[:, None] == p_R[None, :])
    B = (r.normal(size=(d_R, d_R)) + 1j * r.normal(size=(d_R, d_R))) * sparse
    X_R = 0.5 * (B + B.conj().T) * (p_R[:, None] != p_R[None, :])
    H_S = np.diag([0.0, 0.7, 1.1]) + 0.2 * np.array([[0, 0, 1j], [0, 0, 0], [-1j, 0, 0]])
    V = 0.3 * np.kron(np.array([[0, 1, 0], [1, 0, 1], [0, 1, 0]]), X_R)
    parity = np.kron([1.0, -1.0, 1.0], p_R)
    dense = st.exact.equilibrium(st.exact.Composite(H_S=H_S, H_R=H_R, V=V), beta=1.5)
    assert abs(dense.rho_S[0, 2]) > 0.05 and abs(dense.rho_S[0, 1]) < 1e-12  # the symmetry is real
    for method in ("typicality", "deflated"):
        t = typical_equilibrium(H_S, H_R, V, beta=1.5, samples=24, rng=2, sectors=parity, method=method)
        assert t.rho_S[0, 1] == 0.0 and t.rho_S[1, 2] == 0.0 and t.errors["rho_S"][0, 1] == 0.0
        allowed = t.errors["rho_S"] > 0
        assert np.all(np.abs(t.rho_S - dense.rho_S)[allowed] < 4 * t.errors["rho_S"][allowed]), method
        assert abs(t.F_S - dense.F_S) < 4 * t.errors["F_S"] and abs(t.U["E*"] - dense.U["E*"]) < 4 * t.errors["U_E*"]


def test_sweep_over_beta_against_the_exact_sweep():
    # st.sweep of the ready-made typicality computation over beta (qubit + 6 spins with U(1)
    # sectors from qubit_chain_total_sz, 32 samples) against the exact engine's sweep: every F_S and
    # U within 4.5 of its own reported error (10 values), the errors in the dataset as variables
    pytest.importorskip("xarray")
    from strongtherm.models.spin_chains import qubit_chain_total_sz, qubit_on_spin_chain

    betas = [0.5, 1.0]
    compute = st.sweeps.typical_equilibrium(qubit_on_spin_chain, samples=32, seed=5, sectors=qubit_chain_total_sz, n=6, h=0.3)
    typical = st.sweep(compute, {"beta": betas}, processes=1, progress=False)

    def composite(n, h):
        H_S, H_R, V = qubit_on_spin_chain(n, h=h)
        return st.exact.Composite(H_S=H_S, H_R=H_R.toarray(), V=V.toarray())

    exact = st.sweep(st.sweeps.exact_equilibrium(composite, n=6, h=0.3), {"beta": betas}, processes=1, progress=False)
    for key in ("F_S", "U_diff", "U_Hstar", "U_Estar"):
        z = (typical[key] - exact[key]) / typical[f"error_{key}"]
        assert np.all(np.abs(z) < 4.5), (key, z.values)
    assert typical.attrs["method"] == "typicality" and typical["samples"].values.tolist() == [32.0, 32.0]
    with pytest.raises(ValueError, match="samples"):
        st.sweeps.typical_equilibrium(qubit_on_spin_chain, beta=1.0, samples=1, n=6)
    with pytest.raises(TypeError, match="sectors"):
        st.sweeps.typical_equilibrium(qubit_on_spin_chain, beta=1.0, sectors=np.ones(4), n=6)


def test_memory_budget_is_checked_before_allocation(monkeypatch):
    # a budget below one sector's vectors is refused before H is even assembled
    import strongtherm.exact.typicality as typicality

    H_S, H_R, V, parity = parity_composite()
    # 200 states x 10 columns: the Chebyshev workspace (5 blocks) of the d_S = 2 columns of a sample
    monkeypatch.setattr(typicality, "MAX_BYTES", 16 * 200 * 10)
    with pytest.raises(ValueError, match="largest sector"):
        typical_equilibrium(H_S, H_R, V, beta=1.0)  # one sector of 400 states
    typical_equilibrium(H_S, H_R, V, beta=1.0, samples=4, sectors=parity)  # two of 200 fit
    with pytest.raises(ValueError, match="largest sector"):
        typical_equilibrium(H_S, H_R, V, beta=1.0, sectors=parity, method="deflated")  # its basis does not


def test_deflated_z_scores_are_calibrated():
    # the deflated road at beta = 4 on the qubit + 9-spin chain (no sectors, so the remainder is
    # sampled), 128 samples, 8 seeds: the z-scores of F*_S, rho_S[0, 0], U_diff, U_H*, U_E* against
    # the dense engine have a standard deviation in [0.5, 1.7] and no abs(z) above 4.5 (40 values,
    # strongly correlated within a seed; measured std 1.1, max 2.8). The remainder above the
    # deflated states has few effective states, so its samples are heavy-tailed: at 32 samples the
    # same seeds give std 1.8 and abs(z) up to 4.1 (the jackknife underestimates rare large samples)
    from strongtherm.models.spin_chains import qubit_on_spin_chain

    H_S, H_R, V = qubit_on_spin_chain(9, eps=1.0, h=0.3)
    dense = st.exact.equilibrium(st.exact.Composite(H_S=H_S, H_R=H_R.toarray(), V=V.toarray()), beta=4.0)
    z = []
    for seed in range(8):
        r = typical_equilibrium(H_S, H_R, V, beta=4.0, samples=128, rng=100 + seed, method="deflated")
        z += [(r.F_S - dense.F_S) / r.errors["F_S"], (r.rho_S[0, 0] - dense.rho_S[0, 0]).real / r.errors["rho_S"][0, 0]]
        z += [(r.U[k] - dense.U[k]) / r.errors[f"U_{k}"] for k in ("diff", "H*", "E*")]
    z = np.array(z)
    assert 0.5 < z.std() < 1.7 and np.max(np.abs(z)) < 4.5, z


def test_chebyshev_propagator_equals_expm_multiply():
    # exp_action (Chebyshev series on a Gershgorin bound) against scipy's expm_multiply (Al-Mohy and
    # Higham's Taylor algorithm, independent) on a complex sparse Hermitian H, a block of vectors, at
    # small and large tau (z = tau x half-width from 0.05 to 200): 1e-12 relative to the largest entry
    from scipy.sparse.linalg import expm_multiply

    from strongtherm.exact.typicality import exp_action, upper_bound

    r = np.random.default_rng(11)
    A = sp.random(300, 300, density=0.03, random_state=5) + 1j * sp.random(300, 300, density=0.03, random_state=6)
    H = (A + A.getH()).tocsr()
    E0 = np.linalg.eigvalsh(H.toarray())[0]
    H = (H - E0 * sp.identity(300)).tocsr()
    B = r.normal(size=(300, 3)) + 1j * r.normal(size=(300, 3))
    upper = upper_bound(H)
    assert upper >= np.linalg.eigvalsh(H.toarray())[-1]  # Gershgorin holds
    for tau in (0.01, 1.0, 40.0):
        reference = expm_multiply(-tau * H, B)
        ours = exp_action(H, B, tau, -1e-8, upper)
        assert np.max(np.abs(ours - reference)) < 1e-12 * np.max(np.abs(reference)), tau


@pytest.mark.slow
def test_xx_chain_boundary_spin_at_two_to_the_twenty():
    # issue 24's check at d = 2^20 (STRONGTHERM_REDUCED=1, CI's reduced form: d = 2^16): the qubit on
    # an XX chain of 19 spins against the Gaussian engine through Jordan-Wigner; F*_S and the
    # occupation within 5 error bars (the benchmark measured z = -0.16 and +0.63 with 4 samples)
    import os

    from strongtherm.models.spin_chains import qubit_on_spin_chain, xx_chain_as_fermions

    n = 15 if os.environ.get("STRONGTHERM_REDUCED", "") not in ("", "0") else 19
    eps, J, J_c, beta = 0.7, 1.0, 0.4, 1.0
    H_S, H_R, V = qubit_on_spin_chain(n, eps=eps, J=J, Jz=0.0, J_c=J_c, Jz_c=0.0)
    typical = typical_equilibrium(H_S, H_R, V, beta=beta, samples=4, rng=7)
    exact = st.gaussian.mean_force_from_hamiltonian(xx_chain_as_fermions(n, eps=eps, J=J, J_c=J_c), 1,
                                                    st.Bath(T=1.0 / beta, mu=0.0))
    assert abs(typical.F_S - (exact.F_S + eps / 2)) < 5 * typical.errors["F_S"]
    assert abs(typical.rho_S[1, 1].real - exact.reduced_state.N) < 5 * typical.errors["rho_S"][1, 1]
