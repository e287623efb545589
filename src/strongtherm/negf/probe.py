"""The local temperature and chemical potential of a biased system, read by a probe reservoir
(Stafford, PRB 93, 245403 (2016), ref. [44] of Kumar et al. 2024)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ..core.validation import check_integer
from ..core.warnings import NumericsError
from ..thermal import Bath
from .fermi_window import (
    WINDOW_WIDTH,
    break_points,
    fermi_window,
    greens_and_self_energies,
    integrate_window,
    level_widths,
    transmissions,
    window_segments,
)
from .integrate import DEFAULT_OPTIONS, QuadratureOptions
from .system import ModelPoint, OpenSystem
from .transport import SteadyState, as_point, check_baths, steady_state

__all__ = ["ProbeReading", "probe"]


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
    segments = window_segments(point, fermi_window(baths, WINDOW_WIDTH))
    if not segments:
        raise ValueError("probe: the Fermi window of the baths lies outside every band")

    def integrand(e: np.ndarray, _w: np.ndarray) -> np.ndarray:
        G, sigmas = greens_and_self_energies(point, e)
        T_pb = transmissions(G, level_widths(sigmas))[0][:, k, :].T  # (R, E)
        f = np.stack([b.fermi(e) for b in baths])
        current = T_pb.sum(axis=0) * f[k] - np.einsum("be,be->e", T_pb, f)
        weight = -T_pb.sum(axis=0) * probe_bath.T * probe_bath.fermi_derivative(e)  # w f_p (1 - f_p)
        d = e - probe_bath.mu
        return np.stack([current, d * current, weight, weight * d, weight * d * d], axis=1) / (2.0 * np.pi)

    values, errs = integrate_window(integrand, break_points(point, segments, baths), options, "probe energy integral")
    hessian = np.array([[values[2], values[3]], [values[3], values[4]]])
    return values[:2], hessian, float(max(errs[0], errs[1]))


def probe(
    model: OpenSystem,
    baths: Sequence[Bath] | Mapping[int | str, Bath],
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
    point = as_point(model, params, kwargs)
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
