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
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from .._validation import check_alpha_partition
from ..thermal import Bath, strip_kernels
from .integrate import QuadratureOptions, integrate_contour
from .spectral import BoundState, bound_states
from .system import OpenSystem

__all__ = ["Equilibrium", "NumericsWarning", "RegionState", "equilibrium"]

_SCALAR_KERNELS = ("one", "f", "ef", "s", "omega")
_MATRIX_KERNELS = ("f", "log_f", "log_1mf", "df_dbeta")


class NumericsWarning(UserWarning):
    """A quadrature did not reach its tolerance, or a sum rule failed beyond it."""


@dataclass(frozen=True)
class RegionState:
    """N, U, S, Omega of one region (system, or change of the reservoir), with error estimates.

    Energies in the model's unit, S in nats. ``errors`` holds the quadrature error estimate of
    each quantity.
    """

    N: float
    U: float
    S: float
    Omega: float
    errors: Mapping[str, float] = field(default_factory=dict)

    def __repr__(self) -> str:
        return f"RegionState(N={self.N:.10g}, U={self.U:.10g}, S={self.S:.10g}, Omega={self.Omega:.10g})"


@dataclass(frozen=True)
class Equilibrium:
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

    @property
    def universe(self) -> RegionState:
        """Change of the universe's state functions: system + reservoir change."""
        s, r = self.system, self.reservoir
        return RegionState(s.N + r.N, s.U + r.U, s.S + r.S, s.Omega + r.Omega)

    @property
    def entropy_coefficient(self) -> float:
        """Coefficient of (1 - 2 alpha) in Eq. (24): -Tr[C L_f] - Tr[(1 - C) L_1mf].

        The double energy integral of Eq. (24) separates into traces of the energy-weighted
        system spectral matrices C = int A f, L_f = int A ln f, L_1mf = int A ln(1 - f), and
        int A (1 - f) = 1 - C (bound states included).
        """
        C = self.correlation_matrix
        one_minus_C = np.eye(C.shape[0]) - C
        value = -np.trace(C @ self.log_f_matrix) - np.trace(one_minus_C @ self.log_one_minus_f_matrix)
        return float(np.real(value))

    def alpha_entropy(self, alpha: float) -> float:
        """alpha-S_S, Eq. (24): 2 alpha S_S + (1 - 2 alpha) x coefficient; alpha in [0, 1]."""
        a = check_alpha_partition(alpha)
        return 2.0 * a * self.system.S + (1.0 - 2.0 * a) * self.entropy_coefficient

    def alpha_energy(self, alpha: float) -> float:
        """alpha-U_S = <H_S + alpha H_SR>, Eq. (22); alpha = 1/2 is the Hilbert-space partition."""
        a = check_alpha_partition(alpha)
        return self.expectation_H_S + a * self.expectation_H_SR

    def power(self, name: str) -> tuple[float, float]:
        """(<dH_S/d name>, <dH_SR/d name>): Eqs. (19)-(20) per unit change of parameter ``name``."""
        if name not in self.powers:
            raise ValueError(f"{self.model.name} has no parameter {name!r}; its parameters are {list(self.powers)}")
        return self.powers[name]


