"""The tasks of ``strongtherm run``: a table from (engine, task kind) to a small function each.

Each task function takes a checked :class:`strongtherm.config.RunConfig`, builds the model and
checks every input (model arguments, parameters, every grid point) *without computing*, and
returns a :class:`Plan`: the one library call to make (``st.negf.equilibrium``,
``st.negf.quasistatic``, ``st.exact.equilibrium``, ``st.exact.quench`` or ``st.sweep``) and the
writer of its result. :func:`run` makes the call into a staged folder
(:func:`strongtherm.io.staged_folder`), so a run that fails leaves no folder behind.

The table :data:`TASKS` is keyed by the schema's :data:`strongtherm.config.TASK_KINDS`: this
module imports :mod:`strongtherm.config`, which imports nothing from here.

==========  ========================  =========================  ========================================
engine      ``state``                 ``path`` / ``quench``      ``sweep``
==========  ========================  =========================  ========================================
negf        ``negf.equilibrium``      ``negf.quasistatic``       ``st.sweep(sweeps.negf_equilibrium)``
exact       ``exact.equilibrium``     ``exact.quench``           ``st.sweep(sweeps.exact_*)``
typicality  ``typical_equilibrium``   --                         ``st.sweep(sweeps.typical_equilibrium)``
==========  ========================  =========================  ========================================

and ``drive`` (negf): ``dynamics.drive`` along the corners ``points`` at finite speed, or
``st.sweep(sweeps.dynamics_drive)`` over ``grid.duration``; ``drive`` (exact, typicality):
``exact.drive_composite`` through the corners, dense or by quantum typicality; ``friction`` (negf):
``dynamics.friction`` along the corners (the slow-driving side: the friction tensor, tau W_diss).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path as FilePath
from typing import Any

import numpy as np

from . import exact, negf, plot, sweep, sweeps
from .config import SECTORS, RunConfig
from .core.quantities import REGISTRY, lookup
from .core.validation import check_real
from .dynamics import Protocol, Schedule, drive, friction
from .exact.statistics import work_statistics
from .exact.typicality import typical_equilibrium
from .gaussian.statistics import driven_work_statistics, quench_work_statistics
from .io import staged_folder, write_csv, write_json
from .negf.transport import steady_state
from .path import Path
from .sweeps import (
    check_sweep,
    dynamics_drive,
    exact_equilibrium,
    exact_quench,
    negf_equilibrium,
    negf_steady_state,
    save,
)
from .thermal import Bath

__all__ = ["TASKS", "Plan", "execute", "format_summary", "prepare", "run", "summarize"]

Log = Callable[[str], None]


@dataclass(frozen=True)
class Plan:
    """A task whose inputs are all checked: ``call()`` computes, ``write(result, folder, log)``
    writes the data files and returns their names."""

    kind: str
    call: Callable[[], Any]
    write: Callable[[Any, FilePath, Log], list[FilePath]]


def _json_file(config: RunConfig, name: str, content: Callable[[Any, Log], Any]) -> Callable[[Any, FilePath, Log], list[FilePath]]:
    """The writer of a task whose one data file is the JSON ``name``: ``content(result, log)``,
    written when ``output.formats`` lists json (the only format such a task writes, see
    :data:`strongtherm.config.OUTPUT_FORMATS`)."""

    def write(result: Any, out: FilePath, log: Log) -> list[FilePath]:
        data = content(result, log)  # always: it may log (the quench's second-law audit)
        return [write_json(out / name, data)] if "json" in config.output.formats else []

    return write


# --------------------------------------------------------------------------- Green's-function engine
def _bath(config: RunConfig) -> Bath:
    assert config.bath.T is not None  # BathConfig.parse resolves T from beta
    return Bath(T=config.bath.T, mu=config.bath.mu)


def _negf_state(config: RunConfig, progress: bool) -> Plan:
    model, bath, task = config.model.build(), _bath(config), config.task
    model.resolve(task.params)  # names and domain, before anything is computed

    def content(eq: Any, log: Log) -> dict[str, Any]:
        bound = [{"energy": b.energy, "system_weight": b.system_weight, "reservoir_weight": b.reservoir_weight}
                 for b in eq.bound_states]  # fmt: skip
        return {"parameters": eq.params, "results": eq.to_dict(task.alphas), "bound_states": bound}

    return Plan("state", lambda: negf.equilibrium(model, bath, **task.params), _json_file(config, "state.json", content))


def _negf_path(config: RunConfig, progress: bool) -> Plan:
    model, bath, task = config.model.build(), _bath(config), config.task
    path = Path.corners(_corners(config, model))
    formats = config.output.formats

    def write(proc: Any, out: FilePath, log: Log) -> list[FilePath]:
        written = []
        if "json" in formats:
            written.append(write_json(out / "path.json", {"path": proc.path.label, "results": proc.to_dict(task.alphas)}))
        if "csv" in formats:
            columns: dict[str, Any] = {"s": proc.path_s}
            for name in proc.path.names:
                columns[name] = [proc.path.function(float(s))[name] for s in proc.path_s]
            columns.update({f"cumulative_{k}": v for k, v in proc.cumulative.items()})
            columns["system_Omega"] = [e.system.Omega for e in proc.states]
            columns["reservoir_Omega"] = [e.reservoir.Omega for e in proc.states]
            written.append(write_csv(out / "path.csv", columns))
        return written

    return Plan("path", lambda: negf.quasistatic(model, bath, path, panels_per_segment=task.panels_per_segment), write)


def _corners(config: RunConfig, model: Any) -> list[dict[str, Any]]:
    """The corners of a path task (``params`` completing each of ``points``), checked against the model."""
    corners = [{**config.task.params, **p} for p in config.task.points]
    for corner in corners:
        model.resolve(corner)
    return corners


def _protocol(config: RunConfig, corners: list[dict[str, Any]]) -> Protocol:
    """The task's ramp through ``corners``: its duration, schedule (a name or knots) and hold."""
    task = config.task
    assert task.duration is not None  # TaskConfig.parse requires it where a protocol is built
    schedule = task.schedule if isinstance(task.schedule, str) else Schedule.piecewise(task.schedule)
    return Protocol(Path.corners(corners), duration=task.duration, schedule=schedule, hold=task.hold)


