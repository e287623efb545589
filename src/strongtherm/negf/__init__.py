"""Quasistatic Green's-function engine for noninteracting fermions (Kumar, Webb & Stafford 2024)."""

from .reservoirs import CustomReservoir, LorentzianBand, Reservoir, TightBindingChain, WideBand
from .system import OpenSystem

__all__ = [
    "CustomReservoir",
    "LorentzianBand",
    "OpenSystem",
    "Reservoir",
    "TightBindingChain",
    "WideBand",
]

from .integrate import QuadratureOptions
from .partition import Equilibrium, NumericsWarning, RegionState, equilibrium
from .spectral import BoundState, bound_states, greens_function, spectral_densities

__all__ += [
    "BoundState",
    "Equilibrium",
    "NumericsWarning",
    "QuadratureOptions",
    "RegionState",
    "bound_states",
    "equilibrium",
    "greens_function",
    "spectral_densities",
]

from .process import QuasistaticProcess, quasistatic

__all__ += ["QuasistaticProcess", "quasistatic"]
