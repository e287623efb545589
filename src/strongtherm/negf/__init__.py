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
