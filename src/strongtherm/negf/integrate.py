"""Energy integrals of the Green's-function engine, with error estimates and a cost bound.

Every state function and power of paper 000 has the form

.. math:: X = \\int d\\epsilon\\, K(\\epsilon)\\, \\Big(-\\frac{1}{\\pi}\\Big)\\,\\mathrm{Im}\\, F(\\epsilon + i0),

with a kernel K in {f, e f, s, omega, ln f, ln(1-f)} that is real on the real axis, and F (G_S,
Tr[G_S dSigma/dz], ...) analytic in the upper half plane and decaying at least as 1/z. The
kernels are analytic everywhere except on the line Re z = mu above the first Matsubara pole
mu + i pi T (the poles of f and the branch cuts of ln f, ln(1 - f) all sit on it). So by Cauchy's
theorem the real-axis integral equals the integral along any path from a to b (a, b outside the
spectrum, where F is real) that crosses Re z = mu below pi T:

.. math:: \\int K(\\epsilon) F(\\epsilon + i0) d\\epsilon = \\int_{\\mathcal{C}} K(z) F(z) dz.

The path used here (:func:`integrate_contour`) is a *notched wedge*: it rises from a to the line
Im z = |Re z - mu|, follows it towards mu, comes down to eta = eta_fraction pi T only in the notch
|Re z - mu| <= delta (delta = T (36 + ln(top / T)), where the kernels still differ from their
asymptotes by more than rounding), crosses, and climbs back along the wedge to b. A bound-state
pole, band edge or resonance at distance d from mu is seen from a height ~d, so the cost does not
grow with |eps_s|, V, 1/T or T; only what lies within delta of mu is seen at distance eta. The
wedge's two rays are parameterized geometrically in d (relative resolution everywhere), and the
outer sides stand 5% of |a - mu|, |b - mu| away from the spectrum, so no evaluation of G near a
pole at a large scale cancels more than a few digits.
No delta-function is ever sampled and bound states are included without being searched for
(DESIGN.md, traps 1-2). Matrix integrals of the spectral function follow from M = int K G:
int K A = (i / 2 pi)(M - M^dagger), since G(z*) = G(z)^dagger and K(z*) = K(z)*.

A continuum that reaches infinity (a Lorentzian band) leaves weight on the real axis beyond every
a, b. The path then runs on the real axis only where nothing happens: from -inf to a, mapped by
e = a - c tan(pi (1 - u) / 2), and from b to +inf; in between it takes the same notched wedge from
a to b, where [a, b] holds every finite feature (band edges, levels within the coupling's norm,
bound states, the notch around mu). A band edge is then seen from a height ~ its distance from
mu, never sampled on the axis: at the edges of a tight-binding chain Sigma' has 1/sqrt
singularities (sampled exactly, a division by zero), at those of a flat band a log that leaves
weight ~ 1/ln(distance) within any distance of the edge (a real-axis quadrature misses it while
its panel estimates look converged). Every reservoir is analytic in the upper half plane
(causality; the Reservoir protocol evaluates it there), so the lift is always allowed, and real
poles inside [a, b] (decoupled states) are inside the path as in the bounded case.

Quadrature: vectorized, globally adaptive Gauss-Kronrod (7, 15); all panels of one refinement
sweep are evaluated in batched calls. The error estimate is the sum over panels of |K15 - G7|, a
conservative bound for smooth integrands. Cost bound (:class:`QuadratureOptions`): an evaluation
budget (contour nodes), a memory budget (nodes per call and panels per sweep are capped so that
the arrays stay below ``max_memory_bytes``), and a tolerance that never asks for less than the
rounding floor, atol_eff = max(atol, rounding_factor eps int |integrand|) per component.
Hitting a budget gives a :class:`~strongtherm.core.warnings.NumericsWarning` with the error
estimate reached, or a :class:`~strongtherm.core.warnings.NumericsError` with ``strict=True``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from ..core.validation import check_integer, check_real
from ..core.warnings import NumericsError, numerics_failed

__all__ = ["GAUSS_KRONROD_15", "GaussKronrodRule", "IntegralResult", "QuadratureOptions", "gauss_kronrod_panels", "integrate_contour", "panel_sums", "sweep_totals"]

# Gauss-Kronrod 15-point nodes (on [-1, 1]) and weights, with the embedded 7-point Gauss weights.
_XGK = np.array([
    0.991455371120812639206854697526329, 0.949107912342758524526189684047851,
    0.864864423359769072789712788640926, 0.741531185599394439863864773280788,
    0.586087235467691130294144845693013, 0.405845151377397166906606412076961,
    0.207784955007898467600689403773245, 0.000000000000000000000000000000000,
])
_WGK = np.array([
    0.022935322010529224963732008058970, 0.063092092629978553290700663189204,
    0.104790010322250183839876322541518, 0.140653259715525918745189590510238,
    0.169004726639267902826583426598550, 0.190350578064785409913256402421014,
    0.204432940075298892414161999234649, 0.209482141084727828012999174891714,
])
_WG = np.array([
    0.129484966168869693270611432679082, 0.279705391489276667901467771423780,
    0.381830050505118944950369775488975, 0.417959183673469387755102040816327,
])


@dataclass(frozen=True)
class GaussKronrodRule:
    """A Gauss-Kronrod rule on [-1, 1]: ``nodes`` (ascending), the Kronrod ``weights_kronrod`` and
    the embedded Gauss rule's ``weights_gauss`` on the same nodes (0 where a node is Kronrod's
    only); their difference on a panel is the panel's error estimate. Arrays read-only."""

    nodes: np.ndarray
    weights_gauss: np.ndarray
    weights_kronrod: np.ndarray

    def __post_init__(self) -> None:
        for array in (self.nodes, self.weights_gauss, self.weights_kronrod):
            array.setflags(write=False)

    @property
    def size(self) -> int:
        """Nodes per panel."""
        return int(self.nodes.size)


