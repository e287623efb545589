"""Ready-made computations for :func:`strongtherm.sweep`, one per engine entry point.

Their one import path is :mod:`strongtherm.sweeps` (``st.sweeps.negf_equilibrium(...)``).

Each is a frozen dataclass that knows the names it accepts (``parameters``), checks a grid point
without computing (``check``), evaluates one point (``__call__``, returning the result's
``to_dict()``), and describes itself for the dataset's attributes (``attrs``):

* :func:`negf_equilibrium` - ``st.negf.equilibrium`` over model parameters and ``T``, ``mu``;
  evaluates a chunk of points in one batch of energy integrals (``batch``);
* :func:`negf_quasistatic` - ``st.negf.quasistatic`` along a path built from the grid point;
* :func:`negf_steady_state` - ``st.negf.steady_state`` between reservoirs at their own baths, over
  model parameters, ``T_k``, ``mu_k`` of reservoir k, and ``bias`` (two reservoirs);
* :func:`negf_linear_response` - ``st.negf.linear_response`` over model parameters and ``T``, ``mu``;
* :func:`dynamics_drive` - ``st.dynamics.drive`` along fixed corners over the ramp ``duration``
  (W(tau), Delta F*_S, the dissipated work, Sigma, ... at the end of each ramp);
* :func:`exact_equilibrium` - ``st.exact.equilibrium`` of a model builder over its arguments
  and ``beta``;
* :func:`exact_quench` - ``st.exact.quench`` between two models of one builder; a grid key
  ``name`` sets the argument in both states, ``A.name`` or ``B.name`` in one;
* :func:`typical_equilibrium` - ``st.exact.typicality.typical_equilibrium`` of a sparse builder
  ``(H_S, H_R, V)`` over its arguments and ``beta``, with the jackknife errors.

Fixed values (``**fixed``) complete every point; a grid value of the same name overrides them.
The alpha of the alpha-partition (``alphas=``) is an analysis setting, never a grid key; the
``alpha`` of the two-spin models is a model argument like any other.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from ..core.quantities import parameter_unit
from ..core.validation import check_alpha_partition, check_integer, check_real
from ..dynamics.engine import drive
from ..dynamics.protocol import Protocol, Schedule
from ..exact.composite import Composite
from ..exact.driving import drive_composite
from ..exact.meanforce import check_beta
from ..exact.meanforce import equilibrium as exact_equilibrium_solver
from ..exact.quench import quench as exact_quench_solver
from ..exact.typicality import typical_equilibrium as typical_equilibrium_solver
from ..negf.integrate import QuadratureOptions
from ..negf.partition import equilibria
from ..negf.process import quasistatic
from ..negf.system import OpenSystem, check_model_and_bath
from ..negf.transport import check_baths, linear_response, steady_state, steady_state_rows
from ..path import MAX_PANELS_PER_SEGMENT, Path
from ..thermal import Bath

__all__ = [
    "DynamicsDrive",
    "ExactEquilibrium",
    "ExactQuench",
    "NegfEquilibrium",
    "NegfLinearResponse",
    "NegfQuasistatic",
    "NegfSteadyState",
    "TypicalEquilibrium",
    "dynamics_drive",
    "exact_equilibrium",
    "exact_quench",
    "negf_equilibrium",
    "negf_linear_response",
    "negf_quasistatic",
    "negf_steady_state",
    "typical_equilibrium",
]

_BATH_KEYS = ("T", "mu")


def _signature_names(fn: Callable[..., Any], what: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(argument names, required argument names) of a builder; no ``*args``/``**kwargs`` allowed."""
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        raise ValueError(f"{what} must be a function with named arguments, got {fn!r}") from None
    names = tuple(p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY))
    required = tuple(
        p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and p.default is p.empty
    )
    return names, required


def _check_fixed(fixed: Mapping[str, Any], allowed: Sequence[str], owner: str) -> dict[str, Any]:
    unknown = [k for k in fixed if k not in allowed]
    if unknown:
        raise ValueError(f"{owner} has no parameter(s) {unknown}; its parameters are {list(allowed)}")
    return dict(fixed)


def _check_alphas(alphas: Sequence[float]) -> tuple[float, ...]:
    return tuple(check_alpha_partition(a) for a in alphas)


def _unit_of(name: str) -> str:
    """Unit code of a grid key: T, mu, beta by their meaning, model parameters are energies."""
    return parameter_unit(name)


def _describe_builder(build: Callable[..., Any]) -> str:
    return f"{getattr(build, '__module__', '')}.{getattr(build, '__qualname__', repr(build))}".lstrip(".")


# --------------------------------------------------------------------------- Green's-function engine
@dataclass(frozen=True)
class _ModelInOneBath:
    """What every computation of one model in one bath shares: its grid keys (the model's
    parameters and ``T``, ``mu``), the split of a grid point into a bath and parameters, and the
    check of a point against the model's domain."""

    model: OpenSystem
    bath: Bath
    fixed: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        check_model_and_bath(self.model, self.bath)
        clash = set(self.model.parameter_names) & set(_BATH_KEYS)
        if clash:
            raise ValueError(f"model parameter(s) {sorted(clash)} clash with the bath's T, mu in a sweep grid")
        object.__setattr__(self, "fixed", _check_fixed(self.fixed, self.model.parameter_names, self.model.name))

    @property
    def parameters(self) -> tuple[str, ...]:
        return (*self.model.parameter_names, *_BATH_KEYS)

    def units(self, name: str) -> str:
        """Unit code of the grid key ``name`` (``strongtherm.core.quantities.UNITS``)."""
        return _unit_of(name)

    def _split(self, point: Mapping[str, float]) -> tuple[Bath, dict[str, float]]:
        bath = self.bath
        if any(k in point for k in _BATH_KEYS):
            bath = Bath(T=point.get("T", bath.T), mu=point.get("mu", bath.mu))
        params = {**self.fixed, **{k: v for k, v in point.items() if k not in _BATH_KEYS}}
        return bath, params

    def check(self, point: Mapping[str, float]) -> None:
        """Raise ``ValueError`` (naming the parameter) if ``point`` is outside the model's domain."""
        _, params = self._split(point)
        self.model.resolve(params)


