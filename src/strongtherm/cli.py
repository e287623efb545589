"""The ``strongtherm`` command: ``list``, ``reproduce NAME|all [--out DIR]``, ``run CONFIG.toml``, ``version``."""

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
    run = sub.add_parser(
        "run",
        help="run your own model from a TOML config (state, path, quench or sweep)",
        description="Run a model described in a TOML config; see strongtherm.config and examples/.",
    )
    run.add_argument("config", type=Path, help="the config file (TOML)")
    run.add_argument("--out", type=Path, default=None, help="output folder, must not exist or be empty (default: runs/CONFIG, numbered if taken)")
    run.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                     help="override a config key, e.g. --set bath.T=0.05 (value parsed with ast.literal_eval)")
    run.add_argument("--quiet", action="store_true", help="no progress bar or messages on stderr")
    return parser


def _run(args: argparse.Namespace) -> int:
    """``strongtherm run``: 0 when done, 2 for a bad config (the message names the key)."""
    from .config import ConfigError, load_config, new_output_folder, run

    try:
        config = load_config(args.config, args.overrides)
        out = new_output_folder(args.out, args.config)
    except (ConfigError, OSError) as exc:
        print(f"strongtherm run: error: {exc}", file=sys.stderr)
        return 2
    print(f"writing to {out.resolve()}", file=sys.stderr)

    def log(message: str) -> None:
        if not args.quiet:
            print(message, file=sys.stderr)

    try:
        written = run(config, out, progress=not args.quiet, log=log)
    except ValueError as exc:  # a parameter outside a model's domain, a bad matrix, ...
        print(f"strongtherm run: error: {exc}", file=sys.stderr)
        return 2
    for path in written:
        print(f"  -> {path}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit status (0: done and every claim agrees, 1: a claim disagrees)."""
    from .core.version import __version__
    from .papers import REPRODUCTIONS, run_reproduction

    args = _parser().parse_args(argv)
    if args.command == "version":
        print(__version__)
        return 0
    if args.command == "run":
        return _run(args)
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
