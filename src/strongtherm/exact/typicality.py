"""Mean-force thermodynamics beyond dense diagonalization: quantum typicality with Krylov propagation.

For a system of d_S levels and a reservoir of d_R states with d = d_S d_R far beyond what a dense
eigendecomposition can hold, every mean-force object of Davoudi et al. (2025) follows from two
reduced matrices and two numbers,

    X = Tr_R e^{-beta H},  Y = Tr_R[H e^{-beta H}]  (d_S x d_S),  Z_R = Tr e^{-beta H_R},  Tr[H_R e^{-beta H_R}],

and each is a trace over R that quantum typicality estimates with random reservoir vectors phi
(E[phi phi^dagger] = 1_R): X_ss' = E[<psi_s|psi_s'>] with psi_s = e^{-beta H / 2} (s (x) phi),
Y_ss' = E[psi_s^dagger H psi_s'], and the same with H_R alone for Z_R. The propagation
e^{-beta H / 2} acts on the d_S vectors of one sample at once
(:func:`exp_action`, a Chebyshev series on Gershgorin bounds of the spectrum, cut where its
coefficients fall below rounding: the systematic, "Krylov" error is at rounding, checked against
:func:`scipy.sparse.linalg.expm_multiply` in the tests); H is never diagonalized, only applied (sparse).
Energies are shifted by a Lanczos estimate of the ground energy, so no exponential overflows.

From the estimates, exactly as the dense engine (:mod:`strongtherm.exact.meanforce`) does from its
eigendecomposition: F*_S = -T ln(Tr X / Z_R) (Eqs. 6-8), H*_S = -T ln(X / Z_R) (Eq. 4),
E*_S = Dlog_X[Y] - U_R^0 (Eq. 12 with the Frechet derivative of the matrix log), rho_S = X / Tr X,
U_diff = Tr Y / Tr X - U_R^0 (Eq. 10), U_H* = Tr[H*_S rho_S], U_E* = Tr[E*_S rho_S] (Eqs. 11, 13).

**Symmetry sectors** (``sectors=``). A quantity Q diagonal in the product basis and conserved by H
(total S^z or particle number of the universe, a parity, or any labels) makes e^{-beta H}
block diagonal. Each sector is then propagated on its own (the Krylov problems shrink to the
sector dimensions), and the estimate of X_ss' keeps only the reservoir states r with (s, r) and
(s', r) in the same sector: an element no sector connects (for Q = Q_S (x) 1 + 1 (x) Q_R, every
s, s' of different Q_S charge; for a parity P_S (x) P_R, of different P_S) is zero structurally,
not merely within its error bar. The random vector is drawn on each block of reservoir states that
the sectors do not split (for U(1) or parity: the reservoir's own charge sectors) with a fixed norm,
sqrt(block dimension) times a uniform direction: E[phi phi^dagger] = 1 still (unbiased), and each
block's infinite-temperature weight is exact, which removes the variance of the sector
populations. Sectors of dimension <= ``EXACT_SECTOR_DIMENSION`` are diagonalized and traced
exactly (no variance at all).

**Low temperature** (``method="deflated"``). The variance of plain typicality grows as the effective
dimension of the Gibbs state falls (beta times the gap above the ground state >> 1). The deflated
road splits every trace exactly as Tr f = Tr[f P + P f - P f P] + Tr[(1 - P) f (1 - P)], with P the
projector on the span of the ``exact_states`` lowest Lanczos (Ritz) vectors of each sector and of
s (x) n for the reservoir's own deflated (or, in small sectors, exact) states n (for Z_R: those n),
so that X's remainder carries the same reservoir vectors as Z_R's: the
first part is computed deterministically (f = e^{-beta H} applied to the basis by Krylov,
so the identity holds whatever their accuracy), and only the second, which carries the weight
e^{-beta (E_m - E_0)} of the states above the m-th, by random vectors (1 - P) phi. At high
temperature it reduces to typicality; at low temperature the error bars vanish exponentially in
beta (E_m - E_0). This is the variance-reduced replacement of the finite-/low-temperature
Lanczos methods (Jaklic and Prelovsek, PRB 49, 5065 (1994); Aichhorn et al., PRB 67, 161103
(2003)): LTLM's symmetric form e^{-beta H/2} A e^{-beta H/2} is already the typicality estimator
here, and LTLM becomes exact at T = 0 only for expectation values over the whole space, not for the
partial traces X, Y that H*_S and E*_S need; treating the low-lying states exactly does.

Where each road holds (measured against the dense engine on a qubit + 10-spin XXZ chain in a field,
d = 2^11, bandwidth 9.2 J, 32 samples, 4 seeds: benchmarks/bench_typicality_beta.py; the same
picture at d = 2^10 in docs/tutorials/large_reservoirs.py). Error bar of F*_S:

=====  ================  =======  =======  ========  =================
beta   beta x bandwidth  plain    sectors  deflated  deflated, sectors
=====  ================  =======  =======  ========  =================
0.25   2.3               1.4e-4   1.2e-4   3.5e-3    6.3e-3
1      9.2               8.9e-4   8.8e-4   3.7e-3    3.3e-3
4      37                7.3e-3   7.3e-3   3.2e-4    2.9e-5
16     147               5.3e-3   5.2e-3   7.3e-11   3e-15 (exact)
=====  ================  =======  =======  ========  =================

with every abs(z) <= 2.6 where the bar exceeds rounding. The deflated road's remainder has few
effective states, so its samples are heavy-tailed and the jackknife of few samples underestimates
them: on a qubit + 9-spin chain at beta = 4 the z-scores over 8 seeds have std 1.8 (abs(z) up to
4.1) with 32 samples and 1.1 (up to 2.8) with 128; use ~100 samples or more for calibrated bars. Plain typicality (with or without sectors)
holds for beta x bandwidth <~ 10-20; the deflated road above. At high temperature the deflated
road is the worse one (25x the error of F*_S at beta x bandwidth = 2.3): X and Z_R no longer share
all the fluctuations that cancel in X / Z_R, so it is not the default. Sectors alone leave the
variance of the elements they allow as it was (measured); they make the forbidden ones exact zeros,
shrink every Krylov problem to a sector, and with the deflated road diagonalize the small sectors.

Error bars are statistical: the jackknife over the samples (leave one out, recompute every output,
sqrt((K - 1)/K sum (theta_k - theta)^2)), which carries the nonlinear functions (log, Frechet
derivative) correctly; deterministic parts (exact sectors, deflated states) enter every sample.
The result says how many states the samples effectively averaged over (``effective_dimension``).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import eigsh
from scipy.special import ive

from ..core.progress import stages
from ..core.quantities import key as quantity_key
from ..core.validation import check_integer
from .meanforce import check_beta, mean_force_operators

__all__ = [
    "SectorSpec",
    "TypicalEquilibrium",
    "exp_action",
    "ground_energy",
    "jackknife_error",
    "random_vector",
    "sector_labels",
    "typical_equilibrium",
    "upper_bound",
]

#: Memory budget of one sector's propagated vectors (and Ritz vectors) and of H itself.
MAX_BYTES = 4 * 2**30
#: Sectors (and reservoir blocks) up to this dimension are diagonalized densely and traced exactly.
EXACT_SECTOR_DIMENSION = 128


@dataclass(frozen=True)
class TypicalEquilibrium:
    """Mean-force thermodynamics from quantum typicality, with jackknife error bars.

    Attributes match :class:`strongtherm.exact.Equilibrium` where they exist (``rho_S``,
    ``H_star``, ``E_star``, ``F_S``, ``U``), and ``errors`` holds the one-sigma statistical error
    of each (same keys; matrices entrywise). ``samples``: random vectors used;
    ``effective_dimension``: mean(z)^2 / var(z) of the samples' estimates z of Z_R (twice that for
    real vectors), so that the relative error of Z_R is 1 / sqrt(samples x effective_dimension); for
    plain typicality it is e^{S_2} of the reservoir's Gibbs state, with sectors and deflation it
    grows by the variance they remove. ``method``: ``"typicality"`` or ``"deflated"``;
    ``sectors``: the number of symmetry sectors used (1 without). ``entropy``: S = beta (U - F*_S)
    per definition (Eq. 33), errors ``S_diff``, ``S_H*``, ``S_E*``. ``leave_one_out``: the K
    jackknife estimates behind ``errors`` (``F_S`` (K,), ``H_star``, ``E_star`` (K, d_S, d_S)),
    from which the error of a function of them (e.g. Tr[H*_S rho] for another rho) follows.
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
    method: str = "typicality"
    sectors: int = 1
    entropy: Mapping[str, float] = field(default_factory=dict)
    leave_one_out: Mapping[str, np.ndarray] = field(default_factory=dict, repr=False)

    def to_dict(self) -> dict[str, float]:
        """The scalar results as a flat dict of plain floats (for sweeps, JSON and tables).

        Keys: ``F_S`` (Eqs. 6-8), ``U_diff``, ``U_Hstar``, ``U_Estar`` (Eqs. 10, 11, 13),
        ``entropy_diff``, ``entropy_Hstar``, ``entropy_Estar`` (Eq. 33, nats), as
        :meth:`strongtherm.exact.Equilibrium.to_dict` names them; their one-sigma jackknife errors
        ``error_F_S``, ``error_U_diff``, ``error_U_Hstar``, ``error_U_Estar``; ``samples`` and
        ``effective_dimension``.
        """
        out = {"F_S": float(self.F_S)}
        out.update({quantity_key("U", definition=k): float(v) for k, v in self.U.items()})
        out.update({quantity_key("entropy", definition=k): float(v) for k, v in self.entropy.items()})
        out["error_F_S"] = float(self.errors["F_S"])
        out.update({"error_" + quantity_key("U", definition=k): float(self.errors[f"U_{k}"]) for k in self.U})
        out["samples"] = float(self.samples)
        out["effective_dimension"] = float(self.effective_dimension)
        return out

    def __repr__(self) -> str:
        return (f"TypicalEquilibrium(d_S={self.dims[0]}, d_R={self.dims[1]}, beta={self.beta:g}, "
                f"F_S={self.F_S:.8g} +- {self.errors.get('F_S', float('nan')):.2g}, samples={self.samples}, "
                f"method={self.method!r}, sectors={self.sectors})")


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


