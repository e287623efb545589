"""Mean-force thermodynamics beyond dense diagonalization: quantum typicality with Krylov propagation.

For a system of d_S levels and a reservoir of d_R states with d = d_S d_R far beyond what a dense
eigendecomposition can hold, every mean-force object of Davoudi et al. (2025) follows from two
reduced matrices and two numbers,

    X = Tr_R e^{-beta H},  Y = Tr_R[H e^{-beta H}]  (d_S x d_S),  Z_R = Tr e^{-beta H_R},  Tr[H_R e^{-beta H_R}],

and each is a trace over R that quantum typicality estimates with random reservoir vectors phi
(complex Gaussian, E[phi phi^dagger] = 1_R): X_ss' = E[<psi_s|psi_s'>] with
psi_s = e^{-beta H / 2} (s (x) phi), Y_ss' = E[psi_s^dagger H psi_s'], and the same with H_R alone for
Z_R. The propagation e^{-beta H / 2} acts on the d_S vectors of one sample at once
(:func:`scipy.sparse.linalg.expm_multiply`, a truncated Taylor series with its own error control:
the systematic, "Krylov" error is at rounding); H is never diagonalized, only applied (sparse).
Energies are shifted by a Lanczos estimate of each ground energy, so no exponential overflows.

From the estimates, exactly as the dense engine (:mod:`strongtherm.exact.meanforce`) does from its
eigendecomposition: F*_S = -T ln(Tr X / Z_R) (Eqs. 6-8), H*_S = -T ln(X / Z_R) (Eq. 4),
E*_S = Dlog_X[Y] - U_R^0 (Eq. 12 with the Frechet derivative of the matrix log), rho_S = X / Tr X,
U_diff = Tr Y / Tr X - U_R^0 (Eq. 10), U_H* = Tr[H*_S rho_S], U_E* = Tr[E*_S rho_S] (Eqs. 11, 13).

Error bars are statistical: the jackknife over the samples (leave one out, recompute every output,
sqrt((K - 1)/K sum (theta_k - theta)^2)), which carries the nonlinear functions (log, Frechet
derivative) correctly. The variance of a typicality estimate grows as the effective dimension
e^{S} of the Gibbs state falls: at low temperature (beta x gap >> 1, few states populated) the
error bars grow and the road should be replaced by a low-temperature method; the result says how
many effective states it saw (``effective_dimension``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import eigsh, expm_multiply

from ..core.validation import check_integer
from .meanforce import check_beta, mean_force_operators

__all__ = ["TypicalEquilibrium", "jackknife_error", "random_vector", "typical_equilibrium"]

#: Memory budget of one sample's propagated vectors (d x d_S complex) and of H itself.
MAX_BYTES = 4 * 2**30


@dataclass(frozen=True)
class TypicalEquilibrium:
    """Mean-force thermodynamics from quantum typicality, with jackknife error bars.

    Attributes match :class:`strongtherm.exact.Equilibrium` where they exist (``rho_S``,
    ``H_star``, ``E_star``, ``F_S``, ``U``), and ``errors`` holds the one-sigma statistical error
    of each (same keys; matrices entrywise). ``samples``: random vectors used;
    ``effective_dimension``: e^{S} of the reservoir's Gibbs state as the samples saw it (the
    typicality error shrinks as 1 / sqrt(samples x effective_dimension)).
    """

    beta: float
    dims: tuple[int, int]
    rho_S: np.ndarray
    H_star: np.ndarray
    E_star: np.ndarray
    F_S: float
    U: Mapping[str, float]
    samples: int
    effective_dimension: float
    errors: Mapping[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        return (f"TypicalEquilibrium(d_S={self.dims[0]}, d_R={self.dims[1]}, beta={self.beta:g}, "
                f"F_S={self.F_S:.8g} +- {self.errors.get('F_S', float('nan')):.2g}, samples={self.samples})")


def random_vector(generator: np.random.Generator, dimension: int, real: bool = False) -> np.ndarray:
    """A Gaussian random vector with E[phi phi^dag] = 1: real for real symmetric operators (traces
    need no more), else complex with independent real and imaginary parts of variance 1/2."""
    if real:
        return generator.normal(size=dimension)
    return (generator.normal(size=dimension) + 1j * generator.normal(size=dimension)) / math.sqrt(2.0)


def jackknife_error(leave_one_out: np.ndarray) -> np.ndarray:
    """One-sigma jackknife error sqrt((K - 1)/K sum_k abs(x_k - mean)^2) of K leave-one-out
    estimates stacked along axis 0 (entrywise for arrays)."""
    K = leave_one_out.shape[0]
    spread: np.ndarray = np.sqrt((K - 1) / K * np.sum(np.abs(leave_one_out - leave_one_out.mean(0)) ** 2, axis=0))
    return spread


def _as_sparse(name: str, value: Any, shape: tuple[int, int]) -> sp.csr_matrix:
    matrix = sp.csr_matrix(value)
    matrix = matrix.astype(float if np.isrealobj(matrix.data) else complex)
    if matrix.shape != shape:
        raise ValueError(f"{name} must have shape {shape}, but has shape {matrix.shape}")
    if not np.all(np.isfinite(matrix.data)):
        raise ValueError(f"{name} has NaN or infinite entries")
    deviation = abs(matrix - matrix.getH()).max() if matrix.nnz else 0.0
    if deviation > 1e-12 * max(1.0, abs(matrix).max() if matrix.nnz else 1.0):
        raise ValueError(f"{name} must be Hermitian; max |{name} - {name}^dagger| = {deviation:.3g}")
    return matrix


def _ground_energy(H: sp.csr_matrix) -> float:
    """The lowest eigenvalue (Lanczos; dense below 64 states), to shift the exponentials."""
    if H.shape[0] <= 64:
        return float(np.linalg.eigvalsh(H.toarray())[0])
    return float(eigsh(H, k=1, which="SA", return_eigenvectors=False, tol=1e-10)[0])


def _outputs(X: np.ndarray, Y: np.ndarray, z: float, y_R: float, beta: float, E0: float, E0_R: float) -> dict[str, Any]:
    """Every output from the four (shifted) traces, as the dense engine forms them."""
    X = 0.5 * (X + X.conj().T)
    Y = 0.5 * (Y + Y.conj().T)
    x, U = np.linalg.eigh(X)
    if x[0] <= 0.0:
        raise ArithmeticError("the sampled Tr_R e^{-beta H} is not positive definite: more samples are needed")
    ln_Z_R = math.log(z) - beta * E0_R
    U_R0 = y_R / z + E0_R
    trace = float(np.sum(x))
    rho_S = X / trace
    H_star, E_star = mean_force_operators(x, U, Y, beta, E0, ln_Z_R, U_R0)
    F_S = -(math.log(trace) - beta * E0 - ln_Z_R) / beta
    U_SR = float(np.real(np.trace(Y))) / trace + E0
    energies = {"diff": U_SR - U_R0, "H*": float(np.real(np.trace(H_star @ rho_S))),
                "E*": float(np.real(np.trace(E_star @ rho_S)))}
    return {"rho_S": rho_S, "H_star": H_star, "E_star": E_star, "F_S": F_S, "U_diff": energies["diff"],
            "U_H*": energies["H*"], "U_E*": energies["E*"]}


def typical_equilibrium(
    H_S: Any, H_R: Any, V: Any = None, *, beta: float, samples: int = 32, rng: np.random.Generator | int | None = None
) -> TypicalEquilibrium:
    """Mean-force thermodynamics of a system + large reservoir by quantum typicality (module docstring).

    Parameters
    ----------
    H_S : array_like, (d_S, d_S)
        System Hamiltonian (dense: the system is small).
    H_R : array_like or scipy.sparse matrix, (d_R, d_R)
        Reservoir Hamiltonian (sparse: it is only applied).
    V : array_like or scipy.sparse matrix, (d_S d_R, d_S d_R), optional
        Interaction, system first (``numpy.kron`` order), as in :class:`strongtherm.exact.Composite`.
    beta : float
        Inverse temperature, in inverse energy units.
    samples : int
        Random reservoir vectors (>= 4: the jackknife needs a few).
    rng : numpy.random.Generator, int or None
        The random vectors' generator (an int seeds one; None: fresh entropy).

    Returns
    -------
    TypicalEquilibrium
    """
    beta = check_beta(beta)
    samples = check_integer("samples", samples, low=4)
    H_S = np.asarray(H_S)
    H_S = H_S.astype(float if np.isrealobj(H_S) else complex)
    if H_S.ndim != 2 or H_S.shape[0] != H_S.shape[1]:
        raise ValueError(f"H_S must be a square matrix, but has shape {H_S.shape}")
    d_S = H_S.shape[0]
    d_R = H_R.shape[0] if hasattr(H_R, "shape") else len(H_R)
    d = d_S * d_R
    if 16 * d * (d_S + 2) > MAX_BYTES:
        raise ValueError(f"d = {d} needs more than {MAX_BYTES / 2**30:g} GiB for the propagated vectors")
    H_R = _as_sparse("H_R", H_R, (d_R, d_R))
    H = sp.kron(sp.csr_matrix(H_S), sp.identity(d_R, dtype=H_R.dtype), format="csr") + sp.kron(sp.identity(d_S), H_R, format="csr")
    if V is not None:
        H = H + _as_sparse("V", V, (d, d))
    _as_sparse("H_S", H_S, (d_S, d_S))
    E0, E0_R = _ground_energy(H), _ground_energy(H_R)
    shifted = (H - E0 * sp.identity(d, format="csr")).tocsr()
    shifted_R = (H_R - E0_R * sp.identity(d_R, format="csr")).tocsr()
    generator = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    # a real H keeps real vectors (E[phi phi^T] = 1 suffices for traces of real symmetric
    # matrices): half the memory and a real sparse product, at twice the variance per sample
    real = np.isrealobj(shifted.data) and np.isrealobj(shifted_R.data)
    Xs, Ys, zs, yRs = [], [], [], []
    for _ in range(samples):
        phi = random_vector(generator, d_R, real)
        start = np.kron(np.eye(d_S), phi[:, None])  # columns |s> (x) |phi>, (d, d_S)
        psi = expm_multiply(-0.5 * beta * shifted, start)
        Xs.append(psi.conj().T @ psi)
        Ys.append(psi.conj().T @ (shifted @ psi))
        chi = expm_multiply(-0.5 * beta * shifted_R, phi)
        zs.append(float(np.real(np.vdot(chi, chi))))
        yRs.append(float(np.real(np.vdot(chi, shifted_R @ chi))))
    X, Y, z, y_R = np.array(Xs), np.array(Ys), np.array(zs), np.array(yRs)
    # Y was summed with the shifted H: Tr_R[(H - E0) e^{-beta (H - E0)}]; _outputs adds E0 back
    full = _outputs(X.mean(0), Y.mean(0), z.mean(), y_R.mean(), beta, E0, E0_R)
    K = samples
    leave_out = [
        _outputs((X.sum(0) - X[k]) / (K - 1), (Y.sum(0) - Y[k]) / (K - 1), (z.sum() - z[k]) / (K - 1),
                 (y_R.sum() - y_R[k]) / (K - 1), beta, E0, E0_R)
        for k in range(K)
    ]  # fmt: skip
    errors: dict[str, Any] = {}
    for key in full:
        spread = jackknife_error(np.array([row[key] for row in leave_out]))
        errors[key] = float(spread) if np.ndim(spread) == 0 else spread
    # effective dimension of the reservoir's Gibbs state: (sum p)^2 / sum p^2 from the samples'
    # spread, Var(z_k) / <z>^2 = 1 / d_eff for complex Gaussian vectors (2 / d_eff for real ones)
    relative_variance = float(np.var(z, ddof=1)) / float(np.mean(z)) ** 2 / (2.0 if real else 1.0)
    effective = 1.0 / relative_variance if relative_variance > 0 else math.inf
    return TypicalEquilibrium(
        beta=beta, dims=(d_S, d_R), rho_S=full["rho_S"], H_star=full["H_star"], E_star=full["E_star"],
        F_S=full["F_S"], U=MappingProxyType({"diff": full["U_diff"], "H*": full["U_H*"], "E*": full["U_E*"]}),
        samples=K, effective_dimension=effective,
        errors=MappingProxyType({"rho_S": errors["rho_S"], "H_star": errors["H_star"], "E_star": errors["E_star"],
                                 "F_S": errors["F_S"], "U_diff": errors["U_diff"], "U_H*": errors["U_H*"],
                                 "U_E*": errors["U_E*"]}),
    )  # fmt: skip
