"""Long steps in the interaction picture of a fixed h: the driven part of h is low-rank (issue 21).

Only a small block of h(t) depends on time: the system and its couplings, on the sites ``D`` (the
system levels and the chains' surface sites). On a smooth piece of the protocol starting at t_0,
with h_ref = h(t_0) = V diag(E) V^dagger diagonalized once and delta(t) = h(t) - h_ref (nonzero
on D x D only),

    Psi(t) = V exp(-i E (t - t_0)) Psi_I(t),    dPsi_I/dt = -i Phi(t) delta(t) Z(t),
    Phi(t) = exp(i E (t - t_0)) V^dagger E_D,    Z(t) = Phi(t)^dagger Psi_I(t) = <D| Psi(t),

E_D the unit columns of D: the orbitals in h_ref's eigenbasis change only by rank-|D| kicks, and
Z(t) are the state's rows on D. Over a step [a, a + h] this is the Volterra equation

    Z(a + s) = Phi(a + s)^dagger Psi_I(a) - i int_0^s Phi(a + s)^dagger Phi(a + s') delta(a + s') Z(a + s') ds',

which Gauss-Legendre collocation on q nodes solves as one linear system of order q |D|; then
Psi_I(a + h) = Psi_I(a) - i h sum_k w_k Phi_k delta_k Z_k. The integrand oscillates with the
spectral width of h (frequencies up to ~2 r), not with the drive, so a step can be as long as its
q nodes resolve (q = 0.9 r h + 12 here, r h up to ``INTERACTION_STEP_SCALE``) while the drive is
smooth on it; the Magnus steps of :mod:`.evolve` need r h ~ 0.3, because their commutators hold
the whole h. Z at the nodes gives the power Tr[C dh/dt] there, and the work of a step is its
Gauss-Legendre sum. A step costs two products of order q |D| x N x N (dense, BLAS) and a solve of
order q |D|; a piece costs one eigendecomposition of h_ref and two N^3 products at its ends (and
one per output time inside it).
"""

from __future__ import annotations

import math

import numpy as np

from ..negf.fermi_poles import collocation_rule
from ..negf.universe import Universe

__all__ = ["INTERACTION_STEP_SCALE", "STEP_METHODS", "InteractionPicture", "check_method", "nodes_for_step"]

#: Default step of the interaction-picture road: r h = this (r the spectral half-width of h).
INTERACTION_STEP_SCALE = 40.0
#: Collocation nodes per step: ceil(NODES_PER_PHASE r h) + NODES_FLOOR, at most NODES_MAX. On the
#: level ramp at tau = 160 (r h = 40) the energy balance closes to 1.5e-15 with 0.9 and 12 (as with
#: 1.2 and 16), to 5e-13 with 0.8 and 10 and to 9e-10 with 0.7 and 8; the error control refines
#: where a schedule needs more.
NODES_PER_PHASE, NODES_FLOOR, NODES_MAX = 0.9, 12, 128


#: The roads of the smooth pieces (:class:`strongtherm.dynamics.integrator.Integrator`).
STEP_METHODS = ("interaction", "magnus")


def check_method(method: str) -> str:
    """``method`` if it is one of :data:`STEP_METHODS`, else a ValueError naming them."""
    if method not in STEP_METHODS:
        raise ValueError(f"method must be 'magnus' or 'interaction', got {method!r}")
    return method


def nodes_for_step(radius: float, h: float) -> int:
    """Collocation nodes q for a step of length ``h`` of an h(t) of spectral half-width ``radius``."""
    return int(min(NODES_MAX, math.ceil(NODES_PER_PHASE * radius * h) + NODES_FLOOR))


