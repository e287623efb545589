"""One drawer per result type: quasistatic paths, second-law audits, LDOS, finite-speed runs.

* :func:`path_works` - cumulative works along a quasistatic path (W_ext, Delta Omega_S,
  Delta(delta Omega_R), W_S, nonlocal work);
* :func:`second_law` - W - Delta F_S (Eq. 28) and Q - Delta S / beta (Eq. 35) per definition of
  a quench, with the verdict of each;
* :func:`ldos` - system LDOS g_S and reservoir change delta g_R, with bound states (delta peaks)
  marked by arrows and their weights;
* :func:`drive_overview` - works, energies and entropy production of a finite-speed run;
* :func:`composite_drive_overview` - the same for a finite composite driven at finite speed
  (exact or typicality road, with one-sigma bands).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import exact, gaussian
from ..core.quantities import UNITS
from ..dynamics import Drive
from ._style import (
    ENERGY,
    ENTROPY,
    fit_title,
    legend_beside,
    new_axes,
    new_figure,
    parameter_label,
    with_unit,
)

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

__all__ = ["composite_drive_overview", "drive_overview", "ldos", "path_works", "second_law"]

def path_works(
    process: Any,
    x: str | None = None,
    *,
    curves: Sequence[str] = ("W_ext", "delta_Omega_S", "delta_dOmega_R", "W_S", "nonlocal_work"),
    ax: Axes | None = None,
    title: str | None = None,
) -> Axes:
    """Cumulative works and state-function changes along a quasistatic path (Kumar et al. 2024).

    Parameters
    ----------
    process
        A :class:`strongtherm.negf.QuasistaticProcess`; its values at the panel edges
        ``process.path_s`` are drawn (nothing is recomputed).
    x
        A parameter of the path to put on the x axis (e.g. ``"eps_s"``, as in Fig. 1 of Kumar
        et al.); default: the path parameter s in [0, 1].
    curves
        Any of ``"W_ext"`` (time-integrated power, Eqs. 2, 19-20), ``"delta_Omega_S"``
        (ΔΩ_S), ``"delta_dOmega_R"`` (Δ(δΩ_R), Eq. 15), ``"W_S"`` (W_ext − Δ(δΩ_R), Eq. 18),
        ``"nonlocal_work"`` (∫I_S^W dt on the system, Eq. 21), ``"nonlocal_work_on_reservoir"``,
        ``"work_H_S"`` (∫⟨Ḣ_S⟩, Eq. 19), ``"work_H_SR"`` (∫⟨Ḣ_SR⟩, Eq. 20).
    ax
        Axes to draw on (default: a new figure).
    title
        Overrides the title (default: model, path, T and μ).

    Returns
    -------
    matplotlib.axes.Axes
    """
    s = np.asarray(process.path_s, dtype=float)
    states = process.states
    if len(states) != len(s):
        raise ValueError(
            f"process.states ({len(states)}) and process.path_s ({len(s)}) differ in length"
        )
    cumulative = process.cumulative
    omega_S = np.array([st.system.Omega for st in states])
    omega_R = np.array([st.reservoir.Omega for st in states])
    W_ext = np.asarray(cumulative["W_ext"], dtype=float)
    data: dict[str, tuple[np.ndarray, str, dict[str, Any]]] = {
        "W_ext": (W_ext, "W_ext: ∫⟨Ḣ⟩dt (Kumar Eqs. 2, 19-20)", {"ls": "", "marker": "o", "ms": 4}),
        "delta_Omega_S": (
            omega_S - omega_S[0],
            "ΔΩ_S: Hilbert-space partition (Kumar Eqs. 10, 12)",
            {"ls": "--"},
        ),
        "delta_dOmega_R": (
            omega_R - omega_R[0],
            "Δ(δΩ_R): reservoir change (Kumar Eq. 15)",
            {"ls": ":"},
        ),
        "W_S": (
            W_ext - (omega_R - omega_R[0]),
            "W_S = W_ext − Δ(δΩ_R) (Kumar Eq. 18)",
            {"ls": "-."},
        ),
        "nonlocal_work": (
            np.asarray(cumulative["nonlocal"], dtype=float),
            "∫I_S^W dt: nonlocal work on S (Kumar Eq. 21)",
            {"ls": "-"},
        ),
        "nonlocal_work_on_reservoir": (
            -np.asarray(cumulative["nonlocal"], dtype=float),
            "−∫I_S^W dt: nonlocal work on R (Kumar Eqs. 13, 16)",
            {"ls": "-"},
        ),
        "work_H_S": (
            np.asarray(cumulative["H_S"], dtype=float),
            "∫⟨Ḣ_S⟩dt (Kumar Eq. 19)",
            {"ls": "-"},
        ),
        "work_H_SR": (
            np.asarray(cumulative["H_SR"], dtype=float),
            "∫⟨Ḣ_SR⟩dt (Kumar Eq. 20)",
            {"ls": "-"},
        ),
    }
    unknown = [c for c in curves if c not in data]
    if unknown:
        raise ValueError(f"unknown curve(s) {unknown}; choose from {list(data)}")
    if x is None:
        xs = s
        xlabel = "path parameter s (dimensionless)"
    else:
        if x not in process.path.names:
            raise ValueError(f"x={x!r} is not a parameter of the path {list(process.path.names)}")
        xs = np.array([float(process.path.function(float(v))[x]) for v in s])
        xlabel = parameter_label(x)
    ax = new_axes(ax, figsize=(9.0, 4.2))  # room for the legend beside the axes
    for name in curves:
        ys, label, style = data[name]
        ax.plot(xs, ys, label=label, **style)
    ax.axhline(0.0, color="0.6", lw=0.6)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(with_unit("work, change of Ω", ENERGY))
    legend_beside(ax)
    ax.grid(alpha=0.3)
    if title is None:
        title = f"{process.model.name}; T={process.bath.T:g}, μ={process.bath.mu:g}\npath: {process.path.label}"
    ax.set_title(fit_title(title, ax.figure), fontsize="medium")
    return ax


def _is_quench(result: Any) -> bool:
    return isinstance(result, exact.Quench | gaussian.FermionicQuench)


def second_law(audit: Any, *, ax: Axes | None = None, title: str | None = None) -> Axes:
    """Second-law audit of a quench as bars per definition (Davoudi et al. 2025, Eqs. 28, 35).

    For each definition (``diff``, ``H*``, ``E*``) a bar of the dissipated work W − ΔF_S, which
    the second law requires to be ≥ 0 (Eq. 28), and, when the final state is Gibbs, a bar of
    Q − Δ𝒮/β = Q − TΔ𝒮, which it requires to be ≤ 0 (Eq. 35). Each bar carries its verdict.

    Parameters
    ----------
    audit
        A :class:`strongtherm.exact.SecondLawAudit` (``quench.second_law()``); a
        :class:`strongtherm.exact.Quench` is accepted and its ``second_law()`` used.
    ax
        Axes to draw on (default: a new figure).
    title
        Overrides the title.

    Returns
    -------
    matplotlib.axes.Axes
    """
    if not isinstance(audit, exact.SecondLawAudit):
        if not _is_quench(audit):
            raise TypeError(
                f"audit must be a strongtherm.exact.SecondLawAudit or a quench result, got {type(audit).__name__}"
            )
        audit = audit.second_law()
    rows = list(audit.rows)
    created = ax is None
    ax = new_axes(ax)
    with_heat = any(r.heat_excess is not None for r in rows)
    width = 0.38 if with_heat else 0.6
    positions = np.arange(len(rows), dtype=float)
    bars_w = [r.dissipated_work for r in rows]
    ok_w = [r.obeys_work for r in rows]
    offset = width / 2 if with_heat else 0.0
    b1 = ax.bar(positions - offset, bars_w, width, color="tab:blue", label="W − ΔF_S ≥ 0 (Eq. 28)")
    _verdicts(ax, b1, ok_w)
    if with_heat:
        heat = [np.nan if r.heat_excess is None else r.heat_excess for r in rows]
        ok_q = [r.obeys_heat for r in rows]
        b2 = ax.bar(
            positions + offset,
            heat,
            width,
            color="tab:orange",
            label=r"Q − TΔ$\mathcal{S}$ ≤ 0 (Eqs. 33, 35)",
        )
        _verdicts(ax, b2, ok_q)
    ax.axhline(0.0, color="k", lw=0.8)
    ax.set_xticks(positions)
    ax.set_xticklabels([_definition_label(r.definition) for r in rows])
    ax.set_xlabel("definition of the system's internal energy (Davoudi Eqs. 10, 11, 13)")
    ax.set_ylabel(with_unit(r"W − ΔF_S,  Q − TΔ$\mathcal{S}$", ENERGY))
    ax.legend(fontsize="small")
    ax.margins(y=0.2)
    if title is None:
        title = f"Second law (Davoudi et al. Eqs. 28, 35)\nfinal state: {audit.final}; tolerance {audit.atol:g}"
    ax.set_title(title, fontsize="medium")
    figure = ax.get_figure(root=True)
    if created and figure is not None:  # our figure: the title and two-line tick labels fit (a user's is theirs)
        figure.set_layout_engine("constrained")
    return ax


def _definition_label(key: str) -> str:
    return {
        "diff": "U_diff\n(W: Eq. 22)",
        "H*": "U_H*\n(W: Eq. 23)",
        "E*": "U_E*\n(W: Eq. 24)",
    }.get(key, key)


def _verdicts(ax: Axes, bars: Any, ok: Sequence[bool | None]) -> None:
    for bar, verdict in zip(bars, ok, strict=True):
        if verdict is None:
            continue
        height = bar.get_height()
        if not np.isfinite(height):
            continue
        text, color = ("obeys", "tab:green") if verdict else ("VIOLATES", "tab:red")
        ax.annotate(
            text,
            (bar.get_x() + bar.get_width() / 2, height),
            xytext=(0, 3 if height >= 0 else -3),
            textcoords="offset points",
            ha="center",
            va="bottom" if height >= 0 else "top",
            color=color,
            fontsize="small",
            fontweight="bold",
        )


def ldos(
    energies: Any,
    g_S: Any,
    delta_g_R: Any | None = None,
    *,
    bound_states: Sequence[Any] = (),
    mu: float | None = None,
    ax: Axes | None = None,
    title: str | None = None,
) -> Axes:
    """System LDOS g_S(ε) and reservoir change δg_R(ε), with bound states as weighted arrows.

    The arrays come from :func:`strongtherm.negf.spectral_densities` (continuum parts on the
    real axis) and the bound states from :func:`strongtherm.negf.bound_states` or
    ``Equilibrium.bound_states``; this function only draws them.

    Parameters
    ----------
    energies
        Real energies ε, shape (m,), in units of energy.
    g_S
        g_S(ε) = −(1/π) Im Tr G_S(ε + i0), shape (m,), per unit energy.
    delta_g_R
        δg_R(ε) = (1/π) Im Tr[G_S ∂_εΣ], shape (m,), per unit energy; optional.
    bound_states
        :class:`strongtherm.negf.BoundState` objects, or ``(energy, system_weight)`` pairs. Each
        is a δ-peak: drawn as a vertical arrow whose height (in axes fraction) is its system
        weight, labelled with the system and reservoir weights.
    mu
        Chemical potential, marked by a vertical line if given.
    ax
        Axes to draw on (default: a new figure).
    title
        Title (default none).

    Returns
    -------
    matplotlib.axes.Axes
    """
    e = np.asarray(energies, dtype=float)
    g = np.asarray(g_S, dtype=float)
    if e.ndim != 1 or g.shape != e.shape:
        raise ValueError(
            f"energies and g_S must be 1-D of the same shape, got {e.shape} and {g.shape}"
        )
    ax = new_axes(ax, figsize=(6.5, 5.5))
    ax.plot(e, g, label="g_S(ε) = −(1/π) Im Tr G_S (Hilbert-space partition)")
    if delta_g_R is not None:
        dg = np.asarray(delta_g_R, dtype=float)
        if dg.shape != e.shape:
            raise ValueError(
                f"delta_g_R must have shape {e.shape} like energies, but has shape {dg.shape}"
            )
        ax.plot(e, dg, "--", label="δg_R(ε) = (1/π) Im Tr[G_S ∂_εΣ] (change of the reservoir)")
    states = []
    for state in bound_states:
        if isinstance(state, tuple | list):
            energy, w_S = float(state[0]), float(state[1])
            w_R = float(state[2]) if len(state) > 2 else 1.0 - w_S
        else:
            energy = float(state.energy)
            w_S, w_R = float(state.system_weight), float(state.reservoir_weight)
        states.append((energy, w_S, w_R))
    lo = min([float(np.min(e)), *(b[0] for b in states)])
    hi = max([float(np.max(e)), *(b[0] for b in states)])
    if mu is not None:
        ax.axvline(mu, color="0.5", ls=":", lw=1.0, label=f"μ = {mu:g}")
    span = hi - lo
    ax.set_xlim(lo - 0.05 * span, hi + 0.05 * span)
    ax.axhline(0.0, color="0.6", lw=0.6)
    ax.margins(y=0.35)
    if states:
        import matplotlib.transforms as mtransforms

        # arrows live in axes fraction (a delta peak has no height in LDOS units): they start
        # exactly at the LDOS zero line and rise in proportion to the system weight. If the zero
        # line sits high (a deep negative delta g_R), the top of the axes is raised until it is at
        # most half-way up, so there is room for the arrows (the base is never moved off zero).
        ax.autoscale_view()
        y0, y1 = ax.get_ylim()
        y1 = max(y1, -y0, 1e-12)
        base = (0.0 - y0) / (y1 - y0) if y0 < 0.0 else 0.0
        blended = mtransforms.blended_transform_factory(ax.transData, ax.transAxes)
        for energy, w_S, w_R in states:
            # a weak bound state (near its threshold at a band edge) keeps a visible arrow
            top = base + (0.85 - base) * max(min(max(w_S, 0.0), 1.0), 0.06)
            ax.annotate(
                "",
                xy=(energy, top),
                xytext=(energy, base),
                xycoords=blended,
                textcoords=blended,
                arrowprops={"arrowstyle": "-|>", "color": "tab:red", "lw": 1.5},
            )
            ax.text(
                energy,
                top + 0.02,
                f"ε_b={energy:.3g}\nZ_S={w_S:.3g}, Z_R={w_R:.3g}",
                transform=blended,
                ha="center",
                va="bottom",
                fontsize="x-small",
                color="tab:red",
            )
        ax.plot(
            [],
            [],
            color="tab:red",
            label="bound state δ(ε − ε_b): arrow height ∝ system weight Z_S",
        )
        ax.set_ylim(y0, y1)
    ax.set_xlabel(with_unit("energy ε", ENERGY))
    ax.set_ylabel(with_unit("local density of states", "per unit of energy"))
    # below the axes: inside, it would hide the bound-state labels
    ax.legend(fontsize="x-small", loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=1)
    if title:
        ax.set_title(fit_title(title, ax.figure), fontsize="medium")
    return ax


#: How drive_overview labels each system energy of a run; keys it leaves out are the same curve as
#: another (alpha = 1/2 is the Hilbert-space partition, alpha = 0 is <H_S>), drawn once.
_DRIVE_ENERGIES: dict[str, str] = {
    "hilbert": "ΔU_S Hilbert-space partition = α-partition at α = 1/2 (Kumar Eq. 14)",
    "alpha=0": "ΔU_S α = 0: Δ⟨H_S⟩",
    "alpha=1": "ΔU_S α = 1: Δ⟨H_S + H_SR⟩",
    "H*": "ΔU_S [H*] (Davoudi Eq. 11)",
    "E*": "ΔU_S [E*] (Davoudi Eq. 13)",
}
#: the series a run records twice under two names: drawn once, under the name the label gives
_DRIVE_DUPLICATES: dict[str, str] = {"alpha=0.5": "hilbert", "H_S": "alpha=0"}


def drive_overview(run: Any, *, title: str | None = None) -> Any:
    """A finite-speed run at a glance: works and energies against time, and the entropy production.

    Left: W_ext(t) (time-integrated power), the heat Q(t) and the change of each system energy the
    run recorded (Hilbert-space U_S, alpha-partitions, U_H*, U_E*), with Delta F*_S of the Green's-
    function engine as the quasistatic reference. Right: Sigma(t) = beta (W - Delta F) and the
    relative entropy D(rho(t) || rho_eq) (they coincide for the coupled Gibbs start); with a bias
    (one bath per lead) the particle and heat currents into the system from every lead instead.

    Parameters
    ----------
    run
        A :class:`strongtherm.dynamics.Drive`.
    title
        Overrides the title.

    Returns
    -------
    numpy.ndarray of Axes
        The two Axes.
    """
    if not isinstance(run, Drive):
        raise TypeError(f"run must be a strongtherm.dynamics.Drive, got {type(run).__name__}")
    _, axes = new_figure(1, 2, figsize=(14.0, 4.4), layout="constrained")  # legends beside the panels
    left, right = axes
    t = run.times
    left.plot(t, run.W_ext, "k-", lw=2, label="W_ext(t) = ∫⟨∂H/∂t⟩dt")
    left.plot(t, run.heat, "k:", label="Q(t) = −Δ⟨H_R − μN_R⟩")
    for key, series in run.system_energy.items():
        if _DRIVE_DUPLICATES.get(key) in run.system_energy or not np.any(np.isfinite(series)):
            continue  # the same curve under another name, or not computed (mean_force_energies=False)
        left.plot(t, series - series[0], "-", lw=1, label=_DRIVE_ENERGIES.get(key, f"ΔU_S [{key}]"))
    if run.delta_F_S_engine is not None:
        left.axhline(run.delta_F_S_engine, color="grey", ls="--", lw=0.8, label="ΔF*_S (quasistatic)")
    left.set_xlabel("time t (ħ / energy)")
    left.set_ylabel(with_unit("energy", ENERGY))
    legend_beside(left, width=32, fontsize="x-small")
    if run.biased:  # no single Gibbs state: the currents of every lead instead of Sigma and D
        for k in range(run.particle_current.shape[1]):
            name = run.model.reservoir_label(k)
            right.plot(t, run.particle_current[:, k], f"C{k}-", label=f"I from reservoir {name}")
            right.plot(t, run.heat_current[:, k], f"C{k}:", label=f"J_Q from reservoir {name}")
        right.set_ylabel("current into the system (1/time; energy/time)")
        baths = ", ".join(f"(T={b.T:g}, μ={b.mu:g})" for b in run.baths)
    else:
        right.plot(t, run.entropy_production, "C3-", label="Σ(t) = β(W − ΔF)")
        right.plot(t, run.relative_entropy, "C0--", label="D(ρ(t) ‖ ρ_eq(λ(t)))")
        right.set_ylabel(with_unit("entropy production", ENTROPY))
        baths = f"T={run.bath.T:g}, μ={run.bath.mu:g}"
    right.set_xlabel("time t (ħ / energy)")
    legend_beside(right, width=32, fontsize="x-small")
    p = run.protocol
    default = f"{run.model.name}: {p.path.label}, τ = {p.duration:g}, hold {p.hold:g}; {baths}"
    left.figure.suptitle(fit_title(title or default, left.figure), fontsize="medium")
    return axes


#: How composite_drive_overview labels each system energy of Davoudi et al. (its change from t = 0)
#: (U_diff is not among them: its change is W(t) itself in a closed universe, drawn as W)
_COMPOSITE_ENERGIES: dict[str, str] = {
    "H*": "ΔU_H*(t) = Δ Tr[H*_S(λ(t)) ρ_S(t)] (Eq. 11)",
    "E*": "ΔU_E*(t) = Δ Tr[E*_S(λ(t)) ρ_S(t)] (Eq. 13)",
}


def _with_band(ax: Axes, t: np.ndarray, y: np.ndarray, error: np.ndarray | None, style: str, **options: Any) -> None:
    """A curve and, where a one-sigma error is given, its band in the curve's colour."""
    (line,) = ax.plot(t, y, style, **options)
    if error is not None and np.any(np.isfinite(error)):
        ax.fill_between(t, y - error, y + error, color=line.get_color(), alpha=0.2, lw=0)


