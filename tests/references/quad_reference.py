"""Plain, slow, high-precision reference for the resonant-level model (Kumar, Webb & Stafford 2024).

This is the *second road* against which the Green's-function engine
(:mod:`strongtherm.negf`) is tested, and the baseline of the speed benchmark. It is written from
the paper's formulas with ``scipy.integrate.quad`` and ``scipy.optimize.brentq`` only; it shares
no code with the engine (it imports nothing from :mod:`strongtherm` except :class:`Bath` for the
thermal kernels f, s, omega, ln f, ln(1 - f), which are themselves tested on their own).

Model (paper, text above Fig. 1): H_S = eps_s d^dag d, a semi-infinite chain with hopping t0 and
on-site e0, H_SR = V d^dag c_1 + h.c. With w = e - e0:

* surface Green's function of the chain, retarded, g(e) = (w - r(w)) / (2 t0^2) with
  r = sign(w) sqrt(w^2 - 4 t0^2) outside the band and r = i sqrt(4 t0^2 - w^2) inside;
  g'(e) = (1 - w / r) / (2 t0^2) = -g / r (both written without cancellation at large |w|);
* Sigma(e) = V^2 g(e), G(e) = 1 / (e - eps_s - Sigma(e));
* g_S(e) = -(1/pi) Im G (system LDOS, Hilbert-space partition, Eq. 12),
  delta g_R(e) = (1/pi) Im[G dSigma/de] (change of the reservoir's partitioned DOS).

In the band we substitute e = e0 - 2 t0 cos(theta), theta in (0, pi). Then g = -e^{i theta}/t0
and dSigma = -i V^2 e^{i theta} / t0 dtheta, so every band integrand is smooth in theta (the
1/sqrt band-edge singularity of Sigma' disappears). The theta interval is cut at mu, at
mu +- k T and around the resonance, and every piece goes to ``quad`` with a tight tolerance.

Outside the band G has real poles (bound states) found by ``brentq`` on
F(e) = e - eps_s - Sigma(e) = 0, with system weight Z = 1/(1 - Sigma'(e_b)) and reservoir
weight 1 - Z (Design trap 1). Sum rules: int g_S = 1 and int delta g_R = 0, bound states
included.

The same construction for two levels on two chains (:func:`two_level_reference`, the model
:func:`strongtherm.models.two_level_two_reservoirs`) works with 2 x 2 matrices.

Energies in the model's unit (the paper uses t0 = 1.25), entropy in nats, hbar = k_B = 1.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import integrate, optimize

from strongtherm.thermal import Bath

__all__ = [
    "QUAD_OPTIONS",
    "BoundState",
    "PathWorks",
    "ReferenceState",
    "TwoLevelReference",
    "band_integral",
    "bound_states",
    "quad_path_works",
    "reservoir_ldos_change",
    "resonant_level_reference",
    "self_energy",
    "surface_greens_function",
    "surface_greens_function_derivative",
    "system_ldos",
    "two_level_reference",
]

#: quad settings: absolute/relative tolerance and maximal number of subintervals per piece.
QUAD_OPTIONS = {"epsabs": 1e-14, "epsrel": 1e-13, "limit": 400}

# energies (in units of T) around mu where the theta interval is cut
_FERMI_CUTS = (0.0, 1.0, 3.0, 8.0, 20.0, 45.0)
# resonance half-widths around which the theta interval is cut
_RESONANCE_CUTS = (0.0, 1.0, 4.0, 16.0)


# --------------------------------------------------------------------------- chain and level
def _root(w: float, t0: float) -> complex:
    """r(w): sign(w) sqrt(w^2 - 4 t0^2) outside the band, i sqrt(4 t0^2 - w^2) inside."""
    b2 = 4.0 * t0 * t0
    if w * w > b2:
        return math.copysign(math.sqrt(w * w - b2), w)
    return 1j * math.sqrt(b2 - w * w)


def surface_greens_function(e: float, t0: float, e0: float = 0.0) -> complex:
    """Retarded surface Green's function g(e + i0) of the semi-infinite chain.

    Outside the band it is evaluated as 2 / (w + r), equal to (w - r)/(2 t0^2) since
    w^2 - r^2 = 4 t0^2, without the cancellation of w - r at large |w|.
    """
    w = e - e0
    r = _root(w, t0)
    if isinstance(r, float):
        return complex(2.0 / (w + r))
    return (w - r) / (2.0 * t0 * t0)


def surface_greens_function_derivative(e: float, t0: float, e0: float = 0.0) -> complex:
    """g'(e) = (1 - w / r) / (2 t0^2) = -g / r; diverges as 1/sqrt at the band edges."""
    w = e - e0
    return -surface_greens_function(e, t0, e0) / _root(w, t0)