#: What ``sectors=`` accepts: labels or values of Q per product state (d,), Q itself as a diagonal
#: matrix (d, d), or the sector projectors (a sequence of diagonal 0/1 matrices summing to 1).
SectorSpec = Any


def sector_labels(sectors: SectorSpec, dims: tuple[int, int]) -> np.ndarray:
    """The sector index (0, 1, ...) of every product state s (x) r (index s d_R + r), from a
    conserved quantity given as values per state (d,), as a diagonal operator (d, d, dense or
    sparse), or as a sequence of diagonal projectors that partition the identity.

    Raises
    ------
    ValueError
        If the shape is not (d,) or (d, d), the operator or a projector is not diagonal, a projector
        is not 0/1, the projectors do not partition the identity, or a value is not finite and real.
    """
    d = dims[0] * dims[1]
    if isinstance(sectors, (list, tuple)) and sectors and (sp.issparse(sectors[0]) or np.ndim(sectors[0]) == 2):
        values = np.full(d, -1.0)
        for k, projector in enumerate(sectors):
            diagonal = _diagonal_of(f"sectors[{k}]", projector, d)
            if not np.all((np.abs(diagonal) < 1e-12) | (np.abs(diagonal - 1.0) < 1e-12)):
                raise ValueError(f"sectors[{k}] must be a projector with 0/1 diagonal entries")
            chosen = np.abs(diagonal - 1.0) < 1e-12
            if np.any(values[chosen] >= 0):
                raise ValueError(f"sectors[{k}] overlaps an earlier projector: sector projectors must be disjoint")
            values[chosen] = k
        if np.any(values < 0):
            raise ValueError(f"the sector projectors leave {int(np.sum(values < 0))} product states out: they must sum to 1")
    elif sp.issparse(sectors) or np.ndim(sectors) == 2:
        values = _diagonal_of("sectors", sectors, d)
    else:
        values = np.asarray(sectors)
        if values.shape != (d,):
            raise ValueError(f"sectors must have shape ({d},) (one value per product state) or ({d}, {d}), "
                             f"but has shape {values.shape}")  # fmt: skip
    if np.iscomplexobj(values):
        if np.any(np.abs(np.imag(values)) > 1e-12):
            raise ValueError("sectors must be real (a Hermitian conserved quantity)")
        values = np.real(values)
    values = np.asarray(values, dtype=float)
    if not np.all(np.isfinite(values)):
        raise ValueError("sectors has NaN or infinite entries")
    # values closer than 1e-9 are one sector (S^z from sums of +-1/2 in floating point)
    labels: np.ndarray = np.unique(np.round(values, 9), return_inverse=True)[1].ravel()
    return labels


