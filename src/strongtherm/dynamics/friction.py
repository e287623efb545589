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

The tensor itself (the projection on the system and the reservoirs' surfaces, the energy
integral) is :func:`strongtherm.dynamics.tensor.friction_tensor`; the piecewise polynomials in s
and the inverse of the length are in :mod:`strongtherm.dynamics.panels`; the shortest path in a
plane of two parameters is :func:`strongtherm.dynamics.geodesic.geodesic`.

Checks (tests/dynamics/test_friction.py): the wide-band level's closed form of issue 12,
gamma(eps_d) = (beta / 2 pi^2 Gamma) Re[psi'(z) - (beta Gamma / 4 pi) psi''(z)],
z = 1/2 + beta (Gamma/2 + i eps_d) / 2 pi (which is exactly pi int (-f') A^2 with a Lorentzian A
of full width Gamma), its weak-coupling limit beta f (1 - f) / Gamma (approached like
(beta Gamma)^2), int gamma d eps_d = 1/Gamma, the T -> 0 optimal schedule
eps*(t) = (Gamma/2) tan[theta_a + (theta_b - theta_a) t / tau] with W_min = (theta_b - theta_a)^2 / (pi tau);
at T -> 0 a single channel gives zeta = (1/pi) grad delta grad delta^T (delta the Friedel phase,
rank one: S-matrix form of Avron et al. and Bode et al.); an explicitly embedded chain for the
Dyson blocks of :mod:`strongtherm.dynamics.tensor`; and exact time evolution (a finite chain, and :func:`strongtherm.dynamics.drive`),
where tau (W - Delta F*_S) tends to int lambda'^T zeta lambda' ds with a remainder ~ 1/tau.

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

from ..core.display import html_of_values
from ..core.validation import check_integer, check_real
from ..core.warnings import BoundStateWarning, NumericsWarning
from ..negf.integrate import GAUSS_KRONROD_15, gauss_kronrod_panels
from ..negf.spectral import bound_states
from ..negf.system import OpenSystem, check_model_and_bath, check_path
from ..path import MAX_PANELS_PER_SEGMENT, Path
from ..thermal import Bath
from .engine import BOUND_STATE_WEIGHT_THRESHOLD  # one rule for the wing: which bound states trap
from .panels import MAX_PATH_PANELS, Panels, fit_inverse, inverse_length
from .protocol import Protocol, Schedule
from .tensor import BoundStateOnPath, FrictionOptions, friction_tensor

__all__ = [
    "MAX_TABLE_POINTS",
    "BoundStateOnPath",
    "Friction",
    "FrictionOptions",
    "OptimalSchedule",
    "friction",
    "friction_tensor",
]

#: Points of an optimal schedule's sampled table at most (``n_table``): the table is evaluated at
#: once (a (n_table, 15) polynomial basis, 12 MB at the limit); a plot needs a few hundred.
MAX_TABLE_POINTS = 100_000


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

    def __repr__(self) -> str:
        # the tables (hundreds of values) and the path's callables stay out: a summary of shapes
        return (f"OptimalSchedule({self.path.label}; tau={self.duration:g}; L={self.thermodynamic_length:.8g}, "
                f"L^2/tau={self.predicted_dissipation:.6g}; table of {self.table_u.size} points, "
                f"interpolation error {self.interpolation_error:.1e})")

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
class Friction:
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
    _metric_panels: Panels = field(repr=False)
    _length_panels: Panels = field(repr=False)
    _zeta_panels: Panels = field(repr=False)
    _s_errors: Mapping[str, float] = field(repr=False)

    def _repr_html_(self) -> str:
        return html_of_values(f"Friction: {self.model.name}, {self.path.label}", self.to_dict())

    def __repr__(self) -> str:
        flag = "  BOUND STATE ALONG PATH: predictions do not apply\n" if self.bound_state_along_path else ""
        return (
            f"Friction({self.model.name}; {self.path.label}; T={self.bath.T:g}, mu={self.bath.mu:g})\n"
            f"  zeta: {self.zeta.shape} over {len(self.s)} path nodes, parameters {list(self.names)}\n"
            f"{flag}"
            f"  tau * W_diss -> {self._work_coefficient:.10g}   thermodynamic length L = {self._length:.10g}"
        )

    @property
    def bound_state_along_path(self) -> bool:
        """True when a bound state with thermal weight f(1 - f) above
        :data:`~strongtherm.dynamics.engine.BOUND_STATE_WEIGHT_THRESHOLD` exists on the path: its
        friction is infinite, it never relaxes, and the slow-driving predictions do not hold. (One
        without weight stays filled or empty, as equilibrium wants it: it is listed, not counted.)"""
        return any(b.thermal_weight > BOUND_STATE_WEIGHT_THRESHOLD for b in self.bound_states)

    def _warn_if_bound(self, what: str) -> None:
        if self.bound_state_along_path:
            first = next(b for b in self.bound_states if b.thermal_weight > BOUND_STATE_WEIGHT_THRESHOLD)
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
            Points of the sampled table, in [2, 100 000] (:data:`MAX_TABLE_POINTS`).
        """
        tau = check_real("duration", duration, low=0.0, low_inclusive=False)
        check_integer("n_table", n_table, low=2, high=MAX_TABLE_POINTS, integral_float=True)
        self._warn_if_bound("optimal_protocol")
        length = self._length
        if not length > 0.0:
            raise ValueError("the thermodynamic length of this path is zero: every schedule dissipates nothing "
                             "to first order, so no schedule is optimal")
        solve = inverse_length(self._length_panels, length)
        fit, fit_error = fit_inverse(solve, self._length_panels, length, tol=float(self.options.schedule_tol))
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
) -> Friction:
    """Friction tensor of slow driving along ``path`` and the dissipation it predicts.

    Parameters
    ----------
    model : OpenSystem
    bath : Bath
        (T, mu) of the reservoirs; T > 0.
    path : Path
        The parameter path lambda(s), s in [0, 1]; its names must be parameters of ``model``.
    panels_per_segment : int
        GK15 panels in s on each smooth segment of the path, in [1, 256]
        (:data:`~strongtherm.path.MAX_PANELS_PER_SEGMENT`); refined adaptively up to
        :data:`~strongtherm.dynamics.panels.MAX_PATH_PANELS` (2048) panels along the whole path.
    on_bound_state : {"raise", "report"}
        What to do when a bound state exists at a path node: raise ``ValueError`` (default), or
        return a result flagged ``bound_state_along_path`` whose predictions warn.
    options : FrictionOptions, optional

    Returns
    -------
    Friction

    Raises
    ------
    ValueError
        For a bad model, bath or path, ``panels_per_segment`` outside [1, 256], more than 2048
        initial panels along the path, or a bound state along the path (``on_bound_state="raise"``).
    """
    check_model_and_bath(model, bath)
    check_path(model, path)
    n_panels = check_integer("panels_per_segment", panels_per_segment, low=1, high=MAX_PANELS_PER_SEGMENT,
                             integral_float=True)  # fmt: skip
    if on_bound_state not in ("raise", "report"):
        raise ValueError(f"on_bound_state must be 'raise' or 'report', got {on_bound_state!r}")
    options = options or FrictionOptions()
    if not isinstance(options, FrictionOptions):
        raise ValueError(f"options must be a FrictionOptions, got {type(options).__name__}")

    names = tuple(path.names)
    initial = path.panel_edges(n_panels)
    if len(initial) - 1 > MAX_PATH_PANELS:
        raise ValueError(
            f"panels_per_segment={n_panels} on the path's {len(path.breakpoints) - 1} smooth segments gives "
            f"{len(initial) - 1} panels; at most {MAX_PATH_PANELS} (MAX_PATH_PANELS): use fewer panels per segment"
        )
    pending = list(zip(initial[:-1].tolist(), initial[1:].tolist(), strict=True))
    done: dict[tuple[float, float], dict[str, np.ndarray]] = {}
    found: list[BoundStateOnPath] = []
    relative_error = np.inf
    budget = int(options.max_path_refinements)
    stop_reason = f"their budget of {budget} refinements"
    for sweep in range(budget + 1):
        # energy integrals and bound-state search for the new panels only, in one batch
        lows = np.array([lo for lo, _ in pending])
        highs = np.array([hi for _, hi in pending])
        nodes = (0.5 * (lows + highs)[:, None] + 0.5 * (highs - lows)[:, None] * GAUSS_KRONROD_15.nodes[None, :]).ravel()
        points = model.resolve_along(path, nodes)
        # bound states appear at thresholds: searched at the panel edges and midpoints (a bound
        # state that appears and disappears inside a quarter panel would be missed)
        check_s = np.unique(np.concatenate([lows, highs, 0.5 * (lows + highs), 0.25 * (3 * lows + highs),
                                            0.25 * (lows + 3 * highs)]))  # fmt: skip
        new_bound = _search_bound_states(model, bath, check_s, model.resolve_along(path, check_s))
        trapping = [b for b in new_bound if b.thermal_weight > BOUND_STATE_WEIGHT_THRESHOLD]
        if trapping and on_bound_state == "raise":
            first = trapping[0]
            raise ValueError(
                f"a bound state exists along the path (at s={first.s:.6g}, {format_point(path.function(first.s))}: "
                f"energy {first.energy:.6g}, system weight {first.system_weight:.3g}, thermal weight f(1-f) = "
                f"{first.thermal_weight:.3g}); it never relaxes, its "
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
            total = float(np.abs(values @ GAUSS_KRONROD_15.weights_kronrod) @ (0.5 * widths))
            panel_error = np.maximum(panel_error, np.abs(values @ (GAUSS_KRONROD_15.weights_kronrod - GAUSS_KRONROD_15.weights_gauss)) * 0.5 * widths / max(total, 1e-300))
        relative_error = float(panel_error.sum())
        if relative_error <= options.path_rtol or sweep == budget:
            break
        # bisect the panels above their share of the tolerance (at least the worst one), the
        # worst first as far as MAX_PATH_PANELS allows; none fitting ends the refinement
        split = (panel_error > options.path_rtol * widths) | (panel_error == panel_error.max())
        room = MAX_PATH_PANELS - len(panels)
        if room <= 0:
            stop_reason = f"the limit of {MAX_PATH_PANELS} panels (MAX_PATH_PANELS)"
            break
        if split.sum() > room:
            split = np.zeros_like(split)
            split[np.argsort(-panel_error)[:room]] = True
        pending = []
        for (lo, hi), bad in zip(panels, split, strict=True):
            if bad:
                del done[(lo, hi)]
                pending += [(lo, 0.5 * (lo + hi)), (0.5 * (lo + hi), hi)]
    if relative_error > options.path_rtol:
        warnings.warn(
            f"path integrals stopped at {stop_reason} with relative error "
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
    metric_panels = Panels.fit(edges, metric)
    length_panels = Panels.fit(edges, speed)
    zeta_panels = Panels.fit(edges, zeta)

    def s_error(values: np.ndarray) -> float:
        v = values.reshape(len(half), 15)
        return float(np.sum(np.abs((v @ GAUSS_KRONROD_15.weights_kronrod - v @ GAUSS_KRONROD_15.weights_gauss) * half)))

    weights = (half[:, None] * GAUSS_KRONROD_15.weights_kronrod[None, :]).ravel()
    s_errors = {
        "work_coefficient": s_error(metric) + float(weights @ metric_error),
        # d sqrt(m) = dm / (2 sqrt(m)); where m ~ 0 the bound sqrt(dm) holds instead
        "thermodynamic_length": s_error(speed) + float(weights @ np.minimum(
            metric_error / np.maximum(2.0 * speed, 1e-300), np.sqrt(metric_error))),
    }  # fmt: skip
    return Friction(
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
            thermal_weight = -bath.T * float(bath.fermi_derivative(b.energy))  # f (1 - f)
            found.append(BoundStateOnPath(float(s), b.energy, b.system_weight, thermal_weight))
    return found


def format_point(point: Mapping[str, float]) -> str:
    """``name=value, ...`` for the messages of the friction wing (friction, geodesic)."""
    return ", ".join(f"{k}={v:.6g}" for k, v in point.items())
