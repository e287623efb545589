"""The rival definitions of a strongly coupled system's thermodynamics, named once.

Davoudi et al. (2025) compare three internal energies of the system (and the works, heats and
entropies built on them): ``diff`` (U_diff = U_SR - U_R^0, Eq. 10), ``H*`` (U_H* = Tr H*_S rho_S,
Eq. 11) and ``E*`` (U_E* = Tr E*_S rho_S, Eq. 13). Kumar, Webb & Stafford (2024) add the
alpha-partitions (Eqs. 22-24), which take a fraction alpha in [0, 1] as an argument; alpha = 1/2
is their Hilbert-space partition.
"""

from __future__ import annotations

__all__ = ["DEFINITIONS", "DEFINITION_EQUATIONS"]

#: The three definitions of the system's internal energy compared by Davoudi et al.
DEFINITIONS: tuple[str, str, str] = ("diff", "H*", "E*")

#: Where each definition's internal energy is defined in Davoudi et al. (2025).
DEFINITION_EQUATIONS: dict[str, str] = {"diff": "Eq. (10)", "H*": "Eq. (11)", "E*": "Eq. (13)"}
