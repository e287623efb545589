"""Shared set-up for tests/dynamics: the resonant level of Kumar et al. (t0 = 1.25) and the reduced flag."""

from __future__ import annotations

import os
import sys
from pathlib import Path

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

#: STRONGTHERM_REDUCED=1: slow tests run a shorter form (CI).
REDUCED = os.environ.get("STRONGTHERM_REDUCED", "") not in ("", "0")
