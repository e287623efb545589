"""Quasistatic processes along a path in parameter space (Kumar, Webb & Stafford 2024).

Along a path lambda(s), s in [0, 1], the system stays in equilibrium with the reservoir at
(T, mu). With d/dt -> d/ds (quasistatic: only the path matters, not its speed):

* W_ext = int ds sum_k lambda_k'(s) [<dH_S/dlambda_k> + <dH_SR/dlambda_k>]      (Eqs. 2, 19-20)
  from the integrated power, never from a difference of Omegas, so that the work sum rule
  W_ext = Delta Omega_S + Delta(dOmega_R) (Eq. 15) is a real check;
* W_S = W_ext - Delta(dOmega_R)                                                   (Eq. 18);
* nonlocal work on the system, int I_S^W ds, from Eq. (21) (integrated directly, with the
  second term as its own energy integral) and from Eq. (13): Delta Omega_S - int <dH|_S>;
  the nonlocal work on the reservoir is its negative;
* alpha-W_S = int <dH_S + alpha dH_SR>                                            (Eq. 23);
* Delta S^EOG(alpha) = [Delta(alpha-U_S) - mu Delta N_S - alpha-W_S] / T          (Eq. 25);
* residuals of the sum rule (Eq. 15) and of the first law (Eq. 17).

The s-integrals use Gauss-Kronrod (7, 15) on panels that never straddle a corner of the path;
their error estimate is |K15 - G7| summed over panels. All path nodes share one batch of energy
integrals (:func:`.partition.energy_integrals`, pole road by default), the panel edges another.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ..core.display import html_of_values
from ..core.quantities import key as quantity_key
from ..core.validation import check_alpha_partition, check_integer
from ..path import Path
from ..thermal import Bath
from .integrate import GAUSS_KRONROD_15, QuadratureOptions
from .partition import Equilibrium, energy_integrals, equilibria
from .system import OpenSystem, check_path

__all__ = ["QuasistaticProcess", "quasistatic"]


@dataclass(frozen=True)
class QuasistaticProcess:
    """Works, state-function changes and checks of one quasistatic process.

    ``path_s`` are the panel edges in s, with the cumulative works ``cumulative`` (dict of
    arrays: "W_ext", "H_S", "H_SR", "nonlocal") and the equilibria ``states`` at those edges,
    so curves such as Fig. 1's W_ext and Delta Omega_S versus the driven parameter can be drawn.
    """

    model: OpenSystem
    bath: Bath
    path: Path
    start: Equilibrium
    end: Equilibrium
    path_s: np.ndarray
    states: tuple[Equilibrium, ...]
    cumulative: Mapping[str, np.ndarray]
    errors: Mapping[str, float]
    n_path_nodes: int

    def _repr_html_(self) -> str:
        return html_of_values(f"QuasistaticProcess: {self.model.name}, {self.path.label}", self.to_dict())

    def __repr__(self) -> str:
        return (
            f"QuasistaticProcess({self.model.name}; {self.path.label}; T={self.bath.T:g}, mu={self.bath.mu:g})\n"
            f"  W_ext={self.W_ext:.10g}  W_S={self.W_S:.10g}  nonlocal_work={self.nonlocal_work:.10g}\n"
            f"  sum-rule residual={self.sum_rule_residual:.2g}  first-law residual={self.first_law_residual:.2g}"
        )

    def to_dict(self, alphas: Sequence[float] = ()) -> dict[str, float]:
        """The scalar results as a flat dict of plain floats (for sweeps, JSON and tables).

        Keys: ``W_ext``, ``W_S``, ``work_H_S``, ``work_H_SR``, ``nonlocal_work``,
        ``nonlocal_work_eq13``, ``nonlocal_work_on_reservoir``, ``delta_Omega_S``,
        ``delta_dOmega_R``, ``delta_S_S``, ``sum_rule_residual``, ``first_law_residual``,
        ``nonlocal_work_discrepancy``, ``error_<column>`` (s-quadrature error estimates); for each
        ``a`` in ``alphas``: ``alpha_work_<a>`` (Eq. 23), ``entropy_change_EOG_<a>`` (Eq. 25) and
        ``alpha_entropy_change_<a>`` (Eq. 24). Energies in the model's unit, entropies in nats.

        Parameters
        ----------
        alphas : sequence of float
            Fractions of the alpha-partition, each in [0, 1].
        """

        names = (
            "W_ext", "W_S", "work_H_S", "work_H_SR", "nonlocal_work", "nonlocal_work_eq13",
            "nonlocal_work_on_reservoir", "delta_Omega_S", "delta_dOmega_R", "delta_S_S",
            "sum_rule_residual", "first_law_residual", "nonlocal_work_discrepancy",
        )  # fmt: skip
        out = {name: float(getattr(self, name)) for name in names}
        out.update({f"error_{column}": float(e) for column, e in self.errors.items()})
        for a in alphas:
            out[quantity_key("alpha_work", alpha=a)] = self.alpha_work(a)
            out[quantity_key("entropy_change_EOG", alpha=a)] = self.entropy_change_EOG(a)
            out[quantity_key("alpha_entropy_change", alpha=a)] = self.alpha_entropy_change(a)
        return out

    # ---------------------------------------------------------------- path integrals
    @property
    def W_ext(self) -> float:
        """External work, time-integrated power <dH/dt> (Eqs. 2, 19-20)."""
        return float(self.cumulative["W_ext"][-1])

    @property
    def work_H_S(self) -> float:
        """int <dH_S/dt> dt (Eq. 19)."""
        return float(self.cumulative["H_S"][-1])

    @property
    def work_H_SR(self) -> float:
        """int <dH_SR/dt> dt (Eq. 20)."""
        return float(self.cumulative["H_SR"][-1])

    @property
    def nonlocal_work(self) -> float:
        """Nonlocal work done on the system, int I_S^W dt, from Eq. (21)."""
        return float(self.cumulative["nonlocal"][-1])

    @property
    def nonlocal_work_eq13(self) -> float:
        """Nonlocal work on the system from Eq. (13): Delta Omega_S - int <dH_S + dH_SR / 2>."""
        return self.delta_Omega_S - (self.work_H_S + 0.5 * self.work_H_SR)

    @property
    def nonlocal_work_on_reservoir(self) -> float:
        """Nonlocal work done on the reservoir: minus :attr:`nonlocal_work`."""
        return -self.nonlocal_work

    def alpha_work(self, alpha: float) -> float:
        """alpha-W_S = int <dH_S + alpha dH_SR> (Eq. 23), alpha in [0, 1]; path dependent."""
        a = check_alpha_partition(alpha)
        return self.work_H_S + a * self.work_H_SR

    # ---------------------------------------------------------------- state functions
    @property
    def delta_Omega_S(self) -> float:
        return self.end.system.Omega - self.start.system.Omega

    @property
    def delta_dOmega_R(self) -> float:
        """Delta(delta Omega_R): change of the reservoir's grand-potential change."""
        return self.end.reservoir.Omega - self.start.reservoir.Omega

    @property
    def delta_S_S(self) -> float:
        return self.end.system.S - self.start.system.S

    @property
    def W_S(self) -> float:
        """Thermodynamic work on the system, W_ext - Delta(dOmega_R) (Eq. 18)."""
        return self.W_ext - self.delta_dOmega_R

    def alpha_entropy_change(self, alpha: float) -> float:
        """Delta(alpha-S_S), Eq. (24) at the end points."""
        return self.end.alpha_entropy(alpha) - self.start.alpha_entropy(alpha)

    def entropy_change_EOG(self, alpha: float) -> float:
        """Delta S_S^EOG = [Delta(alpha-U_S) - mu Delta N_S - alpha-W_S] / T (Eq. 25)."""
        a = check_alpha_partition(alpha)
        dU = self.end.alpha_energy(a) - self.start.alpha_energy(a)
        dN = self.end.system.N - self.start.system.N
        return (dU - self.bath.mu * dN - self.alpha_work(a)) / self.bath.T

    # ---------------------------------------------------------------- checks
    @property
    def sum_rule_residual(self) -> float:
        """W_ext - Delta Omega_S - Delta(dOmega_R), Eq. (15): zero up to quadrature error."""
        return self.W_ext - self.delta_Omega_S - self.delta_dOmega_R

    @property
    def first_law_residual(self) -> float:
        """Delta U_S - T Delta S_S - mu Delta N_S - W_S, Eq. (17) integrated."""
        s0, s1 = self.start.system, self.end.system
        return (s1.U - s0.U) - self.bath.T * (s1.S - s0.S) - self.bath.mu * (s1.N - s0.N) - self.W_S

    @property
    def nonlocal_work_discrepancy(self) -> float:
        """Eq. (21) minus Eq. (13): two independent roads to the nonlocal work."""
        return self.nonlocal_work - self.nonlocal_work_eq13


