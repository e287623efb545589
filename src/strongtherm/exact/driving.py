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
Along the way: the system's internal energy U_x(t) by each definition x of Davoudi et al.
(diff, H*, E*: Eqs. 10, 11, 13) and the heat of its first law, Q_x(t) = U_x(t) - U_x^A - W(t)
(Eqs. 25-27 at finite speed; Q_diff = 0 for a closed universe with a fixed H_R).

Time stepping: the commutator-free fourth-order Magnus scheme (two exponentials a step, at the
Gauss-Legendre times of the step), each applied by :func:`scipy.sparse.linalg.expm_multiply`, so
that a sparse H is never diagonalized; the step is the largest that meets ``dt`` and the output
times. Two roads to rho(0):

* ``method="dense"``: every eigenvector of H(0) with its Gibbs weight, evolved as one block (exact
  up to the time step; small d); the end-point and instantaneous equilibria from the dense engine
  (:func:`strongtherm.exact.equilibrium`).
* ``method="typicality"``: ``samples`` random vectors e^{-beta (H(0) - E_0)/2} phi (quantum
  typicality, :mod:`strongtherm.exact.typicality`) evolved instead, as one (d, samples) block, with
  jackknife error bars (large d). Nothing is diagonalized densely: E_0 and the spectral radius by
  Lanczos, e^{-beta (H - E_0)/2} phi by a Chebyshev series (:func:`.typicality.exp_action`), and
  every equilibrium (Delta F*_S, U^A_diff, and with ``mean_force`` F*_S, H*_S, E*_S of lambda(t))
  by :func:`.typicality.typical_equilibrium` on its own random vectors. ``build`` may then return
  (H_S, H_R, V) with sparse H_R and V (a :class:`Composite` holds dense d x d matrices).
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

from ..core.convert import as_array
from ..core.progress import stages
from ..core.quantities import key as quantity_key
from ..core.validation import check_integer, check_real
from ..path import Path
from .composite import Composite
from .meanforce import check_beta, equilibrium
from .typicality import (
    MAX_BYTES,
    SectorSpec,
    TypicalEquilibrium,
    exp_action,
    ground_energy,
    jackknife_error,
    random_vector,
    typical_equilibrium,
    upper_bound,
)

__all__ = ["CompositeDrive", "drive_composite"]

