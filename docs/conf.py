"""Sphinx configuration of the strongtherm documentation.

Build: ``make docs`` (reproduces both papers into ``_static/gallery``, then
``sphinx-build -W -b html docs docs/_build/html``). A plain ``sphinx-build`` works too: whatever
generated content is missing (the reproductions' figures and claims, the tutorials' figures) is
made here first, in a few seconds.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import strongtherm

DOCS = Path(__file__).resolve().parent
GALLERY = DOCS / "_static" / "gallery"
REPRODUCTIONS = ("kumar2024", "davoudi2025", "finite_speed", "transport", "fluctuations")
TUTORIALS = ("negf_resonant_level", "exact_two_spin", "sweep_maps", "finite_speed", "two_terminals", "work_statistics", "your_own_fermionic_model", "your_own_finite_model", "large_reservoirs")

project = "strongtherm"
author = "the strongtherm authors"
copyright = "2025, the strongtherm authors"
release = strongtherm.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    # MathJax served from the built site itself (a local copy shipped by this package), so the
    # docs render their equations offline, with no CDN
    "sphinx-mathjax-offline",
    "sphinx.ext.viewcode",
]

# numpydoc-style docstrings, rendered by napoleon; Attributes as :ivar: fields, so that a
# dataclass field named in its class docstring is not described twice
napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_ivar = True
napoleon_use_rtype = False

autodoc_default_options = {"members": True, "show-inheritance": False}
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_typehints_description_target = "documented"
autodoc_preserve_defaults = True

exclude_patterns = ["_build", "_static/gallery/**", "_generated/**", "tutorials/*.py"]
templates_path: list[str] = []
html_static_path = ["_static"]
html_theme = "alabaster"
html_theme_options = {
    "description": "thermodynamics of strongly coupled quantum systems",
    "fixed_sidebar": True,
}
html_title = f"strongtherm {release}"


# ---------------------------------------------------------------------------- generated content
def _reproduce_if_missing() -> None:
    missing = [n for n in REPRODUCTIONS if not (GALLERY / n / "report.json").exists()]
    # what `make docs` does with `strongtherm reproduce all --out docs/_static/gallery`, for the
    # missing ones only (the command refuses a folder that already holds other files)
    from strongtherm.papers import run_reproduction

    for name in missing:
        if not run_reproduction(name, GALLERY, progress=False).all_agree:
            raise RuntimeError(f"strongtherm reproduce {name}: a claim of the paper does not hold (see report.json)")


def _tutorial_figures() -> None:
    target = GALLERY / "tutorials"
    for name in TUTORIALS:
        script = DOCS / "tutorials" / f"{name}.py"
        stamp = target / f".{name}.done"
        if stamp.exists() and stamp.stat().st_mtime >= script.stat().st_mtime:
            continue
        target.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [sys.executable, str(script), str(target)], check=True, capture_output=True, cwd=target
        )
        stamp.touch()


def _rst_escape(text: str) -> str:
    # an underscore ends a reference name in RST (a cell cut after "T_" was an unknown target)
    return text.replace("\\", "\\\\").replace("*", "\\*").replace("`", "\\`").replace("|", "\\|").replace("_", "\\_")


def _claims_tables() -> None:
    """``_static/gallery/NAME/claims.rst.inc``: each report.json as a table for the gallery page."""
    for name in REPRODUCTIONS:
        report = json.loads((GALLERY / name / "report.json").read_text())
        lines = [
            f"{sum(c['agrees'] for c in report['claims'])} of {len(report['claims'])} claims agree"
            f" (strongtherm {report.get('strongtherm_version', '?')}).",
            "",
            ".. list-table::",
            "   :header-rows: 1",
            "   :widths: 50 15 25 10",
            "",
            "   * - claim",
            "     - paper",
            "     - ours",
            "     - agrees",
        ]
        for c in report["claims"]:
            ours = c["ours"]
            if isinstance(ours, float):
                ours = f"{ours:.6g}"
            elif isinstance(ours, dict | list):
                ours = json.dumps(ours, default=str)
                ours = ours if len(ours) <= 160 else ours[:157] + "..."
            lines += [
                f"   * - {_rst_escape(str(c['claim']))}",
                f"     - {_rst_escape(str(c['paper']))}",
                f"     - {_rst_escape(str(ours))}",
                f"     - {'yes' if c['agrees'] else '**NO**'}",
            ]
        (GALLERY / name / "claims.rst.inc").write_text("\n".join(lines) + "\n")


def _quantities_table() -> None:
    """``_generated/quantities.rst.inc``: the quantity registry as tables, one per paper, by equation."""
    from strongtherm.core.quantities import PAPERS, UNITS, table_rows

    sections = [(paper, PAPERS[paper][0]) for paper in PAPERS] + [("", "Checks, counts and error estimates (ours)")]
    lines: list[str] = []
    rows = table_rows()
    for paper, title in sections:
        chosen = [r for r in rows if r["paper"] == paper]
        lines += [title, "~" * len(title), "", ".. list-table::", "   :header-rows: 1", "   :widths: 9 14 30 25 10 32", ""]
        lines += ["   * - equation", "     - symbol", "     - in strongtherm", "     - key (``to_dict``, sweeps)",
                  "     - unit", "     - what"]  # fmt: skip
        for r in chosen:
            lines += [
                f"   * - {r['equation'] or '—'}",
                f"     - {_rst_escape(str(r['symbol']))}",
                f"     - ``{r['attribute']}``",
                f"     - ``{r['key_text']}``",
                f"     - {UNITS[str(r['unit'])]}",
                f"     - {_rst_escape(str(r['long_name']))}",
            ]
        lines.append("")
    target = DOCS / "_generated" / "quantities.rst.inc"
    target.parent.mkdir(exist_ok=True)
    target.write_text("\n".join(lines) + "\n")


_reproduce_if_missing()
_tutorial_figures()
_claims_tables()
_quantities_table()
