"""What every reproduction reports: claims, the report (report.json), progress lines (files via :mod:`strongtherm.io`)."""

from __future__ import annotations

import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .. import plot
from ..core.convert import to_builtin
from ..core.version import __version__
from ..io import write_json

__all__ = ["Claim", "Progress", "Report"]


@dataclass(frozen=True)
class Claim:
    """One claim of a paper, checked against our computation.

    ``paper`` is what the paper says (a number or a statement), ``ours`` what we computed,
    ``tolerance`` how the two were compared, ``agrees`` the verdict. A claim that does not hold
    is reported as such, never tuned away.
    """

    claim: str
    paper: Any
    ours: Any
    tolerance: str
    agrees: bool
    details: str = ""

    def to_json(self) -> dict[str, Any]:
        out = to_builtin(asdict(self))
        out["agrees"] = bool(self.agrees)
        return out


@dataclass
class Report:
    """The claims of one reproduction, plus the choices we made where the paper is silent."""

    name: str
    paper: str
    claims: list[Claim] = field(default_factory=list)
    choices: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)

    def add(self, claim: Claim) -> None:
        self.claims.append(claim)

    @property
    def all_agree(self) -> bool:
        return all(c.agrees for c in self.claims)

    def save_figure(self, fig: Any, out: Path, name: str, *, dpi: int = 150) -> Path:
        """Lay out, save as ``out / name``, close, and list the file in the report."""
        path = plot.save_figure(fig, out / name, dpi=dpi, tight=True)
        self.files.append(name)
        return path

    def write(self, out: Path) -> Path:
        """Write ``out / "report.json"``: the claims, the choices, the files and the version."""
        path = out / "report.json"
        payload = {
            "reproduction": self.name,
            "paper": self.paper,
            "strongtherm_version": __version__,
            "all_agree": self.all_agree,
            "claims": [c.to_json() for c in self.claims],
            "choices": self.choices,
            "files": sorted(self.files),
        }
        return write_json(path, payload, strict=True)  # strict JSON: NaN and inf as strings

    def summary(self) -> str:
        lines = [f"{self.name}: {sum(c.agrees for c in self.claims)}/{len(self.claims)} claims agree"]
        for c in self.claims:
            mark = "ok  " if c.agrees else "FAIL"
            lines.append(f"  [{mark}] {c.claim}: paper {c.paper!r}, ours {_short(c.ours)}")
        return "\n".join(lines)


def _short(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return repr(to_builtin(value))


class Progress:
    """Plain progress lines on stderr (one per step), so long reproductions show they are alive."""

    def __init__(self, name: str, enabled: bool = True) -> None:
        self.name = name
        self.enabled = enabled
        self.t0 = time.perf_counter()

    def __call__(self, message: str) -> None:
        if self.enabled:
            elapsed = time.perf_counter() - self.t0
            print(f"[{self.name} {elapsed:7.1f}s] {message}", file=sys.stderr, flush=True)
