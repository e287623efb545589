"""Spin chains as sparse matrices: large reservoirs for the matrix-free (typicality) road.

A qubit (the system) coupled at one end of an open chain of ``n`` spins-1/2 (the reservoir): the
Davoudi et al. (2025) setting of quantum simulation, where reservoirs of 20 spins are small for
the physics and far too large for dense diagonalization (d = 2^21). Everything is real and sparse
(scipy CSR), system first (``numpy.kron`` order), in spin operators S = sigma / 2 (the usual
Heisenberg convention, so that J is the energy of a bond):

    H_R = sum_i [J (S^x_i S^x_{i+1} + S^y_i S^y_{i+1}) + Jz S^z_i S^z_{i+1}] + h sum_i S^z_i,
    V   = J_c (S^x_S S^x_1 + S^y_S S^y_1) + Jz_c S^z_S S^z_1,      H_S = eps S^z_S.

With ``Jz = Jz_c = 0`` and ``h = 0`` the chain is an XX chain: a Jordan-Wigner transformation (site
order S, 1, ..., n) makes it the free-fermion chain of hopping J/2 (J_c/2 to the system) with the
system level at -eps (see :func:`xx_chain_as_fermions`), which the Gaussian engine solves exactly:
the second road at any n.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ..core.validation import check_integer, check_real

__all__ = ["qubit_chain_total_sz", "qubit_on_spin_chain", "total_sz", "xx_chain_as_fermions"]

_FLIP = sp.csr_matrix(np.array([[0, 0, 0, 0], [0, 0, 0.5, 0], [0, 0.5, 0, 0], [0, 0, 0, 0]]))  # SxSx + SySy
_ZZ = sp.csr_matrix(np.diag([0.25, -0.25, -0.25, 0.25]))  # SzSz
_Z = np.array([0.5, -0.5])  # Sz


def _bond(op: sp.csr_matrix, i: int, n: int) -> sp.csr_matrix:
    """A two-site operator on sites i, i+1 of n (site 0 the most significant, as numpy.kron)."""
    return sp.kron(sp.kron(sp.identity(2**i, format="csr"), op, format="csr"), sp.identity(2 ** (n - i - 2), format="csr"),
                   format="csr")  # fmt: skip


def qubit_on_spin_chain(
    n: int, *, eps: float = 1.0, J: float = 1.0, Jz: float = 1.0, h: float = 0.0, J_c: float = 0.5, Jz_c: float = 0.5
) -> tuple[np.ndarray, sp.csr_matrix, sp.csr_matrix]:
    """(H_S, H_R, V) of a qubit coupled to the end of an open chain of ``n`` spins (module docstring).

    Parameters
    ----------
    n : int
        Reservoir spins, 2 <= n <= 24 (d = 2^(n+1) states; 2^25 needs ~10 GB).
    eps, J, Jz, h, J_c, Jz_c : float
        Couplings, in units of energy (default: the Heisenberg point J = Jz).

    Returns
    -------
    H_S : ndarray (2, 2); H_R : csr_matrix (2^n, 2^n); V : csr_matrix (2^(n+1), 2^(n+1))
    """
    n = check_integer("n", n, low=2, high=24)
    eps, J, Jz, h, J_c, Jz_c = (check_real(k, v) for k, v in
                                (("eps", eps), ("J", J), ("Jz", Jz), ("h", h), ("J_c", J_c), ("Jz_c", Jz_c)))  # fmt: skip
    H_R = sp.csr_matrix((2**n, 2**n))
    for i in range(n - 1):
        H_R = H_R + J * _bond(_FLIP, i, n) + Jz * _bond(_ZZ, i, n)
    if h:
        field = np.zeros(2**n)
        for i in range(n):
            field += np.tile(np.repeat(_Z, 2 ** (n - i - 1)), 2**i)
        H_R = H_R + h * sp.diags(field, format="csr")
    V = J_c * _bond(_FLIP, 0, n + 1) + Jz_c * _bond(_ZZ, 0, n + 1)
    H_S = eps * np.diag(_Z)
    return H_S, H_R.tocsr(), V.tocsr()


def xx_chain_as_fermions(n: int, *, eps: float, J: float, J_c: float) -> np.ndarray:
    """The one-body Hamiltonian, (n + 1) x (n + 1), of the XX qubit-chain after Jordan-Wigner.

    With the occupied state = spin down (S^z = 1/2 - c^dagger c), H_S = eps S^z = eps/2 - eps n_S and
    S^x_i S^x_{i+1} + S^y_i S^y_{i+1} = (c_i^dagger c_{i+1} + h.c.) / 2: hopping J/2 (J_c/2 to the
    system) and the level at -eps. The constant eps/2 shifts no reduced state; F*_S of the spins is
    that of the fermions plus eps/2 (:func:`strongtherm.gaussian.mean_force_from_hamiltonian` holds
    no constant).
    """
    n = check_integer("n", n, low=1)
    h = np.zeros((n + 1, n + 1))
    h[0, 0] = -eps
    h[0, 1] = h[1, 0] = 0.5 * J_c
    for i in range(1, n):
        h[i, i + 1] = h[i + 1, i] = 0.5 * J
    return h


def total_sz(sites: int) -> np.ndarray:
    """Total S^z = sum_i S^z_i on every product state of ``sites`` spins-1/2 (site 0 the most
    significant bit, basis state 0 = up = +1/2, as in :func:`qubit_on_spin_chain`): sites/2 minus the number of
    down spins, shape (2^sites,).

    The U(1) charge that :func:`qubit_on_spin_chain` conserves for any couplings (every term is
    XXZ or a field along z): ``sectors=total_sz(n + 1)`` in
    :func:`strongtherm.exact.typicality.typical_equilibrium`.
    """
    sites = check_integer("sites", sites, low=1, high=30)
    index = np.arange(2**sites, dtype=np.int64)
    down = np.zeros(2**sites, dtype=np.int64)
    for bit in range(sites):
        down += (index >> bit) & 1
    values: np.ndarray = 0.5 * sites - down
    return values


def qubit_chain_total_sz(n: int, **couplings: float) -> np.ndarray:
    """Total S^z of :func:`qubit_on_spin_chain` with ``n`` reservoir spins, ``total_sz(n + 1)``; the
    couplings are accepted and ignored (S^z is conserved for any of them), so that a sweep
    (:func:`strongtherm.sweeps.typical_equilibrium`) can call it with the builder's arguments."""
    return total_sz(int(n) + 1)
