"""Cross-tests of the Green's-function engine against its two independent roads.

* Road 2, the plain quad reference (tests/references/quad_reference.py): state functions,
  bound states, alpha partition and powers of the resonant-level model at the paper's T = 0.02,
  mu = 0, t0 = 1.25 (Kumar, Webb & Stafford 2024), to 1e-9 absolute.
* Road 1, exact diagonalization of a finite chain (strongtherm.negf.finite_chain): agreement
  within a finite-size error that shrinks with L, for one and two levels; and Eq. (14) with
  <H_S>, <H_SR> taken from the finite chain's correlation matrix.

Long chain studies are ``slow``; with STRONGTHERM_REDUCED=1 they run with shorter chains.
"""

from __future__ import annotations

import os

import pytest
from references.cases import TWO_LEVEL_CASES
from references.quad_reference import resonant_level_reference, two_level_reference

import strongtherm as st
from strongtherm.negf import finite_chain

HAVE_ENGINE = hasattr(st.negf, "equilibrium")
pytestmark = pytest.mark.skipif(
    not HAVE_ENGINE,
    reason="strongtherm.negf.equilibrium (the Green's-function engine) does not exist yet",
)
REDUCED = os.environ.get("STRONGTHERM_REDUCED", "") not in ("", "0")

T0 = 1.25
T_PAPER = 0.02
KEYS = ("N", "U", "S", "Omega")


def _assert_state_and_bound_states_match(eq, ref):
    """State functions of both regions and every bound state (energy, weights) within 1e-9:
    the engine's contract; the quad references are good to ~1e-13 and brentq to 1e-15."""
    for k in KEYS:
        assert abs(getattr(eq.system, k) - ref.system[k]) < 1e-9, f"system.{k}"
        assert abs(getattr(eq.reservoir, k) - ref.reservoir[k]) < 1e-9, f"reservoir.{k}"
    assert len(eq.bound_states) == len(ref.bound_states)
    for b_eq, b_ref in zip(sorted(eq.bound_states, key=lambda b: b.energy), ref.bound_states, strict=True):
        assert abs(b_eq.energy - b_ref.energy) < 1e-9
        assert abs(b_eq.system_weight - b_ref.system_weight) < 1e-9
        assert abs(b_eq.reservoir_weight - b_ref.reservoir_weight) < 1e-9
RLM = st.models.resonant_level(t0=T0)
TWO = st.models.two_level_two_reservoirs(t0=T0)

# (eps_s, V) with the bound states they have: none, below, above, both sides
PAPER_CASES = [
    pytest.param(0.0, 1.0, id="fig2-eps0"),
    pytest.param(-1.0, 1.0, id="fig2a"),
    pytest.param(1.0, 0.6, id="fig3-start-corner"),
    pytest.param(0.0, 0.4, id="fig3-other-corner"),
    pytest.param(-2.0, 1.0, id="fig2b-eps-2"),
    pytest.param(-2.0, 1.5, id="bound-below"),
    pytest.param(2.2, 1.5, id="bound-above"),
    pytest.param(0.0, 2.5, id="bound-both"),
    pytest.param(-3.0, 0.5, id="level-below-band"),
    pytest.param(3.5, 0.3, id="level-above-band"),
]


@pytest.mark.parametrize(("eps_s", "V"), PAPER_CASES)
def test_state_functions_match_quad_reference(eps_s, V):
    # quad reference is good to ~1e-15 (mpmath check); 1e-9 absolute is the engine's contract
    ref = resonant_level_reference(eps_s, V, T_PAPER, mu=0.0, t0=T0)
    eq = st.negf.equilibrium(RLM, st.Bath(T_PAPER, 0.0), eps_s=eps_s, V=V)
    _assert_state_and_bound_states_match(eq, ref)


@pytest.mark.parametrize(("eps_s", "V"), PAPER_CASES)
def test_alpha_partition_and_expectations_match_quad_reference(eps_s, V):
    ref = resonant_level_reference(eps_s, V, T_PAPER, mu=0.0, t0=T0)
    eq = st.negf.equilibrium(RLM, st.Bath(T_PAPER, 0.0), eps_s=eps_s, V=V)
    # <H_S>, <H_SR>: 1e-9 absolute (the engine's contract, reference ~1e-15)
    assert abs(eq.expectation_H_S - ref.expectation_H_S) < 1e-9
    assert abs(eq.expectation_H_SR - ref.expectation_H_SR) < 1e-9
    # the (1 - 2 alpha) coefficient grows like 1/T (it is ~ beta |e - mu| for bound states, trap 4):
    # relative 1e-10 on top of 1e-9 absolute
    tol = 1e-9 + 1e-10 * abs(ref.entropy_coefficient)
    assert abs(eq.entropy_coefficient - ref.entropy_coefficient) < tol
    for a in (0.0, 0.25, 0.5, 1.0):
        assert abs(eq.alpha_entropy(a) - ref.alpha_entropy(a)) < tol
        assert abs(eq.alpha_energy(a) - ref.alpha_energy(a)) < 1e-9
    # powers, Eqs. (19)-(20), per unit d eps_s and d V: 1e-9 absolute
    for name in ("eps_s", "V"):
        for part_eq, part_ref in zip(eq.power(name), ref.power[name], strict=True):
            assert abs(part_eq - part_ref) < 1e-9, name


