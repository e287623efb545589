"""What every plot shares: axis labels from the quantity registry, units, figures.

:class:`AxisLabel` is how a quantity appears on an axis (symbol, definition with its equation,
unit); :data:`AXIS_LABELS` holds the labels of the short names :func:`state_functions` knows.
Both are read from the quantity registry (:mod:`strongtherm.core.quantities`), whose rows are the
quantities themselves. :func:`new_figure` and :func:`save_figure` are the one place figures are
made and written (the reproductions of :mod:`strongtherm.papers` draw through them).

matplotlib is imported by :func:`pyplot` only when a figure is made, so ``import strongtherm``
stays light.
"""

from __future__ import annotations

import re
import sys
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..core.quantities import REGISTRY, UNITS, lookup, parameter_symbol, parameter_unit

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

__all__ = ["AXIS_LABELS", "AxisLabel", "new_figure", "save_figure", "wrap_label"]

ENERGY = UNITS["energy"]
ENTROPY = UNITS["nats"]


@dataclass(frozen=True)
class AxisLabel:
    """How a scalar quantity is labelled on an axis: symbol, definition (with its equation) and unit.

    A label, not the quantity: the quantity itself (key, symbol, unit, paper, equation) is a row
    of the registry, :class:`strongtherm.core.quantities.Quantity`, which this is made from.
    """

    symbol: str
    definition: str
    unit: str
    kind: str = ""

    def label(self) -> str:
        """``"symbol: definition"`` (the symbol alone when there is no definition)."""
        return f"{self.symbol}: {self.definition}" if self.definition else self.symbol


def axis_label_of(row: Any) -> AxisLabel:
    """A registry row (:class:`strongtherm.core.quantities.Quantity`) as an axis label."""
    return AxisLabel(row.symbol, row.definition, UNITS[row.unit], row.kind)


# short plot name -> axis label; documented where users read it, as strongtherm.plot.AXIS_LABELS
AXIS_LABELS: dict[str, AxisLabel] = {row.plot_name: axis_label_of(row) for row in REGISTRY.values() if row.plot_name}


def resolve(name: str) -> Any:
    """The registry row of a short plot name or a ``to_dict()`` key; None if unknown."""
    for row in REGISTRY.values():
        if row.plot_name == name:
            return row
    return lookup(name)


def pyplot() -> Any:
    """``matplotlib.pyplot``, imported here on first use: ``import strongtherm`` must not pay for it."""
    import matplotlib.pyplot as plt

    return plt


def new_axes(ax: Axes | None, figsize: tuple[float, float] = (6.0, 4.0)) -> Axes:
    """``ax`` itself, or the Axes of a new figure when it is None."""
    if ax is not None:
        return ax
    _, ax = pyplot().subplots(figsize=figsize, layout="constrained")
    return ax


def with_unit(text: str, unit: str | None) -> str:
    return f"{text} ({unit})" if unit else text


def unit_text(unit: Any) -> str:
    """Display form of a unit: a registry code (``"energy"``, ``"1"``, ...) or any other text as is."""
    text = "" if unit is None else str(unit)
    return UNITS.get(text, text)


def parameter_label(name: str, attrs: Mapping[str, Any] | None = None, *, model_parameter: bool = True) -> str:
    """Axis label of a parameter or coordinate: symbol and unit (from ``attrs`` if given).

    ``model_parameter``: the name belongs to a model of this package, whose Hamiltonian
    parameters are energies (:func:`strongtherm.core.quantities.parameter_unit`).
    """
    attrs = attrs or {}
    long_name = attrs.get("long_name")
    text = str(long_name) if long_name and long_name != name else parameter_symbol(name)
    unit = unit_text(attrs.get("units") or parameter_unit(name, model_parameter=model_parameter))
    return with_unit(text, unit or None)


def format_params(params: Mapping[str, Any]) -> str:
    return ", ".join(f"{parameter_symbol(k)}={v:g}" for k, v in params.items())


