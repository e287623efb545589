"""The ``strongtherm`` command: ``list``, ``reproduce NAME|all [--out DIR]``, ``run CONFIG.toml``, ``version``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    from .config import TASK_KINDS
    from .papers import REPRODUCTIONS

    # the task kinds from the schema itself, so that --help never lags behind it
    kinds = ", ".join(dict.fromkeys(kind for engine_kinds in TASK_KINDS.values() for kind in engine_kinds))
    parser = argparse.ArgumentParser(
        prog="strongtherm",
        description=(
            "Thermodynamics of quantum systems strongly coupled to their environment. "
            "Reproduces Kumar, Webb & Stafford, PRL 133, 070404 (2024) and Davoudi et al. (2025), and drives "
            "their models at any speed in between (strongtherm reproduce finite_speed)."
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
    rep.add_argument("--out", type=Path, default=None,
                     help="output folder, must not exist or be empty (default: ./results, numbered if taken)")
    rep.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    sub.add_parser("version", help="print the version")
    run = sub.add_parser(
        "run",
        help=f"run your own model from a TOML config (task kinds: {kinds})",
        description="Run a model described in a TOML config; see strongtherm.config and examples/.",
    )
    run.add_argument("config", type=Path, help="the config file (TOML)")
    run.add_argument("--out", type=Path, default=None, help="output folder, must not exist or be empty (default: runs/CONFIG, numbered if taken)")
    run.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                     help="override a config key, e.g. --set bath.T=0.05 (value parsed with ast.literal_eval)")
    run.add_argument("--quiet", action="store_true", help="no progress bar or messages on stderr")
    return parser


def _error(command: str, message: object) -> int:
    print(f"strongtherm {command}: error: {message}", file=sys.stderr)
    return 2


def _files_only_backend() -> None:
    """The commands write PNG files and never show a window: draw with Agg (chosen here, by the
    application at run time; no library module chooses a backend)."""
    import matplotlib

    matplotlib.use("Agg")


def _run(args: argparse.Namespace) -> int:
    """``strongtherm run``: 0 when done, 2 for a bad config, model, grid or output path.

    Everything (config keys, model, parameters, every grid point, the output path) is checked
    before any folder is created; a run that fails leaves no folder behind.
    """
    from .config import ConfigError, load_config, new_output_folder
    from .tasks import execute, prepare

    try:
        config = load_config(args.config, args.overrides)
        plan = prepare(config, progress=not args.quiet)
        out = new_output_folder(args.out, args.config)
    except (ConfigError, ValueError, TypeError, OSError) as exc:  # OSError: the config file itself
        return _error("run", exc)
    print(f"writing to {out.resolve()}", file=sys.stderr)

    def log(message: str) -> None:
        if not args.quiet:
            print(message, file=sys.stderr)

    _files_only_backend()
    try:
        written = execute(plan, config, out, log=log)
    except OSError as exc:
        return _error("run", f"cannot write the output folder {out}: {exc.strerror or exc} (nothing was written)")
    except (ValueError, TypeError, RuntimeError) as exc:  # a failure while computing: no folder left behind
        return _error("run", f"{exc} (nothing was written to {out})")
    for path in written:
        print(f"  -> {path}")
    return 0


def _reproduce(args: argparse.Namespace) -> int:
    """``strongtherm reproduce``: 0 when every claim agrees, 1 if one does not, 2 for a bad ``--out``."""
    from .config import ConfigError, new_output_folder
    from .io import staged_folder
    from .papers import REPRODUCTIONS, run_reproduction

    try:
        out = new_output_folder(args.out, "results", default_root=".")
    except ConfigError as exc:
        return _error("reproduce", exc)
    names = list(REPRODUCTIONS) if args.name == "all" else [args.name]
    print(f"writing to {out.resolve()}", file=sys.stderr)
    _files_only_backend()
    status = 0
    summaries = []
    try:
        with staged_folder(out) as staging:
            for name in names:
                report = run_reproduction(name, staging, progress=not args.quiet)
                print(report.summary())
                summaries.append(name)
                if not report.all_agree:
                    status = 1
    except OSError as exc:
        return _error("reproduce", f"cannot write the output folder {out}: {exc.strerror or exc}")
    for name in summaries:
        print(f"  -> {out / name / 'report.json'}")
    return status


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit status (0: done and every claim agrees, 1: a claim disagrees,
    2: bad input, reported in one line naming what is wrong)."""
    from .core.version import __version__
    from .papers import REPRODUCTIONS

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
    return _reproduce(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