def _gauss_kronrod_15() -> GaussKronrodRule:
    weights_gauss = np.zeros(15)
    weights_gauss[[1, 3, 5, 7, 9, 11, 13]] = np.concatenate([_WG[:-1], _WG[::-1]])
    return GaussKronrodRule(np.concatenate([-_XGK[:-1], _XGK[::-1]]), weights_gauss, np.concatenate([_WGK[:-1], _WGK[::-1]]))


#: The 15-point Gauss-Kronrod rule with its embedded 7-point Gauss rule (the engine's panels, the
#: quasistatic power along a path, the friction tensor's path integrals).
GAUSS_KRONROD_15 = _gauss_kronrod_15()
#: Its Kronrod and Gauss weights as the rows of one (2, 15) matrix (:func:`panel_sums`).
_KRONROD_GAUSS = np.stack([GAUSS_KRONROD_15.weights_kronrod, GAUSS_KRONROD_15.weights_gauss])
#: Their difference as a (1, 15) row (:func:`sweep_totals`).
_KRONROD_MINUS_GAUSS = (GAUSS_KRONROD_15.weights_kronrod - GAUSS_KRONROD_15.weights_gauss)[None, :]

_EPS = float(np.finfo(float).eps)
#: Bytes held per node and component while one batch is evaluated: the (N, K) float result plus
#: the complex intermediates of the integrand (G, Sigma, dSigma, kernels), measured at <= 8x.
_BYTES_PER_NODE_COMPONENT = 8 * 16
#: Bytes held per panel and component between sweeps: K15, G7 and int |.| sums (complex).
_BYTES_PER_PANEL_COMPONENT = 3 * 16
#: Notch half-width in units of T: at |Re z - mu| = delta the kernels differ from their
#: asymptotes by e^{-delta/T}; the log term keeps that below rounding over the raised sides.
_NOTCH_EXPONENT = 36.0
#: Slope of the wedge Im z = slope |Re z - mu| that the contour follows outside the notch.
_SLOPE = 1.0