#: Up to this dimension a time step is two dense matrix exponentials (scipy.linalg.expm); above
#: it, two Krylov applications (expm_multiply) on the sparse H.
DENSE_STEP_DIMENSION = 256
#: Blocks of (d, samples) complex vectors the typicality road may hold at once, for its memory
#: check against ``MAX_BYTES``: at the peak, the Chebyshev series of the initial vectors (the random
#: vectors, two terms, the sum and three temporaries of a product) and the complex copy propagated.
WORKSPACE_BLOCKS = 8
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
        Delta F*_S between the end points (mean-force engine: dense, or typicality on the
        typicality road), the reversible work.
    adiabatic_work : float or None
        sum_n p_n (E_n(B) - E_n(A)), the quantum-adiabatic limit (dense road only).
    energy : mapping
        The system's internal energy along the process by each definition of Davoudi et al.
        (2025), (M,) each: ``"diff"``, U_diff(t) = <H(t)>_t - U_R^0 = U_diff(0) + W(t) (Eq. 10 on the
        evolved state of the closed universe; H_R is fixed); ``"H*"``, Tr[H*_S(lambda(t)) rho_S(t)]
        and ``"E*"``, Tr[E*_S(lambda(t)) rho_S(t)] (Eqs. 11, 13 with the mean-force operators of the
        instantaneous parameters). At t = 0 they are the equilibrium U of lambda(0); at a sudden
        quench (duration 0) the last output is right after the jump, U^A + W of the quench engine
        (Eqs. 22-24), and with the default ``times`` the first one before it (W = 0, U^A: every
        output of that time is lambda(0)'s). ``"H*"`` and ``"E*"`` are NaN where ``mean_force=False``.
    heat : mapping
        The heat of the system's first law per definition, Q_x(t) = U_x(t) - U_x^A - W(t), (M,)
        each for x in ``"diff"``, ``"H*"``, ``"E*"``, with U_x^A = Tr[X*_S(lambda(0)) rho_S(0)] the
        equilibrium energy of lambda(0) and W(t) the universe's work, the only work a drive of a
        closed universe does (Eqs. 20, 25-27 at finite speed). ``"diff"`` is identically 0 (to
        rounding): U_diff - W changes only through U_R^0, fixed with H_R, so by that definition all
        of the universe's energy change is the system's work and none is heat -- as after a quench
        with unitary evolution (Eq. 25). ``"H*"`` and ``"E*"`` are the energy the mean-force
        definitions put into the reservoir-correlations side (NaN where ``mean_force=False``); at a
        sudden quench Q_x = W_x - W_diff, the quench engine's works of Eqs. 22-24.
    free_energy : ndarray, (M,)
        F*_S(lambda(t)) (Eq. 7, equilibrium at the instantaneous parameters; NaN where
        ``mean_force=False``): one equilibrium per output time, by the dense engine on the dense
        road and by typicality (:func:`.typicality.typical_equilibrium`) on the typicality road.
    entropy_production : ndarray, (M,)
        beta (W(t) - [F*_S(lambda(t)) - F*_S(lambda(0))]) >= 0: for a Gibbs start and a fixed H_R,
        the relative entropy D(rho(t) || pi_lambda(t)) of the universe (Davoudi Eq. 28 at finite speed);
        NaN where ``mean_force=False``.
    errors : mapping
        One-sigma errors (typicality road; empty on the dense road): ``work`` (M,), ``rho_S``
        (M, d_S, d_S), ``energy_diff``, ``energy_H*``, ``energy_E*``, ``heat_diff``, ``heat_H*``,
        ``heat_E*``, ``free_energy``, ``entropy_production`` (M,), ``delta_F_S`` and
        ``dissipated_work`` (scalars). Each is the jackknife over the drive's random vectors (every
        output recomputed without one) and, added in quadrature, the jackknife of the equilibria
        it uses over their own, independent random vectors (terms of one equilibrium jackknifed
        together: Delta F*_S's two end points add in quadrature, Q_H*(t)'s U_H*(t) and U_H*^A
        share lambda(0)'s operator at t = 0 and cancel there).
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
    heat: Mapping[str, np.ndarray] = field(default_factory=dict)

    @property
    def dissipated_work(self) -> float:
        """W(tau) - Delta F*_S >= 0 (second law from a Gibbs start)."""
        return float(self.work[-1] - self.delta_F_S)

    def to_dict(self) -> dict[str, float]:
        """End values and settings as plain floats (JSON, summaries), keyed as the quantity registry.

        Keys: ``W_ext`` (W(tau)), ``delta_F_S``, ``dissipated_work``, ``entropy_production``
        (at tau), ``adiabatic_work`` (dense road only),
        ``system_energy_<d>`` and ``delta_system_energy_<d>`` (U_d(tau) and U_d(tau) - U_d(0)) and
        ``heat_<d>`` (Q_d(tau)) for d in ``diff``, ``Hstar``, ``Estar``; ``protocol_duration``,
        ``n_steps``; on the typicality road the one-sigma errors ``error_W``, ``error_delta_F_S``,
        ``error_dissipated_work`` and ``error_entropy_production``. Time series: :meth:`series`.
        """
        out = {
            "W_ext": float(self.work[-1]),
            "delta_F_S": float(self.delta_F_S),
            "dissipated_work": self.dissipated_work,
            "entropy_production": _last(self.entropy_production),
        }
        if self.adiabatic_work is not None:
            out["adiabatic_work"] = float(self.adiabatic_work)
        for d, series in self.energy.items():
            out[quantity_key("system_energy", definition=d)] = float(series[-1])
            out[quantity_key("delta_system_energy", definition=d)] = float(series[-1] - series[0])
        out.update({quantity_key("heat", definition=d): float(series[-1]) for d, series in self.heat.items()})
        out["protocol_duration"] = float(self.times[-1])
        out["n_steps"] = float(self.steps)
        if self.errors:
            out["error_W"] = float(self.errors["work"][-1])
            out["error_delta_F_S"] = float(self.errors["delta_F_S"])
            out["error_dissipated_work"] = float(self.errors["dissipated_work"])
            out["error_entropy_production"] = _last(self.errors["entropy_production"])
        return out

    def series(self) -> dict[str, np.ndarray]:
        """The time series, each (M,): ``times``, ``W_ext``, ``system_energy_<d>``, ``heat_<d>``,
        ``F_S`` (of lambda(t)), ``entropy_production``, the reduced state's entries
        ``rho_S_<a><b>_real`` and ``_imag`` (upper triangle, a <= b), and on the typicality road
        ``error_<name>`` for each of them (one sigma)."""
        out = {"times": self.times, "W_ext": self.work}
        errors = {"W_ext": self.errors.get("work")}
        for d in self.energy:
            out[quantity_key("system_energy", definition=d)] = self.energy[d]
            errors[quantity_key("system_energy", definition=d)] = self.errors.get(f"energy_{d}")
            out[quantity_key("heat", definition=d)] = self.heat[d]
            errors[quantity_key("heat", definition=d)] = self.errors.get(f"heat_{d}")
        nan = np.full(self.times.size, np.nan)
        out["F_S"] = nan if self.free_energy is None else self.free_energy
        errors["F_S"] = self.errors.get("free_energy")
        out["entropy_production"] = nan if self.entropy_production is None else self.entropy_production
        errors["entropy_production"] = self.errors.get("entropy_production")
        rho_errors = self.errors.get("rho_S")
        for a, b in zip(*np.triu_indices(self.rho_S.shape[1]), strict=True):
            for part, take in (("real", np.real), ("imag", np.imag)):
                name = f"rho_S_{a}{b}_{part}"
                out[name] = take(self.rho_S[:, a, b])
                errors[name] = None if rho_errors is None else take(rho_errors[:, a, b])
        out.update({f"error_{k}": v for k, v in errors.items() if v is not None})
        return out

    def __repr__(self) -> str:
        return (f"CompositeDrive({self.method}: W(tau)={self.work[-1]:.8g}, Delta F*_S={self.delta_F_S:.8g}, "
                f"{self.steps} steps)")


def _last(series: np.ndarray | None) -> float:
    """The end value of a time series that may be absent (NaN then)."""
    return math.nan if series is None else float(series[-1])


def _hamiltonian(composite: Composite) -> Any:
    """H of a composite: a dense array up to DENSE_STEP_DIMENSION (numpy arithmetic beats sparse
    there), a CSR matrix above."""
    H = composite.H
    return np.asarray(H) if H.shape[0] <= DENSE_STEP_DIMENSION else sp.csr_matrix(H)


def _as_composite(value: Any) -> Composite:
    """What ``build`` returned as a Composite (dense road): a Composite, or (H_S, H_R, V) densified."""
    if isinstance(value, Composite):
        return value
    H_S, H_R, V = _parts(value)
    return Composite(H_S=H_S, H_R=_densified(H_R), V=_densified(V))


def _densified(M: Any) -> Any:
    return M.toarray() if sp.issparse(M) else M


def _parts(value: Any) -> tuple[np.ndarray, Any, Any]:
    """(H_S, H_R, V) of what ``build`` returned: a Composite or a tuple (V None: no coupling)."""
    if isinstance(value, Composite):
        return np.asarray(value.H_S), value.H_R, value.V
    if isinstance(value, tuple) and len(value) == 3:
        H_S, H_R, V = (as_array(M) for M in value)
        if V is not None and not sp.issparse(V) and np.ndim(V) == 0 and V == 0:
            V = None
        return np.asarray(H_S), H_R, V
    raise TypeError(f"build must return a Composite or a tuple (H_S, H_R, V), got {type(value).__name__}")


def _universe(parts: tuple[np.ndarray, Any, Any]) -> sp.csr_matrix:
    """The sparse H = H_S (x) 1 + 1 (x) H_R + V of (H_S, H_R, V) (system first)."""
    H_S, H_R, V = parts
    d_S, d_R = H_S.shape[0], H_R.shape[0]
    H = sp.kron(sp.csr_matrix(H_S), sp.identity(d_R), format="csr") + sp.kron(sp.identity(d_S), sp.csr_matrix(H_R), format="csr")
    if V is not None:
        if V.shape != (d_S * d_R, d_S * d_R):
            raise ValueError(f"V must have shape ({d_S * d_R}, {d_S * d_R}) for H_S {H_S.shape} and H_R {H_R.shape}, "
                             f"but has shape {V.shape}")  # fmt: skip
        H = H + sp.csr_matrix(V)
    return H.tocsr()


def _time_grid(outputs: np.ndarray, dt: float, max_steps: int, breaks: np.ndarray | None = None) -> np.ndarray:
    """t = 0, every output time and break, and steps of at most dt between them (refused beyond
    max_steps). The evolution starts at t = 0 whatever the first output time."""
    stops = np.union1d(np.union1d([0.0], outputs), breaks if breaks is not None else [])
    pieces = [stops[0:1]]
    for a, b in zip(stops[:-1], stops[1:], strict=True):
        count = max(1, math.ceil((b - a) / dt))
        if count > max_steps:
            raise ValueError(f"{count} steps of dt={dt:g} between t={a:g} and t={b:g} exceed max_steps={max_steps}")
        pieces.append(np.linspace(a, b, count + 1)[1:])
    grid = np.concatenate(pieces)
    if grid.size - 1 > max_steps:
        raise ValueError(f"{grid.size - 1} time steps exceed max_steps={max_steps}: raise dt or max_steps")
    return grid


def _propagate(
    state: np.ndarray,
    grid: np.ndarray,
    outputs: np.ndarray,
    tau: float,
    hamiltonian_at: Callable[[float], Any],
    H0: Any,
    H_end: Any,
    record: Callable[[int, np.ndarray, Any], None],
    progress: bool | None = None,
) -> np.ndarray:
    """Evolve the block of vectors ``state`` (d, m) over the grid by CFM4 steps, calling
    ``record(k, state, H(t_k))`` at each output time; return the final block. ``progress``: a bar
    over the steps (:func:`strongtherm.core.progress.stages`)."""
    out_index = 0
    if outputs[0] == grid[0]:
        record(0, state, H0 if tau > 0.0 or outputs.size > 1 else H_end)
        out_index = 1
    if tau == 0.0:
        # the sudden quench: the state does not move, the Hamiltonian jumps
        record(outputs.size - 1, state, H_end)
        return state
    dense_steps = H0.shape[0] <= DENSE_STEP_DIMENSION
    steps = zip(grid[:-1], grid[1:], strict=True)
    for t0, t1 in stages(steps, total=grid.size - 1, desc="drive_composite: time steps", progress=progress):
        h = t1 - t0
        H1 = hamiltonian_at(t0 + _C1 * h)
        H2 = hamiltonian_at(t0 + _C2 * h)
        first = (-1j * h) * (_A2 * H1 + _A1 * H2)
        second = (-1j * h) * (_A1 * H1 + _A2 * H2)
        if dense_steps:  # a small composite: two dense exponentials beat two Krylov calls
            step = expm(first) @ expm(second)
            state = step @ state
        else:  # all columns at once: one norm estimate and one Taylor series per step
            state = expm_multiply(first, expm_multiply(second, state))
        if out_index < outputs.size and abs(t1 - outputs[out_index]) <= 1e-12 * max(1.0, tau):
            record(out_index, state, hamiltonian_at(t1))
            out_index += 1
    return state


def _equilibrium_variance(terms: Sequence[tuple[TypicalEquilibrium, str, np.ndarray | None, float]]) -> np.ndarray:
    """Squared jackknife error, over the typicality equilibria's own random vectors, of
    sum_j sign_j Tr[O_j rho_j] (``F_S`` for rho_j None: sign_j F*_S), O_j = H_star or E_star of
    equilibrium j. Terms of one equilibrium are jackknifed as one sum (they move together); those
    of different equilibria, independent samples, add in quadrature. ``rho_j`` may carry leading
    axes (M, d_S, d_S): one variance per output then."""
    groups: dict[int, tuple[TypicalEquilibrium, list[tuple[str, np.ndarray | None, float]]]] = {}
    for eq, key, rho, sign in terms:
        groups.setdefault(id(eq), (eq, []))[1].append((key, rho, sign))
    variance: np.ndarray = np.zeros(())
    for eq, items in groups.values():
        values: Any = 0.0
        for key, rho, sign in items:
            samples = eq.leave_one_out[key]
            values = values + sign * (samples if rho is None else np.real(np.einsum("lab,...ba->l...", samples, rho)))
        variance = variance + jackknife_error(np.asarray(values)) ** 2
    return variance


def drive_composite(
    build: Callable[..., Any],
    path: Path,
    duration: float,
    *,
    beta: float,
    schedule: Callable[[float], float] | Any | None = None,
    times: Sequence[float] | np.ndarray | None = None,
    dt: float | None = None,
    method: Literal["dense", "typicality"] = "dense",
    samples: int = 16,
    rng: np.random.Generator | int | None = None,
    max_steps: int = 200_000,
    mean_force: bool = True,
    equilibrium_samples: int | None = None,
    sectors: SectorSpec | None = None,
    equilibrium_method: Literal["typicality", "deflated"] = "typicality",
    progress: bool | None = None,
) -> CompositeDrive:
    """Drive the composite ``build(**path(s))`` along ``path`` in a time ``duration``.

    Parameters
    ----------
    build : callable
        ``build(**params)`` at every point of the path (same dimensions, same H_R): a
        :class:`Composite`, or a tuple (H_S, H_R, V) as :func:`strongtherm.models.spin_chains.qubit_on_spin_chain`
        returns (H_R and V may be scipy.sparse; the typicality road keeps them sparse, the dense
        road densifies them).
    path : Path
        The parameters lambda(s), s in [0, 1].
    duration : float
        tau >= 0, in units of hbar/energy (0: the sudden quench).
    beta : float
        Inverse temperature of the initial global Gibbs state.
    schedule : callable or Schedule, optional
        s(u) for u = t / tau in [0, 1] (default: linear, s = u), or a
        :class:`strongtherm.dynamics.Schedule` (its kinks become step boundaries; one that jumps
        is refused).
    times : array_like, optional
        Output times in [0, tau] (default: 0 and tau).
    dt : float, optional
        Largest time step (default: 0.1 / ||H(0)||, the spectral radius -- from the dense
        eigenvalues, or on the typicality road from Lanczos estimates of the lowest and highest
        eigenvalues: the fourth-order scheme's error is then ~1e-8 per unit time for smooth
        schedules).
    method : {"dense", "typicality"}
    samples, rng
        Random vectors of the typicality road (>= 4) and their generator (an int seeds one); the
        drive's vectors are drawn first, then each equilibrium's.
    max_steps : int
        Refuse a time grid longer than this (before anything is allocated).
    mean_force : bool
        Compute U_H*, U_E*, Q_H*, Q_E* and F*_S of lambda(t) at every output time (one equilibrium
        per output time); False leaves them NaN (U_diff, Q_diff, W and Delta F*_S are always there).
    equilibrium_samples : int, optional
        Typicality road: random vectors of each equilibrium (default: ``samples``).
    sectors : optional
        Typicality road: a conserved quantity of every H(lambda) for the equilibria (as
        :func:`.typicality.typical_equilibrium` takes it, e.g. ``total_sz(n + 1)``).
    equilibrium_method : {"typicality", "deflated"}
        Typicality road: the equilibria's road (``"deflated"`` at low temperature).
    progress : bool, optional
        A bar over the time steps (default: only on a terminal; :mod:`strongtherm.core.progress`).

    Raises
    ------
    ValueError
        If an argument is out of range (named), the dimensions change along the path, the time grid
        exceeds ``max_steps``, or the typicality road's ``samples`` vectors of dimension d would
        exceed ``MAX_BYTES`` of :mod:`.typicality` (checked before anything is allocated).
    """
    beta = check_beta(beta)
    tau = check_real("duration", duration, low=0.0)
    if method not in ("dense", "typicality"):
        raise ValueError(f"method must be 'dense' or 'typicality', got {method!r}")
    max_steps = check_integer("max_steps", max_steps, low=1)
    # a strongtherm.dynamics.Schedule gives s(u) as .function and the u where ds/du may jump as
    # .kinks (steps never straddle one: the fourth-order scheme needs a smooth H within a step)
    s_of: Callable[[float], Any] = getattr(schedule, "function", schedule) if schedule is not None else (lambda u: u)
    if getattr(schedule, "jumps", ()):
        raise ValueError("schedule: a schedule that jumps is not supported here; drive up to the jump, then quench")
    kinks = np.asarray(getattr(schedule, "kinks", ()), dtype=float)
    convert: Callable[[Any], Any] = _as_composite if method == "dense" else _parts
    matrix: Callable[[Any], Any] = _hamiltonian if method == "dense" else _sparse_or_dense

    def composite_at(t: float) -> Any:
        u = 0.0 if tau == 0.0 else min(max(t / tau, 0.0), 1.0)
        return convert(build(**path.function(float(s_of(u)))))

    start = composite_at(0.0)
    end = convert(build(**path.function(float(s_of(1.0)))))  # at tau = 0 too: the sudden quench's B
    dims_start, dims_end = _dims(start), _dims(end)
    if dims_start != dims_end:
        raise ValueError(f"build must keep the dimensions along the path: {dims_start} at the start, {dims_end} at the end")
    d_S, d_R = dims_start
    if method == "typicality":
        samples = check_integer("samples", samples, low=4)
        needed = 16 * d_S * d_R * samples * WORKSPACE_BLOCKS
        if needed > MAX_BYTES:
            raise ValueError(f"samples={samples} vectors of dimension d={d_S * d_R} need {needed / 2**30:.3g} GiB "
                             f"(> MAX_BYTES = {MAX_BYTES / 2**30:g} GiB): use fewer samples")  # fmt: skip
    H_start, H_end = matrix(start), matrix(end)
    # H affine along the path (the common case: parameters that enter linearly, a line path) is
    # interpolated instead of built twice a step; checked at two interior points first
    s_start, s_end = float(s_of(0.0)), float(s_of(1.0))

    def interpolated(s_value: float) -> Any:
        w = (s_value - s_start) / (s_end - s_start)
        return (1.0 - w) * H_start + w * H_end

    affine = s_end != s_start and all(
        abs(interpolated(x) - matrix(convert(build(**path.function(x))))).max() <= 1e-13 * (1.0 + abs(H_start).max())
        for x in (s_start + 0.37 * (s_end - s_start), s_start + 0.81 * (s_end - s_start))
    )

    def hamiltonian_at(t: float) -> Any:
        if affine:
            u = 0.0 if tau == 0.0 else min(max(t / tau, 0.0), 1.0)
            return interpolated(float(s_of(u)))
        return matrix(composite_at(t))
    outputs = np.array([0.0, tau]) if times is None else np.unique(np.asarray(times, dtype=float))
    if outputs.size == 0 or outputs[0] < 0.0 or outputs[-1] > tau or not np.all(np.isfinite(outputs)):
        raise ValueError(f"times must be finite values in [0, duration={tau:g}]")
    if method == "typicality":
        return _drive_typical(composite_at, start, end, H_start, H_end, hamiltonian_at, outputs, tau, beta=beta, dt=dt,
                              max_steps=max_steps, samples=samples, rng=rng, mean_force=mean_force,
                              equilibrium_samples=samples if equilibrium_samples is None else equilibrium_samples,
                              sectors=sectors, equilibrium_method=equilibrium_method, breaks=kinks * tau,
                              progress=progress)  # fmt: skip
    eq_A = equilibrium(start, beta=beta)
    eq_B = equilibrium(end, beta=beta)
    H0 = H_start
    radius = float(np.max(np.abs(eq_A.energies)))
    dt = check_real("dt", dt if dt is not None else 0.1 / max(radius, 1e-12), low=0.0, low_inclusive=False)
    grid = _time_grid(outputs, dt, max_steps, kinks * tau)
    weights = eq_A.weights / np.sum(eq_A.weights)
    keep = weights > 1e-16 * weights.max()  # states of no weight carry nothing
    block = eq_A.vectors[:, keep] * np.sqrt(weights[keep])
    energy0 = float(np.real(np.sum(np.conj(block) * (H0 @ block))))
    work = np.empty(outputs.size)
    rho = np.empty((outputs.size, d_S, d_S), dtype=complex)

    def record(k: int, c: np.ndarray, H: Any) -> None:
        work[k] = float(np.real(np.sum(np.conj(c) * (H @ c)))) - energy0
        reshaped = c.reshape(d_S, d_R, -1)
        rho[k] = np.einsum("arc,brc->ab", reshaped, reshaped.conj())

    final = _propagate(block.astype(complex), grid, outputs, tau, hamiltonian_at, H0, H_end, record, progress)
    delta_F = eq_B.F_S - eq_A.F_S
    # the mean-force operators of lambda(t) at each output time (a sudden quench's one output is
    # after the jump: B's); eq_A and eq_B are reused at the end points
    operators = np.full((2, outputs.size, d_S, d_S), np.nan, dtype=complex)
    free_energy = np.full(outputs.size, np.nan)
    if mean_force:
        for k, t in enumerate(outputs):
            if k == 0 and _before_jump(tau, outputs):
                eq_t = eq_A
            elif tau == 0.0 or t == tau:
                eq_t = eq_B
            else:
                eq_t = eq_A if t == 0.0 else equilibrium(composite_at(float(t)), beta=beta)
            operators[0, k], operators[1, k] = np.asarray(eq_t.H_star), np.asarray(eq_t.E_star)
            free_energy[k] = eq_t.F_S
    # followed levels, no crossing: the n-th level of A goes to the n-th of B
    p = eq_A.weights / np.sum(eq_A.weights)
    adiabatic = float(np.sum(p * (eq_B.energies - eq_A.energies)))
    energy = {"diff": eq_A.U["diff"] + work, "H*": np.real(np.einsum("kab,kba->k", operators[0], rho)),
              "E*": np.real(np.einsum("kab,kba->k", operators[1], rho))}  # fmt: skip
    # first law per definition: the heat is what W leaves of U_x(t) - U_x^A
    heat = {key: energy[key] - eq_A.U[key] - work for key in ("diff", "H*", "E*")}
    return CompositeDrive(outputs, work, rho, delta_F, adiabatic, grid.size - 1, method,
                          energy=MappingProxyType(energy), free_energy=free_energy,
                          entropy_production=beta * (work - (free_energy - eq_A.F_S)),
                          propagated=final, initial_energies=eq_A.energies[keep],
                          heat=MappingProxyType(heat))  # fmt: skip


def _before_jump(tau: float, outputs: np.ndarray) -> bool:
    """Whether the first output of a sudden quench is before the jump: the default times (0, tau)
    at tau = 0 are two outputs at t = 0, the state recorded with H(0) and then with H(tau)."""
    return tau == 0.0 and outputs.size > 1


def _dims(value: Any) -> tuple[int, int]:
    """(d_S, d_R) of a Composite or of (H_S, H_R, V)."""
    if isinstance(value, Composite):
        return value.dims
    return (int(value[0].shape[0]), int(value[1].shape[0]))


def _sparse_or_dense(parts: tuple[np.ndarray, Any, Any]) -> Any:
    """The typicality road's H: a dense array up to DENSE_STEP_DIMENSION, a CSR matrix above."""
    H = _universe(parts)
    return H.toarray() if H.shape[0] <= DENSE_STEP_DIMENSION else H


def _drive_typical(
    composite_at: Callable[[float], Any],
    start: tuple[np.ndarray, Any, Any],
    end: tuple[np.ndarray, Any, Any],
    H_start: Any,
    H_end: Any,
    hamiltonian_at: Callable[[float], Any],
    outputs: np.ndarray,
    tau: float,
    *,
    beta: float,
    dt: float | None,
    max_steps: int,
    samples: int,
    rng: np.random.Generator | int | None,
    mean_force: bool,
    equilibrium_samples: int,
    sectors: SectorSpec | None,
    equilibrium_method: Literal["typicality", "deflated"],
    breaks: np.ndarray,
    progress: bool | None,
) -> CompositeDrive:
    """The typicality road of :func:`drive_composite`: nothing diagonalized densely (module docstring);
    ``breaks``: times the steps may not straddle (the schedule's kinks)."""
    equilibrium_samples = check_integer("equilibrium_samples", equilibrium_samples, low=4)
    d_S, d_R = _dims(start)
    generator = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    H0 = H_start if sp.issparse(H_start) else _universe(start)  # sparse: Lanczos, Chebyshev
    E0 = ground_energy(H0)
    radius = max(abs(E0), abs(ground_energy(-H0)))
    dt = check_real("dt", dt if dt is not None else 0.1 / max(radius, 1e-12), low=0.0, low_inclusive=False)
    grid = _time_grid(outputs, dt, max_steps, breaks)
    # e^{-beta (H0 - E0)/2} phi_k for all samples as one block (the vectors drawn in the same order
    # as one at a time); the shifted spectrum lies in [0, upper] up to the Lanczos error of E0
    shifted = (H0 - E0 * sp.identity(H0.shape[0], format="csr")).tocsr()
    upper = upper_bound(shifted)
    phis = np.column_stack([random_vector(generator, H0.shape[0]) for _ in range(samples)])
    block = exp_action(shifted, phis, 0.5 * beta, -1e-8 * max(1.0, abs(upper)), upper)
    del phis
    energy0 = np.real(np.einsum("ik,ik->k", block.conj(), H_start @ block))
    norm = np.real(np.einsum("ik,ik->k", block.conj(), block))  # kept by the unitary steps
    work = np.empty((samples, outputs.size))
    rho = np.empty((samples, outputs.size, d_S, d_S), dtype=complex)

    def record(k: int, c: np.ndarray, H: Any) -> None:
        work[:, k] = np.real(np.einsum("ik,ik->k", c.conj(), H @ c)) - energy0
        reshaped = c.reshape(d_S, d_R, -1)
        rho[:, k] = np.einsum("ark,brk->kab", reshaped, reshaped.conj())

    _propagate(block.astype(complex), grid, outputs, tau, hamiltonian_at, H_start, H_end, record, progress)
    del block

    def equilibrium_at(parts: tuple[np.ndarray, Any, Any]) -> TypicalEquilibrium:
        H_S, H_R, V = parts
        return typical_equilibrium(H_S, H_R, V, beta=beta, samples=equilibrium_samples, rng=generator, sectors=sectors,
                                   method=equilibrium_method, progress=False)  # the drive has its bar  # fmt: skip

    eq_A, eq_B = equilibrium_at(start), equilibrium_at(end)
    # the equilibrium of lambda(t) at each output time (a sudden quench's one output is after the
    # jump: B's; eq_A and eq_B at the end points); None where mean_force=False
    at_time: list[TypicalEquilibrium | None] = []
    for k, t in enumerate(outputs):
        if k == 0 and _before_jump(tau, outputs):
            at_time.append(eq_A if mean_force else None)
        elif tau == 0.0 or t == tau:
            at_time.append(eq_B if mean_force else None)
        elif t == 0.0:
            at_time.append(eq_A if mean_force else None)
        else:
            at_time.append(equilibrium_at(composite_at(float(t))) if mean_force else None)
    operators = np.full((2, outputs.size, d_S, d_S), np.nan, dtype=complex)
    free_energy = np.full(outputs.size, np.nan)
    for k, eq_t in enumerate(at_time):
        if eq_t is not None:
            operators[0, k], operators[1, k] = eq_t.H_star, eq_t.E_star
            free_energy[k] = eq_t.F_S
    operators_A = (eq_A.H_star, eq_A.E_star) if mean_force else (np.full((d_S, d_S), np.nan),) * 2

    def thermodynamics(W: np.ndarray, rho_S: np.ndarray) -> dict[str, np.ndarray]:
        """Every output that is a function of (W, rho_S), the equilibria held fixed."""
        out = {"diff": eq_A.U["diff"] + W, "sigma": beta * (W - (free_energy - eq_A.F_S))}
        out["Q diff"] = out["diff"] - eq_A.U["diff"] - W  # 0 to rounding (CompositeDrive.heat)
        for i, key in enumerate(("H*", "E*")):
            out[key] = np.real(np.einsum("kab,kba->k", operators[i], rho_S))
            # U_x^A on the drive's own rho_S(0), the Gibbs state of lambda(0): its fluctuations
            # cancel in U_x(t) - U_x^A
            out["Q " + key] = out[key] - float(np.real(np.trace(operators_A[i] @ rho_S[0]))) - W
        return out

    # rho ~ sum_k |psi_k><psi_k| / sum_k <psi_k|psi_k>, and the leave-one-out estimates
    total = norm.sum()
    mean_work, mean_rho = work.sum(axis=0) / total, rho.sum(axis=0) / total
    leave_work = np.array([(work.sum(axis=0) - work[k]) / (total - norm[k]) for k in range(samples)])
    leave_rho = np.array([(rho.sum(axis=0) - rho[k]) / (total - norm[k]) for k in range(samples)])
    thermo = thermodynamics(mean_work, mean_rho)
    leave_thermo = [thermodynamics(leave_work[k], leave_rho[k]) for k in range(samples)]
    drive_error = {key: jackknife_error(np.array([row[key] for row in leave_thermo])) for key in thermo}
    work_error = jackknife_error(leave_work)
    # the equilibria's own jackknife, independent samples: added in quadrature
    nan = np.full(outputs.size, np.nan)
    equilibrium_part = {key: nan.copy() for key in ("H*", "E*", "Q H*", "Q E*", "F", "sigma")}
    for k, eq_t in enumerate(at_time):
        if eq_t is None:
            continue
        for key, op in (("H*", "H_star"), ("E*", "E_star")):
            equilibrium_part[key][k] = _equilibrium_variance([(eq_t, op, mean_rho[k], 1.0)])
            equilibrium_part["Q " + key][k] = _equilibrium_variance([(eq_t, op, mean_rho[k], 1.0),
                                                                     (eq_A, op, mean_rho[0], -1.0)])  # fmt: skip
        equilibrium_part["F"][k] = _equilibrium_variance([(eq_t, "F_S", None, 1.0)])
        equilibrium_part["sigma"][k] = beta**2 * _equilibrium_variance([(eq_t, "F_S", None, 1.0), (eq_A, "F_S", None, -1.0)])
    delta_F_error = float(np.sqrt(_equilibrium_variance([(eq_B, "F_S", None, 1.0), (eq_A, "F_S", None, -1.0)])))
    errors: dict[str, Any] = {
        "work": work_error,
        "rho_S": jackknife_error(leave_rho),
        "energy_diff": np.sqrt(drive_error["diff"] ** 2 + eq_A.errors["U_diff"] ** 2),
        "heat_diff": drive_error["Q diff"],
        "free_energy": np.sqrt(equilibrium_part["F"]),
        "entropy_production": np.sqrt(drive_error["sigma"] ** 2 + equilibrium_part["sigma"]),
        "delta_F_S": delta_F_error,
        "dissipated_work": float(np.hypot(work_error[-1], delta_F_error)),
    }
    for key in ("H*", "E*"):
        errors[f"energy_{key}"] = np.sqrt(drive_error[key] ** 2 + equilibrium_part[key])
        errors[f"heat_{key}"] = np.sqrt(drive_error["Q " + key] ** 2 + equilibrium_part["Q " + key])
    return CompositeDrive(outputs, mean_work, mean_rho, eq_B.F_S - eq_A.F_S, None, grid.size - 1, "typicality",
                          MappingProxyType(errors),
                          energy=MappingProxyType({key: thermo[key] for key in ("diff", "H*", "E*")}),
                          free_energy=free_energy, entropy_production=thermo["sigma"],
                          heat=MappingProxyType({key: thermo["Q " + key] for key in ("diff", "H*", "E*")}))  # fmt: skip
