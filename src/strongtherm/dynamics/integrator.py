"""The time loop of :func:`strongtherm.dynamics.drive`: the Gaussian state carried along a protocol.

The universe's state is Gaussian, C(t) = Psi(t) f Psi(t)^dagger: orbitals Psi (columns), occupied
with the constant weights f_k of the initial state (:func:`initial_state`). :class:`Integrator`
evolves Psi with the Magnus steps and Chebyshev exponentials of :mod:`.evolve`, integrates the
power P(t) = Tr[C dh/dt] into the work W_ext(t) = int_0^t P dt' (Kumar, Webb & Stafford 2024,
Eqs. 2, 19-20 at finite speed), and hands a :class:`Sample` (t, Psi, lambda(t)) to an
:class:`Observer` at every output time (what is measured on it is
:class:`strongtherm.dynamics.observables.Recorder`'s job); the work at the output times is
:attr:`Integrator.work`.

The time axis is cut at the protocol's kinks (d lambda / dt may jump there, and the power
quadrature never reaches across one) and its jumps. A jump of lambda (the sudden quench, or a
discontinuous schedule) is applied as a sudden quench at its instant: W += Tr[C (h_after -
h_before)] in the current state, and an output at that instant shows the state right after it.
On a piece where lambda is constant (a hold) the exact exponential of the constant h is applied
from output to output. Elsewhere steps of at most dt carry Psi, every output time being a node:
Magnus steps (:mod:`.evolve`, at least ``MIN_STEPS_PER_PIECE`` a piece, the power sampled at
their ends and integrated by a sliding Lagrange rule) or, by default in ``drive``, the long
interaction-picture steps of :mod:`.interaction` (the power at each step's Gauss-Legendre nodes).

Error control (``work_tol``): a smooth piece is accepted when its energy balance |Delta W -
Delta E| (E = Tr[C h], a closed universe), measured from the piece's start at its output times,
its end and every ``BALANCE_STRIDE`` nodes, stays within its share of ``work_tol`` (its fraction
of the smooth time); otherwise it is redone from its start with a step smaller by
(residual / share)^(1/order) (at least 2, at most 16), as long as the step budget allows, after
which a :class:`~strongtherm.core.warnings.NumericsWarning` (``strict``: a
:class:`~strongtherm.core.warnings.NumericsError`) gives the residual reached. The balance sees
both the Magnus error and the power quadrature's; it is blind only to errors that leave
Tr[C h] unchanged to first order (an error made while C still commutes with h, at the Gibbs
start, shows once it feeds into a later power).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple
from typing import Protocol as Protocol_  # typing's, apart from the driving Protocol

import numpy as np

from ..core.warnings import numerics_failed
from ..negf.fermi_poles import collocation_rule
from ..negf.system import OpenSystem
from ..negf.universe import Universe
from ..thermal import Bath
from .evolve import (
    NODES,
    ChebyshevPropagator,
    IntegratorInfo,
    interval_integrals,
    lagrange_interval_weights,
    magnus_block,
)
from .interaction import InteractionPicture, check_method, nodes_for_step
from .protocol import Protocol

__all__ = [
    "MIN_STEPS_PER_PIECE",
    "GaussianOrbitals",
    "Integrator",
    "Observer",
    "Piece",
    "Sample",
    "initial_state",
    "protocol_parameters",
    "time_grid",
]

#: Minimum number of steps on each smooth piece of the protocol (the 8-point power quadrature).
MIN_STEPS_PER_PIECE = 8
#: Largest factor by which one rejected pass shrinks the step (and the smallest: 2).
MAX_REFINEMENT = 16
#: Safety factor on the step predicted to meet a piece's share of ``work_tol``.
REFINEMENT_SAFETY = 1.25
#: The energy balance of a pass is measured at its output times, its end and every this many nodes.
BALANCE_STRIDE = 8
#: Refinement stops after STALLED_REFINEMENTS passes in a row whose residual stayed above
#: STALL_RATIO of the coarser pass's (a step at least 2x smaller of an order >= 4 method cuts a
#: step error by >= 16; two in a row, so that one lucky cancellation of a coarse pass is no stop).
STALL_RATIO, STALLED_REFINEMENTS = 0.5, 2


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
    """The state at one output time (its work is :attr:`Integrator.work`); ``orbitals`` is the
    integrator's own array, valid while the observer's ``add`` runs."""

    t: float
    orbitals: np.ndarray
    params: dict[str, float]


class Observer(Protocol_):
    """What :meth:`Integrator.run` reports to: measures samples in time order, and forgets those
    of a rejected pass (``rollback`` to an earlier ``count``)."""

    count: int

    def add(self, sample: Sample) -> None: ...

    def rollback(self, count: int) -> None: ...


class Piece(NamedTuple):
    """One stretch of the time axis between kinks, or a jump.

    Attributes
    ----------
    kind : {"smooth", "constant", "jump"}
    edges : ndarray
        Its ends and the output times inside (a jump: its one instant).
    s_start, s_end : float
        The schedule's value at its ends, taken from inside the piece (a jump: before, after).
    steps : ndarray of int
        Steps of the first pass between consecutive edges (smooth pieces).
    """

    kind: str
    edges: np.ndarray
    s_start: float
    s_end: float
    steps: np.ndarray


def protocol_parameters(model: OpenSystem, protocol: Protocol, t: float) -> dict[str, float]:
    """lambda(t), resolved and checked against the model's domain (outside the step loop)."""
    try:
        return model.resolve(protocol.parameters(t))
    except ValueError as exc:
        raise ValueError(f"protocol leaves the domain of {model.name} at t={t:.6g}: {exc}") from None


