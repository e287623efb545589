"""Finite-speed driving of a finite composite: the exact engine between its sudden quench and the
quantum-adiabatic limit (issue 24, item 2).

A composite H(lambda) = H_S(lambda) (x) 1 + 1 (x) H_R + V(lambda), with lambda(t) = path(s(t / tau)),
starts in the global Gibbs state of H(lambda(0)) at beta and evolves unitarily for a time tau. The
universe is closed, so the work is its energy change, W(t) = Tr[rho(t) H(t)] - Tr[rho(0) H(0)]
(Davoudi et al. Eq. 20 at finite speed), and W(tau) >= Delta F*_S (its free energy is F_R + F*_S
and H_R is fixed: the second law from a Gibbs start, with equality only at the reversible limit).
Limits: tau -> 0 is the sudden quench (W = W_diff, Eq. 22); tau -> infinity is the
quantum-adiabatic limit, where each eigenstate follows its own level (no crossing) and
W = sum_n p_n (E_n(B) - E_n(A)) -- for a finite closed universe that is not Delta F*_S.

Time stepping: the commutator-free fourth-order Magnus scheme (two exponentials a step, at the
Gauss-Legendre times of the step), each applied by :func:`scipy.sparse.linalg.expm_multiply`, so
that a sparse H is never diagonalized; the step is the largest that meets ``dt`` and the output
times. Two roads to rho(0):

* ``method="dense"``: every eigenvector of H(0) with its Gibbs weight, evolved as one block (exact
  up to the time step; small d);
* ``method="typicality"``: ``samples`` random vectors e^{-beta H(0)/2} phi (quantum typicality,
  :mod:`strongtherm.exact.typicality`) evolved instead, with jackknife error bars (large d).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

import numpy as np
import scipy.sparse as sp
from scipy.linalg import expm
from scipy.sparse.linalg import expm_multiply

from ..core.validation import check_integer, check_real
from ..path import Path
from .composite import Composite
from .meanforce import check_beta, equilibrium
from .typicality import jackknife_error, random_vector

__all__ = ["CompositeDrive", "drive_composite"]

#: Up to this dimension a time step is two dense matrix exponentials (scipy.linalg.expm); above
#: it, two Krylov applications (expm_multiply) on the sparse H.
DENSE_STEP_DIMENSION = 256
_A1, _A2 = 0.25 + math.sqrt(3.0) / 6.0, 0.25 - math.sqrt(3.0) / 6.0  # CFM4 weights
_C1, _C2 = 0.5 - math.sqrt(3.0) / 6.0, 0.5 + math.sqrt(3.0) / 6.0  # Gauss-Legendre nodes


@dataclass(frozen=True)
class CompositeDrive:
    """A finite composite driven at finite speed (module docstring).

    Attributes
    ----------
    times : ndarray, (M,)
        Output times, in units of hbar/energy.
    work : ndarray, (M,)
        W(t) = <H(t)>_t - <H(0)>_0, in units of energy.
    rho_S : ndarray, (M, d_S, d_S)
        The reduced state at each output time.
    delta_F_S : float
        Delta F*_S between the end points (mean-force engine), the reversible work.
    adiabatic_work : float or None
        sum_n p_n (E_n(B) - E_n(A)), the quantum-adiabatic limit (dense road only).
    energy : mapping
        The system's internal energy along the process by each definition of Davoudi et al.
        (2025), (M,) each: ``"diff"``, U_diff(t) = <H(t)>_t - U_R^0 = U_diff(0) + W(t) (Eq. 10 on the
        evolved state of the closed universe; H_R is fixed); ``"H*"``, Tr[H*_S(lambda(t)) rho_S(t)]
        and ``"E*"``, Tr[E*_S(lambda(t)) rho_S(t)] (Eqs. 11, 13 with the mean-force operators of the
        instantaneous parameters). At t = 0 they are the equilibrium U of lambda(0); at a sudden
        quench (duration 0) the one output is right after the jump, U^A + W of the quench engine
        (Eqs. 22-24). ``"H*"`` and ``"E*"`` are NaN where ``mean_force=False``.
    free_energy : ndarray, (M,)
        F*_S(lambda(t)) (Eq. 7, equilibrium at the instantaneous parameters; NaN where
        ``mean_force=False``). The mean-force operators and F*_S come from the dense engine, one
        equilibrium per output time, on both roads.
    entropy_production : ndarray, (M,)
        beta (W(t) - [F*_S(lambda(t)) - F*_S(lambda(0))]) >= 0: for a Gibbs start and a fixed H_R,
        the relative entropy D(rho(t) || pi_lambda(t)) of the universe (Davoudi Eq. 28 at finite speed);
        NaN where ``mean_force=False``.
    errors : mapping
        Jackknife errors (typicality road): ``work`` (M,), ``rho_S`` (M, d_S, d_S), and
        ``energy_diff``, ``energy_H*``, ``energy_E*``, ``entropy_production`` (M,).
    propagated : ndarray or None
        Dense road: U(tau) applied to the Gibbs-weighted eigenvectors of H(0), columns
        sqrt(p_n) U n (d, m) for the m eigenvectors n of non-negligible weight, and ``initial_energies``
        their E_n: what a two-point measurement at finite speed needs
        (:func:`strongtherm.exact.statistics.driven_work_statistics`).
    """

    times: np.ndarray
    work: np.ndarray
    rho_S: np.ndarray
    delta_F_S: float
    adiabatic_work: float | None
    steps: int
    method: str
    errors: Mapping[str, np.ndarray] = field(default_factory=dict)
    energy: Mapping[str, np.ndarray] = field(default_factory=dict)
    free_energy: np.ndarray | None = None
    entropy_production: np.ndarray | None = None
    propagated: np.ndarray | None = field(default=None, repr=False)
    initial_energies: np.ndarray | None = field(default=None, repr=False)

    @property
    def dissipated_work(self) -> float:
        """W(tau) - Delta F*_S >= 0 (second law from a Gibbs start)."""
        return float(self.work[-1] - self.delta_F_S)

    def __repr__(self) -> str:
        return (f"CompositeDrive({self.method}: W(tau)={self.work[-1]:.8g}, Delta F*_S={self.delta_F_S:.8g}, "
                f"{self.steps} steps)")


def _hamiltonian(composite: Composite) -> Any:
    """H of a composite: a dense array up to DENSE_STEP_DIMENSION (numpy arithmetic beats sparse
    there), a CSR matrix above."""
    H = composite.H
    return np.asarray(H) if H.shape[0] <= DENSE_STEP_DIMENSION else sp.csr_matrix(H)


def drive_composite(
    build: Callable[..., Composite],
    path: Path,
    duration: float,
    *,
    beta: float,
    schedule: Callable[[float], float] | None = None,
    times: Sequence[float] | np.ndarray | None = None,
    dt: float | None = None,
    method: Literal["dense", "typicality"] = "dense",
    samples: int = 16,
    rng: np.random.Generator | int | None = None,
    max_steps: int = 200_000,
    mean_force: bool = True,
) -> CompositeDrive:
    """Drive the composite ``build(**path(s))`` along ``path`` in a time ``duration``.

    Parameters
    ----------
    build : callable
        ``build(**params) -> Composite`` at every point of the path (same dimensions, same H_R).
    path : Path
        The parameters lambda(s), s in [0, 1].
    duration : float
        tau >= 0, in units of hbar/energy (0: the sudden quench).
    beta : float
        Inverse temperature of the initial global Gibbs state.
    schedule : callable, optional
        s(u) for u = t / tau in [0, 1] (default: linear, s = u).
    times : array_like, optional
        Output times in [0, tau] (default: 0 and tau).
    dt : float, optional
        Largest time step (default: 0.1 / ||H(0)||, the spectral radius: the fourth-order
        scheme's error is then ~1e-8 per unit time for smooth schedules).
    method : {"dense", "typicality"}
    samples, rng
        Random vectors of the typicality road and their generator.
    max_steps : int
        Refuse a time grid longer than this (before anything is allocated).
    mean_force : bool
        Compute U_H*, U_E* and F*_S of lambda(t) at every output time (one dense equilibrium per
        output time); False leaves them NaN (U_diff and W are always there).
    """
    beta = check_beta(beta)
    tau = check_real("duration", duration, low=0.0)
    if method not in ("dense", "typicality"):
        raise ValueError(f"method must be 'dense' or 'typicality', got {method!r}")
    max_steps = check_integer("max_steps", max_steps, low=1)
    s_of = schedule if schedule is not None else (lambda u: u)

    def composite_at(t: float) -> Composite:
        u = 0.0 if tau == 0.0 else min(max(t / tau, 0.0), 1.0)
        return build(**path.function(float(s_of(u))))

    start = composite_at(0.0)
    end = build(**path.function(float(s_of(1.0))))  # at tau = 0 too: the sudden quench's B
    H_start, H_end = _hamiltonian(start), _hamiltonian(end)
    # H affine along the path (the common case: parameters that enter linearly, a line path) is
    # interpolated instead of built twice a step; checked at two interior points first
    s_start, s_end = float(s_of(0.0)), float(s_of(1.0))

    def interpolated(s_value: float) -> Any:
        w = (s_value - s_start) / (s_end - s_start)
        return (1.0 - w) * H_start + w * H_end

    affine = s_end != s_start and all(
        abs(interpolated(x) - _hamiltonian(build(**path.function(x)))).max() <= 1e-13 * (1.0 + abs(H_start).max())
        for x in (s_start + 0.37 * (s_end - s_start), s_start + 0.81 * (s_end - s_start))
    )

    def hamiltonian_at(t: float) -> Any:
        if affine:
            u = 0.0 if tau == 0.0 else min(max(t / tau, 0.0), 1.0)
            return interpolated(float(s_of(u)))
        return _hamiltonian(composite_at(t))
    if start.dims != end.dims:
        raise ValueError(f"build must keep the dimensions along the path: {start.dims} at the start, {end.dims} at the end")
    outputs = np.array([0.0, tau]) if times is None else np.unique(np.asarray(times, dtype=float))
    if outputs.size == 0 or outputs[0] < 0.0 or outputs[-1] > tau or not np.all(np.isfinite(outputs)):
        raise ValueError(f"times must be finite values in [0, duration={tau:g}]")
    eq_A = equilibrium(start, beta=beta)
    eq_B = equilibrium(end, beta=beta)
    H0 = H_start
    radius = float(np.max(np.abs(eq_A.energies)))
    dt = check_real("dt", dt if dt is not None else 0.1 / max(radius, 1e-12), low=0.0, low_inclusive=False)
    # the time grid: every output time, and steps of at most dt between them
    pieces = [outputs[0:1]]
    for a, b in zip(outputs[:-1], outputs[1:], strict=True):
        count = max(1, math.ceil((b - a) / dt))
        if count > max_steps:
            raise ValueError(f"{count} steps of dt={dt:g} between t={a:g} and t={b:g} exceed max_steps={max_steps}")
        pieces.append(np.linspace(a, b, count + 1)[1:])
    grid = np.concatenate(pieces)
    if grid.size - 1 > max_steps:
        raise ValueError(f"{grid.size - 1} time steps exceed max_steps={max_steps}: raise dt or max_steps")
    d_S = start.dims[0]
    if method == "dense":
        weights = eq_A.weights / np.sum(eq_A.weights)
        keep = weights > 1e-16 * weights.max()  # states of no weight carry nothing
        block = eq_A.vectors[:, keep] * np.sqrt(weights[keep])
        columns = [block]
    else:
        samples = check_integer("samples", samples, low=4)
        generator = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
        shifted = sp.csr_matrix(H0) - eq_A.energies[0] * sp.identity(H0.shape[0], format="csr")
        columns = []
        for _ in range(samples):
            phi = random_vector(generator, H0.shape[0])
            columns.append(expm_multiply(-0.5 * beta * shifted, phi)[:, None])
    energy0 = [float(np.real(np.sum(np.conj(c) * (H0 @ c)))) for c in columns]
    norms = [float(np.real(np.sum(np.conj(c) * c))) for c in columns]
    work = np.empty((len(columns), outputs.size))
    rho = np.empty((len(columns), outputs.size, d_S, d_S), dtype=complex)
    out_index = 0
    states = [c.astype(complex) for c in columns]
    dense_steps = H0.shape[0] <= DENSE_STEP_DIMENSION
    d_R = start.dims[1]

    def record(k: int, H: Any) -> None:
        for j, c in enumerate(states):
            work[j, k] = float(np.real(np.sum(np.conj(c) * (H @ c)))) - energy0[j]
            reshaped = c.reshape(d_S, d_R, -1)
            rho[j, k] = np.einsum("arc,brc->ab", reshaped, reshaped.conj())

    if outputs[0] == grid[0]:
        record(0, H0 if tau > 0.0 or outputs.size > 1 else H_end)
        out_index = 1
    if tau == 0.0:
        # the sudden quench: the state does not move, the Hamiltonian jumps
        record(outputs.size - 1, H_end)
    else:
        for t0, t1 in zip(grid[:-1], grid[1:], strict=True):
            h = t1 - t0
            H1 = hamiltonian_at(t0 + _C1 * h)
            H2 = hamiltonian_at(t0 + _C2 * h)
            first = (-1j * h) * (_A2 * H1 + _A1 * H2)
            second = (-1j * h) * (_A1 * H1 + _A2 * H2)
            if dense_steps:  # a small composite: two dense exponentials beat two Krylov calls
                step = expm(first) @ expm(second)
                states = [step @ c for c in states]
            else:
                states = [expm_multiply(first, expm_multiply(second, c)) for c in states]
            if out_index < outputs.size and abs(t1 - outputs[out_index]) <= 1e-12 * max(1.0, tau):
                record(out_index, hamiltonian_at(t1))
                out_index += 1
    delta_F = eq_B.F_S - eq_A.F_S
    # the mean-force operators of lambda(t) at each output time (a sudden quench's one output is
    # after the jump: B's); eq_A and eq_B are reused at the end points
    operators = np.full((2, outputs.size, d_S, d_S), np.nan, dtype=complex)
    free_energy = np.full(outputs.size, np.nan)
    if mean_force:
        for k, t in enumerate(outputs):
            if tau == 0.0 or t == tau:
                eq_t = eq_B
            else:
                eq_t = eq_A if t == 0.0 else equilibrium(composite_at(float(t)), beta=beta)
            operators[0, k], operators[1, k] = np.asarray(eq_t.H_star), np.asarray(eq_t.E_star)
            free_energy[k] = eq_t.F_S

    def thermodynamics(W: np.ndarray, rho_S: np.ndarray) -> dict[str, np.ndarray]:
        """U of each definition and the entropy production from W(t) and rho_S(t)."""
        # Tr[O(t) rho_S(t)] per output time (real for Hermitian O and rho_S)
        return {"diff": eq_A.U["diff"] + W, "H*": np.real(np.einsum("kab,kba->k", operators[0], rho_S)),
                "E*": np.real(np.einsum("kab,kba->k", operators[1], rho_S)),
                "sigma": beta * (W - (free_energy - eq_A.F_S))}  # fmt: skip

    if method == "dense":
        total_work = work.sum(axis=0)
        total_rho = rho.sum(axis=0)
        # followed levels, no crossing: the n-th level of A goes to the n-th of B
        p = eq_A.weights / np.sum(eq_A.weights)
        adiabatic = float(np.sum(p * (eq_B.energies - eq_A.energies)))
        thermo = thermodynamics(total_work, total_rho)
        return CompositeDrive(outputs, total_work, total_rho, delta_F, adiabatic, grid.size - 1, method,
                              energy=MappingProxyType({key: thermo[key] for key in ("diff", "H*", "E*")}),
                              free_energy=free_energy, entropy_production=thermo["sigma"],
                              propagated=states[0], initial_energies=eq_A.energies[keep])  # fmt: skip
    # typicality: rho ~ sum_k |psi_k><psi_k| / sum_k <psi_k|psi_k> (norms kept by the unitary steps)
    norm = np.array(norms)
    K = len(columns)
    total = norm.sum()
    leave_work = np.array([(work.sum(axis=0) - work[k]) / (total - norm[k]) for k in range(K)])
    leave_rho = np.array([(rho.sum(axis=0) - rho[k]) / (total - norm[k]) for k in range(K)])
    errors = {"work": jackknife_error(leave_work), "rho_S": jackknife_error(leave_rho)}
    # every output is linear in (W, rho_S): its jackknife from theirs, sample by sample
    leave_thermo = [thermodynamics(leave_work[k], leave_rho[k]) for k in range(K)]
    for key, name in (("diff", "energy_diff"), ("H*", "energy_H*"), ("E*", "energy_E*"), ("sigma", "entropy_production")):
        errors[name] = jackknife_error(np.array([row[key] for row in leave_thermo]))
    thermo = thermodynamics(work.sum(axis=0) / total, rho.sum(axis=0) / total)
    return CompositeDrive(outputs, work.sum(axis=0) / total, rho.sum(axis=0) / total, delta_F, None, grid.size - 1,
                          method, MappingProxyType(errors),
                          energy=MappingProxyType({key: thermo[key] for key in ("diff", "H*", "E*")}),
                          free_energy=free_energy, entropy_production=thermo["sigma"])  # fmt: skip
