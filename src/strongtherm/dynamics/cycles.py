"""One period of a periodically driven system between reservoirs: a cyclic machine at finite speed.

A level driven periodically between a hot and a cold lead (or against a bias) is a heat engine,
a refrigerator or a pump. Over one period [t_0, t_0 + P] of a :class:`~strongtherm.dynamics.Drive`
(signs of docs/conventions.rst: work on the system and heat into it are positive):

* W = W_ext(t_0 + P) - W_ext(t_0), the work of the driving (time-integrated power);
* Q_alpha = -Delta<H_alpha - mu_alpha N_alpha>, the heat from reservoir alpha, and
  n_alpha = -Delta N_alpha, the particles it sent into the system;
* the first law of the closed universe, W = Delta<H_S + H_SR> + sum_alpha Delta<H_alpha>, reads
  W + sum_alpha (Q_alpha + mu_alpha n_alpha) = Delta<H_S + H_SR>: ``energy_balance`` is its
  left side minus its right side (zero up to the integrator's error, on any interval);
* in the periodic regime every system energy (Hilbert-space U_S = <H_S> + <H_SR>/2, the
  alpha-partitions, <H_S>, and U_H*, U_E* where defined) returns to its value, so
  W + sum_alpha (Q_alpha + mu_alpha n_alpha) ~ 0 whichever definition is used:
  ``delta_system_energy`` lists their changes over the period side by side, the measure of how
  periodic the state is;
* output power P_out = -(W + sum_alpha mu_alpha n_alpha) / P (the work delivered, against the driving
  and against the bias; positive for an engine; equals sum_alpha Q_alpha / P in the periodic
  regime and -sum_alpha mu_alpha I_alpha for a steady state without driving, as
  :attr:`strongtherm.negf.SteadyState.power`); efficiency P_out P / sum_{Q_alpha > 0} Q_alpha when
  P_out > 0 (NaN otherwise); entropy production Delta S_S - sum_alpha Q_alpha / T_alpha (>= 0 over a
  period of the periodic regime, where Delta S_S ~ 0).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Protocol

import numpy as np

from ..core.validation import check_real
from ..thermal import Bath

__all__ = ["Cycle", "one_cycle"]

#: An output time matches a requested cycle end within this relative tolerance (rounding of t_0 + k P).
TIME_MATCH_RTOL = 1e-9


@dataclass(frozen=True)
class Cycle:
    """Energetics of one period [start, start + period] of a drive (module docstring).

    Attributes
    ----------
    start, period : float
        In units of hbar / energy.
    work : float
        W, work done on the system by the driving over the period.
    lead_heat, pumped_charge : ndarray (R,)
        Q_alpha and n_alpha = -Delta N_alpha, into the system from each reservoir.
    chemical_work : float
        sum_alpha mu_alpha n_alpha, the energy the particles bring at their leads' mu.
    delta_system_energy : mapping
        Change over the period of every system energy of the drive (``"hilbert"``, ``"alpha=0"``,
        ``"alpha=0.5"``, ``"alpha=1"``, ``"H_S"``, ``"H*"``, ``"E*"``; NaN where not defined).
    delta_system_entropy, delta_particle_number : float
        Changes of S_S (nats) and N_S over the period.
    energy_balance : float
        W + sum_alpha (Q_alpha + mu_alpha n_alpha) - Delta<H_S + H_SR> (the first law; 0 up to the
        integrator's error).
    power : float
        Output power -(W + chemical_work) / period (> 0 for an engine).
    efficiency : float
        power * period / (heat from the reservoirs that give heat), NaN unless an engine.
    entropy_production : float
        Delta S_S - sum_alpha Q_alpha / T_alpha.
    """

    start: float
    period: float
    work: float
    lead_heat: np.ndarray
    pumped_charge: np.ndarray
    chemical_work: float
    delta_system_energy: Mapping[str, float]
    delta_system_entropy: float
    delta_particle_number: float
    energy_balance: float
    power: float
    efficiency: float
    entropy_production: float

    def to_dict(self) -> dict[str, float]:
        """Plain floats (``lead_heat_k``, ``pumped_charge_k`` per reservoir)."""
        out = {
            "start": self.start,
            "period": self.period,
            "work": self.work,
            "chemical_work": self.chemical_work,
            "energy_balance": self.energy_balance,
            "power": self.power,
            "efficiency": self.efficiency,
            "entropy_production": self.entropy_production,
            "delta_system_entropy": self.delta_system_entropy,
            "delta_particle_number": self.delta_particle_number,
        }
        for k, (q, n) in enumerate(zip(self.lead_heat, self.pumped_charge, strict=True)):
            out[f"lead_heat_{k}"], out[f"pumped_charge_{k}"] = float(q), float(n)
        for name, value in self.delta_system_energy.items():
            out[f"delta_system_energy[{name}]"] = value
        return {k: float(v) for k, v in out.items()}


class _Run(Protocol):
    """What a cycle reads of a :class:`~strongtherm.dynamics.Drive` (which imports this module)."""

    # read-only members: the Drive is frozen
    @property
    def times(self) -> np.ndarray: ...
    @property
    def baths(self) -> tuple[Bath, ...]: ...
    @property
    def W_ext(self) -> np.ndarray: ...
    @property
    def lead_heat(self) -> np.ndarray: ...
    @property
    def pumped_charge(self) -> np.ndarray: ...
    @property
    def system_energy(self) -> Mapping[str, np.ndarray]: ...
    @property
    def system_entropy(self) -> np.ndarray: ...
    @property
    def particle_number(self) -> np.ndarray: ...


def _index(times: np.ndarray, t: float, what: str) -> int:
    i = int(np.argmin(np.abs(times - t)))
    if abs(times[i] - t) > TIME_MATCH_RTOL * max(1.0, abs(t)):
        raise ValueError(
            f"cycle: {what} = {t:.10g} is not an output time of the drive (nearest {times[i]:.10g}); "
            "put the cycle's start and end in drive(..., times=...)"
        )
    return i


def one_cycle(run: _Run, start: float, period: float) -> Cycle:
    """The :class:`Cycle` of ``run`` over [start, start + period], both output times of the run.

    Raises
    ------
    ValueError
        If ``period`` is not > 0, or ``start`` or ``start + period`` is not an output time.
    """
    period = check_real("period", period, low=0.0, low_inclusive=False)
    start = check_real("start", start, low=0.0)
    i, j = _index(run.times, start, "start"), _index(run.times, start + period, "start + period")
    mu = np.array([b.mu for b in run.baths])
    beta = np.array([b.beta for b in run.baths])
    W = float(run.W_ext[j] - run.W_ext[i])
    Q = run.lead_heat[j] - run.lead_heat[i]
    n = run.pumped_charge[j] - run.pumped_charge[i]
    chemical = float(mu @ n)
    delta_U = {k: float(v[j] - v[i]) for k, v in run.system_energy.items()}
    dS = float(run.system_entropy[j] - run.system_entropy[i])
    output = -(W + chemical)
    heat_in = float(np.sum(np.clip(Q, 0.0, None)))
    return Cycle(
        start=start,
        period=period,
        work=W,
        lead_heat=Q,
        pumped_charge=n,
        chemical_work=chemical,
        delta_system_energy=MappingProxyType(delta_U),
        delta_system_entropy=dS,
        delta_particle_number=float(run.particle_number[j] - run.particle_number[i]),
        energy_balance=W + float(np.sum(Q)) + chemical - delta_U["alpha=1"],
        power=output / period,
        efficiency=output / heat_in if output > 0.0 and heat_in > 0.0 else math.nan,
        entropy_production=dS - float(Q @ beta),
    )
