"""Bad input is refused at the door (issue 10, items 3, 4, 7): one parametrized case each.

Every case asserts the exception type and that the message names the offending parameter (or
what is wrong with it), never a NumPy traceback or a silent wrong number.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import strongtherm as st
from strongtherm.core.warnings import NumericsError, NumericsWarning
from strongtherm.exact import Composite
from strongtherm.negf import CustomReservoir, OpenSystem, QuadratureOptions, TightBindingChain

CHAIN = TightBindingChain(t0=1.25)
RL = st.models.resonant_level(t0=1.25)


def _g(z):
    return CHAIN.surface_greens_function(z)[..., 0, 0]


def _dg(z):
    return CHAIN.surface_greens_function_derivative(z)[..., 0, 0]


def _open_system(**changes):
    kwargs = dict(
        name="one level",
        n_levels=1,
        reservoirs=(CHAIN,),
        system_hamiltonian=lambda p: np.array([[p["e"]]]),
        couplings=lambda p: (np.array([[1.0]]),),
        parameter_domain={"e": (-5.0, 5.0)},
    )
    kwargs.update(changes)
    return OpenSystem(**kwargs)


def _qutip():
    return pytest.importorskip("qutip")


# (id, callable raising, expected exception type, words the message must contain)
CASES = [
    ("Bath T str", lambda: st.Bath(T="0.05"), TypeError, ["T", "str"]),
    ("Bath T bool", lambda: st.Bath(T=True), TypeError, ["T", "bool"]),
    ("Bath mu str", lambda: st.Bath(T=0.1, mu="0"), TypeError, ["mu"]),
    ("Bath T None", lambda: st.Bath(T=None), TypeError, ["T"]),
    ("Bath T complex", lambda: st.Bath(T=0.1 + 0j), TypeError, ["T", "complex"]),
    ("Bath T negative", lambda: st.Bath(T=-1.0), ValueError, ["T", "(0, inf"]),
    ("Bath T nan", lambda: st.Bath(T=math.nan), ValueError, ["T"]),
    ("param str", lambda: st.negf.equilibrium(RL, st.Bath(0.1), eps_s="1", V=1.0), TypeError, ["eps_s", "str"]),
    ("param bool", lambda: st.negf.equilibrium(RL, st.Bath(0.1), eps_s=0.0, V=True), TypeError, ["V", "bool"]),
    ("param out of domain", lambda: st.negf.equilibrium(RL, st.Bath(0.1), eps_s=0.0, V=-1.0), ValueError, ["V", "[0, inf"]),
    ("model not OpenSystem", lambda: st.negf.equilibrium("rl", st.Bath(0.1)), TypeError, ["model", "OpenSystem"]),
    ("domain reversed", lambda: _open_system(parameter_domain={"e": (5.0, -5.0)}), ValueError, ["parameter_domain", "low <= high"]),
    ("domain str bound", lambda: _open_system(parameter_domain={"e": ("a", 5.0)}), TypeError, ["parameter_domain", "str"]),
    ("n_levels str", lambda: _open_system(n_levels="1"), TypeError, ["n_levels"]),
    ("n_levels bool", lambda: _open_system(n_levels=True), TypeError, ["n_levels"]),
    ("default outside domain", lambda: _open_system(defaults={"e": 9.0}), ValueError, ["defaults", "e"]),
    ("chain t0 str", lambda: TightBindingChain(t0="1.25"), TypeError, ["t0"]),
    ("options atol str", lambda: QuadratureOptions(atol="1e-9"), TypeError, ["atol"]),
    ("options budget float", lambda: QuadratureOptions(max_evaluations=1.5e5), TypeError, ["max_evaluations"]),
    ("options budget tiny", lambda: QuadratureOptions(max_evaluations=10), ValueError, ["max_evaluations"]),
    ("options strict str", lambda: QuadratureOptions(strict="yes"), TypeError, ["strict"]),
    ("panels str", lambda: st.negf.quasistatic(RL, st.Bath(0.1), st.Path.line({"eps_s": 0.0, "V": 1.0}, {"eps_s": 1.0, "V": 1.0}), panels_per_segment="4"), TypeError, ["panels_per_segment"]),
    ("finite chain L bool", lambda: st.negf.finite_chain.equilibrium(RL, st.Bath(0.1), True, eps_s=0.0, V=1.0), TypeError, ["L"]),
    ("beta str", lambda: st.exact.equilibrium(Composite(np.diag([0.0, 1.0]), np.diag([0.0, 0.5])), beta="1"), TypeError, ["beta"]),
    # user reservoirs (item 3): each violation named
    ("reservoir non-causal", lambda: CustomReservoir(lambda z: _g(np.conj(z)), lambda z: _dg(np.conj(z)), ((-2.5, 2.5),)), ValueError, ["not causal", "Im g"]),
    ("reservoir negated", lambda: CustomReservoir(lambda z: -_g(z), lambda z: -_dg(z), ((-2.5, 2.5),)), ValueError, ["not causal"]),
    ("reservoir dg sign", lambda: CustomReservoir(_g, lambda z: -_dg(z), ((-2.5, 2.5),)), ValueError, ["greens_function_derivative", "sign"]),
    ("reservoir dg wrong", lambda: CustomReservoir(_g, lambda z: 1.1 * _dg(z), ((-2.5, 2.5),)), ValueError, ["greens_function_derivative"]),
    ("reservoir continuum narrow", lambda: CustomReservoir(_g, _dg, ((-2.0, 2.0),)), ValueError, ["outside the declared continuum"]),
    ("reservoir continuum empty", lambda: CustomReservoir(_g, _dg, ((-2.5, 2.5), (4.0, 5.0))), ValueError, ["continuum interval (4, 5)"]),
    ("reservoir no decay", lambda: CustomReservoir(lambda z: _g(z) - 0.1j, _dg, ((-2.5, 2.5),)), ValueError, ["continuum"]),
    ("reservoir continuum str", lambda: CustomReservoir(_g, _dg, (("a", 2.5),)), TypeError, ["continuum[0]"]),
    ("reservoir n_surface bool", lambda: CustomReservoir(_g, _dg, ((-2.5, 2.5),), n_surface=True), TypeError, ["n_surface"]),
    # finite composites (item 4)
    ("composite atol str", lambda: Composite(np.eye(2), np.eye(2), hermitian_atol="1e-12"), TypeError, ["hermitian_atol"]),
    ("random composite dims str", lambda: st.models.random_composite("2", 2), TypeError, ["d_S"]),
    ("two_spin str", lambda: st.models.two_spin(eps="1", alpha=0.1, gamma=0.2, chi=0.3), TypeError, ["eps"]),
    ("reservoir dim 0", lambda: Composite(np.eye(2), np.zeros((0, 0))), ValueError, ["H_R", "dimension 0"]),
    ("system dim 0", lambda: Composite(np.zeros((0, 0)), np.eye(2)), ValueError, ["H_S", "dimension 0"]),
]


@pytest.mark.parametrize(("make", "kind", "words"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_is_refused_with_a_named_message(make, kind, words):
    with pytest.raises(kind) as info:
        make()
    for word in words:
        assert word in str(info.value), f"{word!r} not in message: {info.value}"


def test_type_errors_still_caught_as_value_errors():
    # callers (configs, sweeps, older user code) catch bad input as ValueError: keep that working
    with pytest.raises(ValueError, match="T"):
        st.Bath(T="0.05")


def test_qobj_coupling_in_reservoir_system_order_is_refused():
    qt = _qutip()
    H_S, H_R = 0.5 * qt.sigmaz(), 0.3 * qt.num(3)
    V_swapped = 0.2 * qt.tensor(qt.create(3) + qt.destroy(3), qt.sigmax())  # reservoir ⊗ system
    with pytest.raises(ValueError, match=r"V has QuTiP dims \[\[3, 2\], \[3, 2\]\] \(reservoir first\?\)"):
        Composite(H_S, H_R, V_swapped)
    with pytest.raises(ValueError, match="reservoir first"):  # only V a Qobj: sizes still tell
        Composite(H_S.full(), H_R.full(), V_swapped)
    H_swapped = qt.tensor(H_R, qt.qeye(2)) + qt.tensor(qt.qeye(3), H_S)
    with pytest.raises(ValueError, match="H has QuTiP dims"):
        Composite.from_hamiltonian(H_swapped, H_S, H_R)


def test_qobj_in_qobj_out_with_the_same_numbers():
    qt = _qutip()
    H_S = 0.5 * qt.sigmaz()
    H_R = 0.3 * qt.tensor(qt.sigmaz(), qt.qeye(2)) + 0.2 * qt.tensor(qt.qeye(2), qt.sigmax())
    V = 0.4 * qt.tensor(qt.sigmax(), qt.sigmax(), qt.qeye(2))
    eq_q = st.exact.equilibrium(Composite(H_S, H_R, V), beta=1.3)
    eq_a = st.exact.equilibrium(Composite(H_S.full(), H_R.full(), V.full()), beta=1.3)
    for name in ("rho_S", "H_star", "E_star"):
        op = getattr(eq_q, name)
        assert isinstance(op, qt.Qobj) and op.dims == [[2], [2]]
        assert isinstance(getattr(eq_a, name), np.ndarray)
        # same computation, only wrapped: equal to rounding
        np.testing.assert_allclose(op.full(), getattr(eq_a, name), rtol=0, atol=1e-13)
    # the factors survive replace(), and a quench takes the Qobj equilibria as they come
    model = Composite(H_S, H_R, V)
    assert model.replace(H_S=0.7 * qt.sigmaz()).qobj_dims == model.qobj_dims == ((2,), (2, 2))
    q_q = st.exact.quench(eq_q, model.replace(H_S=0.7 * qt.sigmaz()))
    q_a = st.exact.quench(eq_a, Composite(0.7 * qt.sigmaz().full(), H_R.full(), V.full()))
    for key in ("diff", "H*", "E*"):
        assert q_q.work[key] == pytest.approx(q_a.work[key], abs=1e-13)  # same arithmetic


def test_non_causal_reservoir_is_caught_on_use_too():
    res = CustomReservoir(_g, _dg, ((-2.5, 2.5),))
    bad = CustomReservoir(lambda z: _g(np.conj(z)), lambda z: _dg(np.conj(z)), ((-2.5, 2.5),), check=False)
    object.__setattr__(bad, "check", True)  # checks skipped at construction, on at use
    with pytest.raises(ValueError, match="not causal"):
        bad.surface_greens_function(np.array([0.3 + 0.01j]))
    assert res.surface_greens_function(np.array([0.3 + 0.01j])).shape == (1, 1, 1)


def test_budget_hit_warns_with_the_error_reached_or_raises_if_strict():
    # the contour road's budget (the pole road is a fixed sum, sized by its own error curve)
    tight = QuadratureOptions(max_evaluations=1000)
    with pytest.warns(NumericsWarning, match=r"evaluation budget after \d+ nodes with error estimate"):
        st.negf.equilibrium(RL, st.Bath(1e-3), options=tight, method="contour", eps_s=0.3, V=0.8)
    with pytest.raises(NumericsError, match="error estimate"):
        st.negf.equilibrium(RL, st.Bath(1e-3), options=QuadratureOptions(max_evaluations=1000, strict=True),
                            method="contour", eps_s=0.3, V=0.8)  # fmt: skip


def test_memory_budget_chunks_without_changing_the_numbers():
    # 1 MiB forces many small integrand calls; the panels and the sums are the same
    small = QuadratureOptions(max_memory_bytes=2**20)
    with warnings.catch_warnings():
        warnings.simplefilter("error", NumericsWarning)
        a = st.negf.equilibrium(RL, st.Bath(0.02), options=small, method="contour", eps_s=0.3, V=0.8)
    b = st.negf.equilibrium(RL, st.Bath(0.02), method="contour", eps_s=0.3, V=0.8)
    assert a.n_evaluations == b.n_evaluations
    # identical panels, sums taken in another order: equal to rounding
    np.testing.assert_allclose([a.system.N, a.system.U, a.system.S], [b.system.N, b.system.U, b.system.S], rtol=1e-14)


def test_noise_in_the_integrand_stops_refinement_instead_of_eating_the_budget():
    from strongtherm.negf.integrate import gauss_kronrod_panels

    rng = np.random.default_rng(1)

    def noisy(x, _w):  # smooth + relative noise 1e-9: no bisection can reach atol 1e-13
        return (1.0 + 1e-9 * rng.standard_normal(x.size))[:, None]

    with pytest.warns(NumericsWarning, match="rounding floor"):
        result = gauss_kronrod_panels(noisy, [0.0, 1.0], options=QuadratureOptions(atol=1e-13))
    assert result.stop_reason == "rounding floor"
    assert result.n_evaluations < 50_000  # stopped after a few stalled generations, far from the budget
    assert abs(result.value[0] - 1.0) < 1e-8  # the noise averages out; the integral is right
