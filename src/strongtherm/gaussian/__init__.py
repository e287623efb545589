"""The bridge: Davoudi et al.'s mean-force definitions for Kumar et al.'s fermions.

The global grand-canonical Gibbs state of noninteracting fermions is Gaussian, so the Hamiltonian
of mean force, E*_S, the three internal energies and the quench thermodynamics of Davoudi et al.
(2025) follow from the Green's-function engine's correlation matrix, with no Fock space
(:mod:`.meanforce`, :mod:`.quench`); :mod:`.fock` writes the same problem on a finite chain in
Fock space (Jordan-Wigner) for the exact engine, the independent road.

Builds on :mod:`strongtherm.negf` and :mod:`strongtherm.core`; neither engine imports it. Its
names have this one path (the aliases under ``st.negf`` were removed: see the CHANGELOG).
"""

from __future__ import annotations

from . import fock
from .meanforce import (
    GaussianState,
    MeanForce,
    QuadraticOperator,
    free_energy_from_phase,
    mean_force,
    mean_force_finite_chain,
    mean_force_from_hamiltonian,
)
from .quench import FermionicQuench, quench, quench_finite_chain, quench_hamiltonian

__all__ = [
    "FermionicQuench",
    "GaussianState",
    "MeanForce",
    "QuadraticOperator",
    "fock",
    "free_energy_from_phase",
    "mean_force",
    "mean_force_finite_chain",
    "mean_force_from_hamiltonian",
    "quench",
    "quench_finite_chain",
    "quench_hamiltonian",
]
