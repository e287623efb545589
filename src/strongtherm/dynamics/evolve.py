"""Integrator of the driven one-body problem: Magnus steps, Chebyshev exponentials, power quadrature.

The orbitals Psi(t) (columns: the eigenvectors of the initial state, occupied with weights f_k,
so that C(t) = Psi f Psi^dagger) obey i dPsi/dt = h(t) Psi. One step t -> t + dt replaces the
time-ordered exponential by exp(Omega), Omega the Magnus expansion truncated at order 4 or 6
(Blanes, Casas & Ros, BIT 40, 434 (2000), with Gauss-Legendre nodes):

* order 4: Omega = dt/2 (A_1 + A_2) + sqrt(3) dt^2 / 12 [A_2, A_1], A = -i h at the two nodes;
* order 6: with alpha_1 = dt A_2, alpha_2 = sqrt(15) dt / 3 (A_3 - A_1),
  alpha_3 = 10 dt / 3 (A_3 - 2 A_2 + A_1), C_1 = [alpha_1, alpha_2],
  C_2 = -[alpha_1, 2 alpha_3 + C_1] / 60:
  Omega = alpha_1 + alpha_3 / 12 + [-20 alpha_1 - alpha_3 + C_1, alpha_2 + C_2] / 240.

Only a small block of h depends on time (system and couplings), so every commutator is a dense
matrix on a few sites next to the system; Omega = -i dt (h_fixed + block) stays sparse. exp(Omega)
is applied to Psi by a Chebyshev expansion (coefficients 2 (-i)^k J_k(r dt), truncated below
1e-16), with spectral bounds from Gershgorin (chains) and Weyl (block). No dense N^3 product is
taken in the time loop: a step costs (number of Chebyshev terms) sparse products with Psi.

The power P(t) = Tr[C dh/dt] is sampled at every step end and integrated piece by piece (never
across a kink of the protocol) with a sliding 8-point Lagrange rule (order 8).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.special import jv

from ..negf.universe import Universe

try:  # scipy's compiled CSR kernel (stable for many releases); the public A @ X is the fallback
    from scipy.sparse._sparsetools import csr_matvecs as _csr_matvecs
except ImportError:  # pragma: no cover
    _csr_matvecs = None

__all__ = ["ChebyshevPropagator", "IntegratorInfo", "interval_integrals", "lagrange_interval_weights", "magnus_block"]

#: Chebyshev truncation: drop terms with |J_k(x)| below this.
CHEBYSHEV_TOL = 1e-16
#: Largest r dt of one Chebyshev expansion (longer exact steps are split).
CHEBYSHEV_MAX_ARGUMENT = 40.0
#: Points of the sliding Lagrange rule of the power quadrature.
QUADRATURE_POINTS = 8
#: Intervals whose quadrature weights are solved for together.
_WEIGHT_BLOCK = 8192

_GL2 = np.array([0.5 - math.sqrt(3.0) / 6.0, 0.5 + math.sqrt(3.0) / 6.0])
_GL3 = np.array([0.5 - math.sqrt(15.0) / 10.0, 0.5, 0.5 + math.sqrt(15.0) / 10.0])
NODES = {4: _GL2, 6: _GL3}


@dataclass(frozen=True)
class IntegratorInfo:
    """What the integrator did.

    Attributes
    ----------
    order : int
        Order of the Magnus expansion.
    max_step : float
        Largest step of the accepted passes.
    n_steps, n_matvec : int
        Steps and sparse products taken, rejected passes included.
    energy_balance_residual : float
        max |W - Delta E| over the output times.
    work_tol : float or None
        Tolerance of the error control on W (None: off).
    work_error_estimate : float
        Sum over the smooth pieces of |Delta W - Delta E| at acceptance (the error control's estimate).
    refinements : int
        Passes of smooth pieces rejected and redone with a smaller step.
    """

    order: int
    max_step: float
    n_steps: int
    n_matvec: int
    energy_balance_residual: float
    work_tol: float | None = None
    work_error_estimate: float = 0.0
    refinements: int = 0

    def to_dict(self) -> dict[str, float | None]:
        return {
            "order": self.order,
            "max_step": self.max_step,
            "n_steps": self.n_steps,
            "n_matvec": self.n_matvec,
            "energy_balance_residual": self.energy_balance_residual,
            "work_tol": self.work_tol,
            "work_error_estimate": self.work_error_estimate,
            "refinements": self.refinements,
        }


def _commutator(H: np.ndarray, X: np.ndarray) -> np.ndarray:
    return H @ X - X @ H


def magnus_block(h_ext_fixed: np.ndarray, blocks: list[np.ndarray], dt: float, order: int) -> np.ndarray:
    """The block B_eff on ext such that Omega = -i dt (h_fixed + B_eff) (see the module docstring).

    Parameters
    ----------
    h_ext_fixed
        h_fixed restricted to ext (dense), needed for the commutators with the full h.
    blocks
        The time-dependent blocks at the Gauss-Legendre nodes of the step (2 for order 4, 3 for 6).
    dt
        Step.
    order
        4 or 6.
    """
    if order == 4:
        B1, B2 = blocks
        H2 = h_ext_fixed + B2
        # sqrt(3) dt^2/12 [A2, A1] = -sqrt(3) dt^2/12 [H2, H1], [H2, H1] = [H2, B1 - B2]
        Y = -(math.sqrt(3.0) * dt * dt / 12.0) * _commutator(H2, B1 - B2)
        B_eff = 0.5 * (B1 + B2) + (1j / dt) * Y
    elif order == 6:
        B1, B2, B3 = blocks
        A_full2 = -1j * dt * (h_ext_fixed + B2)  # alpha_1 (its fixed part acts only through commutators here)
        a2 = -1j * (math.sqrt(15.0) * dt / 3.0) * (B3 - B1)
        a3 = -1j * (10.0 * dt / 3.0) * (B3 - 2.0 * B2 + B1)
        C1 = _commutator(A_full2, a2)
        C2 = -_commutator(A_full2, 2.0 * a3 + C1) / 60.0
        Y = a3 / 12.0 + _commutator(-20.0 * A_full2 - a3 + C1, a2 + C2) / 240.0
        B_eff = B2 + (1j / dt) * Y
    else:
        raise ValueError(f"order must be 4 or 6, got {order!r}")
    return 0.5 * (B_eff + B_eff.conj().T)  # Hermitian up to rounding


class ChebyshevPropagator:
    """exp(-i dt (h_fixed + B)) applied to Psi by a Chebyshev series (see the module docstring)."""

    def __init__(self, universe: Universe) -> None:
        self.universe = universe
        self.n_matvec = 0
        # the recursion's three work arrays, kept from step to step: fresh (N, N) arrays of a few
        # MiB each step are fresh pages from the OS (page faults cost ~20 % of a step), and the
        # returned Psi is the one new array a step allocates
        self._work: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    def __call__(self, Psi: np.ndarray, block: np.ndarray, dt: float) -> np.ndarray:
        u = self.universe
        lo_b, hi_b = np.linalg.eigvalsh(block)[[0, -1]] if block.size else (0.0, 0.0)
        lo = u.fixed_bounds[0] + min(lo_b, 0.0)
        hi = u.fixed_bounds[1] + max(hi_b, 0.0)
        margin = 1e-9 * (1.0 + hi - lo)
        lo, hi = lo - margin, hi + margin
        centre, radius = 0.5 * (lo + hi), 0.5 * (hi - lo)
        pieces = max(1, math.ceil(radius * dt / CHEBYSHEV_MAX_ARGUMENT))
        tau = dt / pieces
        coefficients = self._coefficients(radius * tau)
        phase = np.exp(-1j * centre * tau)
        for _ in range(pieces):
            Psi = self._series(Psi, block, centre, radius, coefficients)
            Psi *= phase  # a new array of the series' own: scaled in place
        return Psi

    @staticmethod
    def _coefficients(x: float) -> np.ndarray:
        k_max = int(x + 30.0 + 4.0 * x ** (1.0 / 3.0))
        k = np.arange(k_max + 1)
        J = jv(k, x)
        significant = np.nonzero(np.abs(J) > CHEBYSHEV_TOL)[0]
        K = max(int(significant.max()) + 2, 2) if significant.size else 2
        c = 2.0 * (-1j) ** k[:K] * J[:K]
        c[0] *= 0.5
        return c

    def _series(self, Psi: np.ndarray, block: np.ndarray, centre: float, radius: float, c: np.ndarray) -> np.ndarray:
        u = self.universe
        M2 = u.scaled_operator(block, centre, 2.0 / radius)
        Psi = np.ascontiguousarray(Psi, dtype=complex)
        if self._work is None or self._work[0].shape != Psi.shape:
            self._work = (np.empty_like(Psi), np.empty_like(Psi), np.empty_like(Psi))
        T1, spare, scratch = self._work
        # T_1 = x Psi = (M2 Psi) / 2; then T_{k+1} = M2 T_k - T_{k-1}, written over T_{k-1}'s buffer
        T1.fill(0.0)
        _multiply_add(M2, Psi, T1)
        T1 *= 0.5
        out = c[0] * Psi
        np.multiply(T1, c[1], out=scratch)
        out += scratch
        T0 = Psi
        for ck in c[2:]:
            T2 = spare if T0 is Psi else T0
            np.negative(T0, out=T2)
            _multiply_add(M2, T1, T2)  # T2 = M2 T1 - T0
            # out += c_k T_{k+1} with numpy ufuncs, not BLAS axpy: a threaded BLAS level-1 call on
            # arrays this small spends its time waking threads (10x slower on a busy 2-core machine)
            np.multiply(T2, ck, out=scratch)
            out += scratch
            T0, T1 = T1, T2
        self.n_matvec += len(c) - 1
        return out


def _multiply_add(A: sp.csr_matrix, X: np.ndarray, Y: np.ndarray) -> None:
    """Y += A @ X in place, for C-contiguous complex X, Y of shape (n, m).

    Uses scipy's compiled CSR kernel directly when it is importable (no allocation, no dispatch:
    at n ~ 100 that overhead costs as much as the product), else the public ``A @ X``.
    """
    if _csr_matvecs is not None and A.data.dtype == Y.dtype == X.dtype:
        n, m = X.shape
        _csr_matvecs(n, n, m, A.indptr, A.indices, A.data, X.reshape(-1), Y.reshape(-1))
    else:
        Y += A @ X


def lagrange_interval_weights(t: np.ndarray, points: int = QUADRATURE_POINTS) -> tuple[np.ndarray, np.ndarray]:
    """Banded weights of the sliding Lagrange rule on the nodes t_0 < ... < t_m.

    int_{t_j}^{t_{j+1}} p dt ~ sum_i weights[j, i] p(t_{starts[j] + i}): each interval uses the
    Lagrange interpolant through ``points`` consecutive nodes around it (shifted at the ends of
    the piece; all nodes when fewer), so the rule is exact for polynomials of degree
    ``points - 1`` and its error per interval is O(dt^(points + 1)). Memory and time grow
    linearly with m (a dense (m, m + 1) matrix would grow with m^2: 4.7 GiB at 25 000 steps).

    Returns
    -------
    starts : ndarray (m,), int
        First node of each interval's stencil.
    weights : ndarray (m, min(points, m + 1))
    """
    t = np.asarray(t, dtype=float)
    m = t.size - 1
    p = min(points, m + 1)
    if m < 1:
        return np.zeros(0, dtype=int), np.zeros((0, max(p, 0)))
    starts = np.clip(np.arange(m) - p // 2 + 1, 0, m + 1 - p)
    weights = np.empty((m, p))
    k = np.arange(p)
    # in blocks: the (block, p, p) Vandermonde stack stays small (4 MiB) whatever m is
    for lo in range(0, m, _WEIGHT_BLOCK):
        j = np.arange(lo, min(lo + _WEIGHT_BLOCK, m))
        nodes = t[starts[j, None] + k[None, :]]  # (block, p)
        centre = 0.5 * (t[j] + t[j + 1])
        scale = np.maximum(nodes[:, -1] - nodes[:, 0], 1e-300)
        x = (nodes - centre[:, None]) / scale[:, None]
        a, b = (t[j] - centre) / scale, (t[j + 1] - centre) / scale
        V = x[:, None, :] ** k[None, :, None]  # V[j, k, i] = x_i^k
        moments = (b[:, None] ** (k + 1) - a[:, None] ** (k + 1)) / (k + 1)
        weights[j] = np.linalg.solve(V, moments[:, :, None])[:, :, 0] * scale[:, None]
    return starts, weights


def interval_integrals(starts: np.ndarray, weights: np.ndarray, values: np.ndarray) -> np.ndarray:
    """int over each interval of the sampled function (:func:`lagrange_interval_weights`), (m,)."""
    return np.sum(weights * values[starts[:, None] + np.arange(weights.shape[1])[None, :]], axis=1)