def _negf_drive(config: RunConfig, progress: bool) -> Plan:
    model, bath, task = config.model.build(), _bath(config), config.task
    corners = _corners(config, model)
    if task.grid:  # a sweep over durations: the end values of each ramp (W(tau), Delta F*_S, ...)
        compute = dynamics_drive(model, bath, corners, schedule=task.schedule, hold=task.hold, initial=task.initial)
        return _sweep_plan(config, compute, progress)
    protocol = _protocol(config, corners)  # kind = "drive" without a grid has a duration
    times = np.linspace(0.0, protocol.total_time, task.n_times)
    formats = config.output.formats
    baths = _reservoir_baths(config, model) if task.baths else None  # a bias: one bath per reservoir

    def write(run: Any, out: FilePath, log: Log) -> list[FilePath]:
        written = []
        if "json" in formats:
            content = {"path": protocol.path.label, "initial": task.initial, "results": run.to_dict()}
            if baths is not None:
                content["baths"] = [{"T": b.T, "mu": b.mu} for b in baths]
                content["convention"] = "currents into the system from each reservoir; J_Q = J_E - mu I"
            written.append(write_json(out / "drive.json", content))
        if "csv" in formats:
            written.append(write_csv(out / "drive.csv", run.series()))
        return written

    return Plan("drive", lambda: drive(model, bath if baths is None else baths, protocol, times=times, initial=task.initial),
                write)  # fmt: skip


def _negf_statistics(config: RunConfig, progress: bool) -> Plan:
    """TPM work statistics of fermions by determinants: a sudden quench (no duration) or a protocol."""
    model, bath, task = config.model.build(), _bath(config), config.task
    corners = _corners(config, model)
    u = np.linspace(0.0, task.u_max, task.n_u)
    formats = config.output.formats
    if task.duration is None:
        def compute() -> Any:
            return quench_work_statistics(model, bath, corners[0], corners[-1], u, L=task.L)
    else:
        protocol = _protocol(config, corners)

        def compute() -> Any:
            return driven_work_statistics(model, bath, protocol, u, L=task.L)

    def write(stats: Any, out: FilePath, log: Log) -> list[FilePath]:
        W, density, resolution = stats.characteristic.distribution()
        written = []
        if "json" in formats:
            chi = stats.characteristic.values
            written.append(write_json(out / "statistics.json", {
                "measured": "universe", "results": stats.to_dict(), "L": stats.length, "resolution": resolution,
                "u": u.tolist(), "chi_real": chi.real.tolist(), "chi_imag": chi.imag.tolist()}))  # fmt: skip
        if "csv" in formats:
            written.append(write_csv(out / "statistics.csv", {"W": W, "P": density}))
        return written

    return Plan("statistics", compute, write)


