"""Dense linear algebra for the exact mean-force engine (Davoudi et al. 2025).

Everything here is generic: a Hermitian matrix ``H`` on a tensor product of dimensions
``(d_S, d_R)`` (system first, so that index ``s * d_R + r`` is the product state ``|s>|r>``), and
an inverse temperature ``beta`` in inverse units of ``H``. Nothing assumes spins or a particular
model, so that Fock-space operators (e.g. ``K = H - mu N``) can be fed in as they are.

Conventions
-----------
* Gibbs weights are taken relative to the ground energy ``E0``: ``p_k = exp(-beta (E_k - E0))``,
  so that nothing overflows for a large energy scale (the constrained two-spin model at
  ``k = 500``), and ``ln Z = ln sum_k p_k - beta E0`` is carried as a logarithm.
* Partial traces are reshapes and contractions, never loops over basis states.
* The Fréchet derivative of the matrix logarithm is evaluated exactly with divided differences of
  ``ln`` in the eigenbasis of its (positive definite) argument; no finite differences.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import numpy as np

from .._convert import as_array  # one QuTiP detection for the package (re-exported here)

__all__ = [
    "as_array",
    "frechet_log",
    "gibbs_weights",
    "hermitian_function",
    "log_divided_differences",
    "partial_trace",
    "reduced_weighted_sums",
    "von_neumann_entropy",
]


def partial_trace(rho: np.ndarray, dims: tuple[int, int], keep: Literal["S", "R"] = "S") -> np.ndarray:
    """Partial trace of an operator on ``S ⊗ R`` (system first).

    Parameters
    ----------
    rho
        Operator(s) of shape ``(..., d_S d_R, d_S d_R)``.
    dims
        ``(d_S, d_R)``.
    keep
        ``"S"`` returns ``Tr_R rho`` of shape ``(..., d_S, d_S)``; ``"R"`` returns ``Tr_S rho``.
    """
    d_S, d_R = dims
    rho = np.asarray(rho)
    if rho.shape[-2:] != (d_S * d_R, d_S * d_R):
        raise ValueError(f"rho must have shape (..., {d_S * d_R}, {d_S * d_R}), but has shape {rho.shape}")
    if keep not in ("S", "R"):
        raise ValueError(f"keep must be 'S' or 'R', got {keep!r}")
    blocks = rho.reshape(*rho.shape[:-2], d_S, d_R, d_S, d_R)
    if keep == "S":
        return np.einsum("...irjr->...ij", blocks)
    return np.einsum("...sisj->...ij", blocks)


def gibbs_weights(energies: np.ndarray, beta: float) -> tuple[np.ndarray, float, float]:
    """Boltzmann weights shifted by the ground energy.

    Returns ``(p, E0, ln_Z)`` with ``p_k = exp(-beta (E_k - E0))`` (so ``max p = 1``, no overflow),
    ``E0 = min E_k`` and ``ln Z = ln(sum p) - beta E0``.
    """
    E = np.asarray(energies, dtype=float)
    E0 = float(np.min(E))
    p = np.exp(-beta * (E - E0))
    return p, E0, float(np.log(np.sum(p)) - beta * E0)


def reduced_weighted_sums(vectors: np.ndarray, weights: np.ndarray, dims: tuple[int, int]) -> np.ndarray:
    """``Tr_R(V diag(w) V^dagger)`` for a stack of weight vectors, without forming ``V diag(w) V^dagger``.

    Parameters
    ----------
    vectors
        Eigenvectors ``V`` as columns, shape ``(d, d)`` with ``d = d_S d_R``.
    weights
        Real weights of shape ``(m, d)`` (or ``(d,)``).
    dims
        ``(d_S, d_R)``.

    Returns
    -------
    ndarray
        Shape ``(m, d_S, d_S)`` (or ``(d_S, d_S)``).

    Notes
    -----
    With ``V`` reshaped to ``(d_S, d_R d)`` the reduced operator is a product of a
    ``(d_S, d_R d)`` and a ``(d_R d, d_S)`` matrix: ``O(d_S d^2)`` work instead of the ``O(d^3)`` of
    forming the full operator, which keeps the engine at about one eigendecomposition per
    Hamiltonian.
    """
    d_S = dims[0]
    w = np.asarray(weights, dtype=float)
    single = w.ndim == 1
    w = np.atleast_2d(w)
    # only eigenvectors with a nonzero weight contribute (weights beyond exp(-745) underflow to 0);
    # skip the copy when all do
    used = np.any(w != 0.0, axis=0)
    V = vectors if np.all(used) else vectors[:, used]
    w = w[:, used]
    left = V.reshape(d_S, -1)
    conj_V = np.conjugate(V)
    weighted = np.empty_like(conj_V)
    out = np.empty((w.shape[0], d_S, d_S), dtype=complex)
    for i, wi in enumerate(w):
        np.multiply(conj_V, wi, out=weighted)
        # (d_S, d_R d) @ (d_R d, d_S): the transpose is a view, BLAS reads it transposed
        out[i] = left @ weighted.reshape(d_S, -1).T
    out = 0.5 * (out + out.conj().swapaxes(-1, -2))
    return out[0] if single else out


def hermitian_function(H: np.ndarray, func: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """``f(H)`` for a Hermitian matrix via its eigendecomposition."""
    w, U = np.linalg.eigh(H)
    return (U * func(w)) @ U.conj().T


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
    return np.where(small, 2.0 / s * series, direct)


def frechet_log(x: np.ndarray, U: np.ndarray, E: np.ndarray) -> np.ndarray:
    """Fréchet derivative of the matrix logarithm, ``D log_X [E]``, for ``X = U diag(x) U^dagger > 0``.

    ``D log_X[E] = U (L ∘ (U^dagger E U)) U^dagger`` with ``L`` the divided differences of ``ln``
    (:func:`log_divided_differences`). This is the exact derivative ``d/dt ln(X + t E)`` at
    ``t = 0``; the product forms ``X^{-1} E`` or ``E X^{-1}`` agree with it only when ``[X, E] = 0``.
    """
    L = log_divided_differences(x)
    Et = U.conj().T @ E @ U
    return U @ (L * Et) @ U.conj().T


def von_neumann_entropy(rho: np.ndarray) -> float:
    """``-Tr rho ln rho`` in nats (zero eigenvalues contribute zero)."""
    p = np.linalg.eigvalsh(rho)
    p = p[p > 0.0]
    return float(-np.sum(p * np.log(p)))
