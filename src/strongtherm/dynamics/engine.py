"""Exact finite-speed driving of an open fermionic system: time evolution of the Gaussian state.

The universe (system + reservoirs as chains cut at L sites, :mod:`.chain`) starts in

* ``initial="gibbs"`` (default): the global grand-canonical Gibbs state of h(lambda(0)) at (T, mu),
  the coupled state of both papers (Kumar, Webb & Stafford 2024; Davoudi et al. 2025);
* ``initial="product"``: rho_S (x) rho_R^eq, the system in the Gibbs state of its bare h_S(lambda(0))
  and the reservoirs in theirs (the setting of Esposito, Lindenberg & Van den Broeck,
  NJP 12, 013013 (2010)).

Noninteracting fermions stay Gaussian, so C(t) = Psi(t) f Psi(t)^dagger with the orbitals evolved
by :mod:`.evolve` is exact (up to the integrator's controlled error). Outputs (units: energy, nats):

* W_ext(t) = int_0^t Tr[C dh/dt'] dt': the time-integrated power (Kumar Eqs. 2, 19-20 at finite
  speed), never a difference of state functions; the universe energy Tr[C h] - Tr[C_0 h_0] is its check;
* system energies: Hilbert-space U_S = <H_S> + <H_SR>/2 (Kumar Eq. 14), alpha-partitions
  <H_S + alpha H_SR> (Eq. 22), <H_S>, and the mean-force U_H*, U_E* (Davoudi Eqs. 11, 13) of
  lambda(t) on the instantaneous reduced state;
* heat Q(t) = -Delta<H_R - mu N_R> (heat absorbed by the system positive) and the particle flow;
* the reduced state C_SS(t);
* entropy production. Gibbs start: Sigma = beta (W - Delta F), Delta F the change of the finite
  universe's grand potential (= F*_S of the chain, since H_R is fixed), which equals the relative
  entropy D(rho(t) || rho^eq_lambda(t)) computed from correlation matrices (:mod:`.entropy`).
  Product start: Sigma = Delta S_S - beta Q = I(S:R) + D(rho_R(t) || rho_R^eq) (Esposito et al.
  2010).

A bound state anywhere along the path (:func:`strongtherm.negf.bound_states` on path nodes) does
not relax: the slow limit then keeps a memory of the protocol and differs from Delta F*_S. The
result says so (``bound_state_along_path``) and a :class:`BoundStateWarning` is issued.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np

from .._convert import variable_name
from .._validation import check_real
from ..core.display import html_of_values
from ..core.threads import single_threaded_blas
from ..core.warnings import RankDeficientWarning
from ..gaussian.meanforce import mean_force, mean_force_from_hamiltonian
from ..negf.spectral import bound_states
from ..negf.system import OpenSystem, check_model_and_bath
from ..negf.universe import LORENTZIAN_CUTOFF, Universe
from ..thermal import Bath
from .chain import ChainLength, chain_length
from .entropy import gaussian_entropy, log_partition_function
from .evolve import (
    NODES,
    ChebyshevPropagator,
    IntegratorInfo,
    lagrange_interval_weights,
    magnus_block,
)
from .protocol import Protocol

__all__ = ["BoundStateWarning", "DriveResult", "drive"]

#: alpha values of the alpha-partition reported in ``system_energy``.
ALPHAS = (0.0, 0.5, 1.0)
#: Minimum number of steps on each smooth piece of the protocol (the 8-point power quadrature).
MIN_STEPS_PER_PIECE = 8
#: Default step in units of 1 / (spectral half-width of h): r dt = 0.3.
DEFAULT_STEP_SCALE = 0.3
INITIAL_STATES = ("gibbs", "product")


class BoundStateWarning(UserWarning):
    """A bound state exists along the path: the driven system does not relax to equilibrium, so
    the slow limit of the work depends on the history and differs from Delta F*_S."""


@dataclass(frozen=True, eq=False)
class DriveResult:
    """Time series (at ``times``) and end values of one finite-speed protocol.

    Attributes
    ----------
    times : ndarray (n_t,)
    parameters : mapping name -> ndarray (n_t,)
        lambda(t). A sudden quench (duration 0) jumps at t = 0: every output, t = 0 included, shows
        the state right after the jump (W_ext = Tr[C_0 (h_B - h_A)] = W_diff there).
    W_ext : ndarray (n_t,)
        Time-integrated power int Tr[C dh/dt] dt (plus Tr[C (h_B - h_A)] at a sudden jump).
    universe_energy : ndarray (n_t,)
        Tr[C h(t)] - Tr[C_0 h(0)], equal to W_ext for a closed universe (the check).
    system_energy : mapping
        ``"hilbert"`` (= ``"alpha=0.5"``, Kumar Eq. 14), ``"alpha=0"`` (= <H_S>), ``"alpha=1"``,
        ``"H*"`` and ``"E*"`` (Davoudi Eqs. 11, 13 with the H*_S, E*_S of lambda(t) on the
        instantaneous reduced state; NaN where not computed), each (n_t,).
    expectation_H_S, expectation_H_SR : ndarray (n_t,)
    heat : ndarray (n_t,)
        Q(t) = -[<H_R - mu N_R>(t) - <H_R - mu N_R>(0)].
    particle_flow : ndarray (n_t,)
        dN_S/dt; ``particle_number`` gives N_S(t).
    reduced_state : ndarray (n_t, n, n)
        C_SS(t), C_ij = <d_j^dag d_i>.
    entropy_production : ndarray (n_t,)
        Gibbs start: beta (W_ext - Delta F); product start: Delta S_S - beta Q.
    relative_entropy : ndarray (n_t,)
        D(rho(t) || Gibbs state of h(lambda(t))), from correlation matrices.
    delta_F : ndarray (n_t,)
        F(t) - F(0) of the finite universe (= Delta F*_S on the chain).
    mutual_information, reservoir_relative_entropy, system_entropy : ndarray or None
        The split of Esposito et al. (product start only; None otherwise); S_S(t) in both cases.
    delta_F_S_engine, finite_size_difference : float or None
        Delta F*_S of the Green's-function engine (infinite reservoirs) from lambda(0) to lambda(end),
        and (chain Delta F) - (engine Delta F*_S).
    initial : str
        ``"gibbs"`` or ``"product"``.
    chain : ChainLength
        L, the estimated finite-size error, the return time and the mappings.
    integrator : IntegratorInfo
        Order, largest step, steps, sparse products, energy-balance residual max|W - Delta E|.
    bound_state_along_path : bool
    bound_state_energies : tuple of (s, energies)
    """

    model: OpenSystem = field(repr=False)
    bath: Bath
    protocol: Protocol = field(repr=False)
    times: np.ndarray
    parameters: Mapping[str, np.ndarray]
    W_ext: np.ndarray
    universe_energy: np.ndarray
    system_energy: Mapping[str, np.ndarray]
    expectation_H_S: np.ndarray
    expectation_H_SR: np.ndarray
    heat: np.ndarray
    particle_flow: np.ndarray
    particle_number: np.ndarray
    reduced_state: np.ndarray
    entropy_production: np.ndarray
    relative_entropy: np.ndarray
    delta_F: np.ndarray
    system_entropy: np.ndarray
    mutual_information: np.ndarray | None
    reservoir_relative_entropy: np.ndarray | None
    delta_F_S_engine: float | None
    finite_size_difference: float | None
    initial: str
    chain: ChainLength
    integrator: IntegratorInfo
    bound_state_along_path: bool
    bound_state_energies: tuple[tuple[float, tuple[float, ...]], ...] = ()

    def _repr_html_(self) -> str:
        return html_of_values(f"DriveResult: {self.model.name}, {self.protocol.describe()} (end values)", self.to_dict())

    def __repr__(self) -> str:
        flag = "; BOUND STATE along the path (no relaxation)" if self.bound_state_along_path else ""
        return (
            f"DriveResult({self.model.name}; {self.protocol.describe()}; T={self.bath.T:g}, mu={self.bath.mu:g}; "
            f"initial={self.initial}; {self.times.size} times; W_ext[-1]={self.W_ext[-1]:.10g}, "
            f"Sigma[-1]={self.entropy_production[-1]:.6g}; L={self.chain.L}, order {self.integrator.order}, "
            f"dt<={self.integrator.max_step:.3g}{flag})"
        )

    @property
    def dissipated_work(self) -> np.ndarray:
        """W_ext - Delta F (chain), = T Sigma for the Gibbs start."""
        return self.W_ext - self.delta_F

    def _energy_name(self, key: str) -> str:
        # system_energy keys as flat, file-safe names: hilbert, alpha_0.5, H_S, Hstar, Estar
        if key.startswith("alpha="):
            return variable_name("system_energy_alpha", alpha=float(key.split("=")[1]))
        return "system_energy_" + key.replace("*", "star")

    def to_dict(self) -> dict[str, float]:
        """Scalars as plain floats (end values and settings), the shape ``st.sweep`` stores.

        Keys: ``W_ext``, ``universe_energy``, ``heat``, ``entropy_production``,
        ``relative_entropy``, ``delta_F``, ``dissipated_work``, ``particle_number``,
        ``system_energy_<d>`` (``hilbert``, ``alpha_0``, ``alpha_0.5``, ``alpha_1``, ``H_S``,
        ``Hstar``, ``Estar``; changes from t = times[0]: ``delta_system_energy_<d>``), and, for the
        product start, ``mutual_information``, ``reservoir_relative_entropy``; ``delta_F_S_engine``
        and ``finite_size_difference`` (NaN without the reference), ``protocol_duration``,
        ``protocol_hold``, ``L``, ``thermal_error_estimate``, ``return_time``, ``order``,
        ``max_step``, ``n_steps``, ``energy_balance_residual``, ``bound_state_along_path`` (0 or 1).
        Names never clash with a sweep axis such as ``duration``, ``T`` or a model parameter.
        Time series: :meth:`series`.
        """
        out = {
            "W_ext": self.W_ext[-1],
            "universe_energy": self.universe_energy[-1],
            "heat": self.heat[-1],
            "entropy_production": self.entropy_production[-1],
            "relative_entropy": self.relative_entropy[-1],
            "delta_F": self.delta_F[-1],
            "dissipated_work": self.dissipated_work[-1],
            "particle_number": self.particle_number[-1],
        }
        for k, v in self.system_energy.items():
            out[self._energy_name(k)] = v[-1]
            out["delta_" + self._energy_name(k)] = v[-1] - v[0]
        if self.mutual_information is not None:
            out["mutual_information"] = self.mutual_information[-1]
            out["reservoir_relative_entropy"] = self.reservoir_relative_entropy[-1]  # type: ignore[index]
        nan = float("nan")
        out.update(
            {
                "delta_F_S_engine": nan if self.delta_F_S_engine is None else self.delta_F_S_engine,
                "finite_size_difference": nan if self.finite_size_difference is None else self.finite_size_difference,
                "protocol_duration": self.protocol.duration,
                "protocol_hold": self.protocol.hold,
                "L": self.chain.L,
                "thermal_error_estimate": self.chain.thermal_error,
                "return_time": self.chain.return_time,
                "order": self.integrator.order,
                "max_step": self.integrator.max_step,
                "n_steps": self.integrator.n_steps,
                "energy_balance_residual": self.integrator.energy_balance_residual,
                "bound_state_along_path": float(self.bound_state_along_path),
            }
        )
        return {k: float(v) for k, v in out.items()}

    def series(self) -> dict[str, np.ndarray]:
        """The time series, each of shape (n_t,) (``times`` included), named as in :meth:`to_dict`;
        ``parameter_<name>`` for lambda(t); the reduced state is :attr:`reduced_state`."""
        out = {
            "times": self.times,
            "W_ext": self.W_ext,
            "universe_energy": self.universe_energy,
            "heat": self.heat,
            "particle_flow": self.particle_flow,
            "particle_number": self.particle_number,
            "entropy_production": self.entropy_production,
            "relative_entropy": self.relative_entropy,
            "delta_F": self.delta_F,
            "system_entropy": self.system_entropy,
            **{self._energy_name(k): v for k, v in self.system_energy.items()},
            **{f"parameter_{k}": v for k, v in self.parameters.items()},
        }
        if self.mutual_information is not None:
            out["mutual_information"] = self.mutual_information
            out["reservoir_relative_entropy"] = self.reservoir_relative_entropy  # type: ignore[assignment]
        return out


# ---------------------------------------------------------------------------------------- checks
def _check_times(times: Any, total: float) -> np.ndarray:
    if times is None:
        return np.linspace(0.0, total, 51) if total > 0.0 else np.array([0.0])
    try:
        arr = np.atleast_1d(np.asarray(times, dtype=float))
    except (TypeError, ValueError):
        raise ValueError(f"times must be a 1-D array of real times in [0, {total:g}], got {times!r}") from None
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"times must be a non-empty 1-D array, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError("times must be finite")
    slack = 1e-12 * max(1.0, total)
    if arr.min() < -slack or arr.max() > total + slack:
        raise ValueError(
            f"times must lie in [0, duration + hold] = [0, {total:g}], got [{arr.min():g}, {arr.max():g}]"
        )
    if np.any(np.diff(arr) <= 0.0):
        raise ValueError("times must be strictly increasing")
    return np.clip(arr, 0.0, total)


def _check_int(name: str, value: Any, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
        raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    return int(value)


def _bound_states_along(model: OpenSystem, protocol: Protocol, nodes: int = 17) -> tuple[tuple[float, tuple[float, ...]], ...]:
    s_values = np.union1d(np.linspace(0.0, 1.0, nodes), np.asarray(protocol.path.breakpoints))
    found = []
    for s in s_values:
        try:
            p = model.resolve(protocol.path.function(float(s)))
        except ValueError as exc:
            raise ValueError(f"protocol.path leaves the domain of {model.name} at s={s:.6g}: {exc}") from None
        energies = tuple(b.energy for b in bound_states(model, p))
        if energies:
            found.append((float(s), energies))
    return tuple(found)


# ---------------------------------------------------------------------------------------- grid
def _time_grid(protocol: Protocol, outputs: np.ndarray, dt: float, max_steps: int) -> list[tuple[np.ndarray, bool]]:
    """Pieces between kinks, each as (nodes, constant?); every output time is a node."""
    kinks = protocol.kinks()
    constants = protocol.constant_intervals()
    pieces = []
    for a, b in zip(kinks[:-1], kinks[1:], strict=True):
        if b <= a:
            continue
        inner = outputs[(outputs > a) & (outputs < b)]
        edges = np.concatenate([[a], inner, [b]])
        constant = protocol.sudden or any(lo <= a and b <= hi for lo, hi in constants)
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


# ---------------------------------------------------------------------------------------- drive
@single_threaded_blas  # small matrices in a long loop: BLAS threads only cost (core.threads)
def drive(
    model: OpenSystem,
    bath: Bath,
    protocol: Protocol,
    *,
    times: Sequence[float] | np.ndarray | None = None,
    initial: str = "gibbs",
    L: int | None = None,
    tol: float = 1e-10,
    max_sites: int = 2000,
    dt: float | None = None,
    order: int = 6,
    max_steps: int = 1_000_000,
    mean_force_energies: bool = True,
    entropy: bool = True,
    reference: bool = True,
    lorentzian_cutoff: float = LORENTZIAN_CUTOFF,
) -> DriveResult:
    """Drive ``model`` in ``bath`` along ``protocol`` and follow the exact Gaussian state.

    Parameters
    ----------
    model : OpenSystem
        Reservoirs must be TightBindingChain, WideBand or LorentzianBand (chain mappings in
        :mod:`strongtherm.dynamics.chain`); parameters not on the path take the model's defaults.
    bath : Bath
        (T, mu) of the initial state, in units of energy.
    protocol : Protocol
        Path, duration tau, schedule and hold.
    times : array, optional
        Output times, strictly increasing in [0, tau + hold] (default: 51 equally spaced).
    initial : {"gibbs", "product"}
        Global Gibbs state of h(lambda(0)) (default) or rho_S (x) rho_R^eq (see the module docstring).
    L : int, optional
        Sites per chain; default chosen by :func:`strongtherm.dynamics.chain.chain_length` from the
        window and ``tol``.
    tol : float
        Target finite-size error of equilibrium quantities (sets the thermal chain length).
    max_sites : int
        Largest L allowed; a window that needs more is a ValueError.
    dt : float, optional
        Largest time step; default 0.3 / r with r the spectral half-width of h (measured
        energy-balance errors 1e-13 to 5e-11 on the built-in models; halve it for tighter work).
        ``integrator.energy_balance_residual`` reports max|W - Delta E| for every run.
    order : {4, 6}
        Order of the Magnus integrator.
    max_steps : int
        Budget of time steps; more is a ValueError before anything runs.
    mean_force_energies : bool
        Compute U_H*, U_E* of lambda(t) on the reduced state at every output time (one
        eigendecomposition of the universe each).
    entropy : bool
        Compute the relative entropy D(rho(t) || rho^eq_lambda(t)) (and, for the product start,
        I(S:R) and D(rho_R || rho_R^eq)) from the full correlation matrix at every output time
        (one dense product and one eigendecomposition each; NaN when False).
    reference : bool
        Also compute Delta F*_S with the Green's-function engine (infinite reservoirs).
    lorentzian_cutoff : float
        D'/W of the Lorentzian chain mapping.

    Returns
    -------
    DriveResult

    Raises
    ------
    ValueError
        Bad model, bath, protocol, times outside [0, tau + hold], unknown ``initial``, a window
        beyond what ``max_sites`` sites represent, a step budget overrun, or a reservoir without a
        chain representation.

    Examples
    --------
    >>> import numpy as np, strongtherm as st
    >>> rlm = st.models.resonant_level(t0=1.25)
    >>> proto = st.dynamics.Protocol(st.Path.line({"eps_s": 0.0, "V": 0.6}, {"eps_s": 1.0, "V": 0.6}), duration=2.0)
    >>> run = st.dynamics.drive(rlm, st.Bath(T=0.1), proto, times=np.linspace(0, 2, 5))
    >>> bool(run.entropy_production[-1] > 0)
    True
    """
    check_model_and_bath(model, bath)
    if not isinstance(protocol, Protocol):
        raise ValueError(f"protocol must be a strongtherm.dynamics.Protocol, got {type(protocol).__name__}")
    if initial not in INITIAL_STATES:
        raise ValueError(f"initial must be one of {INITIAL_STATES}, got {initial!r}")
    order = _check_int("order", order, 4)
    if order not in NODES:
        raise ValueError(f"order must be 4 or 6, got {order!r}")
    max_steps = _check_int("max_steps", max_steps, 1)
    max_sites = _check_int("max_sites", max_sites, 8)
    unknown = set(protocol.path.names) - set(model.parameter_names)
    if unknown:
        raise ValueError(f"protocol.path names parameter(s) {sorted(unknown)} that {model.name} does not have")
    total = protocol.total_time
    outputs = _check_times(times, total)

    def params_at(t: float) -> dict[str, float]:
        point = protocol.parameters(t)
        try:
            return model.resolve(point)
        except ValueError as exc:
            raise ValueError(f"protocol leaves the domain of {model.name} at t={t:.6g}: {exc}") from None

    def fast_params(t: float) -> dict[str, float]:
        # inside the time loop: the path was checked against the model's domain at its nodes
        return {**base_params, **protocol.path.function(float(protocol.progress(t)))}

    window = float(outputs[-1])
    length = chain_length(model, bath, window, tol=tol, L=L, max_sites=max_sites, lorentzian_cutoff=lorentzian_cutoff)
    universe = Universe(model, length.L, length.mappings)
    n, ext = universe.n, universe.ext

    p0 = params_at(0.0)
    base_params = dict(p0)
    block0 = universe.block(p0)
    radius = 0.5 * (universe.fixed_bounds[1] - universe.fixed_bounds[0]) + float(np.max(np.abs(np.linalg.eigvalsh(block0))))
    if dt is None:
        dt = DEFAULT_STEP_SCALE / radius
    dt = check_real("dt", dt, low=0.0, low_inclusive=False)

    found = _bound_states_along(model, protocol)
    if found:
        warnings.warn(
            f"{model.name}: bound state(s) along the path (first at s={found[0][0]:.3g}, energies "
            f"{np.round(found[0][1], 6).tolist()}): the driven system does not relax to equilibrium, and the slow "
            "limit of the work depends on the history; it is not Delta F*_S",
            BoundStateWarning,
            stacklevel=2,
        )

    # ---------------------------------------------------------------- initial state (outside the loop)
    h0 = universe.dense(p0)
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
    Psi = np.ascontiguousarray(Psi, dtype=complex)
    e_R = np.linalg.eigvalsh(h0[n:, n:])
    Omega_R0 = -bath.T * log_partition_function(e_R, bath)
    Psi0 = Psi.copy()
    e_A = e0 if initial == "gibbs" else np.linalg.eigvalsh(h0)
    F_A = float(np.sum(bath.grand_potential_density(e_A))) + bath.T * log_partition_function(e_R, bath)  # F*_S of the chain at lambda(0)
    S_S_initial = gaussian_entropy((Psi[:n] * f) @ Psi[:n].conj().T)

    # ---------------------------------------------------------------- helpers on the local block
    def local_C(P: np.ndarray) -> np.ndarray:
        X = P[ext]
        return (X * f) @ X.conj().T  # C_ext, O(|ext|^2 N)

    def power(P: np.ndarray, t: float, lo: float, hi: float) -> float:
        # one-sided at the piece's ends: d lambda / dt may jump at a kink
        delta = 1e-12 * max(hi - lo, 1e-300)
        te = min(max(t, lo + delta), hi - delta) if hi - lo > 2 * delta else t
        dB = universe.block_derivative(fast_params(te), protocol.rates(te), checked=False)
        return float(np.real(np.sum(dB * local_C(P).T)))

    propagate = ChebyshevPropagator(universe)
    nodes_c = NODES[order]
    pieces = _time_grid(protocol, outputs, dt, max_steps)

    # ---------------------------------------------------------------- time loop
    records: dict[float, tuple[np.ndarray, float, dict[str, float]]] = {}
    W = 0.0
    n_steps = 0
    max_step = 0.0
    output_set = set(outputs.tolist())

    def record(t: float, P: np.ndarray, W_now: float, params: dict[str, float]) -> None:
        if t in output_set and t not in records:
            records[t] = (P.copy(), W_now, params)

    pB = model.resolve(protocol.path.function(1.0))
    E_initial = float(np.real(np.sum(np.conj(Psi) * universe.apply(block0, Psi) * f)))
    if protocol.sudden:
        # the jump at t = 0: W = Tr[C_0 (h_B - h_A)]; outputs (t = 0 included) show the state after it
        W = float(np.real(np.sum((universe.block(pB) - block0) * local_C(Psi).T)))
        record(0.0, Psi, W, pB)
    else:
        record(0.0, Psi, 0.0, p0)
    for nodes, constant in pieces:
        if constant:
            p = pB if protocol.sudden else params_at(0.5 * (nodes[0] + nodes[-1]))
            B = universe.block(p)
            for a, b in zip(nodes[:-1], nodes[1:], strict=True):
                Psi = propagate(Psi, B, b - a)
                record(float(b), Psi, W, p)
            continue
        lo, hi = float(nodes[0]), float(nodes[-1])
        P_samples = np.empty(nodes.size)
        P_samples[0] = power(Psi, lo, lo, hi)
        weights = lagrange_interval_weights(nodes)
        states_at: dict[int, tuple[np.ndarray, dict[str, float]]] = {}
        for j, (a, b) in enumerate(zip(nodes[:-1], nodes[1:], strict=True)):
            h_step = b - a
            blocks = [universe.block(fast_params(a + c * h_step), checked=False) for c in nodes_c]
            Psi = propagate(Psi, magnus_block(universe.h_fixed_ext, blocks, h_step, order), h_step)
            P_samples[j + 1] = power(Psi, float(b), lo, hi)
            n_steps += 1
            max_step = max(max_step, h_step)
            if float(b) in output_set:
                states_at[j + 1] = (Psi.copy(), params_at(float(b)))
        increments = weights @ P_samples
        cumulative = W + np.concatenate([[0.0], np.cumsum(increments)])
        for j, (P_saved, p) in states_at.items():
            record(float(nodes[j]), P_saved, float(cumulative[j]), p)
        W = float(cumulative[-1])

    # ---------------------------------------------------------------- observables at the output times
    n_t = outputs.size
    W_ext = np.empty(n_t)
    E_univ = np.empty(n_t)
    H_S = np.empty(n_t)
    H_SR = np.empty(n_t)
    K_R = np.empty(n_t)
    N_S = np.empty(n_t)
    flow = np.empty(n_t)
    C_SS = np.empty((n_t, n, n), dtype=complex)
    S_S = np.empty(n_t)
    D_rel = np.full(n_t, np.nan)
    dF = np.empty(n_t)
    U_H = np.full(n_t, np.nan)
    U_E = np.full(n_t, np.nan)
    MI = np.full(n_t, np.nan) if initial == "product" else None
    D_R = np.full(n_t, np.nan) if initial == "product" else None
    params_series: dict[str, list[float]] = {k: [] for k in p0}
    rank_deficient = 0
    h_fixed = universe.h_fixed
    res = universe.reservoir_mask
    for i, t in enumerate(outputs):
        P, W_i, p = records[float(t)]
        for k in params_series:
            params_series[k].append(p[k])
        B = universe.block(p)
        hP = universe.apply(B, P)
        E_univ[i] = float(np.real(np.sum(np.conj(P) * hP * f)))
        hRP = h_fixed @ P
        K_R[i] = float(np.real(np.sum(np.conj(P[res]) * hRP[res] * f))) - bath.mu * float(np.sum(np.abs(P[res]) ** 2 * f))
        Cl = local_C(P)
        hS = B[:n, :n]
        H_S[i] = float(np.real(np.sum(hS * Cl[:n, :n].T)))
        coupling = np.zeros_like(B)
        coupling[n:, :n] = B[n:, :n]
        coupling[:n, n:] = B[:n, n:]
        H_SR[i] = float(np.real(np.sum(coupling * Cl.T)))
        # dN_S/dt = -i Tr[C [P_S, h]]
        X = np.zeros_like(B)
        X[:n, n:] = B[:n, n:]
        X[n:, :n] = -B[n:, :n]
        flow[i] = float(np.real(-1j * np.sum(X * Cl.T)))
        C_SS[i] = Cl[:n, :n]
        N_S[i] = float(np.real(np.trace(Cl[:n, :n])))
        W_ext[i] = W_i
        S_S[i] = gaussian_entropy(Cl[:n, :n])
        h_t = universe.dense(p)
        if mean_force_energies:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", RankDeficientWarning)
                mf = mean_force_from_hamiltonian(h_t, n, bath, params=p)
            rank_deficient += sum(issubclass(w.category, RankDeficientWarning) for w in caught)
            F_t = mf.F_S
            if mf.frozen_modes == 0:
                U_H[i] = mf.H_star.expectation(Cl[:n, :n])
                U_E[i] = mf.E_star.expectation(Cl[:n, :n])
        else:
            F_t = float(np.sum(bath.grand_potential_density(np.linalg.eigvalsh(h_t)))) - Omega_R0
        dF[i] = F_t - F_A
        if entropy:
            C = (P * f) @ P.conj().T  # the one dense product per output time (never in the time loop)
            S_univ = gaussian_entropy(C)
            N_tot = float(np.real(np.trace(C)))
            # D(rho || sigma_t) = -S(rho) + beta Tr[C (h_t - mu)] + ln Xi_t, ln Xi_t = -beta Omega_t
            D_rel[i] = -S_univ + bath.beta * (E_univ[i] - bath.mu * N_tot - (F_t + Omega_R0))
            if initial == "product":
                S_R = gaussian_entropy(C[n:, n:])
                MI[i] = S_S[i] + S_R - S_univ  # type: ignore[index]
                D_R[i] = -S_R + bath.beta * (K_R[i] - Omega_R0)  # type: ignore[index]
    if rank_deficient:
        warnings.warn(
            f"the reduced state was rank deficient at {rank_deficient} output time(s): U_H*, U_E* are NaN there",
            RankDeficientWarning,
            stacklevel=2,
        )
    universe_energy = E_univ - E_initial
    K_R_initial = float(np.real(np.sum(np.conj(Psi0[res]) * (h_fixed @ Psi0)[res] * f))) - bath.mu * float(np.sum(np.abs(Psi0[res]) ** 2 * f))
    heat = -(K_R - K_R_initial)
    if initial == "gibbs":
        Sigma = bath.beta * (W_ext - dF)
    else:
        Sigma = (S_S - S_S_initial) - bath.beta * heat

    delta_engine = diff = None
    if reference:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RankDeficientWarning)
            delta_engine = mean_force(model, bath, **pB).F_S - mean_force(model, bath, **p0).F_S  # type: ignore[arg-type]  # a dict of parameter values, never an option name
            F_chain = [mean_force_from_hamiltonian(universe.dense(p), n, bath).F_S for p in (p0, pB)]
        diff = float(F_chain[1] - F_chain[0]) - float(delta_engine)

    system_energy = {
        "hilbert": H_S + 0.5 * H_SR,
        **{f"alpha={a:g}": H_S + a * H_SR for a in ALPHAS},
        "H_S": H_S,
        "H*": U_H,
        "E*": U_E,
    }
    info = IntegratorInfo(
        order=order,
        max_step=max_step,
        n_steps=n_steps,
        n_matvec=propagate.n_matvec,
        energy_balance_residual=float(np.max(np.abs(W_ext - universe_energy))),
    )
    return DriveResult(
        model=model,
        bath=bath,
        protocol=protocol,
        times=outputs,
        parameters=MappingProxyType({k: np.array(v) for k, v in params_series.items()}),
        W_ext=W_ext,
        universe_energy=universe_energy,
        system_energy=MappingProxyType(system_energy),
        expectation_H_S=H_S,
        expectation_H_SR=H_SR,
        heat=heat,
        particle_flow=flow,
        particle_number=N_S,
        reduced_state=C_SS,
        entropy_production=Sigma,
        relative_entropy=D_rel,
        delta_F=dF,
        system_entropy=S_S,
        mutual_information=MI,
        reservoir_relative_entropy=D_R,
        delta_F_S_engine=None if delta_engine is None else float(delta_engine),
        finite_size_difference=diff,
        initial=initial,
        chain=length,
        integrator=info,
        bound_state_along_path=bool(found),
        bound_state_energies=found,
    )
