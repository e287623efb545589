"""Reservoir models for the Green's-function engine: surface Green's functions g_r(z).

A reservoir couples to the system through its ``n_surface`` surface orbitals; with a coupling
matrix V_r of shape (n_surface, n_levels) its self-energy is Sigma_r(z) = V_r^dagger g_r(z) V_r
(DESIGN.md, "Paper 000"). Every reservoir provides, for complex ``z`` of any shape,

* ``surface_greens_function(z)``            -> (..., m, m), g_r(z)
* ``surface_greens_function_derivative(z)`` -> (..., m, m), d g_r / dz
* ``continuum``                             -> the real intervals where Im g_r(e + i0) != 0

Real ``z`` means ``e + i0`` (retarded). Complex ``z`` must be evaluated on the physical sheet:
g_r(z*) = g_r(z)^dagger and g_r(z) ~ 1/z at large |z|. Bound states are searched outside
``continuum``.

Conventions: energies in the model's unit (paper 000 uses t0 = 1.25).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np

from .._validation import check_real

__all__ = [
    "CustomReservoir",
    "LorentzianBand",
    "Reservoir",
    "TightBindingChain",
    "WideBand",
]


@runtime_checkable
class Reservoir(Protocol):
    """What the engine needs of a reservoir (see module docstring)."""

    n_surface: int
    continuum: tuple[tuple[float, float], ...]

    def surface_greens_function(self, z: np.ndarray) -> np.ndarray: ...

    def surface_greens_function_derivative(self, z: np.ndarray) -> np.ndarray: ...


def _as_complex(z: np.ndarray | complex) -> np.ndarray:
    # A real energy is taken as e + i0: np.asarray(..., complex) gives imag = +0.0, which puts
    # the principal square roots and logarithms below on the retarded side of their cuts.
    return np.asarray(z, dtype=complex) + 0.0j


@dataclass(frozen=True)
class TightBindingChain:
    """Semi-infinite tight-binding chain, H_R = e0 sum_j c_j^dag c_j + t0 sum_j (c_j^dag c_{j+1} + h.c.).

    Surface Green's function (exact):

    .. math:: g(z) = \\frac{w - \\sqrt{w - 2t_0}\\,\\sqrt{w + 2t_0}}{2 t_0^2}, \\quad w = z - e_0,

    the branch that decays as 1/z; band ``|e - e0| < 2|t0|``. Used by Kumar, Webb & Stafford (2024)
    for the resonant-level model with t0 = 1.25, e0 = 0.

    Parameters
    ----------
    t0 : float
        Hopping integral, in energy units; must be nonzero (its sign does not matter for g).
    e0 : float
        On-site energy (band centre), in energy units.
    """

    t0: float
    e0: float = 0.0
    n_surface: int = field(default=1, init=False)

    def __post_init__(self) -> None:
        t0 = check_real("t0", self.t0)
        if t0 == 0.0:
            raise ValueError("t0 must be nonzero (a chain with no hopping has no band)")
        object.__setattr__(self, "t0", t0)
        object.__setattr__(self, "e0", check_real("e0", self.e0))

    @property
    def half_bandwidth(self) -> float:
        return 2.0 * abs(self.t0)

    @property
    def continuum(self) -> tuple[tuple[float, float], ...]:
        return ((self.e0 - self.half_bandwidth, self.e0 + self.half_bandwidth),)

    def _root(self, z: np.ndarray) -> np.ndarray:
        w = _as_complex(z) - self.e0
        b = self.half_bandwidth
        # product of principal roots: the branch with root ~ w at large |w| on both half planes
        return np.sqrt(w - b) * np.sqrt(w + b)

    def surface_greens_function(self, z: np.ndarray) -> np.ndarray:
        # (w - r) / 2 t0^2 written as 2 / (w + r): no cancellation far outside the band
        w = _as_complex(z) - self.e0
        return (2.0 / (w + self._root(z)))[..., None, None]

    def surface_greens_function_derivative(self, z: np.ndarray) -> np.ndarray:
        # (1 - w / r) / 2 t0^2 = -g / r
        w = _as_complex(z) - self.e0
        r = self._root(z)
        return (-2.0 / ((w + r) * r))[..., None, None]

    def describe(self) -> str:
        return f"semi-infinite tight-binding chain (t0={self.t0:g}, e0={self.e0:g})"


@dataclass(frozen=True)
class WideBand:
    """Flat band of half-width ``D`` with normalised density 1/(2D): the wide-band limit *with* its cutoff.

    ``g(z) = (1/2D) ln[(z - e0 + D) / (z - e0 - D)]``, so that for ``|e - e0| << D``,
    ``Sigma = |V|^2 g ~ -i Gamma/2`` with ``Gamma = pi |V|^2 / D``, and ``d Sigma / d e ~ 0``.

    The cutoff is explicit on purpose: in the wide-band limit N and S of the system converge,
    but U_S, Omega_S, <H_SR> and the reservoir changes dU_R, dOmega_R grow like ln D
    (DESIGN.md, trap 5). Keep ``D`` fixed and report it with any energy-like result; use
    :meth:`coupling_for_gamma` to hold Gamma fixed while D grows.

    Parameters
    ----------
    D : float
        Half-width of the band, in energy units, > 0.
    e0 : float
        Band centre, in energy units.
    """

    D: float
    e0: float = 0.0
    n_surface: int = field(default=1, init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "D", check_real("D", self.D, low=0.0, low_inclusive=False))
        object.__setattr__(self, "e0", check_real("e0", self.e0))

    @property
    def continuum(self) -> tuple[tuple[float, float], ...]:
        return ((self.e0 - self.D, self.e0 + self.D),)

    def coupling_for_gamma(self, gamma: float) -> float:
        """The coupling V giving level width Gamma = pi V^2 / D at the band centre."""
        gamma = check_real("gamma", gamma, low=0.0)
        return float(np.sqrt(gamma * self.D / np.pi))

    def surface_greens_function(self, z: np.ndarray) -> np.ndarray:
        w = _as_complex(z) - self.e0
        g = (np.log(w + self.D) - np.log(w - self.D)) / (2.0 * self.D)
        return g[..., None, None]

    def surface_greens_function_derivative(self, z: np.ndarray) -> np.ndarray:
        w = _as_complex(z) - self.e0
        dg = (1.0 / (w + self.D) - 1.0 / (w - self.D)) / (2.0 * self.D)
        return dg[..., None, None]

    def describe(self) -> str:
        return f"flat (wide) band, half-width D={self.D:g}, centre e0={self.e0:g}"


@dataclass(frozen=True)
class LorentzianBand:
    """Reservoir with a Lorentzian surface density of states of half-width ``W`` at ``e0``.

    g(z) = 1 / (z - e0 + i W sign(Im z)), retarded on the real axis; its continuum is the
    whole real axis, so it has no bound states. Its DOS falls as 1/e^2, so U and Omega converge
    without a cutoff (unlike :class:`WideBand` as D -> inf).

    Parameters
    ----------
    W : float
        Half-width at half-maximum, in energy units, > 0.
    e0 : float
        Centre, in energy units.
    """

    W: float
    e0: float = 0.0
    n_surface: int = field(default=1, init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "W", check_real("W", self.W, low=0.0, low_inclusive=False))
        object.__setattr__(self, "e0", check_real("e0", self.e0))

    @property
    def continuum(self) -> tuple[tuple[float, float], ...]:
        return ((-np.inf, np.inf),)

    def _denominator(self, z: np.ndarray) -> np.ndarray:
        z = _as_complex(z)
        side = np.where(np.imag(z) < 0.0, -1.0, 1.0)  # real z: retarded side
        return z - self.e0 + 1j * self.W * side

    def surface_greens_function(self, z: np.ndarray) -> np.ndarray:
        return (1.0 / self._denominator(z))[..., None, None]

    def surface_greens_function_derivative(self, z: np.ndarray) -> np.ndarray:
        return (-1.0 / self._denominator(z) ** 2)[..., None, None]

    def describe(self) -> str:
        return f"Lorentzian band (W={self.W:g}, e0={self.e0:g})"


@dataclass(frozen=True)
class CustomReservoir:
    """A reservoir given by the user's own surface Green's function and its z-derivative.

    Parameters
    ----------
    greens_function : callable
        ``g(z) -> (..., m, m)`` for complex ``z`` of any shape; real ``z`` means e + i0.
    greens_function_derivative : callable
        ``dg/dz(z) -> (..., m, m)``; needed for delta g_R and the nonlocal work (Eq. 21).
    continuum : tuple of (low, high)
        The energy intervals where the reservoir has states; bound states are searched outside.
    n_surface : int
        m, the number of surface orbitals.
    name : str
        Shown in reports.
    """

    greens_function: Callable[[np.ndarray], np.ndarray]
    greens_function_derivative: Callable[[np.ndarray], np.ndarray]
    continuum: tuple[tuple[float, float], ...]
    n_surface: int = 1
    name: str = "custom reservoir"

    def __post_init__(self) -> None:
        if not callable(self.greens_function) or not callable(self.greens_function_derivative):
            raise ValueError("greens_function and greens_function_derivative must be callables g(z)")
        if int(self.n_surface) < 1:
            raise ValueError(f"n_surface must be a positive integer, got {self.n_surface!r}")
        intervals = []
        for k, interval in enumerate(self.continuum):
            lo, hi = (float(v) for v in interval)
            if not lo < hi:
                raise ValueError(f"continuum[{k}] must be an interval (low < high), got {interval!r}")
            intervals.append((lo, hi))
        object.__setattr__(self, "continuum", tuple(sorted(intervals)))

    def _call(self, fn: Callable[[np.ndarray], np.ndarray], z: np.ndarray, what: str) -> np.ndarray:
        z = _as_complex(z)
        out = np.asarray(fn(z), dtype=complex)
        m = self.n_surface
        if out.shape == z.shape and m == 1:
            out = out[..., None, None]
        if out.shape != z.shape + (m, m):
            raise ValueError(f"{what} must return shape {z.shape + (m, m)} for z of shape {z.shape}, got {out.shape}")
        if not np.all(np.isfinite(out)):
            raise ValueError(f"{what} returned NaN or inf")
        return out

    def surface_greens_function(self, z: np.ndarray) -> np.ndarray:
        return self._call(self.greens_function, z, "greens_function")

    def surface_greens_function_derivative(self, z: np.ndarray) -> np.ndarray:
        return self._call(self.greens_function_derivative, z, "greens_function_derivative")

    def describe(self) -> str:
        return self.name
