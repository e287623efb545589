"""Exact finite-speed driving of an open fermionic system: time evolution of the Gaussian state.

The universe (system + reservoirs as chains cut at L sites, :mod:`.chain`) starts in

* ``initial="gibbs"`` (default): the global grand-canonical Gibbs state of h(lambda(0)) at (T, mu),
  the coupled state of both papers (Kumar, Webb & Stafford 2024; Davoudi et al. 2025);
* ``initial="product"``: rho_S (x) rho_R^eq, the system in the Gibbs state of its bare h_S(lambda(0))
  and the reservoirs in theirs (the setting of Esposito, Lindenberg & Van den Broeck,
  NJP 12, 013013 (2010)).

With a bias (``bath`` one Bath per reservoir, a sequence or a mapping by reservoir name or index
as :func:`strongtherm.negf.steady_state` takes it, with different (T_alpha, mu_alpha)) the two
starts of the literature are, under the same two names:

* ``"product"`` = ``"partitioned"`` (Caroli, Combescot, Nozieres & Saint-James, J. Phys. C 4, 916
  (1971)): each chain in its own grand-canonical Gibbs state at (T_alpha, mu_alpha), the system
  decoupled in the Gibbs state of its bare h_S(lambda(0)) at the bath of reservoir ``reference_reservoir``
  (default 0); the coupling acts from t = 0 on (it does no work: <H_SR> = 0 in a product state);
* ``"gibbs"`` = ``"partition-free"`` (Cini, PRB 22, 5887 (1980); Stefanucci & Almbladh, PRB 69,
  195318 (2004)), the default: the Gibbs state of the whole coupled universe at (T, mu_ref), the
  bath of reservoir ``reference_reservoir``; at t = 0 every on-site energy of chain alpha is shifted by
  V_alpha = mu_alpha - mu_ref (the bias as a sudden shift of the leads' potential), so that chain
  alpha's electrons, deep inside it, sit at the electrochemical potential mu_alpha of a band shifted
  by V_alpha. One temperature: different T_alpha are refused (a potential shift cannot heat a
  lead). The steady state it relaxes to is Landauer's for the *shifted* leads
  (:meth:`Drive.steady_state` builds that model, :attr:`Drive.lead_model`).

Per reservoir the drive records the particle current into the system I_alpha(t) = -dN_alpha/dt,
the energy current J_E^alpha(t) = -d<H_alpha>/dt, the heat current J_Q^alpha = J_E^alpha -
mu_alpha I_alpha (the signs of :func:`strongtherm.negf.steady_state`: positive into the system), the
pumped charge N_alpha(0) - N_alpha(t) = int I_alpha dt and the heat Q_alpha(t) = -Delta<H_alpha -
mu_alpha N_alpha> = int J_Q^alpha dt; :meth:`Drive.cycle` sums one period of a periodic drive (a
cyclic engine between a hot and a cold lead: work, heat per lead, power, efficiency, every
system energy side by side). Without one Gibbs state, Delta F, the relative entropy and U_H*,
U_E* are NaN in a biased drive (:mod:`.observables`).

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

:func:`drive` goes check -> build (the chains for the window: :mod:`.chain`; the universe:
:class:`strongtherm.negf.universe.Universe`; the initial state) -> integrate (:class:`.integrator.Integrator`
yields the state and the work at each output time) -> record (:class:`.observables.Recorder`
measures them) -> wrap (:class:`Drive`).

A bound state anywhere along the path (:func:`strongtherm.negf.bound_states` on path nodes) does
not relax (with a bias: it carries no current, and its occupation in the long-time state is the
one the initial state and the protocol gave it, not a lead's; a BoundStateWarning says so for
every bound state of a biased drive that the baths would occupy differently): the slow limit
then keeps a memory of the protocol and differs from Delta F*_S, unless its thermal weight f (1 - f) at its energy is negligible (it then stays filled or empty, as
equilibrium wants it). Where the largest weight along the path exceeds
``BOUND_STATE_WEIGHT_THRESHOLD`` (1e-8: a memory of at most ~1e-8 of an occupation, below the
default work_tol) the result says so (``bound_state_along_path``) and a
:class:`BoundStateWarning` gives the weight; lighter bound states are only listed
(``bound_state_energies``, ``bound_state_weight``).

The step is error controlled (``work_tol``, :mod:`.integrator`); a schedule's jumps are sudden
quenches at their instants. Memory grows linearly with the steps and the output times, both
bounded before anything is allocated (``max_steps``, ``max_outputs``).
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..core.display import html_of_values
from ..core.quantities import key as quantity_key
from ..core.threads import single_threaded_blas
from ..core.validation import check_integer, check_real
from ..core.warnings import BoundStateWarning, RankDeficientWarning
from ..gaussian.meanforce import mean_force, mean_force_from_hamiltonian
from ..negf.evaluated import evaluate
from ..negf.spectral import bound_states
from ..negf.system import OpenSystem, check_model_and_bath, check_path
from ..negf.transport import SteadyState, check_baths, steady_state
from ..negf.universe import LORENTZIAN_CUTOFF, ChainMapping, Universe
from ..thermal import Bath
from .chain import ChainLength, chain_length
from .cycles import Cycle, one_cycle
from .evolve import NODES, IntegratorInfo
from .integrator import Integrator, initial_state, protocol_parameters
from .interaction import INTERACTION_STEP_SCALE, check_method
from .observables import Recorder
from .protocol import Protocol

__all__ = ["BOUND_STATE_WEIGHT_THRESHOLD", "BoundStateWarning", "Drive", "drive", "lead_model"]

#: Default step in units of 1 / (spectral half-width of h): r dt = 0.3.
DEFAULT_STEP_SCALE = 0.3
#: A bound state traps (warns) only where its thermal weight f (1 - f) exceeds this somewhere on the path.
BOUND_STATE_WEIGHT_THRESHOLD = 1e-8
INITIAL_STATES = ("gibbs", "product", "partition-free", "partitioned")
#: The names of the literature for a biased drive, and the start each one is.
INITIAL_ALIASES = {"partition-free": "gibbs", "partitioned": "product"}


@dataclass(frozen=True, eq=False)
class Drive:
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
        Q(t) = -[<H_R - mu N_R>(t) - <H_R - mu N_R>(0)] (each chain with its own mu_alpha: the sum of
        ``lead_heat``).
    lead_heat : ndarray (n_t, R)
        Q_alpha(t) = -Delta<H_alpha - mu_alpha N_alpha>, heat into the system from reservoir alpha
        (= int J_Q^alpha dt).
    particle_current, energy_current : ndarray (n_t, R)
        I_alpha(t) = -dN_alpha/dt and J_E^alpha(t) = -d<H_alpha>/dt, into the system from reservoir
        alpha (as :class:`strongtherm.negf.SteadyState`); ``heat_current`` gives J_Q^alpha.
    pumped_charge : ndarray (n_t, R)
        N_alpha(0) - N_alpha(t) = int_0^t I_alpha dt': particles that entered the system from alpha.
    particle_flow : ndarray (n_t,)
        dN_S/dt; ``particle_number`` gives N_S(t).
    reduced_state : ndarray (n_t, n, n)
        C_SS(t), C_ij = <d_j^dag d_i>.
    entropy_production : ndarray (n_t,)
        Gibbs start: beta (W_ext - Delta F); product start: Delta S_S - sum_alpha Q_alpha / T_alpha
        (= Delta S_S - beta Q for one bath); NaN for a biased partition-free start.
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
        ``"gibbs"`` (= partition-free) or ``"product"`` (= partitioned).
    chain : ChainLength
        L, the estimated finite-size error, the return time and the mappings.
    integrator : IntegratorInfo
        Order, largest step, steps, sparse products, energy-balance residual max|W - Delta E|,
        the error control's ``work_tol``, its estimate and the passes it redid.
    bound_state_along_path : bool
        A bound state with thermal weight above ``BOUND_STATE_WEIGHT_THRESHOLD`` along the path.
    bound_state_energies : tuple of (s, energies)
        Every bound state found at the path nodes, whatever its weight.
    bound_state_weight : float
        The largest f (1 - f) of a bound state along the path (0 without one).
    baths : tuple of Bath
        (T_alpha, mu_alpha) of every reservoir (``bath`` repeated without a bias); ``bath`` is the
        reference one (reservoir ``reference_reservoir``).
    biased : bool
        The baths differ.
    lead_shifts : ndarray (R,)
        V_alpha = mu_alpha - mu_ref added to chain alpha's on-site energies at t = 0 (partition-free
        start with a bias; zeros otherwise).
    lead_model : OpenSystem
        The model whose reservoirs the chains represent during the drive: ``model`` with each
        reservoir's e0 shifted by V_alpha (``model`` itself without shifts).
    reference_reservoir : int
        The reservoir whose bath sets the initial state (module docstring).
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
    lead_heat: np.ndarray
    particle_current: np.ndarray
    energy_current: np.ndarray
    pumped_charge: np.ndarray
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
    bound_state_weight: float = 0.0
    baths: tuple[Bath, ...] = ()
    biased: bool = False
    lead_shifts: np.ndarray = field(default_factory=lambda: np.zeros(0))
    lead_model: OpenSystem | None = field(default=None, repr=False)
    reference_reservoir: int = 0

    @property
    def heat_current(self) -> np.ndarray:
        """J_Q^alpha(t) = J_E^alpha - mu_alpha I_alpha, (n_t, R), into the system from reservoir alpha."""
        return self.energy_current - np.array([b.mu for b in self.baths]) * self.particle_current

    def steady_state(self, **options: Any) -> SteadyState:
        """The Landauer-Buttiker steady state this drive relaxes to at its final parameters (no bound
        state along the way): :func:`strongtherm.negf.steady_state` of :attr:`lead_model` (the leads
        as they are during the drive, shifted for a partition-free bias) with :attr:`baths`;
        ``options`` are passed on (``options=QuadratureOptions(...)``, ``state=False``).

        Tight-binding and flat-band (WideBand) leads are chains exactly, and the drive meets this
        steady state to ~1e-8 once the transients have decayed (tests/dynamics/test_bias.py). A
        LorentzianBand's chain is approximate: the drive relaxes to the steady state of the chain's
        reservoir, which differs from the Lorentzian's by O(W/D') (measured relative deviation of
        the current 4e-3, 2.2e-3, 1.1e-3 at ``lorentzian_cutoff`` = 5, 10, 20)."""
        end = self.model.resolve(self.protocol.path.function(1.0))
        return steady_state(self.lead_model or self.model, self.baths, end, bound_state_reference=self.reference_reservoir, **options)

    def cycle(self, start: float, period: float) -> Cycle:
        """Work, heat per lead, pumped charge, power, efficiency and every system energy's change over
        [start, start + period], both output times (:class:`strongtherm.dynamics.Cycle`)."""
        return one_cycle(self, start, period)

    def _repr_html_(self) -> str:
        return html_of_values(f"Drive: {self.model.name}, {self.protocol.describe()} (end values)", self.to_dict())

    def __repr__(self) -> str:
        flag = "; BOUND STATE along the path (no relaxation)" if self.bound_state_along_path else ""
        baths = (
            "baths " + ", ".join(f"(T={b.T:g}, mu={b.mu:g})" for b in self.baths)
            if self.biased
            else f"T={self.bath.T:g}, mu={self.bath.mu:g}"
        )
        return (
            f"Drive({self.model.name}; {self.protocol.describe()}; {baths}; "
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
            return quantity_key("system_energy_alpha", alpha=float(key.split("=")[1]))
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
        ``max_step``, ``n_steps``, ``energy_balance_residual``, ``bound_state_along_path`` (0 or 1);
        per reservoir k the end values ``I_k``, ``J_E_k``, ``J_Q_k`` (the currents into the system,
        named as :meth:`strongtherm.negf.SteadyState.to_dict` names them), ``pumped_charge_k`` and
        ``lead_heat_k``. Names never clash with a sweep axis such as ``duration``, ``T`` or a model parameter.
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
        out.update(self._per_lead(-1))
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

    def _per_lead(self, index: int | slice) -> dict[str, Any]:
        """The per-reservoir series (or their values at one index), keyed ``I_k``, ``J_E_k``, ..."""
        columns = {
            "I": self.particle_current,
            "J_E": self.energy_current,
            "J_Q": self.heat_current,
            "pumped_charge": self.pumped_charge,
            "lead_heat": self.lead_heat,
        }
        return {f"{name}_{k}": values[index, k] for name, values in columns.items() for k in range(values.shape[1])}

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
            **self._per_lead(slice(None)),
        }
        if self.mutual_information is not None:
            out["mutual_information"] = self.mutual_information
            out["reservoir_relative_entropy"] = self.reservoir_relative_entropy
        return out


# ---------------------------------------------------------------------------------------- check
def _check_times(times: Any, total: float, max_outputs: int) -> np.ndarray:
    if times is None:
        return np.linspace(0.0, total, 51) if total > 0.0 else np.array([0.0])
    size = np.size(times) if isinstance(times, np.ndarray | Sequence) else None
    if size is not None and size > max_outputs:  # before any copy: each output time costs memory and a measurement
        raise ValueError(f"times: {size} output times, more than max_outputs={max_outputs}; ask for fewer or raise max_outputs")
    try:
        arr = np.atleast_1d(np.asarray(times, dtype=float))
    except (TypeError, ValueError):
        raise ValueError(f"times must be a 1-D array of real times in [0, {total:g}], got {times!r}") from None
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"times must be a non-empty 1-D array, got shape {arr.shape}")
    if arr.size > max_outputs:
        raise ValueError(f"times: {arr.size} output times, more than max_outputs={max_outputs}; ask for fewer or raise max_outputs")
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


def check_arguments(
    model: OpenSystem,
    bath: Bath,
    protocol: Protocol,
    times: Any,
    initial: str,
    order: Any,
    limits: Mapping[str, Any],
    work_tol: Any,
) -> tuple[np.ndarray, int, dict[str, int], float | None]:
    """The validated output times, order, limits (max_steps, max_sites, max_outputs) and work_tol
    (``model`` and ``bath`` checked too; a biased drive passes its reference bath, its baths being
    :func:`_check_baths`'s)."""
    check_model_and_bath(model, bath)
    if not isinstance(protocol, Protocol):
        raise ValueError(f"protocol must be a strongtherm.dynamics.Protocol, got {type(protocol).__name__}")
    if initial not in INITIAL_STATES:
        raise ValueError(f"initial must be one of {INITIAL_STATES}, got {initial!r}")
    order = check_integer("order", order, low=4)
    if order not in NODES:
        raise ValueError(f"order must be 4 or 6, got {order!r}")
    checked = {
        "max_steps": check_integer("max_steps", limits["max_steps"], low=1),
        "max_sites": check_integer("max_sites", limits["max_sites"], low=8),
        "max_outputs": check_integer("max_outputs", limits["max_outputs"], low=1),
    }
    if work_tol is not None:
        work_tol = check_real("work_tol", work_tol, low=0.0, low_inclusive=False)
    check_path(model, protocol.path, "protocol.path")
    return _check_times(times, protocol.total_time, checked["max_outputs"]), order, checked, work_tol


def _check_baths(model: OpenSystem, bath: object, initial: str, reference: Any) -> tuple[tuple[Bath, ...], int, bool, np.ndarray]:
    """One Bath per reservoir, the reference index, whether they differ, and the lead shifts
    V_alpha = mu_alpha - mu_ref of a partition-free start (zeros otherwise).

    Raises
    ------
    ValueError
        Baths that :func:`strongtherm.negf.transport.check_baths` refuses (a count or a name that
        does not match the reservoirs), ``reference`` outside 0..R-1, or different temperatures with
        the partition-free start (a shift of the leads' potential cannot set their temperatures).
    """
    R = len(model.reservoirs)
    try:
        baths = (bath,) * R if isinstance(bath, Bath) else check_baths(model, bath)
    except ValueError as exc:  # ArgumentTypeError too: the same type, named as drive's parameter
        raise type(exc)(f"bath (one Bath, or one per reservoir): {exc}") from None
    reference = check_integer("reference_reservoir", reference, low=0, high=R - 1)
    ref = baths[reference]
    biased = any(b.T != ref.T or b.mu != ref.mu for b in baths)
    shifts = np.zeros(R)
    if biased and initial == "gibbs":
        hotter = [k for k, b in enumerate(baths) if b.T != ref.T]
        if hotter:
            names = ", ".join(f"reservoir {model.reservoir_label(k)!r} T={baths[k].T:g}" for k in hotter)
            raise ValueError(
                f"initial='partition-free' (= 'gibbs') starts from one equilibrium of the whole universe at the "
                f"reference reservoir {model.reservoir_label(reference)!r}'s T={ref.T:g} and biases it by shifting the "
                f"leads' potentials, which cannot give them other temperatures ({names}); use initial='partitioned' "
                "for leads at different temperatures, or give every reservoir the same T"
            )
        shifts = np.array([b.mu - ref.mu for b in baths])
    return baths, reference, biased, shifts


def _shifted(mapping: ChainMapping, shift: float) -> ChainMapping:
    """The chain with every on-site energy raised by ``shift`` (a lead's potential)."""
    if shift == 0.0:
        return mapping
    onsite = mapping.onsite
    return dataclasses.replace(
        mapping,
        onsite=lambda L: onsite(L) + shift,  # type: ignore[operator]
        band_centre=mapping.band_centre + shift,
        description=f"{mapping.description}, shifted by {shift:g}",
    )


def lead_model(model: OpenSystem, shifts: Sequence[float] | np.ndarray) -> OpenSystem:
    """``model`` with reservoir alpha's band centre e0 raised by ``shifts[alpha]``: the leads of a
    partition-free biased drive after t = 0 (every reservoir with a chain mapping has an ``e0``)."""
    if not np.any(np.asarray(shifts)):
        return model
    reservoirs = tuple(
        r if v == 0.0 else dataclasses.replace(r, e0=r.e0 + float(v))  # type: ignore[attr-defined, type-var]
        for r, v in zip(model.reservoirs, shifts, strict=True)
    )
    label = ", ".join(f"{v:+g}" for v in shifts)
    return dataclasses.replace(model, reservoirs=reservoirs, name=f"{model.name} (leads shifted by {label})")


def check_step(universe: Universe, start: dict[str, float], dt: float | None, scale: float = DEFAULT_STEP_SCALE) -> float:
    """dt as given, or ``scale`` / r with r the spectral half-width of h(lambda(0))."""
    if dt is None:
        block = universe.block(start)
        radius = 0.5 * (universe.fixed_bounds[1] - universe.fixed_bounds[0]) + float(np.max(np.abs(np.linalg.eigvalsh(block))))
        dt = scale / radius
    return check_real("dt", dt, low=0.0, low_inclusive=False)


def _bound_states_along(
    model: OpenSystem, baths: Sequence[Bath], protocol: Protocol, nodes: int = 17
) -> tuple[tuple[tuple[float, tuple[float, ...]], ...], float]:
    """(s, energies) of the bound states at path nodes and their largest thermal weight f (1 - f);
    a BoundStateWarning when that weight exceeds ``BOUND_STATE_WEIGHT_THRESHOLD``, and (several
    baths) when the baths would occupy a bound state differently (its occupation is then the history's)."""
    s_values = np.union1d(np.linspace(0.0, 1.0, nodes), np.asarray(protocol.path.breakpoints))
    # the nodes evaluated once, together (an affine model: one stacked product, no per-point checks)
    evaluated = evaluate(model, model.resolve_along(protocol.path, s_values), 0.0)
    found = []
    for i, s in enumerate(s_values):
        energies = tuple(b.energy for b in bound_states(evaluated.point(i)))
        if energies:
            found.append((float(s), energies))
    # f (1 - f) = -T df/de, the largest over the baths
    weights = [(max(float(np.max(-b.T * b.fermi_derivative(np.array(e)))) for b in baths), s, e) for s, e in found]
    weight, s_max, e_max = max(weights) if weights else (0.0, 0.0, ())
    if weight > BOUND_STATE_WEIGHT_THRESHOLD:
        warnings.warn(
            f"{model.name}: bound state(s) along the path (at s={s_max:.3g}, energies {np.round(e_max, 6).tolist()}, "
            f"thermal weight f(1-f) = {weight:.3g} > {BOUND_STATE_WEIGHT_THRESHOLD:g}): the driven system does not relax "
            "to equilibrium, and the slow limit of the work depends on the history; it is not Delta F*_S",
            BoundStateWarning,
            stacklevel=3,  # drive's caller, as when this check was drive's own
        )
    for s, energies in found:
        spread = [float(np.ptp([b.fermi(np.array(e)) for b in baths])) for e in energies]
        if max(spread) > BOUND_STATE_WEIGHT_THRESHOLD:
            warnings.warn(
                f"{model.name}: bound state(s) at s={s:.3g} (energies {np.round(energies, 6).tolist()}) carry no current, "
                f"and the leads' baths would occupy them differently (by up to {max(spread):.3g}): their occupation "
                "in the long-time state is fixed by the initial state and the protocol, not by a lead, so the "
                "drive need not relax to strongtherm.negf.steady_state (which occupies them with one reference bath)",
                BoundStateWarning,
                stacklevel=3,
            )
            break
    return tuple(found), weight


def _engine_reference(model: OpenSystem, bath: Bath, universe: Universe, start: dict[str, float], end: dict[str, float]) -> tuple[float, float]:
    """Delta F*_S of the Green's-function engine (infinite reservoirs) from ``start`` to ``end``, and
    the chain's Delta F*_S minus it (the finite-size difference)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RankDeficientWarning)
        delta_engine = mean_force(model, bath, **end).F_S - mean_force(model, bath, **start).F_S  # type: ignore[arg-type]  # a dict of parameter values, never an option name
        F_chain = [mean_force_from_hamiltonian(universe.dense(p), universe.n, bath).F_S for p in (start, end)]
    return float(delta_engine), float(F_chain[1] - F_chain[0]) - float(delta_engine)


# ---------------------------------------------------------------------------------------- drive
@single_threaded_blas  # small matrices in a long loop: BLAS threads only cost (core.threads)
def drive(
    model: OpenSystem,
    bath: Bath | Sequence[Bath] | Mapping[int | str, Bath],
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
    work_tol: float | None = 1e-8,
    strict: bool = False,
    max_outputs: int = 100_000,
    mean_force_energies: bool = True,
    entropy: bool = True,
    reference: bool = True,
    lorentzian_cutoff: float = LORENTZIAN_CUTOFF,
    reference_reservoir: int = 0,
    method: str = "interaction",
) -> Drive:
    """Drive ``model`` in ``bath`` along ``protocol`` and follow the exact Gaussian state.

    Parameters
    ----------
    model : OpenSystem
        Reservoirs must be TightBindingChain, WideBand or LorentzianBand (chain mappings in
        :mod:`strongtherm.dynamics.chain`); parameters not on the path take the model's defaults.
    bath : Bath, or one Bath per reservoir (sequence, or mapping by reservoir name or index)
        (T, mu) of the initial state, in units of energy; with one Bath per reservoir at different
        (T_alpha, mu_alpha), a biased drive (module docstring; checked as
        :func:`strongtherm.negf.steady_state` checks its ``baths``).
    protocol : Protocol
        Path, duration tau, schedule and hold.
    times : array, optional
        Output times, strictly increasing in [0, tau + hold] (default: 51 equally spaced).
    initial : {"gibbs", "product", "partition-free", "partitioned"}
        Global Gibbs state of h(lambda(0)) (default) or rho_S (x) rho_R^eq (see the module
        docstring); for a biased drive ``"partition-free"`` is ``"gibbs"`` (the universe's Gibbs state
        at the reference bath, then the leads' potentials shifted by mu_alpha - mu_ref at t = 0; one
        T only) and ``"partitioned"`` is ``"product"`` (each lead at its own bath, the system
        decoupled at the reference bath).
    L : int, optional
        Sites per chain; default chosen by :func:`strongtherm.dynamics.chain.chain_length` from the
        window and ``tol``.
    tol : float
        Target finite-size error of equilibrium quantities (sets the thermal chain length).
    max_sites : int
        Largest L allowed; a window that needs more is a ValueError.
    dt : float, optional
        Largest time step of the first pass; default 40 / r (``method="interaction"``) or 0.3 / r
        (``"magnus"``) with r the spectral half-width of h (energy-balance errors 1e-13 to 5e-11 on
        well-resolved ramps of the built-in models; a fast schedule needs less, which the error
        control finds). ``integrator.energy_balance_residual`` reports max|W - Delta E| for every run.
    order : {4, 6}
        Order of the Magnus steps (``method="magnus"`` only).
    max_steps : int
        Budget of time steps, rejected passes included; a first pass beyond it is a ValueError
        before anything runs.
    work_tol : float or None
        Error control on the work: each smooth piece of the protocol is redone with a smaller
        step until its energy balance abs(Delta W - Delta E) is within its share of ``work_tol``
        (in units of energy; default 1e-8); None accepts the first pass.
        ``integrator.work_error_estimate`` sums the accepted residuals.
    strict : bool
        When ``work_tol`` is not met within ``max_steps``: a NumericsError if True, else a
        NumericsWarning giving the residual reached (the result is the finest pass).
    max_outputs : int
        Most output times allowed (each costs a measurement, with an eigendecomposition of the
        universe, and memory); more is a ValueError before anything is allocated.
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
    reference_reservoir : int
        The reservoir whose bath is the initial equilibrium (partition-free) or the system's initial
        bath (partitioned) of a biased drive, in 0..R-1 (default 0); also ``Drive.bath``.
    method : {"interaction", "magnus"}
        The time step on the smooth pieces of the protocol. ``"interaction"`` (default): long steps
        (r dt up to 40) in the interaction picture of h at the piece's start, diagonalized once,
        where the drive is a kick of the rank of the driven sites, solved by Gauss-Legendre
        collocation (:mod:`strongtherm.dynamics.interaction`); the power at each step's nodes.
        ``"magnus"``: Magnus steps of ``order`` with Chebyshev exponentials (r dt ~ 0.3), the power
        sampled at their ends (the road before; the tests' second road). Both evolve the same
        chain universe exactly under the same error control and agree to ~1e-13 on W; on the level
        ramp at tau = 160 the first is ~40x faster (``benchmarks/bench_dynamics_roads.py``).

    Returns
    -------
    Drive

    Raises
    ------
    ValueError
        Bad model, bath, protocol, times outside [0, tau + hold] or more than ``max_outputs``,
        unknown ``initial``; baths that do not match the reservoirs (count, names), different
        temperatures with the partition-free start, ``reference_reservoir`` outside 0..R-1; a window beyond what ``max_sites`` sites represent, a first pass
        beyond ``max_steps``, or a reservoir without a chain representation; a schedule that
        fails or leaves [0, 1] where the integrator evaluates it.
    ~strongtherm.core.warnings.NumericsError
        With ``strict=True``, when ``work_tol`` is not met within ``max_steps``.

    Warns
    -----
    ~strongtherm.core.warnings.NumericsWarning
        When ``work_tol`` is not met within ``max_steps`` (``strict=False``).
    ~strongtherm.core.warnings.BoundStateWarning
        When a bound state with thermal weight above ``BOUND_STATE_WEIGHT_THRESHOLD`` lies on the
        path, or (biased drive) one the baths would occupy differently: it carries no current and
        keeps the occupation the history gave it.

    Examples
    --------
    >>> import numpy as np, strongtherm as st
    >>> rlm = st.models.resonant_level(t0=1.25)
    >>> proto = st.dynamics.Protocol(st.Path.line({"eps_s": 0.0, "V": 0.6}, {"eps_s": 1.0, "V": 0.6}), duration=2.0)
    >>> run = st.dynamics.drive(rlm, st.Bath(T=0.1), proto, times=np.linspace(0, 2, 5))
    >>> bool(run.entropy_production[-1] > 0)
    True
    """
    # check
    limits = {"max_steps": max_steps, "max_sites": max_sites, "max_outputs": max_outputs}
    if not isinstance(model, OpenSystem):
        check_model_and_bath(model, bath)  # the model's error first, whatever the baths
    canonical = INITIAL_ALIASES.get(initial, initial)  # an unknown name is check_arguments's error
    baths, ref, biased, shifts = _check_baths(model, bath, canonical, reference_reservoir)
    ref_bath = baths[ref]
    outputs, order, limits, work_tol = check_arguments(model, ref_bath, protocol, times, initial, order, limits, work_tol)
    initial = canonical
    leads = lead_model(model, shifts)
    # build: the chains for the time window, the universe, the step, the initial state
    length = chain_length(
        model, baths, float(outputs[-1]), tol=tol, L=L, max_sites=limits["max_sites"], lorentzian_cutoff=lorentzian_cutoff
    )
    # the partition-free bias: the initial state is the unshifted universe's, the evolution the shifted one's
    before = Universe(model, length.L, length.mappings)
    universe = Universe(model, length.L, tuple(_shifted(m, v) for m, v in zip(length.mappings, shifts, strict=True)))
    start = protocol_parameters(model, protocol, 0.0)
    dt = check_step(universe, start, dt, INTERACTION_STEP_SCALE if check_method(method) == "interaction" else DEFAULT_STEP_SCALE)
    found, weight = _bound_states_along(leads, baths, protocol)
    h0 = before.dense(start)
    state, spectrum0 = initial_state(h0, universe.n, ref_bath, initial, baths if biased else None)
    integrator = Integrator(
        universe, protocol, state, start, outputs,
        order=order, dt=dt, max_steps=limits["max_steps"], work_tol=work_tol, strict=bool(strict), method=method,
        # the Gibbs start's eigenvectors are h(lambda(0))'s of the evolving universe unless a bias shifted it
        eigensystem=(spectrum0, state.orbitals) if initial == "gibbs" and not any(shifts) else None,
    )  # fmt: skip
    recorder = Recorder(
        universe, ref_bath, state, start, h0, spectrum0, outputs.size,
        initial=initial, mean_force_energies=mean_force_energies, entropy=entropy, lead_baths=baths, biased=biased,
    )  # fmt: skip
    # integrate and record
    integrator.run(recorder)
    # wrap
    observables = recorder.finish(integrator.work)
    end = model.resolve(protocol.path.function(1.0))
    compare = reference and not biased  # Delta F*_S needs one equilibrium
    delta_engine, difference = _engine_reference(model, ref_bath, universe, start, end) if compare else (None, None)
    return Drive(
        model=model,
        bath=ref_bath,
        protocol=protocol,
        times=outputs,
        **observables,
        delta_F_S_engine=delta_engine,
        finite_size_difference=difference,
        initial=initial,
        chain=length,
        integrator=integrator.info(recorder.energy_balance_residual),
        bound_state_along_path=weight > BOUND_STATE_WEIGHT_THRESHOLD,
        bound_state_energies=found,
        bound_state_weight=weight,
        baths=baths,
        biased=biased,
        lead_shifts=shifts,
        lead_model=leads,
        reference_reservoir=ref,
    )
