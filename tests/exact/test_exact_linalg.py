"""Linear algebra of the exact engine: partial traces, log divided differences, Fréchet derivative."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy.linalg import logm

from strongtherm.exact.linalg import (
    as_array,
    frechet_log,
    log_divided_differences,
    partial_trace,
    reduced_weighted_sums,
)


def _random_density(d: int, rng: np.random.Generator) -> np.ndarray:
    M = rng.normal(size=(d, d)) + 1j * rng.normal(size=(d, d))
    rho = M @ M.conj().T
    return rho / np.trace(rho)


@pytest.mark.parametrize("dims", [(2, 3), (3, 2), (1, 4), (4, 1)], ids=str)
def test_partial_trace_matches_explicit_sum(dims):
    rng = np.random.default_rng(1)
    d_S, d_R = dims
    rho = _random_density(d_S * d_R, rng)
    expected_S = sum(rho[r::d_R, r::d_R] for r in range(d_R))
    expected_R = sum(rho[s * d_R:(s + 1) * d_R, s * d_R:(s + 1) * d_R] for s in range(d_S))
    # plain sums of blocks: both are exact up to the rounding of a few additions
    assert_allclose(partial_trace(rho, dims, "S"), expected_S, atol=1e-15)
    assert_allclose(partial_trace(rho, dims, "R"), expected_R, atol=1e-15)


def test_partial_trace_of_product_and_batch():
    rng = np.random.default_rng(2)
    a, b = _random_density(3, rng), _random_density(2, rng)
    stack = np.stack([np.kron(a, b), 2 * np.kron(a, b)])
    # Tr_R (a ⊗ b) = a Tr b = a; batched leading axes are kept
    assert_allclose(partial_trace(stack, (3, 2), "S"), np.stack([a, 2 * a]), atol=1e-15)
    assert_allclose(partial_trace(np.kron(a, b), (3, 2), "R"), b, atol=1e-15)


def test_partial_trace_rejects_bad_shape():
    with pytest.raises(ValueError, match="rho"):
        partial_trace(np.eye(5), (2, 3))
    with pytest.raises(ValueError, match="keep"):
        partial_trace(np.eye(6), (2, 3), keep="X")


def test_partial_trace_agrees_with_qutip():
    qutip = pytest.importorskip("qutip")
    rng = np.random.default_rng(3)
    rho = _random_density(12, rng)
    q = qutip.Qobj(rho, dims=[[3, 4], [3, 4]])
    # QuTiP's ptrace is an independent implementation; both are sums of O(1) numbers
    assert_allclose(partial_trace(rho, (3, 4), "S"), q.ptrace(0).full(), atol=1e-14)
    assert_allclose(partial_trace(rho, (3, 4), "R"), q.ptrace(1).full(), atol=1e-14)
    assert_allclose(as_array(q), rho, atol=0)


def test_reduced_weighted_sums_equals_partial_trace_of_full_operator():
    rng = np.random.default_rng(4)
    M = rng.normal(size=(12, 12)) + 1j * rng.normal(size=(12, 12))
    w, V = np.linalg.eigh(M + M.conj().T)
    weights = np.stack([np.exp(-w), w * np.exp(-w)])
    got = reduced_weighted_sums(V, weights, (3, 4))
    for g, wt in zip(got, weights, strict=True):
        # same sum in a different order: rounding only
        assert_allclose(g, partial_trace((V * wt) @ V.conj().T, (3, 4)), atol=1e-13)


def test_log_divided_differences_limits_and_values():
    x = np.array([1e-8, 0.3, 0.3 + 1e-13, 0.3 + 1e-6, 2.0, 1e5])
    L = log_divided_differences(x)
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 50
    exact = np.empty_like(L)
    for i, a in enumerate(x):
        for j, b in enumerate(x):
            # 50-digit reference on the same (binary) inputs
            A, B = mpmath.mpf(float(a)), mpmath.mpf(float(b))
            exact[i, j] = float(1 / A if A == B else (mpmath.log(A) - mpmath.log(B)) / (A - B))
    # relative accuracy of a few eps, also for the nearly equal pair (series branch)
    assert_allclose(L, exact, rtol=1e-12)
    assert_allclose(np.diag(L), 1 / x, rtol=1e-15)


def test_frechet_log_agrees_with_block_logm():
    rng = np.random.default_rng(5)
    for n in (2, 3, 5):
        A = rng.normal(size=(n, n)) + 1j * rng.normal(size=(n, n))
        X = A @ A.conj().T + 0.1 * np.eye(n)
        E = rng.normal(size=(n, n)) + 1j * rng.normal(size=(n, n))
        E = E + E.conj().T
        x, U = np.linalg.eigh(X)
        block = logm(np.block([[X, E], [np.zeros((n, n)), X]]))
        # ln [[X, E], [0, X]] = [[ln X, Dlog_X[E]], [0, ln X]]: scipy's Schur-Padé logm, an independent road
        assert_allclose(frechet_log(x, U, E), block[:n, n:], atol=1e-10)


def test_frechet_log_is_not_the_product_form_when_noncommuting():
    # the X^{-1} E form (Eq. 48's structure) is wrong when [X, E] != 0
    X = np.array([[2.0, 0.5], [0.5, 1.0]])
    E = np.array([[0.0, 1.0], [1.0, 0.0]])
    x, U = np.linalg.eigh(X)
    assert np.max(np.abs(frechet_log(x, U, E) - E @ np.linalg.inv(X))) > 0.1
    # ... and right when they commute
    E_commuting = X @ X
    assert_allclose(frechet_log(x, U, E_commuting), E_commuting @ np.linalg.inv(X), atol=1e-14)