def self_energy(e: float, V: float, t0: float, e0: float = 0.0) -> complex:
    """Sigma(e + i0) = V^2 g(e)."""
    return V * V * surface_greens_function(e, t0, e0)


def system_ldos(e: float, eps_s: float, V: float, t0: float, e0: float = 0.0) -> float:
    """g_S(e) = -(1/pi) Im G(e + i0) at a real energy (continuum part only)."""
    G = 1.0 / (e - eps_s - self_energy(e, V, t0, e0))
    return -G.imag / math.pi


def reservoir_ldos_change(e: float, eps_s: float, V: float, t0: float, e0: float = 0.0) -> float:
    """delta g_R(e) = (1/pi) Im[G dSigma/de] at a real energy (continuum part only)."""
    G = 1.0 / (e - eps_s - self_energy(e, V, t0, e0))
    return (G * V * V * surface_greens_function_derivative(e, t0, e0)).imag / math.pi


@dataclass(frozen=True)
class BoundState:
    """A pole of G outside the band: energy and its weights on the system and the reservoir."""

    energy: float
    system_weight: float
    reservoir_weight: float


def bound_states(eps_s: float, V: float, t0: float, e0: float = 0.0) -> tuple[BoundState, ...]:
    """Poles of G outside the band |e - e0| < 2 t0, by brentq on F(e) = e - eps_s - Sigma(e).

    Outside the band Sigma is real and Sigma' < 0, so F is increasing on each side: at most one
    root below the band (iff eps_s - V^2/t0 < e0 - 2 t0) and one above (iff
    eps_s + V^2/t0 > e0 + 2 t0). System weight Z = 1/(1 - Sigma'(e_b)), reservoir weight 1 - Z.
    For V = 0 an isolated level outside the band is returned with Z = 1.
    """
    b = 2.0 * t0
    lo_edge, hi_edge = e0 - b, e0 + b
    if V == 0.0:
        if eps_s < lo_edge or eps_s > hi_edge:
            return (BoundState(eps_s, 1.0, 0.0),)
        return ()

    def F(e: float) -> float:
        return e - eps_s - self_energy(e, V, t0, e0).real

    span = V * V / t0 + abs(eps_s - e0) + b + 1.0
    found = []
    # below the band: F(-inf) = -inf, F increasing, F(lo_edge) = lo_edge - eps_s + V^2/t0
    if F(lo_edge) > 0.0:
        e_b = optimize.brentq(
            F, e0 - span, lo_edge, xtol=1e-15, rtol=4 * np.finfo(float).eps, maxiter=500
        )
        found.append(e_b)
    if F(hi_edge) < 0.0:
        e_b = optimize.brentq(
            F, hi_edge, e0 + span, xtol=1e-15, rtol=4 * np.finfo(float).eps, maxiter=500
        )
        found.append(e_b)
    states = []
    for e_b in found:
        dSigma = (V * V * surface_greens_function_derivative(e_b, t0, e0)).real
        Z = 1.0 / (1.0 - dSigma)
        # 1 - Z written as -Sigma' Z: for |eps_s| = 1e8, Z = 1 - 1e-16 rounds to 1 and 1 - Z to 0
        states.append(BoundState(float(e_b), Z, -dSigma * Z))
    return tuple(states)


# --------------------------------------------------------------------------- band integrals
def _theta_of(e: float, t0: float, e0: float) -> float | None:
    c = (e0 - e) / (2.0 * t0)
    if -1.0 < c < 1.0:
        return math.acos(c)
    return None


