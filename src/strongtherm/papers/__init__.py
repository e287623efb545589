"""Reproductions of the papers' figures and claims: one module per paper, one runner for all.

Each paper module holds only its own computations and claims: ``PAPER`` (the reference) and
``compute(out, report, log)``, which writes its PNG figures and CSV data into the folder ``out``,
adds its claims (:class:`~strongtherm.papers._report.Claim`) and its choices where the paper is
silent to ``report``, and reports progress through ``log``. :func:`run_reproduction` does the
rest, the same for every paper: the folder, the report, ``report.json`` (listed among the
files), and the progress lines. The registry :data:`REPRODUCTIONS` is what ``strongtherm list``
shows; ``strongtherm reproduce`` stages the output folder around it
(:func:`strongtherm.io.staged_folder`).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from ._report import Progress, Report

__all__ = ["REPRODUCTIONS", "Reproduction", "run_reproduction"]


@dataclass(frozen=True)
class Reproduction:
    """A reproduction: its ``name`` (the CLI's), the paper ``module`` that computes it, and a line for ``strongtherm list``."""

    name: str
    module: str
    description: str

    def load(self) -> ModuleType:
        """The paper module (imported only when asked for: ``strongtherm list`` stays quick)."""
        return importlib.import_module(f"strongtherm.papers.{self.module}")


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
            "transport",
            "transport",
            "Two terminals: the steady state against the wide-band level's closed forms, QuTiP's HEOM-tutorial current, "
            "Esposito et al. EPL 85, 60010 (2009) (efficiency at maximum power) and Whitney PRL 112, 130601 (2014) (power bound)",
        ),
        Reproduction(
            "fluctuations",
            "fluctuations",
            "Work statistics at strong coupling: two-point measurements of the universe against the system alone "
            "(H_S, H*_S, E*_S), Jarzynski and Crooks, Anderson's orthogonality (the closing question of Davoudi et al.)",
        ),
        Reproduction(
            "compare",
            "compare",
            "Both papers on the same fermions: every definition of U_S and S_S side by side, third law, fermionic quenches",
        ),
    )
}


def run_reproduction(name: str, out: Path, *, progress: bool = True) -> Report:
    """Run one reproduction into ``out / name``, write its ``report.json`` there and return the report.

    Parameters
    ----------
    name
        A key of :data:`REPRODUCTIONS`.
    out
        The parent folder (created if missing); the files go into ``out / name``.
    progress
        Print a progress line on stderr per step, and the claims' tally at the end.

    Raises
    ------
    ValueError
        For an unknown ``name``.
    """
    if name not in REPRODUCTIONS:
        raise ValueError(f"unknown reproduction {name!r}; choose one of {sorted(REPRODUCTIONS)} or 'all'")
    paper = REPRODUCTIONS[name].load()
    target = Path(out) / name
    target.mkdir(parents=True, exist_ok=True)
    log = Progress(name, progress)
    report = Report(name, paper.PAPER)
    paper.compute(target, report, log)
    report.files.append("report.json")
    report.write(target)
    log(report.summary().splitlines()[0])
    return report
