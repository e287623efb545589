"""The single steady state's panel edges (fermi_window.single_window_edges, in Python floats)
against the vectorized builder a map uses (fermi_window.window_edges): the same edges bit for bit,
so a map and a loop of single calls integrate over the same panels."""

from __future__ import annotations

import numpy as np
import pytest

from strongtherm.negf.fermi_window import single_window_edges, window_edges


def _vectorized(lo: float, hi: float, found: list[tuple[float, float]], boundaries: list[float],
                inner: list[float]) -> list[float]:
    x0, d = np.array(found).T
    row = window_edges(np.array([lo]), np.array([hi]), x0[None], d[None], np.array(boundaries), inner)[0]
    return row[np.isfinite(row)].tolist()


@pytest.mark.parametrize("seed", range(6))
def test_the_float_twin_gives_the_vectorized_edges(seed):
    # random windows, some ending on band edges and some holding an inner band edge; features
    # inside, near and far outside the window, widths from 1e-9 to the window's own
    rng = np.random.default_rng(seed)
    for _ in range(200):
        lo, hi = np.sort(rng.uniform(-3.0, 3.0, 2)).tolist()
        band = [lo if rng.random() < 0.5 else lo - 1.0, hi if rng.random() < 0.5 else hi + 1.0]
        boundaries = [band[0], band[1], 5.0, 6.0]
        inner = sorted(rng.uniform(lo - 0.5, hi + 0.5, int(rng.integers(0, 3))).tolist())
        found = [(float(rng.uniform(lo - 1.0, hi + 1.0)), float(10.0 ** rng.uniform(-9, 0.5)))
                 for _ in range(int(rng.integers(1, 5)))]  # fmt: skip
        twin = sorted(single_window_edges(lo, hi, found, boundaries, inner))
        assert twin == sorted(_vectorized(lo, hi, found, boundaries, inner))


def test_a_feature_clipped_to_a_far_end_adds_no_edge_on_it():
    # a feature just outside a window end far from 0, narrower than that end's rounding: it is
    # clipped onto the end, and its first steps x -+ d 2^k / 2 round back onto the end itself,
    # which neither builder may add as an edge (1 ulp of 1e6 is 1.2e-10; d = 5e-11 reaches it)
    lo, hi, d = -1.0e6, 1.0e6, 5e-11
    found = [(float(np.nextafter(hi, np.inf)), d), (float(np.nextafter(lo, -np.inf)), d), (0.0, 0.1)]
    twin = sorted(single_window_edges(lo, hi, found, [lo - 1.0, hi + 1.0], []))
    assert twin == sorted(_vectorized(lo, hi, found, [lo - 1.0, hi + 1.0], []))
    assert twin.count(lo) == 1 and twin.count(hi) == 1
