"""Shared set-up for tests/negf: make ``tests/references`` importable and read the reduced flag.

``tests/references/quad_reference.py`` is the plain quad reference of the resonant-level model
(the second road of DESIGN.md, "Validation"); it lives outside the package on purpose.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

_TESTS = str(Path(__file__).resolve().parents[1])
if _TESTS not in sys.path:
    sys.path.insert(0, _TESTS)

#: STRONGTHERM_REDUCED=1: slow convergence studies run with shorter chains (CI's reduced form).
REDUCED = os.environ.get("STRONGTHERM_REDUCED", "") not in ("", "0")
