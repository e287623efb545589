"""Work statistics of the two-point measurement (TPM) scheme: the result types both engines return.

A TPM of an observable X measures X_A at the start, lets the process run, and measures X_B at the
end; the work is the difference of the two outcomes. With X = H (the universe's Hamiltonian) and
the global Gibbs state at the start, the Jarzynski equality <e^{-beta W}> = e^{-beta Delta F} holds
with Delta F of the universe, which is Delta F*_S when the reservoir's Hamiltonian is fixed
(Campisi, Talkner & Hanggi, PRL 102, 210401 (2009)); measuring system operators only is the open
question of Davoudi et al. (2025), which :class:`WorkDistribution` lets one audit.

* :class:`WorkDistribution`: a discrete P(W) (finite composites: every pair of eigenvalues), with
  its moments, cumulants, characteristic function and the Jarzynski gap;
* :class:`CharacteristicFunction`: chi(u) = <e^{i u W}> on a grid of u (many-fermion universes,
  where the outcomes are too many to list), with exact low cumulants beside it and P(W) by a
  discrete Fourier transform at a stated resolution.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

__all__ = ["CharacteristicFunction", "WorkDistribution", "crooks_deviation"]


@dataclass(frozen=True)
class WorkDistribution:
    """A discrete work distribution P(W) of a two-point measurement.

    Attributes
    ----------
    values : ndarray, (K,)
        The distinct outcomes W (sorted; outcomes closer than ``resolution`` merged), in units of
        energy.
    probabilities : ndarray, (K,)
        Their probabilities (non-negative, summing to 1 within rounding).
    beta : float
        Inverse temperature of the initial Gibbs state.
    delta_F : float
        The free-energy difference the Jarzynski equality is tested against (Delta F*_S for a
        process that leaves the reservoir's Hamiltonian alone), in units of energy.
    measured : str
        What was measured at both ends (``"universe"``: H; ``"H_S"``, ``"H*"``, ``"E*"``: system
        operators; ``"H_S+H_SR"``).
    resolution : float
        Outcomes closer than this were merged into one value.
    """

    values: np.ndarray
    probabilities: np.ndarray
    beta: float
    delta_F: float
    measured: str
    resolution: float = 0.0

    def moment(self, k: int) -> float:
        """<W^k>."""
        return float(np.sum(self.probabilities * self.values**k))

    @property
    def mean(self) -> float:
        """<W>."""
        return self.moment(1)

    @property
    def variance(self) -> float:
        """<W^2> - <W>^2, taken about the mean (no cancellation of two large moments)."""
        return float(np.sum(self.probabilities * (self.values - self.mean) ** 2))

    def cumulant(self, k: int) -> float:
        """The k-th cumulant (k = 1..4) about the mean."""
        centred = self.values - self.mean
        m = [float(np.sum(self.probabilities * centred**j)) for j in range(5)]
        table = {1: self.mean, 2: m[2], 3: m[3], 4: m[4] - 3.0 * m[2] ** 2}
        if k not in table:
            raise ValueError(f"k must be 1, 2, 3 or 4, got {k!r}")
        return table[k]

    def characteristic_function(self, u: np.ndarray | float) -> np.ndarray:
        """chi(u) = <e^{i u W}> at any u (units of 1/energy)."""
        u = np.asarray(u, dtype=float)
        chi: np.ndarray = np.exp(1j * u[..., None] * self.values) @ self.probabilities
        return chi

    @property
    def jarzynski_average(self) -> float:
        """<e^{-beta W}>, summed with the largest exponent factored out (no overflow)."""
        x = -self.beta * self.values
        top = float(np.max(x[self.probabilities > 0])) if np.any(self.probabilities > 0) else 0.0
        return float(math.exp(top) * np.sum(self.probabilities * np.exp(x - top)))

    @property
    def jarzynski_gap(self) -> float:
        """ln<e^{-beta W}> + beta Delta F: 0 where the Jarzynski equality holds (dimensionless)."""
        x = -self.beta * self.values
        keep = self.probabilities > 0
        top = float(np.max(x[keep]))
        return top + math.log(float(np.sum(self.probabilities[keep] * np.exp(x[keep] - top)))) + self.beta * self.delta_F

    @property
    def dissipated_work(self) -> float:
        """<W> - Delta F (>= 0 when the Jarzynski equality holds, by Jensen)."""
        return self.mean - self.delta_F

    def to_dict(self) -> dict[str, float]:
        """Scalars: mean, variance, third and fourth cumulants, the Jarzynski gap, Delta F."""
        return {"work_mean": self.mean, "work_variance": self.variance, "work_cumulant_3": self.cumulant(3),
                "work_cumulant_4": self.cumulant(4), "jarzynski_gap": self.jarzynski_gap, "delta_F_S": self.delta_F}

    def __repr__(self) -> str:
        return (f"WorkDistribution({self.measured}: {self.values.size} outcomes, <W>={self.mean:.6g}, "
                f"var={self.variance:.6g}, Jarzynski gap={self.jarzynski_gap:.3g})")


def crooks_deviation(forward: WorkDistribution, backward: WorkDistribution, *, atol: float = 1e-12) -> float:
    """Largest abs(ln[P_F(W) / P_B(-W)] - beta (W - Delta F)) over the outcomes both processes share.

    The Crooks relation P_F(W) / P_B(-W) = e^{beta (W - Delta F)} (Crooks 1999; Talkner & Hanggi
    2007 for the TPM) makes this zero; outcomes with P below ``atol`` in either direction are left
    out (their ratio is rounding).
    """
    if forward.beta != backward.beta:
        raise ValueError(f"forward and backward must share beta, got {forward.beta} and {backward.beta}")
    scale = max(1.0, float(np.max(np.abs(forward.values))))
    tolerance = max(forward.resolution, backward.resolution, 1e-9 * scale)
    worst = 0.0
    for W, P in zip(forward.values, forward.probabilities, strict=True):
        k = int(np.argmin(np.abs(backward.values + W)))
        if abs(backward.values[k] + W) > tolerance or P < atol or backward.probabilities[k] < atol:
            continue
        gap = math.log(P / backward.probabilities[k]) - forward.beta * (W - forward.delta_F)
        worst = max(worst, abs(gap))
    return worst


@dataclass(frozen=True)
class CharacteristicFunction:
    """chi(u) = <e^{i u W}> of a two-point measurement on a grid of u.

    Attributes
    ----------
    u : ndarray, (M,)
        The grid, in units of 1/energy (equally spaced from 0 for :meth:`distribution`).
    values : ndarray, (M,)
        chi(u).
    beta, delta_F, measured
        As in :class:`WorkDistribution`.
    cumulants : mapping
        Exact low cumulants computed beside the grid (``"mean"``, ``"variance"``), not from it.
    """

    u: np.ndarray
    values: np.ndarray
    beta: float
    delta_F: float
    measured: str
    cumulants: Mapping[str, float] = field(default_factory=dict)

    def distribution(self, centre: float | None = None) -> tuple[np.ndarray, np.ndarray, float]:
        """P(W) from chi by P(W) = (1/2pi) int du chi(u) e^{-i u W}, a Hann-tapered sum over
        u in [-u_max, u_max] (chi(-u) = conj chi(u)).

        Returns (W, density, resolution): 2M - 1 values of W spaced 2 pi / ((2M - 1) du) around
        ``centre`` (default the exact mean), the density (units of 1/energy), and the resolution
        ~ 2 pi / u_max below which structure is smoothed out. The grid must be equally spaced from
        u = 0; outcomes farther than pi / du from the centre fold back (aliasing): choose du below
        pi / (range of W).
        """
        du = np.diff(self.u)
        if self.u.size < 2 or self.u[0] != 0.0 or not np.allclose(du, du[0], rtol=1e-9, atol=0.0):
            raise ValueError("distribution() needs u equally spaced from u = 0 (at least two values)")
        step = float(du[0])
        u = np.concatenate([-self.u[:0:-1], self.u])
        chi = np.concatenate([np.conj(self.values[:0:-1]), self.values])
        taper = 0.5 * (1.0 + np.cos(np.pi * u / (self.u[-1] + step)))  # Hann window, 1 at u = 0
        n = u.size
        mid = self.cumulants.get("mean", 0.0) if centre is None else float(centre)
        W = mid + (np.arange(n) - n // 2) * (2.0 * np.pi / (n * step))
        density = (step / (2.0 * np.pi)) * np.real(np.exp(-1j * np.outer(W, u)) @ (chi * taper))
        return W, density, 2.0 * np.pi / float(self.u[-1])

    def __repr__(self) -> str:
        return (f"CharacteristicFunction({self.measured}: {self.u.size} values of u up to {self.u[-1]:.4g}, "
                f"cumulants {dict(self.cumulants)})")