def composite_drive_overview(run: Any, *, title: str | None = None) -> Any:
    """A finite composite driven at finite speed at a glance (:func:`strongtherm.exact.drive_composite`).

    Left: the universe's work W(t) and the change of each internal energy of Davoudi et al.
    (U_diff, U_H*, U_E*) against time, with Delta F*_S (the reversible work) and, on the dense
    road, the quantum-adiabatic work as references. Right: the entropy production
    Sigma(t) = beta (W(t) - [F*_S(lambda(t)) - F*_S(lambda(0))]) and the heat Q_x(t) of each
    mean-force definition. On the typicality road every curve carries its one-sigma band.

    Parameters
    ----------
    run
        A :class:`strongtherm.exact.CompositeDrive`.
    title
        Overrides the title.

    Returns
    -------
    numpy.ndarray of Axes
        The two Axes.
    """
    if not isinstance(run, exact.CompositeDrive):
        raise TypeError(f"run must be a strongtherm.exact.CompositeDrive, got {type(run).__name__}")
    _, axes = new_figure(1, 2, figsize=(14.0, 4.4), layout="constrained")  # legends beside the panels
    left, right = axes
    t, errors = run.times, run.errors
    _with_band(left, t, run.work, errors.get("work"), "k-", lw=2, label="W(t) = ⟨H(t)⟩_t − ⟨H(0)⟩_0")
    for i, (key, label) in enumerate(_COMPOSITE_ENERGIES.items(), start=1):
        series = run.energy.get(key)
        if series is not None and np.any(np.isfinite(series)):  # NaN without mean_force
            _with_band(left, t, series - series[0], errors.get(f"energy_{key}"), f"C{i}-", lw=1, label=label)
    left.axhline(run.delta_F_S, color="grey", ls="--", lw=0.8, label="ΔF*_S (reversible isothermal work)")
    if run.adiabatic_work is not None:
        left.axhline(run.adiabatic_work, color="C4", ls=":", lw=0.8, label="quantum-adiabatic work Σ p_n ΔE_n")
    left.set_xlabel("time t (ħ / energy)")
    left.set_ylabel(with_unit("energy", ENERGY))
    legend_beside(left, width=32, fontsize="x-small")
    if run.entropy_production is not None and np.any(np.isfinite(run.entropy_production)):
        _with_band(right, t, run.entropy_production, errors.get("entropy_production"), "C3-",
                   label="Σ(t) = β(W − ΔF*_S(t))")  # fmt: skip
    for i, key in enumerate(("H*", "E*")):
        series = run.heat.get(key)
        if series is not None and np.any(np.isfinite(series)):
            _with_band(right, t, series, errors.get(f"heat_{key}"), f"C{i + 1}:", label=f"Q_{key}(t) (energy)")
    right.set_xlabel("time t (ħ / energy)")
    right.set_ylabel("Σ (nats); heat Q_x (energy)")
    legend_beside(right, width=32, fontsize="x-small")
    default = (f"composite driven in τ = {t[-1]:g} ħ/energy ({run.method} road, {run.steps} steps): "
               f"W(τ) − ΔF*_S = {run.dissipated_work:.4g}")
    left.figure.suptitle(fit_title(title or default, left.figure), fontsize="medium")
    return axes


