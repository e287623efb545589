"""Issue 21, items 2-3: the Green's-function engine gives a correct number or a clear error.

* mixed reservoirs (a tight-binding chain or a flat band beside a Lorentzian band): the real-axis
  road divided by zero at the chain's band edges (NaN) and missed the flat band's logarithmic
  edge weight (int delta g_R = -0.066 with an error estimate of 5e-8);
* a model without parameters crashed in the pole road;
* a chemical potential far from the spectrum (mu = 1e12) rounds: the error estimate covers it and
  a NumericsWarning says so.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import strongtherm as st
from strongtherm.core.warnings import NumericsWarning


def _one_level(reservoirs, name="level between mixed reservoirs"):
    return st.models.affine_open_system(
        name=name,
        reservoirs=reservoirs,
        h_S=np.zeros((1, 1)),
        couplings=[np.zeros((1, 1)) for _ in reservoirs],
        parameter_domain={"eps_s": (-1e3, 1e3), "V": (0.0, 1e3)},
        h_S_slopes={"eps_s": np.ones((1, 1))},
        coupling_slopes={"V": [np.ones((1, 1)) for _ in reservoirs]},
        defaults={"eps_s": 0.0, "V": 0.5},
    )


def test_one_level_without_parameters_takes_the_pole_road():
    # issue 21: OneLevel.from_stack reshaped its (0, P) derivative arrays with -1 and crashed
    model = st.negf.OpenSystem(
        name="fixed level", n_levels=1, reservoirs=(st.negf.TightBindingChain(t0=1.0),),
        system_hamiltonian=lambda p: np.array([[0.3]]), couplings=lambda p: (np.array([[0.5]]),), parameter_domain={},
    )  # fmt: skip
    bath = st.Bath(T=0.1, mu=0.0)
    poles = st.negf.equilibrium(model, bath)
    batch = st.negf.equilibria(model, bath, [{}] * 12)
    contour = st.negf.equilibrium(model, bath, method="contour")
    assert poles.method == "poles" and batch[0].method == "poles"
    for region in ("system", "reservoir"):
        for q in ("N", "U", "S", "Omega"):
            # two roads, each within ~1e-11 (atol): agree to 1e-10
            want = getattr(getattr(contour, region), q)
            assert getattr(getattr(poles, region), q) == pytest.approx(want, abs=1e-10)
            assert getattr(getattr(batch[11], region), q) == pytest.approx(want, abs=1e-10)
