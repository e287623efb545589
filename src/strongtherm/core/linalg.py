"""Matrix functions shared by every engine: spectral functions of Hermitian matrices, the exact
Fréchet derivative of the matrix logarithm, and the von Neumann entropy.

The Fréchet derivative is what E*_S = d_beta(beta H*_S) needs (Davoudi et al. 2025, Eq. 12;
DESIGN.md, paper 001 trap 1) in the exact engine and in the Gaussian bridge alike: Eq. (48)'s
product form X^-1 E is right only when X and E commute.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = ["frechet_log", "hermitian_function", "log_divided_differences", "von_neumann_entropy"]


def hermitian_function(H: np.ndarray, func: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """``f(H)`` for a Hermitian matrix via its eigendecomposition."""
    w, U = np.linalg.eigh(H)
    result: np.ndarray = (U * func(w)) @ U.conj().T
    return result


def log_divided_differences(x: np.ndarray) -> np.ndarray:
    """First divided differences of ``ln``: ``L_ij = (ln x_i - ln x_j) / (x_i - x_j)``, ``L_ii = 1/x_i``.

    Stable for nearly equal arguments: with ``z = (x_i - x_j)/(x_i + x_j)``,
    ``ln(x_i/x_j) = 2 atanh(z)``, so ``L_ij = 2/(x_i + x_j) * atanh(z)/z`` and ``atanh(z)/z`` is
    summed as a series for small ``|z|`` (no cancellation in ``ln x_i - ln x_j``).

    Parameters
    ----------
    x
        Positive numbers, shape ``(n,)``.
    """
    x = np.asarray(x, dtype=float)
    xi = x[:, None]
    xj = x[None, :]
    s = xi + xj
    z = (xi - xj) / s
    az = np.abs(z)
    small = az < 0.1
    # atanh(z)/z = sum_n z^(2n)/(2n+1); for |z| < 0.1 twelve terms reach z^24 / 25 < 1e-25
    z2 = np.where(small, z * z, 0.0)
    series = np.zeros_like(z)
    for n in range(12, -1, -1):
        series = 1.0 / (2 * n + 1) + z2 * series
    # away from the diagonal the plain quotient has no cancellation problem
    safe_difference = np.where(small, 1.0, xi - xj)
    direct = np.log(xi / xj) / safe_difference
    result: np.ndarray = np.where(small, 2.0 / s * series, direct)
    return result


def frechet_log(x: np.ndarray, U: np.ndarray, E: np.ndarray) -> np.ndarray:
    """Fréchet derivative of the matrix logarithm, ``D log_X [E]``, for ``X = U diag(x) U^dagger > 0``.

    ``D log_X[E] = U (L ∘ (U^dagger E U)) U^dagger`` with ``L`` the divided differences of ``ln``
    (:func:`log_divided_differences`). This is the exact derivative ``d/dt ln(X + t E)`` at
    ``t = 0``; the product forms ``X^{-1} E`` or ``E X^{-1}`` agree with it only when ``[X, E] = 0``.
    """
    L = log_divided_differences(x)
    Et = U.conj().T @ E @ U
    result: np.ndarray = U @ (L * Et) @ U.conj().T
    return result


def von_neumann_entropy(rho: np.ndarray) -> float:
    """``-Tr rho ln rho`` in nats (zero eigenvalues contribute zero)."""
    p = np.linalg.eigvalsh(rho)
    p = p[p > 0.0]
    return float(-np.sum(p * np.log(p)))
