"""An open system of noninteracting fermions: n levels coupled to reservoirs at one (T, mu).

One-body Hamiltonian of the universe (Kumar, Webb & Stafford 2024, text above Eq. 14):
h = h_S(lambda) (+) h_R + h_SR(lambda), with h_SR given per reservoir r by a coupling matrix
V_r(lambda) of shape (n_surface_r, n_levels) (reservoir x system):
H_SR = sum_r sum_{k n} [V_r]_{k n} c_{r k}^dag d_n + h.c.
The system self-energy is Sigma(z) = sum_r V_r^dag g_r(z) V_r.

The parameters lambda are named (``eps_s``, ``V``, ...) and passed at solve time, as kwant's
``params=``. Built-in models give exact parameter derivatives; for a user model without them,
fourth-order central differences are used (documented error ~ h^4).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from types import MappingProxyType
from typing import Any

import numpy as np

from ..core.validation import (
    ArgumentTypeError,
    check_hermitian,
    check_integer,
    check_matrix,
    check_real,
)
from ..thermal import check_bath
from .greens import system_greens_function
from .reservoirs import Reservoir

__all__ = ["ModelPoint", "OpenSystem", "check_model_and_bath", "check_path"]

Params = Mapping[str, float]
_ABSENT = object()  # a parameter not given (OpenSystem.resolve)


@dataclass(frozen=True)
class OpenSystem:
    """Description of an open fermionic system (no solving here).

    Parameters
    ----------
    name : str
        Human-readable name, shown in reports.
    n_levels : int
        n, the dimension of the system's one-body space.
    reservoirs : tuple of Reservoir
        Reservoirs sharing one (T, mu).
    system_hamiltonian : callable
        ``h_S(params) -> (n, n)`` Hermitian, energies in the model's unit.
    couplings : callable
        ``couplings(params) -> tuple of (n_surface_r, n)`` matrices, one per reservoir.
    parameter_domain : mapping
        Allowed interval (low, high) of each named parameter, inclusive.
    defaults : mapping
        Default value of each parameter (optional per parameter).
    system_hamiltonian_derivative, couplings_derivative : callable, optional
        Exact derivatives ``d h_S / d name`` and ``d V_r / d name`` as ``f(params, name)``.
    reservoir_names : tuple of str, optional
        A name for each reservoir (e.g. ``("L", "R")``): baths may then be given by name
        (:func:`strongtherm.negf.steady_state`), and errors name the reservoir.
    """

    name: str
    n_levels: int
    reservoirs: tuple[Reservoir, ...]
    system_hamiltonian: Callable[[Params], np.ndarray]
    couplings: Callable[[Params], tuple[np.ndarray, ...]]
    parameter_domain: Mapping[str, tuple[float, float]]
    defaults: Mapping[str, float] = field(default_factory=dict)
    system_hamiltonian_derivative: Callable[[Params, str], np.ndarray] | None = None
    couplings_derivative: Callable[[Params, str], tuple[np.ndarray, ...]] | None = None
    finite_difference_step: float = 1e-3
    reservoir_names: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        check_integer("n_levels", self.n_levels, low=1)
        check_real("finite_difference_step", self.finite_difference_step, low=0.0, low_inclusive=False)
        _check_domain(self.parameter_domain)
        if len(self.reservoirs) == 0:
            raise ValueError("reservoirs must contain at least one reservoir")
        for k, res in enumerate(self.reservoirs):
            if not isinstance(res, Reservoir):
                raise ValueError(f"reservoirs[{k}] does not implement the Reservoir protocol: {res!r}")
        for key, value in self.defaults.items():
            if key not in self.parameter_domain:
                raise ValueError(f"default for unknown parameter {key!r}")
            low, high = self.parameter_domain[key]
            check_real(f"defaults[{key!r}]", value, low=low, high=high)
        object.__setattr__(self, "reservoirs", tuple(self.reservoirs))
        names = tuple(self.reservoir_names)
        if names:
            if len(names) != len(self.reservoirs) or len(set(names)) != len(names):
                raise ValueError(f"reservoir_names must name each of the {len(self.reservoirs)} reservoirs once, got {list(names)}")
            for name in names:
                if not isinstance(name, str) or not name.isidentifier():
                    raise ValueError(f"reservoir_names must be identifiers (they become sweep keys), got {name!r}")
        object.__setattr__(self, "reservoir_names", names)

    def reservoir_label(self, index: int) -> str:
        """``'name'`` of reservoir ``index`` (its position where no names were given), as errors and keys show it."""
        return self.reservoir_names[index] if self.reservoir_names else str(index)

    # ------------------------------------------------------------------ parameters
    @cached_property
    def parameter_names(self) -> tuple[str, ...]:
        return tuple(self.parameter_domain)

    def __getstate__(self) -> dict[str, Any]:
        # pickled (e.g. to a sweep's worker processes) without the engines' memo: derived data,
        # rebuilt on demand, that can hold megabytes of node arrays
        state = dict(self.__dict__)
        state.pop("memo", None)
        return state

    @cached_property
    def memo(self) -> dict[str, Any]:
        """What the engines derive from this (frozen) model once and reuse at every state, by the
        engine's key (e.g. the pole road's reduction of an affine one-level model): a single
        state costs tens of microseconds, and looking such things up by the model's parts (a
        tuple of reservoirs hashed field by field) would be a measurable share of it."""
        return {}

    def resolve(self, params: Params | None = None, **kwargs: float) -> dict[str, float]:
        """Validate and complete a parameter set: known names, finite values, inside the domain.

        Unknown names are reported first, then a missing parameter or a bad value."""
        # one plain dict is read in place (the common case, once per state of every batch)
        given = params if not kwargs and type(params) is dict else {**(params or {}), **kwargs}
        resolved: dict[str, float] = {}
        taken = 0
        for key, (low, high) in self.parameter_domain.items():
            value = given.get(key, _ABSENT)
            if value is _ABSENT:
                self._check_names(given)
                if key not in self.defaults:
                    raise ValueError(f"{self.name}: parameter {key!r} is required (allowed range [{low:g}, {high:g}])")
                value = self.defaults[key]
            else:
                taken += 1
            # a plain finite float inside the domain (the common case, once per parameter of every
            # state) needs no call; anything else gets check_real's conversion or its error
            if type(value) is float and low <= value <= high and -math.inf < value < math.inf:
                resolved[key] = value
            else:
                self._check_names(given)
                resolved[key] = check_real(key, value, low=low, high=high)
        if taken != len(given):  # names left over: not the model's
            self._check_names(given)
        return resolved

    def _check_names(self, given: Mapping[str, Any]) -> None:
        unknown = sorted(set(given) - set(self.parameter_domain))
        if unknown:
            raise ValueError(f"{self.name} has no parameter(s) {unknown}; its parameters are {list(self.parameter_names)}")

    def at(self, params: Params | None = None, **kwargs: float) -> ModelPoint:
        """The model evaluated once at one parameter point: validated matrices for the physics.

        Resolves the parameters (defaults, domain), calls the model's callables once and checks
        their shapes and hermiticity; everything downstream (spectral functions, bound-state
        search, energy integrals) works on the returned :class:`ModelPoint` without calling the
        model again.
        """
        resolved = self.resolve(params, **kwargs)
        return ModelPoint(self, resolved, self.h_S(resolved), self.V(resolved))

    def resolve_along(self, path: Any, s_values: Iterable[float]) -> list[dict[str, float]]:
        """:meth:`resolve` at each point ``path.function(s)`` of a :class:`strongtherm.Path`.

        Raises
        ------
        ValueError
            Naming ``s`` and the point where the path leaves the model's domain.
        """
        points = []
        for s in s_values:
            point = path.function(float(s))
            try:
                points.append(self.resolve(point))
            except ValueError as exc:
                raise ValueError(f"path leaves the domain of {self.name} at s={s:.6g} ({dict(point)}): {exc}") from exc
        return points

    # ------------------------------------------------------------------ matrices
    def h_S(self, params: Params) -> np.ndarray:
        n = self.n_levels
        h = check_hermitian("h_S", self.system_hamiltonian(params))
        if h.shape != (n, n):
            raise ValueError(f"h_S must have shape ({n}, {n}), but has shape {h.shape}")
        return h

    def V(self, params: Params) -> tuple[np.ndarray, ...]:
        Vs = tuple(self.couplings(params))
        if len(Vs) != len(self.reservoirs):
            raise ValueError(f"couplings returned {len(Vs)} matrices for {len(self.reservoirs)} reservoirs")
        return tuple(
            check_matrix(f"couplings[{r}]", V_r, (res.n_surface, self.n_levels))
            for r, (V_r, res) in enumerate(zip(Vs, self.reservoirs, strict=True))
        )

    def _finite_difference(self, fn: Callable[[Params], object], params: Params, name: str) -> object:
        # fourth-order central difference, error O(h^4)
        low, high = self.parameter_domain[name]
        x = params[name]
        h = self.finite_difference_step * max(1.0, abs(x))
        # the stencil reaches x +- 2h: shrink h so that it stays inside the domain
        h = min(h, (x - low) / 2.0, (high - x) / 2.0)
        if h <= 0.0:
            raise ValueError(f"cannot differentiate with respect to {name!r} at the edge of its domain")

        def at(delta: float) -> Any:
            shifted = dict(params)
            shifted[name] = x + delta
            return fn(shifted)

        def stencil(p2: Any, p1: Any, m1: Any, m2: Any) -> Any:
            return (-p2 + 8 * p1 - 8 * m1 + m2) / (12 * h)

        f2p, f1p, f1m, f2m = at(2 * h), at(h), at(-h), at(-2 * h)
        if isinstance(f1p, tuple):  # couplings: one matrix per reservoir
            return tuple(stencil(*parts) for parts in zip(f2p, f1p, f1m, f2m, strict=True))
        return stencil(f2p, f1p, f1m, f2m)

    def dh_S(self, params: Params, name: str) -> np.ndarray:
        """d h_S / d name, (n, n)."""
        self._check_name(name)
        if self.system_hamiltonian_derivative is not None:
            return check_matrix(f"d h_S / d {name}", self.system_hamiltonian_derivative(params, name),
                                (self.n_levels, self.n_levels))
        return np.asarray(self._finite_difference(self.h_S, params, name))

    def dV(self, params: Params, name: str) -> tuple[np.ndarray, ...]:
        """d V_r / d name for each reservoir r."""
        self._check_name(name)
        if self.couplings_derivative is not None:
            return tuple(
                check_matrix(f"d couplings[{r}] / d {name}", d, (res.n_surface, self.n_levels))
                for r, (d, res) in enumerate(zip(self.couplings_derivative(params, name), self.reservoirs, strict=True))
            )
        return tuple(self._finite_difference(self.V, params, name))  # type: ignore[arg-type]

    def _check_name(self, name: str) -> None:
        if name not in self.parameter_domain:
            raise ValueError(f"{self.name} has no parameter {name!r}; its parameters are {list(self.parameter_names)}")

    # ------------------------------------------------------------------ self-energy
    def self_energy(self, z: np.ndarray, params: Params) -> np.ndarray:
        """Sigma(z) = sum_r V_r^dag g_r(z) V_r, shape z.shape + (n, n) (see :meth:`ModelPoint.self_energy`)."""
        return _sandwich_sum(z, self.reservoirs, self.V(params), self.V(params), derivative=False)

    def self_energy_derivative(self, z: np.ndarray, params: Params) -> np.ndarray:
        """d Sigma / dz, shape z.shape + (n, n)."""
        return _sandwich_sum(z, self.reservoirs, self.V(params), self.V(params), derivative=True)

    def self_energy_parameter_derivative(self, z: np.ndarray, params: Params, name: str) -> np.ndarray:
        """d Sigma / d name at fixed z: sum_r (dV_r^dag g_r V_r + V_r^dag g_r dV_r)."""
        V, dV = self.V(params), self.dV(params, name)
        return _sandwich_sum(z, self.reservoirs, dV, V, derivative=False) + _sandwich_sum(
            z, self.reservoirs, V, dV, derivative=False
        )

    @cached_property
    def continuum(self) -> tuple[tuple[float, float], ...]:
        """Union of the reservoirs' continua, merged and sorted (the reservoirs are frozen)."""
        intervals = sorted(iv for res in self.reservoirs for iv in res.continuum)
        merged: list[list[float]] = []
        for lo, hi in intervals:
            if merged and lo <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], hi)
            else:
                merged.append([lo, hi])
        return tuple((lo, hi) for lo, hi in merged)

    def __repr__(self) -> str:
        reservoirs = ", ".join(type(r).__name__ for r in self.reservoirs)
        return (
            f"OpenSystem({self.name!r}, n_levels={self.n_levels}, parameters={list(self.parameter_names)}, "
            f"reservoirs=[{reservoirs}])"
        )

    def describe(self) -> str:
        reservoirs = "; ".join(getattr(r, "describe", lambda r=r: repr(r))() for r in self.reservoirs)
        return f"{self.name} ({self.n_levels} level(s); reservoirs: {reservoirs})"


