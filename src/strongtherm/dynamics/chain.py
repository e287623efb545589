"""Chain representation of reservoirs, and the choice of the chain length for a time window.

Every reservoir of the dynamics engine is a semi-infinite chain, and the universe is the system
plus those chains cut at L sites: :class:`strongtherm.negf.universe.Universe`, whose module gives
the chain of each reservoir type (:func:`~strongtherm.negf.universe.chain_mapping`, re-exported here).

Cutting the chain at L sites is exact for the dynamics until the wave front sent out by the
driving returns from site L: fronts move at most at v_max = 2 max abs(b_j), so the return time is
about 2 L / v_max (DESIGN.md, "Finite speed"). Thermodynamics converges once the level spacing
~ 2 pi b / L is well below T; the error falls like exp(-2 pi T L / v_F), v_F the group velocity
at mu (a Poisson-summation estimate; :mod:`strongtherm.negf.finite_chain` measured
7e-4, 6e-8, 2e-13 at L = 200, 400, 800 for T = 0.02, t0 = 1.25, matching
15 exp(-2 pi T L / v_F) with v_F = 2 t0).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from ..core.validation import check_integer, check_real
from ..negf.system import OpenSystem
from ..negf.universe import LORENTZIAN_CUTOFF, ChainMapping, chain_mapping
from ..thermal import Bath

__all__ = [
    "ChainLength",
    "ChainMapping",
    "chain_length",
    "chain_mapping",
]

#: Prefactor of the finite-size estimate 15 exp(-2 pi T L / v_F) (calibrated on finite_chain's table).
_THERMAL_PREFACTOR = 15.0


@dataclass(frozen=True)
class ChainLength:
    """The chain length chosen for a time window, and why.

    Attributes
    ----------
    L : int
        Sites per chain.
    thermal_length, return_length : int
        Lengths needed by the thermodynamic finite-size tolerance and by the return time.
    thermal_error : float
        Estimated finite-size error of equilibrium quantities at L, 15 exp(-2 pi T L / v_F).
    return_time : float
        2 L / v_max: the wave front sent by the driving at t = 0 is back at the system then.
    window : float
        The requested time window [0, window].
    mappings : tuple of ChainMapping
    """

    L: int
    thermal_length: int
    return_length: int
    thermal_error: float
    return_time: float
    window: float
    mappings: tuple[ChainMapping, ...] = field(repr=False)

    def to_dict(self) -> dict[str, object]:
        return {
            "L": self.L,
            "thermal_length": self.thermal_length,
            "return_length": self.return_length,
            "thermal_error_estimate": self.thermal_error,
            "return_time": self.return_time,
            "window": self.window,
            "reservoirs": [m.description for m in self.mappings],
        }


def _return_length(v_max: float, window: float) -> int:
    # the front covers x = v_max * window sites out and back; beyond the front the amplitude decays
    # like an Airy tail over ~ (x/2)^(1/3) sites: keep a buffer of 6 x^(1/3) + 10 sites
    x = v_max * window
    return math.ceil(0.5 * x + 6.0 * x ** (1.0 / 3.0) + 10.0)


def chain_length(
    model: OpenSystem,
    bath: Bath | Sequence[Bath],
    window: float,
    *,
    tol: float = 1e-10,
    L: int | None = None,
    max_sites: int = 2000,
    lorentzian_cutoff: float = LORENTZIAN_CUTOFF,
) -> ChainLength:
    """Sites per chain for the time window [0, ``window``] at finite-size tolerance ``tol``.

    L = max(thermal length, return length): the thermal length makes 15 exp(-2 pi T L / v_F)
    <= tol (with several baths, the longest of their lengths: the coldest lead sets it); the return length keeps the reflected front (v_max = 2 max abs(b_j)) away from the system
    until ``window`` (L >= v_max window / 2 plus an Airy-tail buffer).

    Parameters
    ----------
    model, bath
        The open system and (T, mu), or one Bath per reservoir (a biased drive).
    window
        Last time asked for, >= 0, in units of hbar / energy.
    tol
        Target finite-size error of equilibrium quantities, in (0, 1).
    L
        Force this length (checked against the return time, not against ``tol``).
    max_sites
        Largest allowed L.

    Raises
    ------
    ValueError
        If the window needs more than ``max_sites`` sites, or a forced L is too short for it.
    """
    window = check_real("times (window)", window, low=0.0)
    tol = check_real("tol", tol, low=0.0, high=1.0, low_inclusive=False, high_inclusive=False)
    mappings = tuple(chain_mapping(r, lorentzian_cutoff=lorentzian_cutoff) for r in model.reservoirs)
    v_max = max(m.max_velocity for m in mappings)
    baths = (bath,) if isinstance(bath, Bath) else tuple(bath)
    # the bath that needs the longest chain: the largest v_F / T (each lead's v_F at each mu, a bound)
    v_F, T = max(((max(m.fermi_velocity(b.mu) for m in mappings), b.T) for b in baths), key=lambda vt: vt[0] / vt[1])
    thermal = math.ceil(v_F * math.log(_THERMAL_PREFACTOR / tol) / (2.0 * math.pi * T)) + 10
    ret = _return_length(v_max, window)
    if L is None:
        chosen = max(thermal, ret, 8)
        if chosen > max_sites:
            raise ValueError(
                f"times: the window [0, {window:g}] at T={T:g} needs L = {chosen} chain sites "
                f"(return length {ret}, thermal length {thermal}), more than max_sites={max_sites}; "
                "shorten the window or raise max_sites"
            )
    else:
        chosen = check_integer("L", L, low=8)
        if chosen < ret:
            raise ValueError(
                f"L = {chosen} is too short for the window [0, {window:g}]: the reflected wave front returns "
                f"at t ~ {2 * chosen / v_max:.4g}; need L >= {ret}"
            )
    error = _THERMAL_PREFACTOR * math.exp(-2.0 * math.pi * T * chosen / v_F)
    return ChainLength(chosen, thermal, ret, error, 2.0 * chosen / v_max, window, mappings)