@dataclass(frozen=True)
class NegfEquilibrium(_ModelInOneBath):
    """``st.negf.equilibrium(model, bath, **point).to_dict(alphas)`` at each grid point.

    Grid keys: the model's parameters, and ``T`` or ``mu`` (replacing the bath's).
    """

    alphas: tuple[float, ...] = ()
    options: QuadratureOptions | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "alphas", _check_alphas(self.alphas))

    @property
    def label(self) -> str:
        return f"equilibrium of {self.model.name}"

    def __call__(self, **point: float) -> dict[str, float]:
        bath, params = self._split(point)
        return equilibria(self.model, bath, [params], options=self.options)[0].to_dict(self.alphas)

    def batch(self, points: Sequence[Mapping[str, float]]) -> list[dict[str, float]]:
        """All points of a chunk with one batch of energy integrals per bath."""
        split = [self._split(p) for p in points]
        out: list[dict[str, float] | None] = [None] * len(points)
        groups: dict[Bath, list[int]] = {}
        for i, (bath, _) in enumerate(split):
            groups.setdefault(bath, []).append(i)
        for bath, indices in groups.items():
            results = equilibria(self.model, bath, [split[i][1] for i in indices], options=self.options)
            for i, eq in zip(indices, results, strict=True):
                out[i] = eq.to_dict(self.alphas)
        return out  # type: ignore[return-value]

    def attrs(self) -> dict[str, Any]:
        return {
            "computation": "strongtherm.negf.equilibrium",
            "model": self.model.describe(),
            "bath": repr(self.bath),
            "T": self.bath.T,
            "mu": self.bath.mu,
            "fixed_parameters": json.dumps(self.fixed),
            "alphas": json.dumps(list(self.alphas)),
        }


@dataclass(frozen=True)
class NegfQuasistatic:
    """``st.negf.quasistatic(model, bath, path(**point)).to_dict(alphas)`` at each grid point.

    Grid keys: the arguments of ``path`` (a function returning a :class:`strongtherm.Path`), and
    ``T`` or ``mu``.
    """

    model: OpenSystem
    bath: Bath
    path: Callable[..., Path]
    fixed: Mapping[str, float] = field(default_factory=dict)
    alphas: tuple[float, ...] = ()
    panels_per_segment: int = 4
    options: QuadratureOptions | None = None

    def __post_init__(self) -> None:
        check_model_and_bath(self.model, self.bath)
        names, _ = _signature_names(self.path, "path")
        object.__setattr__(self, "fixed", _check_fixed(self.fixed, names, "path"))
        object.__setattr__(self, "alphas", _check_alphas(self.alphas))
        # bounded like every path's panels (each is 15 equilibrium points at every grid point)
        panels = check_integer("panels_per_segment", self.panels_per_segment, low=1, high=MAX_PANELS_PER_SEGMENT,
                               integral_float=True)  # fmt: skip
        object.__setattr__(self, "panels_per_segment", panels)

    @property
    def parameters(self) -> tuple[str, ...]:
        return (*_signature_names(self.path, "path")[0], *_BATH_KEYS)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(r for r in _signature_names(self.path, "path")[1] if r not in self.fixed)

    def units(self, name: str) -> str:
        """Unit code of the grid key ``name`` (``strongtherm.core.quantities.UNITS``)."""
        return _unit_of(name)

    @property
    def label(self) -> str:
        return f"quasistatic process of {self.model.name}"

    def _split(self, point: Mapping[str, float]) -> tuple[Bath, Path]:
        bath = self.bath
        if any(k in point for k in _BATH_KEYS):
            bath = Bath(T=point.get("T", bath.T), mu=point.get("mu", bath.mu))
        path = self.path(**{**self.fixed, **{k: v for k, v in point.items() if k not in _BATH_KEYS}})
        if not isinstance(path, Path):
            raise ValueError(f"path(**point) must return a strongtherm.Path, got {type(path).__name__}")
        return bath, path

    def check(self, point: Mapping[str, float]) -> None:
        """Raise ``ValueError`` if the path's ends lie outside the model's domain."""
        _, path = self._split(point)
        self.model.resolve(path.start)
        self.model.resolve(path.end)

    def __call__(self, **point: float) -> dict[str, float]:
        bath, path = self._split(point)
        process = quasistatic(self.model, bath, path, panels_per_segment=self.panels_per_segment, options=self.options)
        return process.to_dict(self.alphas)

    def attrs(self) -> dict[str, Any]:
        return {
            "computation": "strongtherm.negf.quasistatic",
            "model": self.model.describe(),
            "bath": repr(self.bath),
            "T": self.bath.T,
            "mu": self.bath.mu,
            "path": _describe_builder(self.path),
            "fixed_parameters": json.dumps(self.fixed),
            "alphas": json.dumps(list(self.alphas)),
            "panels_per_segment": int(self.panels_per_segment),
        }


