"""Ready-made models: *what* the physics is (Hamiltonians, parameters, derivatives), no solving.

Fermionic open systems for the Green's-function engine (:mod:`strongtherm.negf`) and
finite composite systems for the mean-force engine (:mod:`strongtherm.exact`).
"""

from .fermions import resonant_level, two_level_two_reservoirs

__all__ = ["resonant_level", "two_level_two_reservoirs"]