def _diagonal_of(name: str, matrix: Any, d: int) -> np.ndarray:
    Q = sp.csr_matrix(matrix)
    if Q.shape != (d, d):
        raise ValueError(f"{name} must have shape ({d}, {d}), but has shape {Q.shape}")
    off = Q - sp.diags(Q.diagonal())
    if off.nnz and abs(off).max() > 1e-12:
        raise ValueError(f"{name} must be diagonal in the product basis (max off-diagonal {abs(off).max():.3g})")
    return np.asarray(Q.diagonal())


def _check_conserved(H: sp.csr_matrix, labels: np.ndarray) -> bool:
    """Whether H connects only states of equal label (its entries across sectors <= 1e-12 x max)."""
    coo = H.tocoo()
    across = labels[coo.row] != labels[coo.col]
    if not np.any(across):
        return True
    return bool(np.max(np.abs(coo.data[across])) <= 1e-12 * max(1.0, float(np.max(np.abs(coo.data)))))


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


def upper_bound(H: sp.csr_matrix) -> float:
    """A bound above the spectrum of a Hermitian H (Gershgorin: max_i H_ii + sum_{j != i} abs(H_ij))."""
    diagonal = np.real(H.diagonal())
    off = abs(H - sp.diags(H.diagonal())).sum(axis=1)
    return float(np.max(diagonal + np.asarray(off).ravel()))