@pytest.mark.parametrize("mu", [0.5, -2.7])
def test_state_functions_match_quad_reference_at_nonzero_mu(mu):
    # mu inside the band and mu below it (next to a bound state): same 1e-9 contract
    ref = resonant_level_reference(-2.0, 1.5, 0.03, mu=mu, t0=T0)
    eq = st.negf.equilibrium(RLM, st.Bath(0.03, mu), eps_s=-2.0, V=1.5)
    for k in KEYS:
        assert abs(getattr(eq.system, k) - ref.system[k]) < 1e-9, f"system.{k}"
        assert abs(getattr(eq.reservoir, k) - ref.reservoir[k]) < 1e-9, f"reservoir.{k}"




@pytest.mark.parametrize("params", TWO_LEVEL_CASES)
def test_two_level_model_matches_quad_reference(params):
    # two levels, two chains at the paper's T = 0.02: the matrix quad reference (~1e-13 against the
    # finite chain) vs the engine, 1e-9 absolute (relative 1e-10 for the 1/T-large coefficient)
    ref = two_level_reference(**params, T=T_PAPER, mu=0.0, t0=T0)
    eq = st.negf.equilibrium(TWO, st.Bath(T_PAPER, 0.0), **params)
    _assert_state_and_bound_states_match(eq, ref)
    assert abs(eq.correlation_matrix - ref.correlation_matrix).max() < 1e-9
    assert abs(eq.expectation_H_SR - ref.expectation_H_SR) < 1e-9
    tol = 1e-9 + 1e-10 * abs(ref.entropy_coefficient)
    assert abs(eq.entropy_coefficient - ref.entropy_coefficient) < tol
    for name in TWO.parameter_names:
        for part_eq, part_ref in zip(eq.power(name), ref.power[name], strict=True):
            assert abs(part_eq - part_ref) < 1e-9, name


def _max_error(chain_result, eq):
    errs = [abs(getattr(chain_result.system, k) - getattr(eq.system, k)) for k in KEYS]
    errs += [abs(getattr(chain_result.reservoir, k) - getattr(eq.reservoir, k)) for k in KEYS]
    errs.append(abs(chain_result.entropy_coefficient - eq.entropy_coefficient))
    errs.append(abs(chain_result.expectation_H_SR - eq.expectation_H_SR))
    return max(errs)


FINITE_CASES = [
    pytest.param(RLM, {"eps_s": 0.3, "V": 1.0}, id="rlm"),
    pytest.param(RLM, {"eps_s": -2.0, "V": 1.5}, id="rlm-bound-below"),
    pytest.param(RLM, {"eps_s": 2.2, "V": 1.5}, id="rlm-bound-above"),
    pytest.param(
        TWO, {"eps_1": -0.5, "eps_2": 0.8, "t_c": 0.4, "V_L": 1.1, "V_R": 0.7}, id="two-level"
    ),
    pytest.param(
        TWO, {"eps_1": -2.6, "eps_2": 0.2, "t_c": 0.9, "V_L": 1.6, "V_R": 0.5}, id="two-level-bound"
    ),
]


@pytest.mark.parametrize(("model", "params"), FINITE_CASES)
def test_finite_chain_converges_to_engine(model, params):
    # moderate T = 0.05 for speed: the finite-size error falls exponentially in L T / t0
    # (spacing ~2 pi t0 / L vs T); it must shrink with L until rounding (1e-12) and be < 1e-9 at
    # L = 320, the engine's own contract
    bath = st.Bath(0.05, 0.1)
    eq = st.negf.equilibrium(model, bath, **params)
    errors = [
        _max_error(finite_chain.equilibrium(model, bath, L, **params), eq)
        for L in (40, 80, 160, 320)
    ]
    for coarse, fine in zip(errors[:-1], errors[1:], strict=True):
        assert fine < coarse or fine < 1e-12
    assert errors[-1] < 1e-9


@pytest.mark.parametrize(("model", "params"), FINITE_CASES)
def test_eq14_with_finite_chain_expectations(model, params):
    # U_S from the engine's g_S vs <H_S> + <H_SR>/2 from the finite chain's correlation matrix
    # (Eq. 14): two roads, two formulas; L = 320 at T = 0.05 is converged to ~1e-13, tolerance 1e-9
    bath = st.Bath(0.05, 0.0)
    eq = st.negf.equilibrium(model, bath, **params)
    r = finite_chain.equilibrium(model, bath, 320, **params)
    assert abs(eq.system.U - (r.expectation_H_S + 0.5 * r.expectation_H_SR)) < 1e-9
    # powers (Eqs. 19-20) vs Tr[dh C] on the chain, same tolerance
    for name in model.parameter_names:
        for part_eq, part_chain in zip(eq.power(name), r.power(name), strict=True):
            assert abs(part_eq - part_chain) < 1e-9, name


@pytest.mark.slow
@pytest.mark.parametrize(("model", "params"), FINITE_CASES)
def test_finite_chain_long_study_at_low_temperature(model, params):
    # Long-chain study at low T: T = 0.01 needs L ~ 1600 (spacing 2 pi t0 / L ~ 0.005 < T/2).
    # Reduced form (STRONGTHERM_REDUCED=1): the paper's T = 0.02 with L up to 800.
    # Errors shrink with L until rounding (1e-12); the longest chain meets 1e-9.
    T, lengths = (0.02, (100, 200, 400, 800)) if REDUCED else (0.01, (200, 400, 800, 1600))
    bath = st.Bath(T, 0.0)
    eq = st.negf.equilibrium(model, bath, **params)
    errors = [_max_error(finite_chain.equilibrium(model, bath, L, **params), eq) for L in lengths]
    for coarse, fine in zip(errors[:-1], errors[1:], strict=True):
        assert fine < coarse or fine < 1e-12
    assert errors[-1] < 1e-9