def _theta_cuts(eps_s: float, V: float, bath: Bath, t0: float, e0: float) -> list[float]:
    energies = [bath.mu + sgn * k * bath.T for k in _FERMI_CUTS for sgn in (-1.0, 1.0)]
    # resonance: bare level, and the real-part-shifted level e_r = eps_s / (1 - V^2 / 2t0^2)
    centers = [eps_s]
    if V * V < 2.0 * t0 * t0:
        centers.append(e0 + (eps_s - e0) / (1.0 - V * V / (2.0 * t0 * t0)))
    width = max(V * V / t0, 1e-12)
    energies += [
        c + sgn * k * width for c in centers for k in _RESONANCE_CUTS for sgn in (-1.0, 1.0)
    ]
    thetas = {0.0, math.pi}
    for e in energies:
        th = _theta_of(e, t0, e0)
        if th is not None:
            thetas.add(th)
    cuts = sorted(thetas)
    # drop pieces shorter than 1e-9 (they carry nothing but slow quad down)
    kept = [cuts[0]]
    for th in cuts[1:]:
        if th - kept[-1] > 1e-9:
            kept.append(th)
    kept[-1] = math.pi
    return kept


def band_integral(
    integrand: Callable[[float], float], cuts: Sequence[float]
) -> tuple[float, float]:
    """int_0^pi integrand(theta) dtheta, piece by piece between ``cuts``; returns (value, error)."""
    total, error = 0.0, 0.0
    for a, b in zip(cuts[:-1], cuts[1:], strict=True):
        value, err = integrate.quad(integrand, a, b, **QUAD_OPTIONS)
        total += value
        error += err
    return total, error


# --------------------------------------------------------------------------- state functions
@dataclass(frozen=True)
class ReferenceState:
    """Reference equilibrium of the resonant-level model at (T, mu) and fixed (eps_s, V).

    ``system`` and ``reservoir`` map "N", "U", "S", "Omega" to the Hilbert-space-partition
    values (Eqs. 6, 8-10 with g -> g_S) and to the reservoir changes delta X_R. ``power`` maps
    "eps_s" and "V" to (<dH_S/dlambda>, <dH_SR/dlambda>) (Eqs. 19-20). ``error`` is the sum of
    the quad error estimates of everything here.
    """

    eps_s: float
    V: float
    bath: Bath
    t0: float
    e0: float
    system: dict[str, float]
    reservoir: dict[str, float]
    bound_states: tuple[BoundState, ...]
    spectral_weight_system: float
    spectral_weight_reservoir: float
    expectation_H_S: float
    expectation_H_SR: float
    entropy_coefficient: float
    power: dict[str, tuple[float, float]]
    error: float
    errors: dict[str, float] = field(default_factory=dict)

    def alpha_entropy(self, alpha: float) -> float:
        """Eq. (24): 2 alpha S_S + (1 - 2 alpha) x coefficient."""
        return 2.0 * alpha * self.system["S"] + (1.0 - 2.0 * alpha) * self.entropy_coefficient

    def alpha_energy(self, alpha: float) -> float:
        """Eq. (22): <H_S + alpha H_SR>."""
        return self.expectation_H_S + alpha * self.expectation_H_SR


def _scalar(fn: Callable[[np.ndarray], np.ndarray]) -> Callable[[float], float]:
    return lambda e: float(fn(np.float64(e)))


def _kernels(bath: Bath) -> dict[str, Callable[[float], float]]:
    """The scalar kernels x(e) of the state functions (Kumar Eqs. 6, 8-10, 24), plus 1 for sum rules."""
    return {
        "N": _scalar(bath.fermi),
        "U": lambda e: e * float(bath.fermi(np.float64(e))),
        "S": _scalar(bath.entropy_density),
        "Omega": _scalar(bath.grand_potential_density),
        "log_f": _scalar(bath.log_fermi),
        "log_1mf": _scalar(bath.log_one_minus_fermi),
        "one": lambda e: 1.0,
    }


