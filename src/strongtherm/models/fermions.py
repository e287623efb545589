"""Built-in open fermionic models for the Green's-function engine (paper 000).

Each builder returns a :class:`strongtherm.negf.OpenSystem` whose parameters are passed at
solve time (``eps_s=``, ``V=``), with exact parameter derivatives. Both are affine in their
parameters (:func:`.affine.affine_open_system`), so they pickle without cloudpickle.
"""

from __future__ import annotations

import math

import numpy as np

from ..negf.reservoirs import TightBindingChain
from ..negf.system import OpenSystem
from .affine import affine_open_system

__all__ = ["resonant_level", "two_level_two_reservoirs"]

_INF = math.inf


def resonant_level(t0: float = 1.25, e0: float = 0.0) -> OpenSystem:
    """Resonant-level model of Kumar, Webb & Stafford (2024): one level on a semi-infinite chain.

    H_S = eps_s d^dag d, H_R = t0 sum_j (c_j^dag c_{j+1} + h.c.) (+ e0 on site),
    H_SR = V d^dag c_1 + h.c.

    Parameters (at solve time): ``eps_s`` (level energy) and ``V`` (coupling, >= 0 by
    convention: only ``|V|^2`` enters), in units of energy; ``t0``, ``e0`` fix the reservoir.
    A bound state below the band exists once eps_s - V^2/t0 < e0 - 2 t0 (and above it once
    eps_s + V^2/t0 > e0 + 2 t0).
    """
    chain = TightBindingChain(t0=t0, e0=e0)
    return affine_open_system(
        name=f"resonant level (t0={chain.t0:g})",
        reservoirs=(chain,),
        h_S=np.zeros((1, 1)),
        couplings=(np.zeros((1, 1)),),
        h_S_slopes={"eps_s": np.ones((1, 1))},
        coupling_slopes={"V": (np.ones((1, 1)),)},
        parameter_domain={"eps_s": (-_INF, _INF), "V": (0.0, _INF)},
    )


def two_level_two_reservoirs(t0: float = 1.25, e0: float = 0.0) -> OpenSystem:
    """Two levels, each on its own semi-infinite chain (left and right), hybridized by ``t_c``.

    The setting of Sec. VIII of the Supplemental Material of Kumar, Webb & Stafford (2024),
    which is not available to us; the parameters are our choice:

    h_S = [[eps_1, t_c], [t_c, eps_2]], level 1 couples to the left chain with V_L,
    level 2 to the right chain with V_R; both chains have hopping t0 and on-site e0 and share
    (T, mu). Defaults: eps_1 = eps_2 = 0, t_c = 0.5, V_L = V_R = 1 (units of energy).
    """
    left = TightBindingChain(t0=t0, e0=e0)
    right = TightBindingChain(t0=t0, e0=e0)
    return affine_open_system(
        name=f"two levels, two chains (t0={t0:g})",
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