def quasistatic(
    model: OpenSystem,
    bath: Bath,
    path: Path,
    *,
    panels_per_segment: int = 4,
    options: QuadratureOptions | None = None,
    progress: Callable[[int, int], None] | None = None,
    method: str | None = None,
) -> QuasistaticProcess:
    """Quasistatic process of ``model`` in ``bath`` along ``path``.

    Parameters
    ----------
    model : OpenSystem
    bath : Bath
    path : Path
        E.g. ``st.Path.line({"eps_s": 0.0, "V": 0.6}, {"eps_s": 1.0, "V": 0.4})``; its parameter
        names must be parameters of ``model``; parameters not on the path must have defaults.
    panels_per_segment : int
        GK15 panels in s on each smooth segment of the path (cumulative works are reported at
        panel edges).
    options : QuadratureOptions, optional
        Energy-integral tolerances.
    progress : callable, optional
        ``progress(done, total)`` after each of the two batches (path nodes, panel edges).
    method : {"poles", "contour"}, optional
        Road to the energy integrals (:func:`.partition.equilibrium`); default poles where it applies.
    """
    check_path(model, path)
    edges = path.panel_edges(check_integer("panels_per_segment", panels_per_segment, low=1))

    # all GK15 nodes of all panels in one batch of energy integrals (rates only) ...
    half = 0.5 * np.diff(edges)
    mid = 0.5 * (edges[:-1] + edges[1:])
    rule = GAUSS_KRONROD_15
    nodes = (mid[:, None] + half[:, None] * rule.nodes[None, :]).ravel()
    directions = [dict(path.derivative(float(s))) for s in nodes]
    node_points = model.resolve_along(path, nodes)
    rates_integrals, _ = energy_integrals(
        model, bath, node_points, quantities="rates", directions=directions, options=options, method=method
    )
    if progress is not None:
        progress(1, 2)
    # ... and the full equilibria at the panel edges in another
    states = equilibria(model, bath, model.resolve_along(path, edges), options=options, method=method)
    if progress is not None:
        progress(2, 2)

    p_S = np.array([sum(v * rates_integrals.powers_S[k][i] for k, v in d.items()) for i, d in enumerate(directions)])
    p_SR = np.array([sum(v * rates_integrals.powers_SR[k][i] for k, v in d.items()) for i, d in enumerate(directions)])
    assert rates_integrals.nonlocal_density is not None
    rates = np.stack([p_S + p_SR, p_S, p_SR, -0.5 * p_SR + rates_integrals.nonlocal_density], axis=1)  # Eq. (21)
    rates = rates.reshape(len(half), rule.size, 4)
    kronrod = np.einsum("j,pjc->pc", rule.weights_kronrod, rates) * half[:, None]
    gauss = np.einsum("j,pjc->pc", rule.weights_gauss, rates) * half[:, None]
    columns = ("W_ext", "H_S", "H_SR", "nonlocal")
    cumulative = {c: np.concatenate([[0.0], np.cumsum(kronrod[:, i])]) for i, c in enumerate(columns)}
    errors = {c: float(np.abs(kronrod[:, i] - gauss[:, i]).sum()) for i, c in enumerate(columns)}
    total = len(half)
    return QuasistaticProcess(
        model=model,
        bath=bath,
        path=path,
        start=states[0],
        end=states[-1],
        path_s=edges,
        states=tuple(states),
        cumulative=cumulative,
        errors=errors,
        n_path_nodes=15 * total,
    )