def _negf_friction(config: RunConfig, progress: bool) -> Plan:
    model, bath, task = config.model.build(), _bath(config), config.task
    path = Path.corners(_corners(config, model))
    formats = config.output.formats

    def write(fr: Any, out: FilePath, log: Log) -> list[FilePath]:
        written = []
        if "json" in formats:
            written.append(write_json(out / "friction.json", {"path": path.label, "names": list(fr.names),
                                                               "results": fr.to_dict()}))  # fmt: skip
        if "csv" in formats:
            # the integrand of tau W_diss along the path, and the tensor's entries at the same nodes
            columns: dict[str, Any] = {"s": fr.s, "metric": fr.metric}
            for i, a in enumerate(fr.names):
                for j, b in enumerate(fr.names):
                    columns[f"zeta[{a};{b}]"] = fr.zeta[:, i, j]  # no comma: it would split the CSV column
            written.append(write_csv(out / "friction.csv", columns))
        return written

    return Plan("friction", lambda: friction(model, bath, path, panels_per_segment=task.panels_per_segment), write)


def _sweep_plan(config: RunConfig, compute: Any, progress: bool) -> Plan:
    task, formats = config.task, config.output.formats
    check_sweep(compute, task.grid)  # every point, before anything is computed

    def write(ds: Any, out: FilePath, log: Log) -> list[FilePath]:
        written = []
        if "netcdf" in formats:
            written.append(save(ds, out / "sweep.nc"))
        if "csv" in formats:
            written.append(save(ds, out / "sweep.csv"))
        if "json" in formats:
            # the whole sweep, readable without xarray: coordinates, variables (nested lists over
            # the dimensions), their attributes, and the failed points with their errors
            content = ds.to_dict(data="list")
            content["failures"] = json.loads(ds.attrs["failures"])
            written.append(write_json(out / "sweep.json", content))
        return written

    return Plan("sweep", lambda: sweep(compute, task.grid, processes=task.processes, progress=None if progress else False), write)


def _negf_sweep(config: RunConfig, progress: bool) -> Plan:
    model, task = config.model.build(), config.task
    return _sweep_plan(config, negf_equilibrium(model, _bath(config), alphas=task.alphas, **task.params), progress)


def _reservoir_baths(config: RunConfig, model: Any) -> list[Bath]:
    """``task.baths`` as one Bath per reservoir, each key defaulting to ``[bath]``'s."""
    task, default = config.task, _bath(config)
    if len(task.baths) != len(model.reservoirs):
        raise ValueError(f"task.baths must give one table per reservoir: {model.name} has {len(model.reservoirs)}, "
                         f"the config gives {len(task.baths)}")  # fmt: skip
    return [Bath(T=b.get("T", default.T), mu=b.get("mu", default.mu)) for b in task.baths]


def _negf_transport(config: RunConfig, progress: bool) -> Plan:
    model, task = config.model.build(), config.task
    baths = _reservoir_baths(config, model)
    if task.grid:
        compute = negf_steady_state(model, baths, state=task.state, **task.params)
        return _sweep_plan(config, compute, progress)
    model.resolve(task.params)

    def content(ss: Any, log: Log) -> dict[str, Any]:
        leads = [{"T": b.T, "mu": b.mu, "I": float(i), "J_E": float(e), "J_Q": float(q)}
                 for b, i, e, q in zip(ss.baths, ss.particle_current, ss.energy_current, ss.heat_current, strict=True)]
        return {"parameters": ss.params, "results": ss.to_dict(), "reservoirs": leads, "errors": dict(ss.errors),
                "convention": "currents into the system from each reservoir; J_Q = J_E - mu I"}  # fmt: skip

    return Plan("transport", lambda: steady_state(model, baths, task.params, state=task.state),
                _json_file(config, "transport.json", content))  # fmt: skip


# --------------------------------------------------------------------------- exact engine
def _exact_model(config: RunConfig, *extra: Mapping[str, Any]) -> Any:
    args = config.model.loaded_args()
    for e in extra:
        args.update(e)
    return config.model.builder(**args)


def _beta(config: RunConfig) -> float:
    assert config.bath.beta is not None  # BathConfig.parse resolves beta from T
    return config.bath.beta


