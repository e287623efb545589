"""Finite-speed driving of open fermionic systems (issue 12).

:mod:`.friction`: slow driving from equilibrium Green's functions (friction tensor, thermodynamic
length, minimum-dissipation schedule).
"""

from .friction import (
    BoundStateOnPath,
    BoundStateWarning,
    FrictionOptions,
    FrictionResult,
    OptimalSchedule,
    friction,
    friction_tensor,
)

__all__ = [
    "BoundStateOnPath",
    "BoundStateWarning",
    "FrictionOptions",
    "FrictionResult",
    "OptimalSchedule",
    "friction",
    "friction_tensor",
]
