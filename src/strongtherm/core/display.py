"""Notebook display of results: a small HTML table (``_repr_html_``) built from plain numbers.

Results stay frozen dataclasses with a short text ``__repr__``; in Jupyter the same numbers show as
a table. Nothing here computes: the caller passes the rows it already holds.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence

__all__ = ["html_of_values", "html_table"]


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.10g}"
    return html.escape(str(value))


def html_table(title: str, header: Sequence[str], rows: Sequence[Sequence[object]], notes: Mapping[str, object] | None = None) -> str:
    """An HTML table with a caption, a header row and body rows (floats to 10 significant digits).

    Parameters
    ----------
    title : str
        Caption (escaped).
    header : sequence of str
        Column names.
    rows : sequence of sequences
        Cell values, one sequence per row.
    notes : mapping, optional
        ``name: value`` pairs shown under the table (inputs such as T, mu, parameters).
    """
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{_cell(v)}</td>" for v in row) + "</tr>" for row in rows)
    foot = ""
    if notes:
        foot = "<p>" + "; ".join(f"{html.escape(str(k))} = {_cell(v)}" for k, v in notes.items()) + "</p>"
    return f"<table><caption>{html.escape(title)}</caption><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{foot}"


def html_of_values(title: str, values: Mapping[str, float], notes: Mapping[str, object] | None = None) -> str:
    """A result's scalars (its ``to_dict()``) as a table of symbol, key, value and unit, read from
    the quantity registry (a key it does not know shows as itself)."""
    from .quantities import lookup

    rows = []
    for key, value in values.items():
        row = lookup(key)
        rows.append((row.symbol if row else key, key, value, row.unit if row else ""))
    return html_table(title, ("quantity", "key", "value", "unit"), rows, notes)