def _exact_state(config: RunConfig, progress: bool) -> Plan:
    model, beta = _exact_model(config, config.task.params), _beta(config)

    def content(eq: Any, log: Log) -> dict[str, Any]:
        return {"results": eq.to_dict(), "rho_S": eq.rho_S, "H_star": eq.H_star, "E_star": eq.E_star}

    return Plan("state", lambda: exact.equilibrium(model, beta=beta), _json_file(config, "state.json", content))


def _exact_quench(config: RunConfig, progress: bool) -> Plan:
    task, beta = config.task, _beta(config)
    A, B = _exact_model(config, task.params, task.A), _exact_model(config, task.params, task.B)

    def content(q: Any, log: Log) -> dict[str, Any]:
        audit = q.second_law()
        log(str(audit))
        return {"kind": q.kind, "results": q.to_dict(), "second_law": audit.verdicts}

    return Plan("quench", lambda: exact.quench(A, B, beta=beta), _json_file(config, "quench.json", content))


def _exact_statistics(config: RunConfig, progress: bool) -> Plan:
    task, beta = config.task, _beta(config)
    A, B = _exact_model(config, task.params, task.A), _exact_model(config, task.params, task.B)
    formats = config.output.formats

    def write(w: Any, out: FilePath, log: Log) -> list[FilePath]:
        written = []
        if "json" in formats:
            written.append(write_json(out / "statistics.json", {
                "measured": w.measured, "results": w.to_dict(), "values": w.values.tolist(),
                "probabilities": w.probabilities.tolist(), "resolution": w.resolution}))  # fmt: skip
        if "csv" in formats:
            written.append(write_csv(out / "statistics.csv", {"W": w.values, "P": w.probabilities}))
        return written

    return Plan("statistics", lambda: work_statistics(A, B, beta=beta, measure=task.measure), write)  # type: ignore[arg-type]


def _exact_sweep(config: RunConfig, progress: bool) -> Plan:
    task = config.task
    fixed = {**config.model.loaded_args(), **task.params}
    beta = None if "beta" in task.grid else config.bath.beta
    compute: Any
    if task.of == "state":
        compute = exact_equilibrium(config.model.builder, beta=beta, **fixed)
    else:
        compute = exact_quench(config.model.builder, beta=beta, A=task.A, B=task.B, **fixed)
    return _sweep_plan(config, compute, progress)


def _composite_drive(config: RunConfig, progress: bool) -> Plan:
    """``drive`` of an exact or typicality model: :func:`strongtherm.exact.drive_composite` through
    the corners ``points`` (exactly for an exact model, by quantum typicality for a typicality one),
    as :func:`strongtherm.sweeps.composite_drive` sets it up (every corner built and checked now)."""
    task, beta = config.task, _beta(config)
    typicality = config.model.engine == "typicality"
    compute = sweeps.composite_drive(
        config.model.builder, [{**task.params, **p} for p in task.points], beta=beta, schedule=task.schedule,
        method="typicality" if typicality else "dense", samples=task.samples, seed=task.seed,
        sectors=SECTORS[config.model.name] if typicality and task.sectors else None,
        equilibrium_method=task.method, **config.model.loaded_args())  # fmt: skip
    if task.grid:  # a sweep over durations: the end values of each ramp (W(tau), Delta F*_S, ...)
        return _sweep_plan(config, compute, progress)
    duration = check_real("task.duration", task.duration, low=0.0)
    times = np.linspace(0.0, duration, task.n_times)
    formats = config.output.formats

    def write(run: Any, out: FilePath, log: Log) -> list[FilePath]:
        written = []
        if "json" in formats:
            content = {"path": Path.corners(list(compute.corners)).label, "beta": beta, "method": run.method,
                       "results": run.to_dict(), "rho_S_final": run.rho_S[-1], "errors": dict(run.errors)}  # fmt: skip
            written.append(write_json(out / "drive.json", content))
        if "csv" in formats:
            written.append(write_csv(out / "drive.csv", run.series()))
        return written

    return Plan("drive", lambda: compute.run(duration, times=times, progress=None if progress else False), write)


# --------------------------------------------------------------------------- typicality road
def _typicality_options(config: RunConfig) -> dict[str, Any]:
    task = config.task
    return {"samples": task.samples, "method": task.method, "exact_states": task.exact_states}


