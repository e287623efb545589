"""The time loop of :func:`strongtherm.dynamics.drive`: the Gaussian state carried along a protocol.

The universe's state is Gaussian, C(t) = Psi(t) f Psi(t)^dagger: orbitals Psi (columns), occupied
with the constant weights f_k of the initial state (:func:`initial_state`). :class:`Integrator`
evolves Psi with the Magnus steps and Chebyshev exponentials of :mod:`.evolve` and integrates
the power P(t) = Tr[C dh/dt] into the work W_ext(t) = int_0^t P dt' (Kumar, Webb & Stafford 2024,
Eqs. 2, 19-20 at finite speed), and yields a :class:`Sample` (t, Psi, W, lambda(t)) at every
output time, in the spirit of qutip's ``Solver.run``; what is measured on it is
:class:`strongtherm.dynamics.observables.Recorder`'s job.

The time axis is cut at the protocol's kinks (d lambda / dt may jump there, and the power
quadrature never reaches across one). On a piece where lambda is constant (a hold) the exact
exponential of the constant h is applied from output to output; elsewhere steps of at most dt
(and at least ``MIN_STEPS_PER_PIECE`` per piece) carry Psi, every output time being a node.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import NamedTuple

import numpy as np

from ..negf.system import OpenSystem
from ..negf.universe import Universe
from ..thermal import Bath
from .evolve import (
    NODES,
    ChebyshevPropagator,
    IntegratorInfo,
    lagrange_interval_weights,
    magnus_block,
)
from .protocol import Protocol

__all__ = [
    "MIN_STEPS_PER_PIECE",
    "GaussianOrbitals",
    "Integrator",
    "Sample",
    "initial_state",
    "protocol_parameters",
    "time_grid",
]

#: Minimum number of steps on each smooth piece of the protocol (the 8-point power quadrature).
MIN_STEPS_PER_PIECE = 8


class GaussianOrbitals(NamedTuple):
    """A Gaussian state C = Psi f Psi^dagger of the universe, C_ij = <c_j^dag c_i>.

    Attributes
    ----------
    orbitals : ndarray (N, N), complex
        Psi, C-contiguous (the Chebyshev kernel multiplies it in place of a copy).
    occupations : ndarray (N,)
        f_k, constant in time.
    """

    orbitals: np.ndarray
    occupations: np.ndarray

    def local_correlation(self, orbitals: np.ndarray, sites: np.ndarray) -> np.ndarray:
        """C on ``sites`` for the orbitals ``orbitals`` (evolved from these): O(|sites|^2 N)."""
        X = orbitals[sites]
        return (X * self.occupations) @ X.conj().T


class Sample(NamedTuple):
    """What the integrator reports at one output time."""

    t: float
    orbitals: np.ndarray
    work: float
    params: dict[str, float]


def protocol_parameters(model: OpenSystem, protocol: Protocol, t: float) -> dict[str, float]:
    """lambda(t), resolved and checked against the model's domain (outside the step loop)."""
    try:
        return model.resolve(protocol.parameters(t))
    except ValueError as exc:
        raise ValueError(f"protocol leaves the domain of {model.name} at t={t:.6g}: {exc}") from None


def initial_state(h0: np.ndarray, n: int, bath: Bath, initial: str) -> tuple[GaussianOrbitals, np.ndarray]:
    """The global Gibbs state of ``h0`` at (T, mu) (``"gibbs"``), or the product of the Gibbs
    states of its system block and of its reservoir block (``"product"``, Esposito et al. 2010);
    with the eigenvalues of ``h0`` (the universe's spectrum at lambda(0), for its F*_S)."""
    if initial == "gibbs":
        e0, Psi = np.linalg.eigh(h0)
        f = bath.fermi(e0)
    else:
        eS, US = np.linalg.eigh(h0[:n, :n])
        eR, UR = np.linalg.eigh(h0[n:, n:])
        Psi = np.zeros_like(h0)
        Psi[:n, :n] = US
        Psi[n:, n:] = UR
        f = np.concatenate([bath.fermi(eS), bath.fermi(eR)])
        e0 = np.linalg.eigvalsh(h0)
    return GaussianOrbitals(np.ascontiguousarray(Psi, dtype=complex), f), e0


