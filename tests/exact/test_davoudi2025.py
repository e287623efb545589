"""Appendix D closed forms vs the matrix engine, and the Fig. 2 reproduction (Davoudi et al. 2025)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from numpy.testing import assert_allclose

from strongtherm.cli import main
from strongtherm.exact import equilibrium, quench
from strongtherm.models import two_spin
from strongtherm.papers import davoudi2025_appendix_d as appendix_d

# both roads are double precision on O(1) quantities: 1e-12 leaves ~100 eps of room
ATOL = 1e-12


def _compare(cf: appendix_d.ClosedFormQuench, results: list, index: int) -> None:
    q = results[index]
    for key in ("diff", "H*", "E*"):
        assert_allclose(q.work[key], np.asarray(cf.work[key])[index], atol=ATOL, err_msg=f"W_{key}")
        assert_allclose(q.heat[key], np.asarray(cf.heat[key])[index], atol=ATOL, err_msg=f"Q_{key}")
        assert_allclose(q.entropy_change[key], np.asarray(cf.entropy_change[key])[index], atol=ATOL, err_msg=f"dS_{key}")
    assert_allclose(q.delta_F_S, np.asarray(cf.delta_F_S)[index], atol=ATOL, err_msg="dF_S")


def test_system_quench_closed_forms_match_engine():
    rng = np.random.default_rng(38)
    for _ in range(20):
        eps_A, alpha, gamma, chi = rng.uniform(-3, 3, size=4)
        beta = float(rng.uniform(0.2, 2.0))
        eps_B = rng.uniform(-4, 4, size=5)
        cf = appendix_d.system_quench_closed_form(eps_A, eps_B, alpha, gamma, chi, beta)
        results = [quench(two_spin(eps_A, alpha, gamma, chi), two_spin(e, alpha, gamma, chi), beta=beta) for e in eps_B]
        for i in range(eps_B.size):
            _compare(cf, results, i)


def test_interaction_quench_closed_forms_match_engine():
    rng = np.random.default_rng(39)
    for _ in range(20):
        eps, alpha, chi_B = rng.uniform(-3, 3, size=3)
        beta = float(rng.uniform(0.2, 2.0))
        gamma_B = rng.uniform(-4, 4, size=5)
        cf = appendix_d.interaction_quench_closed_form(eps, alpha, gamma_B, chi_B, beta)
        results = [quench(two_spin(eps, alpha, 0.0, 0.0), two_spin(eps, alpha, g, chi_B), beta=beta) for g in gamma_B]
        for i in range(gamma_B.size):
            _compare(cf, results, i)


def test_equilibrium_closed_forms_match_engine():
    eps, alpha, gamma, chi, beta = 0.7, 0.8, 1.2, 1.8, 1.0
    cf = appendix_d.equilibrium_closed_form(eps, alpha, gamma, chi, beta)
    eq = equilibrium(two_spin(eps, alpha, gamma, chi), beta=beta)
    # Eqs. (60), (62), (63): diagonal in the σ_S^z basis, X_- belongs to |↑>
    assert_allclose(eq.rho_S, np.diag(cf.rho_S_diag), atol=ATOL)
    assert_allclose(eq.H_star, np.diag(cf.H_star_diag), atol=ATOL)
    assert_allclose(eq.E_star, np.diag(cf.E_star_diag), atol=ATOL)


def test_printed_eq73_is_not_a_state():
    # erratum: Eq. (73) prints H_S/Z_S (trace 0); the corrected Gibbs state has trace 1
    beta, eps = 1.0, 1.3
    printed = np.diag([eps / 2, -eps / 2]) / (2 * np.cosh(beta * eps / 2))
    corrected = np.diag([np.exp(-beta * eps / 2), np.exp(beta * eps / 2)]) / (2 * np.cosh(beta * eps / 2))
    assert abs(np.trace(printed)) < 1e-15
    assert_allclose(corrected, equilibrium(two_spin(eps, 0.8, 0.0, 0.0), beta=beta).rho_S, atol=1e-15)


def test_reproduction_runs_and_all_claims_agree(tmp_path):
    status = main(["reproduce", "davoudi2025", "--out", str(tmp_path), "--quiet"])
    folder = tmp_path / "davoudi2025"
    report = json.loads((folder / "report.json").read_text())
    failing = [c["claim"] for c in report["claims"] if not c["agrees"]]
    assert failing == [] and report["all_agree"] and status == 0
    for name in ("fig2a.png", "fig2b.png", "fig2c.png", "fig2a.csv", "fig2b.csv", "fig2c.csv"):
        assert (folder / name).stat().st_size > 0
    assert any("Eqs. (73)-(74)" in c for c in report["choices"])
    assert any("plotted range" in c for c in report["choices"])
    for claim in report["claims"]:
        assert set(claim) >= {"claim", "paper", "ours", "tolerance", "agrees"}


@pytest.mark.parametrize("panel", ["a", "b"])
def test_E_star_violation_is_reported(panel):
    from strongtherm.papers.davoudi2025 import PANELS

    chosen = next(p for p in PANELS if p.key == panel)
    cf = chosen.closed_form()
    # the paper: W_E* < dF_S at some parameter values on panels (a) and (b)
    assert np.min(cf.work["E*"] - cf.delta_F_S) < -1e-3
