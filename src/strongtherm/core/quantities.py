"""The quantity registry: one row per scalar quantity, one name per quantity.

Every scalar a result's ``to_dict()`` returns, every data variable of a sweep, every curve of
:mod:`strongtherm.plot` and every row of the documentation's quantity page comes from a row of
:data:`REGISTRY`: the key (as in ``to_dict()`` and sweeps), the symbol, the unit, a long name,
the paper and its equation, and the attribute of the result object that holds the value. A
newcomer looking for "Eq. (23) of Davoudi et al." finds ``q.work["H*"]`` and the key
``work_Hstar`` in one row (:func:`by_equation`, the docs page ``quantities``).

Units (the conventions page): ``"energy"`` is the model's energy unit, ``"nats"`` for entropies,
``"1"`` dimensionless (particle numbers, counts, residuals of sum rules), ``"1/energy"`` for β.

Families: a row with ``suffix="alpha"`` stands for keys ``<key>_<a>`` (``a`` the α of the
α-partition, written with ``%g``: ``alpha_entropy_0.5``); ``suffix="parameter"`` for
``<key>_<name>`` with a model parameter's name (``power_H_S_eps_s``); ``suffix="reservoir"`` for
``<key>_<k>`` with a reservoir's index (``I_0``, the particle current from reservoir 0). The definitions ``diff``,
``H*``, ``E*`` of Davoudi et al. have one row each (their equations differ); the key spells them
``diff``, ``Hstar``, ``Estar`` (:func:`key`).

This module is a low floor: it imports nothing from the engines.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType

__all__ = [
    "DEFINITION_SPELLINGS",
    "PAPERS",
    "REGISTRY",
    "UNITS",
    "Quantity",
    "by_equation",
    "key",
    "lookup",
    "parameter_symbol",
    "parameter_unit",
    "table_rows",
    "variable_attrs",
]

#: Papers by short code: (citation, short name used in labels).
PAPERS: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        "kumar2024": ("P. Kumar, C. M. Webb, C. A. Stafford, PRL 133, 070404 (2024)", "Kumar"),
        "davoudi2025": (
            "Z. Davoudi, C. Jarzynski, N. Mueller, G. Oruganti, C. Powers, N. Yunger Halpern (2025)",
            "Davoudi",
        ),
    }
)

#: Unit codes and how they read on an axis.
UNITS: Mapping[str, str] = MappingProxyType(
    {
        "energy": "units of energy",
        "nats": "nats",
        "1": "dimensionless",
        "1/energy": "1 / units of energy",
        "time": "units of ħ / energy",
        "1/time": "units of energy / ħ",
        "energy/time": "units of energy² / ħ",
        "energy^2/time": "units of energy³ / ħ",
        "energy^2": "units of energy²",
        "energy^3": "units of energy³",
        "energy^4": "units of energy⁴",
    }
)

#: The definitions of Davoudi et al. as written in keys (``U["H*"]`` -> ``U_Hstar``).
DEFINITION_SPELLINGS: Mapping[str, str] = MappingProxyType({"diff": "diff", "H*": "Hstar", "E*": "Estar"})


@dataclass(frozen=True)
class Quantity:
    """One scalar quantity.

    Attributes
    ----------
    key : str
        The name in ``to_dict()`` and sweeps (the family's stem if ``suffix`` is set).
    symbol : str
        As printed (Unicode), e.g. ``"δΩ_R"``.
    unit : str
        One of :data:`UNITS`.
    long_name : str
        What it is, in words.
    paper : str
        A key of :data:`PAPERS`, or ``""`` for a quantity of ours (checks, error estimates).
    equation : str
        Equation number(s) in that paper, e.g. ``"8, 12"``; ``""`` if none.
    attribute : str
        Where the value lives on a result, e.g. ``"negf.Equilibrium.system.S"``.
    suffix : str
        ``""`` (the key is complete), ``"alpha"``, ``"parameter"`` or ``"reservoir"`` (a family, see the module).
    kind : str
        What an axis of such values is called: ``"energy"``, ``"entropy"``, ``"particle number"``, ...
    plot_name : str
        The short name :func:`strongtherm.plot.state_functions` also accepts (``"U_S"``, ``"U_H*"``).
    headline : bool
        Drawn by default in an overview plot of a sweep.
    """

    key: str
    symbol: str
    unit: str
    long_name: str
    paper: str
    equation: str
    attribute: str
    suffix: str = ""
    kind: str = ""
    plot_name: str = ""
    headline: bool = False

    def __post_init__(self) -> None:
        if self.unit not in UNITS:
            raise ValueError(f"quantity {self.key!r}: unit must be one of {list(UNITS)}, got {self.unit!r}")
        if self.paper and self.paper not in PAPERS:
            raise ValueError(f"quantity {self.key!r}: paper must be one of {list(PAPERS)}, got {self.paper!r}")
        if self.suffix not in ("", "alpha", "parameter", "reservoir"):
            raise ValueError(f"quantity {self.key!r}: suffix must be '', 'alpha', 'parameter' or 'reservoir', got {self.suffix!r}")
        if not self.kind:
            object.__setattr__(self, "kind", {"energy": "energy", "nats": "entropy"}.get(self.unit, "value"))

    @property
    def citation(self) -> str:
        """``"Kumar Eq. 14"``, ``"Davoudi Eqs. 6-8"``, or ``""``."""
        if not self.paper or not self.equation:
            return ""
        plural = "Eqs." if ("," in self.equation or "-" in self.equation) else "Eq."
        return f"{PAPERS[self.paper][1]} {plural} {self.equation}"

    @property
    def definition(self) -> str:
        """Long name with its citation: ``"system internal energy ⟨H_S⟩ + ½⟨H_SR⟩ (Kumar Eq. 14)"``."""
        return f"{self.long_name} ({self.citation})" if self.citation else self.long_name

    def label(self) -> str:
        """``"symbol: long name (citation)"``, as on plot legends."""
        return f"{self.symbol}: {self.definition}"

    def instance(self, suffix_value: str) -> Quantity:
        """The row of one member of a family (``alpha_entropy`` at ``"0.5"`` -> ``alpha_entropy_0.5``)."""
        if not self.suffix:
            raise ValueError(f"quantity {self.key!r} is not a family")
        what = "α" if self.suffix == "alpha" else ""
        symbol = f"{self.symbol} (α={suffix_value})" if what else f"{self.symbol} [{suffix_value}]"
        long_name = self.long_name.replace("{}", suffix_value)
        return Quantity(
            key=f"{self.key}_{suffix_value}",
            symbol=symbol,
            unit=self.unit,
            long_name=long_name,
            paper=self.paper,
            equation=self.equation,
            attribute=self.attribute.replace("{}", suffix_value),
            kind=self.kind,
        )


def _q(key: str, symbol: str, unit: str, long_name: str, paper: str, equation: str, attribute: str, **extra: object) -> Quantity:
    return Quantity(key, symbol, unit, long_name, paper, equation, attribute, **extra)  # type: ignore[arg-type]


_K, _D = "kumar2024", "davoudi2025"
_NEGF_EQ, _NEGF_PROC = "negf.Equilibrium", "negf.QuasistaticProcess"
_EXACT_EQ, _QUENCH, _MF = "exact.Equilibrium", "exact.Quench", "gaussian.MeanForce"


def _regions() -> Iterator[Quantity]:
    """N, U, S, Omega of the system (Hilbert-space partition), the reservoir change and their sum."""
    rows = {
        "N": ("N", "1", "particle number", "∫{g} f", "particle number"),
        "U": ("U", "energy", "internal energy", "∫{g} εf", "energy"),
        "S": ("S", "nats", "entropy", "∫{g} s", "entropy"),
        "Omega": ("Ω", "energy", "grand potential", "∫{g} ω", "energy"),
    }
    system_eq = {"N": "9, 12", "U": "14", "S": "8, 12", "Omega": "10, 12"}
    system_plot = {"N": "N_S", "U": "U_S", "S": "S_S", "Omega": "Omega_S"}
    for field_, (sym, unit, word, integral, kind) in rows.items():
        extra = " = ⟨H_S⟩ + ½⟨H_SR⟩" if field_ == "U" else ""
        yield _q(f"system_{field_}", f"{sym}_S", unit,
                 f"system {word}, Hilbert-space partition, {integral.format(g='g_S')}{extra}", _K,
                 system_eq[field_], f"{_NEGF_EQ}.system.{field_}", kind=kind, plot_name=system_plot[field_],
                 headline=field_ in ("N", "S", "Omega"))  # fmt: skip
        yield _q(f"reservoir_{field_}", f"δ{sym}_R", unit,
                 f"change of the reservoir's {word}, {integral.format(g='δg_R')}", _K, "15",
                 f"{_NEGF_EQ}.reservoir.{field_}", kind=kind, plot_name=f"d{field_}_R",
                 headline=field_ == "Omega")  # fmt: skip
        yield _q(f"universe_{field_}", f"Δ{sym}", unit,
                 f"change of the universe's {word} (system + reservoir change)", _K, "15",
                 f"{_NEGF_EQ}.universe.{field_}", kind=kind)  # fmt: skip


def _definitions() -> Iterator[Quantity]:
    """Quantities with one row per definition diff, H*, E* of Davoudi et al."""
    U_eq = {"diff": "9, 10", "H*": "11", "E*": "13"}
    U_text = {"diff": "U_SR − U_R⁰", "H*": "Tr_S(H*_S ρ_S)", "E*": "Tr_S(E*_S ρ_S)"}
    W_eq = {"diff": "22", "H*": "23", "E*": "24"}
    Q_eq = {"diff": "25", "H*": "26", "E*": "27"}
    for d, spelled in DEFINITION_SPELLINGS.items():
        yield _q(f"U_{spelled}", f"U_{d}", "energy", f"internal energy {U_text[d]}", _D, U_eq[d],
                 f"{_EXACT_EQ}.U[{d!r}] / {_MF}.U[{d!r}]", plot_name=f"U_{d}", headline=True)  # fmt: skip
        yield _q(f"entropy_{spelled}", f"𝒮_{d}", "nats", f"entropy β(U_{d} − F_S)", _D, "33",
                 f"{_EXACT_EQ}.entropy[{d!r}] / {_MF}.S[{d!r}]", plot_name=f"S_{d}")  # fmt: skip
        yield _q(f"U_K_{spelled}", f"U^K_{d}", "energy", f"internal energy of K = H − μN, definition {d}", _D, U_eq[d],
                 f"{_MF}.U_K[{d!r}]")  # fmt: skip
        yield _q(f"N_{spelled}", f"N_{d}", "1",
                 "particle number that goes with U_" + d + (" (N_S + δN_R)" if d == "diff" else " (⟨N_S⟩)"), "", "",
                 f"{_MF}.N[{d!r}]", kind="particle number")  # fmt: skip
        yield _q(f"work_{spelled}", f"W_{d}", "energy", f"quench work, definition {d}", _D, W_eq[d],
                 f"{_QUENCH}.work[{d!r}]", headline=True)  # fmt: skip
        yield _q(f"heat_{spelled}", f"Q_{d}", "energy",
                 f"heat of the first law, definition {d} (a quench, or a composite driven at finite speed)", _D, Q_eq[d],
                 f"{_QUENCH}.heat[{d!r}]")  # fmt: skip
        yield _q(f"dissipated_work_{spelled}", f"W_{d} − ΔF_S", "energy",
                 f"dissipated work, definition {d} (second law: ≥ 0)", _D, "28",
                 f"{_QUENCH}.dissipated_work[{d!r}]")  # fmt: skip
        yield _q(f"entropy_change_{spelled}", f"Δ𝒮_{d}", "nats", f"entropy change of the quench, definition {d}",
                 _D, "33", f"{_QUENCH}.entropy_change[{d!r}]")  # fmt: skip


_DRIVE = "dynamics.Drive"


def _composite_drive() -> Iterator[Quantity]:
    """A finite composite driven at finite speed (:func:`strongtherm.exact.drive_composite`):
    the rows its ``to_dict()`` adds to those it shares with the fermionic drive."""
    drive = "exact.CompositeDrive"
    yield _q("system_energy_diff", "U_diff(t)", "energy", "U_diff = ⟨H(t)⟩_t − U_R⁰ of the driven composite at the end",
             _D, "10", f"{drive}.energy['diff'][-1]")  # fmt: skip
    yield _q("delta_system_energy_diff", "ΔU_diff(t)", "energy", "change over the run of U_diff (equals W: closed universe)",
             _D, "10", f"{drive}.energy['diff'][-1] − [0]")  # fmt: skip
    yield _q("adiabatic_work", "W_ad", "energy", "quantum-adiabatic work Σ_n p_n (E_n^B − E_n^A) of a finite composite",
             "", "", f"{drive}.adiabatic_work")  # fmt: skip
    rows = (
        ("error_W", "ε(W)", "W(τ)", "work"),
        ("error_delta_F_S", "ε(ΔF*_S)", "ΔF*_S", "delta_F_S"),
        ("error_dissipated_work", "ε(W − ΔF)", "W(τ) − ΔF*_S", "dissipated_work"),
        ("error_entropy_production", "ε(Σ)", "Σ(τ)", "entropy_production"),
    )
    for key_, symbol, what, name in rows:
        yield _q(key_, symbol, "nats" if name == "entropy_production" else "energy",
                 f"one-sigma statistical (jackknife) error of {what} by quantum typicality", "", "",
                 f"{drive}.errors[{name!r}]", kind="error estimate")  # fmt: skip


def _transport() -> Iterator[Quantity]:
    """The steady state between reservoirs at different (T, mu) and its linear response
    (:mod:`strongtherm.negf.transport`); currents into the system from reservoir k."""
    steady, linear = "negf.SteadyState", "negf.LinearResponse"
    rows = (
        ("I", "I", "1/time", "particle current into the system from reservoir {}", f"{steady}.particle_current[{{}}]", "reservoir"),
        ("J_E", "J_E", "energy/time", "energy current into the system from reservoir {}", f"{steady}.energy_current[{{}}]", "reservoir"),
        ("J_Q", "J_Q", "energy/time", "heat current J_E − μ I into the system from reservoir {}", f"{steady}.heat_current[{{}}]", "reservoir"),
        ("power", "P", "energy/time", "power delivered against the bias, −Σ μ_k I_k", f"{steady}.power", ""),
        ("entropy_production_rate", "σ", "1/time", "entropy production rate −Σ J_Q,k / T_k (nats per ħ/energy)", f"{steady}.entropy_production", ""),
        ("efficiency", "η", "1", "power / heat drawn from the hot reservoirs (NaN unless an engine)", f"{steady}.efficiency", ""),
        ("conductance", "G", "1", "linear conductance, in units of e²/ħ (one open channel: 1/2π)", f"{linear}.conductance", ""),
        ("seebeck", "S", "1", "thermopower, in units of k_B/e", f"{linear}.seebeck", ""),
        ("thermal_conductance", "κ", "1/time", "thermal conductance at zero current, in units of k_B energy/ħ", f"{linear}.thermal_conductance", ""),
        ("figure_of_merit", "ZT", "1", "thermoelectric figure of merit S²GT/κ", f"{linear}.figure_of_merit", ""),
        ("L11", "L₁₁", "1/time", "Onsager coefficient T∫𝒯(−f′)dε/2π", f"{linear}.onsager[0, 0]", ""),
        ("L12", "L₁₂", "energy/time", "Onsager coefficient T∫𝒯(ε−μ)(−f′)dε/2π (= L₂₁)", f"{linear}.onsager[0, 1]", ""),
        ("L22", "L₂₂", "energy^2/time", "Onsager coefficient T∫𝒯(ε−μ)²(−f′)dε/2π", f"{linear}.onsager[1, 1]", ""),
    )
    for key_, symbol, unit, text, attribute, suffix in rows:
        yield _q(key_, symbol, unit, text, "", "", attribute, suffix=suffix)


def _dynamics() -> Iterator[Quantity]:
    """Finite-speed driving (the dynamics wing): end values of :class:`strongtherm.dynamics.Drive`."""
    energies = {
        "hilbert": ("U_S(t)", "Hilbert-space system energy ⟨H_S⟩ + ½⟨H_SR⟩ at the end", _K, "14"),
        "H_S": ("⟨H_S⟩(t)", "bare system energy ⟨H_S⟩ at the end", "", ""),
        "Hstar": ("U_H*(t)", "Tr[H*_S(λ(t)) ρ_S(t)] at the end (non-equilibrium reduced state)", _D, "11"),
        "Estar": ("U_E*(t)", "Tr[E*_S(λ(t)) ρ_S(t)] at the end (non-equilibrium reduced state)", _D, "13"),
    }
    for name, (sym, text, paper, eq) in energies.items():
        attribute = f"{_DRIVE}.system_energy[{name.replace('star', '*')!r}][-1]"
        yield _q(f"system_energy_{name}", sym, "energy", text, paper, eq, attribute)
        yield _q(f"delta_system_energy_{name}", f"Δ{sym}", "energy", f"change over the run of the {text.split(' at ')[0]}",
                 paper, eq, attribute + " − [0]")  # fmt: skip
    yield _q("system_energy_alpha", "α-U_S(t)", "energy", "α-partition ⟨H_S + αH_SR⟩ at the end", _K, "22",
             f"{_DRIVE}.system_energy['alpha={{}}'][-1]", suffix="alpha")  # fmt: skip
    yield _q("delta_system_energy_alpha", "Δ(α-U_S)", "energy", "change over the run of ⟨H_S + αH_SR⟩", _K, "22",
             f"{_DRIVE}.system_energy['alpha={{}}']", suffix="alpha")  # fmt: skip
    rows = (
        ("universe_energy", "ΔE_universe", "energy", "energy change of the closed universe (equals W_ext)", "", ""),
        ("heat", "Q", "energy", "heat into the system, −Δ⟨H_R − μN_R⟩", "", ""),
        ("entropy_production", "Σ", "nats", "entropy production β(W − ΔF*_S)", "", ""),
        ("relative_entropy", "D(ρ‖ρ_eq)", "nats", "relative entropy to the Gibbs state at the instantaneous λ (= Σ)", "", ""),
        ("delta_F", "ΔF", "energy", "free-energy change of the finite chain universe (ΔF*_S as L → ∞)", _D, "7"),
        ("dissipated_work", "W − ΔF", "energy", "dissipated work W_ext − ΔF", "", ""),
        ("particle_number", "N_S(t)", "1", "system particle number Tr C_SS at the end", "", ""),
        ("mutual_information", "I(S:R)", "nats", "system–reservoir mutual information (product start)", "", ""),
        ("reservoir_relative_entropy", "D(ρ_R‖ρ_R^eq)", "nats", "reservoir relative entropy (product start)", "", ""),
        ("delta_F_S_engine", "ΔF*_S (∞ chain)", "energy", "ΔF*_S from the Green's-function engine", _D, "7"),
        ("finite_size_difference", "ΔF − ΔF*_S", "energy", "finite-chain minus infinite-reservoir free-energy change", "", ""),
        ("protocol_duration", "τ", "time", "duration of the ramp", "", ""),
        ("protocol_hold", "τ_hold", "time", "hold at the final parameters after the ramp", "", ""),
        ("L", "L", "1", "chain sites per reservoir", "", ""),
        ("thermal_error_estimate", "ε_L", "energy", "estimated finite-size error of the thermodynamics", "", ""),
        ("return_time", "t_return", "time", "time the reflected wave front needs to come back", "", ""),
        ("order", "order", "1", "order of the Magnus integrator", "", ""),
        ("max_step", "Δt_max", "time", "largest time step", "", ""),
        ("n_steps", "n_steps", "1", "time steps taken", "", ""),
        ("energy_balance_residual", "|W − ΔE|", "energy", "energy-balance residual of the integrator", "", ""),
        ("bound_state_along_path", "bound state", "1", "1 if a bound state exists along the path (slow limit ≠ ΔF*_S)", "", ""),
    )
    for key, sym, unit, text, paper, eq in rows:
        yield _q(key, sym, unit, text, paper, eq, f"{_DRIVE}.{key}")
    # per reservoir (a biased drive, or any drive); I_k, J_E_k, J_Q_k are the transport rows
    yield _q("pumped_charge", "ΔN_k", "1", "particles that entered the system from reservoir {} (∫I dt) by the end", "", "",
             f"{_DRIVE}.pumped_charge[-1, {{}}]", suffix="reservoir")  # fmt: skip
    yield _q("lead_heat", "Q_k", "energy", "heat into the system from reservoir {}, −Δ⟨H_k − μ_k N_k⟩, by the end", "", "",
             f"{_DRIVE}.lead_heat[-1, {{}}]", suffix="reservoir")  # fmt: skip
    friction_rows = (
        ("work_coefficient", "∫λ′ζλ′ds", "1", "friction prediction of τ·W_diss (slow driving), in units of ħ",
         "dynamics.Friction.predicted_dissipation(1)"),
        ("thermodynamic_length", "ℒ", "1", "thermodynamic length ∫√(λ′ζλ′) ds (W_diss ≥ ℒ²/τ), in units of √ħ",
         "dynamics.Friction.thermodynamic_length"),
        ("error_work_coefficient", "ε(∫λ′ζλ′ds)", "1", "quadrature error estimate of the friction prediction",
         "dynamics.Friction.to_dict()"),
        ("error_thermodynamic_length", "ε(ℒ)", "1", "quadrature error estimate of the thermodynamic length",
         "dynamics.Friction.to_dict()"),
        ("T", "T", "energy", "temperature of the bath", "Bath.T"),
        ("mu", "μ", "energy", "chemical potential of the bath", "Bath.mu"),
    )
    for key, sym, unit, text, attribute in friction_rows:
        yield _q(key, sym, unit, text, "", "", attribute)


_ROWS: tuple[Quantity, ...] = (
    # ---------------------------------------------------------- Kumar et al. 2024, equilibrium
    *_regions(),
    _q("expectation_H_S", "⟨H_S⟩", "energy", "system energy Tr[h_S C] (α-U_S at α = 0)", _K, "22",
       f"{_NEGF_EQ}.expectation_H_S", plot_name="H_S"),
    _q("expectation_H_SR", "⟨H_SR⟩", "energy", "coupling energy", _K, "14, 22", f"{_NEGF_EQ}.expectation_H_SR",
       plot_name="H_SR"),
    _q("entropy_coefficient", "∂(α-S_S)/∂(1 − 2α)", "nats", "coefficient of (1 − 2α) in α-S_S", _K, "24",
       f"{_NEGF_EQ}.entropy_coefficient"),
    _q("power_H_S", "⟨∂H_S/∂λ⟩", "energy", "power density ⟨∂H_S/∂{}⟩ per unit of {}", _K, "19",
       f"{_NEGF_EQ}.power('{{}}')[0]", suffix="parameter"),
    _q("power_H_SR", "⟨∂H_SR/∂λ⟩", "energy", "power density ⟨∂H_SR/∂{}⟩ per unit of {}", _K, "20",
       f"{_NEGF_EQ}.power('{{}}')[1]", suffix="parameter"),
    _q("alpha_energy", "α-U_S", "energy", "α-partition of the energy ⟨H_S + αH_SR⟩", _K, "22",
       f"{_NEGF_EQ}.alpha_energy({{}})", suffix="alpha", plot_name="alpha_U_S"),
    _q("alpha_entropy", "α-S_S", "nats", "α-partition of the entropy", _K, "24",
       f"{_NEGF_EQ}.alpha_entropy({{}})", suffix="alpha", plot_name="alpha_S_S"),
    _q("n_bound_states", "n_b", "1", "number of bound states of G_S", "", "", f"len({_NEGF_EQ}.bound_states)",
       kind="count"),
    _q("quadrature_error", "ε_quad", "energy", "largest energy-quadrature error estimate", "", "",
       f"{_NEGF_EQ}.quadrature_error", kind="error estimate"),
    _q("sum_rule_g_S", "∫g_S − n", "1", "spectral sum rule of the system (zero up to quadrature error)", "", "",
       f"{_NEGF_EQ}.sum_rule_residuals['int g_S - n']", kind="residual"),
    _q("sum_rule_dg_R", "∫δg_R", "1", "spectral sum rule of the reservoir change (zero up to quadrature error)",
       "", "", f"{_NEGF_EQ}.sum_rule_residuals['int delta g_R']", kind="residual"),
    # ---------------------------------------------------------- Kumar et al. 2024, processes
    _q("W_ext", "W_ext", "energy", "external work, time-integrated power ∫⟨Ḣ⟩dt", _K, "2, 19-20",
       f"{_NEGF_PROC}.W_ext / {_DRIVE}.W_ext[-1]"),
    _q("W_S", "W_S", "energy", "work on the system, W_ext − Δ(δΩ_R)", _K, "18", f"{_NEGF_PROC}.W_S"),
    _q("work_H_S", "∫⟨Ḣ_S⟩dt", "energy", "work done through H_S", _K, "19", f"{_NEGF_PROC}.work_H_S"),
    _q("work_H_SR", "∫⟨Ḣ_SR⟩dt", "energy", "work done through H_SR", _K, "20", f"{_NEGF_PROC}.work_H_SR"),
    _q("nonlocal_work", "∫I_S^W dt", "energy", "nonlocal work on the system, Eq. 21 integrated", _K, "21",
       f"{_NEGF_PROC}.nonlocal_work"),
    _q("nonlocal_work_eq13", "∫I_S^W dt (Eq. 13)", "energy", "nonlocal work on the system, ΔΩ_S − ∫⟨Ḣ|_S⟩dt",
       _K, "13", f"{_NEGF_PROC}.nonlocal_work_eq13"),
    _q("nonlocal_work_on_reservoir", "−∫I_S^W dt", "energy", "nonlocal work on the reservoir", _K, "13, 16",
       f"{_NEGF_PROC}.nonlocal_work_on_reservoir"),
    _q("nonlocal_work_discrepancy", "Eq. 21 − Eq. 13", "energy", "nonlocal work of Eq. 21 minus that of Eq. 13",
       _K, "13, 21", f"{_NEGF_PROC}.nonlocal_work_discrepancy", kind="residual"),
    _q("delta_Omega_S", "ΔΩ_S", "energy", "change of the system's grand potential", _K, "10, 12",
       f"{_NEGF_PROC}.delta_Omega_S"),
    _q("delta_dOmega_R", "Δ(δΩ_R)", "energy", "change of the reservoir's grand-potential change", _K, "15",
       f"{_NEGF_PROC}.delta_dOmega_R"),
    _q("delta_S_S", "ΔS_S", "nats", "change of the system's entropy", _K, "8, 12", f"{_NEGF_PROC}.delta_S_S"),
    _q("sum_rule_residual", "W_ext − ΔΩ_S − Δ(δΩ_R)", "energy", "work-sum-rule residual", _K, "15",
       f"{_NEGF_PROC}.sum_rule_residual", kind="residual"),
    _q("first_law_residual", "ΔU_S − TΔS_S − μΔN_S − W_S", "energy", "first-law residual", _K, "17",
       f"{_NEGF_PROC}.first_law_residual", kind="residual"),
    _q("error_W_ext", "ε(W_ext)", "energy", "path-quadrature error estimate of W_ext", "", "",
       f"{_NEGF_PROC}.errors['W_ext']", kind="error estimate"),
    _q("error_H_S", "ε(∫⟨Ḣ_S⟩)", "energy", "path-quadrature error estimate of ∫⟨Ḣ_S⟩dt", "", "",
       f"{_NEGF_PROC}.errors['H_S']", kind="error estimate"),
    _q("error_H_SR", "ε(∫⟨Ḣ_SR⟩)", "energy", "path-quadrature error estimate of ∫⟨Ḣ_SR⟩dt", "", "",
       f"{_NEGF_PROC}.errors['H_SR']", kind="error estimate"),
    _q("error_nonlocal", "ε(∫I_S^W)", "energy", "path-quadrature error estimate of the nonlocal work", "", "",
       f"{_NEGF_PROC}.errors['nonlocal']", kind="error estimate"),
    _q("alpha_work", "α-W_S", "energy", "α-partition of the work ∫⟨Ḣ_S + αḢ_SR⟩dt", _K, "23",
       f"{_NEGF_PROC}.alpha_work({{}})", suffix="alpha"),
    _q("alpha_entropy_change", "Δ(α-S_S)", "nats", "change of the α-entropy", _K, "24",
       f"{_NEGF_PROC}.alpha_entropy_change({{}})", suffix="alpha"),
    _q("entropy_change_EOG", "ΔS_S^EOG", "nats", "entropy change of Esposito, Ochoa & Galperin", _K, "25",
       f"{_NEGF_PROC}.entropy_change_EOG({{}})", suffix="alpha"),
    # ---------------------------------------------------------- Davoudi et al. 2025
    _q("F_S", "F_S", "energy", "free energy of mean force F_SR − F_R = −T ln Z*_S", _D, "6-8",
       f"{_EXACT_EQ}.F_S / {_MF}.F_S", plot_name="F_S", headline=True),
    _q("error_F_S", "ε(F_S)", "energy", "one-sigma statistical (jackknife) error of F_S by quantum typicality", "", "",
       "exact.typicality.TypicalEquilibrium.errors['F_S']", kind="error estimate"),
    _q("error_U_diff", "ε(U_diff)", "energy", "one-sigma statistical (jackknife) error of U_diff by quantum typicality",
       "", "", "exact.typicality.TypicalEquilibrium.errors['U_diff']", kind="error estimate"),
    _q("error_U_Hstar", "ε(U_H*)", "energy", "one-sigma statistical (jackknife) error of U_H* by quantum typicality",
       "", "", "exact.typicality.TypicalEquilibrium.errors['U_H*']", kind="error estimate"),
    _q("error_U_Estar", "ε(U_E*)", "energy", "one-sigma statistical (jackknife) error of U_E* by quantum typicality",
       "", "", "exact.typicality.TypicalEquilibrium.errors['U_E*']", kind="error estimate"),
    _q("samples", "K", "1", "random vectors of a quantum-typicality estimate", "", "",
       "exact.typicality.TypicalEquilibrium.samples", kind="count"),
    _q("effective_dimension", "d_eff", "1", "states a typicality estimate effectively averaged over: mean(z)²/var(z) of its Z_R samples",
       "", "", "exact.typicality.TypicalEquilibrium.effective_dimension"),
    _q("F_SR", "F_SR", "energy", "free energy of system + reservoir", _D, "6", f"{_EXACT_EQ}.F_SR"),
    _q("F_R", "F_R", "energy", "free energy of the bare reservoir", _D, "8", f"{_EXACT_EQ}.F_R"),
    *_definitions(),
    _q("U_SR", "U_SR", "energy", "⟨H_SR⟩ of the whole in its global Gibbs state", _D, "10", f"{_EXACT_EQ}.U_SR"),
    _q("U_R0", "U_R⁰", "energy", "energy of the bare reservoir in its own Gibbs state", _D, "10", f"{_EXACT_EQ}.U_R0"),
    _q("ln_Z_SR", "ln Z_SR", "1", "log partition function of system + reservoir", _D, "6", f"{_EXACT_EQ}.ln_Z_SR"),
    _q("ln_Z_R", "ln Z_R", "1", "log partition function of the bare reservoir", _D, "8", f"{_EXACT_EQ}.ln_Z_R"),
    _q("rank_deficient", "rank deficient", "1", "1 if the reduced Gibbs state π_S is rank deficient", "", "",
       f"{_EXACT_EQ}.rank_deficient", kind="flag"),
    _q("delta_F_S", "ΔF_S", "energy", "F_S^B − F_S^A", _D, "7", f"{_QUENCH}.delta_F_S"),
    _q("S_vN", "S_vN(ρ_S)", "nats", "von Neumann entropy of the reduced state (= 𝒮_H*)", _D, "33",
       f"{_MF}.reduced_state.entropy"),
    _q("N_S", "⟨N_S⟩", "1", "system particle number Tr C in the reduced state", _K, "9, 12",
       f"{_MF}.reduced_state.N", kind="particle number"),
    # ---------------------------------------------------------- finite speed (beyond the papers)
    *_dynamics(),
    *_composite_drive(),
    # ---------------------------------------------------------- two terminals (beyond the papers)
    *_transport(),
    # ---------------------------------------------------------- work statistics (beyond the papers)
    _q("work_mean", "⟨W⟩", "energy", "mean work of a two-point measurement", "", "", "core.statistics.WorkDistribution.mean"),
    _q("work_variance", "Var W", "energy^2", "variance of the two-point-measurement work", "", "",
       "core.statistics.WorkDistribution.variance"),
    _q("work_cumulant_3", "κ₃(W)", "energy^3", "third cumulant of the work", "", "", "core.statistics.WorkDistribution.cumulant(3)"),
    _q("work_cumulant_4", "κ₄(W)", "energy^4", "fourth cumulant of the work", "", "", "core.statistics.WorkDistribution.cumulant(4)"),
    _q("jarzynski_gap", "ln⟨e^{−βW}⟩ + βΔF*_S", "1", "Jarzynski gap of the measured observable (0 where the equality holds)",
       "", "", "core.statistics.WorkDistribution.jarzynski_gap", kind="residual"),
)  # fmt: skip

#: Every quantity by key (family stems for families).
REGISTRY: Mapping[str, Quantity] = MappingProxyType({row.key: row for row in _ROWS})
if len(REGISTRY) != len(_ROWS):  # pragma: no cover - a duplicate key is a bug in the table above
    raise RuntimeError("duplicate key in the quantity registry")

_PLOT_NAMES: Mapping[str, Quantity] = MappingProxyType({row.plot_name: row for row in _ROWS if row.plot_name})
# longest stem first, so that alpha_entropy_change_0.5 is not read as alpha_entropy at "change_0.5"
_FAMILIES = tuple(sorted((row for row in _ROWS if row.suffix), key=lambda r: -len(r.key)))
_ALPHA_TEXT = re.compile(r"[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?")


def key(stem: str, *, alpha: float | None = None, definition: str | None = None, parameter: str | None = None) -> str:
    """The key of a registered quantity, as the ``to_dict()`` methods write it.

    ``key("alpha_entropy", alpha=0.5) == "alpha_entropy_0.5"`` (the α of the α-partition, ``%g``);
    ``key("work", definition="H*") == "work_Hstar"``; ``key("power_H_S", parameter="V") ==
    "power_H_S_V"``; ``key("system_S") == "system_S"``.

    Raises
    ------
    KeyError
        If the result is not a registered quantity (add a row to :data:`REGISTRY` first).
    ValueError
        For a definition other than ``diff``, ``H*``, ``E*``.
    """
    if definition is not None:
        if definition not in DEFINITION_SPELLINGS:
            raise ValueError(f"definition must be one of {list(DEFINITION_SPELLINGS)}, got {definition!r}")
        name = f"{stem}_{DEFINITION_SPELLINGS[definition]}"
    elif alpha is not None:
        name = f"{stem}_{float(alpha):g}"
    elif parameter is not None:
        name = f"{stem}_{parameter}"
    else:
        name = stem
    if lookup(name) is None:
        raise KeyError(f"{name!r} is not a registered quantity: add a row to strongtherm.core.quantities")
    return name


def lookup(name: str) -> Quantity | None:
    """The registry row of a key (a family member resolved to its own row), or None if unknown.

    Also accepts the short plot names (``"U_S"``, ``"U_H*"``, ``"dOmega_R"``).
    """
    row = REGISTRY.get(name) or _PLOT_NAMES.get(name)
    if row is not None:
        return None if row.suffix else row
    for family in _FAMILIES:
        prefix = family.key + "_"
        if name.startswith(prefix) and len(name) > len(prefix):
            value = name[len(prefix) :]
            if family.suffix == "alpha" and not _ALPHA_TEXT.fullmatch(value):
                continue
            if family.suffix == "reservoir" and not value.isdigit():
                continue
            return family.instance(value)
    return None


def variable_attrs(name: str) -> dict[str, str]:
    """NetCDF attributes of a sweep variable: ``units``, ``long_name``, and where known
    ``symbol``, ``paper``, ``equation`` (empty units and its own name for a user's quantity)."""
    row = lookup(name)
    if row is None:
        return {"units": "", "long_name": name}
    attrs = {"units": row.unit, "long_name": row.definition, "symbol": row.symbol}
    if row.paper:
        attrs.update(paper=PAPERS[row.paper][0], equation=row.equation)
    return attrs


def by_equation(paper: str, equation: int | str) -> tuple[Quantity, ...]:
    """Every registered quantity defined by (or cited with) an equation of a paper.

    ``by_equation("davoudi2025", 23)`` -> the row of ``work_Hstar`` (``q.work["H*"]``).
    """
    if paper not in PAPERS:
        raise ValueError(f"paper must be one of {list(PAPERS)}, got {paper!r}")
    wanted = int(equation)
    return tuple(row for row in _ROWS if row.paper == paper and wanted in _equation_numbers(row.equation))


def table_rows() -> list[dict[str, object]]:
    """The registry as plain rows for the documentation's quantity page, ordered by paper
    (Kumar, Davoudi, then quantities of ours) and first equation number."""
    order = {paper: i for i, paper in enumerate(PAPERS)}
    rows = []
    for row in _ROWS:
        numbers = sorted(_equation_numbers(row.equation))
        key_text = f"{row.key}_<a>" if row.suffix == "alpha" else f"{row.key}_<name>" if row.suffix else row.key
        rows.append(
            {
                "paper": row.paper,
                "equation": row.equation,
                "first_equation": numbers[0] if numbers else 0,
                "symbol": row.symbol,
                "long_name": row.long_name,
                "attribute": row.attribute,
                "key": row.key,
                "key_text": key_text,
                "unit": row.unit,
            }
        )
    rows.sort(key=lambda r: (order.get(str(r["paper"]), len(order)), r["first_equation"], str(r["key"])))
    return rows


def _equation_numbers(text: str) -> set[int]:
    numbers: set[int] = set()
    for part in text.split(","):
        part = part.strip()
        if "-" in part:
            lo, hi = part.split("-")
            numbers.update(range(int(lo), int(hi) + 1))
        elif part:
            numbers.add(int(part))
    return numbers


# ----------------------------------------------------------------------------- parameters
_GREEK = {
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "eps": "ε", "epsilon": "ε", "zeta": "ζ",
    "eta": "η", "theta": "θ", "kappa": "κ", "lam": "λ", "lambda": "λ", "mu": "μ", "nu": "ν", "xi": "ξ",
    "pi": "π", "rho": "ρ", "sigma": "σ", "tau": "τ", "phi": "φ", "chi": "χ", "psi": "ψ", "omega": "ω",
    "Delta": "Δ", "Gamma": "Γ", "Omega": "Ω",
}  # fmt: skip
_SUBSCRIPT_DIGITS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")

#: Units of the thermal, path and protocol parameters, which every engine shares (the ramp
#: ``duration``, its ``tau`` and the ``hold`` are times, in units of hbar / energy); a model's
#: Hamiltonian parameters are energies in the model's unit (the conventions page).
_PARAMETER_UNITS: Mapping[str, str] = MappingProxyType(
    {"T": "energy", "mu": "energy", "beta": "1/energy", "s": "1", "duration": "time", "tau": "time", "hold": "time"}
)


def parameter_symbol(name: str) -> str:
    """How a parameter name prints: Greek letter names become letters, trailing digits subscripts
    (``eps_s`` -> ``ε_s``, ``t0`` -> ``t₀``, ``B.eps`` -> ``B.ε``)."""
    head, dot, tail = name.rpartition(".")
    stem, underscore, rest = tail.partition("_")
    match = re.fullmatch(r"([A-Za-z]+?)(\d*)", stem)
    if match:
        letters, digits = match.groups()
        stem = _GREEK.get(letters, letters) + digits.translate(_SUBSCRIPT_DIGITS)
    return f"{head}{dot}{stem}{underscore}{rest}"


def parameter_unit(name: str, *, model_parameter: bool = True) -> str:
    """Unit code of a parameter: T, mu (energy), beta (1/energy), the path parameter s (1), the
    ramp ``duration`` (or ``tau``) and ``hold`` (time: hbar / energy), and a model's Hamiltonian
    parameter (energy). ``model_parameter=False``: ``""`` for other names."""
    tail = name.rpartition(".")[2]
    if tail in _PARAMETER_UNITS:
        return _PARAMETER_UNITS[tail]
    return "energy" if model_parameter else ""