def _spectrum_bounds(model: OpenSystem, states: tuple[BoundState, ...]) -> tuple[float, float] | None:
    edges = [e for interval in model.continuum for e in interval]
    if not np.all(np.isfinite(edges)):
        return None
    energies = edges + [b.energy for b in states]
    return min(energies), max(energies)


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
    if not isinstance(model, OpenSystem):
        raise ValueError(f"model must be an OpenSystem (e.g. st.models.resonant_level()), got {type(model).__name__}")
    if not isinstance(bath, Bath):
        raise ValueError(f"bath must be a strongtherm.Bath(T, mu), got {type(bath).__name__}")
    options = options or QuadratureOptions()
    p = model.resolve(params)
    if direction is not None:
        direction = {k: float(v) for k, v in direction.items()}
        unknown = set(direction) - set(p)
        if unknown:
            raise ValueError(f"direction names unknown parameter(s) {sorted(unknown)}")
    n = model.n_levels
    names = model.parameter_names
    h = model.h_S(p)
    dh = {k: model.dh_S(p, k) for k in names}
    states = bound_states(model, p)
    eta = options.eta_fraction * np.pi * bath.T
    spectrum = _spectrum_bounds(model, states)
    levels = np.linalg.eigvalsh(h)
    scale = max(
        1.0,
        max((hi - lo for lo, hi in model.continuum if np.isfinite(hi - lo)), default=1.0),
        float(np.max(np.abs(levels - bath.mu))),
    )
    breaks = [bath.mu, *levels, *(b.energy for b in states), *(e for iv in model.continuum for e in iv)]

    def integrand(z: np.ndarray, dz: np.ndarray) -> np.ndarray:
        kernels = strip_kernels(bath, z)
        kernels["one"] = np.ones_like(z)
        Sigma = model.self_energy(z, p)
        dSigma_dz = model.self_energy_derivative(z, p)
        G = np.linalg.inv(z[:, None, None] * np.eye(n) - h - Sigma)
        trG = np.trace(G, axis1=1, axis2=2) * dz
        trG_dSigma = np.einsum("kij,kji->k", G, dSigma_dz) * dz
        cols = [-np.imag(kernels[k] * trG) / np.pi for k in _SCALAR_KERNELS]
        cols += [np.imag(kernels[k] * trG_dSigma) / np.pi for k in _SCALAR_KERNELS]
        f_dz = kernels["f"] * dz
        cols.append(-2.0 * np.imag(f_dz * np.einsum("kij,kji->k", Sigma, G)) / np.pi)
        dSigma_dparam = {k: model.self_energy_parameter_derivative(z, p, k) for k in names}
        cols += [-np.imag(f_dz * np.einsum("kij,kji->k", dSigma_dparam[k], G)) / np.pi for k in names]
        if direction is not None:
            h_dot = sum(v * dh[k] for k, v in direction.items())
            Sigma_dot = sum(v * dSigma_dparam[k] for k, v in direction.items())
            dG_dt = G @ (h_dot + Sigma_dot) @ G
            dG_dz = -G @ (np.eye(n) - dSigma_dz) @ G
            term = np.einsum("kij,kji->k", dG_dt, dSigma_dz) - np.einsum("kij,kji->k", dG_dz, Sigma_dot)
            cols.append(-np.imag(kernels["omega"] * term * dz) / np.pi)
        for k in _MATRIX_KERNELS:
            X = kernels[k][:, None, None] * G * dz[:, None, None]
            A = (1j / (2.0 * np.pi)) * (X - np.conj(np.swapaxes(X, 1, 2)))
            cols += [A.real.reshape(len(z), -1), A.imag.reshape(len(z), -1)]
        return np.column_stack(cols)

    result = integrate_contour(
        integrand,
        spectrum=spectrum,
        center=bath.mu,
        scale=scale,
        eta=eta,
        break_energies=breaks,
        options=options,
    )
    value, error = np.real(result.value), result.error
    if spectrum is None:  # real-axis route: add the real poles (decoupled states) by hand
        value = value + _pole_terms(states, bath, len(names), direction is not None, n)

    m = len(_SCALAR_KERNELS)
    sys_vals = dict(zip(_SCALAR_KERNELS, value[:m], strict=True))
    res_vals = dict(zip(_SCALAR_KERNELS, value[m : 2 * m], strict=True))
    sys_err = dict(zip(_SCALAR_KERNELS, error[:m], strict=True))
    res_err = dict(zip(_SCALAR_KERNELS, error[m : 2 * m], strict=True))
    pos = 2 * m
    H_SR = float(value[pos])
    pos += 1
    sr_powers = value[pos : pos + len(names)]
    pos += len(names)
    nonlocal_density = None
    if direction is not None:
        nonlocal_density = float(value[pos])
        pos += 1
    matrices = []
    for _ in _MATRIX_KERNELS:
        re = value[pos : pos + n * n].reshape(n, n)
        im = value[pos + n * n : pos + 2 * n * n].reshape(n, n)
        pos += 2 * n * n
        M = re + 1j * im
        matrices.append(0.5 * (M + M.conj().T))
    C, L_f, L_1mf, dC_dbeta = matrices
    H_S = float(np.real(np.trace(h @ C)))
    powers = {k: (float(np.real(np.trace(dh[k] @ C))), float(sr_powers[i])) for i, k in enumerate(names)}

    residuals = {"int g_S - n": float(sys_vals["one"] - n), "int delta g_R": float(res_vals["one"])}
    tolerance = max(1e3 * options.atol, 10.0 * float(np.max(error)))
    if not result.converged:
        warnings.warn(
            f"energy quadrature did not converge to atol={options.atol:g} (error estimate {np.max(error):.2g}) "
            f"for {model.name} at {dict(p)}",
            NumericsWarning,
            stacklevel=2,
        )
    if max(abs(r) for r in residuals.values()) > tolerance:
        warnings.warn(
            f"spectral sum rules violated beyond tolerance {tolerance:.2g}: {residuals} for {model.name} at {dict(p)}; "
            "a bound state may lie outside the integration contour",
            NumericsWarning,
            stacklevel=2,
        )

    def region(vals: Mapping[str, float], errs: Mapping[str, float]) -> RegionState:
        return RegionState(
            N=float(vals["f"]),
            U=float(vals["ef"]),
            S=float(vals["s"]),
            Omega=float(vals["omega"]),
            errors={"N": errs["f"], "U": errs["ef"], "S": errs["s"], "Omega": errs["omega"]},
        )

    return Equilibrium(
        model=model,
        bath=bath,
        params=p,
        system=region(sys_vals, sys_err),
        reservoir=region(res_vals, res_err),
        bound_states=states,
        correlation_matrix=C,
        log_f_matrix=L_f,
        log_one_minus_f_matrix=L_1mf,
        correlation_matrix_beta_derivative=dC_dbeta,
        expectation_H_S=H_S,
        expectation_H_SR=H_SR,
        powers=powers,
        sum_rule_residuals=residuals,
        quadrature_error=float(np.max(error)),
        n_evaluations=result.n_evaluations,
        direction=direction,
        nonlocal_density=nonlocal_density,
    )


