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
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
from scipy.special import expit

from ..core.display import html_table
from ..core.validation import ArgumentTypeError, check_integer
from ..core.warnings import BoundStateWarning, NumericsError
from ..thermal import Bath, check_bath
from .greens import system_greens_function
from .integrate import DEFAULT_OPTIONS, GAUSS_KRONROD_15, QuadratureOptions, gauss_kronrod_panels
from .partition import equilibrium
from .spectral import bound_states
from .system import ModelPoint, OpenSystem

__all__ = [
    "LinearResponse",
    "ProbeReading",
    "SteadyState",
    "check_baths",
    "greens_and_self_energies",
    "level_widths",
    "linear_response",
    "probe",
    "self_energies",
    "steady_state",
    "transmission",
]

#: The Fermi window reaches this many temperatures beyond the outermost chemical potentials:
#: f(1 - f) < e^-40 ~ 4e-18 there, below the rounding of any current.
WINDOW_WIDTH = 40.0
#: A bound state whose occupation differs between two baths by less than this is not warned of.
BOUND_OCCUPATION_TOLERANCE = 1e-12


def _as_point(model: object, params: Mapping[str, float] | None, kwargs: Mapping[str, float]) -> ModelPoint:
    if not isinstance(model, OpenSystem):
        raise ArgumentTypeError(f"model must be an OpenSystem (e.g. st.models.resonant_level()), got {type(model).__name__}")
    return model.at({**(params or {}), **kwargs})


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


def self_energies(point: ModelPoint, energies: np.ndarray) -> np.ndarray:
    """Sigma_a(e + i0) = V_a^dag g_a(e + i0) V_a of every reservoir apart, shape (R, E, n, n)."""
    e = np.asarray(energies, dtype=float).astype(complex)
    return np.stack([V.conj().T @ res.surface_greens_function(e) @ V for res, V in zip(point.reservoirs, point.V, strict=True)])