def initial_state(
    h0: np.ndarray, n: int, bath: Bath, initial: str, lead_baths: Sequence[Bath] | None = None
) -> tuple[GaussianOrbitals, np.ndarray]:
    """The global Gibbs state of ``h0`` at (T, mu) (``"gibbs"``), or the product of the Gibbs
    states of its system block and of its reservoir block (``"product"``, Esposito et al. 2010);
    with the eigenvalues of ``h0`` (the universe's spectrum at lambda(0), for its F*_S).

    ``lead_baths`` (product start only): one Bath per reservoir, the chains being the equal
    consecutive blocks of ``h0[n:, n:]``; each chain is then in its own Gibbs state at its
    (T_alpha, mu_alpha) and the system in its bare Gibbs state at ``bath`` (the partitioned start of
    a biased drive, Caroli et al., J. Phys. C 4, 916 (1971)). Each chain is diagonalized alone:
    identical chains are degenerate, and one eigh of the whole block would mix them.
    """
    if initial == "gibbs":
        e0, Psi = np.linalg.eigh(h0)
        f = bath.fermi(e0)
    else:
        eS, US = np.linalg.eigh(h0[:n, :n])
        Psi = np.zeros_like(h0)
        Psi[:n, :n] = US
        occupations = [bath.fermi(eS)]
        R = 1 if lead_baths is None else len(lead_baths)
        size = (h0.shape[0] - n) // R
        for r in range(R):
            block = slice(n + r * size, n + (r + 1) * size)
            eR, UR = np.linalg.eigh(h0[block, block])
            Psi[block, block] = UR
            occupations.append((bath if lead_baths is None else lead_baths[r]).fermi(eR))
        f = np.concatenate(occupations)
        e0 = np.linalg.eigvalsh(h0)
    return GaussianOrbitals(np.ascontiguousarray(Psi, dtype=complex), f), e0


def _segment_steps(edges: np.ndarray, step: float) -> np.ndarray:
    """Steps of at most ``step`` between consecutive edges (counted, nothing allocated per step)."""
    return np.maximum(1, np.ceil(np.diff(edges) / step - 1e-9)).astype(np.int64)