class InteractionPicture:
    """h_ref = h_fixed + ``block_ref`` of ``universe`` diagonalized at time ``t0`` (the start of a
    smooth piece), and the steps of the module docstring in its eigenbasis."""

    def __init__(self, universe: Universe, block_ref: np.ndarray, t0: float,
                 eigensystem: tuple[np.ndarray, np.ndarray] | None = None) -> None:  # fmt: skip
        self.universe = universe
        self.block_ref = block_ref
        self.t0 = float(t0)
        # the caller's eigendecomposition of the same h_ref (the Gibbs start's), or a new one
        self.energies, self.vectors = eigensystem if eigensystem is not None else np.linalg.eigh(universe.dense({}, block=block_ref))
        #: positions inside ext of the driven sites D (system levels, then surface sites)
        self.driven = np.concatenate([universe.ext_system, universe.ext_surface]).astype(int)
        self.sites = universe.ext[self.driven]
        self._unit_rows = self.vectors[self.sites].conj().T  # V^dagger E_D, (N, |D|)

    @property
    def radius(self) -> float:
        """Spectral half-width of h_ref."""
        return 0.5 * float(self.energies[-1] - self.energies[0])

    def enter(self, Psi: np.ndarray) -> np.ndarray:
        """Psi_I(t0) = V^dagger Psi (the unit matrix for the eigenvectors themselves, the Gibbs start)."""
        if Psi is self.vectors:
            return np.eye(Psi.shape[0], Psi.shape[1], dtype=complex)
        return self.vectors.conj().T @ Psi

    def leave(self, Psi_I: np.ndarray, t: float) -> np.ndarray:
        """Psi(t) = V exp(-i E (t - t0)) Psi_I."""
        return self.vectors @ (np.exp(-1j * self.energies * (t - self.t0))[:, None] * Psi_I)

    def orbits(self, times: np.ndarray) -> np.ndarray:
        """Phi(t) = exp(i E (t - t0)) V^dagger E_D at each of ``times``, shape (len(times), N, |D|)."""
        phases = np.exp(1j * np.outer(np.asarray(times, dtype=float) - self.t0, self.energies))
        return phases[:, :, None] * self._unit_rows[None]

    def rows(self, Psi_I: np.ndarray, t: float) -> np.ndarray:
        """<D| Psi(t) = Phi(t)^dagger Psi_I, shape (|D|, N_orb)."""
        return self.orbits(np.array([t]))[0].conj().T @ Psi_I

    def reference_energy(self, Psi_I: np.ndarray, occupations: np.ndarray) -> float:
        """Tr[C h_ref] = sum_k f_k sum_n E_n abs(Psi_I[n, k])^2."""
        return float(np.sum(self.energies @ (Psi_I.real**2 + Psi_I.imag**2) * occupations))

    def step(self, Psi_I: np.ndarray, a: float, h: float, deltas: np.ndarray, q: int) -> tuple[np.ndarray, np.ndarray]:
        """Psi_I at a + ``h`` from Psi_I at ``a``, and the rows Z_j = <D| Psi(a + h s_j) at the q
        collocation nodes, (q, |D|, N_orb); ``deltas`` (q, |D|, |D|) is h - h_ref on D at the nodes."""
        s, w, S = collocation_rule(q)
        Phi = self.orbits(a + h * s)  # (q, N, d)
        _, N, d = Phi.shape
        columns = Phi.transpose(1, 0, 2).reshape(N, q * d)  # [Phi_1 ... Phi_q]
        rows = columns.conj().T
        gram = (rows @ columns).reshape(q, d, q, d)  # Phi_j^dagger Phi_k at [j, :, k, :]
        # collocation: Z_j + i h sum_k S_jk G_jk delta_k Z_k = Phi_j^dagger Psi_I(a)
        system = (1j * h) * np.einsum("jmkl,jk,klp->jmkp", gram, S, deltas).reshape(q * d, q * d)
        system[np.diag_indices(q * d)] += 1.0
        Z = np.linalg.solve(system, rows @ Psi_I)  # (q d, N_orb)
        kicked = np.einsum("kmp,kpo->kmo", deltas * (w * h)[:, None, None], Z.reshape(q, d, -1)).reshape(q * d, -1)
        return Psi_I - 1j * (columns @ kicked), Z.reshape(q, d, -1)
