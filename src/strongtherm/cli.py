"""The ``strongtherm`` command: ``list``, ``reproduce NAME|all [--out DIR]``, ``version``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    from .papers import REPRODUCTIONS

    parser = argparse.ArgumentParser(
        prog="strongtherm",
        description=(
            "Thermodynamics of quantum systems strongly coupled to their environment. "
            "Reproduces Kumar, Webb & Stafford, PRL 133, 070404 (2024) and Davoudi et al. (2025)."
        ),
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="list the reproductions")
    rep = sub.add_parser(
        "reproduce",
        help="reproduce a paper's figures and claims (writes PNG, CSV and report.json)",
        description="Reproductions: " + "; ".join(f"{k}: {v.description}" for k, v in REPRODUCTIONS.items()),
    )
    rep.add_argument("name", choices=[*REPRODUCTIONS, "all"], help="which reproduction ('all' runs every one)")
    rep.add_argument("--out", type=Path, default=Path("results"), help="output folder (default: ./results)")
    rep.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    sub.add_parser("version", help="print the version")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit status (0: done and every claim agrees, 1: a claim disagrees)."""
    from . import __version__
    from .papers import REPRODUCTIONS, run_reproduction

    args = _parser().parse_args(argv)
    if args.command == "version":
        print(__version__)
        return 0
    if args.command == "list":
        for name, rep in REPRODUCTIONS.items():
            print(f"{name:14s} {rep.description}")
        return 0
    names = list(REPRODUCTIONS) if args.name == "all" else [args.name]
    print(f"writing to {args.out.resolve()}", file=sys.stderr)
    status = 0
    for name in names:
        report = run_reproduction(name, args.out, progress=not args.quiet)
        print(report.summary())
        print(f"  -> {(args.out / name / 'report.json')}")
        if not report.all_agree:
            status = 1
    return status


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
