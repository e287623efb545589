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

from typing import Literal

import numpy as np

from ..core.convert import as_array  # one QuTiP detection for the package (re-exported here)
from ..core.linalg import (
    frechet_log,
    hermitian_function,
    log_divided_differences,
    von_neumann_entropy,
)

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
