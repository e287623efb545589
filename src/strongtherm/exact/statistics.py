"""Work statistics of a sudden quench of a finite composite: two-point measurements of the universe
or of system operators only (the question Davoudi et al. 2025 leave open).

A quench A -> B starts in the global Gibbs state pi_A = e^{-beta H^A} / Z_A. A two-point
measurement (TPM) of an observable X projects on the eigenspaces of X^A at the start, the
Hamiltonian jumps to H^B (and, with ``t_f``, the composite evolves under H^B for that time), and
X^B is measured at the end; W = x^B_b - x^A_a with probability
Tr[Pi^B_b U Pi^A_a pi_A Pi^A_a U^dagger].

* ``measure="universe"``: X = H, the whole composite's energy. pi_A commutes with H^A, so the first
  measurement does not disturb it, and <e^{-beta W}> = Z_B / Z_A = e^{-beta Delta F_SR} exactly;
  H_R is the same in A and B, so Delta F_SR = Delta F*_S (Campisi, Talkner & Hanggi, PRL 102,
  210401 (2009)). <W> = Tr[pi_A (H^B - H^A)] = W_diff (Davoudi Eq. 22). Evolution under H^B after
  the quench commutes with H^B and does not change this distribution.
* ``measure="H_S"``, ``"H*"``, ``"E*"``: X = O (x) 1_R with O the bare system Hamiltonian, the
  Hamiltonian of mean force H*_S or the energy operator E*_S of each side (Davoudi Eqs. 4, 12): a
  measurement of the system alone. The first measurement disturbs pi_A (O does not commute with
  H^A when the coupling is on), and nothing guarantees a fluctuation theorem: the Jarzynski gap
  ln<e^{-beta W}> + beta Delta F*_S says by how much it fails.
* ``measure="H_S+H_SR"``: X = H_S (x) 1 + V, the system with its whole coupling.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import numpy as np

from ..core.statistics import WorkDistribution
from ..core.validation import check_integer, check_real
from ..path import Path
from .composite import Composite
from .driving import drive_composite
from .meanforce import Equilibrium, ExactOptions, equilibrium
from .quench import common_beta, equilibrium_side

__all__ = ["MEASURES", "driven_work_statistics", "work_statistics"]

#: What a TPM may measure (see the module docstring).
MEASURES = ("universe", "H_S", "H*", "E*", "H_S+H_SR")
#: Outcomes closer than this (relative to the energy scale) are one outcome: degenerate levels
#: give the same work from different pairs.
MERGE_RTOL = 1e-10


def _merge(work: np.ndarray, probability: np.ndarray, resolution: float) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct outcomes and their summed probabilities (outcomes within ``resolution`` merged)."""
    order = np.argsort(work, kind="stable")
    work, probability = work[order], probability[order]
    starts = np.concatenate([[True], np.diff(work) > resolution])
    groups = np.cumsum(starts) - 1
    return work[starts], np.bincount(groups, weights=probability)


def _spectral_projectors(X: np.ndarray, resolution: float) -> tuple[np.ndarray, list[np.ndarray]]:
    """Distinct eigenvalues of the Hermitian X and the isometries onto their eigenspaces."""
    values, vectors = np.linalg.eigh(X)
    starts = np.concatenate([[True], np.diff(values) > resolution])
    groups = np.cumsum(starts) - 1
    return (np.array([values[groups == g].mean() for g in range(groups[-1] + 1)]),
            [vectors[:, groups == g] for g in range(groups[-1] + 1)])  # fmt: skip


def _system_operator(eq: Equilibrium, measure: str) -> np.ndarray:
    """The (d_S, d_S) system operator a TPM of ``measure`` reads on one side."""
    if measure == "H_S":
        return np.asarray(eq.model.H_S, dtype=complex)
    if measure == "H*":
        return np.asarray(eq.H_star, dtype=complex)
    return np.asarray(eq.E_star, dtype=complex)


