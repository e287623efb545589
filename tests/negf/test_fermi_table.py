"""The shipped table of Fermi expansions (negf/fermi_expansions.npy) is a cache of the module's own
computation: every entry is recomputed here, and a missing or unreadable file falls back to
computing."""

from __future__ import annotations

import numpy as np
import pytest

import strongtherm as st
from strongtherm.negf import fermi_poles


@pytest.fixture
def fresh_caches():
    fermi_poles.clear_caches()
    yield
    fermi_poles.clear_caches()


def test_the_shipped_table_equals_a_fresh_computation(fresh_caches):
    # every (reach bucket, tolerance) of the table against the search run now with the table off:
    # the same pole counts; poles, residues and line rules to 1e-13 relative (bit-identical on the
    # machine that wrote it; another LAPACK may round pteqr's eigenvalues differently); the four
    # error measures to 1e-9 relative (they are maxima over grids of sums of those poles) and each
    # within its tolerance
    shipped = fermi_poles.shipped_table()
    fresh = fermi_poles.compute_table()
    assert shipped.expansions.keys() == fresh.expansions.keys() and len(shipped.expansions) > 400
    for key, (n, errors) in fresh.expansions.items():
        n_shipped, errors_shipped = shipped.expansions[key]
        assert n_shipped == n
        assert np.allclose(errors_shipped, errors, rtol=1e-9, atol=0.0)
        assert max(errors_shipped) <= key[1]
    assert shipped.poles.keys() == fresh.poles.keys() and shipped.rules.keys() == fresh.rules.keys()
    for n, arrays in fresh.poles.items():
        for a, b in zip(shipped.poles[n], arrays, strict=True):
            assert np.allclose(a, b, rtol=1e-13, atol=0.0)
    for key, arrays in fresh.rules.items():
        for a, b in zip(shipped.rules[key], arrays, strict=True):
            assert np.allclose(a, b, rtol=1e-13, atol=0.0)


@pytest.mark.parametrize("content", [None, b"not a numpy file"])
def test_without_a_readable_table_everything_is_computed(fresh_caches, monkeypatch, tmp_path, content):
    # a missing or corrupt file: the same expansions (computed) and the same equilibrium numbers
    model, bath = st.models.resonant_level(t0=1.25), st.Bath(T=0.02)
    with_table = st.negf.equilibrium(model, bath, eps_s=0.3, V=0.7)
    expansion = fermi_poles.fermi_pole_expansion(300.0, 2.5e-12)
    path = tmp_path / "table.npy"
    if content is not None:
        path.write_bytes(content)
    monkeypatch.setattr(fermi_poles, "TABLE_PATH", path)
    fermi_poles.clear_caches()
    assert fermi_poles.shipped_table().expansions == {}
    again = fermi_poles.fermi_pole_expansion(300.0, 2.5e-12)
    assert again.n_poles == expansion.n_poles
    assert np.allclose(again.poles, expansion.poles, rtol=1e-13, atol=0.0)
    without = st.negf.equilibrium(model, bath, eps_s=0.3, V=0.7)
    assert without.system.N == pytest.approx(with_table.system.N, abs=1e-13)
    assert without.system.S == pytest.approx(with_table.system.S, abs=1e-13)
