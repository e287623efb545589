"""Quasistatic Green's-function engine for noninteracting fermions (Kumar, Webb & Stafford 2024).

``equilibrium(model, bath, **params)`` gives the state functions of system and reservoir under
the Hilbert-space partition; ``quasistatic(model, bath, path)`` the works of a slow process.
"""

from ..core.warnings import NumericsError
from . import fock
from .integrate import QuadratureOptions
from .meanforce import GaussianState, MeanForce, QuadraticOperator, mean_force
from .partition import Equilibrium, NumericsWarning, RegionState, equilibrium
from .process import QuasistaticProcess, quasistatic
from .quench import FermionicQuench, quench
from .reservoirs import CustomReservoir, LorentzianBand, Reservoir, TightBindingChain, WideBand
from .spectral import BoundState, bound_states, greens_function, spectral_densities
from .system import OpenSystem

__all__ = [
    "BoundState",
    "CustomReservoir",
    "Equilibrium",
    "FermionicQuench",
    "GaussianState",
    "LorentzianBand",
    "MeanForce",
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
    "equilibrium",
    "fock",
    "greens_function",
    "mean_force",
    "quasistatic",
    "quench",
    "spectral_densities",
]
