"""strongtherm: thermodynamics of quantum systems strongly coupled to their environment.

Two engines:

* :mod:`strongtherm.negf` - quasistatic Green's-function thermodynamics of noninteracting
  fermions (Kumar, Webb & Stafford, PRL 133, 070404 (2024));
* :mod:`strongtherm.exact` - Hamiltonian of mean force for finite system + reservoir in a global
  Gibbs state, quench work and heat (Davoudi et al. 2025).

:mod:`strongtherm.gaussian` is the bridge (the second paper's definitions for the first paper's
fermions) and :mod:`strongtherm.core` what no engine owns.

:mod:`strongtherm.dynamics` drives the fermionic models at finite speed (exact Gaussian time
evolution on chain reservoirs), between the sudden quench and the quasistatic limit.

Units: hbar = k_B = 1; entropy in nats; work done on and heat absorbed by the system positive.
"""

from . import dynamics, exact, gaussian, models, negf, plot, sweeps
from .core.version import __version__
from .dynamics import Protocol
from .path import Path
from .sweeps._driver import sweep
from .thermal import Bath

__all__ = [
    "Bath",
    "Path",
    "Protocol",
    "__version__",
    "dynamics",
    "exact",
    "gaussian",
    "models",
    "negf",
    "plot",
    "sweep",
    "sweeps",
]