def resonant_level_reference(
    eps_s: float, V: float, T: float, mu: float = 0.0, t0: float = 1.25, e0: float = 0.0
) -> ReferenceState:
    """Every equilibrium quantity of the resonant-level model by plain quad + brentq.

    Parameters
    ----------
    eps_s, V : float
        Level energy and coupling, in units of energy (only V^2 enters; V >= 0).
    T, mu : float
        Temperature (> 0) and chemical potential, in units of energy.
    t0, e0 : float
        Hopping (> 0) and on-site energy of the chain, in units of energy.

    Notes
    -----
    * X_S = int g_S x + sum_b Z_b x(e_b), delta X_R = int delta g_R x + sum_b (1 - Z_b) x(e_b)
      with x = f, e f, s, omega (Eqs. 6, 8-10).
    * <H_S> = eps_s N_S and <H_SR> = -(2/pi) int f Im[Sigma G] + 2 sum_b Z_b f(e_b) Sigma(e_b),
      computed from their own integrands so that U_S = <H_S> + <H_SR>/2 (Eq. 14) is a check.
    * Coefficient of (1 - 2 alpha) in Eq. (24): for one level A~_S(e) = g_S(e), so the double
      integral separates: -N_S int g_S ln f - (1 - N_S) int g_S ln(1 - f), using
      int g_S (1 - f) = 1 - N_S (bound states in every integral).
    * Powers (Eqs. 19-20, retarded form): <dH_S/d eps_s> = N_S, <dH_S/dV> = 0;
      <dH_SR/dV> = -(1/pi) int f Im[(2 Sigma/V) G] + sum_b Z_b f(e_b) 2 Sigma(e_b)/V,
      <dH_SR/d eps_s> = 0.
    """
    if not (t0 > 0.0):
        raise ValueError(f"t0 must be > 0, got {t0!r}")
    if not (V >= 0.0):
        raise ValueError(f"V must be >= 0, got {V!r}")
    bath = Bath(T, mu)
    kernels = _kernels(bath)
    states = bound_states(eps_s, V, t0, e0)
    errors: dict[str, float] = {}

    if V == 0.0:
        # isolated level: g_S = delta(e - eps_s), delta g_R = 0
        sys_vals = {k: kernel(eps_s) for k, kernel in kernels.items()}
        res_vals = {k: 0.0 for k in sys_vals}
        HSR, dHSR_dV = 0.0, 0.0
    else:
        cuts = _theta_cuts(eps_s, V, bath, t0, e0)
        V2 = V * V

        def pieces(theta: float) -> tuple[float, complex, complex, complex]:
            # e, G, dSigma/dtheta-weighted factor, Sigma
            eit = complex(math.cos(theta), math.sin(theta))
            e = e0 - 2.0 * t0 * math.cos(theta)
            Sigma = -V2 * eit / t0
            G = 1.0 / (e - eps_s - Sigma)
            return e, G, Sigma, eit

        def gS(theta: float) -> tuple[float, float]:
            e, G, _, _ = pieces(theta)
            return e, -G.imag / math.pi * 2.0 * t0 * math.sin(theta)

        def dgR(theta: float) -> tuple[float, float]:
            e, G, _, eit = pieces(theta)
            # dSigma/de de = -i V^2 e^{i theta} / t0 dtheta
            return e, (G * (-1j) * V2 * eit / t0).imag / math.pi

        def sigma_G(theta: float) -> tuple[float, float]:
            e, G, Sigma, _ = pieces(theta)
            # -(1/pi) Im[Sigma G] de
            return e, -(Sigma * G).imag / math.pi * 2.0 * t0 * math.sin(theta)

        sys_vals, res_vals = {}, {}
        for name, kernel in kernels.items():
            val, err = band_integral(lambda th, k=kernel: (lambda e, d: d * k(e))(*gS(th)), cuts)
            sys_vals[name] = val + sum(b.system_weight * kernel(b.energy) for b in states)
            errors[f"system.{name}"] = err
            val, err = band_integral(lambda th, k=kernel: (lambda e, d: d * k(e))(*dgR(th)), cuts)
            res_vals[name] = val + sum(b.reservoir_weight * kernel(b.energy) for b in states)
            errors[f"reservoir.{name}"] = err
        fermi = kernels["N"]
        val, err = band_integral(lambda th: (lambda e, d: d * fermi(e))(*sigma_G(th)), cuts)
        bound = sum(
            b.system_weight * fermi(b.energy) * self_energy(b.energy, V, t0, e0).real
            for b in states
        )
        # <H_SR> = 2 Re <V d^dag c_1> = -(2/pi) int f Im[Sigma G] (+ poles)
        HSR = 2.0 * (val + bound)
        errors["H_SR"] = 2.0 * err
        # d Sigma / d V = 2 Sigma / V: <dH_SR/dV> = <H_SR>/V, both from the same integral
        dHSR_dV = 2.0 * (val + bound) / V

    N_S = sys_vals["N"]
    coefficient = -N_S * sys_vals["log_f"] - (sys_vals["one"] - N_S) * sys_vals["log_1mf"]
    return ReferenceState(
        eps_s=float(eps_s),
        V=float(V),
        bath=bath,
        t0=float(t0),
        e0=float(e0),
        system={k: sys_vals[k] for k in ("N", "U", "S", "Omega")},
        reservoir={k: res_vals[k] for k in ("N", "U", "S", "Omega")},
        bound_states=states,
        spectral_weight_system=sys_vals["one"],
        spectral_weight_reservoir=res_vals["one"],
        expectation_H_S=eps_s * N_S,
        expectation_H_SR=HSR,
        entropy_coefficient=coefficient,
        power={"eps_s": (N_S, 0.0), "V": (0.0, dHSR_dV)},
        error=float(sum(errors.values())),
        errors=errors,
    )


