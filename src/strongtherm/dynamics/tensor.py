"""The friction tensor of slow driving, zeta_ij(lambda), from equilibrium Green's functions.

.. math:: \\zeta_{ij}(\\lambda) = \\pi \\int d\\epsilon\\, \\Big(-\\frac{\\partial f}{\\partial \\epsilon}\\Big)
          \\mathrm{Tr}[\\partial_i h\\, A(\\epsilon)\\, \\partial_j h\\, A(\\epsilon)]

(hbar = 1; A = -Im G^R / pi on the universe; the physics and its checks: :mod:`strongtherm.dynamics.friction`).

No reservoir matrix is ever built. d_i h lives on the system and on the reservoirs' surface
orbitals only (blocks d_i h_S and d_i V_r), so the trace needs G^R on the space P = S (+) surfaces,
which the Dyson equation gives from the system Green's function G_S and the surface Green's
functions g_r (V_r: surface x system, as in :mod:`strongtherm.negf.system`):

.. math:: G_{SS} = G_S,\\quad G_{rS} = g_r V_r G_S,\\quad G_{Sr} = G_S V_r^\\dagger g_r,\\quad
          G_{rr'} = \\delta_{rr'} g_r + g_r V_r G_S V_{r'}^\\dagger g_{r'}.

For level driving (d h = d h_S only) this reduces to pi int (-f') Tr[d h_S A_SS d h_S A_SS].

The product A A is not analytic (it contains G^R G^A), so the energy integral runs on the real
axis: over each piece of the reservoirs' continuum inside the window |e - mu| <= window * T
(outside it -f' < e^-window), mapped by e = c + h sin(phi), which makes the square-root band
edges smooth, and integrated by the vectorized adaptive Gauss-Kronrod (7, 15) rule of
:mod:`strongtherm.negf.integrate` for all path nodes and tensor entries at once.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.special import expit

from ..core.validation import check_integer, check_real
from ..core.warnings import NumericsWarning
from ..negf.evaluated import evaluate
from ..negf.greens import system_greens_function
from ..negf.integrate import gauss_kronrod_panels
from ..negf.system import OpenSystem, check_model_and_bath
from ..thermal import Bath

__all__ = ["BoundStateOnPath", "FrictionOptions", "friction_tensor"]


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
        Panels in phi per continuum piece before the graded break points around mu are added, in
        [1, 1024].
    max_refinements : int
        Bisection sweeps of the adaptive energy rule (its budget), in [0, 60] (2^-60 of a panel is
        below double precision); hitting it warns with NumericsWarning. The rule's evaluation and
        memory budgets (:class:`~strongtherm.negf.integrate.QuadratureOptions`) bound it too.
    path_rtol : float
        Target relative error (abs(K15 - G7) summed over panels) of the two path integrals, the work
        coefficient int lambda'^T zeta lambda' ds and the length int sqrt(...) ds.
    max_path_refinements : int
        Sweeps of panel bisection in s (its budget), in [0, 30]; hitting it, or
        :data:`~strongtherm.dynamics.panels.MAX_PATH_PANELS` panels, warns with NumericsWarning.
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
        # budgets are bounded above, so that no option can ask for unbounded time or memory
        for name, low, high in (("initial_panels", 1, 1024), ("max_refinements", 0, 60), ("max_path_refinements", 0, 30)):
            check_integer(name, getattr(self, name), low=low, high=high, integral_float=True)
        check_real("path_rtol", self.path_rtol, low=0.0, low_inclusive=False)
        check_real("schedule_tol", self.schedule_tol, low=0.0, low_inclusive=False)


@dataclass(frozen=True)
class BoundStateOnPath:
    """A bound state found at the path point ``s``: its energy, its weight on the system (Tr R)
    and its thermal weight f(1 - f) at that energy (how strongly its equilibrium occupation
    follows the parameters)."""

    s: float
    energy: float
    system_weight: float
    thermal_weight: float


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
    Vd = np.conj(np.swapaxes(V, -1, -2))[:, None]  # (P, 1, n, M)
    gV = g[None] @ V[:, None]  # (P, E, M, n)
    Vdg = Vd @ g[None]  # (P, E, n, M)
    G_S = system_greens_function(e[None, :], h[:, None], Vd @ gV)
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
    stack = evaluate(model, points, bath.mu).stack  # every parameter's derivatives; names picks
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
        weight = -np.pi * bath.fermi_derivative(e) * jac  # pi (-f') de/dt
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
