"""Quasistatic Green's-function engine for noninteracting fermions (Kumar, Webb & Stafford 2024).

``equilibrium(model, bath, **params)`` gives the state functions of system and reservoir under
the Hilbert-space partition; ``quasistatic(model, bath, path)`` the works of a slow process;
``steady_state(model, baths, **params)`` the currents between reservoirs at different (T, mu).

The mean-force names (``mean_force``, ``MeanForce``, ``quench``, ``FermionicQuench``, ``fock``, ...)
live in :mod:`strongtherm.gaussian` (the bridge, which builds on this engine) and only there.
"""

from ..core.results import RegionState
from ..core.warnings import NumericsError, NumericsWarning
from .energy_integrals import EnergyIntegrals
from .fermi_poles import FermiPoleExpansion, fermi_pole_expansion
from .integrate import QuadratureOptions
from .partition import Equilibrium, equilibria, equilibrium
from .probe import ProbeReading, probe
from .process import QuasistaticProcess, quasistatic
from .reservoirs import CustomReservoir, LorentzianBand, Reservoir, TightBindingChain, WideBand
from .spectral import BoundState, bound_states, greens_function, spectral_densities
from .system import ModelPoint, OpenSystem
from .transport import (
    LinearResponse,
    SteadyState,
    linear_response,
    steady_state,
    steady_state_rows,
    steady_states,
    transmission,
)

__all__ = [
    "BoundState",
    "CustomReservoir",
    "EnergyIntegrals",
    "Equilibrium",
    "FermiPoleExpansion",
    "LinearResponse",
    "LorentzianBand",
    "ModelPoint",
    "NumericsError",
    "NumericsWarning",
    "OpenSystem",
    "ProbeReading",
    "QuadratureOptions",
    "QuasistaticProcess",
    "RegionState",
    "Reservoir",
    "SteadyState",
    "TightBindingChain",
    "WideBand",
    "bound_states",
    "equilibria",
    "equilibrium",
    "fermi_pole_expansion",
    "greens_function",
    "linear_response",
    "probe",
    "quasistatic",
    "spectral_densities",
    "steady_state",
    "steady_state_rows",
    "steady_states",
    "transmission",
]
