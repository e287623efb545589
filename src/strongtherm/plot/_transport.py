"""Two-terminal pictures of steady-state sweeps (``st.sweeps.negf_steady_state``): the I-V curves,
the differential conductance over (gate, bias), and the power-efficiency loop of a heat engine.

Each takes the sweep's Dataset, with ``bias`` as one coordinate, and draws what was computed: the
differential conductance dI/dV is a finite difference of the computed currents along ``bias``
(said in its label), never a recomputation.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ._style import new_axes, new_figure, parameter_label, variable_label, with_unit

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

__all__ = ["conductance_map", "iv_curves", "power_efficiency", "transport_overview"]


def _axis(dataset: Any, name: str) -> str:
    """``"symbol (unit)"`` of a data variable, from the registry or its attributes."""
    label = variable_label(name, dataset[name].attrs)
    return with_unit(label.symbol, label.unit)


def _check(dataset: Any, need: tuple[str, ...]) -> None:
    missing = [k for k in need if k not in dataset.variables]
    if missing:
        raise ValueError(f"the dataset has no {missing}: draw a sweep of st.sweeps.negf_steady_state over 'bias'")


def _gate(dataset: Any) -> str | None:
    """The coordinate beside ``bias`` of a 2-D sweep (None for a 1-D one)."""
    others = [d for d in dataset["I_0"].dims if d != "bias"]
    if len(others) > 1:
        raise ValueError(f"select all but one coordinate besides bias first (the dataset has {others})")
    return others[0] if others else None


def iv_curves(dataset: Any, *, ax: Axes | None = None, lead: int = 0) -> Axes:
    """Particle current from reservoir ``lead`` against the bias, one curve per gate value."""
    _check(dataset, ("bias", f"I_{lead}"))
    ax = new_axes(ax)
    gate = _gate(dataset)
    current = dataset[f"I_{lead}"]
    for value in (dataset[gate].values if gate else [None]):
        curve = current.sel({gate: value}) if gate else current
        label = f"{parameter_label(gate, dataset[gate].attrs)} = {value:.4g}" if gate else None
        ax.plot(dataset["bias"].values, curve.transpose("bias").values, label=label)
    ax.set_xlabel(parameter_label("bias", dataset["bias"].attrs))
    ax.set_ylabel(_axis(dataset, f"I_{lead}") + f" from reservoir {lead}")
    ax.axhline(0.0, color="0.7", lw=0.6)
    if gate and len(dataset[gate]) <= 12:
        ax.legend(fontsize=7)
    ax.set_title(f"I-V: {dataset.attrs.get('title', '')}", fontsize=9)
    return ax


def conductance_map(dataset: Any, *, ax: Axes | None = None, lead: int = 0) -> Axes:
    """Differential conductance dI/dV (central differences of the computed I along ``bias``) over (gate, bias)."""
    _check(dataset, ("bias", f"I_{lead}"))
    gate = _gate(dataset)
    if gate is None:
        raise ValueError("conductance_map needs a 2-D sweep: a gate coordinate beside bias")
    if len(dataset["bias"]) < 3:
        raise ValueError("conductance_map needs at least 3 bias values")
    ax = new_axes(ax)
    current = dataset[f"I_{lead}"].transpose(gate, "bias")
    dIdV = np.gradient(current.values, dataset["bias"].values, axis=1)
    mesh = ax.pcolormesh(dataset[gate].values, dataset["bias"].values, dIdV.T, shading="nearest", cmap="magma")
    ax.figure.colorbar(mesh, ax=ax, label=f"dI/dV from reservoir {lead} (e²/ħ; difference quotient)")
    ax.set_xlabel(parameter_label(gate, dataset[gate].attrs))
    ax.set_ylabel(parameter_label("bias", dataset["bias"].attrs))
    ax.set_title(f"Differential conductance: {dataset.attrs.get('title', '')}", fontsize=9)
    return ax


def power_efficiency(dataset: Any, *, ax: Axes | None = None) -> Axes:
    """The power-efficiency loop: power P against efficiency eta along the bias, one curve per gate.

    Only points where the device is an engine (P > 0) are drawn; the Carnot efficiency of the two
    leads' temperatures is marked when the dataset's attributes name them.
    """
    _check(dataset, ("bias", "power", "efficiency"))
    ax = new_axes(ax)
    gate = _gate(dataset)
    for value in (dataset[gate].values if gate else [None]):
        sel = dataset.sel({gate: value}) if gate else dataset
        P, eta = sel["power"].transpose("bias").values, sel["efficiency"].transpose("bias").values
        engine = P > 0
        if np.any(engine):
            label = f"{parameter_label(gate, dataset[gate].attrs)} = {value:.4g}" if gate else None
            ax.plot(eta[engine], P[engine], "o-", ms=2, label=label)
    carnot = _carnot(dataset)
    if carnot is not None:
        ax.axvline(carnot, color="k", ls="--", lw=0.8, label=f"Carnot {carnot:.3g}")
    ax.set_xlabel("efficiency η = P / heat from the hot lead")
    ax.set_ylabel(_axis(dataset, "power"))
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=7)
    ax.set_title(f"Power-efficiency: {dataset.attrs.get('title', '')}", fontsize=9)
    return ax


def _carnot(dataset: Any) -> float | None:
    import json

    try:
        temperatures = [b["T"] for b in json.loads(dataset.attrs.get("baths", "[]"))]
    except (TypeError, ValueError, KeyError):
        return None
    if len(temperatures) != 2 or temperatures[0] == temperatures[1]:
        return None
    return 1.0 - min(temperatures) / max(temperatures)


def transport_overview(dataset: Any) -> Any:
    """I-V curves, the conductance map (2-D sweeps) and the power-efficiency loop side by side."""
    gate = _gate(dataset)
    panels = 3 if gate is not None and len(dataset["bias"]) >= 3 else 2
    fig, axes = new_figure(1, panels, figsize=(5.0 * panels, 4.0))
    iv_curves(dataset, ax=axes[0])
    if panels == 3:
        conductance_map(dataset, ax=axes[1])
    power_efficiency(dataset, ax=axes[-1])
    fig.tight_layout()
    return axes


def is_transport_sweep(dataset: Any) -> bool:
    """A sweep of the steady state with a bias coordinate (what :func:`transport_overview` draws)."""
    return dataset.attrs.get("computation") == "strongtherm.negf.steady_state" and "bias" in dataset.dims
