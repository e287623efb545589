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

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np

from ..core.validation import check_integer, check_real

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

    # read-only members: frozen dataclasses (fields) and classes with properties both satisfy them
    @property
    def n_surface(self) -> int: ...

    @property
    def continuum(self) -> tuple[tuple[float, float], ...]: ...

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

    def _real_root(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Real and imaginary parts of sqrt(x - b + 0j) sqrt(x + b + 0j) at real ``x`` (e + i0, the
        transport windows), from real roots at a third of the complex ones' cost: with
        p = sqrt(abs(x - b)) sqrt(abs(x + b)), the product is p (x >= b), i p (-b <= x < b) or -p (x < -b)."""
        b = self.half_bandwidth
        p = np.sqrt(np.abs(x - b)) * np.sqrt(np.abs(x + b))
        inside = (x < b) & (x >= -b)
        return np.where(inside, 0.0, np.copysign(p, x)), np.where(inside, p, 0.0)

    def _root(self, w: np.ndarray) -> np.ndarray:
        """sqrt(w - b) sqrt(w + b) (principal roots: the branch with root ~ w at large abs(w) on
        both half planes) of complex ``w``."""
        if w.imag.any():
            b = self.half_bandwidth
            return np.sqrt(w - b) * np.sqrt(w + b)
        root = np.empty(w.shape, dtype=complex)
        root.real, root.imag = self._real_root(w.real)
        return root

    def surface_greens_function(self, z: np.ndarray) -> np.ndarray:
        # (w - r) / 2 t0^2 written as 2 / (w + r): no cancellation far outside the band
        z = np.asarray(z)
        if np.iscomplexobj(z) and z.imag.any():
            w = _as_complex(z) - self.e0
            return (2.0 / (w + self._root(w)))[..., None, None]
        return self.real_surface_values(np.asarray(z.real, dtype=float))[..., None, None]

    def real_surface_values(self, e: np.ndarray) -> np.ndarray:
        """g(e + i0) at real energies ``e`` (float array), shape of ``e``: the real-energy branch of
        :meth:`surface_greens_function` without its (..., 1, 1) axes, for the transport windows'
        one-orbital integrands (:func:`strongtherm.negf.fermi_window.surface_values`)."""
        # w + r assembled from its real and imaginary parts (the same numbers as the complex sum),
        # so that the division is the only complex operation
        x = e - self.e0
        real, imag = self._real_root(x)
        denominator = np.empty(x.shape, dtype=complex)
        denominator.real, denominator.imag = x + real, imag
        return 2.0 / denominator

    def surface_value(self, e: float) -> complex:
        """g(e + i0) at one real energy, in numbers: the operations of the real-energy branch of
        :meth:`surface_greens_function`, the same floats (the division in numpy's complex
        arithmetic, not Python's, which rounds differently), for the resonance search's
        fixed-point steps, where an array call would cost ~10 us a step."""
        x = e - self.e0
        b = self.half_bandwidth
        p = math.sqrt(abs(x - b)) * math.sqrt(abs(x + b))
        inside = x < b and x >= -b
        denominator = complex(x + (0.0 if inside else math.copysign(p, x)), p if inside else 0.0)
        return complex(2.0 / np.complex128(denominator))

    def surface_greens_function_derivative(self, z: np.ndarray) -> np.ndarray:
        # (1 - w / r) / 2 t0^2 = -g / r
        w = _as_complex(z) - self.e0
        r = self._root(w)
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
        D = self.D
        near = (np.log(w + D) - np.log(w - D)) / (2.0 * D)
        # far from the band the difference of logs cancels (relative error ~ eps |w| / D);
        # ln[(w + D)/(w - D)] = log1p(2D / (w - D)) with |2D / (w - D)| < 2/3: no cut, no cancellation
        with np.errstate(divide="ignore", invalid="ignore"):
            far = np.log1p(2.0 * D / (w - D)) / (2.0 * D)
        return np.where(np.abs(w) > 4.0 * D, far, near)[..., None, None]

    def surface_greens_function_derivative(self, z: np.ndarray) -> np.ndarray:
        w = _as_complex(z) - self.e0
        # (1/(w + D) - 1/(w - D)) / 2D written without the cancellation at large |w|
        dg = -1.0 / ((w + self.D) * (w - self.D))
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
    check : bool
        Validate ``g`` and ``dg`` at construction (default True; see Raises) and causality on
        every use.

    Raises
    ------
    ValueError
        At construction, when sampled in and around the continuum (``check=True``): ``g`` is not
        causal (Im g(z) > 0, i.e. an eigenvalue of (g - g^dagger)/2i above 0, for Im z > 0: a
        retarded g has Im g <= 0 there); ``dg`` disagrees with a central difference of ``g``
        (e.g. its sign is wrong); ``g(e + i0)`` is not Hermitian outside ``continuum`` (the
        continuum is wider than declared) or is Hermitian everywhere inside a declared interval
        (no states there); ``g`` does not decay as 1/z when the continuum is bounded. On use:
        ``g`` not causal at a node of the engine's contour.
    """

    greens_function: Callable[[np.ndarray], np.ndarray]
    greens_function_derivative: Callable[[np.ndarray], np.ndarray]
    continuum: tuple[tuple[float, float], ...]
    n_surface: int = 1
    name: str = "custom reservoir"
    check: bool = True

    def __post_init__(self) -> None:
        if not callable(self.greens_function) or not callable(self.greens_function_derivative):
            raise TypeError("greens_function and greens_function_derivative must be callables g(z)")
        check_integer("n_surface", self.n_surface, low=1)
        if isinstance(self.continuum, str) or not hasattr(self.continuum, "__iter__"):
            raise TypeError(f"continuum must be a tuple of (low, high) intervals, got {self.continuum!r}")
        intervals = []
        for k, interval in enumerate(self.continuum):
            if isinstance(interval, str) or not hasattr(interval, "__len__") or len(interval) != 2:
                raise TypeError(f"continuum[{k}] must be a (low, high) pair, got {interval!r}")
            lo = check_real(f"continuum[{k}][0]", interval[0], allow_infinite=True)
            hi = check_real(f"continuum[{k}][1]", interval[1], allow_infinite=True)
            if not lo < hi:
                raise ValueError(f"continuum[{k}] must be an interval (low < high), got {interval!r}")
            intervals.append((lo, hi))
        if not intervals:
            raise ValueError("continuum must contain at least one (low, high) interval")
        object.__setattr__(self, "continuum", tuple(sorted(intervals)))
        if self.check:
            _check_custom_reservoir(self)

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
        g = self._call(self.greens_function, z, "greens_function")
        if self.check:  # on use: causality at every node above the real axis (diagonal: cheap)
            z = _as_complex(z)
            im_diag = np.imag(np.diagonal(g, axis1=-2, axis2=-1))
            bad = (np.imag(z)[..., None] > 0.0) & (im_diag > _CAUSALITY_RTOL * (1.0 + np.abs(g).max(axis=(-2, -1)))[..., None])
            if np.any(bad):
                where = np.argwhere(bad)[0]
                z_bad = complex(z[tuple(where[:-1])]) if z.ndim else complex(z)
                raise ValueError(
                    f"{self.name}: greens_function is not causal: Im g_{where[-1]}{where[-1]}(z) > 0 at z = {z_bad:.6g}; "
                    "a retarded surface Green's function has Im g <= 0 for Im z > 0"
                )
        return g

    def surface_greens_function_derivative(self, z: np.ndarray) -> np.ndarray:
        return self._call(self.greens_function_derivative, z, "greens_function_derivative")

    def describe(self) -> str:
        return self.name


#: Relative tolerances of the checks of a CustomReservoir (g values are O(1/scale)).
_CAUSALITY_RTOL = 1e-10
_DERIVATIVE_RTOL = 1e-5


def _check_custom_reservoir(res: CustomReservoir) -> None:
    """Sample ``res`` in and around its continuum; raise ValueError naming what is wrong."""
    finite = [e for iv in res.continuum for e in iv if np.isfinite(e)]
    lo, hi = (min(finite), max(finite)) if finite else (-1.0, 1.0)
    width = max(hi - lo, 1e-3 * max(1.0, abs(lo), abs(hi)), 1e-12)
    centre = 0.5 * (lo + hi)

    def herm_defect(g: np.ndarray) -> np.ndarray:
        """Eigenvalues of (g - g^dagger) / 2i, i.e. 'Im g' of a matrix, shape (..., m)."""
        return np.linalg.eigvalsh((g - np.conj(np.swapaxes(g, -1, -2))) / 2j)

    def size(g: np.ndarray) -> np.ndarray:
        return np.abs(g).max(axis=(-2, -1))

    # causality: Im g <= 0 above the real axis, from just above it to far away
    e = centre + width * np.linspace(-2.0, 2.0, 41)
    heights = width * np.array([1e-4, 1e-2, 0.3, 3.0])
    z = (e[:, None] + 1j * heights[None, :]).ravel()
    g = res._call(res.greens_function, z, "greens_function")
    im = herm_defect(g).max(axis=-1)
    scale = float(size(g).max())
    k = int(np.argmax(im))
    if im[k] > _CAUSALITY_RTOL * (1.0 + scale):
        raise ValueError(
            f"{res.name}: greens_function is not causal: Im g(z) has eigenvalue {im[k]:.3g} > 0 at z = {z[k]:.6g}; "
            "a retarded surface Green's function has Im g <= 0 for Im z > 0 (did you give the advanced one?)"
        )
    # the derivative: central differences of g at the points off the axis (g smooth there)
    off = z[np.imag(z) >= 0.01 * width]
    step = 1e-4 * np.imag(off)
    fd = (res._call(res.greens_function, off + step, "greens_function")
          - res._call(res.greens_function, off - step, "greens_function")) / (2.0 * step[:, None, None])
    dg = res._call(res.greens_function_derivative, off, "greens_function_derivative")
    defect = size(dg - fd)
    allowed = _DERIVATIVE_RTOL * (size(fd) + float(size(fd).max()) * 1e-3)
    k = int(np.argmax(defect / allowed))
    if defect[k] > allowed[k]:
        sign = " (its sign is flipped)" if size(dg + fd)[k] < allowed[k] else ""
        raise ValueError(
            f"{res.name}: greens_function_derivative disagrees with a central difference of greens_function "
            f"at z = {off[k]:.6g}: |dg - dg_fd| = {defect[k]:.3g} with |dg_fd| = {size(fd)[k]:.3g}{sign}; "
            "it must be dg/dz of the same function"
        )
    # the continuum: g(e + i0) Hermitian outside the declared intervals, not inside them
    real_e = np.unique(np.concatenate([e, centre + width * np.array([-50.0, -10.0, 10.0, 50.0])]))
    inside = np.array([any(a < x < b for a, b in res.continuum) for x in real_e])
    near_edge = np.array([any(abs(x - b) < 1e-3 * width for iv in res.continuum for b in iv) for x in real_e])
    g_real = res._call(res.greens_function, real_e, "greens_function")
    im_real = np.abs(herm_defect(g_real)).max(axis=-1)
    threshold = 1e-8 * (1.0 + size(g_real))
    outside = ~inside & ~near_edge & (im_real > threshold)
    if np.any(outside):
        x = real_e[outside][0]
        raise ValueError(
            f"{res.name}: Im g(e + i0) = {im_real[outside][0]:.3g} != 0 at e = {x:.6g}, outside the declared "
            f"continuum {res.continuum}; declare every interval where the reservoir has states"
        )
    for a, b in res.continuum:
        if np.isfinite(a) and np.isfinite(b):
            gi = res._call(res.greens_function, a + (b - a) * np.array([0.1, 0.3, 0.5, 0.7, 0.9]), "greens_function")
            if np.all(np.abs(herm_defect(gi)).max(axis=-1) <= 1e-8 * (1.0 + size(gi))):
                raise ValueError(
                    f"{res.name}: the declared continuum interval ({a:g}, {b:g}) has Im g(e + i0) = 0 at every "
                    "sample: no states there (is greens_function retarded on the real axis?)"
                )
    # decay ~ 1/z when the continuum is bounded (the contour and the bound-state search need it)
    if all(np.isfinite(x) for iv in res.continuum for x in iv):
        R = (abs(centre) + width) * np.array([1e3, 1e5])
        far = res._call(res.greens_function, 1j * R + centre, "greens_function")
        zg = size(far) * R
        if zg[1] > 10.0 * zg[0] + 1e-12:
            raise ValueError(
                f"{res.name}: greens_function does not decay as 1/z (|z g| grows from {zg[0]:.3g} to {zg[1]:.3g}); "
                "a reservoir with a bounded continuum must have g ~ 1/z at large |z|"
            )
