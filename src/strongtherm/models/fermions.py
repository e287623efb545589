"""Built-in open fermionic models for the Green's-function engine (paper 000).

Each builder returns a :class:`strongtherm.negf.OpenSystem` whose parameters are passed at
solve time (``eps_s=``, ``V=``), with exact parameter derivatives. Both are affine in their
parameters (:func:`.affine.affine_open_system`), so they pickle without cloudpickle.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..negf.reservoirs import Reservoir, TightBindingChain
from ..negf.system import OpenSystem
from .affine import affine_open_system, reservoir_from_spec

__all__ = ["resonant_level", "two_level_two_reservoirs"]

_INF = math.inf
#: the chain's defaults (paper 000): a reservoir given otherwise replaces this chain
_T0, _E0 = 1.25, 0.0


def _reservoirs(t0: float, e0: float, given: Sequence[Any] | None, n: int, name: str) -> tuple[Reservoir, ...]:
    """``n`` chains of (t0, e0), or the reservoirs ``given`` (objects or mappings, see
    :func:`strongtherm.models.reservoir_from_spec`), which leave t0 and e0 at their defaults."""
    if given is None:
        return tuple(TightBindingChain(t0=t0, e0=e0) for _ in range(n))
    if (t0, e0) != (_T0, _E0):
        raise ValueError(f"give {name} or t0, e0 (the chain it replaces), not both")
    if len(given) != n:
        raise ValueError(f"{name} must hold {n} reservoir(s), got {len(given)}")
    return tuple(reservoir_from_spec(spec, f"{name}[{r}]" if n > 1 else name) for r, spec in enumerate(given))


def resonant_level(t0: float = _T0, e0: float = _E0, reservoir: Any = None) -> OpenSystem:
    """Resonant-level model of Kumar, Webb & Stafford (2024): one level on a semi-infinite chain.

    H_S = eps_s d^dag d, H_R = t0 sum_j (c_j^dag c_{j+1} + h.c.) (+ e0 on site),
    H_SR = V d^dag c_1 + h.c.

    Parameters (at solve time): ``eps_s`` (level energy) and ``V`` (coupling, >= 0 by
    convention: only ``abs(V)^2`` enters), in units of energy; ``t0``, ``e0`` fix the chain.
    A bound state below the band exists once eps_s - V^2/t0 < e0 - 2 t0 (and above it once
    eps_s + V^2/t0 > e0 + 2 t0).

    ``reservoir`` replaces the chain by another reservoir: an object
    (:class:`strongtherm.negf.WideBand`, :class:`strongtherm.negf.LorentzianBand`, ...) or a
    mapping such as ``{"band": "flat", "D": 10.0}`` or ``{"band": "lorentzian", "W": 1.0}``
    (:func:`strongtherm.models.reservoir_from_spec`; the form configs use). Leave ``t0`` and
    ``e0`` at their defaults then.

    Raises
    ------
    ValueError
        For a bad reservoir (the message names the key), or ``reservoir`` with t0 or e0 changed.
    """
    (chain,) = _reservoirs(t0, e0, None if reservoir is None else [reservoir], 1, "reservoir")
    label = f"t0={chain.t0:g}" if isinstance(chain, TightBindingChain) else _describe(chain)
    return affine_open_system(
        name=f"resonant level ({label})",
        reservoirs=(chain,),
        h_S=np.zeros((1, 1)),
        couplings=(np.zeros((1, 1)),),
        h_S_slopes={"eps_s": np.ones((1, 1))},
        coupling_slopes={"V": (np.ones((1, 1)),)},
        parameter_domain={"eps_s": (-_INF, _INF), "V": (0.0, _INF)},
    )


def two_level_two_reservoirs(t0: float = _T0, e0: float = _E0, reservoirs: Sequence[Any] | None = None) -> OpenSystem:
    """Two levels, each on its own semi-infinite chain (left and right), hybridized by ``t_c``.

    The setting of Sec. VIII of the Supplemental Material of Kumar, Webb & Stafford (2024),
    which is not available to us; the parameters are our choice:

    h_S = [[eps_1, t_c], [t_c, eps_2]], level 1 couples to the left chain with V_L,
    level 2 to the right chain with V_R; both chains have hopping t0 and on-site e0 and share
    (T, mu). Defaults: eps_1 = eps_2 = 0, t_c = 0.5, V_L = V_R = 1 (units of energy).
    ``reservoirs`` replaces the two chains by (left, right), objects or mappings as in
    :func:`resonant_level`.

    Raises
    ------
    ValueError
        For a bad reservoir, not two of them, or ``reservoirs`` with t0 or e0 changed.
    """
    left, right = _reservoirs(t0, e0, reservoirs, 2, "reservoirs")
    chains = all(isinstance(r, TightBindingChain) for r in (left, right))
    return affine_open_system(
        name=f"two levels, two chains (t0={t0:g})" if chains else f"two levels, {_describe(left)} and {_describe(right)}",
        reservoirs=(left, right),
        h_S=np.zeros((2, 2)),
        couplings=(np.zeros((1, 2)), np.zeros((1, 2))),
        h_S_slopes={
            "eps_1": np.diag([1.0, 0.0]),
            "eps_2": np.diag([0.0, 1.0]),
            "t_c": np.array([[0.0, 1.0], [1.0, 0.0]]),
        },
        coupling_slopes={
            "V_L": (np.array([[1.0, 0.0]]), np.zeros((1, 2))),
            "V_R": (np.zeros((1, 2)), np.array([[0.0, 1.0]])),
        },
        parameter_domain={
            "eps_1": (-_INF, _INF),
            "eps_2": (-_INF, _INF),
            "t_c": (-_INF, _INF),
            "V_L": (0.0, _INF),
            "V_R": (0.0, _INF),
        },
        defaults={"eps_1": 0.0, "eps_2": 0.0, "t_c": 0.5, "V_L": 1.0, "V_R": 1.0},
    )


def _describe(reservoir: Reservoir) -> str:
    describe = getattr(reservoir, "describe", None)
    return str(describe()) if callable(describe) else type(reservoir).__name__