# --------------------------------------------------------------------------- quasistatic paths
@dataclass(frozen=True)
class PathWorks:
    """Works along a piecewise-linear path in (eps_s, V), Fig. 3 of Kumar et al. 2024.

    ``W_ext`` = int (<dH_S> + <dH_SR>) (Eqs. 2, 19-20); ``alpha_W_S[i]`` = int (<dH_S> +
    alpha_i <dH_SR>) (Eq. 23); ``dOmega_S`` and ``dOmega_R`` are the end-point differences of
    Omega_S and delta Omega_R; ``W_S`` = W_ext - Delta(delta Omega_R) (Eq. 18). ``n_quad_calls``
    counts reference evaluations (each one is a full set of quad integrals).
    """

    points: tuple[tuple[float, float], ...]
    alphas: tuple[float, ...]
    W_ext: float
    alpha_W_S: tuple[float, ...]
    dOmega_S: float
    dOmega_R: float
    W_S: float
    n_quad_calls: int


def _threshold_crossings(p: np.ndarray, q: np.ndarray, t0: float, e0: float) -> list[float]:
    """Path fractions s in (0, 1) where a bound state appears or disappears on segment p -> q."""

    def below(s: float) -> float:
        eps, V = p + s * (q - p)
        return eps - V * V / t0 - (e0 - 2.0 * t0)

    def above(s: float) -> float:
        eps, V = p + s * (q - p)
        return eps + V * V / t0 - (e0 + 2.0 * t0)

    found = []
    grid = np.linspace(0.0, 1.0, 65)
    for fn in (below, above):
        vals = [fn(s) for s in grid]
        for a, b, fa, fb in zip(grid[:-1], grid[1:], vals[:-1], vals[1:], strict=True):
            if fa == 0.0 and 0.0 < a < 1.0:
                found.append(float(a))
            elif fa * fb < 0.0:
                found.append(optimize.brentq(fn, a, b, xtol=1e-15))
    return sorted(found)


def quad_path_works(
    path_points: Sequence[tuple[float, float]],
    T: float,
    mu: float = 0.0,
    t0: float = 1.25,
    e0: float = 0.0,
    alphas: Sequence[float] = (0.0, 0.5, 1.0),
    n_nodes: int = 24,
) -> PathWorks:
    """W_ext and alpha-W_S along a piecewise-linear path by Gauss-Legendre in the path parameter.

    Deliberately the slow plain baseline: at every Gauss-Legendre node the full
    :func:`resonant_level_reference` (all quad integrals) is evaluated. Segments are split where a
    bound state appears (the power has a kink there), so Gauss-Legendre stays spectrally accurate.

    Parameters
    ----------
    path_points : sequence of (eps_s, V)
        Corners of the path, in units of energy; at least two.
    T, mu, t0, e0 : float
        As in :func:`resonant_level_reference`.
    alphas : sequence of float
        Values of alpha of Eq. (23).
    n_nodes : int
        Gauss-Legendre nodes per (sub)segment.
    """
    pts = np.asarray(path_points, dtype=float)
    if pts.ndim != 2 or pts.shape[1] != 2 or pts.shape[0] < 2:
        raise ValueError(f"path_points must have shape (m >= 2, 2), but has shape {pts.shape}")
    if int(n_nodes) < 1:
        raise ValueError(f"n_nodes must be >= 1, got {n_nodes!r}")
    x, w = np.polynomial.legendre.leggauss(int(n_nodes))
    P_S, P_SR = 0.0, 0.0
    calls = 0
    for p, q in zip(pts[:-1], pts[1:], strict=True):
        d = q - p
        if not np.any(d):
            continue
        edges = [0.0, *_threshold_crossings(p, q, t0, e0), 1.0]
        for a, b in zip(edges[:-1], edges[1:], strict=True):
            for xi, wi in zip(x, w, strict=True):
                s = a + (b - a) * (xi + 1.0) / 2.0
                eps, V = p + s * d
                ref = resonant_level_reference(eps, V, T, mu, t0, e0)
                calls += 1
                weight = wi * (b - a) / 2.0
                dS_eps, dSR_eps = ref.power["eps_s"]
                dS_V, dSR_V = ref.power["V"]
                P_S += weight * (dS_eps * d[0] + dS_V * d[1])
                P_SR += weight * (dSR_eps * d[0] + dSR_V * d[1])
    start = resonant_level_reference(pts[0, 0], pts[0, 1], T, mu, t0, e0)
    end = resonant_level_reference(pts[-1, 0], pts[-1, 1], T, mu, t0, e0)
    calls += 2
    dOmega_S = end.system["Omega"] - start.system["Omega"]
    dOmega_R = end.reservoir["Omega"] - start.reservoir["Omega"]
    W_ext = P_S + P_SR
    return PathWorks(
        points=tuple((float(a), float(b)) for a, b in pts),
        alphas=tuple(float(a) for a in alphas),
        W_ext=W_ext,
        alpha_W_S=tuple(P_S + float(a) * P_SR for a in alphas),
        dOmega_S=dOmega_S,
        dOmega_R=dOmega_R,
        W_S=W_ext - dOmega_R,
        n_quad_calls=calls,
    )