def _pole_terms(
    states: tuple[BoundState, ...], bath: Bath, n_params: int, with_direction: bool, n: int
) -> np.ndarray:
    """Contributions of real poles that the real-axis route cannot see (decoupled states only:
    they carry no reservoir weight, no <H_SR> and no coupling power, since V u = 0)."""
    e = np.array([b.energy for b in states])
    kernels = {
        "one": np.ones_like(e),
        "f": bath.fermi(e),
        "ef": e * bath.fermi(e),
        "s": bath.entropy_density(e),
        "omega": bath.grand_potential_density(e),
        "log_f": bath.log_fermi(e),
        "log_1mf": bath.log_one_minus_fermi(e),
        "df_dbeta": bath.fermi_derivative_beta(e),
    }
    weights = np.array([b.system_weight for b in states])
    out = [float(np.sum(weights * kernels[k])) for k in _SCALAR_KERNELS]
    out += [0.0] * len(_SCALAR_KERNELS) + [0.0] + [0.0] * n_params + ([0.0] if with_direction else [])
    for k in _MATRIX_KERNELS:
        M = sum((kernels[k][i] * b.residue for i, b in enumerate(states)), np.zeros((n, n), dtype=complex))
        out += list(M.real.ravel()) + list(M.imag.ravel())
    return np.array(out)
