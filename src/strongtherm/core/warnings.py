"""Warnings shared by every engine."""

from __future__ import annotations

import warnings

__all__ = ["BoundStateWarning", "NumericsError", "NumericsWarning", "RankDeficientWarning", "numerics_failed"]


class NumericsWarning(UserWarning):
    """A numerical budget or tolerance was not met: a quadrature stopped at its evaluation budget
    or above its tolerance, or a sum rule failed beyond it. The message gives the error reached."""


class RankDeficientWarning(UserWarning):
    """The reduced Gibbs state ``pi_S`` is singular to working precision.

    ``H*_S`` then has infinite eigenvalues on the kernel of ``pi_S``; the engine returns ``H*_S``
    and ``E*_S`` restricted to the support of ``pi_S`` (zero on the kernel) and says so.
    """


class NumericsError(ArithmeticError):
    """A computation asked for strict accuracy (e.g. ``QuadratureOptions(strict=True)``) stopped
    at a budget above its tolerance. The message gives the error reached and the budgets."""


class BoundStateWarning(UserWarning):
    """A bound state (a pole of G_S outside every continuum) matters for the answer and nothing in
    the problem fixes its occupation: along a driven path it never relaxes, so the slow limit of
    the work depends on the history and differs from Delta F*_S; between biased leads it carries
    no current and its occupation is a choice of the caller. The message says which was made."""


def numerics_failed(message: str, *, strict: bool, stacklevel: int = 3) -> None:
    """A tolerance or budget was not met: raise :class:`NumericsError` when the caller asked for
    ``strict`` accuracy, else issue a :class:`NumericsWarning` (``stacklevel`` counted from the
    caller of this function)."""
    if strict:
        raise NumericsError(message)
    warnings.warn(message, NumericsWarning, stacklevel=stacklevel + 1)
