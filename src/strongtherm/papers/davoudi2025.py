"""Reproduction of Davoudi et al. (2025), Fig. 2(a)-(c), with the paper's claims checked.

Z. Davoudi, C. Jarzynski, N. Mueller, G. Oruganti, C. Powers, N. Yunger Halpern, "Work and heat
exchanged during sudden quenches of strongly coupled quantum systems" (arXiv, 2025).

Two-spin model (Eq. 38) at beta = 1 ("Throughout this section, beta = 1", Sec. VI), final state
the Gibbs state of H^B (scenario (ii), as the paper assumes):

* (a) system quench eps: 0 -> eps_B at alpha = 0.8, gamma = 1.2, chi = 1.8;
* (b) interaction quench (gamma, chi): (0, 0) -> (gamma_B, 1.2) at eps = 1.0, alpha = 5.0;
* (c) as (a) with chi = 0, where Eq. (31) holds and the three works coincide (Eq. 32).

Every curve is computed twice: by the matrix engine :mod:`strongtherm.exact` and by the closed
forms of Appendix D (:mod:`strongtherm.papers.davoudi2025_appendix_d`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy.optimize import brentq

from .. import exact, plot
from ..exact.linalg import partial_trace
from ..io import write_csv
from ..models.spins import random_composite, two_spin
from . import davoudi2025_appendix_d as appendix_d
from ._report import Claim, Progress, Report

__all__ = ["PANELS", "PAPER", "Panel", "compute"]

PAPER = "Davoudi, Jarzynski, Mueller, Oruganti, Powers, Yunger Halpern (2025), arXiv"
BETA = 1.0  # Sec. VI: "Throughout this section, beta = 1"
POINTS = 401
#: Second-law verdicts: W - dF_S >= -SECOND_LAW_ATOL counts as obeyed (rounding, not physics).
SECOND_LAW_ATOL = 1e-12
#: Engine vs Appendix D closed forms (both double precision, O(1) quantities).
CLOSED_FORM_ATOL = 1e-12
#: Eq. (32) and Appendix A/B identities, evaluated by the engine.
IDENTITY_ATOL = 1e-10
LABELS = {"diff": r"$W_{\rm diff}$", "H*": r"$W_{H^*}$", "E*": r"$W_{E^*}$"}
COLORS = {"diff": "tab:blue", "H*": "tab:orange", "E*": "tab:green"}


@dataclass(frozen=True)
class Panel:
    """One panel of Fig. 2: which quench, which parameter is swept, over which (our) range."""

    key: str
    kind: str
    sweep: str
    sweep_label: str
    values: np.ndarray
    params: dict[str, float]

    def models(self, x: float) -> tuple[exact.Composite, exact.Composite]:
        p = self.params
        if self.kind == "system":
            return (two_spin(0.0, p["alpha"], p["gamma"], p["chi"]), two_spin(x, p["alpha"], p["gamma"], p["chi"]))
        return (two_spin(p["eps"], p["alpha"], 0.0, 0.0), two_spin(p["eps"], p["alpha"], x, p["chi_B"]))

    def closed_form(self) -> appendix_d.ClosedFormQuench:
        p = self.params
        if self.kind == "system":
            return appendix_d.system_quench_closed_form(0.0, self.values, p["alpha"], p["gamma"], p["chi"], BETA)
        return appendix_d.interaction_quench_closed_form(p["eps"], p["alpha"], self.values, p["chi_B"], BETA)

    @property
    def description(self) -> str:
        quench = "system quench eps_A = 0 -> eps_B" if self.kind == "system" else "interaction quench (gamma, chi) = (0, 0) -> (gamma_B, chi_B)"
        params = ", ".join(f"{k} = {v:g}" for k, v in self.params.items())
        return f"Fig. 2({self.key}): {quench}; {params}; beta = {BETA:g}"


# The paper does not print its plotted ranges; these are ours (stated in report.json).
PANELS: tuple[Panel, ...] = (
    Panel("a", "system", "eps_B", r"$\epsilon_B$ (energy units; $\epsilon_A = 0$)", np.linspace(-5.0, 5.0, POINTS), {"alpha": 0.8, "gamma": 1.2, "chi": 1.8}),
    Panel("b", "interaction", "gamma_B", r"$\gamma_B$ (energy units; $\gamma_A = \chi_A = 0$)", np.linspace(-5.0, 5.0, POINTS), {"eps": 1.0, "alpha": 5.0, "chi_B": 1.2}),
    Panel("c", "system", "eps_B", r"$\epsilon_B$ (energy units; $\epsilon_A = 0$)", np.linspace(-5.0, 5.0, POINTS), {"alpha": 0.8, "gamma": 1.2, "chi": 0.0}),
)


def _engine_sweep(panel: Panel) -> dict[str, np.ndarray]:
    """Work, heat, dF_S, entropy change along the sweep from the matrix engine."""
    rows = []
    for x in panel.values:
        A, B = panel.models(float(x))
        q = exact.quench(A, B, beta=BETA)
        row = {"dF_S": q.delta_F_S}
        assert q.entropy_change is not None  # the final state is a Gibbs state here
        for k in exact.DEFINITIONS:
            row[f"W_{k}"] = q.work[k]
            row[f"Q_{k}"] = q.heat[k]
            row[f"dS_{k}"] = q.entropy_change[k]
        rows.append(row)
    return {name: np.array([r[name] for r in rows]) for name in rows[0]}


def _closed_form_columns(cf: appendix_d.ClosedFormQuench) -> dict[str, np.ndarray]:
    cols = {"dF_S": np.asarray(cf.delta_F_S)}
    for k in exact.DEFINITIONS:
        cols[f"W_{k}"] = np.asarray(cf.work[k])
        cols[f"Q_{k}"] = np.asarray(cf.heat[k])
        cols[f"dS_{k}"] = np.asarray(cf.entropy_change[k])
    return cols


def _sign_changes(panel: Panel, key: str) -> list[float]:
    """Zeros of W_key - dF_S along the sweep, located with the closed forms (brentq)."""
    p = panel.params

    def dissipated(x: float) -> float:
        if panel.kind == "system":
            cf = appendix_d.system_quench_closed_form(0.0, x, p["alpha"], p["gamma"], p["chi"], BETA)
        else:
            cf = appendix_d.interaction_quench_closed_form(p["eps"], p["alpha"], x, p["chi_B"], BETA)
        return float(cf.work[key] - cf.delta_F_S)

    values = np.array([dissipated(float(x)) for x in panel.values])
    # a grid point can sit on the zero itself (eps_B = eps_A: no quench, W - dF_S = 0 exactly)
    roots = [float(x) for x, v in zip(panel.values, values, strict=True) if abs(v) <= SECOND_LAW_ATOL]
    for i in np.nonzero(np.sign(values[:-1]) * np.sign(values[1:]) < 0)[0]:
        roots.append(brentq(dissipated, panel.values[i], panel.values[i + 1], xtol=1e-12))
    return sorted(roots)


def _extended_minimum(panel: Panel, key: str, factor: float = 10.0) -> tuple[float, float]:
    """Minimum of W_key - dF_S over a range ``factor`` times wider (closed forms): how range-dependent it is."""
    p = panel.params
    x = np.linspace(factor * panel.values[0], factor * panel.values[-1], 20001)
    if panel.kind == "system":
        cf = appendix_d.system_quench_closed_form(0.0, x, p["alpha"], p["gamma"], p["chi"], BETA)
    else:
        cf = appendix_d.interaction_quench_closed_form(p["eps"], p["alpha"], x, p["chi_B"], BETA)
    diss = cf.work[key] - cf.delta_F_S
    i = int(np.argmin(diss))
    return float(diss[i]), float(x[i])


def _violation_details(panel: Panel, x: np.ndarray, diss: np.ndarray, key: str) -> tuple[str, float, float]:
    i = int(np.argmin(diss))
    roots = _sign_changes(panel, key)
    negative = x[diss < -SECOND_LAW_ATOL]
    where = "nowhere" if negative.size == 0 else f"at {negative.size} of {x.size} grid points in [{negative.min():.4g}, {negative.max():.4g}]"
    text = (
        f"plotted range {panel.sweep} in [{x[0]:g}, {x[-1]:g}] ({x.size} points); W - dF_S < 0 {where}; "
        f"sign changes at {panel.sweep} = {[round(r, 6) for r in roots]}; minimum {diss[i]:.6g} at {panel.sweep} = {x[i]:.4g}"
    )
    if i in (0, x.size - 1):
        wide_min, wide_at = _extended_minimum(panel, key)
        text += (
            " (at the edge of the plotted range: the minimum depends on the range, which the paper does not print;"
            f" over a ten times wider range it is {wide_min:.6g} at {panel.sweep} = {wide_at:.4g})"
        )
    return text, float(diss[i]), float(x[i])


def _plot(panel: Panel, data: dict[str, np.ndarray], out: Path) -> str:
    fig, ax = plot.new_figure(figsize=(5.6, 4.0))
    x = panel.values
    for k in exact.DEFINITIONS:
        style = {"diff": "-", "H*": "--", "E*": "-."}[k]
        ax.plot(x, data[f"W_{k}"] - data["dF_S"], style, color=COLORS[k], label=LABELS[k] + r" $- \Delta F_S$")
    ax.axhline(0.0, color="k", lw=0.6)
    violation = data["W_E*"] - data["dF_S"] < -SECOND_LAW_ATOL
    if np.any(violation):
        ax.fill_between(x, 0, 1, where=violation, color="tab:red", alpha=0.08, transform=ax.get_xaxis_transform(), label=r"$W_{E^*} < \Delta F_S$")
    ax.set_xlabel(panel.sweep_label)
    ax.set_ylabel(r"dissipated work $W - \Delta F_S$ (energy units)")
    params = ", ".join(f"{_tex(k)}$ = {v:g}" for k, v in panel.params.items())
    ax.set_title(f"Fig. 2({panel.key}): {params}, $\\beta = {BETA:g}$", fontsize=9)
    ax.legend(fontsize=8)
    name = f"fig2{panel.key}.png"
    plot.save_figure(fig, out / name, dpi=150, tight=True)
    return name


def _tex(name: str) -> str:
    base, _, sub = name.partition("_")
    symbol = {"eps": r"\epsilon", "alpha": r"\alpha", "gamma": r"\gamma", "chi": r"\chi"}[base]
    return f"${symbol}" + (f"_{sub}" if sub else "")


def _panel(panel: Panel, out: Path, report: Report, log: Progress) -> None:
    log(f"panel ({panel.key}): {panel.description}")
    data = _engine_sweep(panel)
    closed = _closed_form_columns(panel.closed_form())
    deviation = max(float(np.max(np.abs(data[n] - closed[n]))) for n in data)
    x = panel.values
    diss = {k: data[f"W_{k}"] - data["dF_S"] for k in exact.DEFINITIONS}
    heat_excess = {k: data[f"Q_{k}"] - data[f"dS_{k}"] / BETA for k in exact.DEFINITIONS}

    columns: dict[str, Any] = {panel.sweep: x}
    for n, v in data.items():
        columns[n.replace("*", "star")] = v
    for k in exact.DEFINITIONS:
        columns[f"W_{k}_minus_dF_S".replace("*", "star")] = diss[k]
        columns[f"W_{k}_minus_dF_S_appendix_D".replace("*", "star")] = closed[f"W_{k}"] - closed["dF_S"]
    csv_name = f"fig2{panel.key}.csv"
    write_csv(out / csv_name, columns, comment=[panel.description, "energies in the Hamiltonian's units, entropies in nats; final state: Gibbs state of H^B (scenario ii)", "columns *_appendix_D: closed forms of Appendix D (Eqs. 64-84, Eqs. 73-75 corrected)"])
    report.files += [csv_name, _plot(panel, data, out)]

    report.add(Claim(
        f"Fig. 2({panel.key}): matrix engine agrees with the Appendix D closed forms (W, Q, dF_S, dS for all three definitions)",
        "Appendix D, Eqs. 64-84", deviation, f"max abs deviation <= {CLOSED_FORM_ATOL:g}", deviation <= CLOSED_FORM_ATOL,
        f"{len(data)} quantities x {x.size} points",
    ))
    for k in ("diff", "H*"):
        report.add(Claim(
            f"Fig. 2({panel.key}): W_{k} obeys the second law W >= dF_S (Eq. 28) and Q_{k} <= dS/beta (Eq. 35)",
            "obeys (Eqs. 29-30, 36-37)", {"min W - dF_S": float(np.min(diss[k])), "max Q - dS/beta": float(np.max(heat_excess[k]))},
            f">= -{SECOND_LAW_ATOL:g} / <= {SECOND_LAW_ATOL:g}",
            bool(np.min(diss[k]) >= -SECOND_LAW_ATOL and np.max(heat_excess[k]) <= SECOND_LAW_ATOL),
            f"plotted range {panel.sweep} in [{x[0]:g}, {x[-1]:g}]",
        ))
    if panel.key in ("a", "b"):
        details, minimum, _ = _violation_details(panel, x, diss["E*"], "E*")
        report.add(Claim(
            f"Fig. 2({panel.key}): W_E* violates the second law (W_E* < dF_S) at some {panel.sweep}, and so does Q_E* (Eq. 35)",
            f"violates at certain {panel.sweep} values (minimum not printed)",
            {"min W_E* - dF_S": minimum, "max Q_E* - dS/beta": float(np.max(heat_excess["E*"]))},
            f"violation: min < -{SECOND_LAW_ATOL:g}",
            bool(minimum < -SECOND_LAW_ATOL and np.max(heat_excess["E*"]) > SECOND_LAW_ATOL),
            details,
        ))
    else:
        spread = max(float(np.max(np.abs(data["W_H*"] - data["W_diff"]))), float(np.max(np.abs(data["W_E*"] - data["W_diff"]))))
        scale = max(1.0, float(np.max(np.abs(data["W_diff"]))))
        report.add(Claim(
            "Fig. 2(c): with chi = 0 (Eq. 31 holds) W_diff = W_H* = W_E* (Eq. 32), and they obey the second law",
            "the three curves coincide", {"max |W - W_diff|": spread, "min W - dF_S": float(min(np.min(d) for d in diss.values()))},
            f"max deviation <= {IDENTITY_ATOL:g} x {scale:.3g}; min >= -{SECOND_LAW_ATOL:g}",
            bool(spread <= IDENTITY_ATOL * scale and min(np.min(d) for d in diss.values()) >= -SECOND_LAW_ATOL),
            f"plotted range {panel.sweep} in [{x[0]:g}, {x[-1]:g}]",
        ))
    log(f"panel ({panel.key}): engine vs Appendix D max deviation {deviation:.2e}, min(W_E* - dF_S) = {np.min(diss['E*']):.4g}")


def _appendix_claims(report: Report, log: Progress) -> None:
    log("Appendices A, B, C and Eq. (48)")
    rng = np.random.default_rng(20250101)
    # Appendix A (Eqs. 40-45): V = 0 gives H* = E* = H_S and U_diff = U_H* = U_E* = U_S^0
    weak = [two_spin(0.7, 0.8, 0.0, 0.0), random_composite(3, 4, rng).replace(V=0)]
    deviation_A = 0.0
    for model in weak:
        eq = exact.equilibrium(model, beta=BETA)
        E_S = np.linalg.eigvalsh(model.H_S)
        p = np.exp(-BETA * (E_S - E_S[0]))
        U_S0 = float(np.dot(p, E_S) / p.sum())
        deviation_A = max(deviation_A, float(np.max(np.abs(eq.H_star - model.H_S))), float(np.max(np.abs(eq.E_star - model.H_S))),
                          *(abs(u - U_S0) for u in eq.U.values()))
    report.add(Claim("Appendix A: without coupling H*_S = E*_S = H_S and U_diff = U_H* = U_E* = U_S^0 (Eqs. 41-45)",
                     "equal", deviation_A, f"max abs deviation <= {IDENTITY_ATOL:g}", deviation_A <= IDENTITY_ATOL,
                     "two-spin model with gamma = chi = 0 and a random 3 x 4 model with V = 0"))
    # Appendix B (Eq. 52): U_E* = U_diff in Gibbs states, on generic non-commuting models
    models = [random_composite(d_S, d_R, rng) for d_S, d_R in ((2, 2), (2, 5), (3, 4), (4, 3))]
    models += [two_spin(e, 0.8, 1.2, 1.8) for e in (-3.0, 0.0, 2.0)]
    deviation_B = max(abs(eq.U["E*"] - eq.U["diff"]) for eq in (exact.equilibrium(m, beta=BETA) for m in models))
    report.add(Claim("Appendix B: U_E* = U_diff when S u R is in a global Gibbs state (Eq. 52)", "equal", deviation_B,
                     f"max abs deviation <= {IDENTITY_ATOL:g}", deviation_B <= IDENTITY_ATOL,
                     "4 random complex models (non-commuting) and 3 two-spin models"))
    # end of Appendix C: in an interaction quench the first state has no coupling, so H*^A = E*^A = H_S
    q = exact.quench(two_spin(1.0, 5.0, 0.0, 0.0), two_spin(1.0, 5.0, 2.0, 1.2), beta=BETA)
    deviation_C = max(float(np.max(np.abs(q.A.H_star - q.A.model.H_S))), float(np.max(np.abs(q.A.E_star - q.A.model.H_S))))
    report.add(Claim("Interaction quench: H*^A = E*^A = H_S (uncoupled initial state, Table 1)", "equal", deviation_C,
                     f"<= {IDENTITY_ATOL:g}", deviation_C <= IDENTITY_ATOL))


def _eq48_deviation(model: exact.Composite) -> float:
    """|Eq. (48) - exact E*_S|: Eq. (48) is Tr_R(H e^{-bH}) [Tr_R e^{-bH}]^{-1} - U_R^0."""
    eq = exact.equilibrium(model, beta=BETA)
    H = model.H
    w, U = np.linalg.eigh(H)
    p = np.exp(-BETA * (w - w[0]))
    X = partial_trace((U * p) @ U.conj().T, model.dims)
    Y = partial_trace((U * (w * p)) @ U.conj().T, model.dims)
    eq48 = Y @ np.linalg.inv(X) - eq.U_R0 * np.eye(model.dims[0])
    return float(np.max(np.abs(eq48 - eq.E_star)))


def compute(out: Path, report: Report, log: Progress) -> None:
    """Compute, plot and check Fig. 2(a)-(c) of Davoudi et al. (2025) into ``out``."""
    for panel in PANELS:
        _panel(panel, out, report, log)
    _appendix_claims(report, log)

    eq48_two_spin = _eq48_deviation(two_spin(2.0, 0.8, 1.2, 1.8))
    eq48_generic = _eq48_deviation(random_composite(3, 4, np.random.default_rng(7)))
    report.choices += [
        f"beta = {BETA:g} for every panel (Sec. VI: 'Throughout this section, beta = 1'); final state: the Gibbs state of H^B at the same beta (scenario (ii), Eq. 34), as the paper assumes.",
        *(f"plotted range (ours; the paper prints none) of panel ({p.key}): {p.sweep} in [{p.values[0]:g}, {p.values[-1]:g}], {p.values.size} points; {p.description}" for p in PANELS),
        "Eqs. (73)-(74) as printed are H_S/Z_S and H_R/Z_R (traceless, so not states); we use the Gibbs states pi_S^0 = diag(e^(-beta eps/2), e^(beta eps/2))/(2 cosh(beta eps/2)) and pi_R^0 likewise with alpha, which Eqs. (77)-(81) already assume. Verified: with this correction Appendix D agrees with the matrix engine to the deviations reported in the claims.",
        "Eq. (75) writes eta_1, eta_2: they are eta_+ = sqrt(a_+^2 + chi^2), eta_- = sqrt(a_-^2 + chi^2) with a_+- = (eps +- alpha)/2 (Eq. 59 with the B couplings).",
        "d/dbeta X_+- (needed in Eqs. 63, 66, 69, 71, 78, 81, 83, not printed) is differentiated by hand in davoudi2025_appendix_d.py.",
        f"E*_S is computed as the exact Frechet derivative of the matrix logarithm. Eq. (48), Tr_R(H e^(-beta H)) [Tr_R e^(-beta H)]^(-1) - U_R^0, is exact only when the two commute: it deviates from E*_S by {eq48_two_spin:.1e} in the two-spin model (parity makes them commute) but by {eq48_generic:.2g} on a random 3 x 4 model; its trace against pi_S, hence U_E* = U_diff (Eq. 52), is unaffected.",
        f"Verdict tolerances: second law W - dF_S >= -{SECOND_LAW_ATOL:g}; engine vs closed forms {CLOSED_FORM_ATOL:g}; identities {IDENTITY_ATOL:g} (double-precision rounding of O(1) quantities).",
        "Extraction artifacts in the equation list (leading '2', 'diff', '+', '-', 'absent') are not factors; the formulas were read in the paper's text.",
    ]
