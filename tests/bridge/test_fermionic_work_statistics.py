"""Fermionic work statistics by determinants (issue 23): checked against the exact engine through
Jordan-Wigner, the Green's-function engine's Delta F*_S and W_diff, and Wick's variance."""

from __future__ import annotations

import numpy as np
import pytest

import strongtherm as st
from strongtherm.exact.statistics import work_statistics
from strongtherm.gaussian import fock
from strongtherm.gaussian.statistics import quench_work_statistics
from strongtherm.negf.universe import Universe

RLM = st.models.resonant_level(t0=1.25)
START, END = {"eps_s": 0.0, "V": 0.6}, {"eps_s": 1.0, "V": 0.9}


def test_determinants_equal_the_exact_engine_in_fock_space():
    # a universe of 1 level + 4 chain sites (2^5 = 32 many-body states) at mu = 0: chi(u) by
    # determinants against the exact engine's TPM of the Jordan-Wigner composite (1e-12)
    bath = st.Bath(T=0.4, mu=0.0)
    u = np.linspace(0.0, 6.0, 13)
    fermions = quench_work_statistics(RLM, bath, START, END, u, L=4)
    universe = Universe(RLM, 4)
    A = fock.composite(universe.dense(RLM.resolve(START)), 1)
    B = fock.composite(universe.dense(RLM.resolve(END)), 1)
    exact = work_statistics(A, B, beta=bath.beta)
    assert np.max(np.abs(fermions.characteristic.values - exact.characteristic_function(u))) < 1e-12
    assert fermions.mean == pytest.approx(exact.mean, abs=1e-12)
    assert fermions.variance == pytest.approx(exact.variance, abs=1e-12)
    assert fermions.delta_Omega == pytest.approx(exact.delta_F, abs=1e-12)


def test_jarzynski_and_the_green_function_engine():
    # chi(i beta) = Xi_B / Xi_A of the finite universe (1e-9: e^{-beta h} at beta = 10 scales the
    # determinant's entries by e^{beta x spread / 2}); Omega_B - Omega_A of L = 150 sites equals
    # Delta F*_S of the infinite chain to 1e-10 at T = 0.1 (DESIGN: the chain converges once its
    # level spacing is well below T), and <W> = W_diff of the Gaussian quench engine
    bath = st.Bath(T=0.1, mu=0.2)
    stats = quench_work_statistics(RLM, bath, START, END, [0.0, 0.5], L=150)
    assert abs(stats.jarzynski_gap) < 1e-9
    q = st.gaussian.quench(RLM, bath, start=START, end=END)
    assert stats.delta_Omega == pytest.approx(q.delta_F_S, abs=1e-10)
    assert stats.mean == pytest.approx(q.work["diff"], abs=1e-10)


def test_exact_cumulants_are_the_derivatives_of_chi():
    # ln chi(u) = i <W> u - Var u^2 / 2 + O(u^3): a central difference at u = 1e-3 of the computed
    # chi against Wick's variance (truncation ~ u^2 kappa_4 ~ 1e-6 relative)
    bath = st.Bath(T=0.2, mu=0.0)
    h = 1e-3
    stats = quench_work_statistics(RLM, bath, START, END, [0.0, h, 2 * h], L=40)
    log_chi = np.log(stats.characteristic.values)
    assert np.imag(log_chi[1]) / h == pytest.approx(stats.mean, rel=1e-5)
    second = np.real(log_chi[2] - 2 * log_chi[1] + log_chi[0]) / h**2
    assert -second == pytest.approx(stats.variance, rel=1e-5)


def test_distribution_from_chi_holds_the_weight_and_the_mean():
    bath = st.Bath(T=0.3, mu=0.0)
    u = np.linspace(0.0, 40.0, 401)
    stats = quench_work_statistics(RLM, bath, START, END, u, L=30)
    W, density, resolution = stats.characteristic.distribution()
    assert np.trapezoid(density, W) == pytest.approx(1.0, abs=1e-3)
    assert np.trapezoid(W * density, W) == pytest.approx(stats.mean, abs=5e-3)
    assert resolution == pytest.approx(2 * np.pi / 40.0)


