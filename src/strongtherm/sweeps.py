"""The ready-made sweep computations, under their historical name: an alias of :mod:`strongtherm.sweep.ready`.

``st.sweeps.negf_equilibrium(model, bath)`` and ``st.sweep.ready.negf_equilibrium(...)`` are the
same function (``from strongtherm.sweep.ready import negf_equilibrium`` in new code); this module
defines nothing of its own, so the two names can never drift apart. :func:`strongtherm.sweep`
(singular) is the function that runs a computation over a grid.
"""

from __future__ import annotations

from .sweep import ready as _ready
from .sweep.ready import *  # noqa: F403  (the alias re-exports exactly ready's public names)

__all__ = list(_ready.__all__)