def friction_overview(result: Any) -> Any:
    """A :class:`strongtherm.dynamics.Friction` result: the dissipation density lambda'^T zeta lambda'
    along the path (the integrand of tau W_diss) and the minimum-dissipation schedule s*(u).

    Parameters
    ----------
    result
        A :class:`strongtherm.dynamics.Friction` (``st.dynamics.friction(model, bath, path)``).

    Returns
    -------
    numpy.ndarray of Axes
        The two Axes.
    """
    fig, axes = new_figure(1, 2, figsize=(11.0, 4.4), layout="constrained")
    s = np.linspace(0.0, 1.0, 201)
    # tau W_diss = int lambda'^T zeta lambda' ds is an energy times a time: the density is in units of hbar
    axes[0].plot(result.s, result.metric, "o", ms=2, label="quadrature nodes")
    axes[0].plot(s, result.metric_at(s), "-", lw=1, label="interpolation between them")
    axes[0].set_xlabel(with_unit("path parameter s", UNITS["1"]))
    axes[0].set_ylabel(with_unit("dissipation density λ′ᵀζλ′", "units of ħ"))
    legend_beside(axes[0], width=24, fontsize="x-small")
    axes[0].set_title(fit_title(f"τ·W_diss → ∫λ′ᵀζλ′ds = {result.predicted_dissipation(1.0):.6g} ħ "
                                "(first order in 1/τ, linear schedule)", fig, fontsize=9, share=0.45), fontsize=9)  # fmt: skip
    schedule = result.optimal_protocol(1.0)
    axes[1].plot(schedule.table_u, schedule.table_s, label="s*(u): minimum dissipation (constant speed in the ζ metric)")
    axes[1].plot([0, 1], [0, 1], "k:", lw=0.8, label="linear schedule s = u")
    axes[1].set_xlabel(with_unit("u = t / τ", UNITS["1"]))
    axes[1].set_ylabel(with_unit("path parameter s", UNITS["1"]))
    axes[1].set_title(fit_title(f"thermodynamic length ℒ = {result.thermodynamic_length:.6g} √ħ (W_diss ≥ ℒ²/τ)",
                                fig, fontsize=9, share=0.45), fontsize=9)  # fmt: skip
    legend_beside(axes[1], width=24, fontsize="x-small")
    fig.suptitle(fit_title(f"Friction along {result.path.label}: {result.model.name}, T = {result.bath.T:g}, "
                           f"μ = {result.bath.mu:g}", fig), fontsize="medium")  # fmt: skip
    return axes