@dataclass(frozen=True)
class NegfSteadyState:
    """``st.negf.steady_state(model, baths, **point).to_dict()`` at each grid point.

    Grid keys: the model's parameters; ``T_k`` and ``mu_k`` replace the temperature and chemical
    potential of reservoir k; for a model with two reservoirs, ``bias`` raises mu_0 by bias/2 and
    lowers mu_1 by bias/2 (after any ``mu_k``), so that (gate, bias) maps need one key each.
    """

    model: OpenSystem
    baths: tuple[Bath, ...]
    fixed: Mapping[str, float] = field(default_factory=dict)
    state: bool = False
    options: QuadratureOptions | None = None
    _resolved: set[tuple[tuple[str, float], ...]] = field(default_factory=set, init=False, repr=False, compare=False)
    _made: dict[tuple[float, float], Bath] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "baths", check_baths(self.model, self.baths))
        clash = set(self.model.parameter_names) & set(self._bath_keys)
        if clash:
            raise ValueError(f"model parameter(s) {sorted(clash)} clash with the baths' keys in a sweep grid")
        object.__setattr__(self, "fixed", _check_fixed(self.fixed, self.model.parameter_names, self.model.name))

    @property
    def _bath_keys(self) -> tuple[str, ...]:
        keys = tuple(f"{q}_{k}" for k in range(len(self.model.reservoirs)) for q in ("T", "mu"))
        return (*keys, "bias") if len(self.model.reservoirs) == 2 else keys

    @cached_property
    def _bath_key_set(self) -> frozenset[str]:
        return frozenset(self._bath_keys)

    @property
    def parameters(self) -> tuple[str, ...]:
        return (*self.model.parameter_names, *self._bath_keys)

    def units(self, name: str) -> str:
        """Unit code of the grid key ``name``: every bath key and ``bias`` is an energy."""
        return "energy" if name in self._bath_keys else _unit_of(name)

    @property
    def label(self) -> str:
        return f"steady state of {self.model.name}"

    def _bath(self, T: float, mu: float) -> Bath:
        # a (gate, bias) map meets each bias once per gate: one checked Bath per (T, mu)
        found = self._made.get((T, mu))
        if found is None:
            found = self._made[(T, mu)] = Bath(T=T, mu=mu)
        return found

    def _params(self, point: Mapping[str, float]) -> dict[str, float]:
        bath_keys = self._bath_key_set
        return {**self.fixed, **{k: v for k, v in point.items() if k not in bath_keys}}

    def _split(self, point: Mapping[str, float]) -> tuple[list[Bath], dict[str, float]]:
        baths = list(self.baths)
        for k, bath in enumerate(baths):
            if f"T_{k}" in point or f"mu_{k}" in point:
                baths[k] = self._bath(point.get(f"T_{k}", bath.T), point.get(f"mu_{k}", bath.mu))
        if "bias" in point:
            half = 0.5 * float(point["bias"])
            baths = [self._bath(baths[0].T, baths[0].mu + half), self._bath(baths[1].T, baths[1].mu - half)]
        return baths, self._params(point)

    def check(self, point: Mapping[str, float]) -> None:
        """Raise ``ValueError`` (naming the parameter) for a point outside the model's domain or a bad bath."""
        self._split(point)  # the baths' values are checked as they are made
        params = self._params(point)
        key = tuple(params.items())
        if key not in self._resolved:  # a (gate, bias) map repeats each gate once per bias
            self.model.resolve(params)
            self._resolved.add(key)

    def __call__(self, **point: float) -> dict[str, float]:
        baths, params = self._split(point)
        return steady_state(self.model, baths, params, state=self.state, options=self.options).to_dict()

    def batch(self, points: Sequence[Mapping[str, float]]) -> list[dict[str, float]]:
        """All points of a chunk at once (:func:`~strongtherm.negf.steady_state_rows`: vectorized
        sweeps for a one-level model)."""
        split = [self._split(p) for p in points]
        return steady_state_rows(self.model, [b for b, _ in split], [p for _, p in split], state=self.state,
                                 options=self.options)  # fmt: skip

    def attrs(self) -> dict[str, Any]:
        return {
            "computation": "strongtherm.negf.steady_state",
            "model": self.model.describe(),
            "baths": json.dumps([{"T": b.T, "mu": b.mu} for b in self.baths]),
            "fixed_parameters": json.dumps(self.fixed),
            "state": int(self.state),
        }


@dataclass(frozen=True)
class NegfLinearResponse(_ModelInOneBath):
    """``st.negf.linear_response(model, bath, **point).to_dict()`` at each grid point (two reservoirs).

    Grid keys: the model's parameters, and ``T`` or ``mu`` (replacing the bath's).
    """

    options: QuadratureOptions | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if len(self.model.reservoirs) != 2:
            raise ValueError(f"linear response needs exactly two reservoirs; {self.model.name} has {len(self.model.reservoirs)}")

    @property
    def label(self) -> str:
        return f"linear response of {self.model.name}"

    def __call__(self, **point: float) -> dict[str, float]:
        bath, params = self._split(point)
        return linear_response(self.model, bath, params, options=self.options).to_dict()

    def attrs(self) -> dict[str, Any]:
        return {
            "computation": "strongtherm.negf.linear_response",
            "model": self.model.describe(),
            "bath": repr(self.bath),
            "T": self.bath.T,
            "mu": self.bath.mu,
            "fixed_parameters": json.dumps(self.fixed),
        }


# --------------------------------------------------------------------------- exact engine
class _DurationGrid:
    """What the sweeps of ramps over their duration share: the one grid key ``duration`` (tau >= 0,
    units of hbar / energy) and a schedule kept as a name or as plain-number knots (they pickle)."""

    schedule: str | tuple[tuple[float, float], ...]

    @property
    def parameters(self) -> tuple[str, ...]:
        return ("duration",)

    def units(self, name: str) -> str:
        """Unit code of the grid key: ``duration`` is a time (units of hbar / energy)."""
        return "time"

    def _plain_schedule(self) -> None:
        """Knots as plain floats (a name is kept as it is)."""
        if not isinstance(self.schedule, str):
            object.__setattr__(self, "schedule", tuple((float(u), float(v)) for u, v in self.schedule))