@dataclass(frozen=True, eq=False)
class ModelPoint:
    """An :class:`OpenSystem` evaluated at one parameter point (make it with :meth:`OpenSystem.at`).

    Frozen and validated once: ``h_S`` (n, n) Hermitian, ``V`` one (n_surface_r, n) coupling per
    reservoir, and, computed on first use, the parameter derivatives ``dh_S[name]`` and
    ``dV[name]`` of every parameter. Private code trusts these arrays and never calls the model's
    callables again (STYLE.md, section 7: evaluate a model once per parameter point).
    """

    model: OpenSystem
    params: Mapping[str, float]
    h_S: np.ndarray
    V: tuple[np.ndarray, ...]

    @property
    def n_levels(self) -> int:
        return self.model.n_levels

    @property
    def reservoirs(self) -> tuple[Reservoir, ...]:
        return self.model.reservoirs

    @property
    def continuum(self) -> tuple[tuple[float, float], ...]:
        return self.model.continuum

    @cached_property
    def dh_S(self) -> Mapping[str, np.ndarray]:
        """d h_S / d name for every parameter, (n, n) each."""
        return MappingProxyType({k: self.model.dh_S(self.params, k) for k in self.model.parameter_names})

    @cached_property
    def dV(self) -> Mapping[str, tuple[np.ndarray, ...]]:
        """d V_r / d name for every parameter, one (n_surface_r, n) matrix per reservoir."""
        return MappingProxyType({k: self.model.dV(self.params, k) for k in self.model.parameter_names})

    def self_energy(self, z: np.ndarray) -> np.ndarray:
        """Sigma(z) = sum_r V_r^dag g_r(z) V_r, shape z.shape + (n, n)."""
        return _sandwich_sum(z, self.reservoirs, self.V, self.V, derivative=False)

    def self_energy_derivative(self, z: np.ndarray) -> np.ndarray:
        """d Sigma / dz, shape z.shape + (n, n)."""
        return _sandwich_sum(z, self.reservoirs, self.V, self.V, derivative=True)

    def self_energy_parameter_derivative(self, z: np.ndarray, name: str) -> np.ndarray:
        """d Sigma / d name at fixed z: sum_r (dV_r^dag g_r V_r + V_r^dag g_r dV_r)."""
        self.model._check_name(name)
        dV = self.dV[name]
        return _sandwich_sum(z, self.reservoirs, dV, self.V, derivative=False) + _sandwich_sum(
            z, self.reservoirs, self.V, dV, derivative=False
        )

    def greens_function(self, z: np.ndarray) -> np.ndarray:
        """G_S(z) = [z - h_S - Sigma(z)]^-1, shape z.shape + (n, n)."""
        z = np.asarray(z, dtype=complex)
        return system_greens_function(z, self.h_S, self.self_energy(z))


