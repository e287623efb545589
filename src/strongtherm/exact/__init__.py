"""Exact finite-dimensional mean-force engine (Davoudi et al. 2025).

A finite system S coupled to a finite reservoir R (:class:`Composite`, Eq. 1) in a global Gibbs
state at inverse temperature ``beta``: Hamiltonian of mean force ``H*_S`` (Eq. 4), energy operator
``E*_S`` (Eq. 12, exact Fréchet derivative of the matrix logarithm), free energy ``F_S`` (Eq. 7),
the three internal energies ``U_diff``, ``U_H*``, ``U_E*`` (Eqs. 10, 11, 13) and entropies
(Eq. 33) from :func:`equilibrium`; sudden quenches with work, heat and the second-law audit from
:func:`quench` (Eqs. 20-37); finite-speed driving of a composite, dense or by quantum typicality,
from :func:`drive_composite`.

Conventions: hbar = k_B = 1; the system factor comes first in the tensor product; work done on
and heat absorbed by the system are positive; entropies in nats.
"""

from __future__ import annotations

from . import linalg
from .composite import Composite
from .driving import CompositeDrive, drive_composite
from .linalg import frechet_log, partial_trace
from .meanforce import (
    DEFINITIONS,
    Equilibrium,
    ExactOptions,
    RankDeficientWarning,
    equilibria,
    equilibrium,
)
from .quench import (
    Quench,
    SecondLawAudit,
    SecondLawRow,
    interaction_quench,
    quench,
    system_quench,
)

__all__ = [
    "DEFINITIONS",
    "Composite",
    "CompositeDrive",
    "Equilibrium",
    "ExactOptions",
    "Quench",
    "RankDeficientWarning",
    "SecondLawAudit",
    "SecondLawRow",
    "drive_composite",
    "equilibria",
    "equilibrium",
    "frechet_log",
    "interaction_quench",
    "linalg",
    "partial_trace",
    "quench",
    "system_quench",
]