def exp_action(H: sp.csr_matrix, B: np.ndarray, tau: float, lower: float, upper: float) -> np.ndarray:
    """e^{-tau H} B for a Hermitian H whose spectrum lies in [lower, upper], by a Chebyshev series.

    On y = (H - c) / h, c and h the centre and half-width of the interval,
    e^{-tau H} = e^{-tau c} [I_0(z) + 2 sum_{k >= 1} (-1)^k I_k(z) T_k(y)] with z = tau h (the
    Jacobi-Anger expansion; I_k the modified Bessel functions), T_k(y) B by the three-term
    recurrence (stable: abs(T_k) <= 1 on the spectrum). The series stops where the remaining
    coefficients are below 1e-17 of the first: an error below rounding relative to
    e^{-tau lower}, the largest value. One product with H per term, about z + 10 sqrt(z) + 20
    terms, and, unlike :func:`scipy.sparse.linalg.expm_multiply`, no norm estimates of powers of H
    at every call (profiled: 85% of its time on a 2^17-state sector).
    """
    c, h = 0.5 * (upper + lower), max(0.5 * (upper - lower), 1e-300)
    z = tau * h
    count = int(z + 10.0 * math.sqrt(z + 1.0) + 20.0)
    coefficients = ive(np.arange(count + 1), z)  # e^{-z} I_k(z): no overflow at any z
    while coefficients[-1] > 1e-17 * coefficients[0]:
        count = 2 * count
        coefficients = ive(np.arange(count + 1), z)
    last = int(np.nonzero(coefficients > 1e-17 * coefficients[0])[0][-1])
    scale = math.exp(-tau * lower)  # e^{-tau c} e^{z}, the e^{z} taken out of ive

    def y(v: np.ndarray) -> np.ndarray:
        return (H @ v - c * v) / h

    previous, current = B, y(B)
    result = coefficients[0] * previous - 2.0 * coefficients[1] * current
    for k in range(2, last + 1):
        previous, current = current, 2.0 * y(current) - previous
        result += (2.0 if k % 2 == 0 else -2.0) * coefficients[k] * current
    out: np.ndarray = scale * result
    return out


def ground_energy(H: sp.csr_matrix) -> float:
    """The lowest eigenvalue of a Hermitian sparse H (Lanczos, tol 1e-10; dense below 64 states),
    to shift the exponentials; ``-ground_energy(-H)`` is the highest."""
    if H.shape[0] <= 64:
        return float(np.linalg.eigvalsh(H.toarray())[0])
    return float(eigsh(H, k=1, which="SA", return_eigenvectors=False, tol=1e-10)[0])