def _nodes(edges: np.ndarray, steps: np.ndarray) -> np.ndarray:
    """Equal steps between consecutive edges, every edge a node."""
    parts = [np.linspace(x, y, int(k) + 1)[:-1] for x, y, k in zip(edges[:-1], edges[1:], steps, strict=True)]
    return np.concatenate([*parts, edges[-1:]])


#: Kinks and output times closer than this (relative to the total time) are one instant.
KINK_SNAP_RTOL = 1e-12


def _snap_kinks(kinks: np.ndarray, outputs: np.ndarray, jump_times: set[float]) -> np.ndarray:
    """The kinks, each moved onto an output time within ``KINK_SNAP_RTOL``, near-duplicates merged.

    A path corner's time is found by bisection and may miss an output time put on it by rounding
    (1e-16 relative); the sliver piece between them would get steps of zero length. Jump times
    are kept as they are (the integrator looks them up exactly).
    """
    slack = KINK_SNAP_RTOL * max(1.0, float(kinks[-1]))
    snapped: list[float] = []
    for k in map(float, kinks):
        if k not in jump_times and outputs.size:
            nearest = float(outputs[np.argmin(np.abs(outputs - k))])
            k = nearest if abs(nearest - k) <= slack else k
        if snapped and k - snapped[-1] <= slack:
            if k in jump_times or k == float(kinks[-1]):  # a jump's instant, or the end, wins over its neighbour
                snapped[-1] = k
            continue
        snapped.append(k)
    return np.array(snapped)


