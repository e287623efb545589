"""Spin models for the exact mean-force engine (Davoudi et al. 2025, Sec. VI).

* :func:`two_spin` - Eq. (38): ``H_SR = eps/2 σ_S^z + alpha/2 σ_R^z + gamma σ_S^z σ_R^z + chi σ_S^x σ_R^x``.
  Here ``alpha`` is the reservoir spin's splitting, unrelated to the alpha of the alpha-partition.
* :func:`constrained_two_spin` - Eq. (39): the lattice-gauge-like model with the Gauss-law
  penalty ``k (1 - σ_S^z σ_R^z)``; large ``k`` tests numerical stability (``pi_S`` stays full rank,
  since both ↑↑ and ↓↓ survive the constraint).
* :func:`pauli_string`, :func:`pauli_hamiltonian`, :func:`pauli_composite` - Pauli-string builders
  that split a qubit Hamiltonian into system, reservoir and interaction parts.
* :func:`random_composite` - seeded random models (GUE-like) for tests of the laws.

Basis: ``σ^z`` eigenbasis with |↑> = (1, 0) (``σ^z = +1``) first, system qubits first; this is
the order of Eqs. (60)-(63), where ``X_-`` belongs to |↑>. Energies in the user's unit.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import reduce

import numpy as np

from ..core.validation import check_integer, check_real
from ..exact.composite import Composite

__all__ = [
    "PAULI",
    "constrained_two_spin",
    "pauli_composite",
    "pauli_hamiltonian",
    "pauli_string",
    "random_composite",
    "two_spin",
]

#: Single-qubit Pauli matrices in the σ^z eigenbasis (|↑>, |↓>).
PAULI: Mapping[str, np.ndarray] = {
    "I": np.eye(2, dtype=complex),
    "X": np.array([[0, 1], [1, 0]], dtype=complex),
    "Y": np.array([[0, -1j], [1j, 0]], dtype=complex),
    "Z": np.array([[1, 0], [0, -1]], dtype=complex),
}


def pauli_string(labels: str) -> np.ndarray:
    """Kronecker product of Pauli matrices, e.g. ``"ZX"`` = σ^z ⊗ σ^x (first qubit leftmost)."""
    if not labels or any(c not in PAULI for c in labels.upper()):
        raise ValueError(f"labels must be a non-empty string of I, X, Y, Z, got {labels!r}")
    return reduce(np.kron, (PAULI[c] for c in labels.upper()))


def pauli_hamiltonian(terms: Mapping[str, float], n_qubits: int | None = None) -> np.ndarray:
    """``sum_P c_P P`` over Pauli strings, e.g. ``{"ZI": 0.5, "XX": 1.8}``; all strings equally long."""
    if not terms:
        raise ValueError("terms must contain at least one Pauli string")
    lengths = {len(p) for p in terms}
    if len(lengths) != 1 or (n_qubits is not None and lengths != {n_qubits}):
        raise ValueError(f"all Pauli strings in terms must have the same length{'' if n_qubits is None else f' {n_qubits}'}, got {sorted(terms)}")
    n = lengths.pop()
    H = np.zeros((2**n, 2**n), dtype=complex)
    for labels, coefficient in terms.items():
        H += check_real(f"coefficient of {labels!r}", coefficient) * pauli_string(labels)
    return H


def pauli_composite(terms: Mapping[str, float], n_S: int) -> Composite:
    """Split a Pauli-string Hamiltonian into system (first ``n_S`` qubits), reservoir and interaction.

    A string acting as the identity on all reservoir qubits goes to ``H_S``, one acting as the
    identity on all system qubits to ``H_R`` (the all-identity string is counted in ``H_S``), every
    other string to ``V``.
    """
    n = {len(p) for p in terms}
    if len(n) != 1:
        raise ValueError(f"all Pauli strings in terms must have the same length, got {sorted(terms)}")
    n_total = n.pop()
    if not 0 < n_S < n_total:
        raise ValueError(f"n_S must be in [1, {n_total - 1}] for {n_total}-qubit strings, got {n_S}")
    n_R = n_total - n_S
    H_S = np.zeros((2**n_S, 2**n_S), dtype=complex)
    H_R = np.zeros((2**n_R, 2**n_R), dtype=complex)
    V = np.zeros((2**n_total, 2**n_total), dtype=complex)
    for labels, coefficient in terms.items():
        c = check_real(f"coefficient of {labels!r}", coefficient)
        on_S, on_R = labels[:n_S].upper(), labels[n_S:].upper()
        if set(on_R) == {"I"}:
            H_S += c * pauli_string(on_S)
        elif set(on_S) == {"I"}:
            H_R += c * pauli_string(on_R)
        else:
            V += c * pauli_string(labels)
    return Composite(H_S=H_S, H_R=H_R, V=V)


def two_spin(eps: float, alpha: float, gamma: float, chi: float) -> Composite:
    """Two-spin model, Eq. (38) of Davoudi et al. (2025).

    Parameters
    ----------
    eps
        System splitting ε (``H_S = eps/2 σ^z``), in units of energy.
    alpha
        Reservoir splitting α (``H_R = alpha/2 σ^z``); not the alpha of the alpha-partition.
    gamma, chi
        Couplings ``V = gamma σ^z σ^z + chi σ^x σ^x``.
    """
    terms = {
        "ZI": check_real("eps", eps) / 2,
        "IZ": check_real("alpha", alpha) / 2,
        "ZZ": check_real("gamma", gamma),
        "XX": check_real("chi", chi),
    }
    return pauli_composite(terms, n_S=1)


def constrained_two_spin(eps: float, alpha: float, chi: float, k: float) -> Composite:
    """Constrained two-spin model, Eq. (39): Eq. (38) with ``gamma = -k`` plus ``k 1``.

    ``V = chi σ^x σ^x + k (1 - σ^z σ^z)``; ``k >= 0`` is the Gauss-law penalty (any ``k`` up to
    ``~1e300`` stays finite: the engine shifts by the ground energy).
    """
    k = check_real("k", k, low=0.0)
    two_spin_part = two_spin(eps, alpha, -k, chi)
    return two_spin_part.replace(V=two_spin_part.V + k * np.eye(4))


def random_composite(
    d_S: int,
    d_R: int,
    rng: np.random.Generator | int | None = None,
    *,
    coupling: float = 1.0,
    complex_valued: bool = True,
) -> Composite:
    """A random system + reservoir, for tests of identities and laws on generic (non-commuting) models.

    ``H_S``, ``H_R`` and ``V`` are independent GUE (GOE if ``complex_valued=False``) matrices
    normalised so that their spectra have width of order one, ``V`` scaled by ``coupling``.
    ``rng`` is a ``numpy.random.Generator``, a seed, or ``None`` (fresh entropy).
    """
    for name, d in (("d_S", d_S), ("d_R", d_R)):
        check_integer(name, d, low=1)
    coupling = check_real("coupling", coupling)
    rng = np.random.default_rng(rng)

    def hermitian(n: int) -> np.ndarray:
        M = rng.normal(size=(n, n))
        if complex_valued:
            M = M + 1j * rng.normal(size=(n, n))
        return (M + M.conj().T) / (2 * np.sqrt(2 * n))

    return Composite(H_S=hermitian(d_S), H_R=hermitian(d_R), V=coupling * hermitian(d_S * d_R))
