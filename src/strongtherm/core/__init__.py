"""The core that no engine owns (DESIGN.md, Layers).

Shared by the Green's-function engine (:mod:`strongtherm.negf`), the exact mean-force engine
(:mod:`strongtherm.exact`), the Gaussian bridge (:mod:`strongtherm.gaussian`) and the dynamics
wing: warnings, the version, matrix functions, the definitions table, result base types, the
second-law audit and the quantity registry. Nothing here imports an engine.
"""

from .version import __version__
from .warnings import NumericsWarning, RankDeficientWarning

__all__ = ["NumericsWarning", "RankDeficientWarning", "__version__"]
