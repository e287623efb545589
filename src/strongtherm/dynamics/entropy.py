"""Entropies of Gaussian (quasi-free, number-conserving) fermionic states from correlation matrices.

For a Gaussian state rho with C_ij = <a_j^dag a_i>:

* von Neumann entropy S(rho) = sum_k [-c_k ln c_k - (1 - c_k) ln(1 - c_k)], c_k the eigenvalues of C;
* relative entropy to a grand-canonical Gibbs state sigma = exp(-beta (H - mu N)) / Xi of a one-body
  h with eigenvalues e_k:
  D(rho || sigma) = -S(rho) + beta Tr[C (h - mu)] + ln Xi,  ln Xi = sum_k ln(1 + exp(-beta (e_k - mu)))
  (ln sigma = -beta (H - mu N) - ln Xi is a quadratic operator, so its mean is a one-body trace);
* mutual information I(S:R) = S(rho_S) + S(rho_R) - S(rho), rho_S and rho_R the Gaussian states of the
  diagonal blocks of C.

Entropies in nats.
"""

from __future__ import annotations

import numpy as np
from scipy.special import entr

from ..thermal import Bath

__all__ = ["gaussian_entropy", "log_partition_function", "mutual_information", "relative_entropy_to_gibbs"]


def gaussian_entropy(C: np.ndarray) -> float:
    """S = sum_k s(c_k) over the eigenvalues c_k of the Hermitian correlation matrix C (nats)."""
    C = np.asarray(C)
    if C.size == 0:
        return 0.0
    c = np.clip(np.linalg.eigvalsh(0.5 * (C + C.conj().T)), 0.0, 1.0)
    return float(np.sum(entr(c) + entr(1.0 - c)))


def log_partition_function(energies: np.ndarray, bath: Bath) -> float:
    """ln Xi = sum_k ln(1 + exp(-beta (e_k - mu))) = -beta Omega, without overflow."""
    return float(np.sum(np.logaddexp(0.0, -bath.x(np.asarray(energies, dtype=float)))))


def relative_entropy_to_gibbs(C: np.ndarray, h: np.ndarray, bath: Bath, *, energies: np.ndarray | None = None) -> float:
    """D(rho || Gibbs state of h at (T, mu)) for the Gaussian rho with correlation matrix C.

    Parameters
    ----------
    C
        Correlation matrix (N, N).
    h
        One-body Hamiltonian (N, N) of the reference Gibbs state.
    bath
        (T, mu).
    energies
        Eigenvalues of h, if already known.
    """
    e = np.linalg.eigvalsh(h) if energies is None else np.asarray(energies)
    mean_K = float(np.real(np.sum(C * h.T))) - bath.mu * float(np.real(np.trace(C)))  # Tr[C (h - mu)]
    return -gaussian_entropy(C) + bath.beta * mean_K + log_partition_function(e, bath)


def mutual_information(C: np.ndarray, n_system: int) -> float:
    """I(S:R) = S(C_SS) + S(C_RR) - S(C) for the first ``n_system`` modes against the rest (nats)."""
    n = int(n_system)
    return gaussian_entropy(C[:n, :n]) + gaussian_entropy(C[n:, n:]) - gaussian_entropy(C)