def greens_and_self_energies(point: ModelPoint, energies: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """G_S(e + i0), shape (E, n, n), and the self-energies of :func:`self_energies` from one
    evaluation of each reservoir's surface Green's function."""
    e = np.asarray(energies, dtype=float)
    sigmas = self_energies(point, e)
    return system_greens_function(e.astype(complex), point.h_S, sigmas.sum(axis=0)), sigmas


def level_widths(sigmas: np.ndarray) -> np.ndarray:
    """Gamma_a = i(Sigma_a - Sigma_a^dag) of the self-energies of :func:`self_energies`."""
    return 1j * (sigmas - np.swapaxes(sigmas.conj(), -1, -2))


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
    point = _as_point(model, params, kwargs)
    e = np.asarray(energies, dtype=float)
    if not np.all(np.isfinite(e)):
        raise ValueError("energies must be finite real numbers")
    G, sigmas = greens_and_self_energies(point, e.reshape(-1))
    gammas = level_widths(sigmas)
    GammaG = gammas @ G[None]  # Gamma_a G, (R, E, n, n)
    GammaGdag = gammas @ np.swapaxes(G.conj(), -1, -2)[None]  # Gamma_b G^dag
    T = np.einsum("aeij,beji->eab", GammaG, GammaGdag).real
    return T.reshape(e.shape + T.shape[-2:])


def _fermi(bath: Bath, e: np.ndarray) -> np.ndarray:
    return expit(-(e - bath.mu) / bath.T)


def _window(baths: Sequence[Bath], width: float) -> tuple[float, float]:
    """Energies outside which every f_a - f_b is below e^-width."""
    return min(b.mu - width * b.T for b in baths), max(b.mu + width * b.T for b in baths)


def _segments(point: ModelPoint, window: tuple[float, float]) -> list[tuple[float, float]]:
    """The parts of the window inside the continuum (Gamma = 0 outside: no current there)."""
    lo, hi = window
    return [(max(a, lo), min(b, hi)) for a, b in point.continuum if min(b, hi) > max(a, lo)]


#: Panels grow geometrically away from each feature: edges at x0 +- d 2^k (d its distance to the
#: nearest singularity off the axis). Every panel then sees its nearest singularity at least one
#: half-width beyond its own end, so GK15 converges to ~1e-12 on the first sweep (Bernstein
#: ellipse rho >= 2 + sqrt 5 away from the feature, ~4.4 beside it).
_GRADING = 2.0
#: Toward a band edge (a branch point on the axis) the panels shrink by this factor, down to
#: _EDGE_DEPTH of the segment's width: the 1/sqrt edge then holds an error below 1e-12.
_EDGE_RATIO, _EDGE_DEPTH = 0.25, 1e-11
#: Up to this many panels, the first sweep is one call of the integrand (memory ~ 15 x panels x
#: components x 16 B, a few MB); more go to the adaptive rule's memory-bounded chunks.
_SWEEP_PANELS = 2000


def _resonances(point: ModelPoint, centre: float, broad: float) -> np.ndarray:
    """Complex poles of G_S near the axis: eigenvalues of h_S + Sigma(e) at their own real parts
    (up to three fixed-point steps from ``centre``; close enough to grade panels, the adaptive
    rule refines what is off). A one-level resonance wider than ``broad`` (a few pi T: the Fermi
    functions' own grading resolves it) is not refined."""
    strengths = _one_level_couplings(point)
    if strengths is not None:  # one level: lambda = eps + sum_r |V_r|^2 g_r(Re lambda), in numbers
        lam1 = complex(centre)
        for _ in range(3):
            moved = complex(point.h_S[0, 0]) + sum(
                s * complex(res.surface_greens_function(np.array([lam1.real + 0j]))[0, 0, 0])
                for s, res in zip(strengths, point.reservoirs, strict=True))
            done = abs(moved.imag) > broad or abs(moved - lam1) < 1e-3 * abs(moved.imag)
            lam1 = moved
            if done:
                break
        return np.array([lam1])
    lam = np.linalg.eigvals(point.h_S + point.self_energy(np.array(centre, dtype=complex)))
    for _ in range(2):
        moved = np.linalg.eigvals(point.h_S + point.self_energy(lam.real.astype(complex)))  # (n, n) at each Re(lambda)
        lam = moved[np.arange(lam.size), np.argmin(np.abs(moved - lam[:, None]), axis=1)]
    return lam


def _graded(x0: float, d: float, lo: float, hi: float) -> list[float]:
    """Edges x0 +- d 2^k (k = -1, 0, 1, ...) inside [lo, hi], and x0."""
    edges = [x0]
    step = 0.5 * d
    while x0 - step > lo or x0 + step < hi:
        edges += [x0 - step, x0 + step]
        step *= _GRADING
    return [x for x in edges if lo < x < hi]


def _break_points(point: ModelPoint, segments: list[tuple[float, float]], baths: Sequence[Bath]) -> np.ndarray:
    """Panel edges sized by analyticity: graded meshes around every chemical potential (the Fermi
    functions' poles stand pi T off the axis), every resonance of G_S (|Im| of its pole off the
    axis) and toward every band edge inside the window (a branch point on the axis)."""
    centre = float(np.mean([b.mu for b in baths]))
    features = [(b.mu, np.pi * b.T) for b in baths]
    broad = 4.0 * np.pi * max(b.T for b in baths)
    features += [(float(lam.real), max(abs(float(lam.imag)), 1e-12 * (1.0 + abs(lam.real))))
                 for lam in _resonances(point, centre, broad)]  # fmt: skip
    edges: list[float] = []
    for lo, hi in segments:
        width = hi - lo
        edges += [lo, hi]
        for x0, d in features:
            if lo - 8 * d < x0 < hi + 8 * d:
                edges += _graded(min(max(x0, lo), hi), d, lo, hi)
        for edge, inward in ((lo, 1.0), (hi, -1.0)):
            if any(edge == a or edge == b for a, b in point.continuum):  # a band edge, not the window's cut
                k = width * 0.5
                while k > _EDGE_DEPTH * width:
                    edges.append(edge + inward * k)
                    k *= _EDGE_RATIO
    return np.unique(np.asarray(edges, dtype=float))


def _integrate(func: Any, points: np.ndarray, options: QuadratureOptions, what: str) -> tuple[np.ndarray, np.ndarray]:
    """Real parts and error estimates of the Gauss-Kronrod integrals over the panels ``points``.

    The panels are sized by analyticity (:func:`_break_points`), so one GK15 sweep over all of them
    in one call of ``func`` usually meets the tolerance; only when its error estimate (the Kronrod
    - Gauss difference, summed over panels) does not, the adaptive rule
    (:func:`~strongtherm.negf.integrate.gauss_kronrod_panels`) refines from the same panels, with
    its budgets. A gap between two bands is one more panel, where Gamma = 0 makes the integrand 0.
    """
    rule = GAUSS_KRONROD_15
    half = 0.5 * np.diff(points)
    mid = 0.5 * (points[:-1] + points[1:])
    if points.size - 1 <= _SWEEP_PANELS:
        nodes = (mid[:, None] + half[:, None] * rule.nodes[None, :]).ravel()
        values = np.asarray(func(nodes, np.repeat(half, rule.size) * np.tile(rule.weights_kronrod, half.size)))
        values = values.reshape(half.size, rule.size, -1)
        kronrod = np.einsum("j,pjk->pk", rule.weights_kronrod, values) * half[:, None]
        gauss = np.einsum("j,pjk->pk", rule.weights_gauss, values) * half[:, None]
        absolute = np.einsum("j,pjk->k", rule.weights_kronrod, np.abs(values) * half[:, None, None])
        error = np.abs(kronrod - gauss).sum(axis=0)
        floor = options.rounding_factor * float(np.finfo(float).eps) * absolute
        if np.all(error <= np.maximum(options.atol, floor)):
            return np.real(kronrod.sum(axis=0)), np.maximum(error, floor)
    result = gauss_kronrod_panels(func, points, options=options, what=what)
    return np.real(result.value), result.error


def _one_level_couplings(point: ModelPoint) -> np.ndarray | None:
    """|V_r|^2 of a one-level model whose every reservoir has one surface orbital (the common case:
    every matrix a number, see :func:`_one_level_integrand`), else None."""
    if point.n_levels != 1 or any(V.shape != (1, 1) for V in point.V):
        return None
    return np.array([abs(complex(V[0, 0])) ** 2 for V in point.V])


def _one_level_integrand(
    point: ModelPoint, strengths: np.ndarray, baths: Sequence[Bath], reference: int, state: bool, e: np.ndarray
) -> np.ndarray:
    """The steady-state integrand of one level in numbers: Sigma_r = |V_r|^2 g_r, G = 1/(e - eps -
    sum Sigma), Gamma_r = -2 Im Sigma_r, T_ab = Gamma_a Gamma_b |G|^2, so the current from a is
    Gamma_a |G|^2 (f_a Gamma - sum_b Gamma_b f_b); the same columns as the matrix road."""
    sigmas = np.stack([s * res.surface_greens_function(e.astype(complex))[:, 0, 0]
                       for s, res in zip(strengths, point.reservoirs, strict=True)])  # fmt: skip
    G = 1.0 / (e - point.h_S[0, 0] - sigmas.sum(axis=0))
    G2 = G.real**2 + G.imag**2
    gammas = -2.0 * sigmas.imag
    f = np.stack([_fermi(b, e) for b in baths])
    # sum_b Gamma_b (f_a - f_b) with the differences taken first: exactly 0 between equal baths
    current = gammas * G2 * np.einsum("be,abe->ae", gammas, f[:, None, :] - f[None, :, :])
    columns = [current.T, (e * current).T]
    if state:
        delta = f - f[reference]
        dC = G2 * (delta * gammas).sum(axis=0)
        h_sr = 2.0 * np.real(sigmas.sum(axis=0) * dC + np.conj(G) * (delta * gammas).sum(axis=0))
        columns += [dC[:, None], np.zeros((e.size, 1)), h_sr[:, None]]
    return np.concatenate(columns, axis=1) / (2.0 * np.pi)


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
        out: dict[str, float] = {}
        for k in range(len(self.baths)):
            out[f"I_{k}"] = float(self.particle_current[k])
            out[f"J_E_{k}"] = float(self.energy_current[k])
            out[f"J_Q_{k}"] = float(self.heat_current[k])
        out.update(power=self.power, entropy_production_rate=self.entropy_production, efficiency=self.efficiency)
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


def _bound_state_check(point: ModelPoint, baths: Sequence[Bath], reference: int) -> tuple[float, ...]:
    """Energies of the bound states; warn when the baths would occupy one differently."""
    found = bound_states(point)
    energies = tuple(b.energy for b in found)
    for state in found:
        occupations = np.array([_fermi(bath, np.array(state.energy)) for bath in baths])
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
    baths: Sequence[Bath] | Mapping[int, Bath],
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
    baths : sequence of Bath, or mapping {reservoir index: Bath}
        One bath per reservoir (in the model's reservoir order).
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
    point = _as_point(model, params, kwargs)
    ordered = check_baths(model, baths)
    R = len(ordered)
    reference = check_integer("bound_state_reference", bound_state_reference, low=0, high=R - 1)
    options = options or DEFAULT_OPTIONS
    window = _window(ordered, WINDOW_WIDTH)
    segments = _segments(point, window)
    differ = any(b.T != ordered[0].T or b.mu != ordered[0].mu for b in ordered)
    if differ and not segments:
        bands = "; ".join(f"{_reservoir_label(model, k)}: {model.reservoirs[k].continuum}" for k in range(R))
        raise ValueError(
            f"the Fermi window [{window[0]:.6g}, {window[1]:.6g}] of the baths lies outside every band ({bands}): "
            "no state can carry a current there; check the chemical potentials and temperatures"
        )
    n = point.n_levels
    energies = _bound_state_check(point, ordered, reference) if state else ()

    one_level = _one_level_couplings(point)

    def integrand(e: np.ndarray, _w: np.ndarray) -> np.ndarray:
        if one_level is not None:
            return _one_level_integrand(point, one_level, ordered, reference, state, e)
        G, sigmas = greens_and_self_energies(point, e)  # (E, n, n), (R, E, n, n)
        Gdag = np.swapaxes(G.conj(), -1, -2)
        gammas = level_widths(sigmas)
        f = np.stack([_fermi(b, e) for b in ordered])  # (R, E)
        X = G[None] @ gammas @ Gdag[None]  # G Gamma_b G^dag, (R, E, n, n)
        T = np.einsum("aeij,beji->eab", gammas, X).real  # T_ab(e)
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

    size = 2 * R + (2 * n * n + 1 if state else 0)
    if segments:
        values, errs = _integrate(integrand, _break_points(point, segments, ordered), options, "steady-state energy integral")
    else:  # equal baths and no band in the window: nothing flows
        values, errs = np.zeros(size), np.zeros(size)
    errors = {"particle_current": float(np.max(errs[:R])), "energy_current": float(np.max(errs[R : 2 * R]))}
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
    point = _as_point(model, params, kwargs)
    if len(model.reservoirs) != 2:
        raise ValueError(f"linear_response needs exactly two reservoirs; {model.name} has {len(model.reservoirs)}")
    check_bath(bath)
    options = options or DEFAULT_OPTIONS
    segments = _segments(point, _window([bath], WINDOW_WIDTH))
    if not segments:
        raise ValueError(
            f"the thermal window [{bath.mu - WINDOW_WIDTH * bath.T:.6g}, {bath.mu + WINDOW_WIDTH * bath.T:.6g}] lies "
            f"outside every band of {model.name}: the linear response vanishes"
        )

    def integrand(e: np.ndarray, _w: np.ndarray) -> np.ndarray:
        G, sigmas = greens_and_self_energies(point, e)
        gammas = level_widths(sigmas)
        T_LR = np.einsum("eij,ejk,ekl,eli->e", gammas[0], G, gammas[1], np.swapaxes(G.conj(), -1, -2)).real
        minus_df = -bath.fermi_derivative(e)
        d = e - bath.mu
        return (bath.T / (2.0 * np.pi)) * (T_LR * minus_df)[:, None] * np.stack([np.ones_like(d), d, d * d], axis=1)

    values, errs = _integrate(integrand, _break_points(point, segments, [bath]), options, "linear-response energy integral")
    L = np.array([[values[0], values[1]], [values[1], values[2]]])
    errors = {"L11": float(errs[0]), "L12": float(errs[1]), "L22": float(errs[2])}
    return LinearResponse(model.name, dict(point.params), bath, L, errors)


@dataclass(frozen=True)
class ProbeReading:
    """What a probe reservoir reads when it draws neither particles nor heat from the system.

    Attributes
    ----------
    reservoir : int
        The probe's index among the model's reservoirs.
    bath : Bath
        The probe's (T_p, mu_p): the local temperature and chemical potential of the system where
        the probe couples (Stafford, PRB 93, 245403 (2016); the unique zero of both currents).
    steady_state : SteadyState
        The steady state with the probe at that bath (its currents are the residuals).
    iterations : int
        Function evaluations of the root search.
    """

    reservoir: int
    bath: Bath
    steady_state: SteadyState
    iterations: int

    @property
    def residuals(self) -> tuple[float, float]:
        """(I_p, J_Q^p) at the reading: zero up to the root search's tolerance."""
        k = self.reservoir
        return float(self.steady_state.particle_current[k]), float(self.steady_state.heat_current[k])

    def __repr__(self) -> str:
        return f"ProbeReading(T={self.bath.T:.10g}, mu={self.bath.mu:.10g}, residuals={self.residuals})"


def _probe_equations(point: ModelPoint, baths: Sequence[Bath], k: int, options: QuadratureOptions) -> tuple[np.ndarray, np.ndarray, float]:
    """The probe's currents (I_p, J_E^p measured from its mu_p), the Hessian below, and their error.

    With w = sum_b T_pb (the probe's transmission out) and F = sum_b T_pb f_b / w (the local
    distribution the probe sees), I_p = int de/2pi w (f_p - F). In the variables (a, beta) of
    f_p = 1 / (1 + exp(beta (e - mu_p) + a)), the probe's two currents are minus the gradient of
    the convex function psi(a, beta) = int de/2pi w [ln(1 + e^{-x}) + x F], x = beta (e - mu_p) + a,
    whose Hessian int de/2pi w f_p (1 - f_p) [[1, e - mu_p], [e - mu_p, (e - mu_p)^2]] is positive
    definite: so the zero of both currents is unique (Stafford 2016) and Newton steps on psi with a
    line search reach it from anywhere.
    """
    probe_bath = baths[k]
    segments = _segments(point, _window(baths, WINDOW_WIDTH))
    if not segments:
        raise ValueError("probe: the Fermi window of the baths lies outside every band")

    def integrand(e: np.ndarray, _w: np.ndarray) -> np.ndarray:
        G, sigmas = greens_and_self_energies(point, e)
        gammas = level_widths(sigmas)
        X = G[None] @ gammas @ np.swapaxes(G.conj(), -1, -2)[None]
        T_pb = np.einsum("eij,beji->be", gammas[k], X).real  # (R, E)
        f = np.stack([_fermi(b, e) for b in baths])
        current = T_pb.sum(axis=0) * f[k] - np.einsum("be,be->e", T_pb, f)
        weight = -T_pb.sum(axis=0) * probe_bath.T * probe_bath.fermi_derivative(e)  # w f_p (1 - f_p)
        d = e - probe_bath.mu
        return np.stack([current, d * current, weight, weight * d, weight * d * d], axis=1) / (2.0 * np.pi)

    values, errs = _integrate(integrand, _break_points(point, segments, baths), options, "probe energy integral")
    hessian = np.array([[values[2], values[3]], [values[3], values[4]]])
    return values[:2], hessian, float(max(errs[0], errs[1]))


def probe(
    model: OpenSystem,
    baths: Sequence[Bath] | Mapping[int, Bath],
    probe_reservoir: int,
    params: Mapping[str, float] | None = None,
    *,
    rtol: float = 1e-12,
    max_evaluations: int = 100,
    options: QuadratureOptions | None = None,
    **kwargs: float,
) -> ProbeReading:
    """Local temperature and chemical potential of a biased system, read by a probe reservoir.

    The model's reservoir ``probe_reservoir`` is the probe (couple it weakly to read the system
    without disturbing it); its entry in ``baths`` is the starting guess. The reading is the
    (T_p, mu_p) at which the probe draws neither particles nor heat, I_p = J_Q^p = 0 (Stafford,
    PRB 93, 245403 (2016), ref. [44] of Kumar et al. 2024). The two currents are the gradient of a
    convex function of the probe's (a, beta) (see :func:`_probe_equations`): its unique minimum is
    found by Newton steps with the exact Hessian and a line search along each step.

    Parameters
    ----------
    rtol : float
        Stop when both currents are below rtol x the probe's conductance scale, or below 10 x
        their quadrature error.
    max_evaluations : int
        Budget of energy integrations (one per trial point).

    Raises
    ------
    NumericsError
        If the budget ends before the tolerance is reached.
    """
    point = _as_point(model, params, kwargs)
    ordered = list(check_baths(model, baths))
    k = check_integer("probe_reservoir", probe_reservoir, low=0, high=len(ordered) - 1)
    budget = check_integer("max_evaluations", max_evaluations, low=2)
    options = options or DEFAULT_OPTIONS
    evaluations = 0

    def evaluate(bath: Bath) -> tuple[np.ndarray, np.ndarray, float]:
        nonlocal evaluations
        if evaluations >= budget:
            raise NumericsError(
                f"probe: no zero of the probe's currents within max_evaluations={budget}; last trial "
                f"T_p = {bath.T:.6g}, mu_p = {bath.mu:.6g}"
            )
        evaluations += 1
        trial = list(ordered)
        trial[k] = bath
        return _probe_equations(point, trial, k, options)

    def moved(bath: Bath, step: np.ndarray, t: float) -> Bath:
        # f_p = 1/(1 + exp(beta (e - mu) + a)) with a = 0 at the current bath: beta' = beta + t db,
        # a' = t da, so mu' = mu - a'/beta'
        beta = 1.0 / bath.T + t * step[1]
        return Bath(T=1.0 / beta, mu=bath.mu - t * step[0] / beta)

    bath = ordered[k]
    currents, hessian, error = evaluate(bath)
    while True:
        scale = hessian[0, 0] * bath.T
        if np.max(np.abs(currents)) <= max(rtol * scale, 10.0 * error):
            break
        step = np.linalg.solve(hessian, currents)  # Newton step on psi: gradient is -currents
        beta = 1.0 / bath.T
        t = 1.0
        while beta + t * step[1] <= 0.1 * beta:  # keep T_p positive and within 10x per step
            t *= 0.5
        longest = t
        # psi is convex along the step: its slope -currents(t) . step rises from -currents . step < 0;
        # accept t once the slope is at most half its start in size (bisect on the slope if it
        # turned positive: the minimum along the step lies before t)
        slope0 = -float(currents @ step)
        low, high = 0.0, longest
        while True:
            trial_currents, trial_hessian, trial_error = evaluate(moved(bath, step, t))
            slope = -float(trial_currents @ step)
            if abs(slope) <= 0.5 * abs(slope0) or (slope < 0.0 and t == longest):
                break
            if slope > 0.0:
                high = t
                t = 0.5 * (low + t)
            else:
                low = t
                t = 0.5 * (t + high)
        bath = moved(bath, step, t)
        currents, hessian, error = trial_currents, trial_hessian, trial_error
    ordered[k] = bath
    final = steady_state(model, ordered, point.params, state=False, options=options)
    return ProbeReading(k, bath, final, evaluations)
