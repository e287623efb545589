"""Equilibrium state functions under the Hilbert-space partition (Kumar, Webb & Stafford 2024).

For a system + reservoirs in equilibrium at (T, mu), one call of :func:`equilibrium` computes

* system (Hilbert-space partition, Eq. 12):  N_S, U_S, S_S, Omega_S = int g_S(e) x(e) de,
  x = f, e f, s, omega (Eqs. 6, 8-10 with g -> g_S);
* reservoir change: dN_R, dU_R, dS_R, dOmega_R with delta g_R = (1/pi) Im Tr[G_S dSigma/de];
* the correlation matrix C = int A_SS f (C_ij = <d_j^dag d_i>), and int A_SS ln f,
  int A_SS ln(1 - f) for the alpha-entropy (Eq. 24, matrix form); dC/dbeta at fixed mu,
  int A_SS (-(e - mu) f (1 - f)), for the mean-force energy operator E*_S;
* <H_S> = Tr[h_S C] and <H_SR> = -(2/pi) int f Im Tr[Sigma G_S] (so U_S = <H_S> + <H_SR>/2,
  Eq. 14, is a check, not a definition);
* for every model parameter lambda the power densities <dH_S/dlambda> = Tr[dh_S C] and
  <dH_SR/dlambda> = -(1/pi) int f Im Tr[dSigma/dlambda G_S] (Eqs. 19-20, retarded form);
* optionally, for a direction d lambda/dt, the second term of Eq. (21).

All integrals come from one adaptive contour integral (:mod:`.integrate`), which includes
bound states without sampling delta functions; :func:`.spectral.bound_states` finds them
independently, and the two sum rules int g_S = n, int delta g_R = 0 are checked on every call.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ..core.results import PartitionedState, RegionState
from ..core.warnings import NumericsWarning
from ..thermal import Bath
from .contour import MATRIX_KERNELS, SCALAR_KERNELS, SpectralIntegrals, spectral_integrals
from .integrate import QuadratureOptions
from .spectral import BoundState, bound_states
from .system import OpenSystem, check_model_and_bath

__all__ = ["Equilibrium", "NumericsWarning", "RegionState", "equilibria", "equilibrium"]



@dataclass(frozen=True)
class Equilibrium(PartitionedState):
    """Equilibrium of an open system at (T, mu) and fixed parameters; see module docstring."""

    model: OpenSystem
    bath: Bath
    params: Mapping[str, float]
    system: RegionState
    reservoir: RegionState
    bound_states: tuple[BoundState, ...]
    correlation_matrix: np.ndarray
    log_f_matrix: np.ndarray
    log_one_minus_f_matrix: np.ndarray
    correlation_matrix_beta_derivative: np.ndarray
    expectation_H_S: float
    expectation_H_SR: float
    powers: Mapping[str, tuple[float, float]]
    sum_rule_residuals: Mapping[str, float]
    quadrature_error: float
    n_evaluations: int
    direction: Mapping[str, float] | None = None
    nonlocal_density: float | None = None

    def __repr__(self) -> str:
        p = ", ".join(f"{k}={v:g}" for k, v in self.params.items())
        return (
            f"Equilibrium({self.model.name}; {p}; T={self.bath.T:g}, mu={self.bath.mu:g})\n"
            f"  system:    {self.system}\n  reservoir: {self.reservoir}\n"
            f"  bound states: {len(self.bound_states)}; quadrature error <= {self.quadrature_error:.2g}"
        )

    def to_dict(self, alphas: Sequence[float] = ()) -> dict[str, float]:
        """The scalar results as a flat dict of plain floats (for sweeps, JSON and tables).

        Keys: ``system_N, system_U, system_S, system_Omega``, the same for ``reservoir_`` (the
        change of the reservoir's part) and ``universe_``; ``expectation_H_S``,
        ``expectation_H_SR``, ``entropy_coefficient``, ``power_H_S_<name>`` and
        ``power_H_SR_<name>`` per model parameter (Eqs. 19-20), ``n_bound_states``,
        ``quadrature_error``, ``sum_rule_g_S`` (int g_S - n), ``sum_rule_dg_R`` (int delta g_R);
        for each ``a`` in ``alphas``: ``alpha_energy_<a>`` (Eq. 22) and ``alpha_entropy_<a>``
        (Eq. 24). Energies in the model's unit, entropies in nats.

        Parameters
        ----------
        alphas : sequence of float
            Fractions of the alpha-partition, each in [0, 1] (not a model parameter).
        """
        from .._convert import variable_name

        out = {
            **self.system.to_dict("system_"),
            **self.reservoir.to_dict("reservoir_"),
            **self.universe.to_dict("universe_"),
            "expectation_H_S": float(self.expectation_H_S),
            "expectation_H_SR": float(self.expectation_H_SR),
            "entropy_coefficient": self.entropy_coefficient,
        }
        for name, (p_S, p_SR) in self.powers.items():
            out[f"power_H_S_{name}"] = float(p_S)
            out[f"power_H_SR_{name}"] = float(p_SR)
        out["n_bound_states"] = float(len(self.bound_states))
        out["quadrature_error"] = float(self.quadrature_error)
        out["sum_rule_g_S"] = float(self.sum_rule_residuals["int g_S - n"])
        out["sum_rule_dg_R"] = float(self.sum_rule_residuals["int delta g_R"])
        for a in alphas:
            out[variable_name("alpha_energy", alpha=a)] = self.alpha_energy(a)
            out[variable_name("alpha_entropy", alpha=a)] = self.alpha_entropy(a)
        return out

    def power(self, name: str) -> tuple[float, float]:
        """(<dH_S/d name>, <dH_SR/d name>): Eqs. (19)-(20) per unit change of parameter ``name``."""
        if name not in self.powers:
            raise ValueError(f"{self.model.name} has no parameter {name!r}; its parameters are {list(self.powers)}")
        return self.powers[name]


def _check_direction(direction: Mapping[str, float] | None, params: Mapping[str, float]) -> dict[str, float] | None:
    if direction is None:
        return None
    unknown = set(direction) - set(params)
    if unknown:
        raise ValueError(f"direction names unknown parameter(s) {sorted(unknown)}")
    return {k: float(v) for k, v in direction.items()}


def equilibrium(
    model: OpenSystem,
    bath: Bath,
    *,
    options: QuadratureOptions | None = None,
    direction: Mapping[str, float] | None = None,
    **params: float,
) -> Equilibrium:
    """Equilibrium state functions of ``model`` at ``bath`` and parameters ``params``.

    Parameters
    ----------
    model : OpenSystem
        E.g. ``st.models.resonant_level(t0=1.25)``.
    bath : Bath
        Common (T, mu) of all reservoirs.
    options : QuadratureOptions, optional
        Tolerances (default ``atol=1e-11`` per integral).
    direction : mapping, optional
        d lambda / dt for a quasistatic process: adds the second term of Eq. (21).
    **params : float
        The model's parameters, e.g. ``eps_s=-1.0, V=1.0``.

    Returns
    -------
    Equilibrium
    """
    check_model_and_bath(model, bath)
    p = model.resolve(params)
    return equilibria(model, bath, [p], options=options, directions=None if direction is None else [direction])[0]


def equilibria(
    model: OpenSystem,
    bath: Bath,
    points: Sequence[Mapping[str, float]],
    *,
    options: QuadratureOptions | None = None,
    directions: Sequence[Mapping[str, float] | None] | None = None,
) -> list[Equilibrium]:
    """:func:`equilibrium` at many parameter points, with all energy integrals done in one batch.

    Parameters
    ----------
    points : sequence of mappings
        Parameter sets of ``model`` (each completed with its defaults and validated).
    directions : sequence of mappings, optional
        d lambda / dt per point (all or none), as in :func:`equilibrium`.
    """
    check_model_and_bath(model, bath)
    options = options or QuadratureOptions()
    resolved = [model.resolve(p) for p in points]
    if len(resolved) == 0:
        raise ValueError("points must contain at least one parameter set")
    dirs = None
    if directions is not None:
        if len(directions) != len(resolved) or any(d is None for d in directions):
            raise ValueError("directions must give one mapping per point")
        dirs = [_check_direction(d, p) for d, p in zip(directions, resolved, strict=True)]
    states = [bound_states(model, p) for p in resolved]
    breaks = [e for p in resolved for e in np.linalg.eigvalsh(model.h_S(p))] if len(resolved) == 1 else []
    breaks += [b.energy for s in states for b in s] if len(resolved) == 1 else []
    integrals = spectral_integrals(model, bath, resolved, quantities="state", directions=dirs, break_energies=breaks, options=options)
    out = []
    for i, p in enumerate(resolved):
        values = {k: v[i] for k, v in integrals.values.items()}
        errors = {k: float(e[i]) for k, e in integrals.errors.items()}
        if integrals.real_axis:  # real-axis route: add the real poles (decoupled states) by hand
            _add_pole_terms(values, states[i], bath)
        out.append(_assemble(model, bath, p, values, errors, states[i], integrals, dirs[i] if dirs else None, options))
    return out


def _assemble(
    model: OpenSystem,
    bath: Bath,
    p: Mapping[str, float],
    values: Mapping[str, np.ndarray],
    errors: Mapping[str, float],
    states: tuple[BoundState, ...],
    integrals: SpectralIntegrals,
    direction: Mapping[str, float] | None,
    options: QuadratureOptions,
) -> Equilibrium:
    n = model.n_levels
    names = model.parameter_names
    h = model.h_S(p)
    C = values["A:f"]
    powers = {
        k: (float(np.real(np.trace(model.dh_S(p, k) @ C))), float(values[f"power_SR:{k}"])) for k in names
    }
    residuals = {"int g_S - n": float(values["g_S:one"] - n), "int delta g_R": float(values["dg_R:one"])}
    worst = max(errors.values())
    tolerance = max(1e3 * options.atol, 10.0 * worst)
    # a quadrature that stopped above its tolerance has already warned (or raised, if strict)
    if max(abs(r) for r in residuals.values()) > tolerance:
        warnings.warn(
            f"spectral sum rules violated beyond tolerance {tolerance:.2g}: {residuals} for {model.name} at {dict(p)}; "
            "the quadrature may have stopped early (see its warning), or a user reservoir may break causality "
            "(CustomReservoir(check=True) tests it)",
            NumericsWarning,
            stacklevel=3,
        )

    def region(prefix: str) -> RegionState:
        keys = {"N": "f", "U": "ef", "S": "s", "Omega": "omega"}
        return RegionState(
            **{q: float(values[f"{prefix}:{k}"]) for q, k in keys.items()},
            errors={q: errors[f"{prefix}:{k}"] for q, k in keys.items()},
        )

    return Equilibrium(
        model=model,
        bath=bath,
        params=dict(p),
        system=region("g_S"),
        reservoir=region("dg_R"),
        bound_states=states,
        correlation_matrix=C,
        log_f_matrix=values["A:log_f"],
        log_one_minus_f_matrix=values["A:log_1mf"],
        correlation_matrix_beta_derivative=values["A:df_dbeta"],
        expectation_H_S=float(np.real(np.trace(h @ C))),
        expectation_H_SR=float(values["H_SR"]),
        powers=powers,
        sum_rule_residuals=residuals,
        quadrature_error=worst,
        n_evaluations=integrals.n_evaluations,
        direction=direction,
        nonlocal_density=float(values["nonlocal"]) if direction is not None else None,
    )


def _add_pole_terms(values: dict[str, np.ndarray], states: tuple[BoundState, ...], bath: Bath) -> None:
    """Real poles that the real-axis route cannot see: decoupled states only. They carry no
    reservoir weight, no <H_SR>, no coupling power and no Eq. (21) term, since V u = 0."""
    for b in states:
        kernels = {"one": 1.0, **bath.kernels(np.array(b.energy))}
        for k in SCALAR_KERNELS:
            values[f"g_S:{k}"] = values[f"g_S:{k}"] + b.system_weight * float(kernels[k])
        for k in MATRIX_KERNELS:
            values[f"A:{k}"] = values[f"A:{k}"] + float(kernels[k]) * b.residue