class _Block:
    """One sector: the shifted H restricted to it, where each system state's reservoir vector goes,
    and which (s, s') it connects; traces deterministic (exact or deflated) and per sample.

    ``index`` are the product states of the sector (sorted, so system-major); ``columns[s]`` the
    block rows of the states (s, r) and the reservoir indices r; ``pairs[(s, s')]`` the block rows
    of (s, r) and (s', r) over the reservoir states r that both reach inside the sector: the terms of
    Tr_R restricted to the sector (pairs with none are the structural zeros).
    """

    def __init__(self, H: sp.csr_matrix, index: np.ndarray, d_S: int, d_R: int) -> None:
        self.H = H
        # the spectrum of the shifted H lies in [0, upper]: below 0 by at most the Lanczos error of
        # the ground energy, which the margin covers
        self.upper = upper_bound(H) if H.nnz else 0.0
        self.lower = -1e-8 * max(1.0, abs(self.upper))
        s_of, r_of = np.divmod(index, d_R)
        self.columns: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        for s in range(d_S):
            rows = np.flatnonzero(s_of == s)
            if rows.size:
                self.columns[s] = (rows, r_of[rows])
        self.pairs: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]] = {}
        for s, (rows_s, r_s) in self.columns.items():
            for t, (rows_t, r_t) in self.columns.items():
                _, i_s, i_t = np.intersect1d(r_s, r_t, assume_unique=True, return_indices=True)
                if i_s.size:
                    self.pairs[(s, t)] = (rows_s[i_s], rows_t[i_t])
        self.d_S = d_S
        self.ritz: np.ndarray | None = None
        self.exact = False
        self.X0 = np.zeros((d_S, d_S), dtype=complex)
        self.Y0 = np.zeros((d_S, d_S), dtype=complex)

    def partial_trace(self, A: np.ndarray, B: np.ndarray) -> np.ndarray:
        """Tr_R[A B^dagger] restricted to the sector, for A, B (D, m) in block coordinates."""
        out = np.zeros((self.d_S, self.d_S), dtype=complex)
        for (s, t), (rows_s, rows_t) in self.pairs.items():
            out[s, t] = np.sum(A[rows_s] * B[rows_t].conj())
        return out

    def prepare(self, beta: float, deflate: int, exact_small: bool) -> None:
        """With ``exact_small``, a small sector exactly (dense eigh: ``basis`` is its whole
        eigenbasis); with ``deflate`` > 0, the lowest ``deflate`` Ritz vectors as ``basis`` (Lanczos)."""
        self.basis: np.ndarray | None = None
        D = self.H.shape[0]
        if exact_small and D <= EXACT_SECTOR_DIMENSION:
            E, W = np.linalg.eigh(self.H.toarray())
            self.exact, self.basis = True, W
            self.X0 = self.partial_trace(W * np.exp(-beta * E), W)
            self.Y0 = self.partial_trace(W * (E * np.exp(-beta * E)), W)
        elif deflate > 0:
            self.basis = eigsh(self.H, k=min(deflate, D - 2), which="SA", tol=1e-10)[1]

    def deflate(self, beta: float, extra: list[np.ndarray]) -> None:
        """The deterministic part Tr_R[f P + P f - P f P], f = e^{-beta H}, on the span of the Ritz
        vectors and of ``extra`` (block coordinates), orthonormalized: exact for any such P."""
        if self.exact or (self.basis is None and not extra):
            return
        candidates = np.hstack([m for m in ([self.basis] if self.basis is not None else []) + extra])
        # orthonormal basis of the span, dropping directions the candidates repeat (SVD, 1e-8)
        left, values, _ = np.linalg.svd(candidates, full_matrices=False)
        N = left[:, values > 1e-8 * values[0]]
        G = exp_action(self.H, N, beta, self.lower, self.upper)
        GY = self.H @ G
        self.ritz = N
        for attr, F in (("X0", G), ("Y0", GY)):
            overlap = N @ (N.conj().T @ F)
            setattr(self, attr, self.partial_trace(F, N) + self.partial_trace(N, F) - self.partial_trace(overlap, N))

    def embed(self, reservoir: _Block) -> list[np.ndarray]:
        """The reservoir block's basis (exact eigenvectors or Ritz vectors) as s (x) n in this sector,
        for every system state s whose reservoir states there are the reservoir block's."""
        if reservoir.basis is None:
            return []
        r_block = reservoir.columns[0][1]  # the reservoir states of the block, in its row order
        out = []
        for rows, r in self.columns.values():
            inside = np.isin(r_block, r, assume_unique=True)
            if not np.all(inside):  # the reservoir block is split here: s (x) n is not in the sector
                continue
            vectors = np.zeros((self.H.shape[0], reservoir.basis.shape[1]), dtype=reservoir.basis.dtype)
            vectors[rows[np.searchsorted(r, r_block)]] = reservoir.basis
            out.append(vectors)
        return out

    def samples(self, phis: np.ndarray, beta: float) -> tuple[np.ndarray, np.ndarray]:
        """The X and Y of the sector (deterministic part included) for each random reservoir vector
        (rows of ``phis``), shape (B, d_S, d_S) each: all B samples propagated as one block (one
        Chebyshev series per sector and batch; the columns do not mix, so each sample is its own)."""
        count = phis.shape[0]
        if self.exact:
            return np.broadcast_to(self.X0, (count, *self.X0.shape)), np.broadcast_to(self.Y0, (count, *self.Y0.shape))
        dtype = complex if np.iscomplexobj(phis) or np.iscomplexobj(self.H.data) else float
        order = list(self.columns)
        n = len(order)
        start = np.zeros((self.H.shape[0], count * n), dtype=dtype)
        for j, s in enumerate(order):
            rows, r = self.columns[s]
            start[rows, j::n] = phis[:, r].T  # column k n + j: sample k, system state s
        if self.ritz is not None:
            start -= self.ritz @ (self.ritz.conj().T @ start)
        psi = exp_action(self.H, start, 0.5 * beta, self.lower, self.upper)
        H_psi = self.H @ psi
        X = np.repeat(self.X0[None], count, axis=0)
        Y = np.repeat(self.Y0[None], count, axis=0)
        position = {s: j for j, s in enumerate(order)}
        for s, t in self.pairs:
            a, b = psi[:, position[s]::n], psi[:, position[t]::n]
            X[:, s, t] += np.einsum("ik,ik->k", a.conj(), b)
            Y[:, s, t] += np.einsum("ik,ik->k", a.conj(), H_psi[:, position[t]::n])
        return X, Y


