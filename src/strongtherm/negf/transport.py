"""Reservoirs out of equilibrium with each other: the steady state of a biased open system.

Each reservoir alpha keeps its own bath (T_alpha, mu_alpha); the system between them relaxes to
the Landauer-Buttiker steady state (noninteracting fermions, hbar = e = k_B = 1; docs:
conventions, "Two terminals"). With Gamma_alpha(e) = i[Sigma_alpha(e + i0) - Sigma_alpha(e + i0)^dag]
and G = G_S(e + i0):

* transmission T_ab(e) = Tr[Gamma_a G Gamma_b G^dag];
* particle current *into the system* from reservoir a,
  I_a = int de/2pi sum_b T_ab(e) [f_a(e) - f_b(e)], energy current J_E^a the same with a factor e,
  heat current J_Q^a = J_E^a - mu_a I_a;
* power delivered by the device P = sum_a J_Q^a = -sum_a mu_a I_a (sum_a J_E^a = 0 in the steady
  state), entropy production sigma = -sum_a J_Q^a / T_a >= 0;
* the correlation matrix C_ij = <d_j^dag d_i> = int de/2pi [G (sum_a f_a Gamma_a) G^dag]_ij plus the
  bound states, and the system's N_S = Tr C and U_S = <H_S> + <H_SR>/2 (Hilbert-space partition,
  Eq. 14 of Kumar et al. 2024, now away from equilibrium).

A bound state (a pole of G_S outside every continuum) carries no current, and its occupation is
not fixed by the leads: it remembers how the state was prepared. Here it is occupied with the
Fermi function of one *reference* reservoir (``bound_state_reference``, default the first), and a
:class:`~strongtherm.core.warnings.BoundStateWarning` says so whenever the baths disagree on that
occupation. Technically C and <H_SR> are the equilibrium values at the reference bath (pole sums of
:func:`~strongtherm.negf.equilibrium`, bound states included) plus the correction
int de/2pi G [sum_a (f_a - f_ref) Gamma_a] G^dag, which lives in the Fermi window only, so no
integral runs over a whole band and no delta peak is ever sampled.

Every integral is a real-axis Gauss-Kronrod integral (:func:`~strongtherm.negf.integrate.gauss_kronrod_panels`)
over the Fermi window, with break points at band edges, chemical potentials and resonances, an
error estimate and a cost bound.

Why the window integrals are not pole sums, as the equilibrium ones are: closing a contour needs
an integrand that is the boundary value of a function analytic in the upper half plane, like
G(e + i0) f(e). The window integrands are not: T_ab = Tr[Gamma_a G Gamma_b G^dag] holds G and G^dag
(retarded and advanced) and Gamma_a(e) = i(Sigma_a - Sigma_a^dag), a band's density of states
(the chain's sqrt(4 t0^2 - e^2), zero outside its band). Only where both factors are
rational (wide-band and Lorentzian leads: finitely many poles on either side) does a residue sum
exist; for the wide-band level it is the digamma closed form of
:func:`strongtherm.papers.transport.wide_band_level_currents`, the tests' second road.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np

from ..core.display import html_table
from ..core.validation import ArgumentTypeError, check_integer
from ..core.warnings import BoundStateWarning
from ..thermal import Bath, check_bath
from .evaluated import model_point
from .fermi_window import (
    WINDOW_WIDTH,
    break_points,
    fermi_window,
    greens_and_self_energies,
    integrate_window,
    level_widths,
    one_level_couplings,
    surface_values,
    transmissions,
    window_segments,
)
from .integrate import DEFAULT_OPTIONS, QuadratureOptions
from .one_level_window import one_level_columns, one_level_sweep
from .partition import equilibrium
from .spectral import bound_states
from .system import ModelPoint, OpenSystem

__all__ = [
    "LinearResponse",
    "SteadyState",
    "as_point",
    "check_baths",
    "current_rows",
    "linear_response",
    "steady_state",
    "steady_state_rows",
    "steady_states",
    "transmission",
]

#: A bound state whose occupation differs between two baths by less than this is not warned of.
BOUND_OCCUPATION_TOLERANCE = 1e-12


def as_point(model: object, params: Mapping[str, float] | None, kwargs: Mapping[str, float]) -> ModelPoint:
    """The model evaluated at ``params`` and the keyword parameters (an OpenSystem is required)."""
    if not isinstance(model, OpenSystem):
        raise ArgumentTypeError(f"model must be an OpenSystem (e.g. st.models.resonant_level()), got {type(model).__name__}")
    return model_point(model, model.resolve({**(params or {}), **kwargs}))


def _reservoir_label(model: OpenSystem, index: int) -> str:
    res = model.reservoirs[index]
    kind = getattr(res, "describe", lambda: repr(res))()
    return f"reservoir {model.reservoir_label(index)!r} ({kind})" if model.reservoir_names else f"reservoir {index} ({kind})"


def check_baths(model: OpenSystem, baths: object) -> tuple[Bath, ...]:
    """One :class:`~strongtherm.Bath` per reservoir, in the model's reservoir order.

    ``baths`` is a sequence with one bath per reservoir, or a mapping naming every reservoir by
    its index or, where the model has them, by its name (``{"L": Bath(...), "R": Bath(...)}``). A
    single Bath is refused: it would silently be equilibrium.
    """
    n = len(model.reservoirs)
    if isinstance(baths, list | tuple) and len(baths) == n and all(type(b) is Bath for b in baths):
        return tuple(baths)  # the common case, without the ABC checks below
    if isinstance(baths, Bath):
        raise ArgumentTypeError(
            f"baths must give one Bath per reservoir ({n} for {model.name}), e.g. [Bath(T=0.1, mu=0.5), "
            "Bath(T=0.1, mu=-0.5)]; a single Bath is equilibrium: use st.negf.equilibrium for it"
        )
    if isinstance(baths, Mapping):
        names = {name: k for k, name in enumerate(model.reservoir_names)}

        def position(key: object) -> int | None:
            if isinstance(key, int | np.integer) and not isinstance(key, bool) and 0 <= key < n:
                return int(key)
            return names.get(key) if isinstance(key, str) else None

        unknown = [k for k in baths if position(k) is None]
        if unknown:
            known = f"{list(model.reservoir_names)} or 0..{n - 1}" if names else f"0..{n - 1}"
            raise ValueError(f"baths names reservoir(s) {unknown} that {model.name} does not have; its reservoirs are {known}")
        given = {position(k): bath for k, bath in baths.items()}
        if len(given) != len(baths):
            raise ValueError("baths names a reservoir twice (by its index and by its name)")
        missing = [k for k in range(n) if k not in given]
        if missing:
            raise ValueError(f"baths gives no Bath for {', '.join(_reservoir_label(model, k) for k in missing)}")
        ordered = [given[k] for k in range(n)]
    elif isinstance(baths, Sequence) and not isinstance(baths, str | bytes):
        if len(baths) != n:
            raise ValueError(f"baths must give one Bath per reservoir: {model.name} has {n}, got {len(baths)}")
        ordered = list(baths)
    else:
        raise ArgumentTypeError(f"baths must be a sequence or mapping of Bath, one per reservoir; got {type(baths).__name__}")
    for k, bath in enumerate(ordered):
        if not isinstance(bath, Bath):
            raise ArgumentTypeError(f"baths[{k}] (for {_reservoir_label(model, k)}) must be a Bath(T, mu), got {type(bath).__name__}")
    return tuple(ordered)


def transmission(
    model: OpenSystem, energies: np.ndarray | Sequence[float] | float, params: Mapping[str, float] | None = None, **kwargs: float
) -> np.ndarray:
    """Transmission matrix T_ab(e) = Tr[Gamma_a G_S Gamma_b G_S^dag] at real energies.

    Parameters
    ----------
    model : OpenSystem
        The open system; ``params`` / keyword arguments are its parameters.
    energies : array_like
        Real energies, in the model's unit.

    Returns
    -------
    ndarray, shape ``energies.shape + (R, R)``
        Real and non-negative; the row sums sum_b T_ab equal Tr[Gamma_a A] wherever no bound state
        sits (current conservation).
    """
    point = as_point(model, params, kwargs)
    e = np.asarray(energies, dtype=float)
    if not np.all(np.isfinite(e)):
        raise ValueError("energies must be finite real numbers")
    G, sigmas = greens_and_self_energies(point, e.reshape(-1))
    T, _ = transmissions(G, level_widths(sigmas))
    return T.reshape(e.shape + T.shape[-2:])


def _one_level_integrand(
    point: ModelPoint, strengths: np.ndarray, baths: Sequence[Bath], reference: int, state: bool
) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """The steady-state integrand of one level in numbers (:func:`one_level_columns`), for the
    adaptive road; the same columns as the matrix road. What does not depend on the energies (the
    level, the couplings, the baths' columns) is gathered once, not at every call."""
    eps, s = point.h_S[0, 0], strengths[:, None]
    mu, T = np.array([[b.mu for b in baths], [b.T for b in baths]])[:, :, None]  # (R, 1) each

    def integrand(e: np.ndarray, _w: np.ndarray) -> np.ndarray:
        g = surface_values(point.reservoirs, e)
        return one_level_columns(e, eps, s, g, mu, T, reference, state)

    return integrand


@dataclass(frozen=True)
class SteadyState:
    """The Landauer-Buttiker steady state of an open system between reservoirs at different (T, mu).

    Currents are *into the system* from each reservoir (so sum_a I_a = 0 and sum_a J_E^a = 0 in a
    steady state); energies in the model's unit, hbar = e = k_B = 1, so a particle current is in
    units of energy / hbar and I = (1/2pi) T_LR (mu_L - mu_R) for a transparent channel at T = 0.

    Attributes
    ----------
    particle_current, energy_current, heat_current : ndarray, shape (R,)
        I_a, J_E^a and J_Q^a = J_E^a - mu_a I_a, one per reservoir.
    power : float
        P = sum_a J_Q^a = -sum_a mu_a I_a: the power the device delivers against the bias (> 0 for
        an engine).
    entropy_production : float
        sigma = -sum_a J_Q^a / T_a >= 0 (second law).
    correlation_matrix : ndarray, shape (n, n)
        C_ij = <d_j^dag d_i> in the steady state, bound states occupied as the reference bath says.
    N_S, U_S : float
        Tr C and <H_S> + <H_SR>/2 (Hilbert-space partition, Eq. 14 of Kumar et al. 2024).
    expectation_H_S, expectation_H_SR : float
        <H_S> = Tr[h_S C] and <H_SR> in the steady state.
    bound_state_reference : int
        The reservoir whose Fermi function occupies the bound states.
    errors : mapping
        Quadrature error estimates: ``particle_current``, ``energy_current`` (largest over the
        reservoirs), ``correlation_matrix`` and ``expectation_H_SR``.
    """

    model_name: str
    params: Mapping[str, float]
    baths: tuple[Bath, ...]
    particle_current: np.ndarray
    energy_current: np.ndarray
    correlation_matrix: np.ndarray | None
    expectation_H_S: float | None
    expectation_H_SR: float | None
    bound_state_reference: int
    bound_state_energies: tuple[float, ...]
    errors: Mapping[str, float] = field(default_factory=dict)

    @property
    def heat_current(self) -> np.ndarray:
        """J_Q^a = J_E^a - mu_a I_a into the system from reservoir a."""
        return self.energy_current - np.array([b.mu for b in self.baths]) * self.particle_current

    @property
    def power(self) -> float:
        """P = -sum_a mu_a I_a (= sum_a J_Q^a): power delivered against the bias."""
        return float(-sum(b.mu * i for b, i in zip(self.baths, self.particle_current, strict=True)))

    @property
    def entropy_production(self) -> float:
        """sigma = -sum_a J_Q^a / T_a >= 0."""
        return float(-sum(q / b.T for b, q in zip(self.baths, self.heat_current, strict=True)))

    @property
    def efficiency(self) -> float:
        """P / (heat drawn from the reservoirs that give heat) when the device is an engine
        (P > 0); NaN otherwise (a refrigerator or a resistor has no engine efficiency)."""
        heat_in = float(np.sum(np.clip(self.heat_current, 0.0, None)))
        return self.power / heat_in if self.power > 0.0 and heat_in > 0.0 else math.nan

    def _state(self) -> tuple[np.ndarray, float, float]:
        if self.correlation_matrix is None or self.expectation_H_S is None or self.expectation_H_SR is None:
            raise ValueError("this steady state was computed with state=False: currents only, no C, N_S or U_S")
        return self.correlation_matrix, self.expectation_H_S, self.expectation_H_SR

    @property
    def N_S(self) -> float:
        """Tr C: the system's particle number in the steady state."""
        return float(np.real(np.trace(self._state()[0])))

    @property
    def U_S(self) -> float:
        """<H_S> + <H_SR>/2: the system's energy under the Hilbert-space partition (Eq. 14)."""
        _, H_S, H_SR = self._state()
        return H_S + 0.5 * H_SR

    @property
    def conservation_residuals(self) -> dict[str, float]:
        """sum_a I_a and sum_a J_E^a: zero in a steady state up to the quadrature error."""
        return {"sum I": float(np.sum(self.particle_current)), "sum J_E": float(np.sum(self.energy_current))}

    def to_dict(self) -> dict[str, float]:
        """Plain floats: currents per reservoir (``I_0``, ``J_E_0``, ``J_Q_0``, ...), power, entropy
        production (``entropy_production_rate``), efficiency (NaN unless an engine) and, with the state, ``N_S``, ``system_U``
        (U_S), ``expectation_H_S``, ``expectation_H_SR`` (keys of the quantity registry)."""
        out = current_rows([self.baths], self.particle_current[None, :], self.energy_current[None, :])[0]
        if self.correlation_matrix is not None:
            _, H_S, H_SR = self._state()
            out.update(N_S=self.N_S, system_U=self.U_S, expectation_H_S=H_S, expectation_H_SR=H_SR)
        return out

    def __repr__(self) -> str:
        currents = ", ".join(f"I_{k}={i:.6g}" for k, i in enumerate(self.particle_current))
        return f"SteadyState({self.model_name}: {currents}, P={self.power:.6g}, sigma={self.entropy_production:.6g})"

    def _repr_html_(self) -> str:
        rows = [(k, b.T, b.mu, i, e, q) for k, (b, i, e, q) in
                enumerate(zip(self.baths, self.particle_current, self.energy_current, self.heat_current, strict=True))]
        extra = {"P": self.power, "sigma": self.entropy_production}
        if self.correlation_matrix is not None:
            extra.update(N_S=self.N_S, U_S=self.U_S)
        return html_table(f"SteadyState of {self.model_name} (currents into the system)",
                          ("reservoir", "T", "mu", "I", "J_E", "J_Q"), rows, extra)


def current_rows(bath_sets: Sequence[Sequence[Bath]], particle: np.ndarray, energy: np.ndarray) -> list[dict[str, float]]:
    """:meth:`SteadyState.to_dict`'s current keys for many points (a map needs 10^4 of them).

    Parameters
    ----------
    bath_sets : sequence of sequences of Bath
        Per point, one bath per reservoir.
    particle, energy : ndarray, shape (P, R)
        I_a and J_E^a into the system, per point and reservoir.

    Returns
    -------
    list of dict
        Per point ``I_k``, ``J_E_k``, ``J_Q_k``, ``power``, ``entropy_production_rate`` and
        ``efficiency``: the operations of the properties in plain floats (faster than arrays for
        a handful of reservoirs).
    """
    names = [(f"I_{k}", f"J_E_{k}", f"J_Q_{k}") for k in range(particle.shape[1])]
    rows = []
    for baths, currents, energies in zip(bath_sets, particle.tolist(), energy.tolist(), strict=True):
        out: dict[str, float] = {}
        power = heat_in = sigma = 0.0
        for (key_i, key_e, key_q), bath, i, e in zip(names, baths, currents, energies, strict=True):
            q = e - bath.mu * i
            out[key_i], out[key_e], out[key_q] = i, e, q
            power -= bath.mu * i
            heat_in += max(q, 0.0)
            sigma -= q / bath.T
        out.update(power=power, entropy_production_rate=sigma,
                   efficiency=power / heat_in if power > 0.0 and heat_in > 0.0 else math.nan)
        rows.append(out)
    return rows


def _bound_state_check(point: ModelPoint, baths: Sequence[Bath], reference: int) -> tuple[float, ...]:
    """Energies of the bound states; warn when the baths would occupy one differently."""
    found = bound_states(point)
    energies = tuple(b.energy for b in found)
    for state in found:
        occupations = np.array([bath.fermi(np.array(state.energy)) for bath in baths])
        if state.system_weight > 0.0 and np.ptp(occupations) > BOUND_OCCUPATION_TOLERANCE:
            warnings.warn(
                f"bound state at e = {state.energy:.6g} (system weight {state.system_weight:.3g}) carries no current and "
                f"its occupation is not fixed by the leads (their Fermi functions give {np.round(occupations, 6).tolist()}); "
                f"it is occupied as reservoir {reference}'s bath says (bound_state_reference={reference})",
                BoundStateWarning,
                stacklevel=3,
            )
    return energies


def steady_state(
    model: OpenSystem,
    baths: Sequence[Bath] | Mapping[int | str, Bath],
    params: Mapping[str, float] | None = None,
    *,
    bound_state_reference: int = 0,
    state: bool = True,
    options: QuadratureOptions | None = None,
    **kwargs: float,
) -> SteadyState:
    """The steady state of ``model`` between reservoirs at their own (T_a, mu_a).

    Parameters
    ----------
    model : OpenSystem
        n levels and R reservoirs of any kind.
    baths : sequence of Bath, or mapping {reservoir index or name: Bath}
        One bath per reservoir (in the model's reservoir order; a mapping may name a reservoir by
        its index or by its name in ``model.reservoir_names``, e.g. ``{"L": ..., "R": ...}``).
    params, **kwargs
        Model parameters.
    bound_state_reference : int
        The reservoir whose Fermi function occupies the bound states (they carry no current and
        the leads do not fix their occupation; a BoundStateWarning says when it matters).
    state : bool
        Also compute the state (C, <H_S>, <H_SR>, hence N_S and U_S); False gives the currents
        alone, which need neither the equilibrium reference nor the bound states.
    options : QuadratureOptions, optional
        Tolerance (default 1e-11 per integral) and budgets of the energy integrals.

    Returns
    -------
    SteadyState
    """
    point = as_point(model, params, kwargs)
    ordered = check_baths(model, baths)
    R = len(ordered)
    reference = check_integer("bound_state_reference", bound_state_reference, low=0, high=R - 1)
    options = options or DEFAULT_OPTIONS
    window = fermi_window(ordered, WINDOW_WIDTH)
    segments = window_segments(point, window)
    differ = any(b.T != ordered[0].T or b.mu != ordered[0].mu for b in ordered)
    if differ and not segments:
        bands = "; ".join(f"{_reservoir_label(model, k)}: {model.reservoirs[k].continuum}" for k in range(R))
        raise ValueError(
            f"the Fermi window [{window[0]:.6g}, {window[1]:.6g}] of the baths lies outside every band ({bands}): "
            "no state can carry a current there; check the chemical potentials and temperatures"
        )
    n = point.n_levels
    energies = _bound_state_check(point, ordered, reference) if state else ()

    def matrix_integrand(e: np.ndarray, _w: np.ndarray) -> np.ndarray:
        G, sigmas = greens_and_self_energies(point, e)  # (E, n, n), (R, E, n, n)
        Gdag = np.swapaxes(G.conj(), -1, -2)
        gammas = level_widths(sigmas)
        f = np.stack([b.fermi(e) for b in ordered])  # (R, E)
        T, X = transmissions(G, gammas)  # T_ab(e), G Gamma_b G^dag
        df = f[:, None, :] - f[None, :, :]  # f_a - f_b, (R, R, E)
        current = np.einsum("eab,abe->ae", T, df)
        columns = [current.T, (e * current).T]
        if state:
            # corrections to C and <H_SR> relative to the reference bath's equilibrium:
            # dC = G [sum_b (f_b - f_ref) Gamma_b] G^dag, and from <H_SR> = 2 Re sum_a (-i) int
            # Tr[Sigma_a G^< + Sigma_a^< G^A] de/2pi: 2 Re sum_a (Tr[Sigma_a dC] + (f_a - f_ref) Tr[Gamma_a G^dag])
            delta = f - f[reference]
            dC = np.einsum("be,beij->eij", delta, X)
            h_sr = 2.0 * np.real(
                np.einsum("aeij,eji->e", sigmas, dC) + np.einsum("ae,aeij,eji->e", delta, gammas, Gdag)
            )
            columns += [dC.reshape(len(e), -1).real, dC.reshape(len(e), -1).imag, h_sr[:, None]]
        return np.concatenate(columns, axis=1) / (2.0 * np.pi)

    one_level = one_level_couplings(point)
    integrand = matrix_integrand if one_level is None else _one_level_integrand(point, one_level, ordered, reference, state)
    size = 2 * R + (2 * n * n + 1 if state else 0)
    if segments:
        values, errs = integrate_window(integrand, break_points(point, segments, ordered), options, "steady-state energy integral")
    else:  # equal baths and no band in the window: nothing flows
        values, errs = np.zeros(size), np.zeros(size)
    largest = errs[: 2 * R].reshape(2, R).max(axis=1).tolist()  # per kind of current
    errors = {"particle_current": largest[0], "energy_current": largest[1]}
    C = H_S = H_SR = None
    if state:
        ref_eq = equilibrium(model, ordered[reference], options=options, **cast("dict[str, Any]", dict(point.params)))
        dC = (values[2 * R : 2 * R + n * n] + 1j * values[2 * R + n * n : 2 * R + 2 * n * n]).reshape(n, n)
        C = ref_eq.correlation_matrix + dC
        C = 0.5 * (C + C.conj().T)
        H_S = float(np.real(np.trace(point.h_S @ C)))
        H_SR = ref_eq.expectation_H_SR + float(values[-1])
        errors["correlation_matrix"] = float(np.max(errs[2 * R : 2 * R + 2 * n * n])) + float(ref_eq.system.errors.get("N", 0.0))
        errors["expectation_H_SR"] = float(errs[-1])
    return SteadyState(
        model.name, dict(point.params), ordered, values[:R], values[R : 2 * R], C, H_S, H_SR, reference, energies, errors
    )


def _one_level_batch(
    model: OpenSystem, bath_sets: Sequence[Sequence[Bath] | Mapping[int | str, Bath]], params: Sequence[Mapping[str, float]],
    state: bool, options: QuadratureOptions,
) -> tuple[list[tuple[Bath, ...]], list[ModelPoint], np.ndarray, np.ndarray, np.ndarray]:
    """The front end of :func:`steady_states`: checked baths, evaluated points (shared by points
    with equal parameters) and, for a one-level model without ``state``, the vectorized sweeps'
    values, errors and done flags (P, 2R), (P, 2R), (P,) (none done otherwise)."""
    if len(bath_sets) != len(params):
        raise ValueError(f"bath_sets and params must have one entry per point: got {len(bath_sets)} and {len(params)}")
    ordered = [check_baths(model, baths) for baths in bath_sets]
    evaluated: dict[tuple[tuple[str, float], ...], ModelPoint] = {}
    points: list[ModelPoint] = []
    for p in params:
        key = tuple(sorted(p.items()))
        if key not in evaluated:
            evaluated[key] = as_point(model, p, {})
        points.append(evaluated[key])
    R = len(model.reservoirs)
    if points and not state and one_level_couplings(points[0]) is not None:
        values, errors, done = one_level_sweep(points, ordered, options)
    else:
        values, errors, done = np.zeros((len(points), 2 * R)), np.zeros((len(points), 2 * R)), np.zeros(len(points), bool)
    return ordered, points, values, errors, done


def steady_states(
    model: OpenSystem,
    bath_sets: Sequence[Sequence[Bath] | Mapping[int | str, Bath]],
    params: Sequence[Mapping[str, float]],
    *,
    state: bool = False,
    options: QuadratureOptions | None = None,
) -> list[SteadyState]:
    """:func:`steady_state` at many points: ``bath_sets[k]`` and ``params[k]`` per point.

    A one-level model (every reservoir with one surface orbital) without ``state`` runs its
    points through vectorized GK15 sweeps (:mod:`strongtherm.negf.one_level_window`): the panels,
    integrand and tolerance test of the single road, so the numbers agree with single calls to
    rounding; a point the sweep cannot finish (tolerance missed, several bands in its window) and
    every other model take the single road. Points sharing their parameters share one model
    evaluation. This is what a (gate, bias) map needs (``st.sweeps.negf_steady_state`` calls
    :func:`steady_state_rows`, the same numbers as plain floats).
    """
    options = options or DEFAULT_OPTIONS
    ordered, points, values, errors, done = _one_level_batch(model, bath_sets, params, state, options)
    R = len(model.reservoirs)
    error_I, error_E = np.max(errors[:, :R], axis=1).tolist(), np.max(errors[:, R:], axis=1).tolist()
    out: list[SteadyState] = []
    for k, point in enumerate(points):
        if done[k]:
            err = {"particle_current": error_I[k], "energy_current": error_E[k]}
            out.append(SteadyState(model.name, dict(point.params), ordered[k], values[k, :R], values[k, R:],
                                   None, None, None, 0, (), err))  # fmt: skip
        else:
            out.append(steady_state(model, ordered[k], dict(point.params), state=state, options=options))
    return out


def steady_state_rows(
    model: OpenSystem,
    bath_sets: Sequence[Sequence[Bath] | Mapping[int | str, Bath]],
    params: Sequence[Mapping[str, float]],
    *,
    state: bool = False,
    options: QuadratureOptions | None = None,
) -> list[dict[str, float]]:
    """``[s.to_dict() for s in steady_states(...)]``, the points the vectorized sweeps finish
    turned into rows at once (:func:`current_rows`) instead of one SteadyState each: the
    bookkeeping of a 200 x 200 map."""
    options = options or DEFAULT_OPTIONS
    ordered, points, values, _, done = _one_level_batch(model, bath_sets, params, state, options)
    R = len(model.reservoirs)
    fast = np.flatnonzero(done)
    rows: list[dict[str, float] | None] = [None] * len(points)
    for k, row in zip(fast.tolist(), current_rows([ordered[k] for k in fast], values[fast, :R], values[fast, R:]),
                      strict=True):  # fmt: skip
        rows[k] = row
    for k in np.flatnonzero(~done).tolist():
        rows[k] = steady_state(model, ordered[k], dict(points[k].params), state=state, options=options).to_dict()
    return cast("list[dict[str, float]]", rows)


@dataclass(frozen=True)
class LinearResponse:
    """Two-terminal linear response around a common (T, mu) (Onsager; hbar = e = k_B = 1).

    With L_ij = T int de/2pi T_LR(e) (e - mu)^(i+j-2) (-df/de), the currents from lead 0 into the
    system for small Delta mu = mu_0 - mu_1 and Delta T = T_0 - T_1 are
    [I, J_Q] = [[L11, L12], [L21, L22]] [Delta mu / T, Delta T / T^2].

    Attributes
    ----------
    onsager : ndarray, shape (2, 2)
        The Onsager matrix L (symmetric: L12 = L21, the reciprocity of noninteracting transport).
    conductance : float
        G = L11 / T (units e^2/hbar: one transparent channel gives 1/2pi).
    seebeck : float
        S = L12 / (T L11) (thermopower, units k_B/e; sign: a positive S drives particles from the
        hot lead to the cold one against mu).
    thermal_conductance : float
        kappa = (L11 L22 - L12^2) / (T^2 L11), at zero particle current.
    figure_of_merit : float
        ZT = S^2 G T / kappa.
    errors : mapping
        Quadrature error estimate of each L_ij.
    """

    model_name: str
    params: Mapping[str, float]
    bath: Bath
    onsager: np.ndarray
    errors: Mapping[str, float] = field(default_factory=dict)

    @property
    def conductance(self) -> float:
        return float(self.onsager[0, 0] / self.bath.T)

    @property
    def seebeck(self) -> float:
        return float(self.onsager[0, 1] / (self.bath.T * self.onsager[0, 0]))

    @property
    def thermal_conductance(self) -> float:
        L = self.onsager
        return float((L[0, 0] * L[1, 1] - L[0, 1] * L[1, 0]) / (self.bath.T**2 * L[0, 0]))

    @property
    def figure_of_merit(self) -> float:
        return self.seebeck**2 * self.conductance * self.bath.T / self.thermal_conductance

    def to_dict(self) -> dict[str, float]:
        return {"conductance": self.conductance, "seebeck": self.seebeck,
                "thermal_conductance": self.thermal_conductance, "figure_of_merit": self.figure_of_merit,
                "L11": float(self.onsager[0, 0]), "L12": float(self.onsager[0, 1]), "L22": float(self.onsager[1, 1])}

    def __repr__(self) -> str:
        return (f"LinearResponse({self.model_name}: G={self.conductance:.6g}, S={self.seebeck:.6g}, "
                f"kappa={self.thermal_conductance:.6g}, ZT={self.figure_of_merit:.6g})")


def linear_response(
    model: OpenSystem,
    bath: Bath,
    params: Mapping[str, float] | None = None,
    *,
    options: QuadratureOptions | None = None,
    **kwargs: float,
) -> LinearResponse:
    """Conductance, thermopower, thermal conductance, ZT and the Onsager matrix of a two-terminal
    model around the common state ``bath`` (see :class:`LinearResponse`)."""
    point = as_point(model, params, kwargs)
    if len(model.reservoirs) != 2:
        raise ValueError(f"linear_response needs exactly two reservoirs; {model.name} has {len(model.reservoirs)}")
    check_bath(bath)
    options = options or DEFAULT_OPTIONS
    segments = window_segments(point, fermi_window([bath], WINDOW_WIDTH))
    if not segments:
        raise ValueError(
            f"the thermal window [{bath.mu - WINDOW_WIDTH * bath.T:.6g}, {bath.mu + WINDOW_WIDTH * bath.T:.6g}] lies "
            f"outside every band of {model.name}: the linear response vanishes"
        )

    def integrand(e: np.ndarray, _w: np.ndarray) -> np.ndarray:
        G, sigmas = greens_and_self_energies(point, e)
        T_LR = transmissions(G, level_widths(sigmas))[0][:, 0, 1]
        minus_df = -bath.fermi_derivative(e)
        d = e - bath.mu
        return (bath.T / (2.0 * np.pi)) * (T_LR * minus_df)[:, None] * np.stack([np.ones_like(d), d, d * d], axis=1)

    values, errs = integrate_window(integrand, break_points(point, segments, [bath]), options, "linear-response energy integral")
    L = np.array([[values[0], values[1]], [values[1], values[2]]])
    errors = {"L11": float(errs[0]), "L12": float(errs[1]), "L22": float(errs[2])}
    return LinearResponse(model.name, dict(point.params), bath, L, errors)