def dataset_type() -> type | None:
    """``xarray.Dataset`` if xarray is loaded (a Dataset cannot exist otherwise), else None."""
    xr = sys.modules.get("xarray")
    return None if xr is None else xr.Dataset


def is_dataset(obj: Any) -> bool:
    dataset = dataset_type()
    return dataset is not None and isinstance(obj, dataset)


def variable_label(name: str, attrs: Mapping[str, Any]) -> AxisLabel:
    """Label of a Dataset variable: the registry's if it knows the name, else its ``long_name``/``units``."""
    row = resolve(name)
    if row is not None:
        known = axis_label_of(row)
        return AxisLabel(known.symbol, known.definition, unit_text(attrs.get("units")) or known.unit, known.kind)
    symbol = str(attrs.get("symbol") or name)
    definition = str(attrs.get("long_name") or attrs.get("definition") or "")
    return AxisLabel(symbol, "" if definition == symbol else definition, unit_text(attrs.get("units")))


def new_figure(nrows: int = 1, ncols: int = 1, **options: Any) -> tuple[Any, Any]:
    """``matplotlib.pyplot.subplots(nrows, ncols, **options)``: the one place figures are made
    (the reproductions in :mod:`strongtherm.papers` draw through it)."""
    return pyplot().subplots(nrows, ncols, **options)


def save_figure(figure: Any, path: Any, *, dpi: int = 150, tight: bool = False) -> Any:
    """Save ``figure`` to ``path`` and close it (``tight``: ``tight_layout()`` first); return the path."""
    if tight:
        figure.tight_layout()
    figure.savefig(path, dpi=dpi)
    pyplot().close(figure)
    return path


#: Characters per line of a legend entry beside the axes: about 2.6 inches of "small" text, so
#: that the legend and a readable axes share a figure 9 inches wide.
LEGEND_WIDTH = 40
#: A text run never broken across lines: mathtext ($...$), "Kumar Eqs. 10, 12", "Eq. 14" (a
#: reference split over two lines reads as two references).
_UNBROKEN = re.compile(r"\$[^$]*\$|(?:(?:Kumar|Davoudi|Bruch) )?Eqs?\. \d+(?:, \d+)*(?:-\d+)?")
_GLUE = "\x00"  # stands for a space that must not break while textwrap runs


def wrap_label(text: str, width: int = LEGEND_WIDTH) -> str:
    """``text`` wrapped at spaces to lines of at most ``width`` characters (a longer unbreakable run
    keeps its own line), never inside mathtext or an equation reference."""
    glued = _UNBROKEN.sub(lambda m: m.group(0).replace(" ", _GLUE), text)
    lines = [textwrap.fill(line, width, break_long_words=False, break_on_hyphens=False) for line in glued.split("\n")]
    return "\n".join(lines).replace(_GLUE, " ")


def legend_beside(ax: Axes, *, width: int = LEGEND_WIDTH, fontsize: str = "small") -> Any:
    """The legend of ``ax`` right of it, its entries wrapped to ``width`` characters: long labels
    (symbol, definition, equation) never cover the data, and a constrained layout makes room for it."""
    handles, labels = ax.get_legend_handles_labels()
    return ax.legend(handles, [wrap_label(label, width) for label in labels], loc="upper left",
                     bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0, fontsize=fontsize)  # fmt: skip


#: Width of a character of a title, in points per point of font size (a generous mean for
#: DejaVu Sans, so that a wrapped title fits; measured ~0.55 on the titles of this package).
_CHAR_WIDTH = 0.62


def fit_title(text: str, figure: Any, *, fontsize: float | str = "medium", share: float = 0.95) -> str:
    """``text`` wrapped to lines that fit ``share`` of the width of ``figure`` at ``fontsize``
    (points, or a name such as ``"medium"``): a title is never clipped at the figure's edges."""
    from matplotlib.font_manager import FontProperties

    points = FontProperties(size=fontsize).get_size_in_points()
    inches = float(figure.get_size_inches()[0]) * share
    return wrap_label(text, max(20, int(inches * 72.0 / (_CHAR_WIDTH * points))))