def _blocks(H: sp.csr_matrix, labels: np.ndarray, d_S: int, d_R: int) -> list[_Block]:
    """The sectors of H (labels per product state) as blocks, largest first."""
    order = np.argsort(labels, kind="stable")
    bounds = np.flatnonzero(np.diff(labels[order])) + 1
    blocks = []
    for index in np.split(order, bounds):
        index = np.sort(index)
        blocks.append(_Block(H[index][:, index].tocsr(), index, d_S, d_R))
    return sorted(blocks, key=lambda b: -b.H.shape[0])


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
    # S = beta (U - F*_S) per definition (Eq. 33), inside the jackknife with everything else
    return {"rho_S": rho_S, "H_star": H_star, "E_star": E_star, "F_S": F_S, "U_diff": energies["diff"],
            "U_H*": energies["H*"], "U_E*": energies["E*"],
            **{f"S_{k}": beta * (energies[k] - F_S) for k in ("diff", "H*", "E*")}}  # fmt: skip


def typical_equilibrium(
    H_S: Any,
    H_R: Any,
    V: Any = None,
    *,
    beta: float,
    samples: int = 32,
    rng: np.random.Generator | int | None = None,
    sectors: SectorSpec | None = None,
    method: Literal["typicality", "deflated"] = "typicality",
    exact_states: int = 16,
    progress: bool | None = None,
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
    sectors : array_like, scipy.sparse matrix or sequence of them, optional
        A conserved quantity of the universe, diagonal in the product basis (:func:`sector_labels`:
        its values per product state (d,), the diagonal operator (d, d), or the sector
        projectors), e.g. :func:`strongtherm.models.spin_chains.total_sz`. H must conserve it.
    method : {"typicality", "deflated"}
        Plain typicality, or the low-temperature road: the ``exact_states`` lowest states of each
        sector (and of H_R) traced exactly, random vectors only for the rest (module docstring).
    exact_states : int
        Ritz vectors per sector of the deflated road (>= 1).
    progress : bool, optional
        A bar over the propagations (batches of vectors x sectors; default: only on a terminal,
        :mod:`strongtherm.core.progress`).

    Returns
    -------
    TypicalEquilibrium

    Raises
    ------
    ValueError
        If an argument is out of range (named), H_R or V is not Hermitian or has the wrong shape, H
        does not conserve ``sectors``, or the vectors would exceed ``MAX_BYTES``.
    ArithmeticError
        If the sampled Tr_R e^{-beta H} is not positive definite (too few samples).
    """
    beta = check_beta(beta)
    samples = check_integer("samples", samples, low=4)
    if method not in ("typicality", "deflated"):
        raise ValueError(f"method must be 'typicality' or 'deflated', got {method!r}")
    exact_states = check_integer("exact_states", exact_states, low=1)
    deflate = exact_states if method == "deflated" else 0
    H_S = np.asarray(H_S)
    H_S = H_S.astype(float if np.isrealobj(H_S) else complex)
    if H_S.ndim != 2 or H_S.shape[0] != H_S.shape[1]:
        raise ValueError(f"H_S must be a square matrix, but has shape {H_S.shape}")
    d_S = H_S.shape[0]
    d_R = H_R.shape[0] if hasattr(H_R, "shape") else len(H_R)
    d = d_S * d_R
    labels = np.zeros(d, dtype=np.intp) if sectors is None else sector_labels(sectors, (d_S, d_R))
    largest = int(np.max(np.bincount(labels)))
    # one sector's start block and the Chebyshev recurrence's workspace (5 blocks of d_S columns:
    # start, two terms, the sum, a product); deflated, its basis and its workspace (its Ritz vectors
    # and s (x) the reservoir's deflated or exact states, at most d_S max(deflate, EXACT_SECTOR_DIMENSION))
    basis = deflate + d_S * max(deflate, EXACT_SECTOR_DIMENSION) if deflate else 0
    if 16 * largest * 5 * (d_S + basis) > MAX_BYTES:
        raise ValueError(f"the largest sector ({largest} states) needs more than {MAX_BYTES / 2**30:g} GiB "
                         f"for the propagated vectors: use sectors or fewer exact_states")  # fmt: skip
    H_R = _as_sparse("H_R", H_R, (d_R, d_R))
    H = sp.kron(sp.csr_matrix(H_S), sp.identity(d_R, dtype=H_R.dtype), format="csr") + sp.kron(sp.identity(d_S), H_R, format="csr")
    if V is not None:
        H = H + _as_sparse("V", V, (d, d))
    H = H.tocsr()
    _as_sparse("H_S", H_S, (d_S, d_S))
    if sectors is not None and not _check_conserved(H, labels):
        raise ValueError("H does not conserve the given sectors: it couples product states of different sectors")
    # reservoir blocks: the reservoir states r with the same sector for every s (U(1), parity: the
    # reservoir's own charge sectors); the random vector has a fixed norm on each (unbiased), and
    # H_R is split by them when it conserves them
    table = labels.reshape(d_S, d_R)
    block_of = np.unique(table.T, axis=0, return_inverse=True)[1].ravel() if sectors is not None else np.zeros(d_R, np.intp)
    block_size = np.bincount(block_of)
    reservoir_labels = block_of if _check_conserved(H_R, block_of) else np.zeros(d_R, np.intp)
    E0, E0_R = ground_energy(H), ground_energy(H_R)
    shifted = (H - E0 * sp.identity(d, format="csr")).tocsr()
    shifted_R = (H_R - E0_R * sp.identity(d_R, format="csr")).tocsr()
    blocks = _blocks(shifted, labels, d_S, d_R)
    reservoir_blocks = _blocks(shifted_R, reservoir_labels, 1, d_R)
    # small sectors exactly on the deflated road only. Plain typicality owes much of its precision
    # to X and Z_R sharing one random vector: their fluctuations cancel in X / Z_R (F*_S, H*_S),
    # and an exact or deflated part on one side and not the other breaks that (measured: 15x the
    # error of F*_S at beta = 1 on a qubit + 9-spin chain). So the deflated road projects the
    # universe's vectors off the span of its own Ritz vectors AND of s (x) (the reservoir's
    # deflated or exact states): X's remainder then carries the same reservoir vectors as Z_R's
    for block in (*blocks, *reservoir_blocks):
        block.prepare(beta, deflate, exact_small=deflate > 0)
    for block in reservoir_blocks:
        block.deflate(beta, [])
    if deflate > 0:
        for block in blocks:
            block.deflate(beta, [v for reservoir in reservoir_blocks for v in block.embed(reservoir)])
    generator = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    # a real H keeps real vectors (E[phi phi^T] = 1 suffices for traces of real symmetric
    # matrices): half the memory and a real sparse product, at twice the variance per sample
    real = np.isrealobj(shifted.data) and np.isrealobj(shifted_R.data)
    # samples propagate in batches (one series per sector and batch: sparse products on many
    # columns at once), each batch's workspace within 1/2 of MAX_BYTES; the vectors are drawn in
    # the same order as one at a time
    batch = max(1, min(samples, MAX_BYTES // (2 * 16 * largest * 5 * d_S)))
    X = np.zeros((samples, d_S, d_S), dtype=complex)
    Y = np.zeros((samples, d_S, d_S), dtype=complex)
    z, y_R = np.zeros(samples), np.zeros(samples)
    def propagations() -> Iterator[tuple[slice, np.ndarray, _Block, bool]]:
        """(samples of the batch, its vectors, a sector, whether it is one of H_R's) in order: each
        batch's vectors drawn before its sectors are propagated."""
        for first in range(0, samples, batch):
            phis = np.array([random_vector(generator, d_R, real) for _ in range(min(batch, samples - first))])
            if sectors is not None:  # the norm sqrt(block size) on every reservoir block
                for phi in phis:
                    norms = np.bincount(block_of, weights=np.abs(phi) ** 2, minlength=block_size.size)
                    phi *= np.sqrt(block_size / norms)[block_of]
            chunk = slice(first, first + phis.shape[0])
            yield from ((chunk, phis, block, False) for block in blocks)
            yield from ((chunk, phis, block, True) for block in reservoir_blocks)

    total = math.ceil(samples / batch) * (len(blocks) + len(reservoir_blocks))
    for chunk, phis, block, of_reservoir in stages(propagations(), total=total, progress=progress,
                                                   desc="typical_equilibrium: propagations"):  # fmt: skip
        X_b, Y_b = block.samples(phis, beta)
        if of_reservoir:
            z[chunk] += np.real(X_b[:, 0, 0])
            y_R[chunk] += np.real(Y_b[:, 0, 0])
        else:
            X[chunk] += X_b
            Y[chunk] += Y_b
    if np.isrealobj(H_S) and real:
        X, Y = X.real, Y.real
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
    # Var(z_k) / <z>^2 = 1 / d_eff for complex Gaussian vectors (2 / d_eff for real ones)
    relative_variance = float(np.var(z, ddof=1)) / float(np.mean(z)) ** 2 / (2.0 if real else 1.0)
    effective = 1.0 / relative_variance if relative_variance > 0 else math.inf
    return TypicalEquilibrium(
        beta=beta, dims=(d_S, d_R), rho_S=full["rho_S"], H_star=full["H_star"], E_star=full["E_star"],
        F_S=full["F_S"], U=MappingProxyType({"diff": full["U_diff"], "H*": full["U_H*"], "E*": full["U_E*"]}),
        samples=K, effective_dimension=effective,
        errors=MappingProxyType({"rho_S": errors["rho_S"], "H_star": errors["H_star"], "E_star": errors["E_star"],
                                 "F_S": errors["F_S"], "U_diff": errors["U_diff"], "U_H*": errors["U_H*"],
                                 "U_E*": errors["U_E*"], "S_diff": errors["S_diff"], "S_H*": errors["S_H*"],
                                 "S_E*": errors["S_E*"]}),
        method=method, sectors=len(blocks),
        entropy=MappingProxyType({k: full[f"S_{k}"] for k in ("diff", "H*", "E*")}),
        leave_one_out=MappingProxyType({key: np.array([row[key] for row in leave_out]) for key in ("F_S", "H_star", "E_star")}),
    )  # fmt: skip
