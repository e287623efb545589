"""Quasistatic Green's-function engine for noninteracting fermions (Kumar, Webb & Stafford 2024).

``equilibrium(model, bath, **params)`` gives the state functions of system and reservoir under
the Hilbert-space partition; ``quasistatic(model, bath, path)`` the works of a slow process.

The mean-force names ``mean_force``, ``MeanForce``, ``GaussianState``, ``QuadraticOperator``,
``quench`` and ``FermionicQuench`` live in :mod:`strongtherm.gaussian` (the bridge, which builds on
this engine); they are still reachable here, looked up lazily, so that this engine imports nothing
from the bridge or from the exact engine.
"""

from typing import Any

from ..core.results import RegionState
from ..core.warnings import NumericsError, NumericsWarning
from . import fock, meanforce  # noqa: F401  (old module paths, kept importable)
from . import quench as _quench_module  # noqa: F401  (the old path strongtherm.negf.quench keeps working)
from .energy_integrals import EnergyIntegrals
from .fermi_poles import FermiPoleExpansion, fermi_pole_expansion
from .integrate import QuadratureOptions
from .partition import Equilibrium, equilibria, equilibrium
from .process import QuasistaticProcess, quasistatic
from .reservoirs import CustomReservoir, LorentzianBand, Reservoir, TightBindingChain, WideBand
from .spectral import BoundState, bound_states, greens_function, spectral_densities
from .system import ModelPoint, OpenSystem

__all__ = [
    "BoundState",
    "CustomReservoir",
    "EnergyIntegrals",
    "Equilibrium",
    "FermiPoleExpansion",
    "FermionicQuench",
    "GaussianState",
    "LorentzianBand",
    "MeanForce",
    "ModelPoint",
    "NumericsError",
    "NumericsWarning",
    "OpenSystem",
    "QuadraticOperator",
    "QuadratureOptions",
    "QuasistaticProcess",
    "RegionState",
    "Reservoir",
    "TightBindingChain",
    "WideBand",
    "bound_states",
    "equilibria",
    "equilibrium",
    "fermi_pole_expansion",
    "fock",
    "greens_function",
    "mean_force",
    "quasistatic",
    "quench",
    "spectral_densities",
]

# `from . import quench` above bound the old module path's shim to the name `quench`; the name
# st.negf.quench is the quench function, as before the move (looked up by __getattr__ below)
globals().pop("quench", None)

_MOVED_TO_GAUSSIAN = {
    "FermionicQuench": "quench",
    "GaussianState": "meanforce",
    "MeanForce": "meanforce",
    "QuadraticOperator": "meanforce",
    "mean_force": "meanforce",
    "quench": "quench",
}


def __getattr__(name: str) -> Any:
    if name in _MOVED_TO_GAUSSIAN:
        from importlib import import_module

        value = getattr(import_module(f"strongtherm.gaussian.{_MOVED_TO_GAUSSIAN[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'strongtherm.negf' has no attribute {name!r}")
