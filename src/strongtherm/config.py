"""Your own model from a file: ``strongtherm run CONFIG.toml`` (TOML read with the stdlib ``tomllib``).

A config has four tables; every key is checked (an unknown key is an error naming it) and typed
into frozen dataclasses (:class:`RunConfig`), and the resolved config, defaults included, is
written beside the results with the strongtherm version::

    [model]                      # a built-in model by name, with its builder's arguments ...
    name = "resonant_level"      # resonant_level, two_level_two_reservoirs, two_spin,
    args = { t0 = 1.25 }         # constrained_two_spin, qubit_on_spin_chain; or negf_matrices / exact_matrices

    [bath]                       # T (and mu) for the Green's-function engine, beta for the exact one
    T = 0.02
    mu = 0.0

    [task]
    kind = "sweep"               # state | path | drive | friction | quench | sweep | transport
    params = { V = 1.0 }         # fixed parameters
    grid = { eps_s = { start = -2.0, stop = 2.0, num = 41 } }   # or a list of values; scale = "log": geomspace
    alphas = [0.0, 0.5, 1.0]     # alpha-partition fractions (negf)

    [output]
    formats = ["json", "csv", "netcdf"]
    plot = true

Matrices (real; nested lists, or QuTiP ``Qobj`` / arrays when built from Python):

* ``name = "negf_matrices"``: ``args = {h_S = [[...]], couplings = [[[...]], ...],
  reservoirs = [{t0 = 1.25, e0 = 0.0}, ...], parameters = {eps = {default = 0.0, h_S = [[...]]}}}``
  gives h_S(lambda) = h_S + sum_k lambda_k dh_S_k and V_r(lambda) = V_r + sum_k lambda_k dV_r_k
  (linear in each named parameter, exact derivatives).
* Reservoirs (``reservoirs`` of ``negf_matrices``, ``reservoir`` of ``resonant_level``,
  ``reservoirs`` of ``two_level_two_reservoirs``) are tables with a ``band``
  (:data:`strongtherm.models.RESERVOIR_BANDS`): ``{band = "chain", t0 = ..., e0 = ...}`` (the
  default band; a semi-infinite tight-binding chain), ``{band = "flat", D = ..., e0 = ...}`` (a
  flat band of half-width D, :class:`strongtherm.negf.WideBand`) or ``{band = "lorentzian", W =
  ..., e0 = ...}`` (:class:`strongtherm.negf.LorentzianBand`); each band takes only its own keys.
* ``name = "exact_matrices"``: ``args = {H_S = [[...]], H_R = [[...]], V = [[...]]}``.

Tasks: ``state`` (equilibrium at ``params``), ``path`` (negf: quasistatic along the corners
``points``), ``drive`` (negf: the same corners at finite speed, exact dynamics: ``duration``,
``schedule`` = linear | smooth | a list of knots ``[[0, 0], [u_1, s_1], ..., [1, 1]]``
(piecewise linear, u rising strictly, s in [0, 1]; :meth:`strongtherm.dynamics.Schedule.piecewise`),
``hold``, ``n_times`` output times, ``initial`` = gibbs | product | partition-free | partitioned,
``baths`` = one ``{T, mu}`` table per reservoir for a bias (as for ``transport``; the per-lead
currents, heat and pumped charge are then in drive.json and drive.csv); or, instead of ``duration``
and ``n_times``, ``grid = {duration = [...]}`` (or ``{start, stop, num, scale = "log"}``): a
sweep over ramp durations whose end values, W(tau), Delta F*_S, the dissipated work, Sigma, ...,
are written as a sweep and drawn against a logarithmic tau axis), ``friction`` (negf: the
friction tensor along the corners ``points``, its prediction of tau W_diss and the thermodynamic
length; ``panels_per_segment``), ``quench`` (exact: from ``A`` to ``B``, each a set of builder arguments), ``statistics`` (exact: the
two-point-measurement work distribution of that quench, ``measure`` = universe | H_S | H* | E* |
H_S+H_SR; negf: chi(u) and P(W) of the universe by determinants for a sudden quench between the
two ``points``, or with ``duration`` (``schedule``, ``hold``) for a protocol through them at finite
speed; ``u_max``, ``n_u`` the u grid, ``L`` sites per chain), ``sweep``
(``grid`` over model parameters, ``T``/``mu`` or ``beta``; for the exact engine ``of = "state"``
or ``of = "quench"``), ``transport`` (negf: the steady state between reservoirs at their own
baths: ``baths = [{T = ..., mu = ...}, ...]``, one table per reservoir, each key defaulting to
``[bath]``; with a ``grid`` over model parameters, ``T_k``, ``mu_k`` and, for two reservoirs,
``bias``, a sweep of it; ``state = true`` adds N_S and U_S). A typicality model
(``qubit_on_spin_chain``: sparse, beyond dense diagonalization) offers ``state`` and ``sweep`` (over
its arguments and ``beta``) by :func:`strongtherm.exact.typicality.typical_equilibrium`, with
``samples``, ``seed``, ``method`` = typicality | deflated, ``exact_states`` and ``sectors = true``
(the model's conserved total S^z); every value comes with its jackknife error. ``drive`` for an
exact or typicality model (:func:`strongtherm.exact.drive_composite`): the composite driven
through the corners ``points`` in a time ``duration`` (0: the sudden quench) from its global Gibbs
state at ``beta``, ``schedule``, ``n_times`` or ``grid = {duration = [...]}`` as above (no
``hold``, ``initial`` or ``baths``); W(t), U_diff, U_H*, U_E*, the heat per definition, F*_S(lambda(t)) and Sigma(t) go to
drive.json and drive.csv -- exactly (dense) for an exact model, by quantum typicality with
``samples`` random vectors (``seed``; ``method`` and ``sectors`` for the equilibria) and one-sigma
errors for a typicality model. ``--set key=value`` overrides any key (``ast.literal_eval``, never eval).

Each task reads only its own keys (:data:`TASK_KEYS`, one row per engine and kind); any other key
is an error naming the kinds that read it, never silently ignored. A ``grid`` belongs to
``sweep``, ``transport`` and ``drive`` (whose one grid axis is ``duration``,
:data:`DRIVE_GRID_KEYS`; a drive over a grid keeps each ramp's end values, so ``n_times`` is
refused there). ``output.formats`` is drawn from what the task writes
(:data:`OUTPUT_FORMATS`: json for state, quench and transport; json and csv for path, drive and friction;
json, csv and netcdf for a task with a grid) and defaults to all of it; any other format is refused.

Sizes are bounded before anything is allocated (generous for a 24 GiB, 2-core machine):
``n_times`` <= :data:`MAX_OUTPUT_TIMES` (20 000 output times), a grid axis's ``num`` and the
grid's number of points <= :data:`strongtherm.sweeps.MAX_POINTS` (1 000 000), and
``panels_per_segment`` <= :data:`strongtherm.path.MAX_PANELS_PER_SEGMENT` (256). A matrix
file that cannot be read (missing, truncated, a ``.qu`` that does not unpickle) is a ConfigError
naming the file and the key.

This module only parses and checks: it owns the schema, :data:`TASK_KINDS` (which task kinds each
engine offers) included, and imports nothing of the running side. The tasks themselves are small
functions in :mod:`strongtherm.tasks` (a table from engine and task kind to the one library call
each makes, keyed by :data:`TASK_KINDS`; tasks imports config, never the reverse),
the files are written by :mod:`strongtherm.io` and the figures drawn by :mod:`strongtherm.plot`.
Before any folder is created, ``strongtherm run`` builds the model and checks every parameter and
grid point and the output path; a run that fails leaves no folder behind.
"""