def time_grid(protocol: Protocol, outputs: np.ndarray, dt: float, max_steps: int) -> list[tuple[np.ndarray, bool]]:
    """Pieces between kinks, each as (nodes, constant?); every output time is a node.

    Raises
    ------
    ValueError
        If the pieces need more than ``max_steps`` steps of at most ``dt``.
    """
    kinks = protocol.kinks()
    constants = protocol.constant_intervals()
    pieces = []
    for a, b in zip(kinks[:-1], kinks[1:], strict=True):
        if b <= a:
            continue
        inner = outputs[(outputs > a) & (outputs < b)]
        edges = np.concatenate([[a], inner, [b]])
        # the hold after a sudden quench is one of the constant intervals too
        constant = any(lo <= a and b <= hi for lo, hi in constants)
        if constant:
            nodes = edges
        else:
            step = min(dt, (b - a) / MIN_STEPS_PER_PIECE)
            parts = [np.linspace(x, y, max(1, math.ceil((y - x) / step - 1e-9)) + 1)[:-1] for x, y in zip(edges[:-1], edges[1:], strict=True)]
            nodes = np.concatenate([*parts, [b]])
        pieces.append((nodes, constant))
    total_steps = sum(nodes.size - 1 for nodes, c in pieces if not c)
    if total_steps > max_steps:
        raise ValueError(
            f"dt: the protocol needs {total_steps} steps of dt <= {dt:.3g}, more than max_steps={max_steps}; "
            "raise dt or max_steps"
        )
    return pieces