# --------------------------------------------------------------------------- two levels, two chains
@dataclass(frozen=True)
class TwoLevelReference:
    """Reference equilibrium of :func:`strongtherm.models.two_level_two_reservoirs` at (T, mu).

    As :class:`ReferenceState`, plus the 2 x 2 system matrices ``correlation_matrix``
    C = int A_SS f, ``log_f_matrix`` = int A_SS ln f, ``log_one_minus_f_matrix`` and
    ``spectral_weight_matrix`` = int A_SS (= identity), bound states included. ``bound_states``
    hold (energy, system weight, reservoir weight). ``power`` maps every parameter name to
    (<dH_S/dlambda>, <dH_SR/dlambda>).
    """

    params: dict[str, float]
    bath: Bath
    t0: float
    system: dict[str, float]
    reservoir: dict[str, float]
    bound_states: tuple[BoundState, ...]
    spectral_weight_system: float
    spectral_weight_reservoir: float
    correlation_matrix: np.ndarray
    log_f_matrix: np.ndarray
    log_one_minus_f_matrix: np.ndarray
    spectral_weight_matrix: np.ndarray
    expectation_H_S: float
    expectation_H_SR: float
    entropy_coefficient: float
    power: dict[str, tuple[float, float]]
    error: float

    def alpha_entropy(self, alpha: float) -> float:
        """Eq. (24): 2 alpha S_S + (1 - 2 alpha) x coefficient."""
        return 2.0 * alpha * self.system["S"] + (1.0 - 2.0 * alpha) * self.entropy_coefficient

    def alpha_energy(self, alpha: float) -> float:
        """Eq. (22): <H_S + alpha H_SR>."""
        return self.expectation_H_S + alpha * self.expectation_H_SR


def _inverse_2x2(a: complex, b: complex, c: complex, d: complex) -> tuple[complex, ...]:
    det = a * d - b * c
    return d / det, -b / det, -c / det, a / det


