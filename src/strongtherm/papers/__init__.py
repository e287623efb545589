"""Reproductions of the papers' figures and claims: one module per paper.

Each module exposes ``reproduce(out: pathlib.Path, *, progress: bool = True) -> Report``; it
computes the data, writes PNG figures and CSV data, and a ``report.json`` of the paper's
claims beside ours. The registry below is what ``strongtherm list`` shows.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ._report import Report

__all__ = ["REPRODUCTIONS", "Reproduction", "run_reproduction"]


@dataclass(frozen=True)
class Reproduction:
    name: str
    module: str
    description: str

    def load(self) -> Callable[..., Report]:
        return importlib.import_module(f"strongtherm.papers.{self.module}").reproduce


REPRODUCTIONS: dict[str, Reproduction] = {
    r.name: r
    for r in (
        Reproduction(
            "kumar2024",
            "kumar2024",
            "Kumar, Webb & Stafford, PRL 133, 070404 (2024): Figs. 1-3, work sum rule, alpha-partitions",
        ),
        Reproduction(
            "davoudi2025",
            "davoudi2025",
            "Davoudi et al. (2025): Fig. 2(a)-(c), quench work and heat, Appendix D closed forms",
        ),
        Reproduction(
            "finite_speed",
            "finite_speed",
            "Finite-speed driving of the resonant level: W and every system energy from the sudden quench to the quasistatic limit, entropy production, the bound-state trap",
        ),
        Reproduction(
            "bruch2016",
            "bruch2016",
            "Bruch et al., PRB 93, 115318 (2016) and Ludovico et al., PRB 89, 161306 (2014): the slowly driven wide-band level, friction, weak-coupling and T -> 0 (Joule) limits, exact dynamics (abstracts only; closed forms derived here)",
        ),
        Reproduction(
            "compare",
            "compare",
            "Both papers on the same fermions: every definition of U_S and S_S side by side, third law, fermionic quenches",
        ),
    )
}


def run_reproduction(name: str, out: Path, *, progress: bool = True) -> Report:
    """Run one reproduction into ``out / name`` and return its report."""
    if name not in REPRODUCTIONS:
        raise ValueError(f"unknown reproduction {name!r}; choose one of {sorted(REPRODUCTIONS)} or 'all'")
    target = Path(out) / name
    target.mkdir(parents=True, exist_ok=True)
    return REPRODUCTIONS[name].load()(target, progress=progress)
