"""The published slow-driving results for the wide-band resonant level (``strongtherm reproduce bruch2016``).

Bruch et al., PRB 93, 115318 (2016) and Ludovico et al., PRB 89, 161306 (2014), abstracts made
quantitative by closed forms derived in :mod:`strongtherm.papers.bruch2016`. The reproduction
writes its files and every claim must agree; the reduced form (STRONGTHERM_REDUCED=1) checks the
closed-form claims only (no exact dynamics, ~1 s).
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import REDUCED

import strongtherm as st
from strongtherm.dynamics import friction_tensor
from strongtherm.papers import bruch2016


def test_lorentzian_helpers_against_direct_sums():
    # second road for the closed-form helpers: trapezoid sums on a fine grid (the integrands are
    # smooth, so the sums converge spectrally; 1e-9 leaves room for the truncated tails e^-60)
    T, gamma = 0.25, 1.0
    x = np.linspace(-60.0, 60.0, 240001)
    minus_fprime = 1.0 / (4.0 * T * np.cosh(x / 2.0) ** 2)
    for eps in (-1.3, 0.0, 0.4):
        a = gamma / (2 * np.pi) / ((T * x - eps) ** 2 + gamma**2 / 4)
        np.testing.assert_allclose(bruch2016.lorentzian_friction(eps), np.pi * np.trapezoid(minus_fprime * a**2, T * x), rtol=1e-9)
        np.testing.assert_allclose(bruch2016.lorentzian_occupation_slope(eps), np.trapezoid(minus_fprime * a, T * x), rtol=1e-9)


def test_wide_band_level_model_width():
    # the model's friction at T -> 0 and eps = mu is pi a(mu)^2 = 4 / (pi Gamma^2): Gamma is the full width
    model = bruch2016.wide_band_level(1e4, gamma=0.5)
    zeta, _ = friction_tensor(model, st.Bath(T=5e-4), [{"eps_s": 0.0}], ["eps_s"])
    np.testing.assert_allclose(zeta[0, 0, 0], 4.0 / (np.pi * 0.25), rtol=1e-4)  # O((T/Gamma)^2) + O(Gamma/D)


@pytest.mark.slow
def test_bruch2016_reproduction(tmp_path, monkeypatch):
    from strongtherm.papers import REPRODUCTIONS, run_reproduction

    assert "bruch2016" in REPRODUCTIONS
    if REDUCED:  # CI: closed-form claims only, the exact ramps (~10 s) are skipped
        monkeypatch.setattr(bruch2016, "_exact_dynamics", lambda out, report, log: None)
    report = run_reproduction("bruch2016", tmp_path, progress=False)
    payload = json.loads((tmp_path / "bruch2016" / "report.json").read_text())
    failing = [c["claim"] for c in payload["claims"] if not c["agrees"]]
    assert payload["all_agree"] and not failing, failing
    assert report.all_agree
    names = ["friction_coefficient.png", "friction_coefficient.csv"]
    if not REDUCED:
        names += ["slow_ramp.png", "slow_ramp.csv"]
    for name in names:
        assert (tmp_path / "bruch2016" / name).stat().st_size > 0
