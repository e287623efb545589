"""Finite-speed driving of open fermionic systems: the dynamics wing (DESIGN.md, "Finite speed").

``Protocol(path, duration, schedule, hold)`` says how the parameters move; ``drive(model, bath,
protocol, times=...)`` follows the exact Gaussian state of system + chain reservoirs and returns
the works, energies, heat, reduced state and entropy production as a :class:`Drive`; with one
``Bath`` per reservoir (a bias) also the currents, heat and pumped charge of every lead, and
``Drive.cycle`` the work, heats, power and efficiency of one period of a cyclic machine.
The sudden quench (duration 0) and the quasistatic process (duration -> infinity, no bound
state along the path) are its limits.

``friction(model, bath, path)`` is the slow-driving side from equilibrium Green's functions: the
friction tensor, the predicted dissipated work (1/tau) int lambda'^T zeta lambda' ds, the
thermodynamic length and the minimum-dissipation schedule (a schedule ``Protocol`` accepts).
"""

from .chain import ChainLength, ChainMapping, chain_length, chain_mapping
from .cycles import Cycle
from .engine import BoundStateWarning, Drive, drive, lead_model
from .entropy import gaussian_entropy, mutual_information, relative_entropy_to_gibbs
from .friction import (
    BoundStateOnPath,
    Friction,
    FrictionOptions,
    OptimalSchedule,
    friction,
    friction_tensor,
)
from .geodesic import Geodesic, geodesic
from .protocol import Protocol, Schedule

__all__ = [
    "BoundStateOnPath",
    "BoundStateWarning",
    "ChainLength",
    "ChainMapping",
    "Cycle",
    "Drive",
    "Friction",
    "FrictionOptions",
    "Geodesic",
    "OptimalSchedule",
    "Protocol",
    "Schedule",
    "chain_length",
    "chain_mapping",
    "drive",
    "friction",
    "friction_tensor",
    "gaussian_entropy",
    "geodesic",
    "lead_model",
    "mutual_information",
    "relative_entropy_to_gibbs",
]
