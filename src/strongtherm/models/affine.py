"""Open fermionic systems affine in their named parameters, built from matrices (no closures).

h_S(lambda) = h_S^0 + sum_k lambda_k dh_S/dlambda_k and V_r(lambda) = V_r^0 + sum_k lambda_k
dV_r/dlambda_k: every built-in fermionic model, and every matrix model of a config file, has this
form. The pieces are frozen dataclasses, so a model pickles with the standard library (worker
processes, Dask) and its parameter derivatives are exact.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from ..core.convert import to_array
from ..core.validation import check_hermitian, check_matrix, check_real
from ..negf.reservoirs import LorentzianBand, Reservoir, TightBindingChain, WideBand
from ..negf.system import OpenSystem

__all__ = ["RESERVOIR_BANDS", "AffineCouplings", "AffineMatrix", "affine_open_system", "matrix_open_system", "reservoir_from_spec"]


@dataclass(frozen=True, eq=False)
class AffineMatrix:
    """``lambda -> constant + sum_k lambda_k slopes[k]``, with the exact derivative.

    It evaluates itself on a stack of points (:meth:`stacked`, one matrix product instead of one
    call per point): the engine's :class:`strongtherm.negf.evaluated.StackedMatrix`.

    Parameters
    ----------
    constant : ndarray
        The matrix at lambda = 0.
    slopes : mapping
        ``name -> d matrix / d name`` (same shape as ``constant``); parameters not listed do not
        enter.
    """

    constant: np.ndarray
    slopes: Mapping[str, np.ndarray]

    def __call__(self, params: Mapping[str, float]) -> np.ndarray:
        zero, terms = self._sum_parts
        return self.constant + sum((params[k] * d for k, d in terms), zero)

    @cached_property
    def _sum_parts(self) -> tuple[np.ndarray, tuple[tuple[str, np.ndarray], ...]]:
        """The sum's start (zeros, read-only: sum adds to it, never in place) and the slopes that are
        not exactly zero. Leaving those out changes no bit: lambda_k x 0 is +-0 (lambda finite), and
        a sum that starts at +0 is never -0, so adding +-0 to it changes nothing. (A single state
        evaluates its model once; each matrix operation saved is ~0.5 us of it.)"""
        zero = np.zeros_like(self.constant)
        zero.setflags(write=False)
        return zero, tuple((k, d) for k, d in self.slopes.items() if np.any(d))

    def derivative(self, params: Mapping[str, float], name: str) -> np.ndarray:
        """d matrix / d ``name`` (independent of ``params``)."""
        return self.slopes.get(name, np.zeros_like(self.constant))

    @cached_property
    def exactly_hermitian(self) -> bool:
        """Constant and every slope exactly Hermitian (as :func:`affine_open_system` makes them):
        then so is the matrix at every real parameter point, and no point needs checking."""
        return all(
            m.ndim == 2 and m.shape[0] == m.shape[1] and np.array_equal(m, np.conj(m.T))
            for m in (self.constant, *self.slopes.values())
        )

    @cached_property
    def real(self) -> bool:
        """Constant and every slope real: the matrix is real at every real parameter point."""
        return not any(np.any(np.imag(m)) for m in (self.constant, *self.slopes.values()))

    @cached_property
    def _slope_stack(self) -> np.ndarray:
        return np.array([self.slopes[k] for k in self.slopes], dtype=complex).reshape(len(self.slopes), -1)

    def stacked(self, points: Sequence[Mapping[str, float]]) -> np.ndarray:
        """The matrix at every point at once, ``(P, *shape)``: one matrix product instead of P calls
        (the engines' batches evaluate a model this way)."""
        shape = (len(points), *self.constant.shape)
        if not self.slopes:
            return np.broadcast_to(self.constant.astype(complex), shape).copy()
        lam = np.array([[p[k] for k in self.slopes] for p in points], dtype=float)
        return (self.constant.reshape(1, -1) + lam @ self._slope_stack).reshape(shape)

    @cached_property
    def _unit_derivatives(self) -> dict[str, np.ndarray]:
        """name -> the slope as a read-only ``(1, *shape)`` complex array (zeros for a name without
        a slope), filled on first use by :meth:`stacked_derivative`."""
        return {}

    def stacked_derivative(self, n_points: int, name: str) -> np.ndarray:
        """d matrix / d ``name`` at ``n_points`` points, ``(P, *shape)``, read-only (it is constant)."""
        d = self._unit_derivatives.get(name)
        if d is None:  # built once per name: a single state asks for every name on every call
            slope = self.slopes.get(name)
            d = (np.zeros(self.constant.shape, dtype=complex) if slope is None else np.array(slope, dtype=complex))[None]
            d.setflags(write=False)
            self._unit_derivatives[name] = d
        return d if n_points == 1 else np.broadcast_to(d[0], (n_points, *d.shape[1:]))

    def level_form(self, names: Sequence[str]) -> tuple[complex, list[complex]] | None:
        """For a 1 x 1 matrix: its value at lambda = 0 and its slope by each of ``names`` (0 for a
        parameter that does not enter), as numbers; None for a larger matrix. (The engine's
        one-level reduction, :class:`strongtherm.negf.evaluated.StackedMatrix`.)"""
        if self.constant.shape != (1, 1):
            return None
        zero = np.zeros((1, 1))
        return complex(self.constant[0, 0]), [complex(self.slopes.get(k, zero)[0, 0]) for k in names]


@dataclass(frozen=True, eq=False)
class AffineCouplings:
    """One :class:`AffineMatrix` per reservoir, called together (an OpenSystem's ``couplings``;
    the engine's :class:`strongtherm.negf.evaluated.StackedCouplings`)."""

    parts: tuple[AffineMatrix, ...]

    def __call__(self, params: Mapping[str, float]) -> tuple[np.ndarray, ...]:
        return tuple(part(params) for part in self.parts)

    def derivative(self, params: Mapping[str, float], name: str) -> tuple[np.ndarray, ...]:
        return tuple(part.derivative(params, name) for part in self.parts)

    @property
    def real(self) -> bool:
        """Every part real (:attr:`AffineMatrix.real`)."""
        return all(part.real for part in self.parts)

    def stacked(self, points: Sequence[Mapping[str, float]]) -> tuple[np.ndarray, ...]:
        """:meth:`AffineMatrix.stacked` of every part."""
        return tuple(part.stacked(points) for part in self.parts)

    def stacked_derivative(self, n_points: int, name: str) -> tuple[np.ndarray, ...]:
        """:meth:`AffineMatrix.stacked_derivative` of every part."""
        return tuple(part.stacked_derivative(n_points, name) for part in self.parts)


def affine_open_system(
    *,
    name: str,
    reservoirs: Sequence[Reservoir],
    h_S: np.ndarray,
    couplings: Sequence[np.ndarray],
    parameter_domain: Mapping[str, tuple[float, float]],
    h_S_slopes: Mapping[str, np.ndarray] | None = None,
    coupling_slopes: Mapping[str, Sequence[np.ndarray]] | None = None,
    defaults: Mapping[str, float] | None = None,
    reservoir_names: Sequence[str] = (),
) -> OpenSystem:
    """An :class:`~strongtherm.negf.OpenSystem` affine in its parameters, from matrices.

    Parameters
    ----------
    name : str
        Shown in reports.
    reservoirs : sequence of Reservoir
        One per coupling matrix.
    h_S : array_like, (n, n)
        Hermitian system Hamiltonian at lambda = 0, in units of energy.
    couplings : sequence of array_like, each (n_surface_r, n)
        V_r at lambda = 0 (reservoir x system), in units of energy.
    parameter_domain : mapping
        ``name -> (low, high)``, inclusive, for every parameter.
    h_S_slopes : mapping, optional
        ``name -> dh_S/dname`` (n, n), Hermitian.
    coupling_slopes : mapping, optional
        ``name -> (dV_r/dname for each reservoir)``.
    defaults : mapping, optional
        Default parameter values.
    reservoir_names : sequence of str, optional
        A name per reservoir (``("L", "R")``), for baths given by name and for error messages.

    Raises
    ------
    ValueError
        If a matrix has the wrong shape or is not Hermitian, or a slope names a parameter
        without a domain.
    """
    h0 = check_hermitian("h_S", np.asarray(h_S, dtype=complex))
    n = h0.shape[0]
    if len(couplings) != len(reservoirs):
        raise ValueError(f"couplings has {len(couplings)} matrices for {len(reservoirs)} reservoirs")
    V0 = tuple(
        check_matrix(f"couplings[{r}]", np.asarray(V, dtype=complex), (res.n_surface, n))
        for r, (V, res) in enumerate(zip(couplings, reservoirs, strict=True))
    )
    h_slopes = dict(h_S_slopes or {})
    V_slopes = dict(coupling_slopes or {})
    for key in [*h_slopes, *V_slopes]:
        if key not in parameter_domain:
            raise ValueError(f"slope for {key!r}, which has no parameter_domain entry; parameters: {list(parameter_domain)}")
    dh = {k: check_hermitian(f"h_S_slopes[{k!r}]", np.asarray(d, dtype=complex)) for k, d in h_slopes.items()}
    for k, d in dh.items():
        check_matrix(f"h_S_slopes[{k!r}]", d, (n, n))
    dV: list[dict[str, np.ndarray]] = [{} for _ in V0]
    for k, per_reservoir in V_slopes.items():
        if len(per_reservoir) != len(V0):
            raise ValueError(f"coupling_slopes[{k!r}] must give one matrix per reservoir ({len(V0)})")
        for r, d in enumerate(per_reservoir):
            dV[r][k] = check_matrix(f"coupling_slopes[{k!r}][{r}]", np.asarray(d, dtype=complex), V0[r].shape)
    system_hamiltonian = AffineMatrix(h0, dh)
    coupling_fn = AffineCouplings(tuple(AffineMatrix(V, d) for V, d in zip(V0, dV, strict=True)))
    return OpenSystem(
        name=name,
        n_levels=n,
        reservoirs=tuple(reservoirs),
        system_hamiltonian=system_hamiltonian,
        couplings=coupling_fn,
        parameter_domain=dict(parameter_domain),
        defaults=dict(defaults or {}),
        system_hamiltonian_derivative=system_hamiltonian.derivative,
        couplings_derivative=coupling_fn.derivative,
        reservoir_names=tuple(reservoir_names),
    )


#: ``band`` of a reservoir given as a mapping -> (reservoir class, its keys besides ``band``, the
#: defaults): the one table of the reservoir kinds a config may name (``{t0, e0}`` alone, with no
#: ``band``, is the chain, as before bands could be named)
RESERVOIR_BANDS: Mapping[str, tuple[type, tuple[str, ...], Mapping[str, float]]] = {
    "chain": (TightBindingChain, ("t0", "e0"), {"t0": 1.0, "e0": 0.0}),
    "flat": (WideBand, ("D", "e0"), {"e0": 0.0}),
    "lorentzian": (LorentzianBand, ("W", "e0"), {"e0": 0.0}),
}


def reservoir_from_spec(spec: Any, name: str = "reservoir") -> Reservoir:
    """A reservoir object as it is, or one described by a mapping (the form configs use).

    ``{"band": "chain", "t0": hopping, "e0": on-site}`` (the default band; t0 = 1, e0 = 0 by
    default) is a :class:`strongtherm.negf.TightBindingChain`; ``{"band": "flat", "D": half-width,
    "e0": centre}`` a :class:`strongtherm.negf.WideBand`; ``{"band": "lorentzian", "W":
    half-width, "e0": centre}`` a :class:`strongtherm.negf.LorentzianBand` (energies in the
    model's unit).

    Raises
    ------
    TypeError
        If ``spec`` is neither a reservoir nor a mapping.
    ValueError
        For an unknown ``band``, a key the band does not take, a missing ``D`` or ``W``, or a value
        outside its range (the message names ``name`` and the key).
    """
    if isinstance(spec, Reservoir):
        return spec
    if not isinstance(spec, Mapping):
        raise TypeError(f"{name} must be a Reservoir or a mapping such as {{band = 'chain', t0, e0}}, got {type(spec).__name__}")
    band = spec.get("band", "chain")
    if band not in RESERVOIR_BANDS:
        raise ValueError(f"{name}.band must be one of {list(RESERVOIR_BANDS)}, got {band!r}")
    cls, keys, defaults = RESERVOIR_BANDS[band]
    unknown = sorted(set(spec) - {"band", *keys})
    if unknown:
        raise ValueError(f"{name} has unknown key(s) {unknown}; a {band!r} band takes: band, {', '.join(keys)}")
    missing = [k for k in keys if k not in spec and k not in defaults]
    if missing:
        raise ValueError(f"{name} needs {', '.join(missing)} for band = {band!r}")
    values = {k: check_real(f"{name}.{k}", spec.get(k, defaults.get(k))) for k in keys}
    try:
        return cls(**values)
    except ValueError as exc:  # the class's own range check, with the spec's key in front
        raise ValueError(f"{name}: {exc}") from None


def _bound(name: str, value: Any) -> float:
    """A domain bound: a real number, +-inf allowed, NaN not."""
    if isinstance(value, (bool, str)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a real number (inf allowed), got {value!r}")
    if np.isnan(value):
        raise ValueError(f"{name} must be a real number (inf allowed), got nan")
    return float(value)


def matrix_open_system(
    h_S: Any,
    couplings: Sequence[Any],
    reservoirs: Sequence[Any],
    parameters: Mapping[str, Mapping[str, Any]] | None = None,
    name: str = "matrix model",
) -> OpenSystem:
    """An open fermionic system given by matrices, linear in its named parameters (configs' form).

    The builder behind ``name = "negf_matrices"`` in ``strongtherm run`` configs, and the same
    for Python users: a thin front of :func:`affine_open_system` that takes nested lists, arrays
    or QuTiP ``Qobj`` and reservoirs as mappings (:func:`reservoir_from_spec`).

    Parameters
    ----------
    h_S : array_like or qutip.Qobj, (n, n)
        Hermitian system Hamiltonian at lambda = 0, in units of energy.
    couplings : sequence of array_like, each (n_surface_r, n)
        Coupling V_r of each reservoir at lambda = 0 (reservoir x system).
    reservoirs : sequence of mapping or Reservoir
        Each a reservoir object or a mapping (:func:`reservoir_from_spec`):
        ``{"t0": hopping, "e0": on-site energy}`` of a semi-infinite chain (defaults 1, 0; the
        ``band`` ``"chain"`` is the default), ``{"band": "flat", "D": ..., "e0": ...}`` (a
        :class:`strongtherm.negf.WideBand`) or ``{"band": "lorentzian", "W": ..., "e0": ...}`` (a
        :class:`strongtherm.negf.LorentzianBand`).
    parameters : mapping, optional
        ``name -> {"default": value, "h_S": dh_S, "couplings": [dV_r, ...], "low": ..,
        "high": ..}``: h_S(lambda) = h_S + sum lambda dh_S, V_r likewise (exact derivatives).
    name : str
        Shown in reports.

    Returns
    -------
    OpenSystem

    Raises
    ------
    ValueError
        A matrix of the wrong shape or not Hermitian, an unknown key, a non-finite number.
    """
    h0 = to_array(h_S, name="h_S", ndim=2)
    V0 = [to_array(V, name=f"couplings[{r}]", ndim=2) for r, V in enumerate(couplings)]
    chains = [reservoir_from_spec(spec, f"reservoirs[{r}]") for r, spec in enumerate(reservoirs)]
    if len(V0) != len(chains):
        raise ValueError(f"couplings has {len(V0)} matrices but reservoirs has {len(chains)} entries")
    h_slopes: dict[str, np.ndarray] = {}
    V_slopes: dict[str, list[np.ndarray]] = {}
    domain: dict[str, tuple[float, float]] = {}
    defaults: dict[str, float] = {}
    for pname, spec in (parameters or {}).items():
        unknown = set(spec) - {"default", "h_S", "couplings", "low", "high"}
        if unknown:
            raise ValueError(f"parameters.{pname} has unknown key(s) {sorted(unknown)}; allowed: default, h_S, couplings, low, high")
        if "h_S" in spec:
            h_slopes[pname] = to_array(spec["h_S"], name=f"parameters.{pname}.h_S", ndim=2)
        if "couplings" in spec:
            if len(spec["couplings"]) != len(V0):
                raise ValueError(f"parameters.{pname}.couplings must give one matrix per reservoir ({len(V0)})")
            V_slopes[pname] = [to_array(d, name=f"parameters.{pname}.couplings[{r}]", ndim=2) for r, d in enumerate(spec["couplings"])]
        domain[pname] = (_bound(f"parameters.{pname}.low", spec.get("low", -np.inf)), _bound(f"parameters.{pname}.high", spec.get("high", np.inf)))
        if "default" in spec:
            defaults[pname] = check_real(f"parameters.{pname}.default", spec["default"])
    return affine_open_system(
        name=name,
        reservoirs=chains,
        h_S=h0,
        couplings=V0,
        parameter_domain=domain,
        h_S_slopes=h_slopes,
        coupling_slopes=V_slopes,
        defaults=defaults,
    )