def _typicality_state(config: RunConfig, progress: bool) -> Plan:
    task, beta = config.task, _beta(config)
    args = {**config.model.loaded_args(), **task.params}
    H_S, H_R, V = config.model.builder(**args)  # checks every argument; builds the sparse model
    sectors = SECTORS[config.model.name](**args) if task.sectors else None

    def content(r: Any, log: Log) -> dict[str, Any]:
        return {"results": r.to_dict(), "rho_S": r.rho_S, "H_star": r.H_star, "E_star": r.E_star,
                "errors": {"rho_S": r.errors["rho_S"], "H_star": r.errors["H_star"], "E_star": r.errors["E_star"]},
                "method": r.method, "sectors": r.sectors}  # fmt: skip

    def call() -> Any:
        return typical_equilibrium(H_S, H_R, V, beta=beta, rng=task.seed, sectors=sectors, progress=None if progress else False,
                                   **_typicality_options(config))  # fmt: skip

    return Plan("state", call, _json_file(config, "state.json", content))


def _typicality_sweep(config: RunConfig, progress: bool) -> Plan:
    task = config.task
    fixed = {**config.model.loaded_args(), **task.params}
    beta = None if "beta" in task.grid else config.bath.beta
    compute = sweeps.typical_equilibrium(config.model.builder, beta=beta, seed=task.seed,
                                         sectors=SECTORS[config.model.name] if task.sectors else None,
                                         **_typicality_options(config), **fixed)  # fmt: skip
    return _sweep_plan(config, compute, progress)


#: (engine, task kind) -> task function: one for each pair of :data:`strongtherm.config.TASK_KINDS`.
TASKS: Mapping[tuple[str, str], Callable[[RunConfig, bool], Plan]] = {
    ("negf", "state"): _negf_state,
    ("negf", "path"): _negf_path,
    ("negf", "drive"): _negf_drive,
    ("negf", "friction"): _negf_friction,
    ("negf", "sweep"): _negf_sweep,
    ("negf", "transport"): _negf_transport,
    ("exact", "state"): _exact_state,
    ("exact", "quench"): _exact_quench,
    ("exact", "statistics"): _exact_statistics,
    ("negf", "statistics"): _negf_statistics,
    ("exact", "sweep"): _exact_sweep,
    ("exact", "drive"): _composite_drive,
    ("typicality", "state"): _typicality_state,
    ("typicality", "sweep"): _typicality_sweep,
    ("typicality", "drive"): _composite_drive,
}


# --------------------------------------------------------------------------- running
def prepare(config: RunConfig, *, progress: bool = True) -> Plan:
    """Build the model and check every input of the task, computing nothing.

    Raises
    ------
    ValueError, TypeError
        For a bad model argument, parameter or grid point (the message names it).
    """
    return TASKS[(config.model.engine, config.task.kind)](config, progress)


def _plot(result: Any, kind: str, out: FilePath, log: Log) -> FilePath | None:
    """Draw ``result`` with :func:`strongtherm.plot.draw` where it knows the result's type."""
    if not plot.can_draw(result):
        return None
    try:
        figure = plot.draw(result).figure
    except (ValueError, TypeError) as exc:
        log(f"plot skipped: {exc}")
        return None
    target = out / f"{kind}.png"
    plot.save_figure(figure, target, dpi=120)
    return target


#: what the printed summary shows beside the registry's headline quantities, per task kind
_SUMMARY_EXTRAS: dict[str, tuple[str, ...]] = {
    "state": ("system_U", "expectation_H_SR", "n_bound_states"),
    "path": ("W_ext", "W_S", "nonlocal_work", "delta_Omega_S", "delta_dOmega_R", "sum_rule_residual"),
    "friction": ("work_coefficient", "thermodynamic_length", "error_work_coefficient", "error_thermodynamic_length"),
    "drive": ("W_ext", "delta_F_S_engine", "delta_F_S", "dissipated_work", "entropy_production", "heat",
              "delta_system_energy_hilbert", "bound_state_along_path", "adiabatic_work", "heat_Hstar", "heat_Estar",
              "error_W", "error_dissipated_work"),
    "quench": ("delta_F_S", "dissipated_work_diff", "dissipated_work_Hstar", "dissipated_work_Estar"),
    "transport": ("I_0", "I_1", "J_Q_0", "J_Q_1", "power", "entropy_production_rate", "efficiency"),
    "statistics": ("work_mean", "work_variance", "jarzynski_gap", "delta_F_S"),
}


