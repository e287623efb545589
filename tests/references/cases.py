"""Parameter sets shared by the reference self-tests and the engine cross-tests."""

from __future__ import annotations

import pytest

#: Two levels on two chains (t0 = 1.25): no bound state, one below the band, one on each side.
TWO_LEVEL_CASES = [
    pytest.param({"eps_1": -0.5, "eps_2": 0.8, "t_c": 0.4, "V_L": 1.1, "V_R": 0.7}, id="no-bound"),
    pytest.param({"eps_1": -2.6, "eps_2": 0.2, "t_c": 0.9, "V_L": 1.6, "V_R": 0.5}, id="bound-below"),
    pytest.param({"eps_1": 2.0, "eps_2": -2.0, "t_c": 1.0, "V_L": 1.5, "V_R": 1.5}, id="bound-both"),
]
