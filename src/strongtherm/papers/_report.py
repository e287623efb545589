"""Shared pieces of the reproductions: claims, report.json, CSV files, progress lines."""

from __future__ import annotations

import csv
import json
import math
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["Claim", "Progress", "Report", "write_csv"]


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
        out = asdict(self)
        out["ours"] = _jsonable(self.ours)
        out["paper"] = _jsonable(self.paper)
        out["agrees"] = bool(self.agrees)
        return out


def _jsonable(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, np.ndarray):
        return [_jsonable(v) for v in value.tolist()]
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return value


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
        import matplotlib.pyplot as plt

        fig.tight_layout()
        path = out / name
        fig.savefig(path, dpi=dpi)
        plt.close(fig)
        self.files.append(name)
        return path

    def write(self, out: Path) -> Path:
        from ..core.version import __version__

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
        path.write_text(json.dumps(payload, indent=2) + "\n")
        return path

    def summary(self) -> str:
        lines = [f"{self.name}: {sum(c.agrees for c in self.claims)}/{len(self.claims)} claims agree"]
        for c in self.claims:
            mark = "ok  " if c.agrees else "FAIL"
            lines.append(f"  [{mark}] {c.claim}: paper {c.paper!r}, ours {_short(c.ours)}")
        return "\n".join(lines)


def _short(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return repr(_jsonable(value))


def write_csv(path: Path, columns: Mapping[str, Sequence[float] | np.ndarray], comment: Iterable[str] = ()) -> Path:
    """Write equal-length columns to CSV, with ``# ...`` comment lines (units, parameters) on top."""
    names = list(columns)
    data = [np.asarray(columns[n]).ravel() for n in names]
    lengths = {len(d) for d in data}
    if len(lengths) != 1:
        raise ValueError(f"columns of {path.name} differ in length: { {n: len(d) for n, d in zip(names, data, strict=True)} }")
    with path.open("w", newline="") as fh:
        for line in comment:
            fh.write(f"# {line}\n")
        writer = csv.writer(fh)
        writer.writerow(names)
        for row in zip(*data, strict=True):
            writer.writerow([repr(float(v)) if np.isrealobj(v) else str(v) for v in row])
    return path


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
