"""What every quench result holds, whichever engine made it (Davoudi et al. 2025, Sec. V).

The second-law audit (Eqs. 28, 35), the quench-thermodynamics base class that the exact engine's
:class:`~strongtherm.exact.Quench` and the Gaussian bridge's
:class:`~strongtherm.gaussian.FermionicQuench` extend, and the classifier of a quench by what
changes (system, Eq. 14; interaction, Eq. 15; or anything else). Energies are in the
Hamiltonian's unit, entropies in nats; work done on and heat absorbed by the system positive.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np

from .definitions import DEFINITIONS
from .display import html_table
from .quantities import key as quantity_key
from .validation import check_real

__all__ = ["QuenchThermodynamics", "SecondLawAudit", "SecondLawRow", "classify_quench"]


def classify_quench(*, same_system: bool, same_reservoir: bool, same_coupling: bool) -> str:
    """``"system"`` (only H_S changes, Eq. 14), ``"interaction"`` (only the coupling, Eq. 15), or
    ``"general"``. A quench that changes nothing is a system quench with zero work."""
    if same_reservoir and same_coupling:
        return "system"
    if same_reservoir and same_system:
        return "interaction"
    return "general"


@dataclass(frozen=True)
class SecondLawRow:
    """One definition's second-law balance.

    ``dissipated_work = W - Delta F_S`` must be >= 0 (Eq. 28); when the final state is Gibbs,
    ``heat_excess = Q - Delta S / beta`` must be <= 0 (Eq. 35); the two are equal and opposite then.
    """

    definition: str
    work: float
    delta_F_S: float
    dissipated_work: float
    obeys_work: bool
    heat: float | None = None
    entropy_term: float | None = None
    heat_excess: float | None = None
    obeys_heat: bool | None = None

    @property
    def obeys(self) -> bool:
        """True if every applicable form of the second law holds."""
        return self.obeys_work and (self.obeys_heat is None or self.obeys_heat)


@dataclass(frozen=True)
class SecondLawAudit:
    """Second-law audit of a quench, one row per definition (``diff``, ``H*``, ``E*``).

    ``str(audit)`` is a readable table; ``audit.verdicts`` maps each definition to True/False.
    """

    rows: tuple[SecondLawRow, ...]
    atol: float
    final: str

    @property
    def verdicts(self) -> dict[str, bool]:
        return {row.definition: row.obeys for row in self.rows}

    def __getitem__(self, definition: str) -> SecondLawRow:
        for row in self.rows:
            if row.definition == definition:
                return row
        raise KeyError(f"definition must be one of {[r.definition for r in self.rows]}, got {definition!r}")

    def __str__(self) -> str:
        def fmt(v: float | None) -> str:
            return f"{v:+.6e}" if v is not None else "n/a"

        head = (
            f"{'definition':<10} {'W':>14} {'dF_S':>14} {'W - dF_S':>14} {'Eq.28':>9}"
            f" {'Q':>14} {'dS/beta':>14} {'Q - dS/beta':>14} {'Eq.35':>9}"
        )
        lines = [f"Second law (Davoudi et al. Eqs. 28, 35), final state: {self.final}, tolerance {self.atol:g}", head]
        for r in self.rows:
            heat_verdict = "n/a" if r.obeys_heat is None else ("obeys" if r.obeys_heat else "VIOLATES")
            lines.append(
                f"{r.definition:<10} {fmt(r.work):>14} {fmt(r.delta_F_S):>14} {fmt(r.dissipated_work):>14}"
                f" {'obeys' if r.obeys_work else 'VIOLATES':>9} {fmt(r.heat):>14} {fmt(r.entropy_term):>14}"
                f" {fmt(r.heat_excess):>14} {heat_verdict:>9}"
            )
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"SecondLawAudit({self.verdicts})"


@dataclass(frozen=True, eq=False)
class QuenchThermodynamics:
    """What every quench result holds, whichever engine made it: the fields below, the
    second-law audit and the flat dict. :class:`Quench` (finite systems) and
    :class:`strongtherm.gaussian.FermionicQuench` (Gaussian fermions) extend it.

    Attributes
    ----------
    A, B
        The engine's equilibrium results before and after the quench.
    kind
        ``"system"`` (Eq. 14), ``"interaction"`` (Eq. 15) or ``"general"``.
    work
        W per definition ``diff``, ``H*``, ``E*`` (Eqs. 22-24).
    heat
        Q per definition (Eqs. 25-27).
    dissipated_work
        W - Delta F_S per definition (Eq. 28).
    entropy_change
        Delta S per definition (Eq. 33); ``None`` when the final state is not a Gibbs state.
    delta_F_S
        ``F_S^B - F_S^A`` (Eq. 7).
    final
        ``"equilibrium"`` or ``"unitary"``.
    """

    A: Any = field(repr=False)
    B: Any = field(repr=False)
    beta: float
    kind: str
    work: MappingProxyType[str, float]
    heat: MappingProxyType[str, Any]
    delta_F_S: float
    dissipated_work: MappingProxyType[str, float]
    entropy_change: MappingProxyType[str, float] | None
    final: str

    def second_law(self, *, atol: float = 1e-10) -> SecondLawAudit:
        """Audit ``W - Delta F_S >= 0`` (Eq. 28) and, for a Gibbs final state, ``Q <= Delta S/beta`` (Eq. 35).

        Parameters
        ----------
        atol
            Absolute tolerance in energy units: ``W - Delta F_S >= -atol`` counts as obeyed
            (rounding of a few eps times the energy scale is not a violation).
        """
        atol = check_real("atol", atol, low=0.0)
        rows = []
        for key in DEFINITIONS:
            W = float(self.work[key])
            diss = float(self.dissipated_work[key])
            row: dict[str, Any] = {
                "definition": key,
                "work": W,
                "delta_F_S": self.delta_F_S,
                "dissipated_work": diss,
                "obeys_work": bool(diss >= -atol),
            }
            if self.entropy_change is not None:
                Q = float(self.heat[key])
                TdS = float(self.entropy_change[key]) / self.beta
                row.update(heat=Q, entropy_term=TdS, heat_excess=Q - TdS, obeys_heat=bool(Q - TdS <= atol))
            rows.append(SecondLawRow(**row))
        return SecondLawAudit(rows=tuple(rows), atol=atol, final=self.final)

    def to_dict(self) -> dict[str, float]:
        """The scalar results as a flat dict of plain floats (for sweeps, JSON and tables).

        Keys, per definition ``d`` in ``diff``, ``Hstar``, ``Estar`` (Davoudi et al.'s ``diff``,
        ``H*``, ``E*``): ``work_d`` (Eqs. 22-24), ``dissipated_work_d`` (Eq. 28), and for a Gibbs
        final state ``heat_d`` (Eqs. 25-27) and ``entropy_change_d`` (Eq. 33, nats); also
        ``delta_F_S``, and for a unitary final state at one time ``t_f`` the heats at that time.
        Heats over an array of times are left out (they are not scalars). Energies in the
        Hamiltonian's unit.
        """

        out: dict[str, float] = {"delta_F_S": float(self.delta_F_S)}
        for key in DEFINITIONS:
            out[quantity_key("work", definition=key)] = float(self.work[key])
            out[quantity_key("dissipated_work", definition=key)] = float(self.dissipated_work[key])
            if np.ndim(self.heat[key]) == 0:
                out[quantity_key("heat", definition=key)] = float(self.heat[key])
            if self.entropy_change is not None:
                out[quantity_key("entropy_change", definition=key)] = float(self.entropy_change[key])
        return out

    def _repr_html_(self) -> str:
        rows = []
        for key in DEFINITIONS:
            heat = self.heat[key]
            dS = None if self.entropy_change is None else self.entropy_change[key]
            rows.append((key, self.work[key], self.dissipated_work[key], heat if np.ndim(heat) == 0 else "(time series)", "n/a" if dS is None else dS))
        return html_table(
            f"{type(self).__name__}: {self.kind} quench, final state {self.final} (Davoudi et al. Table 1)",
            ("definition", "W", "W - dF_S", "Q", "dS [nats]"),
            rows,
            {"beta": self.beta, "dF_S": self.delta_F_S},
        )

    def __repr__(self) -> str:
        W = ", ".join(f"{k}={float(v):.6g}" for k, v in self.work.items())
        return (
            f"{type(self).__name__}(kind={self.kind!r}, beta={self.beta:g}, final={self.final!r}, "
            f"W: {W}, dF_S={self.delta_F_S:.6g})"
        )
