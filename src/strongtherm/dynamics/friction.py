"""Slow driving from equilibrium Green's functions: friction tensor, thermodynamic length, optimal schedule.

A process lambda(t) = lambda(s(t / tau)) driven slowly (duration tau much longer than every
relaxation time) dissipates, to first order in 1/tau, the work (Sivak & Crooks, PRL 108, 190602
(2012); for noninteracting fermions Bode, Kusminskiy, Egger & von Oppen, PRL 107, 036804 (2011))

.. math:: W_{\\rm diss} = W - \\Delta F^*_S \\approx \\frac{1}{\\tau} \\int_0^1 \\lambda'(s)^T \\zeta(\\lambda(s))
          \\lambda'(s)\\, ds, \\qquad
          \\zeta_{ij}(\\lambda) = \\pi \\int d\\epsilon\\, \\Big(-\\frac{\\partial f}{\\partial \\epsilon}\\Big)
          \\mathrm{Tr}[\\partial_i h\\, A(\\epsilon)\\, \\partial_j h\\, A(\\epsilon)]

(hbar = 1, constant speed ds/dt = 1/tau), with A = -Im G^R / pi the one-body spectral function of
the whole universe (system plus reservoirs, normalised to one state per orbital) and
d_i h = d h / d lambda_i the one-body derivative of its Hamiltonian. This is the zero-frequency
limit Im chi_ij(omega) / omega of the Kubo response of <d_i H> to lambda_j; zeta is real,
symmetric and positive semi-definite (a Gram matrix of the d_i h in the metric A (x) A).

No reservoir matrix is ever built. d_i h lives on the system and on the reservoirs' surface
orbitals only (blocks d_i h_S and d_i V_r), so the trace needs G^R on the space P = S (+) surfaces,
which the Dyson equation gives from the system Green's function G_S and the surface Green's
functions g_r (V_r: surface x system, as in :mod:`strongtherm.negf.system`):

.. math:: G_{SS} = G_S,\\quad G_{rS} = g_r V_r G_S,\\quad G_{Sr} = G_S V_r^\\dagger g_r,\\quad
          G_{rr'} = \\delta_{rr'} g_r + g_r V_r G_S V_{r'}^\\dagger g_{r'}.

For level driving (d h = d h_S only) this reduces to pi int (-f') Tr[d h_S A_SS d h_S A_SS].

Checks (tests/dynamics/test_friction.py): the wide-band level's closed form of issue 12,
gamma(eps_d) = (beta / 2 pi^2 Gamma) Re[psi'(z) - (beta Gamma / 4 pi) psi''(z)],
z = 1/2 + beta (Gamma/2 + i eps_d) / 2 pi (which is exactly pi int (-f') A^2 with a Lorentzian A
of full width Gamma), its weak-coupling limit beta f (1 - f) / Gamma (approached like
(beta Gamma)^2), int gamma d eps_d = 1/Gamma, the T -> 0 optimal schedule
eps*(t) = (Gamma/2) tan[theta_a + (theta_b - theta_a) t / tau] with W_min = (theta_b - theta_a)^2 / (pi tau);
at T -> 0 a single channel gives zeta = (1/pi) grad delta grad delta^T (delta the Friedel phase,
rank one: S-matrix form of Avron et al. and Bode et al.); an explicitly embedded chain for the
blocks above; and exact time evolution (a finite chain, and :func:`strongtherm.dynamics.drive`),
where tau (W - Delta F*_S) tends to int lambda'^T zeta lambda' ds with a remainder ~ 1/tau.

The product A A is not analytic (it contains G^R G^A), so the energy integral runs on the real
axis: over each piece of the reservoirs' continuum inside the window |e - mu| <= window * T
(outside it -f' < e^-window), mapped by e = c + h sin(phi), which makes the square-root band
edges smooth, and integrated by the vectorized adaptive Gauss-Kronrod (7, 15) rule of
:mod:`strongtherm.negf.integrate` for all path nodes and tensor entries at once.

Bound states
------------
A bound state (a real pole of G outside the continuum, or a state of h_S that couples to no
reservoir) puts a delta peak in A, and delta^2 in the integrand: its friction is infinite. The
state never relaxes; its occupation keeps the memory of the protocol, the work does not approach
Delta F*_S like 1/tau, and the prediction above does not apply (DESIGN.md, "Finite speed"). Every
panel of the path is searched at its edges and quarter points with
:func:`strongtherm.negf.bound_states`; when one is found,
:func:`friction` raises (default) or, with ``on_bound_state="report"``, returns a result flagged
``bound_state_along_path`` whose ``zeta`` is the continuum part only, and whose predictions warn
with :class:`BoundStateWarning` every time they are used.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from numpy.polynomial import legendre
from scipy.special import expit

from .._validation import check_real
from ..core.display import html_of_values
from ..core.warnings import NumericsWarning
from ..negf.contour import _stack
from ..negf.integrate import _NODES, _WEIGHTS_G, _WEIGHTS_K, gauss_kronrod_panels
from ..negf.spectral import bound_states
from ..negf.system import OpenSystem, check_model_and_bath
from ..path import Path
from ..thermal import Bath
from .engine import BoundStateWarning  # one warning for the whole wing: a bound state never relaxes
from .protocol import Protocol, Schedule

__all__ = [
    "BoundStateOnPath",
    "FrictionOptions",
    "FrictionResult",
    "Geodesic",
    "OptimalSchedule",
    "friction",
    "friction_tensor",
    "geodesic",
]


@dataclass(frozen=True)
class FrictionOptions:
    """Tolerances of the friction integrals.

    Parameters
    ----------
    rtol : float
        Target error of each energy integral, relative to the largest abs(zeta_ij) along the path.
    atol : float
        Absolute floor of that target, in the units of zeta (energy x time = 1 with hbar = 1).
    window : float
        Half-width of the energy window around mu in units of T; the weight of -f' outside it is
        2 / (1 + e^window) (4e-18 at the default 40) and enters the error estimate.
    initial_panels : int
        Panels in phi per continuum piece before the graded break points around mu are added.
    max_refinements : int
        Bisection sweeps of the adaptive energy rule (its budget); hitting it warns with NumericsWarning.
    path_rtol : float
        Target relative error (abs(K15 - G7) summed over panels) of the two path integrals, the work
        coefficient int lambda'^T zeta lambda' ds and the length int sqrt(...) ds.
    max_path_refinements : int
        Sweeps of panel bisection in s (its budget); hitting it warns with NumericsWarning.
    schedule_tol : float
        Largest error in s of the optimal schedule's polynomial representation; where it cannot be
        met the schedule inverts the length by Newton at every call (exact, slower).
    """

    rtol: float = 1e-10
    atol: float = 1e-14
    window: float = 40.0
    initial_panels: int = 16
    max_refinements: int = 40
    path_rtol: float = 1e-10
    max_path_refinements: int = 12
    schedule_tol: float = 1e-12

    def __post_init__(self) -> None:
        check_real("rtol", self.rtol, low=0.0, low_inclusive=False)
        check_real("atol", self.atol, low=0.0, low_inclusive=False)
        check_real("window", self.window, low=5.0)
        if int(self.initial_panels) < 1:
            raise ValueError(f"initial_panels must be a positive integer, got {self.initial_panels!r}")
        if int(self.max_refinements) < 0:
            raise ValueError(f"max_refinements must be a non-negative integer, got {self.max_refinements!r}")
        check_real("path_rtol", self.path_rtol, low=0.0, low_inclusive=False)
        check_real("schedule_tol", self.schedule_tol, low=0.0, low_inclusive=False)
        if int(self.max_path_refinements) < 0:
            raise ValueError(f"max_path_refinements must be a non-negative integer, got {self.max_path_refinements!r}")


@dataclass(frozen=True)
class BoundStateOnPath:
    """A bound state found at the path point ``s``: its energy, its weight on the system (Tr R)
    and its thermal weight f(1 - f) at that energy (how strongly its equilibrium occupation
    follows the parameters)."""

    s: float
    energy: float
    system_weight: float
    thermal_weight: float


# ---------------------------------------------------------------------------------- tensor


def _window_pieces(model: OpenSystem, bath: Bath, window: float) -> list[tuple[float, float]]:
    """Continuum intervals inside [mu - window T, mu + window T]."""
    lo_w, hi_w = bath.mu - window * bath.T, bath.mu + window * bath.T
    pieces = []
    for lo, hi in model.continuum:
        a, b = max(lo, lo_w), min(hi, hi_w)
        if a < b:
            pieces.append((a, b))
    return pieces


def _projected_spectral_function(g: np.ndarray, V: np.ndarray, h: np.ndarray, e: np.ndarray) -> np.ndarray:
    """A = -Im G^R / pi on P = S (+) surfaces, for P points and E energies: (P, E, n + M, n + M).

    g: (E, M, M) block-diagonal surface Green's functions; V: (P, M, n) stacked couplings;
    h: (P, n, n) system Hamiltonians.
    """
    n = h.shape[-1]
    Vd = np.conj(np.swapaxes(V, -1, -2))[:, None]  # (P, 1, n, M)
    gV = g[None] @ V[:, None]  # (P, E, M, n)
    Vdg = Vd @ g[None]  # (P, E, n, M)
    D = e[None, :, None, None] * np.eye(n) - h[:, None] - Vd @ gV
    G_S = np.linalg.inv(D)
    G_SR = G_S @ Vdg
    G = np.concatenate(
        [np.concatenate([G_S, G_SR], axis=-1),
         np.concatenate([gV @ G_S, g[None] + gV @ G_SR], axis=-1)],
        axis=-2,
    )  # fmt: skip
    return (0.5j / np.pi) * (G - np.conj(np.swapaxes(G, -1, -2)))


def friction_tensor(
    model: OpenSystem,
    bath: Bath,
    points: Sequence[Mapping[str, float]],
    names: Sequence[str],
    *,
    options: FrictionOptions | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """zeta_ij at resolved parameter points, continuum part only (no bound-state search here).

    Parameters
    ----------
    model, bath : OpenSystem, Bath
    points : sequence of mapping
        Resolved parameter sets (``model.resolve``), P of them.
    names : sequence of str
        The parameters i, j (p of them).
    options : FrictionOptions, optional

    Returns
    -------
    zeta : (P, p, p) real symmetric, in units of energy x time (hbar = 1)
    error : (P, p, p) error estimate (quadrature plus the window's tail bound)
    """
    check_model_and_bath(model, bath)
    options = options or FrictionOptions()
    names = list(names)
    for name in names:
        model._check_name(name)
    if len(names) == 0 or len(points) == 0:
        raise ValueError("points and names must be non-empty")
    points = [model.resolve(point) for point in points]
    P, p = len(points), len(names)
    stack = _stack(model, points, names)
    n = model.n_levels
    h = stack.h
    V = np.concatenate(stack.V, axis=1)  # (P, M, n): all surfaces stacked
    M = V.shape[1]
    # d h on P = S (+) surfaces: [[dh_S, dV^dag], [dV, 0]], (P, p, n + M, n + M)
    X = np.zeros((P, p, n + M, n + M), dtype=complex)
    for k, name in enumerate(names):
        dV = np.concatenate(stack.dV[name], axis=1)
        X[:, k, :n, :n] = stack.dh[name]
        X[:, k, n:, :n] = dV
        X[:, k, :n, n:] = np.conj(np.swapaxes(dV, -1, -2))
    offsets = np.cumsum([0] + [res.n_surface for res in model.reservoirs])

    def surface_g(e: np.ndarray) -> np.ndarray:
        g = np.zeros((e.size, M, M), dtype=complex)
        for r, res in enumerate(model.reservoirs):
            g[:, offsets[r] : offsets[r + 1], offsets[r] : offsets[r + 1]] = res.surface_greens_function(e)
        return g

    pieces = _window_pieces(model, bath, float(options.window))
    if not pieces:  # no continuum states near mu: zeta vanishes up to the window's tail
        zeros = np.zeros((P, p, p))
        return zeros, zeros.copy()
    # parameter t in [k, k + 1] covers piece k by e = c + half sin(phi), phi = pi (t - k - 1/2)
    centres = np.array([0.5 * (a + b) for a, b in pieces])
    halves = np.array([0.5 * (b - a) for a, b in pieces])

    def to_energy(t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        k = np.clip(np.floor(t).astype(int), 0, len(pieces) - 1)
        phi = np.pi * (t - k - 0.5)
        return centres[k] + halves[k] * np.sin(phi), np.pi * halves[k] * np.cos(phi)

    def to_t(e: float) -> float | None:
        for k, (a, b) in enumerate(pieces):
            if a < e < b:
                return k + 0.5 + np.arcsin((e - centres[k]) / halves[k]) / np.pi
        return None

    # graded break points: the Fermi edge (width T) and the levels of h_S (resonances)
    breaks = [bath.mu + sign * bath.T * 2.0**j for j in range(-2, 7) for sign in (-1.0, 1.0)] + [bath.mu]
    # levels of all P points, on a grid of T/2 (finer is wasted: the window smooths on T) and at
    # most 4 x initial_panels of them (quantiles), so that a long batch does not flood the panels
    levels = np.unique(np.round(np.linalg.eigvalsh(h).ravel() / (0.5 * bath.T)) * (0.5 * bath.T))
    levels = levels[np.abs(levels - bath.mu) < options.window * bath.T]
    cap = 4 * int(options.initial_panels)
    if levels.size > cap:
        levels = np.quantile(levels, np.linspace(0.0, 1.0, cap))
    breaks += [float(x) for x in levels]
    edges = [k + u for k in range(len(pieces)) for u in np.linspace(0.0, 1.0, int(options.initial_panels) + 1)]
    edges += [t for t in (to_t(e) for e in breaks) if t is not None]
    t_edges = np.unique(np.array(edges))

    upper = np.triu_indices(p)
    largest_F = np.zeros(1)

    def integrand(t: np.ndarray, _w: np.ndarray) -> np.ndarray:
        e, jac = to_energy(t)
        A = _projected_spectral_function(surface_g(e), V, h, e)  # (P, E, d, d)
        AX = A[:, :, None] @ X[:, None]  # (P, E, p, d, d)
        F = np.real(np.einsum("peiab,pejba->peij", AX, AX))  # Tr[A X_i A X_j]
        largest_F[0] = max(largest_F[0], float(np.max(np.abs(F))))
        weight = np.pi * expit(bath.x(e)) * expit(-bath.x(e)) / bath.T * jac  # pi (-f') de/dt
        values = F[:, :, upper[0], upper[1]] * weight[None, :, None]  # (P, E, p(p+1)/2)
        return np.moveaxis(values, 1, 0).reshape(e.size, -1)

    # a coarse first sweep fixes the scale of zeta, to which the tolerance is relative
    coarse = gauss_kronrod_panels(integrand, t_edges, atol=np.inf, max_refinements=0)
    scale = float(np.max(np.abs(coarse.value))) if coarse.value.size else 0.0
    atol = max(float(options.atol), float(options.rtol) * scale)
    result = gauss_kronrod_panels(integrand, t_edges, atol=atol, max_refinements=int(options.max_refinements))
    if not result.converged:
        warnings.warn(
            f"friction integrals stopped at their budget of {options.max_refinements} refinements "
            f"with error {float(np.max(result.error)):.3g} (target {atol:.3g})",
            NumericsWarning,
            stacklevel=3,
        )
    tail = 2.0 * np.pi * expit(-float(options.window)) * largest_F[0]  # -f' weight outside the window
    zeta = np.zeros((P, p, p))
    error = np.zeros((P, p, p))
    values = np.real(result.value).reshape(P, -1)
    errors = result.error.reshape(P, -1) + tail
    zeta[:, upper[0], upper[1]] = values
    zeta[:, upper[1], upper[0]] = values
    error[:, upper[0], upper[1]] = errors
    error[:, upper[1], upper[0]] = errors
    return zeta, error


# ---------------------------------------------------------------------------------- results


@dataclass(frozen=True, eq=False)
class _Panels:
    """A function of s known at the GK15 nodes of each panel: exact polynomial interpolation
    (degree 14, Legendre basis) per panel, and its cumulative integral."""

    edges: np.ndarray  # (K + 1,)
    coefficients: np.ndarray  # (K, 15, ...) Legendre coefficients on [-1, 1]
    antiderivative: np.ndarray  # (K, 16, ...) coefficients of the antiderivative (zero at -1)
    cumulative: np.ndarray  # (K + 1, ...) integral from 0 to each edge

    @classmethod
    def fit(cls, edges: np.ndarray, values: np.ndarray) -> _Panels:
        K = len(edges) - 1
        values = values.reshape((K, 15) + values.shape[1:])
        vandermonde_inverse = np.linalg.inv(legendre.legvander(_NODES, 14))
        coefficients = np.einsum("cj,kj...->kc...", vandermonde_inverse, values)
        half = 0.5 * np.diff(edges)
        antiderivative = legendre.legint(coefficients, m=1, lbnd=-1.0, axis=1)
        antiderivative = antiderivative * half.reshape((K,) + (1,) * (antiderivative.ndim - 1))
        ends = legendre.legval(1.0, np.moveaxis(antiderivative, 1, 0))  # (K, ...)
        cumulative = np.concatenate([np.zeros((1,) + ends.shape[1:]), np.cumsum(ends, axis=0)])
        return cls(edges, coefficients, antiderivative, cumulative)

    def _locate(self, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        k = np.clip(np.searchsorted(self.edges, s, side="right") - 1, 0, len(self.edges) - 2)
        x = 2.0 * (s - self.edges[k]) / (self.edges[k + 1] - self.edges[k]) - 1.0
        return k, x

    def value(self, s: np.ndarray) -> np.ndarray:
        s = np.asarray(s, dtype=float)
        k, x = self._locate(s.ravel())
        basis = legendre.legvander(x, self.coefficients.shape[1] - 1)  # (N, 15)
        out = np.einsum("nc,nc...->n...", basis, self.coefficients[k])
        return out.reshape(s.shape + self.coefficients.shape[2:])

    def derivative(self, s: np.ndarray) -> np.ndarray:
        s = np.asarray(s, dtype=float)
        k, x = self._locate(s.ravel())
        slopes = legendre.legder(self.coefficients, axis=1)  # d/dx on [-1, 1]
        scale = (2.0 / np.diff(self.edges))[k].reshape((-1,) + (1,) * (slopes.ndim - 2))
        out = np.einsum("nc,nc...->n...", legendre.legvander(x, slopes.shape[1] - 1), slopes[k]) * scale
        return out.reshape(s.shape + self.coefficients.shape[2:])

    def integral(self, s: np.ndarray) -> np.ndarray:
        s = np.asarray(s, dtype=float)
        k, x = self._locate(s.ravel())
        basis = legendre.legvander(x, self.antiderivative.shape[1] - 1)  # (N, 16)
        inside = np.einsum("nc,nc...->n...", basis, self.antiderivative[k])
        return (self.cumulative[k] + inside).reshape(s.shape + self.cumulative.shape[1:])


def _inverse_length(panels: _Panels, length: float) -> Callable[[np.ndarray], np.ndarray]:
    """s(u) with l(s) = u L, by safeguarded Newton on the piecewise polynomial l (exact to rounding)."""
    length_at, speed_at = panels.integral, panels.value
    # a monotone table of l(s) brackets every root; Newton (dl/ds = speed, the derivative of the
    # same polynomial) then converges quadratically inside the bracket
    edges = panels.edges
    grid_s = np.unique(np.concatenate([np.linspace(a, b, 33) for a, b in zip(edges[:-1], edges[1:], strict=True)]))
    grid_l = np.maximum.accumulate(length_at(grid_s))

    def solve(u: np.ndarray) -> np.ndarray:
        target = np.asarray(u, dtype=float) * length
        k = np.clip(np.searchsorted(grid_l, target, side="right") - 1, 0, len(grid_s) - 2)
        low, high = grid_s[k], grid_s[k + 1]
        l_low, l_high = grid_l[k], grid_l[k + 1]
        rise = np.where(l_high > l_low, l_high - l_low, 1.0)
        s = np.where(l_high > l_low, low + (target - l_low) / rise * (high - low), low)
        for _ in range(12):  # 3-4 Newton steps reach rounding from the linear guess; bisection if it strays
            r = length_at(s) - target
            if np.all(np.abs(r) <= 4.0 * np.finfo(float).eps * length):
                break
            low, high = np.where(r < 0.0, s, low), np.where(r > 0.0, s, high)
            speed = speed_at(s)
            with np.errstate(divide="ignore", invalid="ignore"):
                newton = s - r / speed
            inside = np.isfinite(newton) & (newton >= low) & (newton <= high)
            s = np.where(r == 0.0, s, np.where(inside, newton, 0.5 * (low + high)))
        s = np.where(target <= 0.0, 0.0, np.where(target >= length, 1.0, s))
        return s

    return solve


def _fit_inverse(
    solve: Callable[[np.ndarray], np.ndarray], panels: _Panels, length: float, *, tol: float, budget: int = 12
) -> tuple[_Panels | None, float]:
    """s*(u) as a degree-14 polynomial on panels in u (cheap to call inside a time loop).

    The u-panels start at the images of the s-panels and are bisected until the fit agrees with
    the Newton inverse to ``tol`` between its nodes. Returns (None, error) if the budget runs out
    (e.g. where the metric vanishes and s*(u) has a jump or a square-root corner).
    """
    u_edges = np.unique(np.clip(panels.cumulative / length, 0.0, 1.0))
    u_edges = u_edges[np.concatenate([[True], np.diff(u_edges) > 1e-14])]
    u_edges[0], u_edges[-1] = 0.0, 1.0
    pending = list(zip(u_edges[:-1].tolist(), u_edges[1:].tolist(), strict=True))
    accepted: dict[tuple[float, float], np.ndarray] = {}
    vandermonde_inverse = np.linalg.inv(legendre.legvander(_NODES, 14))
    between = 0.5 * (_NODES[:-1] + _NODES[1:])  # test points between the nodes
    worst = 0.0
    for sweep in range(budget + 1):
        a = np.array([lo for lo, _ in pending])
        b = np.array([hi for _, hi in pending])
        nodes_s = solve(0.5 * (a + b)[:, None] + 0.5 * (b - a)[:, None] * _NODES[None, :])
        test_s = solve(0.5 * (a + b)[:, None] + 0.5 * (b - a)[:, None] * between[None, :])
        coefficients = nodes_s @ vandermonde_inverse.T  # (K, 15)
        error = np.max(np.abs(coefficients @ legendre.legvander(between, 14).T - test_s), axis=1)
        good = error <= tol
        for panel, values, ok in zip(pending, nodes_s, good, strict=True):
            if ok:
                accepted[panel] = values
        if np.all(good):
            worst = max(worst, float(np.max(error)))
            break
        worst = max(worst, float(np.max(error[good]))) if np.any(good) else worst
        if sweep == budget:
            return None, float(np.max(error))
        pending = [half for (lo, hi), ok in zip(pending, good, strict=True) if not ok
                   for half in ((lo, 0.5 * (lo + hi)), (0.5 * (lo + hi), hi))]  # fmt: skip
    keys = sorted(accepted)
    edges = np.array([keys[0][0]] + [hi for _, hi in keys])
    return _Panels.fit(edges, np.concatenate([accepted[k] for k in keys])), worst


@dataclass(frozen=True, eq=False)
class OptimalSchedule:
    """Minimum-dissipation schedule along a fixed path: constant speed in the friction metric.

    ``schedule(u)`` with u = t / tau in [0, 1] gives s*(u) in [0, 1], monotone, s*(0) = 0 and
    s*(1) = 1: the s at which the cumulative thermodynamic length l(s) = int_0^s sqrt(lambda'^T
    zeta lambda') ds' equals u L (Sivak & Crooks 2012). It is a plain vectorized callable, ready
    for a protocol that accepts a user schedule s(t / tau); ``table_u`` and ``table_s`` are the same
    function sampled (for tables, plots or an interpolating schedule).

    Attributes
    ----------
    duration : float
        tau, in units of 1/energy (hbar = 1).
    path : Path
    thermodynamic_length : float
        L, in units of sqrt(energy x time).
    predicted_dissipation : float
        L^2 / tau, the smallest first-order dissipated work along this path at this tau (energy).
    table_u, table_s : ndarray
        Sampled schedule, u = t / tau and s*(u).
    interpolation_error : float
        Largest difference between the schedule (degree-14 polynomials on panels in u, cheap
        inside a time loop) and the exact inverse of l(s) (Newton), measured between the nodes.
    schedule : callable
        u -> s*(u), vectorized.
    derivative : callable
        u -> ds*/du = L / sqrt(lambda'^T zeta lambda') at s*(u), vectorized (the derivative of the
        same polynomials).
    """

    duration: float
    path: Path
    thermodynamic_length: float
    predicted_dissipation: float
    table_u: np.ndarray
    table_s: np.ndarray
    interpolation_error: float
    schedule: Callable[[np.ndarray | float], np.ndarray] = field(repr=False)
    derivative: Callable[[np.ndarray | float], np.ndarray] = field(repr=False)

    def __call__(self, u: np.ndarray | float) -> np.ndarray:
        return self.schedule(u)

    def protocol(self, hold: float = 0.0) -> Protocol:
        """The :class:`~strongtherm.dynamics.Protocol` that drives ``path`` with this schedule
        (exact derivative passed on), optionally followed by a hold, for :func:`~strongtherm.dynamics.drive`."""
        schedule = Schedule.from_function(self.schedule, self.derivative, label="minimum dissipation (friction)")
        return Protocol(self.path, duration=self.duration, schedule=schedule, hold=hold)

    def parameters(self, t: float) -> dict[str, float]:
        """lambda(s*(t / tau)) at time t in [0, tau]."""
        t = check_real("t", t, low=0.0, high=self.duration)
        return dict(self.path.function(float(self.schedule(t / self.duration))))


@dataclass(frozen=True, eq=False)
class FrictionResult:
    """Friction tensor along a path and what follows from it for slow driving.

    Attributes
    ----------
    model, bath, path, options
        The inputs.
    names : tuple of str
        The path's parameters, in the order of the tensor's axes.
    s : (N,) ndarray
        Path nodes (GK15 nodes of ``panels_per_segment`` panels per smooth segment).
    s_edges : (K + 1,) ndarray
        Panel edges in s.
    zeta : (N, p, p) ndarray
        zeta_ij at the nodes, in units of energy x time (hbar = 1); continuum part only when
        ``bound_state_along_path``.
    zeta_error : (N, p, p) ndarray
        Error estimate of each entry (energy quadrature plus the window's tail).
    metric : (N,) ndarray
        lambda'(s)^T zeta lambda'(s) at the nodes: the integrand of the dissipated work.
    bound_states : tuple of BoundStateOnPath
        Every bound state found at the panel edges and quarter points (where it was searched).
    """

    model: OpenSystem
    bath: Bath
    path: Path
    options: FrictionOptions
    names: tuple[str, ...]
    s: np.ndarray
    s_edges: np.ndarray
    zeta: np.ndarray
    zeta_error: np.ndarray
    metric: np.ndarray
    bound_states: tuple[BoundStateOnPath, ...]
    _metric_panels: _Panels = field(repr=False)
    _length_panels: _Panels = field(repr=False)
    _zeta_panels: _Panels = field(repr=False)
    _s_errors: Mapping[str, float] = field(repr=False)

    def _repr_html_(self) -> str:
        return html_of_values(f"FrictionResult: {self.model.name}, {self.path.label}", self.to_dict())

    def __repr__(self) -> str:
        flag = "  BOUND STATE ALONG PATH: predictions do not apply\n" if self.bound_state_along_path else ""
        return (
            f"FrictionResult({self.model.name}; {self.path.label}; T={self.bath.T:g}, mu={self.bath.mu:g})\n"
            f"  zeta: {self.zeta.shape} over {len(self.s)} path nodes, parameters {list(self.names)}\n"
            f"{flag}"
            f"  tau * W_diss -> {self._work_coefficient:.10g}   thermodynamic length L = {self._length:.10g}"
        )

    @property
    def bound_state_along_path(self) -> bool:
        """True when a bound state exists somewhere on the path: its friction is infinite, it never
        relaxes, and the slow-driving predictions do not hold."""
        return len(self.bound_states) > 0

    def _warn_if_bound(self, what: str) -> None:
        if self.bound_state_along_path:
            first = self.bound_states[0]
            warnings.warn(
                f"{what}: a bound state exists along the path (first at s={first.s:.6g}, energy "
                f"{first.energy:.6g}); it never relaxes, so the slow limit is not Delta F*_S and this "
                "prediction counts the continuum only",
                BoundStateWarning,
                stacklevel=3,
            )

    @property
    def _work_coefficient(self) -> float:
        return float(self._metric_panels.cumulative[-1])

    @property
    def _length(self) -> float:
        return float(self._length_panels.cumulative[-1])

    # ------------------------------------------------------------------ predictions
    def predicted_dissipation(self, duration: float, schedule: object = None) -> float:
        """W_diss(tau) to first order in 1/tau, in energy units.

        Linear schedule (default, s = t / tau): (1/tau) int_0^1 lambda'^T zeta lambda' ds.
        Any other schedule s(u) (anything :class:`~strongtherm.dynamics.Schedule` accepts: "smooth",
        a callable, knots, an :class:`OptimalSchedule`): (1/tau) int_0^1 m(s(u)) s'(u)^2 du with
        m = lambda'^T zeta lambda' interpolated between the path nodes, integrated by adaptive
        Gauss-Kronrod between the schedule's kinks.
        """
        tau = check_real("duration", duration, low=0.0, low_inclusive=False)
        self._warn_if_bound("predicted_dissipation")
        if schedule is None or (isinstance(schedule, str) and schedule == "linear"):
            return self._work_coefficient / tau
        if isinstance(schedule, OptimalSchedule):
            schedule = Schedule.from_function(schedule.schedule, schedule.derivative)
        sched = Schedule.coerce(schedule)
        metric_at = self._metric_panels.value

        def integrand(u: np.ndarray, _w: np.ndarray) -> np.ndarray:
            s = np.clip(np.asarray(sched.function(u), dtype=float), 0.0, 1.0)
            return (metric_at(s) * np.asarray(sched.derivative(u), dtype=float) ** 2)[:, None]

        edges = np.unique(np.concatenate([np.linspace(0.0, 1.0, 9), np.asarray(sched.kinks, dtype=float)]))
        result = gauss_kronrod_panels(integrand, edges, atol=float(self.options.path_rtol) * self._work_coefficient,
                                      max_refinements=int(self.options.max_path_refinements))  # fmt: skip
        if not result.converged:
            warnings.warn(f"predicted_dissipation: the u-integral stopped at its budget with error "
                          f"{float(result.error[0]):.3g}", NumericsWarning, stacklevel=2)  # fmt: skip
        return float(np.real(result.value[0])) / tau

    @property
    def thermodynamic_length(self) -> float:
        """L = int_0^1 sqrt(lambda'^T zeta lambda') ds, in units of sqrt(energy x time)."""
        self._warn_if_bound("thermodynamic_length")
        return self._length

    def dissipation_bound(self, duration: float) -> float:
        """L^2 / tau: no schedule along this path dissipates less (to first order in 1/tau);
        the Cauchy-Schwarz inequality gives W_diss(linear) >= L^2 / tau."""
        tau = check_real("duration", duration, low=0.0, low_inclusive=False)
        self._warn_if_bound("dissipation_bound")
        return self._length**2 / tau

    @property
    def errors(self) -> dict[str, float]:
        """Error estimates of tau W_diss and L: s-quadrature (abs(K15 - G7)) plus propagated energy errors."""
        return dict(self._s_errors)

    def zeta_at(self, s: np.ndarray | float) -> np.ndarray:
        """zeta at any s in [0, 1] (degree-14 interpolation on each panel), shape s.shape + (p, p)."""
        return self._zeta_panels.value(self._check_s(s))

    def metric_at(self, s: np.ndarray | float) -> np.ndarray:
        """lambda'^T zeta lambda' at any s in [0, 1] (interpolated like :meth:`zeta_at`)."""
        return self._metric_panels.value(self._check_s(s))

    def length_at(self, s: np.ndarray | float) -> np.ndarray:
        """Cumulative thermodynamic length l(s) = int_0^s sqrt(lambda'^T zeta lambda') ds'."""
        return self._length_panels.integral(self._check_s(s))

    @staticmethod
    def _check_s(s: np.ndarray | float) -> np.ndarray:
        s = np.asarray(s, dtype=float)
        if not np.all(np.isfinite(s)) or np.any(s < 0.0) or np.any(s > 1.0):
            raise ValueError("s must lie in [0, 1] (finite), the path parameter's range")
        return s

    def optimal_protocol(self, duration: float, *, n_table: int = 201) -> OptimalSchedule:
        """The minimum-dissipation schedule along this path at duration tau.

        Constant speed in the zeta metric, dl/dt = L / tau: s*(u) inverts l(s) = u L (u = t/tau),
        and the dissipated work is L^2 / tau, the smallest possible along this path.

        Parameters
        ----------
        duration : float
            tau > 0, in units of 1/energy.
        n_table : int
            Points of the sampled table (>= 2).
        """
        tau = check_real("duration", duration, low=0.0, low_inclusive=False)
        if int(n_table) < 2:
            raise ValueError(f"n_table must be an integer >= 2, got {n_table!r}")
        self._warn_if_bound("optimal_protocol")
        length = self._length
        if not length > 0.0:
            raise ValueError("the thermodynamic length of this path is zero: every schedule dissipates nothing "
                             "to first order, so no schedule is optimal")
        solve = _inverse_length(self._length_panels, length)
        fit, fit_error = _fit_inverse(solve, self._length_panels, length, tol=float(self.options.schedule_tol))
        if fit is None:  # a panel did not reach the tolerance within its budget: Newton at every call
            def function(u: np.ndarray) -> np.ndarray:
                return solve(u)

            def derivative(u: np.ndarray) -> np.ndarray:
                with np.errstate(divide="ignore"):
                    return length / np.maximum(self._length_panels.value(solve(u)), 0.0)
        else:
            def function(u: np.ndarray) -> np.ndarray:
                return np.clip(fit.value(u), 0.0, 1.0)

            def derivative(u: np.ndarray) -> np.ndarray:
                return fit.derivative(u)

        def schedule(u: np.ndarray | float) -> np.ndarray:
            u = np.asarray(u, dtype=float)
            if not np.all(np.isfinite(u)) or np.any(u < 0.0) or np.any(u > 1.0):
                raise ValueError("u = t / duration must lie in [0, 1]")
            s = np.asarray(function(u.ravel()), dtype=float)
            s[u.ravel() <= 0.0], s[u.ravel() >= 1.0] = 0.0, 1.0
            return s.reshape(u.shape)

        def schedule_derivative(u: np.ndarray | float) -> np.ndarray:
            u = np.asarray(u, dtype=float)
            if not np.all(np.isfinite(u)) or np.any(u < 0.0) or np.any(u > 1.0):
                raise ValueError("u = t / duration must lie in [0, 1]")
            return np.asarray(derivative(u.ravel()), dtype=float).reshape(u.shape)

        table_u = np.linspace(0.0, 1.0, int(n_table))
        return OptimalSchedule(
            duration=tau,
            path=self.path,
            thermodynamic_length=length,
            predicted_dissipation=length**2 / tau,
            table_u=table_u,
            table_s=schedule(table_u),
            interpolation_error=fit_error,
            schedule=schedule,
            derivative=schedule_derivative,
        )

    def to_dict(self) -> dict[str, float | bool]:
        """Scalar results: ``work_coefficient`` (tau W_diss, linear schedule), ``thermodynamic_length``,
        their error estimates, ``bound_state_along_path``, ``T``, ``mu``."""
        return {
            "work_coefficient": self._work_coefficient,
            "thermodynamic_length": self._length,
            "error_work_coefficient": self._s_errors["work_coefficient"],
            "error_thermodynamic_length": self._s_errors["thermodynamic_length"],
            "bound_state_along_path": self.bound_state_along_path,
            "T": self.bath.T,
            "mu": self.bath.mu,
        }


def friction(
    model: OpenSystem,
    bath: Bath,
    path: Path,
    *,
    panels_per_segment: int = 4,
    on_bound_state: Literal["raise", "report"] = "raise",
    options: FrictionOptions | None = None,
) -> FrictionResult:
    """Friction tensor of slow driving along ``path`` and the dissipation it predicts.

    Parameters
    ----------
    model : OpenSystem
    bath : Bath
        (T, mu) of the reservoirs; T > 0.
    path : Path
        The parameter path lambda(s), s in [0, 1]; its names must be parameters of ``model``.
    panels_per_segment : int
        GK15 panels in s on each smooth segment of the path.
    on_bound_state : {"raise", "report"}
        What to do when a bound state exists at a path node: raise ``ValueError`` (default), or
        return a result flagged ``bound_state_along_path`` whose predictions warn.
    options : FrictionOptions, optional

    Returns
    -------
    FrictionResult
    """
    check_model_and_bath(model, bath)
    if not isinstance(path, Path):
        raise ValueError(f"path must be a strongtherm.Path, got {type(path).__name__}")
    unknown = set(path.names) - set(model.parameter_names)
    if unknown:
        raise ValueError(f"path names parameter(s) {sorted(unknown)} that {model.name} does not have")
    n_panels = int(panels_per_segment)
    if n_panels < 1 or n_panels != panels_per_segment:
        raise ValueError(f"panels_per_segment must be a positive integer, got {panels_per_segment!r}")
    if on_bound_state not in ("raise", "report"):
        raise ValueError(f"on_bound_state must be 'raise' or 'report', got {on_bound_state!r}")
    options = options or FrictionOptions()
    if not isinstance(options, FrictionOptions):
        raise ValueError(f"options must be a FrictionOptions, got {type(options).__name__}")

    names = tuple(path.names)
    initial = np.unique(np.concatenate(
        [np.linspace(a, b, n_panels + 1) for a, b in zip(path.breakpoints[:-1], path.breakpoints[1:], strict=True)]
    ))  # fmt: skip
    pending = list(zip(initial[:-1].tolist(), initial[1:].tolist(), strict=True))
    done: dict[tuple[float, float], dict[str, np.ndarray]] = {}
    found: list[BoundStateOnPath] = []
    relative_error = np.inf
    budget = int(options.max_path_refinements)
    for sweep in range(budget + 1):
        # energy integrals and bound-state search for the new panels only, in one batch
        lows = np.array([lo for lo, _ in pending])
        highs = np.array([hi for _, hi in pending])
        nodes = (0.5 * (lows + highs)[:, None] + 0.5 * (highs - lows)[:, None] * _NODES[None, :]).ravel()
        points = model.resolve_along(path, nodes)
        # bound states appear at thresholds: searched at the panel edges and midpoints (a bound
        # state that appears and disappears inside a quarter panel would be missed)
        check_s = np.unique(np.concatenate([lows, highs, 0.5 * (lows + highs), 0.25 * (3 * lows + highs),
                                            0.25 * (lows + 3 * highs)]))  # fmt: skip
        new_bound = _search_bound_states(model, bath, check_s, model.resolve_along(path, check_s))
        if new_bound and on_bound_state == "raise":
            first = new_bound[0]
            raise ValueError(
                f"a bound state exists along the path (at s={first.s:.6g}, {_format(path.function(first.s))}: "
                f"energy {first.energy:.6g}, system weight {first.system_weight:.3g}); it never relaxes, its "
                "friction is infinite and the slow limit differs from Delta F*_S. Choose a path without bound "
                "states, or pass on_bound_state='report' to get the continuum part flagged."
            )
        found += new_bound
        zeta, zeta_error = friction_tensor(model, bath, points, names, options=options)
        directions = np.array([[path.derivative(float(s))[k] for k in names] for s in nodes])  # (N, p)
        for k, panel in enumerate(pending):
            rows = slice(15 * k, 15 * (k + 1))
            done[panel] = {"s": nodes[rows], "zeta": zeta[rows], "zeta_error": zeta_error[rows],
                           "direction": directions[rows]}  # fmt: skip
        # |K15 - G7| per panel for the two path integrals (work coefficient, length), relative
        panels = sorted(done)
        widths = np.array([hi - lo for lo, hi in panels])
        metric = np.array([np.einsum("ni,nij,nj->n", d["direction"], d["zeta"], d["direction"])
                           for d in (done[pn] for pn in panels)])  # fmt: skip
        panel_error = np.zeros(len(panels))
        for values in (metric, np.sqrt(np.maximum(metric, 0.0))):
            total = float(np.abs(values @ _WEIGHTS_K) @ (0.5 * widths))
            panel_error = np.maximum(panel_error, np.abs(values @ (_WEIGHTS_K - _WEIGHTS_G)) * 0.5 * widths / max(total, 1e-300))
        relative_error = float(panel_error.sum())
        if relative_error <= options.path_rtol or sweep == budget:
            break
        # bisect the panels above their share of the tolerance (at least the worst one)
        split = (panel_error > options.path_rtol * widths) | (panel_error == panel_error.max())
        pending = []
        for (lo, hi), bad in zip(panels, split, strict=True):
            if bad:
                del done[(lo, hi)]
                pending += [(lo, 0.5 * (lo + hi)), (0.5 * (lo + hi), hi)]
    if relative_error > options.path_rtol:
        warnings.warn(
            f"path integrals stopped at their budget of {budget} refinements with relative error "
            f"{relative_error:.3g} (target {options.path_rtol:.3g})",
            NumericsWarning,
            stacklevel=2,
        )
    panels = sorted(done)
    edges = np.array([panels[0][0]] + [hi for _, hi in panels])
    half = 0.5 * np.diff(edges)
    nodes = np.concatenate([done[pn]["s"] for pn in panels])
    zeta = np.concatenate([done[pn]["zeta"] for pn in panels])
    zeta_error = np.concatenate([done[pn]["zeta_error"] for pn in panels])
    directions = np.concatenate([done[pn]["direction"] for pn in panels])
    found.sort(key=lambda bs: (bs.s, bs.energy))
    metric = np.einsum("ni,nij,nj->n", directions, zeta, directions)
    metric_error = np.einsum("ni,nij,nj->n", np.abs(directions), zeta_error, np.abs(directions))
    speed = np.sqrt(np.maximum(metric, 0.0))
    metric_panels = _Panels.fit(edges, metric)
    length_panels = _Panels.fit(edges, speed)
    zeta_panels = _Panels.fit(edges, zeta)

    def s_error(values: np.ndarray) -> float:
        v = values.reshape(len(half), 15)
        return float(np.sum(np.abs((v @ _WEIGHTS_K - v @ _WEIGHTS_G) * half)))

    weights = (half[:, None] * _WEIGHTS_K[None, :]).ravel()
    s_errors = {
        "work_coefficient": s_error(metric) + float(weights @ metric_error),
        # d sqrt(m) = dm / (2 sqrt(m)); where m ~ 0 the bound sqrt(dm) holds instead
        "thermodynamic_length": s_error(speed) + float(weights @ np.minimum(
            metric_error / np.maximum(2.0 * speed, 1e-300), np.sqrt(metric_error))),
    }  # fmt: skip
    return FrictionResult(
        model=model,
        bath=bath,
        path=path,
        options=options,
        names=names,
        s=nodes,
        s_edges=edges,
        zeta=zeta,
        zeta_error=zeta_error,
        metric=metric,
        bound_states=tuple(found),
        _metric_panels=metric_panels,
        _length_panels=length_panels,
        _zeta_panels=zeta_panels,
        _s_errors=s_errors,
    )


def _search_bound_states(
    model: OpenSystem, bath: Bath, s_values: np.ndarray, points: Sequence[Mapping[str, float]]
) -> list[BoundStateOnPath]:
    found = []
    for s, point in sorted(zip(s_values, points, strict=True), key=lambda x: x[0]):
        for b in bound_states(model, point):
            x = bath.x(b.energy)
            found.append(BoundStateOnPath(float(s), b.energy, b.system_weight, float(expit(x) * expit(-x))))
    return found


def _format(point: Mapping[str, float]) -> str:
    return ", ".join(f"{k}={v:.6g}" for k, v in point.items())


# ---------------------------------------------------------------------------------- geodesic


@dataclass(frozen=True, eq=False)
class Geodesic:
    """Shortest path in the friction metric between two points of a 2-parameter plane.

    Along it, driven at constant metric speed (its :meth:`FrictionResult.optimal_protocol`), the
    first-order dissipated work L^2 / tau is the smallest over all paths and schedules between the
    end points (Sivak & Crooks 2012).

    Attributes
    ----------
    names : tuple of str
        The two parameters of the plane.
    points : (N + 1, 2) ndarray
        The discrete geodesic (end points included), equally spaced in metric length.
    path : Path
        A cubic spline through ``points`` with s = k / N (so that constant speed in s is close to
        constant metric speed).
    length_estimate : float
        Length of the discrete geodesic in the interpolated metric (sqrt of N x discrete action).
    friction : FrictionResult
        The friction along ``path`` computed afresh by the engine (not from the interpolation):
        ``friction.thermodynamic_length`` is the length to trust.
    straight : FrictionResult
        The same along the straight line, for comparison.
    grid : tuple of (ndarray, ndarray)
        The grid on which zeta was computed and interpolated (bicubic).
    touches_bounds : bool
        True when the discrete geodesic runs along the edge of the search box: it is then the
        shortest path inside the box, and a larger box (if free of bound states) may give a shorter one.
    """

    names: tuple[str, str]
    points: np.ndarray
    path: Path
    length_estimate: float
    friction: FrictionResult
    straight: FrictionResult
    grid: tuple[np.ndarray, np.ndarray]
    touches_bounds: bool

    def __repr__(self) -> str:
        return (
            f"Geodesic({self.names[0]}, {self.names[1]}: {len(self.points)} points; length "
            f"{self.friction.thermodynamic_length:.8g} vs straight line {self.straight.thermodynamic_length:.8g}"
            f"{'; touches the search box' if self.touches_bounds else ''})"
        )


def geodesic(
    model: OpenSystem,
    bath: Bath,
    start: Mapping[str, float],
    end: Mapping[str, float],
    *,
    bounds: Mapping[str, tuple[float, float]] | None = None,
    grid_points: int = 21,
    n_segments: int = 32,
    options: FrictionOptions | None = None,
) -> Geodesic:
    """Minimum-dissipation path between ``start`` and ``end`` in a plane of two parameters.

    zeta is computed by the engine on a ``grid_points`` x ``grid_points`` grid over ``bounds``
    (default: the box of the end points widened by half its size on each side, inside the
    model's domain), interpolated bicubically through its Cholesky factor (so that it stays
    positive), and the discrete action N sum_k dl_k^T zeta dl_k
    over ``n_segments`` segments is minimized (L-BFGS-B, analytic gradient) from the straight
    line. The result is then checked by computing the friction along it afresh.

    Parameters
    ----------
    model, bath : OpenSystem, Bath
    start, end : mapping
        The end points, with the same two parameter names (other parameters: model defaults).
    bounds : mapping name -> (low, high), optional
        The box searched; it must contain both end points and hold no bound state.
    grid_points : int
        Grid points per axis (>= 6).
    n_segments : int
        Segments of the discrete geodesic (>= 4).
    options : FrictionOptions, optional

    Raises
    ------
    ValueError
        Bad end points or bounds, or a bound state on the grid (its friction is infinite).
    """
    from scipy.interpolate import CubicSpline, RectBivariateSpline
    from scipy.optimize import minimize

    check_model_and_bath(model, bath)
    if not isinstance(start, Mapping) or not isinstance(end, Mapping) or set(start) != set(end) or len(start) != 2:
        raise ValueError("start and end must be mappings of the same two parameter names")
    names = tuple(start)
    for name in names:
        model._check_name(name)
    a = np.array([check_real(f"start[{n!r}]", start[n]) for n in names])
    b = np.array([check_real(f"end[{n!r}]", end[n]) for n in names])
    n_grid, n_seg = int(grid_points), int(n_segments)
    if n_grid < 6 or n_grid != grid_points:
        raise ValueError(f"grid_points must be an integer >= 6, got {grid_points!r}")
    if n_seg < 4 or n_seg != n_segments:
        raise ValueError(f"n_segments must be an integer >= 4, got {n_segments!r}")
    if bounds is None:
        span = np.maximum(np.abs(b - a), 1e-3 * (1.0 + np.abs(a) + np.abs(b)))
        box = [(min(a[i], b[i]) - 0.5 * span[i], max(a[i], b[i]) + 0.5 * span[i]) for i in range(2)]
        box = [(max(lo, model.parameter_domain[n][0]), min(hi, model.parameter_domain[n][1]))
               for (lo, hi), n in zip(box, names, strict=True)]  # fmt: skip
    else:
        if set(bounds) != set(names):
            raise ValueError(f"bounds must give (low, high) for {list(names)}")
        box = [(check_real(f"bounds[{n!r}][0]", bounds[n][0]), check_real(f"bounds[{n!r}][1]", bounds[n][1])) for n in names]
    for i, n in enumerate(names):
        lo, hi = box[i]
        if not (lo < hi and lo <= min(a[i], b[i]) and max(a[i], b[i]) <= hi):
            raise ValueError(f"bounds[{n!r}] = ({lo:g}, {hi:g}) must be an interval containing both end points")
    axes = (np.linspace(*box[0], n_grid), np.linspace(*box[1], n_grid))
    X, Y = np.meshgrid(*axes, indexing="ij")
    grid = [model.resolve({names[0]: float(x), names[1]: float(y)}) for x, y in zip(X.ravel(), Y.ravel(), strict=True)]
    for point in grid:
        if bound_states(model, point):
            raise ValueError(
                f"a bound state exists on the search grid at {_format({n: point[n] for n in names})}: its friction "
                "is infinite; choose bounds that keep the plane free of bound states"
            )
    zeta, _ = friction_tensor(model, bath, grid, names, options=options)
    # interpolate the Cholesky factor R (zeta = R R^T), not zeta: a bicubic zeta can lose its
    # positivity between grid points, and the minimizer would then run into the hole
    zeta = zeta.reshape(n_grid, n_grid, 2, 2)
    floor = 1e-14 * float(np.max(np.abs(zeta))) * np.eye(2)  # zeta may be singular (e.g. T -> 0, one channel)
    factor = np.linalg.cholesky(zeta + floor)
    splines = {(i, j): RectBivariateSpline(*axes, factor[:, :, i, j]) for i, j in ((0, 0), (1, 0), (1, 1))}

    def cholesky_factor(points: np.ndarray, dx: int = 0, dy: int = 0) -> np.ndarray:
        out = np.zeros((len(points), 2, 2))
        for (i, j), spline in splines.items():
            out[:, i, j] = spline(points[:, 0], points[:, 1], dx=dx, dy=dy, grid=False)
        return out

    def metric(points: np.ndarray, dx: int = 0, dy: int = 0) -> np.ndarray:
        R = cholesky_factor(points)
        if dx == dy == 0:
            return R @ np.swapaxes(R, 1, 2)
        dR = cholesky_factor(points, dx, dy)
        product = dR @ np.swapaxes(R, 1, 2)
        return product + np.swapaxes(product, 1, 2)

    def action(flat: np.ndarray) -> tuple[float, np.ndarray]:
        pts = np.vstack([a, flat.reshape(-1, 2), b])
        step = np.diff(pts, axis=0)  # (N, 2)
        mid = 0.5 * (pts[1:] + pts[:-1])
        Z = metric(mid)
        value = n_seg * float(np.einsum("ki,kij,kj->", step, Z, step))
        # d/d step_k: 2 Z step; d/d mid_k: step^T (dZ/dx_c) step, mid_k = (p_k + p_k+1) / 2
        g_step = 2.0 * np.einsum("kij,kj->ki", Z, step)
        g_mid = np.stack([np.einsum("ki,kij,kj->k", step, metric(mid, dx=1), step),
                          np.einsum("ki,kij,kj->k", step, metric(mid, dy=1), step)], axis=1)  # fmt: skip
        grad = np.zeros_like(pts)
        grad[1:] += g_step + 0.5 * g_mid
        grad[:-1] += -g_step + 0.5 * g_mid
        return value, n_seg * grad[1:-1].ravel()

    straight_points = a + np.linspace(0.0, 1.0, n_seg + 1)[:, None] * (b - a)
    box_bounds = [box[0], box[1]] * (n_seg - 1)
    result = minimize(action, straight_points[1:-1].ravel(), jac=True, method="L-BFGS-B", bounds=box_bounds,
                      options={"maxiter": 2000, "ftol": 1e-14, "gtol": 1e-10})  # fmt: skip
    if not result.success:
        warnings.warn(f"geodesic: the action minimization stopped without converging ({result.message})",
                      NumericsWarning, stacklevel=2)  # fmt: skip
    points = np.vstack([a, result.x.reshape(-1, 2), b])
    spline = CubicSpline(np.linspace(0.0, 1.0, n_seg + 1), points, axis=0)
    slope = spline.derivative()

    def function(s: float) -> dict[str, float]:
        return dict(zip(names, (float(v) for v in spline(float(np.clip(s, 0.0, 1.0)))), strict=True))

    def derivative(s: float) -> dict[str, float]:
        return dict(zip(names, (float(v) for v in slope(float(np.clip(s, 0.0, 1.0)))), strict=True))

    label = f"friction geodesic {_format(dict(zip(names, a, strict=True)))} -> {_format(dict(zip(names, b, strict=True)))}"
    path = Path.from_function(function, derivative, label=label)
    return Geodesic(
        names=names,  # type: ignore[arg-type]
        points=points,
        path=path,
        length_estimate=float(np.sqrt(result.fun)),
        friction=friction(model, bath, path, options=options),
        straight=friction(model, bath, Path.line(dict(zip(names, a, strict=True)), dict(zip(names, b, strict=True))), options=options),
        grid=axes,
        touches_bounds=bool(np.any([np.isclose(points[1:-1, i], edge, rtol=0.0, atol=1e-9 * (1.0 + abs(edge)))
                                    for i in range(2) for edge in box[i]])),
    )