def test_bad_input():
    bath = st.Bath(T=0.3)
    with pytest.raises(ValueError, match="u must be"):
        quench_work_statistics(RLM, bath, START, END, [[0.0, 1.0]])
    with pytest.raises(ValueError, match="L must be"):
        quench_work_statistics(RLM, bath, START, END, [0.0], L=1)
    with pytest.raises(ValueError, match="no parameter"):
        quench_work_statistics(RLM, bath, {"x": 1.0}, END, [0.0])


def test_a_cold_wide_universe_leaves_jarzynski_unevaluated_not_nan():
    # at T = 0.03 on 600 sites, det[1 - c + c e^{-beta h_B} e^{beta h_A}] overflows double precision
    # although beta x spread < 600: the average must be None (with a clear error from the gap),
    # not inf or NaN, and no RuntimeWarning may escape
    import warnings

    model = st.models.resonant_level(t0=1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        stats = quench_work_statistics(model, st.Bath(T=0.03, mu=0.3), {"eps_s": 0.0, "V": 1.0},
                                       {"eps_s": 0.8, "V": 1.0}, [1.0], L=600)
    assert stats.jarzynski_average is None
    with pytest.raises(ValueError, match="higher temperature"):
        _ = stats.jarzynski_gap


def test_orthogonality_exponent_at_finite_temperature():
    # a potential U on the end site of a chain: at T > 0, |chi(u)| ~ (pi T / sinh(pi T u))^{(delta/pi)^2}
    # once u >> 1/(pi T); the fitted exponent is the phase shift's (delta/pi)^2 to 1e-3 (measured
    # 6.5e-5 here at L = 400; band-curvature corrections ~ (T / bandwidth)^2 ~ 1e-3 bound it)
    from strongtherm.papers.fluctuations import orthogonality_exponent

    T, L = 0.1, 300
    u = np.linspace(15.0, 100.0, 10)
    stats = quench_work_statistics(st.models.resonant_level(t0=1.0), st.Bath(T=T, mu=0.3), {"eps_s": 0.0, "V": 1.0},
                                   {"eps_s": 0.8, "V": 1.0}, u, L=L)
    conformal = np.log(np.sinh(np.pi * T * u) / (np.pi * T))
    slope = -np.polyfit(conformal, np.log(np.abs(stats.characteristic.values)), 1)[0]
    assert abs(slope / orthogonality_exponent(0.8, 1.0, 0.3) - 1.0) < 1e-3


def test_driven_work_statistics_at_finite_speed():
    # chi(u) of a ramp from the evolved orbitals (gaussian.statistics.driven_work_statistics):
    # * tau = 1e-6 is the sudden quench (1e-9: the ramp's own effect is O(tau^2 h^2) ~ 1e-12);
    # * <W> is the drive's W_ext, a second road (power quadrature vs the energy of the evolved
    #   state; 2e-8: both held to work_tol = 1e-8);
    # * Jarzynski holds at every speed for the universe (1e-9, as for the quench); the variance is
    #   the second derivative of ln chi at u = 0 (1e-6: central difference at h = 1e-3)
    from strongtherm.gaussian.statistics import driven_work_statistics

    bath = st.Bath(T=0.2, mu=0.2)
    path = st.Path.line(START, END)
    L = 60
    sudden = quench_work_statistics(RLM, bath, START, END, [0.5, 2.0, 5.0], L=L)
    fast = driven_work_statistics(RLM, bath, st.dynamics.Protocol(path, duration=1e-6), [0.5, 2.0, 5.0], L=L)
    assert np.max(np.abs(fast.characteristic.values - sudden.characteristic.values)) < 1e-9
    h = 1e-3
    for tau, hold in ((0.5, 0.0), (3.0, 1.0)):
        proto = st.dynamics.Protocol(path, duration=tau, hold=hold)
        stats = driven_work_statistics(RLM, bath, proto, [-h, h], L=L)
        run = st.dynamics.drive(RLM, bath, proto, times=[0.0, tau + hold], L=L, reference=False,
                                mean_force_energies=False, entropy=False)
        assert stats.mean == pytest.approx(float(run.W_ext[-1]), abs=2e-8)
        assert abs(stats.jarzynski_gap) < 1e-9
        log_chi = np.log(stats.characteristic.values)
        assert -(log_chi[0] + log_chi[1]).real / h**2 == pytest.approx(stats.variance, rel=1e-6)


def test_dropping_the_empty_modes_leaves_chi_unchanged(monkeypatch):
    # a cold, half-filled chain (T = 0.02: 60 of 121 modes have c < 1e-18) with mu inside the band:
    # chi(u) with the empty modes dropped against the full determinant. The bound is 2 sum c_j
    # <= 2e-16 over the dropped modes; 1e-14 leaves room for the rounding of two different
    # factorizations of matrices of order 60 and 121
    import strongtherm.gaussian.statistics as statistics

    bath = st.Bath(T=0.02, mu=0.1)
    u = np.linspace(0.0, 40.0, 21)
    dropped = quench_work_statistics(RLM, bath, START, END, u, L=120)
    e_A = np.linalg.eigvalsh(Universe(RLM, 120).dense(RLM.resolve(START)))
    assert np.sum(bath.fermi(e_A) <= statistics.EMPTY_MODE) > 40  # the test drops many modes
    monkeypatch.setattr(statistics, "EMPTY_MODE", -1.0)  # keep every mode
    full = quench_work_statistics(RLM, bath, START, END, u, L=120)
    assert np.max(np.abs(dropped.characteristic.values - full.characteristic.values)) < 1e-14
    assert np.min(np.abs(full.characteristic.values)) < 0.5  # chi has moved far from 1 on this grid


def test_chi_equals_its_definition_in_the_site_basis():
    # chi(u) = det[1 - C + C e^{i u h_B} e^{-i u h_A}] formed literally in the site basis (scipy's
    # expm, C = f(h_A)) against the element-wise road of _chi: a warm universe (every mode kept,
    # one LU of the N x N product form) and a cold one (T = 0.02: the empty modes dropped and the
    # Schur complement taken). 1e-12: two different factorizations of matrices of order 61
    from scipy.linalg import expm

    import strongtherm.gaussian.statistics as statistics

    universe = Universe(RLM, 60)
    h_A, h_B = universe.dense(RLM.resolve(START)), universe.dense(RLM.resolve(END))
    u = np.array([0.0, 0.3, 2.0, 7.5, 25.0])
    for bath in (st.Bath(T=0.3, mu=0.1), st.Bath(T=0.02, mu=0.1)):
        e_A, V_A = np.linalg.eigh(h_A)
        C = (V_A * bath.fermi(e_A)) @ V_A.conj().T
        literal = [np.linalg.det(np.eye(61) - C + C @ expm(1j * x * h_B) @ expm(-1j * x * h_A)) for x in u]
        stats = quench_work_statistics(RLM, bath, START, END, u, L=60)
        assert np.max(np.abs(stats.characteristic.values - literal)) < 1e-12
    assert np.sum(st.Bath(T=0.02, mu=0.1).fermi(e_A) <= statistics.EMPTY_MODE) > 20  # the cold case drops modes


def test_the_schur_road_falls_back_to_the_full_determinant(monkeypatch):
    # the cold universe of the test above, with the Schur road's conditioning test made to fail
    # (SCHUR_CONDITION above 1): the full determinant is taken and chi is the same (1e-14, two
    # factorizations of different matrices)
    import strongtherm.gaussian.statistics as statistics

    bath = st.Bath(T=0.02, mu=0.1)
    u = np.linspace(0.0, 40.0, 21)
    schur = quench_work_statistics(RLM, bath, START, END, u, L=120)
    monkeypatch.setattr(statistics, "SCHUR_CONDITION", 2.0)
    full = quench_work_statistics(RLM, bath, START, END, u, L=120)
    assert np.max(np.abs(schur.characteristic.values - full.characteristic.values)) < 1e-14


def test_a_determinant_that_lost_its_digits_is_not_reported_as_a_jarzynski_gap():
    # the resonant level at T = 0.05 on 150 sites: beta x spread = 200 passes the overflow test,
    # but det[1 - C + C e^{-beta h_B} e^{beta h_A}] came out 63 % off Xi_B / Xi_A (a "gap" of 0.49,
    # pure rounding). Its two similar forms disagree, so the average is not evaluated; at T = 0.1
    # on the same chain they agree to ~1e-11 and the equality holds to 1e-9
    cold = quench_work_statistics(RLM, st.Bath(T=0.05, mu=0.0), START, END, [1.0], L=150)
    assert cold.jarzynski_average is None
    with pytest.raises(ValueError, match="loses its digits"):
        _ = cold.jarzynski_gap
    warm = quench_work_statistics(RLM, st.Bath(T=0.1, mu=0.0), START, END, [1.0], L=150)
    assert abs(warm.jarzynski_gap) < 1e-9