def time_grid(protocol: Protocol, outputs: np.ndarray, dt: float, max_steps: int, min_steps: int = MIN_STEPS_PER_PIECE) -> list[Piece]:
    """The pieces of the time axis in order: jumps, constant pieces, smooth pieces (with the
    steps of a first pass of at most ``dt``); every output time is an edge.

    Raises
    ------
    ValueError
        If the smooth pieces need more than ``max_steps`` steps of at most ``dt`` (counted before
        any array of nodes is built).
    """
    jumps = {t: (before, after) for t, before, after in protocol.jumps()}
    kinks = _snap_kinks(protocol.kinks(), outputs, set(jumps))
    constants = protocol.constant_intervals()
    pieces: list[Piece] = []
    no_steps = np.zeros(0, dtype=np.int64)
    if 0.0 in jumps:
        pieces.append(Piece("jump", np.array([0.0]), *jumps[0.0], no_steps))
    for a, b in zip(kinks[:-1], kinks[1:], strict=True):
        if b <= a:
            continue
        edges = np.concatenate([[a], outputs[(outputs > a) & (outputs < b)], [b]])
        s_start = jumps[a][1] if a in jumps else float(protocol.progress(a))
        s_end = jumps[b][0] if b in jumps else float(protocol.progress(b))
        # the hold after a sudden quench is one of the constant intervals too
        if any(lo <= a and b <= hi for lo, hi in constants):
            pieces.append(Piece("constant", edges, s_start, s_end, no_steps))
        else:
            step = min(dt, (b - a) / min_steps)
            pieces.append(Piece("smooth", edges, s_start, s_end, _segment_steps(edges, step)))
        if b in jumps:
            pieces.append(Piece("jump", np.array([b]), *jumps[b], no_steps))
    total_steps = sum(int(piece.steps.sum()) for piece in pieces)
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
        Largest step (of the first pass: the error control may shrink it).
    max_steps : int
        Budget of steps, rejected passes included (a ValueError here, before anything runs,
        when the first pass alone exceeds it).
    work_tol : float or None
        Tolerance on W of the error control (module docstring); None: every first pass accepted.
    strict : bool
        A NumericsError instead of a NumericsWarning when ``work_tol`` is not met within the budget.
    method : {"magnus", "interaction"}
        The step of the smooth pieces: Magnus of order ``order`` (:mod:`.evolve`, the power
        sampled at step ends), or the long interaction-picture step of :mod:`.interaction` (the
        power at each step's collocation nodes).
    eigensystem : (energies, vectors), optional
        The eigendecomposition of h(lambda(0)) of ``universe`` where the caller has it (the Gibbs
        start's): the interaction road's first piece, if it starts at t = 0, reuses it.
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
        work_tol: float | None = None,
        strict: bool = False,
        method: str = "magnus",
        eigensystem: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> None:
        self.universe = universe
        self.method = check_method(method)
        self.eigensystem = eigensystem
        self.protocol = protocol
        self.state = state
        self.start = start
        self.outputs = outputs
        self.order = order
        self.max_steps = max_steps
        self.work_tol = work_tol
        self.strict = strict
        # the Magnus road's power quadrature needs 8 points a piece; the interaction road's steps
        # carry their own Gauss-Legendre nodes, so one step may span a short piece
        self.pieces = time_grid(protocol, outputs, dt, max_steps, MIN_STEPS_PER_PIECE if method == "magnus" else 1)
        self.propagate = ChebyshevPropagator(universe)
        self.n_steps = 0
        self.max_step = 0.0
        self.refinements = 0
        self.work_error_estimate = 0.0
        #: W_ext at the output times (filled by :meth:`run`).
        self.work = np.zeros(outputs.size)
        self._pending: set[float] = set()
        self._jump_times = {float(piece.edges[0]) for piece in self.pieces if piece.kind == "jump"}
        smooth = [piece.edges for piece in self.pieces if piece.kind == "smooth"]
        self.smooth_time = float(sum(edges[-1] - edges[0] for edges in smooth))

    # ------------------------------------------------------------------ parameters
    def parameters(self, t: float) -> dict[str, float]:
        """lambda(t), resolved and checked against the model's domain (outside the step loop)."""
        return protocol_parameters(self.universe.model, self.protocol, t)

    def _at_progress(self, s: float) -> dict[str, float]:
        # inside the step loop: the path was checked against the model's domain at its nodes
        return {**self.start, **self.protocol.path.function(float(s))}

    def _fast_parameters(self, t: float) -> dict[str, float]:
        return self._at_progress(float(self.protocol.progress(t)))

    def _power(self, Psi: np.ndarray, t: float, lo: float, hi: float) -> float:
        """P(t) = Tr[C dh/dt] on the piece [lo, hi]."""
        # one-sided at the piece's ends: d lambda / dt may jump at a kink
        delta = 1e-12 * max(hi - lo, 1e-300)
        te = min(max(t, lo + delta), hi - delta) if hi - lo > 2 * delta else t
        dB = self.universe.block_derivative(self._fast_parameters(te), self.protocol.rates(te), checked=False)
        return float(np.real(np.sum(dB * self.state.local_correlation(Psi, self.universe.ext).T)))

    def _energy(self, Psi: np.ndarray, s: float) -> float:
        """Tr[C h(path(s))] (one sparse product with Psi)."""
        block = self.universe.block(self._at_progress(s), checked=False)
        return float(np.real(np.sum(np.conj(Psi) * self.universe.apply(block, Psi) * self.state.occupations)))

    # ------------------------------------------------------------------ the loop
    def run(self, observer: Observer) -> None:
        """Hand the samples at the output times to ``observer`` in increasing order, each once
        (a rejected pass of a smooth piece is rolled back), and fill :attr:`work`."""
        self._pending = set(self.outputs.tolist())
        Psi, W = self.state.orbitals, 0.0
        for piece in self.pieces:
            if piece.kind == "jump":
                Psi, W = self._jump_piece(Psi, W, piece, observer)
            elif piece.kind == "constant":
                Psi = self._constant_piece(Psi, W, piece, observer)
            else:
                Psi, W = self._smooth_piece(Psi, W, piece, observer)
        if 0.0 in self._pending:  # no piece at all: a sudden quench without a hold has none after its jump
            self._emit(observer, 0.0, Psi, W, self.start)

    def _emit(self, observer: Observer, t: float, Psi: np.ndarray, W: float, params: dict[str, float]) -> None:
        """Report the state at ``t`` if it is a pending output time."""
        if t in self._pending:
            self._pending.discard(t)
            self.work[np.searchsorted(self.outputs, t)] = W
            observer.add(Sample(t, Psi, params))  # measured at once: no copy of Psi is kept

    def _ends_at_jump(self, t: float) -> bool:
        # an output at a jump's instant shows the state after the jump: the jump piece reports it
        return t in self._jump_times

    def _jump_piece(self, Psi: np.ndarray, W: float, piece: Piece, observer: Observer) -> tuple[np.ndarray, float]:
        """The sudden quench at one instant: W += Tr[C (h_after - h_before)], C the current state."""
        t = float(piece.edges[0])
        universe = self.universe
        after = universe.model.resolve(self.protocol.path.function(piece.s_end))
        before = universe.model.resolve(self.protocol.path.function(piece.s_start)) if t > 0.0 else self.start
        C = self.state.local_correlation(Psi, universe.ext)
        W += float(np.real(np.sum((universe.block(after) - universe.block(before)) * C.T)))
        self._emit(observer, t, Psi, W, after)
        return Psi, W

    def _constant_piece(self, Psi: np.ndarray, W: float, piece: Piece, observer: Observer) -> np.ndarray:
        """The exact exponential of the constant h from output to output."""
        nodes = piece.edges
        self._emit(observer, float(nodes[0]), Psi, W, self.parameters(float(nodes[0])))
        p = self.parameters(0.5 * (nodes[0] + nodes[-1]))
        B = self.universe.block(p)
        for a, b in zip(nodes[:-1], nodes[1:], strict=True):
            Psi = self.propagate(Psi, B, b - a)
            if not self._ends_at_jump(float(b)):
                self._emit(observer, float(b), Psi, W, p)
        return Psi

    def _smooth_piece(self, Psi: np.ndarray, W: float, piece: Piece, observer: Observer) -> tuple[np.ndarray, float]:
        """Passes over one smooth piece until its energy balance meets its share of ``work_tol``."""
        edges, steps = piece.edges, piece.steps
        lo, hi = float(edges[0]), float(edges[-1])
        self._emit(observer, lo, Psi, W, self.parameters(lo))
        share = None if self.work_tol is None else self.work_tol * (hi - lo) / self.smooth_time
        E_start = None if share is None else self._energy(Psi, piece.s_start)
        mark = observer.count
        previous, stalls = math.inf, 0
        while True:
            self.n_steps += int(steps.sum())
            one_pass = self._pass if self.method == "magnus" else self._pass_interaction
            Psi_end, W_end, nodes, reported, residual = one_pass(Psi, W, _nodes(edges, steps), piece.s_end, E_start, observer)
            if share is None or E_start is None:
                break
            # rounding of Tr[C h] (~1e-16 per unit of energy) is the floor no step can beat
            if residual <= max(share, 1e-14 * max(1.0, abs(E_start))):
                break
            stalls = stalls + 1 if residual > STALL_RATIO * previous else 0
            if stalls == STALLED_REFINEMENTS:
                # finer steps did not help: the error is not the step's (e.g. a user schedule whose
                # finite-difference derivative is poor), and more refinements would only spend the budget
                self._not_met(residual, share, lo, hi, nodes.size - 1, stalled=previous)
                break
            previous = residual
            factor = min(MAX_REFINEMENT, max(2, math.ceil(REFINEMENT_SAFETY * (residual / share) ** (1.0 / self.order))))
            finer = steps * factor
            if self.n_steps + int(finer.sum()) > self.max_steps:
                self._not_met(residual, share, lo, hi, nodes.size - 1)
                break
            observer.rollback(mark)
            self._pending.update(reported)
            self.refinements += 1
            steps = finer
        self.work_error_estimate += residual
        self.max_step = max(self.max_step, float(np.max(np.diff(nodes))))
        return Psi_end, W_end

    def _not_met(self, residual: float, share: float, lo: float, hi: float, steps: int, stalled: float | None = None) -> None:
        why = (
            f"the previous, coarser pass had {stalled:.3g}: finer steps do not reduce it, so the error is not the "
            "time step's (a user schedule's finite-difference derivative?); refinement stopped"
            if stalled is not None
            else f"the next refinement exceeds max_steps={self.max_steps} (raise max_steps or work_tol)"
        )
        message = (
            f"drive: the work on [{lo:.6g}, {hi:.6g}] has energy-balance residual {residual:.3g} with {steps} steps, "
            f"above its share {share:.3g} of work_tol={self.work_tol:g}; {why}"
        )
        numerics_failed(message, strict=self.strict, stacklevel=4)

    def _pass(
        self, Psi: np.ndarray, W: float, nodes: np.ndarray, s_end: float, E_start: float | None, observer: Observer
    ) -> tuple[np.ndarray, float, np.ndarray, list[float], float]:
        """Magnus steps over the nodes of one smooth piece, the samples reported as they come.

        The work at its output times follows from the power samples of the whole pass (8-point
        Lagrange rule), so :attr:`work` is filled at its end. With ``E_start`` (the energy at the
        piece's start), the energy balance is measured at every output time, every
        ``BALANCE_STRIDE``-th node and the end (an error made early may cancel by the end).
        Returns Psi and W at the end, the nodes, the output times reported and the largest
        energy-balance residual (0 without ``E_start``).
        """
        universe = self.universe
        lo, hi = float(nodes[0]), float(nodes[-1])
        last = nodes.size - 1
        P_samples = np.empty(nodes.size)
        P_samples[0] = self._power(Psi, lo, lo, hi)
        reported = []
        energies: dict[int, float] = {}
        for j, (a, b) in enumerate(zip(nodes[:-1], nodes[1:], strict=True)):
            h_step = b - a
            blocks = [universe.block(self._fast_parameters(a + c * h_step), checked=False) for c in NODES[self.order]]
            Psi = self.propagate(Psi, magnus_block(universe.h_fixed_ext, blocks, h_step, self.order), h_step)
            P_samples[j + 1] = self._power(Psi, float(b), lo, hi)
            t = float(b)
            output = t in self._pending and not self._ends_at_jump(t)
            if output:
                reported.append(j + 1)
                self._emit(observer, t, Psi, float("nan"), self.parameters(t))
            if E_start is not None and (output or (j + 1) % BALANCE_STRIDE == 0 or j + 1 == last):
                # the end may be a jump's instant: h there from inside the piece (s_end)
                energies[j + 1] = self._energy(Psi, s_end if j + 1 == last else float(self.protocol.progress(t)))
        cumulative = W + np.concatenate([[0.0], np.cumsum(interval_integrals(*lagrange_interval_weights(nodes), P_samples))])
        for j in reported:
            self.work[np.searchsorted(self.outputs, nodes[j])] = cumulative[j]
        residual = max((abs(cumulative[j] - W - (E - E_start)) for j, E in energies.items()), default=0.0) if E_start is not None else 0.0
        return Psi, float(cumulative[-1]), nodes, [float(nodes[j]) for j in reported], residual

    def _pass_interaction(
        self, Psi: np.ndarray, W: float, nodes: np.ndarray, s_end: float, E_start: float | None, observer: Observer
    ) -> tuple[np.ndarray, float, np.ndarray, list[float], float]:
        """:meth:`_pass` by the long steps of :mod:`.interaction`, in the eigenbasis of h at the
        piece's start: the work of each step is the Gauss-Legendre sum of the power at its
        collocation nodes, where the state's rows on the driven sites come with the step."""
        universe = self.universe
        lo = float(nodes[0])
        block_ref = universe.block(self._fast_parameters(lo), checked=False)
        # the start's eigensystem serves a piece whose h is still h(lambda(0)) (not after a jump at t = 0)
        reuse = self.eigensystem if lo == 0.0 and np.array_equal(block_ref, universe.block(self.start, checked=False)) else None
        picture = InteractionPicture(universe, block_ref, lo, reuse)
        driven = np.ix_(picture.driven, picture.driven)
        reference = picture.block_ref[driven]
        f = self.state.occupations
        Psi_I = picture.enter(Psi)
        last = nodes.size - 1
        reported: list[int] = []
        energies: dict[int, float] = {}
        work = np.empty(nodes.size)
        work[0] = W
        for j, (a, b) in enumerate(zip(nodes[:-1], nodes[1:], strict=True)):
            h = float(b - a)
            # the spectral half-width along the step: h_ref's, widened by the change of the block
            # (its Frobenius norm, an upper bound of its spectral radius, at the step's ends and middle)
            ends = [universe.block(self._fast_parameters(t), checked=False)[driven] - reference for t in (a, a + 0.5 * h, b)]
            radius = picture.radius + max(float(np.linalg.norm(x)) for x in ends)
            q = nodes_for_step(radius, h)
            s, w, _ = collocation_rule(q)
            times = a + h * s
            params = [self._fast_parameters(float(t)) for t in times]
            deltas = np.array([universe.block(p, checked=False)[driven] - reference for p in params])
            Psi_I, rows = picture.step(Psi_I, float(a), h, deltas, q)
            # the power Tr[C dh/dt] at the nodes, C on D from the rows there: Gauss-Legendre over the step
            dB = np.array([universe.block_derivative(p, self.protocol.rates(float(t)), checked=False)[driven]
                           for t, p in zip(times, params, strict=True)])  # fmt: skip
            C = np.einsum("kmo,o,kpo->kmp", rows, f, rows.conj())
            work[j + 1] = work[j] + h * float(w @ np.real(np.einsum("kmp,kpm->k", dB, C)))
            t_end = float(b)
            output = t_end in self._pending and not self._ends_at_jump(t_end)
            if output:
                reported.append(j + 1)
                self._emit(observer, t_end, picture.leave(Psi_I, t_end), float(work[j + 1]), self.parameters(t_end))
            if E_start is not None and (output or (j + 1) % BALANCE_STRIDE == 0 or j + 1 == last):
                # Tr[C h] = Tr[C h_ref] + Tr[C_D delta_D]; at the end h from inside the piece (s_end)
                p_end = self._at_progress(s_end if j + 1 == last else float(self.protocol.progress(t_end)))
                Z = picture.rows(Psi_I, t_end)
                C = (Z * f) @ Z.conj().T
                delta = universe.block(p_end, checked=False)[driven] - reference
                energies[j + 1] = picture.reference_energy(Psi_I, f) + float(np.real(np.sum(delta * C.T)))
        residual = max((abs(work[j] - W - (E - E_start)) for j, E in energies.items()), default=0.0) if E_start is not None else 0.0
        return picture.leave(Psi_I, float(nodes[-1])), float(work[-1]), nodes, [float(nodes[j]) for j in reported], residual

    def info(self, energy_balance_residual: float) -> IntegratorInfo:
        """What the integrator did, with the energy-balance residual measured on its samples."""
        return IntegratorInfo(
            order=self.order,
            max_step=self.max_step,
            n_steps=self.n_steps,
            n_matvec=self.propagate.n_matvec,
            energy_balance_residual=energy_balance_residual,
            work_tol=self.work_tol,
            work_error_estimate=self.work_error_estimate,
            refinements=self.refinements,
        )