@dataclass(frozen=True)
class QuadratureOptions:
    """Tolerances and budgets of the energy integrals.

    Parameters
    ----------
    atol : float
        Target absolute error of each integrated component (energy units for U, Omega; nats for
        S). It is raised to the rounding floor ``rounding_factor * eps * int abs(integrand)`` of each
        component, so that huge magnitudes (abs(eps_s) = 1e8, T = 1e6) never ask for less than
        rounding allows.
    max_refinements : int
        Bisection depth: no panel is bisected more than this many times.
    initial_panels : int
        Uniform panels on the contour's main segments before break points are added.
    eta_fraction : float
        The contour crosses Re z = mu at Im z = eta_fraction * pi T (0 < eta_fraction < 1).
    max_evaluations : int
        Evaluation budget: contour nodes in total (each node evaluates every parameter point of
        a batch). Default 500 000 (about a second for one point; typical use needs < 10 000).
    max_memory_bytes : int
        Memory budget of the quadrature's arrays: nodes per integrand call and panels per sweep
        are capped so that (nodes x components x 16 B x 8) and (panels x components x 48 B) stay
        below it. Default 256 MiB.
    rounding_factor : float
        The rounding floor of each component is ``rounding_factor * eps * int abs(integrand)``.
    strict : bool
        If True, an integral that stops above its tolerance (budget or depth reached) raises
        :class:`~strongtherm.core.warnings.NumericsError`; otherwise a
        :class:`~strongtherm.core.warnings.NumericsWarning` gives the error estimate reached.
    """

    atol: float = 1e-11
    max_refinements: int = 60
    initial_panels: int = 24
    eta_fraction: float = 0.5
    max_evaluations: int = 500_000
    max_memory_bytes: int = 256 * 2**20
    rounding_factor: float = 64.0
    strict: bool = False

    def __post_init__(self) -> None:
        check_real("atol", self.atol, low=0.0, low_inclusive=False)
        check_real("eta_fraction", self.eta_fraction, low=0.0, high=1.0, low_inclusive=False, high_inclusive=False)
        check_real("rounding_factor", self.rounding_factor, low=1.0)
        for name, low in (("initial_panels", 1), ("max_refinements", 0), ("max_evaluations", 1000),
                          ("max_memory_bytes", 2**20)):
            check_integer(name, getattr(self, name), low=low)
        if not isinstance(self.strict, bool | np.bool_):
            raise TypeError(f"strict must be a bool, got {type(self.strict).__name__} {self.strict!r}")


#: The default options (frozen, so one shared instance: building one validates every field).
DEFAULT_OPTIONS = QuadratureOptions()


@dataclass(frozen=True)
class IntegralResult:
    """Integrals of a vector of integrands, with per-component error estimates.

    ``tolerance`` is the tolerance each component was held to (atol raised to its rounding
    floor); ``converged`` is True when every error estimate is within it; ``stop_reason`` is
    "converged", "evaluation budget", "memory budget", "rounding floor" (bisection no longer
    reduced the error of some panels: the integrand's own rounding) or "refinement depth".
    """

    value: np.ndarray
    error: np.ndarray
    n_evaluations: int
    converged: bool
    tolerance: np.ndarray = field(default_factory=lambda: np.zeros(0))
    stop_reason: str = "converged"


def _report(result: IntegralResult, options: QuadratureOptions, what: str) -> None:
    """Warn (or raise, if strict) when ``result`` stopped above its tolerance."""
    if result.converged:
        return
    excess = result.error / np.maximum(result.tolerance, np.finfo(float).tiny)
    k = int(np.argmax(excess))
    message = (
        f"{what} stopped at its {result.stop_reason} after {result.n_evaluations} nodes with error "
        f"estimate {float(result.error[k]):.3g} above its tolerance {float(result.tolerance[k]):.3g} "
        f"(component {k}; budgets: max_evaluations={options.max_evaluations}, "
        f"max_memory_bytes={options.max_memory_bytes}, max_refinements={options.max_refinements})"
    )
    numerics_failed(message, strict=options.strict, stacklevel=4)


