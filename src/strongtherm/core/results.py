"""Result types shared by every road to the Hilbert-space partition (Kumar, Webb & Stafford 2024).

The Green's-function engine (:class:`strongtherm.negf.Equilibrium`) and the exact finite chain
(:class:`strongtherm.negf.finite_chain.FiniteChainEquilibrium`) compute the same quantities by two
independent roads; they hold them in the same types and combine them by one definition here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, TypeVar

import numpy as np

from .alpha import alpha_energy, alpha_entropy, entropy_coefficient
from .display import html_table

__all__ = ["PartitionedState", "RegionState", "filled"]

_T = TypeVar("_T")


def filled(cls: type[_T], fields: dict[str, Any]) -> _T:
    """An instance of the frozen dataclass ``cls`` whose attribute dict is ``fields`` (every one
    of its fields; the dict is taken over, not copied), without the generated ``__init__``: that
    sets each field through ``object.__setattr__``, 2.5 us for an Equilibrium's 20 fields and
    0.9 us for a RegionState (measured), more than a batch point's physics. Only for dataclasses
    whose ``__init__`` does nothing else (no ``__post_init__``, no default factories left out); a
    test holds both equal."""
    obj = object.__new__(cls)
    object.__setattr__(obj, "__dict__", fields)
    return obj


@dataclass(frozen=True)
class RegionState:
    """N, U, S, Omega of one region (system, or change of the reservoir), with error estimates.

    Energies in the model's unit, S in nats. ``errors`` holds the quadrature error estimate of
    each quantity (empty for roads without one, such as exact diagonalization).
    """

    N: float
    U: float
    S: float
    Omega: float
    errors: Mapping[str, float] = field(default_factory=dict)

    def __repr__(self) -> str:
        return f"RegionState(N={self.N:.10g}, U={self.U:.10g}, S={self.S:.10g}, Omega={self.Omega:.10g})"

    def __add__(self, other: RegionState) -> RegionState:
        return RegionState(self.N + other.N, self.U + other.U, self.S + other.S, self.Omega + other.Omega)

    def to_dict(self, prefix: str = "") -> dict[str, float]:
        """``{prefix + "N": N, ..."U", "S", "Omega"}`` as plain floats (errors left out).

        Parameters
        ----------
        prefix : str
            Prepended to each key, e.g. ``"system_"`` gives ``system_N``, ``system_S``, ...
        """
        return {f"{prefix}{q}": float(getattr(self, q)) for q in ("N", "U", "S", "Omega")}


class PartitionedState:
    """What an equilibrium under the Hilbert-space partition offers, whichever road computed it.

    Subclasses are frozen dataclasses with the fields ``system``, ``reservoir`` (RegionState),
    ``correlation_matrix`` (C_ij = <d_j^dag d_i>), ``log_f_matrix``, ``log_one_minus_f_matrix``
    (int A_SS ln f, int A_SS ln(1 - f)), ``expectation_H_S`` and ``expectation_H_SR``.
    """

    system: RegionState
    reservoir: RegionState
    correlation_matrix: np.ndarray
    log_f_matrix: np.ndarray
    log_one_minus_f_matrix: np.ndarray
    expectation_H_S: float
    expectation_H_SR: float

    @property
    def _spectral_weight(self) -> np.ndarray | None:
        """int A_SS over all energies; ``None`` means the identity (every state counted)."""
        return None

    @property
    def universe(self) -> RegionState:
        """Change of the universe's state functions: system + reservoir change."""
        return self.system + self.reservoir

    @cached_property
    def entropy_coefficient(self) -> float:
        """Coefficient of (1 - 2 alpha) in Eq. (24): -Tr[C L_f] - Tr[(M - C) L_1mf] (computed once;
        a road that has it already may put it in the instance)."""
        return entropy_coefficient(
            self.correlation_matrix, self.log_f_matrix, self.log_one_minus_f_matrix, self._spectral_weight
        )

    def alpha_entropy(self, alpha: float) -> float:
        """alpha-S_S, Eq. (24): 2 alpha S_S + (1 - 2 alpha) x coefficient; alpha in [0, 1]."""
        return alpha_entropy(self.system.S, self.entropy_coefficient, alpha)

    def alpha_energy(self, alpha: float) -> float:
        """alpha-U_S = <H_S + alpha H_SR>, Eq. (22); alpha = 1/2 is the Hilbert-space partition."""
        return alpha_energy(self.expectation_H_S, self.expectation_H_SR, alpha)

    def _repr_html_(self) -> str:
        regions = (("system", self.system), ("reservoir change", self.reservoir), ("universe change", self.universe))
        rows = [(name, r.N, r.U, r.S, r.Omega) for name, r in regions]
        return html_table(
            f"{type(self).__name__}: Hilbert-space partition (Kumar et al. Eqs. 12, 15)",
            ("region", "N", "U", "S [nats]", "Omega"),
            rows,
            {"<H_S>": self.expectation_H_S, "<H_SR>": self.expectation_H_SR},
        )