from __future__ import annotations

import ast
import inspect
import json
import math
import os
import pickle
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path as FilePath
from typing import Any

import numpy as np

from . import models
from .core.convert import to_array, to_builtin
from .core.version import __version__
from .dynamics.protocol import Schedule
from .exact.composite import Composite
from .exact.statistics import MEASURES
from .models.spin_chains import qubit_chain_total_sz, qubit_on_spin_chain
from .path import MAX_PANELS_PER_SEGMENT
from .sweeps import MAX_POINTS, check_grid

__all__ = [
    "BUILTIN_MODELS",
    "CONFIG_SCHEDULES",
    "DRIVE_GRID_KEYS",
    "MATRIX_MODELS",
    "MAX_OUTPUT_TIMES",
    "MAX_SAMPLES",
    "OUTPUT_FORMATS",
    "SECTORS",
    "TASK_KEYS",
    "TASK_KINDS",
    "BathConfig",
    "ConfigError",
    "ModelConfig",
    "OutputConfig",
    "RunConfig",
    "TaskConfig",
    "apply_overrides",
    "check_writable",
    "load_config",
    "load_matrix",
    "matrix_composite",
    "new_output_folder",
    "parse_config",
]


class ConfigError(ValueError):
    """A config file or ``--set`` override is invalid; the message names the key."""


# --------------------------------------------------------------------------- matrix models
# `negf_matrices` is :func:`strongtherm.models.matrix_open_system` (one builder for configs and
# Python alike, on the picklable affine model type).


def matrix_composite(H_S: Any, H_R: Any, V: Any = None) -> Composite:
    """``st.exact.Composite`` from matrices (arrays, nested lists or ``qutip.Qobj``; V = None: uncoupled)."""
    return Composite(
        H_S=to_array(H_S, name="H_S", ndim=2),
        H_R=to_array(H_R, name="H_R", ndim=2),
        V=None if V is None else to_array(V, name="V", ndim=2),  # type: ignore[arg-type]  # None: uncoupled
    )


#: model name -> (engine, builder)
_BUILTINS: dict[str, tuple[str, Callable[..., Any]]] = {
    "resonant_level": ("negf", models.resonant_level),
    "two_level_two_reservoirs": ("negf", models.two_level_two_reservoirs),
    "negf_matrices": ("negf", models.matrix_open_system),
    "two_spin": ("exact", models.two_spin),
    "constrained_two_spin": ("exact", models.constrained_two_spin),
    "exact_matrices": ("exact", matrix_composite),
    "qubit_on_spin_chain": ("typicality", qubit_on_spin_chain),
}

#: The conserved quantity of a typicality model (``task.sectors = true``): a function of the
#: builder's arguments, as :func:`strongtherm.sweeps.typical_equilibrium` takes it.
SECTORS: Mapping[str, Callable[..., Any]] = {"qubit_on_spin_chain": qubit_chain_total_sz}

#: Model names a config may use (their engine and builder are in the table above).
BUILTIN_MODELS: tuple[str, ...] = tuple(_BUILTINS)

#: The options of the typicality road (:func:`strongtherm.exact.typicality.typical_equilibrium`).
_TYPICALITY_KEYS = ("samples", "seed", "method", "sectors", "exact_states")

