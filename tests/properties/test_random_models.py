"""The laws and identities on random models (hypothesis; issue 9, habits).

Each property is an identity or a law that must hold for *every* admissible model, so it is drawn
at random instead of checked on the hand-picked cases of the other tests:

* exact engine (Davoudi et al. 2025): H*_S and E*_S are Hermitian (real energies), U_E* = U_diff
  in the Gibbs state (App. B), and the second law W - Delta F_S >= 0 for W_diff and W_H*
  (Eqs. 29-30) on random quenches;
* Green's-function engine (Kumar et al. 2024): the sum rules int g_S = n, int delta g_R = 0,
  U_S = <H_S> + <H_SR>/2 (Eq. 14), 0 <= S_S <= n ln 2, and through the Gaussian bridge
  U_E* = U_diff and the second law of the fermionic quench.

Example counts are kept small (each negf example costs tens of milliseconds); the seeds are drawn
by hypothesis, so a failure prints a reproducible example.
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hs

import strongtherm as st
from strongtherm.models import affine_open_system
from strongtherm.negf import TightBindingChain

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
seeds = hs.integers(min_value=0, max_value=2**32 - 1)


def _is_hermitian(M: np.ndarray, atol: float) -> bool:
    return bool(np.max(np.abs(M - M.conj().T)) <= atol * max(1.0, float(np.max(np.abs(M)))))


@SETTINGS
@given(seed=seeds, beta=hs.floats(0.2, 5.0), coupling=hs.floats(0.05, 2.0))
def test_exact_engine_identities_and_second_law(seed, beta, coupling):
    A = st.models.random_composite(2, 3, rng=seed, coupling=coupling)
    B = A.replace(H_S=st.models.random_composite(2, 3, rng=seed + 1).H_S)  # a system quench (Eq. 14)
    q = st.exact.quench(A, B, beta=beta)
    for eq in (q.A, q.B):
        # Hermitian operators have real energies; rounding of an eigendecomposition: 1e-12
        assert _is_hermitian(eq.H_star, 1e-12) and _is_hermitian(eq.E_star, 1e-12)
        # App. B: U_E* = U_diff in the Gibbs state; both are O(1) sums, rounding 1e-10
        assert abs(eq.U["E*"] - eq.U["diff"]) <= 1e-10
    audit = q.second_law(atol=1e-10)
    assert audit.verdicts["diff"] and audit.verdicts["H*"]  # Eqs. (29), (30): guaranteed


def _random_two_level_model(rng: np.random.Generator):
    chains = tuple(TightBindingChain(t0=float(rng.uniform(0.8, 1.5)), e0=float(rng.uniform(-0.5, 0.5))) for _ in range(2))
    M = rng.normal(size=(2, 2)) + 1j * rng.normal(size=(2, 2))
    h0 = (M + M.conj().T) / 2
    V = (np.array([[rng.uniform(0.2, 1.2), rng.uniform(-0.5, 0.5)]]), np.array([[rng.uniform(-0.5, 0.5), rng.uniform(0.2, 1.2)]]))
    return affine_open_system(
        name="random two-level model",
        reservoirs=chains,
        h_S=h0,
        couplings=V,
        h_S_slopes={"x": np.diag([1.0, -0.5])},
        parameter_domain={"x": (-5.0, 5.0)},
        defaults={"x": 0.0},
    )


@SETTINGS
@given(seed=seeds, T=hs.floats(0.05, 0.5), mu=hs.floats(-1.0, 1.0))
def test_green_function_engine_sum_rules_and_partition(seed, T, mu):
    model = _random_two_level_model(np.random.default_rng(seed))
    eq = st.negf.equilibrium(model, st.Bath(T=T, mu=mu), x=0.0)
    # the engine's quadrature works at atol 1e-11 per integral; 1e-8 leaves room for a handful of
    # integrals combined and for bound states near the band edges
    assert abs(eq.sum_rule_residuals["int g_S - n"]) <= 1e-8
    assert abs(eq.sum_rule_residuals["int delta g_R"]) <= 1e-8
    assert abs(eq.system.U - (eq.expectation_H_S + 0.5 * eq.expectation_H_SR)) <= 1e-8  # Eq. (14)
    assert -1e-10 <= eq.system.S <= 2 * math.log(2) + 1e-10  # spinless: 0 <= S_S <= n ln 2
    assert _is_hermitian(eq.correlation_matrix, 1e-10)
    occupations = np.linalg.eigvalsh(eq.correlation_matrix)
    assert occupations.min() >= -1e-10 and occupations.max() <= 1 + 1e-10  # Pauli


@SETTINGS
@given(seed=seeds, T=hs.floats(0.05, 0.5), mu=hs.floats(-1.0, 1.0), x_end=hs.floats(-2.0, 2.0))
def test_gaussian_bridge_identities_and_second_law(seed, T, mu, x_end):
    model = _random_two_level_model(np.random.default_rng(seed))
    bath = st.Bath(T=T, mu=mu)
    q = st.gaussian.quench(model, bath, start={"x": 0.0}, end={"x": x_end})
    for mf in (q.A, q.B):
        # App. B of Davoudi et al. with K = H - mu N: U_E* = U_diff (contour accuracy: 1e-8)
        assert abs(mf.U_K["E*"] - mf.U_K["diff"]) <= 1e-8
        assert _is_hermitian(mf.H_star.matrix, 1e-10) and _is_hermitian(mf.E_star.matrix, 1e-10)
    audit = q.second_law(atol=1e-8)
    assert audit.verdicts["diff"] and audit.verdicts["H*"]