def work_statistics(
    A: Composite | Equilibrium,
    B: Composite | Equilibrium,
    *,
    beta: float | None = None,
    measure: Literal["universe", "H_S", "H*", "E*", "H_S+H_SR"] = "universe",
    t_f: float = 0.0,
    max_dimension: int = 2048,
    options: ExactOptions | None = None,
) -> WorkDistribution:
    """The work distribution of a two-point measurement across the quench A -> B.

    Parameters
    ----------
    A, B
        Pre- and post-quench composites of equal dimensions, or their equilibria already computed.
    beta
        Inverse temperature of the initial Gibbs state (may be left out when A or B is an equilibrium).
    measure
        What both measurements read (:data:`MEASURES`, module docstring).
    t_f
        Time under H^B between the quench and the second measurement, in units of hbar/energy
        (irrelevant for ``"universe"``, which commutes with H^B).
    max_dimension
        Refuse composites larger than this: the universe's TPM lists d^2 outcome pairs (d = 2048:
        4 million pairs, ~100 MB).

    Returns
    -------
    WorkDistribution
        With ``delta_F`` = Delta F*_S = F*_S^B - F*_S^A of the mean-force engine.

    Raises
    ------
    ValueError
        For mismatched dimensions, an unknown ``measure``, a negative ``t_f``, or a composite
        beyond ``max_dimension``.
    """
    model_A, eq_A = equilibrium_side("A", A)
    model_B, eq_B = equilibrium_side("B", B)
    if model_A.dims != model_B.dims:
        raise ValueError(f"A and B must have the same dimensions (d_S, d_R), got {model_A.dims} and {model_B.dims}")
    if measure not in MEASURES:
        raise ValueError(f"measure must be one of {list(MEASURES)}, got {measure!r}")
    limit = check_integer("max_dimension", max_dimension, low=2)
    d = model_A.dims[0] * model_A.dims[1]
    if d > limit:
        raise ValueError(f"the composite has dimension {d} > max_dimension={limit}: its TPM lists d^2 outcome pairs")
    t_f = check_real("t_f", t_f, low=0.0)
    beta = common_beta(beta, [eq for eq in (eq_A, eq_B) if eq is not None])
    eq_A = eq_A if eq_A is not None else equilibrium(model_A, beta=beta, options=options)
    eq_B = eq_B if eq_B is not None else equilibrium(model_B, beta=beta, options=options)
    scale = 1.0 + max(float(np.max(np.abs(eq_A.energies))), float(np.max(np.abs(eq_B.energies))))
    resolution = MERGE_RTOL * scale
    delta_F = eq_B.F_S - eq_A.F_S
    p_A = eq_A.weights / np.sum(eq_A.weights)  # the engine keeps them unnormalized (max 1: no overflow)
    if measure == "universe":
        # p_n |<m_B|n_A>|^2 at W = E^B_m - E^A_n: the Gibbs state is diagonal in A's eigenbasis
        overlap = eq_B.vectors.conj().T @ eq_A.vectors
        joint = p_A[None, :] * (overlap.real**2 + overlap.imag**2)
        work = eq_B.energies[:, None] - eq_A.energies[None, :]
        values, probabilities = _merge(work.ravel(), joint.ravel(), resolution)
        return WorkDistribution(values, probabilities, beta, delta_F, measure, resolution)
    rho = (eq_A.vectors * p_A) @ eq_A.vectors.conj().T
    if t_f > 0.0:
        phases = np.exp(-1j * t_f * (eq_B.energies - eq_B.energies[0]))
        evolution = (eq_B.vectors * phases) @ eq_B.vectors.conj().T
    else:
        evolution = None
    d_R = model_A.dims[1]
    if measure == "H_S+H_SR":
        x_A, iso_A = _spectral_projectors(np.kron(model_A.H_S, np.eye(d_R)) + model_A.V, resolution)
        x_B, iso_B = _spectral_projectors(np.kron(model_B.H_S, np.eye(d_R)) + model_B.V, resolution)
        lift = None
    else:
        x_A, iso_A = _spectral_projectors(_system_operator(eq_A, measure), resolution)
        x_B, iso_B = _spectral_projectors(_system_operator(eq_B, measure), resolution)
        lift = np.eye(d_R)
    work, probability = [], []
    for xa, Pa in zip(x_A, iso_A, strict=True):
        full_a = Pa if lift is None else np.kron(Pa, lift)  # isometry onto the eigenspace, (d, k)
        projected = full_a @ (full_a.conj().T @ rho @ full_a) @ full_a.conj().T
        if evolution is not None:
            projected = evolution @ projected @ evolution.conj().T
        for xb, Pb in zip(x_B, iso_B, strict=True):
            full_b = Pb if lift is None else np.kron(Pb, lift)
            work.append(xb - xa)
            probability.append(float(np.real(np.trace(full_b.conj().T @ projected @ full_b))))
    values, probabilities = _merge(np.array(work), np.clip(np.array(probability), 0.0, None), resolution)
    return WorkDistribution(values, probabilities, beta, delta_F, measure, resolution)


def driven_work_statistics(
    build: Callable[..., Composite],
    path: Path,
    duration: float,
    *,
    beta: float,
    schedule: Callable[[float], float] | None = None,
    dt: float | None = None,
) -> WorkDistribution:
    """The universe's TPM work distribution of a finite-speed protocol (:func:`.driving.drive_composite`).

    P(W) = sum_{n, m} p_n abs(m_B^dagger U(tau) n_A)^2 delta(W - E^B_m + E^A_n), from the dense
    road's propagated columns sqrt(p_n) U n_A. Unitary: the Jarzynski equality and the Crooks relation
    (with the time-reversed protocol) hold at every speed; tau = 0 is the sudden quench's
    :func:`work_statistics`.
    """
    drive = drive_composite(build, path, duration, beta=beta, schedule=schedule, dt=dt, method="dense")
    assert drive.propagated is not None and drive.initial_energies is not None
    end = build(**path.function(float(schedule(1.0) if schedule is not None else 1.0)))
    eq_B = equilibrium(end, beta=beta)
    amplitudes = eq_B.vectors.conj().T @ drive.propagated  # (d, m): sqrt(p_n) <m_B|U|n_A>
    joint = amplitudes.real**2 + amplitudes.imag**2
    work = eq_B.energies[:, None] - drive.initial_energies[None, :]
    scale = 1.0 + float(np.max(np.abs(eq_B.energies)))
    values, probabilities = _merge(work.ravel(), joint.ravel(), MERGE_RTOL * scale)
    return WorkDistribution(values, probabilities, beta, drive.delta_F_S, "universe", MERGE_RTOL * scale)