#: The ``[task]`` keys each (engine, task kind) reads, beside ``kind``. Any other key is refused
#: with a ConfigError naming the kinds that read it: a key no task reads would otherwise be
#: silently ignored (``grid`` on a drive, ``hold`` on a state). :data:`TASK_KINDS` is read off
#: this table, and :data:`strongtherm.tasks.TASKS` has one task function for each of its rows.
TASK_KEYS: Mapping[tuple[str, str], tuple[str, ...]] = {
    ("negf", "state"): ("params", "alphas"),
    ("negf", "path"): ("params", "points", "panels_per_segment", "alphas"),
    ("negf", "drive"): ("params", "points", "duration", "schedule", "hold", "n_times", "initial", "grid", "processes", "baths"),
    ("negf", "friction"): ("params", "points", "panels_per_segment"),
    ("negf", "sweep"): ("params", "grid", "of", "alphas", "processes"),
    ("negf", "transport"): ("params", "grid", "processes", "baths", "state"),
    ("negf", "statistics"): ("params", "points", "duration", "schedule", "hold", "u_max", "n_u", "L"),
    ("exact", "state"): ("params",),
    ("exact", "quench"): ("params", "A", "B"),
    ("exact", "statistics"): ("params", "A", "B", "measure"),
    ("exact", "sweep"): ("params", "grid", "of", "A", "B", "processes"),
    ("exact", "drive"): ("params", "points", "duration", "schedule", "n_times", "grid", "processes"),
    ("typicality", "state"): ("params", *_TYPICALITY_KEYS),
    ("typicality", "sweep"): ("params", "grid", "processes", *_TYPICALITY_KEYS),
    ("typicality", "drive"): ("params", "points", "duration", "schedule", "n_times", "grid", "processes",
                              "samples", "seed", "method", "sectors"),
}

#: Task kinds each engine offers (``task.kind``), in the order of :data:`TASK_KEYS`.
TASK_KINDS: Mapping[str, tuple[str, ...]] = {
    engine: tuple(kind for (e, kind) in TASK_KEYS if e == engine) for engine in dict.fromkeys(e for e, _ in TASK_KEYS)
}

#: The data files each task writes (``output.formats`` is drawn from its row, and defaults to
#: all of it). A task with a ``grid`` (kind ``sweep``, or ``transport`` over a grid) writes a
#: sweep: its Dataset as NetCDF, CSV and JSON.
OUTPUT_FORMATS: Mapping[str, tuple[str, ...]] = {
    "state": ("json",),
    "path": ("json", "csv"),
    "drive": ("json", "csv"),
    "friction": ("json", "csv"),
    "quench": ("json",),
    "statistics": ("json", "csv"),
    "transport": ("json",),
    "sweep": ("json", "csv", "netcdf"),
}

#: Initial states of a drive (``partition-free`` = ``gibbs``, ``partitioned`` = ``product``: the
#: names of the literature for a biased drive, :func:`strongtherm.dynamics.drive`).
DRIVE_INITIAL_STATES = ("gibbs", "product", "partition-free", "partitioned")
#: Output times of a drive (``task.n_times``) at most: each costs about 7 ms and 70 kB on the
#: example resonant-level drive (``examples/resonant_level_drive.toml``), so the largest run
#: stays within minutes and about 1.5 GB; a figure needs a few hundred.
MAX_OUTPUT_TIMES = 20_000
#: Largest ``task.samples`` and ``task.exact_states`` of a typicality task (each sample is one
#: propagation of d_S vectors; 10 000 of them is hours at d = 2^20).
MAX_SAMPLES = 10_000