@dataclass(frozen=True)
class DynamicsDrive(_DurationGrid):
    """``st.dynamics.drive(model, bath, Protocol(path, duration, ...)).to_dict()`` at each grid point.

    Grid key: ``duration`` (the ramp time tau >= 0, units of hbar / energy); the path runs through
    ``corners`` (kept as parameter sets, not as a :class:`strongtherm.Path`, so that the
    computation pickles for worker processes). Each point follows one ramp (and the ``hold``) and
    keeps its end values: W_ext(tau), Delta F*_S of the Green's-function engine, the dissipated
    work, the entropy production, the heat, the system energies.
    """

    model: OpenSystem
    bath: Bath
    corners: tuple[Mapping[str, float], ...]
    schedule: str | tuple[tuple[float, float], ...] = "linear"
    hold: float = 0.0
    initial: str = "gibbs"

    def __post_init__(self) -> None:
        check_model_and_bath(self.model, self.bath)
        if len(self.corners) < 2:
            raise ValueError(f"corners must list at least 2 parameter sets, got {len(self.corners)}")
        object.__setattr__(self, "corners", tuple(dict(c) for c in self.corners))
        for corner in self.corners:
            self.model.resolve(corner)
        self._plain_schedule()
        self._protocol(1.0)  # the schedule and hold, checked once before any point

    @property
    def label(self) -> str:
        return f"finite-speed drive of {self.model.name}"

    def _protocol(self, duration: float) -> Protocol:
        schedule = self.schedule if isinstance(self.schedule, str) else Schedule.piecewise(self.schedule)
        return Protocol(Path.corners(list(self.corners)), duration=duration, schedule=schedule, hold=self.hold)

    def check(self, point: Mapping[str, float]) -> None:
        """Raise ``ValueError`` (naming ``duration``) for a negative or non-finite duration."""
        self._protocol(point["duration"])

    def __call__(self, duration: float) -> dict[str, float]:
        protocol = self._protocol(duration)
        # the end values only: t = 0 and the end (one output time for the sudden quench, tau = 0)
        times = [0.0, protocol.total_time] if protocol.total_time > 0.0 else [0.0]
        return drive(self.model, self.bath, protocol, times=times, initial=self.initial).to_dict()

    def attrs(self) -> dict[str, Any]:
        return {
            "computation": "strongtherm.dynamics.drive",
            "model": self.model.describe(),
            "bath": repr(self.bath),
            "T": self.bath.T,
            "mu": self.bath.mu,
            "path": Path.corners(list(self.corners)).label,
            "corners": json.dumps(list(self.corners)),
            "schedule": self.schedule if isinstance(self.schedule, str) else json.dumps(self.schedule),
            "hold": self.hold,
            "initial": self.initial,
        }


@dataclass(frozen=True)
class CompositeDriveSweep(_DurationGrid):
    """``st.exact.drive_composite(build, path, duration, beta=...).to_dict()`` at each grid point:
    a finite composite driven through ``corners`` over a grid of ramp durations.

    Grid key: ``duration`` (tau >= 0, units of hbar / energy; 0 is the sudden quench). Each point
    follows one ramp from the global Gibbs state and keeps its end values: W(tau), Delta F*_S,
    the dissipated work, Sigma, U_x and Q_x of each definition, and on the dense road the
    quantum-adiabatic work (the tau -> infinity limit of a finite closed universe, not Delta F*_S).
    On the typicality road every point draws its vectors from the same ``seed`` (common random
    numbers: neighbouring durations' errors are correlated, their differences more precise).
    """

    build: Callable[..., Any]
    corners: tuple[Mapping[str, float], ...]
    beta: float
    schedule: str | tuple[tuple[float, float], ...] = "linear"
    method: str = "dense"
    samples: int = 16
    seed: int = 0
    sectors: Callable[..., Any] | None = None
    equilibrium_method: str = "typicality"
    fixed: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "beta", check_beta(self.beta))
        if len(self.corners) < 2:
            raise ValueError(f"corners must list at least 2 parameter sets, got {len(self.corners)}")
        object.__setattr__(self, "corners", tuple(dict(c) for c in self.corners))
        if self.method not in ("dense", "typicality"):
            raise ValueError(f"method must be 'dense' or 'typicality', got {self.method!r}")
        object.__setattr__(self, "samples", check_integer("samples", self.samples, low=4))
        object.__setattr__(self, "seed", check_integer("seed", self.seed, low=0))
        self._plain_schedule()
        Schedule.coerce(self.schedule)  # checked once before any point
        for corner in self.corners:  # every corner's builder arguments, before any point
            self._build(**corner)

    @property
    def label(self) -> str:
        return f"finite-speed drive of {_describe_builder(self.build)} ({self.method})"

    def _build(self, **point: Any) -> Any:
        return self.build(**{**self.fixed, **point})

    def check(self, point: Mapping[str, float]) -> None:
        """Raise ``ValueError`` (naming ``duration``) for a negative or non-finite duration."""
        check_real("duration", point["duration"], low=0.0)

    def run(self, duration: float, *, times: Sequence[float] | np.ndarray | None = None,
            progress: bool | None = False) -> Any:
        """One ramp of duration ``duration`` (a :class:`strongtherm.exact.CompositeDrive`), output at
        ``times`` (default: 0 and tau; one output, after the jump, for the sudden quench)."""
        tau = check_real("duration", duration, low=0.0)
        options: dict[str, Any] = {"method": self.method}
        if self.method == "typicality":
            options.update(samples=self.samples, rng=self.seed, equilibrium_method=self.equilibrium_method,
                           sectors=None if self.sectors is None else self.sectors(**self.fixed))  # fmt: skip
        if times is None:
            times = [0.0, tau] if tau > 0.0 else [0.0]
        return drive_composite(self._build, Path.corners(list(self.corners)), tau, beta=self.beta,
                               schedule=Schedule.coerce(self.schedule), times=times, progress=progress,
                               **options)  # fmt: skip

    def __call__(self, duration: float) -> dict[str, float]:
        return self.run(duration).to_dict()  # the end values only

    def attrs(self) -> dict[str, Any]:
        return {
            "computation": "strongtherm.exact.drive_composite",
            "model": _describe_builder(self.build),
            "beta": self.beta,
            "path": Path.corners(list(self.corners)).label,
            "corners": json.dumps(list(self.corners)),
            "schedule": self.schedule if isinstance(self.schedule, str) else json.dumps(self.schedule),
            "method": self.method,
            "samples": self.samples if self.method == "typicality" else 0,
            "seed": self.seed,
        }