def summarize(result: Any, kind: str) -> dict[str, Any]:
    """The key numbers of a result: ``{"kind", "values": {key: number}, ...}`` (for summary.json).

    Scalar results: the registry's headline quantities of ``result.to_dict()`` and a few more per
    task kind. A sweep Dataset: min and max of each headline quantity, the number of points and of
    failures, and the backend that ran it.
    """
    headline = [row.key for row in REGISTRY.values() if row.headline]
    if hasattr(result, "data_vars"):  # a sweep: an xarray.Dataset
        names = [k for k in headline if k in result.data_vars] or [str(k) for k in list(result.data_vars)[:4]]
        ranges = {k: {"min": float(result[k].min()), "max": float(result[k].max())} for k in names}
        failures = result.attrs.get("failures", "[]")
        if isinstance(failures, str):  # netCDF-safe attrs hold the list as JSON text
            failures = json.loads(failures)
        return {
            "kind": kind,
            "ranges": ranges,
            "points": int(np.prod([result.sizes[d] for d in result.dims])),
            "failures": len(failures),
            "backend": result.attrs.get("backend", "?"),
        }
    values = result.to_dict() if hasattr(result, "to_dict") else {}
    keys = [k for k in (*headline, *_SUMMARY_EXTRAS.get(kind, ())) if k in values]
    return {"kind": kind, "values": {k: float(values[k]) for k in dict.fromkeys(keys)}}


def format_summary(summary: Mapping[str, Any]) -> str:
    """A short plain-text table of :func:`summarize` (symbol, value, unit, what it is)."""
    def describe(key: str) -> tuple[str, str, str]:
        row = lookup(key)
        return (row.symbol, row.unit, row.long_name) if row is not None else (key, "", "")

    lines = [f"summary ({summary['kind']}):"]
    keys = list(summary.get("ranges", summary.get("values", {})))
    width = max([len(describe(k)[0]) for k in keys] + [8])
    if "ranges" in summary:
        for key, r in summary["ranges"].items():
            symbol, unit, name = describe(key)
            lines.append(f"  {symbol:<{width}} {r['min']:>+16.10g} .. {r['max']:<+16.10g} {unit:<7} {name}")
        lines.append(f"  {summary['points']} points, {summary['failures']} failed, backend {summary['backend']}")
    else:
        for key, value in summary["values"].items():
            symbol, unit, name = describe(key)
            lines.append(f"  {symbol:<{width}} {value:>+20.12g} {unit:<7} {name}")
    return "\n".join(lines)


def execute(plan: Plan, config: RunConfig, out: FilePath, *, log: Log = print) -> list[FilePath]:
    """Run a prepared task into the folder ``out`` (which must not exist or be empty).

    The files are written into a hidden staging folder beside ``out`` and moved into ``out``
    when all are written; if anything fails, the staging folder is removed and ``out`` is left
    as it was. Returns the files written, as paths inside ``out``.
    """
    out = FilePath(out)
    with staged_folder(out) as staging:
        written = [write_json(staging / "resolved_config.json", config.to_dict())]
        result = plan.call()
        written += plan.write(result, staging, log)
        summary = summarize(result, plan.kind)
        written.append(write_json(staging / "summary.json", summary))
        log(format_summary(summary))
        if config.output.plot:
            figure = _plot(result, plan.kind, staging, log)
            if figure is not None:
                written.append(figure)
    return [out / path.name for path in written]


def run(config: RunConfig, out: str | FilePath, *, progress: bool = True, log: Log = print) -> list[FilePath]:
    """Run a config into the folder ``out`` (must not exist or be empty); return the files written.

    :func:`prepare` then :func:`execute`: everything is checked before anything is computed, and
    a run that fails leaves no folder behind. Writes the data (``state.json``; ``path.json`` +
    ``path.csv``; ``drive.json`` + ``drive.csv``; ``friction.json`` + ``friction.csv``; ``quench.json``; ``sweep.nc`` + ``sweep.csv`` +
    ``sweep.json``, as ``output.formats`` allow), ``summary.json``, a PNG where
    :func:`strongtherm.plot.draw` knows the result, and ``resolved_config.json``.

    Parameters
    ----------
    config
        A checked config (:func:`strongtherm.config.load_config` or
        :func:`strongtherm.config.parse_config`).
    out
        The output folder.
    progress
        Show a progress bar for sweeps.
    log
        Where the summary table and notes go (default: ``print``).

    Returns
    -------
    list of pathlib.Path
        The files written, inside ``out``.
    """
    return execute(prepare(config, progress=progress), config, FilePath(out), log=log)