# --------------------------------------------------------------------------- typed config
def _number(value: Any, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise ConfigError(f"{key} must be a number, got {type(value).__name__} {value!r:.60}")
    return float(value)


def _integer(value: Any, key: str, minimum: int = 1, maximum: int | None = None) -> int:
    """An integer in [``minimum``, ``maximum``] (a bool is not an integer here); ConfigError naming
    ``key`` and the range. ``maximum`` bounds what a size allocates before anything is allocated."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum or (maximum is not None and value > maximum):
        if maximum is not None:
            wanted = f"an integer in [{minimum}, {maximum}]"
        else:
            wanted = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
        raise ConfigError(f"{key} must be {wanted}, got {value!r}")
    return value


def _choice(value: Any, allowed: Sequence[str], key: str, context: str = "") -> str:
    """One of ``allowed``; ConfigError naming ``key`` and the choices."""
    if value not in allowed:
        choices = " or ".join(repr(a) for a in allowed)
        raise ConfigError(f"{key} must be {choices}{context}, got {value!r}")
    return str(value)


def _numbers(value: Any, key: str) -> tuple[float, ...]:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return (float(value),)
    if not isinstance(value, list | tuple):
        raise ConfigError(f"{key} must be a list of numbers, got {type(value).__name__} {value!r:.60}")
    return tuple(_number(v, f"{key}[{i}]") for i, v in enumerate(value))


def _table(value: Any, key: str) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise ConfigError(f"{key} must be a table (mapping), got {type(value).__name__} {value!r:.60}")
    return dict(value)


def _only(table: Mapping[str, Any], allowed: Sequence[str], key: str) -> None:
    for k in table:
        if k not in allowed:
            where = f"{key}.{k}" if key else k
            raise ConfigError(f"unknown key {where!r}; allowed in {key or 'the top level'}: {', '.join(allowed)}")


def _grid_axis(value: Any, key: str) -> tuple[float, ...]:
    if isinstance(value, Mapping):
        _only(value, ("start", "stop", "num", "scale"), key)
        missing = [k for k in ("start", "stop", "num") if k not in value]
        if missing:
            raise ConfigError(f"{key} needs start, stop and num (missing {missing})")
        # bounded before np.linspace allocates it (the sweep bounds the product of all axes)
        num = _integer(value["num"], f"{key}.num", maximum=MAX_POINTS)
        start, stop = _number(value["start"], f"{key}.start"), _number(value["stop"], f"{key}.stop")
        if _choice(value.get("scale", "linear"), ("linear", "log"), f"{key}.scale") == "linear":
            return tuple(np.linspace(start, stop, num).tolist())
        if not (start > 0.0 and stop > 0.0):  # a log axis (durations from 0.1 to 160) spaces ratios evenly
            raise ConfigError(f"{key}: scale = 'log' needs start > 0 and stop > 0, got start = {start!r}, stop = {stop!r}")
        return tuple(np.geomspace(start, stop, num).tolist())
    axis = _numbers(value, key)
    if not axis:
        raise ConfigError(f"{key} is empty: give at least one value")
    return axis


#: the models whose arguments are matrices, which a config may give as file names
MATRIX_MODELS: tuple[str, ...] = ("negf_matrices", "exact_matrices")
#: their matrix arguments (the slopes inside ``parameters`` of negf_matrices too)
_MATRIX_ARGUMENTS: dict[str, tuple[str, ...]] = {"negf_matrices": ("h_S", "couplings"), "exact_matrices": ("H_S", "H_R", "V")}


#: What unpickling a corrupt or foreign file raises (the pickle module's documentation names
#: these besides UnpicklingError; OSError and ValueError are caught for every format)
_UNPICKLING_ERRORS = (pickle.UnpicklingError, EOFError, AttributeError, ImportError, IndexError, KeyError, TypeError)


def load_matrix(reference: str, base_dir: str | FilePath | None, key: str) -> np.ndarray:
    """A matrix named by a file in a config, relative to the config's folder.

    ``"h.npy"`` (NumPy, no pickles), ``"m.npz:h_S"`` (one array of an ``.npz``; the name may be
    left out when the file holds one array), or ``"h.qu"`` (a QuTiP ``qsave`` file: a pickle, so
    load only files you made). The shape and hermiticity are checked by the model builder.

    Raises
    ------
    ConfigError
        Naming ``key`` and the file: a missing file, an unknown suffix, an ``.npz`` member that is
        not there, or a file that cannot be read (a truncated or corrupt ``.npy``/``.npz``, or a
        ``.qu`` that does not unpickle).
    """
    text, member = reference, ""
    head, sep, tail = reference.rpartition(":")
    if sep and head.lower().endswith(".npz"):  # "m.npz:h_S": one array of an archive
        text, member = head, tail
    path = FilePath(text)
    if not path.is_absolute() and base_dir is not None:
        path = FilePath(base_dir) / path
    if not path.is_file():
        raise ConfigError(f"{key}: matrix file {reference!r} not found (looked for {path})")
    suffix = path.suffix.lower()
    try:
        if suffix == ".npy":
            value: Any = np.load(path, allow_pickle=False)
        elif suffix == ".npz":
            with np.load(path, allow_pickle=False) as archive:
                names = list(archive.files)
                if not member:
                    if len(names) != 1:
                        raise ConfigError(f"{key}: {path.name} holds arrays {names}; name one as '{text}:NAME'")
                    member = names[0]
                if member not in names:
                    raise ConfigError(f"{key}: {path.name} has no array {member!r}; it has {names}")
                value = archive[member]
        elif suffix == ".qu":
            import qutip

            try:
                value = qutip.qload(str(path.with_suffix("")))
            except _UNPICKLING_ERRORS as exc:  # a truncated or foreign file: name it, not the pickle internals
                raise ConfigError(
                    f"{key}: matrix file {path} is not a readable QuTiP qsave file "
                    f"({type(exc).__name__}: {exc}); save it again with qutip.qsave"
                ) from None
        else:
            raise ConfigError(f"{key}: matrix file {path.name} must end in .npy, .npz or .qu (QuTiP qsave)")
    except (OSError, ValueError) as exc:
        if isinstance(exc, ConfigError):
            raise
        raise ConfigError(f"{key}: cannot read matrix file {path}: {exc}") from None
    try:
        return to_array(value, name=key, ndim=2)
    except (ValueError, TypeError) as exc:  # it read, but holds no matrix: say which file
        raise ConfigError(f"{exc} (read from the matrix file {path})") from None


def _load_files(value: Any, base_dir: str | FilePath | None, key: str) -> Any:
    """``value`` with every string leaf (a file name) replaced by the matrix it names."""
    if isinstance(value, str):
        return load_matrix(value, base_dir, key)
    if isinstance(value, Mapping):
        return {k: _load_files(v, base_dir, f"{key}.{k}") for k, v in value.items()}
    if isinstance(value, list | tuple) and any(isinstance(v, str | Mapping | list | tuple) for v in value):
        return [_load_files(v, base_dir, f"{key}[{i}]") for i, v in enumerate(value)]
    return value


@dataclass(frozen=True)
class ModelConfig:
    """``[model]``: a built-in ``name`` (see :data:`BUILTIN_MODELS`) and its builder's ``args``.

    For the matrix models (:data:`MATRIX_MODELS`) any matrix may be a file name, read relative to
    ``base_dir`` (the config's folder) by :func:`load_matrix` when the model is built.
    """

    name: str
    args: Mapping[str, Any] = field(default_factory=dict)
    base_dir: str | None = None

    def loaded_args(self) -> dict[str, Any]:
        """``args`` with matrix files read (the matrix arguments of matrix models; all else as given)."""
        out = dict(self.args)
        for key in _MATRIX_ARGUMENTS.get(self.name, ()):
            if key in out:
                out[key] = _load_files(out[key], self.base_dir, f"model.args.{key}")
        if self.name == "negf_matrices" and isinstance(out.get("parameters"), Mapping):
            out["parameters"] = {
                name: {
                    k: _load_files(v, self.base_dir, f"model.args.parameters.{name}.{k}") if k in ("h_S", "couplings") else v
                    for k, v in spec.items()
                }
                if isinstance(spec, Mapping)
                else spec
                for name, spec in out["parameters"].items()
            }
        return out

    def build(self) -> Any:
        """The model: the builder called with :meth:`loaded_args`."""
        return self.builder(**self.loaded_args())

    @property
    def engine(self) -> str:
        return _BUILTINS[self.name][0]

    @property
    def builder(self) -> Callable[..., Any]:
        return _BUILTINS[self.name][1]

    @classmethod
    def parse(cls, raw: Any, base_dir: str | None = None) -> ModelConfig:
        table = _table(raw, "model")
        _only(table, ("name", "args"), "model")
        name = table.get("name")
        if not isinstance(name, str) or name not in BUILTIN_MODELS:
            raise ConfigError(f"model.name must be one of {list(BUILTIN_MODELS)}, got {name!r}")
        args = _table(table.get("args", {}), "model.args")
        allowed = list(inspect.signature(_BUILTINS[name][1]).parameters)
        _only(args, allowed, "model.args")
        return cls(name, args, base_dir)


@dataclass(frozen=True)
class BathConfig:
    """``[bath]``: temperature ``T`` and chemical potential ``mu`` (energy units), or ``beta``."""

    T: float | None = None
    mu: float = 0.0
    beta: float | None = None

    @classmethod
    def parse(cls, raw: Any, engine: str) -> BathConfig:
        table = _table(raw, "bath")
        _only(table, ("T", "mu", "beta"), "bath")
        values = {k: _number(v, f"bath.{k}") for k, v in table.items()}
        if "T" in values and "beta" in values:
            raise ConfigError("bath: give T or beta, not both")
        if "T" not in values and "beta" not in values:
            raise ConfigError("bath needs T (Green's-function engine) or beta (exact engine)")
        for k in ("T", "beta"):
            if k in values and not values[k] > 0.0:
                raise ConfigError(f"bath.{k} must be > 0, got {values[k]!r}")
        if engine in ("exact", "typicality") and values.get("mu", 0.0) != 0.0:
            raise ConfigError(f"bath.mu is not used by the {engine} engine (canonical Gibbs state); leave it out")
        T = values.get("T", 1.0 / values["beta"] if "beta" in values else None)
        return cls(T=T, mu=values.get("mu", 0.0), beta=1.0 / T)  # type: ignore[operator]


@dataclass(frozen=True)
class TaskConfig:
    """``[task]``: what to compute (see the module docstring)."""

    kind: str
    params: Mapping[str, Any] = field(default_factory=dict)
    grid: Mapping[str, tuple[float, ...]] = field(default_factory=dict)
    of: str = "state"
    points: tuple[Mapping[str, float], ...] = ()
    panels_per_segment: int = 4
    A: Mapping[str, Any] = field(default_factory=dict)
    B: Mapping[str, Any] = field(default_factory=dict)
    alphas: tuple[float, ...] = ()
    processes: int | None = None
    duration: float | None = None
    schedule: str | tuple[tuple[float, float], ...] = "linear"
    hold: float = 0.0
    n_times: int = 101
    initial: str = "gibbs"
    baths: tuple[Mapping[str, float], ...] = ()
    state: bool = False
    measure: str = "universe"
    u_max: float = 30.0
    n_u: int = 241
    L: int = 100
    samples: int = 32
    seed: int = 0
    method: str = "typicality"
    sectors: bool = False
    exact_states: int = 16

    @classmethod
    def parse(cls, raw: Any, engine: str) -> TaskConfig:
        table = _table(raw, "task")
        _only(table, [f.name for f in fields(cls)], "task")
        kind = table.get("kind")
        kinds = TASK_KINDS[engine]
        if kind not in kinds:
            raise ConfigError(f"task.kind must be one of {list(kinds)} for a {engine} model, got {kind!r}")
        _only_used(table, engine, kind)
        out: dict[str, Any] = {"kind": kind}
        out["params"] = _table(table.get("params", {}), "task.params")
        grid = _table(table.get("grid", {}), "task.grid")
        out["grid"] = {k: _grid_axis(v, f"task.grid.{k}") for k, v in grid.items()}
        if out["grid"]:
            try:  # the sweep's own checks (distinct values, at most MAX_POINTS points), at parse time
                check_grid(out["grid"])
            except ValueError as exc:
                raise ConfigError(f"task.{exc}") from None
        if kind == "sweep" and not out["grid"]:
            raise ConfigError("task.grid must name at least one parameter for kind = 'sweep'")
        of = table.get("of", "state")
        if of not in ("state", "quench") or (engine == "negf" and of != "state"):
            raise ConfigError(f"task.of must be 'state'{' or quench' if engine == 'exact' else ''}, got {of!r}")
        out["of"] = of
        points = table.get("points", [])
        if not isinstance(points, list):
            raise ConfigError(f"task.points must be a list of tables, got {points!r:.60}")
        out["points"] = tuple(
            {k: _number(v, f"task.points[{i}].{k}") for k, v in _table(p, f"task.points[{i}]").items()}
            for i, p in enumerate(points)
        )
        if kind in ("path", "drive", "friction") and len(out["points"]) < 2:
            raise ConfigError(f"task.points must list at least 2 parameter sets for kind = {kind!r}")
        if kind == "statistics" and engine == "negf":
            _fermionic_statistics(table, out)
        if kind == "drive":
            _check_drive_grid(table, out["grid"])
            if not out["grid"]:
                out["duration"] = _number(table["duration"], "task.duration")
                out["n_times"] = _integer(table.get("n_times", 101), "task.n_times", minimum=2, maximum=MAX_OUTPUT_TIMES)
            out["hold"] = _number(table.get("hold", 0.0), "task.hold")
            out["schedule"] = _schedule(table.get("schedule", "linear"))
            out["initial"] = _choice(table.get("initial", "gibbs"), DRIVE_INITIAL_STATES, "task.initial")
            if "baths" in table:  # a bias: one bath per reservoir
                if out["grid"]:
                    raise ConfigError(
                        "task.baths (one bath per reservoir, a biased drive) with a grid over durations is not "
                        "supported: give task.duration and task.n_times, one config per duration"
                    )
                out["baths"] = _lead_baths(table["baths"], kind)
        out["panels_per_segment"] = _integer(table.get("panels_per_segment", 4), "task.panels_per_segment",
                                             maximum=MAX_PANELS_PER_SEGMENT)  # fmt: skip
        for side in ("A", "B"):
            out[side] = _table(table.get(side, {}), f"task.{side}")
        if kind == "statistics" and engine == "exact":
            out["measure"] = _choice(table.get("measure", "universe"), MEASURES, "task.measure")
        if kind == "quench" or (kind == "statistics" and engine == "exact") or out["of"] == "quench":
            for side in ("A", "B"):
                if not out[side]:
                    raise ConfigError(f"task.{side} must give the builder arguments of state {side} for a quench")
        alphas = _numbers(table.get("alphas", []), "task.alphas")
        for i, a in enumerate(alphas):
            if not 0.0 <= a <= 1.0:
                raise ConfigError(f"task.alphas[{i}] must lie in [0, 1] (alpha-partition), got {a!r}")
        out["alphas"] = alphas
        processes = table.get("processes")
        out["processes"] = None if processes is None else _integer(processes, "task.processes")
        if kind == "transport":
            out["baths"] = _lead_baths(table.get("baths"), kind)
            state = table.get("state", False)
            if not isinstance(state, bool):
                raise ConfigError(f"task.state must be true or false, got {state!r}")
            out["state"] = state
        if engine == "typicality":
            out["samples"] = _integer(table.get("samples", 32), "task.samples", minimum=4, maximum=MAX_SAMPLES)
            out["seed"] = _integer(table.get("seed", 0), "task.seed", minimum=0)
            out["method"] = _choice(table.get("method", "typicality"), ("typicality", "deflated"), "task.method")
            out["exact_states"] = _integer(table.get("exact_states", 16), "task.exact_states", maximum=MAX_SAMPLES)
            sectors = table.get("sectors", False)
            if not isinstance(sectors, bool):
                raise ConfigError(f"task.sectors must be true or false (the model's conserved quantity), got {sectors!r}")
            out["sectors"] = sectors
        if "processes" in table and not out["grid"]:
            raise ConfigError(f"task.processes sets the worker processes of a sweep: it needs task.grid (kind = {kind!r})")
        if kind == "sweep" and out["of"] != "quench" and any(side in table for side in ("A", "B")):
            raise ConfigError("task.A and task.B are the two states of a quench: a sweep reads them only with of = 'quench'")
        return cls(**out)

    @property
    def output_kind(self) -> str:
        """What the task writes (a row of :data:`OUTPUT_FORMATS`): ``"sweep"`` when it has a grid."""
        return "sweep" if self.grid else self.kind


#: Largest u grid of a fermionic statistics task (each u is one N x N determinant, ~10 ms at N = 400).
MAX_U_VALUES = 20_001
#: Largest chain of a fermionic statistics task (the determinants are dense: N^3 per u).
MAX_STATISTICS_SITES = 2000


def _fermionic_statistics(table: Mapping[str, Any], out: dict[str, Any]) -> None:
    """The keys of kind = "statistics" for fermions: a sudden quench from the first to the last of
    ``points`` (no ``duration``) or a protocol through them; the u grid and the chain length."""
    if "duration" in table:
        out["duration"] = _number(table["duration"], "task.duration")
        if not out["duration"] > 0.0:
            raise ConfigError(f"task.duration must be > 0 (leave it out for a sudden quench), got {out['duration']!r}")
        out["hold"] = _number(table.get("hold", 0.0), "task.hold")
        out["schedule"] = _schedule(table.get("schedule", "linear"))
    else:
        for key in ("hold", "schedule"):
            if key in table:
                raise ConfigError(f"task.{key} belongs to a protocol: give task.duration too (without it the quench is sudden)")
        if len(out["points"]) != 2:
            raise ConfigError(f"task.points must list exactly 2 parameter sets (before, after) for a sudden quench, "
                              f"got {len(out['points'])}")  # fmt: skip
    out["u_max"] = _number(table.get("u_max", 30.0), "task.u_max")
    if not 0.0 < out["u_max"] < math.inf:
        raise ConfigError(f"task.u_max must be a finite number > 0 (units of 1/energy), got {out['u_max']!r}")
    out["n_u"] = _integer(table.get("n_u", 241), "task.n_u", minimum=2, maximum=MAX_U_VALUES)
    out["L"] = _integer(table.get("L", 100), "task.L", minimum=2, maximum=MAX_STATISTICS_SITES)


def _only_used(table: Mapping[str, Any], engine: str, kind: str) -> None:
    """ConfigError for a key of ``[task]`` that this (engine, kind) does not read (see :data:`TASK_KEYS`),
    naming the kinds that read it."""
    used = TASK_KEYS[(engine, kind)]
    for key in table:
        if key == "kind" or key in used:
            continue
        readers = [k for (e, k), keys in TASK_KEYS.items() if e == engine and key in keys]
        if readers:
            by = " or ".join(repr(k) for k in readers)
            raise ConfigError(f"task.{key} is used only by kind = {by}, not {kind!r}")
        others = sorted({e for (e, _), keys in TASK_KEYS.items() if key in keys})
        raise ConfigError(f"task.{key} is not used by the {engine} engine (only by {' and '.join(others)} models)")


#: The one grid axis a drive takes: its ramp duration (a sweep of drives keeps their end values)
DRIVE_GRID_KEYS: tuple[str, ...] = ("duration",)


def _check_drive_grid(table: Mapping[str, Any], grid: Mapping[str, Any]) -> None:
    """A drive is one ramp (``duration``) or a grid over durations (``grid.duration``), never both;
    ``n_times`` (output times of one time series) belongs to the one ramp."""
    if not grid:
        if "duration" not in table:
            raise ConfigError("task.duration (the ramp time, >= 0, units of hbar/energy) is required for kind = 'drive', "
                              "or task.grid.duration for a sweep over durations")  # fmt: skip
        return
    other = [k for k in grid if k not in DRIVE_GRID_KEYS]
    if other:
        raise ConfigError(f"task.grid of a drive sweeps the ramp duration only (grid = {{duration = [...]}}), got {other}; "
                          "fixed model parameters go in task.params or task.points")  # fmt: skip
    if "duration" in table:
        raise ConfigError("task.duration and task.grid.duration both give the ramp time: keep one "
                          "(--set cannot remove a key: delete task.duration and task.n_times from the file)")  # fmt: skip
    if "n_times" in table:
        raise ConfigError("task.n_times sets the output times of one drive: a drive over task.grid.duration keeps "
                          "the end values of each ramp (W(tau), Delta F*_S, ...); leave n_times out")  # fmt: skip


#: Schedules a config names (a list of [u, s] knots is the third form)
CONFIG_SCHEDULES: tuple[str, ...] = ("linear", "smooth")


def _schedule(value: Any) -> str | tuple[tuple[float, float], ...]:
    """``"linear"``, ``"smooth"`` or piecewise-linear knots ``[[0, 0], [u_1, s_1], ..., [1, 1]]``,
    checked here by :meth:`strongtherm.dynamics.Schedule.piecewise`."""
    if isinstance(value, list):
        knots = []
        for i, knot in enumerate(value):
            if not isinstance(knot, list | tuple) or len(knot) != 2:
                raise ConfigError(f"task.schedule[{i}] must be a knot [u, s] (two numbers), got {knot!r:.60}")
            knots.append((_number(knot[0], f"task.schedule[{i}][0]"), _number(knot[1], f"task.schedule[{i}][1]")))
        try:
            Schedule.piecewise(knots)
        except ValueError as exc:
            raise ConfigError(f"task.schedule: {exc}") from None
        return tuple(knots)
    return _choice(value, CONFIG_SCHEDULES, "task.schedule", " or a list of [u, s] knots from [0, 0] to [1, 1]")


def _lead_baths(raw: Any, kind: str) -> tuple[dict[str, float], ...]:
    """``task.baths``: one ``{T, mu}`` table per reservoir (a transport task, or a biased drive)."""
    if not isinstance(raw, list) or not raw:
        raise ConfigError(f"task.baths must list one table {{T = ..., mu = ...}} per reservoir for kind = {kind!r}")
    return tuple(_lead_bath(b, f"task.baths[{i}]") for i, b in enumerate(raw))


def _lead_bath(raw: Any, key: str) -> dict[str, float]:
    """One reservoir's ``{T, mu}`` (either may be left out: ``[bath]`` gives it)."""
    table = _table(raw, key)
    _only(table, ("T", "mu"), key)
    values = {k: _number(v, f"{key}.{k}") for k, v in table.items()}
    if "T" in values and not values["T"] > 0.0:
        raise ConfigError(f"{key}.T must be > 0, got {values['T']!r}")
    return values


@dataclass(frozen=True)
class OutputConfig:
    """``[output]``: data ``formats`` and whether to ``plot``.

    ``formats`` is drawn from what the task writes (:data:`OUTPUT_FORMATS`: json for state,
    quench and transport; json and csv for path and drive; json, csv and netcdf for a sweep) and
    defaults to all of it; a format the task cannot write is refused, never skipped.
    """

    formats: tuple[str, ...] = ("json", "csv", "netcdf")
    plot: bool = True

    @classmethod
    def parse(cls, raw: Any, task: TaskConfig) -> OutputConfig:
        table = _table(raw, "output")
        _only(table, ("formats", "plot"), "output")
        writes = OUTPUT_FORMATS[task.output_kind]
        formats = table.get("formats", list(writes))
        if not isinstance(formats, list) or any(f not in writes for f in formats):
            what = f"kind = {task.kind!r}{' with a grid' if task.grid else ''}"
            raise ConfigError(f"output.formats must be a list drawn from {', '.join(writes)} (what {what} writes), got {formats!r}")
        plot = table.get("plot", True)
        if not isinstance(plot, bool):
            raise ConfigError(f"output.plot must be true or false, got {plot!r}")
        return cls(tuple(formats), plot)


@dataclass(frozen=True)
class RunConfig:
    """A whole config: ``model``, ``bath``, ``task``, ``output``."""

    model: ModelConfig
    bath: BathConfig
    task: TaskConfig
    output: OutputConfig

    def to_dict(self) -> dict[str, Any]:
        """The resolved config (defaults included) as plain data, with the strongtherm version."""
        out = to_builtin(asdict(self))
        out["strongtherm_version"] = __version__
        return out


def parse_config(raw: Mapping[str, Any], base_dir: str | FilePath | None = None) -> RunConfig:
    """Type and check a config mapping (as read from TOML); ConfigError names any bad key.

    ``base_dir`` is where matrix files named in ``model.args`` are looked for (the config's folder
    when read by :func:`load_config`; the working directory otherwise).
    """
    table = _table(raw, "config")
    _only(table, ("model", "bath", "task", "output"), "")
    for required in ("model", "bath", "task"):
        if required not in table:
            raise ConfigError(f"the config needs a [{required}] table")
    model = ModelConfig.parse(table["model"], None if base_dir is None else str(FilePath(base_dir).resolve()))
    bath = BathConfig.parse(table["bath"], model.engine)
    task = TaskConfig.parse(table["task"], model.engine)
    return RunConfig(
        model=model,
        bath=bath,
        task=task,
        output=OutputConfig.parse(table.get("output", {}), task),
    )


def apply_overrides(raw: Mapping[str, Any], overrides: Sequence[str]) -> dict[str, Any]:
    """Apply ``key=value`` overrides (dotted keys, e.g. ``bath.T=0.05``, ``task.grid.V=[0.5, 1.0]``).

    Values are parsed with :func:`ast.literal_eval` (never ``eval``); a value that is not a
    Python literal is taken as a string (``model.name=two_spin``).
    """
    out = json.loads(json.dumps(raw))  # deep copy of plain data
    for item in overrides:
        key, sep, text = item.partition("=")
        key = key.strip()
        if not sep or not key or any(not part for part in key.split(".")):
            raise ConfigError(f"--set expects key=value with a dotted key (e.g. bath.T=0.05), got {item!r}")
        try:
            value = ast.literal_eval(text.strip())
        except (ValueError, SyntaxError):
            value = text.strip()
        target = out
        parts = key.split(".")
        for part in parts[:-1]:
            nxt = target.setdefault(part, {})
            if not isinstance(nxt, dict):
                raise ConfigError(f"--set {key}: {part!r} is not a table")
            target = nxt
        target[parts[-1]] = value
    return out


def load_config(path: str | FilePath, overrides: Sequence[str] = ()) -> RunConfig:
    """Read a TOML config, apply ``--set`` overrides, and type it (:func:`parse_config`)."""
    path = FilePath(path)
    try:
        with path.open("rb") as handle:
            raw = tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    return parse_config(apply_overrides(raw, overrides), base_dir=path.parent)


def new_output_folder(requested: str | FilePath | None, config_path: str | FilePath, *, default_root: str = "runs") -> FilePath:
    """The folder to write into, checked before anything is created: never one that holds files.

    ``requested`` (``--out``) must be a folder that does not exist yet or is empty, inside a
    folder this process may write to; an existing file, a non-empty folder, a parent that is a
    file or an unwritable parent is a ConfigError that says which. Without it, the default is
    ``<default_root>/<config name>``, or ``...-2``, ``-3``, ... if taken.
    """
    if requested is not None:
        folder = FilePath(requested)
        if folder.is_file() or (folder.exists() and not folder.is_dir()):
            raise ConfigError(f"--out {folder} is an existing file, not a folder: give a folder path that does not exist yet")
        if folder.is_dir() and any(folder.iterdir()):
            raise ConfigError(f"output folder {folder} already exists and is not empty: choose another --out")
    else:
        base = FilePath(default_root) / FilePath(config_path).stem
        folder, k = base, 1
        while folder.exists():
            k += 1
            folder = base.with_name(f"{base.name}-{k}")
    check_writable(folder)
    return folder


def check_writable(folder: str | FilePath) -> None:
    """ConfigError if ``folder`` (existing or not) could not be created or written by this process."""
    folder = FilePath(folder)
    ancestor = folder if folder.exists() else folder.parent
    while not ancestor.exists():
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise ConfigError(f"cannot create the output folder {folder}: {ancestor} is a file, not a folder")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise ConfigError(f"cannot write the output folder {folder}: no write permission in {ancestor.resolve()}")