def _beta_of(point: Mapping[str, float], beta: float | None) -> float:
    return check_beta(point.get("beta", beta))


class _BuilderGrid:
    """Grid keys of a sweep over a model builder: the builder's arguments and ``beta`` (shared by
    the dense and the typicality equilibrium sweeps)."""

    build: Callable[..., Any]
    beta: float | None
    fixed: Mapping[str, Any]

    def _check_builder(self) -> None:
        names, _ = _signature_names(self.build, "build")
        if "beta" in names:
            raise ValueError("build must not take an argument named 'beta' (it is the sweep's inverse temperature)")
        object.__setattr__(self, "fixed", _check_fixed(self.fixed, names, _describe_builder(self.build)))
        if self.beta is not None:
            object.__setattr__(self, "beta", check_beta(self.beta))

    @property
    def parameters(self) -> tuple[str, ...]:
        return (*_signature_names(self.build, "build")[0], "beta")

    @property
    def required(self) -> tuple[str, ...]:
        required = tuple(r for r in _signature_names(self.build, "build")[1] if r not in self.fixed)
        return required if self.beta is not None else (*required, "beta")

    def _arguments(self, point: Mapping[str, Any]) -> dict[str, Any]:
        return {**self.fixed, **{k: v for k, v in point.items() if k != "beta"}}


@dataclass(frozen=True)
class ExactEquilibrium(_BuilderGrid):
    """``st.exact.equilibrium(build(**point), beta=...).to_dict()`` at each grid point.

    Grid keys: the arguments of ``build`` (e.g. ``st.models.two_spin``: eps, alpha, gamma, chi)
    and ``beta``.
    """

    build: Callable[..., Composite]
    beta: float | None = None
    fixed: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._check_builder()

    def units(self, name: str) -> str:
        """Unit code of the grid key ``name`` (``strongtherm.core.quantities.UNITS``)."""
        return _unit_of(name)

    @property
    def label(self) -> str:
        return f"mean-force equilibrium of {_describe_builder(self.build)}"

    def check(self, point: Mapping[str, float]) -> None:
        """Raise (naming the argument) if beta or the model at ``point`` is invalid; builds the model."""
        _beta_of(point, self.beta)
        self._model(point)

    def _model(self, point: Mapping[str, Any]) -> Composite:
        model = self.build(**self._arguments(point))
        if not isinstance(model, Composite):
            raise ValueError(f"build(**point) must return a strongtherm.exact.Composite, got {type(model).__name__}")
        return model

    def __call__(self, **point: float) -> dict[str, float]:
        return exact_equilibrium_solver(self._model(point), beta=_beta_of(point, self.beta)).to_dict()

    def attrs(self) -> dict[str, Any]:
        return {
            "computation": "strongtherm.exact.equilibrium",
            "model": _describe_builder(self.build),
            "beta": float("nan") if self.beta is None else self.beta,
            "fixed_parameters": json.dumps(_json_safe(self.fixed)),
        }