def panel_sums(
    func: Callable[[np.ndarray, np.ndarray], np.ndarray], mid: np.ndarray, half: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One GK(7,15) sweep over the panels mid +- half in one call of ``func`` (as in
    :func:`gauss_kronrod_panels`): per panel, the Kronrod and Gauss estimates and the Kronrod
    integral of abs(func), each of shape (P, K)."""
    rule = GAUSS_KRONROD_15
    x = (mid[:, None] + half[:, None] * rule.nodes[None, :]).ravel()
    values = np.asarray(func(x, (half[:, None] * rule.weights_kronrod[None, :]).ravel()))
    values = values.reshape(half.size, rule.size, -1)
    K = values.shape[2]
    # the three sums as one product (Kronrod and Gauss weights stacked, the values beside their
    # absolute values): a third of the calls of three einsums, whose set-up is what a single
    # steady state's ~30 panels pay
    sums = (_KRONROD_GAUSS @ np.concatenate([values, np.abs(values)], axis=2)) * half[:, None, None]
    return sums[:, 0, :K], sums[:, 1, :K], sums[:, 0, K:].real


def sweep_totals(
    func: Callable[[np.ndarray, np.ndarray], np.ndarray], edges: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One GK(7,15) sweep over the panels between consecutive ``edges``, summed over the panels:
    the Kronrod integral, the error estimate sum_p abs(K_p - G_p) and the Kronrod integral of
    abs(func), each of shape (K,). The totals of :func:`panel_sums` without its per-panel arrays:
    each total is one product with the nodes' weights, which is what a single steady state's
    ~30 panels need (:func:`strongtherm.negf.fermi_window.integrate_window`)."""
    rule = GAUSS_KRONROD_15
    half, mid = 0.5 * (edges[1:] - edges[:-1]), 0.5 * (edges[1:] + edges[:-1])
    weights = (half[:, None] * rule.weights_kronrod).ravel()
    values = np.asarray(func((mid[:, None] + half[:, None] * rule.nodes).ravel(), weights))
    difference = _KRONROD_MINUS_GAUSS @ values.reshape(half.size, rule.size, -1)  # (P, 1, K), per unit half-width
    return weights @ values, half @ np.abs(difference[:, 0, :]), weights @ np.abs(values)


def gauss_kronrod_panels(
    func: Callable[[np.ndarray, np.ndarray], np.ndarray],
    edges: Sequence[float] | np.ndarray,
    *,
    options: QuadratureOptions | None = None,
    atol: float | None = None,
    max_refinements: int | None = None,
    what: str = "quadrature",
) -> IntegralResult:
    """Globally adaptive GK(7,15) of ``func`` over the union of panels ``edges``, within budget.

    ``func(x, w)`` receives nodes ``x`` (N,) and must return integrand values (N, K) (complex
    allowed); ``w`` are the Kronrod weights times the panel half-width, passed for callers that
    want to fold in Jacobians. Panels whose error exceeds their share of the tolerance (and their
    own rounding floor) are bisected. The cost is bounded by ``options`` (see
    :class:`QuadratureOptions`); stopping above tolerance warns or, if strict, raises.
    ``atol`` and ``max_refinements`` override those of ``options`` (``atol=inf`` with
    ``max_refinements=0``: one sweep over the given panels, e.g. for a coarse first look).
    """
    options = options or DEFAULT_OPTIONS
    atol = options.atol if atol is None else float(atol)
    max_refinements = options.max_refinements if max_refinements is None else int(max_refinements)
    a = np.asarray(edges[:-1], dtype=float)
    b = np.asarray(edges[1:], dtype=float)
    total_width = float(b.sum() - a.sum())
    floor = options.rounding_factor * _EPS
    chunk_panels = 1  # one panel first, to learn the number of components K (P points x quantities)
    accepted_value = accepted_error = accepted_abs = None
    n_eval = 0
    stop_reason = "refinement depth"
    # sibling pairs (panel i and i + m after a bisection): the parent's error score and value,
    # and how many generations looked like rounding noise (see below)
    parent_score: np.ndarray | None = None
    parent_value = np.zeros(0)
    stalls = np.zeros(0, dtype=int)
    noise_limited = False
    for depth in range(max_refinements + 1):
        half = 0.5 * (b - a)
        mid = 0.5 * (a + b)
        parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        lo = 0
        while lo < len(a):
            h, m = half[lo : lo + chunk_panels], mid[lo : lo + chunk_panels]
            lo += chunk_panels
            parts.append(panel_sums(func, m, h))
            n_components = parts[-1][0].shape[1]
            chunk_panels = max(1, options.max_memory_bytes // (15 * n_components * _BYTES_PER_NODE_COMPONENT))
        n_eval += 15 * len(a)
        kronrod, gauss, absolute = (np.concatenate(p) for p in zip(*parts, strict=True))
        del parts
        err = np.abs(kronrod - gauss)
        if accepted_value is None:
            accepted_value = np.zeros(kronrod.shape[1], dtype=kronrod.dtype)
            accepted_error = np.zeros(kronrod.shape[1])
            accepted_abs = np.zeros(kronrod.shape[1])
        assert accepted_error is not None and accepted_abs is not None
        # tolerance of each component: atol, never below the rounding floor of its |integrand|
        tolerance = np.maximum(atol, floor * (accepted_abs + absolute.sum(axis=0)))
        if np.all(accepted_error + err.sum(axis=0) <= tolerance):
            done = np.ones(len(a), dtype=bool)  # the whole integral is within tolerance: stop here
        else:
            share = tolerance[None, :] * ((b - a) / total_width)[:, None]
            done = np.all(err <= np.maximum(share, floor * absolute), axis=1)
        if parent_score is not None:
            # Noise (rounding in the integrand itself, amplified by cancellation) looks like this
            # after a bisection, as in QUADPACK's roundoff test: the two halves add up to the
            # parent's value (no feature was unresolved), yet the error did not fall and is
            # spread over both halves (a singular end point leaves one half smooth). Twice seen,
            # the pair is accepted with its error instead of being bisected without end.
            score = (err / tolerance[None, :]).max(axis=1)
            m = len(parent_score)
            same_value = np.all(
                np.abs(kronrod[:m] + kronrod[m:] - parent_value) <= 1e-5 * (absolute[:m] + absolute[m:]), axis=1
            )
            stalled = (
                same_value
                & (score[:m] + score[m:] >= 0.5 * parent_score)
                & (np.minimum(score[:m], score[m:]) >= 0.05 * parent_score)
            )
            stalls = stalls + stalled
            noise = np.concatenate([stalls >= 2, stalls >= 2])
            noise_limited |= bool(np.any(noise & ~done))
            done |= noise
        if depth == max_refinements:
            done[:] = True  # depth reached: keep what we have, with its error
        # budgets for the next sweep: evaluations, and panels held between sweeps
        n_next = 2 * int(np.sum(~done))
        max_panels = max(2, options.max_memory_bytes // (kronrod.shape[1] * _BYTES_PER_PANEL_COMPONENT))
        if n_next and n_eval + 15 * n_next > options.max_evaluations:
            stop_reason = "evaluation budget"
            done[:] = True
        elif n_next > max_panels:
            # refine only the worst panels that fit; the others keep their value and error
            stop_reason = "memory budget"
            worst = np.argsort(-(err / tolerance[None, :]).max(axis=1))
            keep = np.zeros(len(a), dtype=bool)
            keep[worst[: max_panels // 2]] = True
            done |= ~keep
        accepted_value = accepted_value + kronrod[done].sum(axis=0)
        accepted_error = accepted_error + err[done].sum(axis=0)
        accepted_abs = accepted_abs + absolute[done].sum(axis=0)
        if np.all(done):
            break
        score = (err / tolerance[None, :]).max(axis=1)
        if parent_score is not None:
            stalls = np.concatenate([stalls, stalls])[~done]
        else:
            stalls = np.zeros(int(np.sum(~done)), dtype=int)
        parent_score = score[~done]
        parent_value = kronrod[~done]
        a, b = a[~done], b[~done]
        mids = 0.5 * (a + b)
        a, b = np.concatenate([a, mids]), np.concatenate([mids, b])
    assert accepted_value is not None and accepted_error is not None and accepted_abs is not None
    tolerance = np.maximum(atol, floor * accepted_abs)
    converged = bool(np.all(accepted_error <= tolerance))
    # the error reported is never below the rounding floor: the sum itself is no more exact
    accepted_error = np.maximum(accepted_error, floor * accepted_abs)
    if not converged and noise_limited and stop_reason == "refinement depth":
        stop_reason = "rounding floor"
    result = IntegralResult(
        accepted_value, accepted_error, n_eval, converged, tolerance, "converged" if converged else stop_reason
    )
    _report(result, options, what)
    return result


def _graded(start: float, stop: float, step: float) -> list[float]:
    """Points start + sign * step * 4^k strictly between start and stop (geometric grading)."""
    length = abs(stop - start)
    if step <= 0.0 or length <= step:
        return []
    sign = 1.0 if stop > start else -1.0
    n = math.floor(math.log(length / step) / math.log(4.0))
    return [start + sign * step * 4.0**k for k in range(n + 1) if step * 4.0**k < length]


@dataclass(frozen=True)
class _Segment:
    """One piece of the contour, u in [0, 1] -> z(u), dz/du.

    ``kind`` "line": z = start + u (end - start). ``kind`` "ray": z = mu + d(u) direction with
    d(u) = d0 (d1 / d0)^u, geometric in the distance d from mu, so that a ray from d ~ T to
    d ~ 1e8 keeps the relative resolution of u everywhere (a linear map would resolve z only
    to eps x length, far coarser than the features near its start). ``kind`` "tail": the real
    axis from the finite end ``start`` to infinity on the side of ``direction`` (+1 or -1), with
    z = start + direction c tan(pi v / 2), c = ``center``, v = u (right) or 1 - u (left), so that
    u runs from left to right on both tails.
    """

    kind: str
    start: complex
    end: complex
    center: float = 0.0
    direction: complex = 0.0j

    def at(self, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if self.kind == "line":
            dz = np.full(u.shape, self.end - self.start)
            return self.start + u * dz, dz
        if self.kind == "tail":
            sign = self.direction.real
            v = u if sign > 0.0 else 1.0 - u
            c = self.center
            angle = 0.5 * np.pi * v
            # GK nodes are interior, so v < 1 and tan stays finite (~1e16 c at the last node)
            e = self.start.real + sign * c * np.tan(angle)
            return e.astype(complex), (0.5 * np.pi * c / np.cos(angle) ** 2).astype(complex)
        d0, d1 = self.start.real, self.end.real
        rate = math.log(d1 / d0)
        d = d0 * np.exp(rate * u)
        return self.center + d * self.direction, d * self.direction * rate

    def panel_edges(
        self, center: float, eta: float, breaks: Sequence[float], options: QuadratureOptions
    ) -> list[float]:
        """Initial panel edges in u: graded where this segment meets its features."""
        edges = [0.0, 1.0]
        if self.kind == "tail":  # smooth by construction (every feature lies between the tails)
            return edges + list(np.linspace(0.0, 1.0, max(2, int(options.initial_panels) // 2) + 1))
        if self.kind == "ray":
            d0, d1 = self.start.real, self.end.real
            rate = math.log(d1 / d0)
            edges += list(np.linspace(0.0, 1.0, max(2, int(abs(rate) / math.log(4.0)) + 2)))
            d_breaks = [abs(e - center) for e in breaks if (e - center) * self.direction.real > 0]
            edges += [math.log(d / d0) / rate for d in d_breaks if min(d0, d1) < d < max(d0, d1)]
            return edges
        z0, z1 = self.start, self.end
        if z0.real == z1.real:  # vertical: features sit at its lower end
            y0, y1 = z0.imag, z1.imag
            low, high = min(y0, y1), max(y0, y1)
            ys = _graded(low, high, min(eta, abs(z0.real - center) / 64.0) if low == 0.0 else max(eta, low))
            return edges + [(y - y0) / (y1 - y0) for y in ys] + list(np.linspace(0.0, 1.0, 5))
        # the notch at height eta: Fermi edge and every break energy nearby, graded
        x0, x1 = z0.real, z1.real
        points = [center, *breaks, *_graded(center, x0, eta), *_graded(center, x1, eta)]
        points += [e + s * eta * 4.0**j for e in breaks for j in range(3) for s in (-1.0, 1.0)]
        edges += list(np.linspace(0.0, 1.0, int(options.initial_panels) + 1))
        return edges + [(e - x0) / (x1 - x0) for e in points if min(x0, x1) < e < max(x0, x1)]


def _wedge_path(a: float, b: float, center: float, delta: float | None, eta: float) -> list[_Segment]:
    """Segments from a to b (both on the real axis) along the wedge Im z = slope |Re z - mu|,
    dipping to height eta in the notch [mu - delta, mu + delta] (``delta=None``: mu lies far
    outside [a, b] and there is no notch)."""
    left, right = complex(-1.0, _SLOPE), complex(1.0, _SLOPE)

    def ray(d0: float, d1: float, direction: complex) -> _Segment:
        return _Segment("ray", complex(d0), complex(d1), center, direction)

    def line(z0: complex, z1: complex) -> _Segment:
        return _Segment("line", z0, z1)

    if delta is None:
        direction = right if a > center else left
        d_a, d_b = abs(a - center), abs(b - center)
        return [
            line(complex(a, 0.0), complex(a, _SLOPE * d_a)),
            ray(d_a, d_b, direction),
            line(complex(b, _SLOPE * d_b), complex(b, 0.0)),
        ]
    lo, hi = center - delta, center + delta
    path: list[_Segment] = []
    if a < lo:
        d_a = center - a
        path += [line(complex(a, 0.0), complex(a, _SLOPE * d_a)), ray(d_a, delta, left)]
        path.append(line(complex(lo, _SLOPE * delta), complex(lo, eta)))
    else:
        path.append(line(complex(lo, 0.0), complex(lo, eta)))
    path.append(line(complex(lo, eta), complex(hi, eta)))
    if b > hi:
        d_b = b - center
        path += [line(complex(hi, eta), complex(hi, _SLOPE * delta)), ray(delta, d_b, right)]
        path.append(line(complex(b, _SLOPE * d_b), complex(b, 0.0)))
    else:
        path.append(line(complex(hi, eta), complex(hi, 0.0)))
    return path


def integrate_contour(
    func: Callable[[np.ndarray, np.ndarray], np.ndarray],
    *,
    spectrum: tuple[float, float],
    center: float,
    scale: float,
    eta: float,
    break_energies: Sequence[float],
    options: QuadratureOptions,
    tails: bool = False,
) -> IntegralResult:
    """Integrate ``func(z, dz) -> (N, K)`` (real) along the contour that replaces e + i0.

    ``func`` receives the nodes z (N,) and the line elements dz/dt (N,) of the contour
    parameter t, and returns the real projection of K(z) F(z) dz/dt (e.g. -Im[...] / pi).

    * Bounded spectrum (``tails=False``): ``spectrum = (low, high)`` holds all spectral weight,
      bound states included, so the real axis outside [a, b] = [low - m, high + m] carries no
      weight (m = margin), and the integral runs along the notched wedge of the module docstring:
      up from a to the wedge Im z = |Re z - center|, along it, down to eta in the notch
      |Re z - center| <= delta, across, up again, along the wedge and down to b.
    * ``tails=True`` (a continuum reaching infinity): ``spectrum`` holds every finite feature
      (band edges, levels, real poles); the same wedge runs from a to b, now always with its
      notch, and the real axis beyond them (smooth there) is integrated as two mapped tails of
      length scale ``scale``. Real poles need no adding: they lie inside the path.

    ``center`` is mu, ``eta`` the height of the crossing (< pi T), ``scale`` the length scale of
    the tails' map (the spectrum's width; unused without tails); ``break_energies`` (band edges, mu, levels) become panel edges where the contour runs low,
    graded by powers of 4 in eta.

    Raises
    ------
    NumericsError
        ``func`` returned NaN or inf at a node: never a silent NaN result.
    """
    breaks = [e for e in break_energies if np.isfinite(e)]
    temperature = eta / (options.eta_fraction * np.pi)
    # a margin that grows with the distance from mu keeps the outer sides far from every pole:
    # near a pole of a large-scale G (|eps_s| or V huge) its evaluation cancels digits in
    # proportion to |z| / distance. (Not a margin ~ the global scale: a level at 1e8 would then
    # stretch the far side, where |e f G| piles up magnitude and so rounding.)
    a = spectrum[0] - max(20.0 * eta, 0.05 * abs(spectrum[0] - center))
    b = spectrum[1] + max(20.0 * eta, 0.05 * abs(spectrum[1] - center))
    top = max(abs(a - center), abs(b - center), eta)
    # notch: the only place where the contour must run below pi T
    delta = temperature * (_NOTCH_EXPONENT + max(0.0, math.log(_SLOPE * top / temperature)))
    # with tails the Fermi edge is always crossed in the notch, never on a tail
    notch = tails or a - delta <= center <= b + delta
    if notch:
        a, b = min(a, center - delta), max(b, center + delta)
    segments = _wedge_path(a, b, center, delta if notch else None, eta)
    if tails:
        segments = [
            _Segment("tail", complex(a), complex(-np.inf), scale, complex(-1.0)),
            *segments,
            _Segment("tail", complex(b), complex(np.inf), scale, complex(1.0)),
        ]
    n_seg = len(segments)

    contour_edges: list[float] = []
    for k, segment in enumerate(segments):
        contour_edges += [k + u for u in segment.panel_edges(center, eta, breaks, options)]
    t_grid = np.unique(np.asarray(contour_edges, dtype=float))

    def on_path(t: np.ndarray, _w: np.ndarray) -> np.ndarray:
        k = np.clip(np.floor(t).astype(int), 0, n_seg - 1)
        u = t - k  # exact; the segments map u in [0, 1] with relative resolution (see _Segment)
        z = np.empty(t.shape, dtype=complex)
        dz = np.empty(t.shape, dtype=complex)
        for j, segment in enumerate(segments):
            on = k == j
            if np.any(on):
                z[on], dz[on] = segment.at(u[on])
        values = np.asarray(func(z, dz))
        finite = np.isfinite(values)
        if not finite.all():  # a NaN would spend the whole budget and come back as the result
            bad = int(np.argwhere(~finite)[0][0])
            raise NumericsError(
                f"the energy integrand is not finite at z = {complex(z[bad]):.10g} (a singular point of the "
                "model's Green's function on the path); no result is returned rather than NaN"
            )
        return values

    return gauss_kronrod_panels(on_path, t_grid, options=options, what="energy quadrature")