def _sandwich_sum(
    z: np.ndarray,
    reservoirs: tuple[Reservoir, ...],
    left: tuple[np.ndarray, ...],
    right: tuple[np.ndarray, ...],
    *,
    derivative: bool,
) -> np.ndarray:
    """sum_r left_r^dag g_r(z) right_r (or with dg_r/dz), shape z.shape + (n, n)."""
    z = np.asarray(z, dtype=complex)
    n = left[0].shape[1]
    out = np.zeros(z.shape + (n, n), dtype=complex)
    for res, L_r, R_r in zip(reservoirs, left, right, strict=True):
        g = res.surface_greens_function_derivative(z) if derivative else res.surface_greens_function(z)
        out += L_r.conj().T @ g @ R_r
    return out


def _check_domain(domain: object) -> None:
    """parameter_domain: a mapping name -> (low, high) of reals (+-inf allowed), low <= high."""
    if not isinstance(domain, Mapping):
        raise ArgumentTypeError(f"parameter_domain must be a mapping name -> (low, high), got {type(domain).__name__}")
    for key, bounds in domain.items():
        if not isinstance(key, str) or not key.isidentifier():
            raise ValueError(f"parameter_domain: parameter names must be identifiers, got {key!r}")
        if isinstance(bounds, str) or not hasattr(bounds, "__len__") or len(bounds) != 2:
            raise ArgumentTypeError(f"parameter_domain[{key!r}] must be a (low, high) pair, got {bounds!r}")
        low = check_real(f"parameter_domain[{key!r}] low", bounds[0], allow_infinite=True)
        high = check_real(f"parameter_domain[{key!r}] high", bounds[1], allow_infinite=True)
        if not low <= high:
            raise ValueError(f"parameter_domain[{key!r}] must have low <= high, got ({low:g}, {high:g})")


def check_model_and_bath(model: object, bath: object) -> None:
    """Raise ``ArgumentTypeError`` (a TypeError and ValueError) unless ``model`` is an :class:`OpenSystem` and
    ``bath`` a :class:`~strongtherm.Bath`."""
    if not isinstance(model, OpenSystem):
        raise ArgumentTypeError(f"model must be an OpenSystem (e.g. st.models.resonant_level()), got {type(model).__name__}")
    check_bath(bath)


def check_path(model: OpenSystem, path: object, name: str = "path") -> None:
    """Raise unless ``path`` is a :class:`strongtherm.Path` naming only parameters of ``model``
    (the one check of a path's names; where it leaves the domain, :meth:`OpenSystem.resolve_along`
    says at which ``s``)."""
    names = getattr(path, "names", None)
    if names is None or not callable(getattr(path, "function", None)):
        raise ArgumentTypeError(f"{name} must be a strongtherm.Path, got {type(path).__name__}")
    unknown = sorted(set(names) - set(model.parameter_names))
    if unknown:
        raise ValueError(f"{name} names parameter(s) {unknown} that {model.name} does not have; its parameters are "
                         f"{list(model.parameter_names)}")