@dataclass(frozen=True)
class ExactQuench:
    """``st.exact.quench(build(**A), build(**B), beta=...).to_dict()`` at each grid point.

    Grid keys: ``beta``; an argument ``name`` of ``build`` (the same value before and after
    the quench) or ``A.name`` / ``B.name`` (one side only).
    """

    build: Callable[..., Composite]
    beta: float | None = None
    A: Mapping[str, Any] = field(default_factory=dict)
    B: Mapping[str, Any] = field(default_factory=dict)
    fixed: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        names, _ = _signature_names(self.build, "build")
        owner = _describe_builder(self.build)
        for attr in ("fixed", "A", "B"):
            object.__setattr__(self, attr, _check_fixed(getattr(self, attr), names, owner))
        if self.beta is not None:
            object.__setattr__(self, "beta", check_beta(self.beta))

    @property
    def parameters(self) -> tuple[str, ...]:
        names = _signature_names(self.build, "build")[0]
        return (*names, *(f"A.{n}" for n in names), *(f"B.{n}" for n in names), "beta")

    @property
    def required(self) -> tuple[str, ...]:
        return () if self.beta is not None else ("beta",)

    def units(self, name: str) -> str:
        """Unit code of the grid key ``name`` (``strongtherm.core.quantities.UNITS``)."""
        return _unit_of(name)

    @property
    def label(self) -> str:
        return f"quench of {_describe_builder(self.build)}"

    def _sides(self, point: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        shared = {k: v for k, v in point.items() if "." not in k and k != "beta"}
        sides = []
        for side, base in (("A", self.A), ("B", self.B)):
            own = {k.split(".", 1)[1]: v for k, v in point.items() if k.startswith(f"{side}.")}
            sides.append({**self.fixed, **base, **shared, **own})
        return sides[0], sides[1]

    def check(self, point: Mapping[str, float]) -> None:
        _beta_of(point, self.beta)
        _, required = _signature_names(self.build, "build")
        for side, args in zip("AB", self._sides(point), strict=True):
            missing = [r for r in required if r not in args]
            if missing:
                raise ValueError(f"state {side} of the quench lacks argument(s) {missing} of {_describe_builder(self.build)}")
            self.build(**args)  # a bad argument value fails here, before anything is computed

    def __call__(self, **point: float) -> dict[str, float]:
        a, b = self._sides(point)
        return exact_quench_solver(self.build(**a), self.build(**b), beta=_beta_of(point, self.beta)).to_dict()

    def attrs(self) -> dict[str, Any]:
        return {
            "computation": "strongtherm.exact.quench",
            "model": _describe_builder(self.build),
            "beta": float("nan") if self.beta is None else self.beta,
            "state_A": json.dumps(_json_safe(self.A)),
            "state_B": json.dumps(_json_safe(self.B)),
            "fixed_parameters": json.dumps(_json_safe(self.fixed)),
        }


@dataclass(frozen=True)
class TypicalEquilibrium(_BuilderGrid):
    """``st.exact.typicality.typical_equilibrium(*build(**point), beta=..., ...).to_dict()`` at each
    grid point: mean-force thermodynamics of a large reservoir with its jackknife error bars.

    Grid keys: the arguments of ``build`` (e.g. :func:`strongtherm.models.spin_chains.qubit_on_spin_chain`:
    n, eps, J, Jz, h, J_c, Jz_c) and ``beta``. Every point draws its random vectors from the same
    ``seed`` (common random numbers: the statistical errors of neighbouring points are correlated,
    so curves are smooth and differences between points are more precise than each point).
    """

    build: Callable[..., Any]
    beta: float | None = None
    samples: int = 32
    seed: int = 0
    method: str = "typicality"
    sectors: Callable[..., Any] | None = None
    exact_states: int = 16
    fixed: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._check_builder()
        object.__setattr__(self, "samples", check_integer("samples", self.samples, low=4))
        object.__setattr__(self, "seed", check_integer("seed", self.seed, low=0))
        object.__setattr__(self, "exact_states", check_integer("exact_states", self.exact_states, low=1))
        if self.method not in ("typicality", "deflated"):
            raise ValueError(f"method must be 'typicality' or 'deflated', got {self.method!r}")
        if self.sectors is not None and not callable(self.sectors):
            raise TypeError(f"sectors must be None or a function of the builder's arguments, got {type(self.sectors).__name__}")

    def units(self, name: str) -> str:
        """Unit code of the grid key ``name`` (``strongtherm.core.quantities.UNITS``)."""
        return _unit_of(name) if name != "n" else "1"

    @property
    def label(self) -> str:
        return f"mean-force equilibrium by quantum typicality of {_describe_builder(self.build)}"

    def check(self, point: Mapping[str, float]) -> None:
        """Raise (naming the argument) if beta or the model's arguments at ``point`` are invalid;
        builds the model (sparse) and checks it returns (H_S, H_R, V)."""
        _beta_of(point, self.beta)
        self._model(point)

    def _model(self, point: Mapping[str, Any]) -> tuple[Any, Any, Any]:
        model = self.build(**self._arguments(point))
        if not (isinstance(model, tuple) and len(model) == 3):
            raise ValueError(f"build(**point) must return (H_S, H_R, V), got {type(model).__name__}")
        return model

    def __call__(self, **point: float) -> dict[str, float]:
        H_S, H_R, V = self._model(point)
        sectors = None if self.sectors is None else self.sectors(**self._arguments(point))
        return typical_equilibrium_solver(H_S, H_R, V, beta=_beta_of(point, self.beta), samples=self.samples, rng=self.seed,
                                          sectors=sectors, method=self.method,  # type: ignore[arg-type]  # checked above
                                          exact_states=self.exact_states, progress=False).to_dict()  # fmt: skip

    def attrs(self) -> dict[str, Any]:
        return {
            "computation": "strongtherm.exact.typicality.typical_equilibrium",
            "model": _describe_builder(self.build),
            "beta": float("nan") if self.beta is None else self.beta,
            "samples": self.samples,
            "seed": self.seed,
            "method": self.method,
            "sectors": "none" if self.sectors is None else _describe_builder(self.sectors),
            "exact_states": self.exact_states,
            "fixed_parameters": json.dumps(_json_safe(self.fixed)),
        }


def _json_safe(mapping: Mapping[str, Any]) -> dict[str, Any]:
    from ..core.convert import to_builtin

    return to_builtin(mapping)


# --------------------------------------------------------------------------- builders
def negf_equilibrium(
    model: OpenSystem,
    bath: Bath,
    *,
    alphas: Sequence[float] = (),
    options: QuadratureOptions | None = None,
    **fixed: float,
) -> NegfEquilibrium:
    """Equilibrium state functions of an open fermionic system over a grid (Kumar et al. 2024).

    Parameters
    ----------
    model : OpenSystem
        E.g. ``st.models.resonant_level(t0=1.25)``.
    bath : Bath
        (T, mu) in the model's energy unit; a grid key ``T`` or ``mu`` overrides it per point.
    alphas : sequence of float
        alpha-partition fractions in [0, 1] for ``alpha_energy_<a>``, ``alpha_entropy_<a>``.
    options : QuadratureOptions, optional
        Energy-integral tolerances.
    **fixed : float
        Model parameters held fixed (energy units), e.g. ``V=1.0``.

    Examples
    --------
    >>> import numpy as np, strongtherm as st
    >>> compute = st.sweeps.negf_equilibrium(st.models.resonant_level(1.25), st.Bath(T=0.02), V=1.0)
    >>> round(compute(eps_s=0.0)["system_N"], 6)
    0.5
    """
    return NegfEquilibrium(model, bath, fixed, tuple(alphas), options)


def negf_steady_state(
    model: OpenSystem,
    baths: Sequence[Bath],
    *,
    state: bool = False,
    options: QuadratureOptions | None = None,
    **fixed: float,
) -> NegfSteadyState:
    """Steady-state currents, power and entropy production between reservoirs over a grid.

    Parameters
    ----------
    model : OpenSystem
        Levels between reservoirs, e.g. a dot with two leads.
    baths : sequence of Bath
        One (T, mu) per reservoir; grid keys ``T_k``, ``mu_k`` (and ``bias`` for two reservoirs)
        override them per point.
    state : bool
        Also the steady state's ``N_S``, ``system_U``, ``expectation_H_S``, ``expectation_H_SR``.
    **fixed : float
        Model parameters held fixed.

    Examples
    --------
    >>> import strongtherm as st
    >>> chain = st.negf.TightBindingChain(t0=1.0)
    >>> dot = st.models.matrix_open_system([[0.0]], [[[0.5]], [[0.5]]], reservoirs=[{"t0": 1.0}, {"t0": 1.0}])
    >>> compute = st.sweeps.negf_steady_state(dot, [st.Bath(T=0.05), st.Bath(T=0.05)])
    >>> compute(bias=0.0)["I_0"]
    0.0
    """
    return NegfSteadyState(model, tuple(baths), fixed, bool(state), options)


def negf_linear_response(
    model: OpenSystem, bath: Bath, *, options: QuadratureOptions | None = None, **fixed: float
) -> NegfLinearResponse:
    """Conductance, thermopower, thermal conductance, ZT and the Onsager matrix over a grid.

    Parameters
    ----------
    model : OpenSystem
        Two reservoirs.
    bath : Bath
        The common (T, mu); grid keys ``T``, ``mu`` override it per point.
    **fixed : float
        Model parameters held fixed.
    """
    return NegfLinearResponse(model, bath, fixed, options)


def negf_quasistatic(
    model: OpenSystem,
    bath: Bath,
    path: Callable[..., Path],
    *,
    alphas: Sequence[float] = (),
    panels_per_segment: int = 4,
    options: QuadratureOptions | None = None,
    **fixed: float,
) -> NegfQuasistatic:
    """Works of quasistatic processes over a grid of paths (Kumar et al. 2024, Eqs. 13-25).

    Parameters
    ----------
    model, bath
        As in :func:`negf_equilibrium`.
    path : callable
        ``path(**point) -> strongtherm.Path``, e.g.
        ``lambda V: st.Path.line({"eps_s": 0.0, "V": V}, {"eps_s": 1.0, "V": V})``. A module-level
        function is faster to send to worker processes than a lambda (which needs cloudpickle).
    alphas : sequence of float
        alpha-partition fractions for ``alpha_work_<a>``, ``entropy_change_EOG_<a>``, ...
    panels_per_segment : int
        GK15 panels in s per smooth path segment, in [1, 256]
        (:data:`strongtherm.path.MAX_PANELS_PER_SEGMENT`).
    **fixed
        Arguments of ``path`` held fixed.
    """
    return NegfQuasistatic(model, bath, path, fixed, tuple(alphas), panels_per_segment, options)


def dynamics_drive(
    model: OpenSystem,
    bath: Bath,
    corners: Sequence[Mapping[str, float]],
    *,
    schedule: str | Sequence[tuple[float, float]] = "linear",
    hold: float = 0.0,
    initial: str = "gibbs",
) -> DynamicsDrive:
    """Finite-speed ramps over a grid of durations: W(tau), Delta F*_S, W_diss(tau), Sigma(tau).

    Each grid point runs :func:`strongtherm.dynamics.drive` along the corners for the ramp
    duration ``duration`` (the one grid key, tau >= 0 in units of hbar / energy; 0 is the sudden
    quench) and keeps the end values of :meth:`strongtherm.dynamics.Drive.to_dict`.

    Parameters
    ----------
    model : OpenSystem
        Reservoirs: chains, flat bands or Lorentzian bands (what ``drive`` maps onto chains).
    bath : Bath
        (T, mu) of the initial state, in units of energy.
    corners : sequence of mapping
        At least two parameter sets; the path runs straight between consecutive ones.
    schedule : str or sequence of (u, s)
        ``"linear"``, ``"smooth"`` or piecewise-linear knots (:meth:`strongtherm.dynamics.Schedule.piecewise`).
    hold : float
        Time >= 0 at the final parameters after each ramp (units of hbar / energy).
    initial : {"gibbs", "product"}
        The initial state (see :func:`strongtherm.dynamics.drive`).

    Raises
    ------
    ValueError
        Bad model, bath, corners outside the model's domain, a bad schedule or hold.

    Examples
    --------
    >>> import strongtherm as st
    >>> compute = st.sweeps.dynamics_drive(st.models.resonant_level(), st.Bath(T=0.1),
    ...                                    [{"eps_s": 0.0, "V": 0.6}, {"eps_s": 1.0, "V": 0.6}])
    >>> row = compute(duration=2.0)
    >>> bool(row["W_ext"] > row["delta_F_S_engine"])
    True
    """
    return DynamicsDrive(model, bath, tuple(corners), schedule if isinstance(schedule, str) else tuple(schedule), hold, initial)


def composite_drive(
    build: Callable[..., Any],
    corners: Sequence[Mapping[str, float]],
    *,
    beta: float,
    schedule: str | Sequence[tuple[float, float]] = "linear",
    method: str = "dense",
    samples: int = 16,
    seed: int = 0,
    sectors: Callable[..., Any] | None = None,
    equilibrium_method: str = "typicality",
    **fixed: Any,
) -> CompositeDriveSweep:
    """A finite composite driven over a grid of ramp durations: W(tau), Delta F*_S, W_diss(tau),
    Sigma(tau), U_x and Q_x of each definition (issue 24; :func:`strongtherm.exact.drive_composite`).

    Parameters
    ----------
    build : callable
        ``build(**args)``: a :class:`strongtherm.exact.Composite` or (H_S, H_R, V) (sparse allowed
        on the typicality road), e.g. ``st.models.two_spin``.
    corners : sequence of mapping
        At least two sets of builder arguments; the path runs straight between consecutive ones.
    beta : float
        Inverse temperature of the initial global Gibbs state.
    schedule : str or sequence of (u, s)
        ``"linear"``, ``"smooth"`` or piecewise-linear knots.
    method : {"dense", "typicality"}
        The road (:func:`strongtherm.exact.drive_composite`); ``samples``, ``seed``,
        ``equilibrium_method`` and ``sectors`` (``sectors(**fixed)``: the conserved quantity, e.g.
        :func:`strongtherm.models.spin_chains.qubit_chain_total_sz`) belong to the typicality road.
    **fixed
        Builder arguments held fixed.

    Examples
    --------
    >>> import strongtherm as st
    >>> compute = st.sweeps.composite_drive(st.models.two_spin, [{"eps": 0.0}, {"eps": 2.0}], beta=1.0,
    ...                                     alpha=0.8, gamma=1.2, chi=1.8)
    >>> row = compute(duration=2.0)
    >>> bool(row["W_ext"] > row["delta_F_S"])
    True
    """
    return CompositeDriveSweep(build, tuple(corners), beta, schedule if isinstance(schedule, str) else tuple(schedule),
                               method, samples, seed, sectors, equilibrium_method, fixed)  # fmt: skip


def exact_equilibrium(build: Callable[..., Composite], *, beta: float | None = None, **fixed: Any) -> ExactEquilibrium:
    """Mean-force equilibrium quantities over a grid of model arguments (Davoudi et al. 2025).

    Parameters
    ----------
    build : callable
        Model builder, ``build(**args) -> Composite``, e.g. ``st.models.two_spin``.
    beta : float, optional
        Inverse temperature (inverse energy units); required unless ``beta`` is a grid key.
    **fixed
        Builder arguments held fixed (energies in the Hamiltonian's unit).

    Examples
    --------
    >>> import strongtherm as st
    >>> compute = st.sweeps.exact_equilibrium(st.models.two_spin, beta=1.0, alpha=0.8, gamma=1.2, chi=1.8)
    >>> sorted(compute(eps=1.0))[:3]
    ['F_R', 'F_S', 'F_SR']
    """
    return ExactEquilibrium(build, beta, fixed)


def exact_quench(
    build: Callable[..., Composite],
    *,
    beta: float | None = None,
    A: Mapping[str, Any] | None = None,
    B: Mapping[str, Any] | None = None,
    **fixed: Any,
) -> ExactQuench:
    """Quench work, heat and second-law balance over a grid (Davoudi et al. 2025, Eqs. 20-35).

    Parameters
    ----------
    build : callable
        Model builder, e.g. ``st.models.two_spin``.
    beta : float, optional
        Inverse temperature of the initial (and final) Gibbs state; or a grid key.
    A, B : mapping, optional
        Builder arguments of the pre- and post-quench states (grid keys ``A.name``, ``B.name``
        override them per point).
    **fixed
        Builder arguments shared by both states.

    Examples
    --------
    >>> import strongtherm as st
    >>> compute = st.sweeps.exact_quench(st.models.two_spin, beta=1.0, A={"eps": 0.0},
    ...                                  alpha=0.8, gamma=1.2, chi=1.8)
    >>> compute(**{"B.eps": 2.0})["work_diff"] > 0
    True
    """
    return ExactQuench(build, beta, dict(A or {}), dict(B or {}), fixed)


def typical_equilibrium(
    build: Callable[..., Any],
    *,
    beta: float | None = None,
    samples: int = 32,
    seed: int = 0,
    method: str = "typicality",
    sectors: Callable[..., Any] | None = None,
    exact_states: int = 16,
    **fixed: Any,
) -> TypicalEquilibrium:
    """Mean-force thermodynamics of a large reservoir by quantum typicality over a grid, each value
    with its jackknife error (``error_F_S``, ``error_U_diff``, ...; issue 24).

    Parameters
    ----------
    build : callable
        ``build(**args) -> (H_S, H_R, V)`` (sparse allowed), e.g.
        :func:`strongtherm.models.spin_chains.qubit_on_spin_chain`.
    beta : float, optional
        Inverse temperature; required unless ``beta`` is a grid key.
    samples, seed, method, exact_states
        As in :func:`strongtherm.exact.typicality.typical_equilibrium` (``seed`` seeds every point
        alike: common random numbers).
    sectors : callable, optional
        ``sectors(**args)``: the conserved quantity at the builder's arguments, e.g.
        :func:`strongtherm.models.spin_chains.qubit_chain_total_sz`.
    **fixed
        Builder arguments held fixed.

    Examples
    --------
    >>> import strongtherm as st
    >>> from strongtherm.models.spin_chains import qubit_on_spin_chain
    >>> compute = st.sweeps.typical_equilibrium(qubit_on_spin_chain, beta=1.0, samples=4, n=4)
    >>> sorted(compute(eps=1.0))[:3]
    ['F_S', 'U_Estar', 'U_Hstar']
    """
    return TypicalEquilibrium(build, beta, samples, seed, method, sectors, exact_states, fixed)
