"""Work statistics as pictures: :func:`work_distribution` of a two-point measurement, and
:func:`work_density` of fermionic statistics (P(W) from chi(u))."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ._style import new_axes

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

__all__ = ["work_density", "work_distribution"]


def work_distribution(distribution: Any, *, ax: Axes | None = None) -> Axes:
    """P(W) of a :class:`strongtherm.core.statistics.WorkDistribution` as stems, with <W> and
    Delta F*_S marked and the Jarzynski gap in the title."""
    ax = new_axes(ax)
    values, probabilities = np.asarray(distribution.values), np.asarray(distribution.probabilities)
    ax.vlines(values, 0.0, probabilities, lw=2.0)
    ax.plot(values, probabilities, "o", ms=3)
    ax.axvline(distribution.mean, color="k", ls="--", lw=0.8, label=f"<W> = {distribution.mean:.4g}")
    ax.axvline(distribution.delta_F, color="C3", ls=":", lw=1.0, label=f"Delta F*_S = {distribution.delta_F:.4g}")
    ax.set_xlabel("W (units of energy)")
    ax.set_ylabel("P(W)")
    ax.set_title(f"Two-point measurement of {distribution.measured}: Jarzynski gap {distribution.jarzynski_gap:+.3g}",
                 fontsize=9)  # fmt: skip
    ax.legend(fontsize=8)
    return ax


def work_density(statistics: Any, *, ax: Axes | None = None) -> Axes:
    """P(W) of a :class:`strongtherm.gaussian.statistics.FermionicWorkStatistics` (the Hann-tapered
    Fourier sum of chi(u), its resolution in the label), with <W> and Omega_B - Omega_A marked."""
    ax = new_axes(ax)
    W, density, resolution = statistics.characteristic.distribution()
    ax.plot(W, density, lw=1.2, label=f"P(W), resolution {resolution:.3g}")
    ax.axvline(statistics.mean, color="k", ls="--", lw=0.8, label=f"<W> = {statistics.mean:.4g}")
    ax.axvline(statistics.delta_Omega, color="C3", ls=":", lw=1.0,
               label=f"Omega_B - Omega_A = {statistics.delta_Omega:.4g}")  # fmt: skip
    spread = 6.0 * float(np.sqrt(max(statistics.variance, 0.0))) + 3.0 * resolution  # the weight, not the aliases
    ax.set_xlim(min(statistics.mean, statistics.delta_Omega) - spread, max(statistics.mean, statistics.delta_Omega) + spread)
    ax.set_xlabel("W (units of energy)")
    ax.set_ylabel("P(W) (1 / units of energy)")
    gap = "not evaluated" if statistics.jarzynski_average is None else f"{statistics.jarzynski_gap:+.3g}"
    ax.set_title(f"Fermionic TPM of the universe (L = {statistics.length}): Jarzynski gap {gap}", fontsize=9)
    ax.legend(fontsize=8)
    return ax