class Integrator:
    """Magnus integrator of the universe's orbitals along ``protocol``, with the work it does.

    Parameters
    ----------
    universe : Universe
        The system and its chains (parameter dependence in a block on ``universe.ext``).
    protocol : Protocol
    state : GaussianOrbitals
        The state at t = 0 (before a sudden jump).
    start : dict
        lambda(0), resolved and checked against the model's domain.
    outputs : ndarray
        Output times, strictly increasing in [0, duration + hold].
    order : {4, 6}
        Order of the Magnus expansion.
    dt : float
        Largest step.
    max_steps : int
        Budget of steps (a ValueError here, before anything runs, when exceeded).
    """

    def __init__(
        self,
        universe: Universe,
        protocol: Protocol,
        state: GaussianOrbitals,
        start: dict[str, float],
        outputs: np.ndarray,
        *,
        order: int,
        dt: float,
        max_steps: int,
    ) -> None:
        self.universe = universe
        self.protocol = protocol
        self.state = state
        self.start = start
        self.outputs = outputs
        self.order = order
        self.pieces = time_grid(protocol, outputs, dt, max_steps)
        self.propagate = ChebyshevPropagator(universe)
        self.n_steps = 0
        self.max_step = 0.0

    # ------------------------------------------------------------------ parameters
    def parameters(self, t: float) -> dict[str, float]:
        """lambda(t), resolved and checked against the model's domain (outside the step loop)."""
        return protocol_parameters(self.universe.model, self.protocol, t)

    def _fast_parameters(self, t: float) -> dict[str, float]:
        # inside the step loop: the path was checked against the model's domain at its nodes
        return {**self.start, **self.protocol.path.function(float(self.protocol.progress(t)))}

    def _power(self, Psi: np.ndarray, t: float, lo: float, hi: float) -> float:
        """P(t) = Tr[C dh/dt] on the piece [lo, hi]."""
        # one-sided at the piece's ends: d lambda / dt may jump at a kink
        delta = 1e-12 * max(hi - lo, 1e-300)
        te = min(max(t, lo + delta), hi - delta) if hi - lo > 2 * delta else t
        dB = self.universe.block_derivative(self._fast_parameters(te), self.protocol.rates(te), checked=False)
        return float(np.real(np.sum(dB * self.state.local_correlation(Psi, self.universe.ext).T)))

    def _jump(self) -> tuple[float, dict[str, float]]:
        """W and lambda that t = 0 reports. The one place of the sudden quench (duration 0): h jumps
        at t = 0, W = Tr[C_0 (h_B - h_A)] (= W_diff), and every output, t = 0 included, shows the
        state right after the jump; its hold is then an ordinary constant piece at lambda(1)."""
        if not self.protocol.sudden:
            return 0.0, self.start
        universe = self.universe
        end = universe.model.resolve(self.protocol.path.function(1.0))
        C_0 = self.state.local_correlation(self.state.orbitals, universe.ext)
        return float(np.real(np.sum((universe.block(end) - universe.block(self.start)) * C_0.T))), end

    # ------------------------------------------------------------------ the loop
    def run(self) -> Iterator[Sample]:
        """Samples at the output times, in increasing order, each once."""
        pending = set(self.outputs.tolist())
        Psi = self.state.orbitals
        W, p = self._jump()
        if 0.0 in pending:
            pending.discard(0.0)
            yield Sample(0.0, Psi.copy(), W, p)
        for nodes, constant in self.pieces:
            if constant:
                p = self.parameters(0.5 * (nodes[0] + nodes[-1]))
                B = self.universe.block(p)
                for a, b in zip(nodes[:-1], nodes[1:], strict=True):
                    Psi = self.propagate(Psi, B, b - a)
                    if float(b) in pending:
                        pending.discard(float(b))
                        yield Sample(float(b), Psi.copy(), W, p)
                continue
            Psi, W, samples = self._smooth_piece(Psi, W, nodes, pending)
            yield from samples

    def _smooth_piece(
        self, Psi: np.ndarray, W: float, nodes: np.ndarray, pending: set[float]
    ) -> tuple[np.ndarray, float, list[Sample]]:
        """Magnus steps over the nodes of one smooth piece; the work at its output times follows
        from the power samples of the whole piece (8-point Lagrange rule), so they come at its end."""
        universe = self.universe
        lo, hi = float(nodes[0]), float(nodes[-1])
        P_samples = np.empty(nodes.size)
        P_samples[0] = self._power(Psi, lo, lo, hi)
        weights = lagrange_interval_weights(nodes)
        states_at: dict[int, tuple[np.ndarray, dict[str, float]]] = {}
        for j, (a, b) in enumerate(zip(nodes[:-1], nodes[1:], strict=True)):
            h_step = b - a
            blocks = [universe.block(self._fast_parameters(a + c * h_step), checked=False) for c in NODES[self.order]]
            Psi = self.propagate(Psi, magnus_block(universe.h_fixed_ext, blocks, h_step, self.order), h_step)
            P_samples[j + 1] = self._power(Psi, float(b), lo, hi)
            self.n_steps += 1
            self.max_step = max(self.max_step, h_step)
            if float(b) in pending:
                states_at[j + 1] = (Psi.copy(), self.parameters(float(b)))
        cumulative = W + np.concatenate([[0.0], np.cumsum(weights @ P_samples)])
        samples = []
        for j, (P_saved, p) in states_at.items():
            pending.discard(float(nodes[j]))
            samples.append(Sample(float(nodes[j]), P_saved, float(cumulative[j]), p))
        return Psi, float(cumulative[-1]), samples

    def info(self, energy_balance_residual: float) -> IntegratorInfo:
        """What the integrator did, with the energy-balance residual measured on its samples."""
        return IntegratorInfo(
            order=self.order,
            max_step=self.max_step,
            n_steps=self.n_steps,
            n_matvec=self.propagate.n_matvec,
            energy_balance_residual=energy_balance_residual,
        )
