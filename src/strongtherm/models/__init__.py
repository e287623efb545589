"""Ready-made models: *what* the physics is (Hamiltonians, parameters, derivatives), no solving.

Fermionic open systems for the Green's-function engine (:mod:`strongtherm.negf`) and
finite composite systems for the mean-force engine (:mod:`strongtherm.exact`). Your own fermionic
model: :func:`affine_open_system` (matrices and reservoir objects) or :func:`matrix_open_system`
(nested lists, arrays or QuTiP objects and reservoirs as mappings, :func:`reservoir_from_spec`:
the builder behind configs).
"""

from .affine import (
    RESERVOIR_BANDS,
    AffineCouplings,
    AffineMatrix,
    affine_open_system,
    matrix_open_system,
    reservoir_from_spec,
)
from .fermions import resonant_level, two_level_two_reservoirs
from .spins import (
    constrained_two_spin,
    pauli_composite,
    pauli_hamiltonian,
    pauli_string,
    random_composite,
    two_spin,
)

__all__ = [
    "RESERVOIR_BANDS",
    "AffineCouplings",
    "AffineMatrix",
    "affine_open_system",
    "constrained_two_spin",
    "matrix_open_system",
    "pauli_composite",
    "pauli_hamiltonian",
    "pauli_string",
    "random_composite",
    "reservoir_from_spec",
    "resonant_level",
    "two_level_two_reservoirs",
    "two_spin",
]
