"""Jordan-Wigner: noninteracting fermions on a few modes written in Fock space.

The bridge between the two engines (DESIGN.md, "The bridge"): a one-body Hamiltonian ``h`` of
system + a short chain becomes a many-body operator ``H = sum_ij a_i^dag h_ij a_j`` on the
``2^N``-dimensional Fock space, which the exact mean-force engine of Davoudi et al. (2025)
takes as it is (:func:`composite`). This is the second road to every Gaussian formula of
:mod:`strongtherm.gaussian.meanforce` and :mod:`strongtherm.gaussian.quench`.

Basis and sign conventions
--------------------------
* Modes are numbered ``0 .. N-1``; the system's ``n`` modes come first, so that the Fock space
  factorizes as (system modes) ⊗ (reservoir modes) and ``Tr_R`` is the exact engine's ordinary
  partial trace (the Jordan-Wigner strings of system operators never reach the reservoir).
* Each mode is a qubit with ``|0>`` empty and ``|1>`` occupied; the occupation-number state
  ``|n_0 n_1 ... n_{N-1}>`` has index ``sum_j n_j 2^(N-1-j)`` (mode 0 is the most significant
  bit: the ``numpy.kron`` / QuTiP ``tensor`` order, system first).
* ``a_j = Z^(x j) ⊗ a ⊗ 1^(x N-j-1)`` with ``a = |0><1|`` and ``Z = diag(1, -1)``, so that
  ``{a_i, a_j^dag} = delta_ij``.
* A one-body matrix ``h`` enters as ``sum_ij a_i^dag h_ij a_j``; a correlation matrix as
  ``C_ij = <a_j^dag a_i>`` (the convention of :attr:`strongtherm.negf.Equilibrium.correlation_matrix`).

Dense ``2^N x 2^N`` matrices: ``N <= MAX_MODES`` (= 12, 4096 states).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import scipy.sparse as sp

from ..core.validation import check_hermitian, check_integer, check_real
from ..exact.composite import Composite

__all__ = [
    "MAX_MODES",
    "annihilation_operators",
    "composite",
    "gaussian_density_matrix",
    "number_operator",
    "quadratic_operator",
]

#: Largest number of modes written as dense Fock-space matrices (4096 x 4096).
MAX_MODES = 12


def _check_modes(n_modes: object) -> int:
    # dense 2^n_modes matrices: MAX_MODES bounds their memory
    return check_integer("n_modes", n_modes, low=1, high=MAX_MODES)


@lru_cache(maxsize=16)
def _sparse_annihilators(n_modes: int) -> tuple[sp.csr_matrix, ...]:
    a = sp.csr_matrix(np.array([[0.0, 1.0], [0.0, 0.0]]))
    Z = sp.csr_matrix(np.diag([1.0, -1.0]))
    out = []
    for j in range(n_modes):
        op = sp.identity(1, format="csr")
        for k in range(n_modes):
            op = sp.kron(op, Z if k < j else (a if k == j else sp.identity(2, format="csr")), format="csr")
        out.append(op)
    return tuple(out)


def annihilation_operators(n_modes: int) -> tuple[np.ndarray, ...]:
    """Jordan-Wigner annihilation operators ``a_0, ..., a_{N-1}``, each dense ``(2^N, 2^N)``, real.

    Parameters
    ----------
    n_modes
        ``N``, in ``[1, MAX_MODES]``.
    """
    return tuple(op.toarray() for op in _sparse_annihilators(_check_modes(n_modes)))


def quadratic_operator(h: np.ndarray, constant: float = 0.0) -> np.ndarray:
    """``sum_ij a_i^dag h_ij a_j + constant`` on the Fock space of ``N = h.shape[0]`` modes.

    Parameters
    ----------
    h
        One-body matrix, Hermitian ``(N, N)``, in units of energy.
    constant
        Multiple of the identity added, in the same unit.

    Returns
    -------
    ndarray
        Dense ``(2^N, 2^N)`` (real when ``h`` is real).
    """
    h = check_hermitian("h", h)
    N = _check_modes(h.shape[0])
    constant = check_real("constant", constant)
    ops = _sparse_annihilators(N)
    real = not np.any(h.imag)
    out = sp.csr_matrix((2**N, 2**N), dtype=float if real else complex)
    for i in range(N):
        for j in range(N):
            if h[i, j] != 0.0:
                out = out + (h[i, j].real if real else h[i, j]) * (ops[i].T @ ops[j])
    dense = out.toarray()
    dense[np.diag_indices_from(dense)] += constant
    return dense


def number_operator(n_modes: int) -> np.ndarray:
    """``N = sum_j a_j^dag a_j``: diagonal, the number of 1-bits of each basis index."""
    N = _check_modes(n_modes)
    idx = np.arange(2**N)
    bits = (idx[:, None] >> np.arange(N)[None, :]) & 1
    return np.diag(bits.sum(axis=1).astype(float))


def gaussian_density_matrix(C: np.ndarray) -> np.ndarray:
    """The Gaussian (quasi-free, number-conserving) state with correlation matrix ``C``, in Fock space.

    ``rho = prod_k [c_k n_k + (1 - c_k)(1 - n_k)]`` in the eigenmodes ``b_k = sum_i U_ik^* a_i``
    of ``C = U diag(c) U^dag``, written as ``exp(-sum a^dag M a) / Z`` with
    ``M = ln[(1 - C) / C]`` where ``C`` is regular. Exact for ``c_k`` in ``[0, 1]``, including the
    rank-deficient ends (built from the projectors, no logarithm).

    Parameters
    ----------
    C
        ``C_ij = <a_j^dag a_i>``, Hermitian ``(n, n)`` with eigenvalues in ``[0, 1]``.

    Returns
    -------
    ndarray
        ``(2^n, 2^n)``, unit trace.
    """
    C = check_hermitian("C", C)
    n = _check_modes(C.shape[0])
    c, U = np.linalg.eigh(C)
    if np.any(c < -1e-12) or np.any(c > 1 + 1e-12):
        raise ValueError(f"C must have eigenvalues in [0, 1], got {c}")
    c = np.clip(c, 0.0, 1.0)
    ops = _sparse_annihilators(n)
    # rotate to eigenmodes: b_k = sum_i conj(U_ik) a_i; n_k = b_k^dag b_k
    real = not np.any(U.imag)
    rho = np.eye(2**n, dtype=float if real else complex)
    for k in range(n):
        b = sum((np.conj(U[i, k]).real if real else np.conj(U[i, k])) * ops[i] for i in range(n))
        n_k = (b.conj().T @ b).toarray()
        factor = c[k] * n_k + (1.0 - c[k]) * (np.eye(2**n) - n_k)
        rho = rho @ factor  # the n_k commute
    return 0.5 * (rho + rho.conj().T)


def composite(h: np.ndarray, n_system: int, *, mu: float = 0.0) -> Composite:
    """System + reservoir one-body Hamiltonian as an exact-engine :class:`~strongtherm.exact.Composite`.

    The composite holds ``K = H - mu N`` (grand-canonical: ``e^{-beta K}`` is the Gibbs state
    of Kumar et al.'s Eq. 6 at chemical potential ``mu``), split as ``K_S ⊗ 1 + 1 ⊗ K_R + V``
    with the first ``n_system`` modes as the system (Davoudi et al. Eq. 1). The exact engine's
    ``F_S`` is then the grand potential of mean force and its energies are ``<K>``-energies.

    Parameters
    ----------
    h
        Universe one-body Hamiltonian, Hermitian ``(N, N)`` with the system modes first (e.g.
        :func:`strongtherm.negf.finite_chain.universe_hamiltonian`), ``N <= MAX_MODES``.
    n_system
        Number of system modes ``n``, ``1 <= n < N``.
    mu
        Chemical potential, in units of energy.

    Returns
    -------
    Composite
        Dimensions ``(2^n, 2^(N-n))``.

    Examples
    --------
    >>> import numpy as np
    >>> h = np.array([[0.2, 0.5, 0.0], [0.5, 0.0, 1.0], [0.0, 1.0, 0.0]])
    >>> composite(h, 1).dims
    (2, 4)
    """
    h = check_hermitian("h", h)
    N = _check_modes(h.shape[0])
    check_integer(f"n_system (for h of shape {h.shape})", n_system, low=1, high=N - 1)
    mu = check_real("mu", mu)
    n = int(n_system)
    k = h - mu * np.eye(N)
    K = quadratic_operator(k)
    K_S = quadratic_operator(k[:n, :n])
    K_R = quadratic_operator(k[n:, n:])
    return Composite.from_hamiltonian(K, K_S, K_R)