def two_level_reference(
    eps_1: float,
    eps_2: float,
    t_c: float,
    V_L: float,
    V_R: float,
    T: float,
    mu: float = 0.0,
    t0: float = 1.25,
) -> TwoLevelReference:
    """Every equilibrium quantity of two levels on two chains (hopping t0, e0 = 0) by plain quad.

    h_S = [[eps_1, t_c], [t_c, eps_2]]; level 1 couples to the left chain with V_L, level 2 to
    the right chain with V_R, so Sigma(e) = diag(V_L^2, V_R^2) g(e). In the band
    (e = -2 t0 cos theta) G = [e - h_S - Sigma]^-1 is inverted in closed form; A_SS = (i/2pi)
    (G - G^dag), g_S = Tr A_SS, delta g_R = (1/pi) Im Tr[G dSigma/de]. Bound states: outside the
    band M(e) = e - h_S - Sigma(e) is real symmetric with dM/de > 0, so each sorted eigenvalue of
    M increases with e; each root is found with brentq, with u the null vector of M, residue
    matrix R = u u^T / (u^T (1 - Sigma') u), system weight Tr R, reservoir weight
    -Tr[R Sigma'] (Design trap 1). Requires V_L, V_R > 0 (no decoupled level inside the band).

    The (1 - 2 alpha) coefficient of Eq. (24) is -Tr[C L_f] - Tr[(1 - C) L_1mf]: for two levels
    the double integral does not separate into scalars, only into traces of these matrices.
    """
    if not (V_L > 0.0 and V_R > 0.0):
        raise ValueError(f"V_L and V_R must be > 0, got {V_L!r}, {V_R!r}")
    if not (t0 > 0.0):
        raise ValueError(f"t0 must be > 0, got {t0!r}")
    bath = Bath(T, mu)
    h = np.array([[eps_1, t_c], [t_c, eps_2]], dtype=float)
    gam = np.array([V_L * V_L, V_R * V_R])
    b = 2.0 * t0

    # ---- bound states outside the band
    def M(e: float) -> np.ndarray:
        g = surface_greens_function(e, t0).real
        return e * np.eye(2) - h - np.diag(gam * g)

    states: list[BoundState] = []
    residues: list[tuple[float, np.ndarray, np.ndarray]] = []  # (energy, R, Sigma(e_b))
    span = float(np.abs(h).sum() + gam.sum() / t0 + b + 1.0)
    for k in range(2):

        def lam(e: float, k: int = k) -> float:
            return float(np.linalg.eigvalsh(M(e))[k])

        roots = []
        if lam(-b) > 0.0:
            roots.append(optimize.brentq(lam, -span, -b, xtol=1e-15, rtol=4 * np.finfo(float).eps))
        if lam(b) < 0.0:
            roots.append(optimize.brentq(lam, b, span, xtol=1e-15, rtol=4 * np.finfo(float).eps))
        for e_b in roots:
            _, vecs = np.linalg.eigh(M(e_b))
            u = vecs[:, k]
            dSigma = np.diag(gam * surface_greens_function_derivative(e_b, t0).real)
            norm = float(u @ (np.eye(2) - dSigma) @ u)
            R = np.outer(u, u) / norm
            states.append(BoundState(float(e_b), float(np.trace(R)), float(-np.trace(R @ dSigma))))
            residues.append((float(e_b), R, np.diag(gam * surface_greens_function(e_b, t0).real)))

    # ---- band integrands in theta
    def pieces(theta: float) -> tuple[float, tuple[complex, ...], complex, float]:
        eit = complex(math.cos(theta), math.sin(theta))
        e = -2.0 * t0 * math.cos(theta)
        g = -eit / t0
        G = _inverse_2x2(e - eps_1 - gam[0] * g, -t_c, -t_c, e - eps_2 - gam[1] * g)
        return e, G, g, 2.0 * t0 * math.sin(theta)  # de/dtheta

    def A_entry(i: int, j: int) -> Callable[[float], tuple[float, float]]:
        def fn(theta: float) -> tuple[float, float]:
            e, G, _, jac = pieces(theta)
            Gij, Gji = G[2 * i + j], G[2 * j + i]
            # A = (i / 2 pi)(G - G^dag); real symmetric h gives G^T = G, so A_ij = -Im G_ij / pi
            return e, ((1j / (2 * math.pi)) * (Gij - Gji.conjugate())).real * jac

        return fn

    def gS(theta: float) -> tuple[float, float]:
        e, G, _, jac = pieces(theta)
        return e, -(G[0] + G[3]).imag / math.pi * jac

    def dgR(theta: float) -> tuple[float, float]:
        e, G, g, _ = pieces(theta)
        # dSigma/de de = diag(gam) (-i e^{i theta}/t0) dtheta = diag(gam) i g dtheta
        factor = 1j * g
        return e, ((G[0] * gam[0] + G[3] * gam[1]) * factor).imag / math.pi

    def sigma_G(weights: tuple[float, float]) -> Callable[[float], tuple[float, float]]:
        def fn(theta: float) -> tuple[float, float]:
            e, G, g, jac = pieces(theta)
            return e, -((G[0] * weights[0] + G[3] * weights[1]) * g).imag / math.pi * jac

        return fn

    kernels = _kernels(bath)
    energies = [mu + s * k * T for k in _FERMI_CUTS for s in (-1.0, 1.0)]
    width = max(float(gam.min()) / t0, 1e-12)
    for c in np.linalg.eigvalsh(h):
        energies += [c + s * k * width for k in _RESONANCE_CUTS for s in (-1.0, 1.0)]
    thetas = sorted(
        {0.0, math.pi, *(th for e in energies if (th := _theta_of(e, t0, 0.0)) is not None)}
    )
    cuts = [thetas[0]]
    for th in thetas[1:]:
        if th - cuts[-1] > 1e-9:
            cuts.append(th)
    cuts[-1] = math.pi

    def integral(
        fn: Callable[[float], tuple[float, float]], kernel: Callable[[float], float]
    ) -> tuple[float, float]:
        return band_integral(lambda th: (lambda e, d: d * kernel(e))(*fn(th)), cuts)

    error = 0.0
    sys_vals, res_vals = {}, {}
    for name in ("N", "U", "S", "Omega", "one"):
        kernel = kernels[name]
        val, err = integral(gS, kernel)
        sys_vals[name] = val + sum(s.system_weight * kernel(s.energy) for s in states)
        val2, err2 = integral(dgR, kernel)
        res_vals[name] = val2 + sum(s.reservoir_weight * kernel(s.energy) for s in states)
        error += err + err2
    matrices = {}
    for name in ("N", "log_f", "log_1mf", "one"):
        kernel = kernels[name]
        mat = np.zeros((2, 2))
        for i, j in ((0, 0), (0, 1), (1, 1)):
            val, err = integral(A_entry(i, j), kernel)
            error += err
            mat[i, j] = mat[j, i] = val
        for e_b, R, _ in residues:
            mat += R * kernel(e_b)
        matrices[name] = mat
    C = matrices["N"]
    fermi = kernels["N"]

    def coupling_power(
        weights: tuple[float, float], dSigma_b: Callable[[np.ndarray], np.ndarray]
    ) -> float:
        val, err = integral(sigma_G(weights), fermi)
        nonlocal error
        error += err
        return val + sum(float(np.trace(R @ dSigma_b(S))) * fermi(e_b) for e_b, R, S in residues)

    # <H_SR> = -(2/pi) int f Im Tr[Sigma G] + 2 sum_b f Tr[R Sigma(e_b)]
    H_SR = 2.0 * coupling_power((gam[0], gam[1]), lambda S: S)
    # d Sigma / d V_L = diag(2 V_L g, 0) = 2 Sigma_LL / V_L on the (1, 1) entry
    dV_L = coupling_power((2.0 * V_L, 0.0), lambda S: np.diag([2.0 * S[0, 0] / V_L, 0.0]))
    dV_R = coupling_power((0.0, 2.0 * V_R), lambda S: np.diag([0.0, 2.0 * S[1, 1] / V_R]))
    power = {
        "eps_1": (float(C[0, 0]), 0.0),
        "eps_2": (float(C[1, 1]), 0.0),
        "t_c": (float(2.0 * C[0, 1]), 0.0),
        "V_L": (0.0, dV_L),
        "V_R": (0.0, dV_R),
    }
    coefficient = -np.trace(C @ matrices["log_f"]) - np.trace(
        (matrices["one"] - C) @ matrices["log_1mf"]
    )
    return TwoLevelReference(
        params={"eps_1": eps_1, "eps_2": eps_2, "t_c": t_c, "V_L": V_L, "V_R": V_R},
        bath=bath,
        t0=float(t0),
        system={k: sys_vals[k] for k in ("N", "U", "S", "Omega")},
        reservoir={k: res_vals[k] for k in ("N", "U", "S", "Omega")},
        bound_states=tuple(sorted(states, key=lambda s: s.energy)),
        spectral_weight_system=sys_vals["one"],
        spectral_weight_reservoir=res_vals["one"],
        correlation_matrix=C,
        log_f_matrix=matrices["log_f"],
        log_one_minus_f_matrix=matrices["log_1mf"],
        spectral_weight_matrix=matrices["one"],
        expectation_H_S=float(np.trace(h @ C)),
        expectation_H_SR=H_SR,
        entropy_coefficient=float(coefficient),
        power=power,
        error=error,
    )
