"""The alpha-partition of Kumar, Webb & Stafford (2024), Eqs. (22) and (24), as pure functions.

Shared by the Green's-function engine, the finite-chain road and the dynamics wing: they compute
the spectral matrices differently, and combine them here by one definition.
"""

from __future__ import annotations

import numpy as np

from .validation import check_alpha_partition

__all__ = ["alpha_energy", "alpha_entropy", "entropy_coefficient"]


def entropy_coefficient(
    C: np.ndarray, log_f: np.ndarray, log_one_minus_f: np.ndarray, weight: np.ndarray | None = None
) -> float:
    """Coefficient of (1 - 2 alpha) in Eq. (24): -Tr[C L_f] - Tr[(M - C) L_1mf].

    The double energy integral of Eq. (24) separates into traces of the energy-weighted system
    spectral matrices C = int A f, L_f = int A ln f, L_1mf = int A ln(1 - f) and M = int A
    (the identity when every state is counted, bound states included; ``weight=None``).
    """
    if C.shape == (1, 1):  # one level: numbers, no matrix products
        c, m = complex(C[0, 0]), 1.0 if weight is None else complex(weight[0, 0])
        return float((-c * complex(log_f[0, 0]) - (m - c) * complex(log_one_minus_f[0, 0])).real)
    M = np.eye(C.shape[0]) if weight is None else weight
    return float(np.real(-np.trace(C @ log_f) - np.trace((M - C) @ log_one_minus_f)))


def alpha_entropy(S_S: float, coefficient: float, alpha: float) -> float:
    """alpha-S_S, Eq. (24): 2 alpha S_S + (1 - 2 alpha) x coefficient; alpha in [0, 1]."""
    a = check_alpha_partition(alpha)
    return 2.0 * a * S_S + (1.0 - 2.0 * a) * coefficient


def alpha_energy(H_S: float, H_SR: float, alpha: float) -> float:
    """alpha-U_S = <H_S + alpha H_SR>, Eq. (22); alpha = 1/2 is the Hilbert-space partition."""
    a = check_alpha_partition(alpha)
    return H_S + a * H_SR
