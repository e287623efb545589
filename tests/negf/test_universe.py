"""The finite-universe builder (strongtherm.negf.universe) and the spectrum helper of strongtherm.thermal.

The builder serves three roads (finite chain, bridge, dynamics), so its basis order and its
sparse and dense faces are pinned against a matrix written out by hand; the helper against the
kernels summed directly and the closed form of one level at mu.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose

import strongtherm as st
from strongtherm.negf.reservoirs import LorentzianBand, TightBindingChain, WideBand
from strongtherm.negf.system import OpenSystem
from strongtherm.negf.universe import Universe, chain_mapping
from strongtherm.thermal import state_functions_from_spectrum


def _two_level(reservoirs: tuple) -> OpenSystem:
    def h_S(p):
        t = p["t_c"] * np.exp(0.4j)
        return np.array([[p["eps"], t], [np.conj(t), -0.3]])

    return OpenSystem(
        name="two-level",
        n_levels=2,
        reservoirs=reservoirs,
        system_hamiltonian=h_S,
        couplings=lambda p: (np.array([[0.7, 0.2j]]), np.array([[0.1, p["g"]]])),
        parameter_domain={"eps": (-5.0, 5.0), "t_c": (-2.0, 2.0), "g": (0.0, 3.0)},
        defaults={"eps": 0.2, "t_c": 0.5, "g": 0.9},
    )


def _by_hand(model: OpenSystem, L: int, p: dict) -> np.ndarray:
    """System levels first, then each chain from its surface site: the documented basis."""
    n = model.n_levels
    h = np.zeros((n + len(model.reservoirs) * L,) * 2, dtype=complex)
    h[:n, :n] = model.h_S(p)
    for r, (res, V) in enumerate(zip(model.reservoirs, model.V(p), strict=True)):
        m = chain_mapping(res)
        o = n + r * L
        a, b = m.onsite(L), m.hopping(L)
        for j in range(L):
            h[o + j, o + j] = a[j]
        for j in range(L - 1):
            h[o + j, o + j + 1] = h[o + j + 1, o + j] = b[j]
        h[o, :n] = V[0]
        h[:n, o] = V[0].conj()
    return h


@pytest.mark.parametrize(
    "reservoirs",
    [
        pytest.param((TightBindingChain(1.0, 0.2), TightBindingChain(1.4, -0.3)), id="chains"),
        pytest.param((WideBand(4.0), LorentzianBand(0.5, 0.1)), id="wide-lorentzian"),
    ],
)
def test_dense_and_sparse_faces_equal_the_matrix_by_hand(reservoirs):
    model = _two_level(reservoirs)
    p = model.resolve({"eps": -0.4, "g": 1.3})
    L = 9
    universe = Universe(model, L)
    expected = _by_hand(model, L, p)
    # the same numbers written into the same places: exact
    assert np.array_equal(universe.dense(p), expected)
    X = np.random.default_rng(7).normal(size=(universe.size, 3)) + 0j
    # sparse products against the dense one (different summation order: rounding)
    assert_allclose(universe.apply(universe.block(p), X), expected @ X, rtol=0, atol=1e-13)
    scaled = universe.scaled_operator(universe.block(p), 0.3, 0.5).toarray()
    assert_allclose(scaled, 0.5 * (expected - 0.3 * np.eye(universe.size)), rtol=0, atol=1e-15)
    lo, hi = universe.fixed_bounds  # Gershgorin bounds enclose the chains' spectrum
    e_R = np.linalg.eigvalsh(expected[2:, 2:])
    assert lo <= e_R[0] and e_R[-1] <= hi


def test_finite_chain_hamiltonian_is_the_universe():
    model = st.models.two_level_two_reservoirs(t0=1.25)
    p = model.resolve({})
    h = st.negf.finite_chain.universe_hamiltonian(model, 12, p)
    assert np.array_equal(h, _by_hand(model, 12, p))


def test_state_functions_from_spectrum():
    bath = st.Bath(T=0.3, mu=0.1)
    rng = np.random.default_rng(3)
    e, w, ref = rng.normal(size=40), rng.uniform(size=40), rng.normal(size=25)
    got = state_functions_from_spectrum(bath, e, w, reference=ref)
    k, k0 = bath.kernels(e), bath.kernels(ref)
    for key, kernel in (("N", "f"), ("U", "ef"), ("S", "s"), ("Omega", "omega")):
        # the definition, summed directly (rounding of 40-term sums)
        assert_allclose(got[key], w @ k[kernel] - k0[kernel].sum(), rtol=1e-13, atol=1e-14)
    # one level at mu: f = 1/2, S = ln 2, Omega = -T ln 2 (closed form, rounding)
    one = state_functions_from_spectrum(bath, np.array([bath.mu]))
    assert_allclose([one["N"], one["U"], one["S"], one["Omega"]],
                    [0.5, 0.5 * bath.mu, math.log(2.0), -bath.T * math.log(2.0)], rtol=1e-15, atol=1e-16)  # fmt: skip
