"""The finite universe: a system coupled to reservoirs represented as chains cut at L sites.

One builder for every road that needs the universe's one-body Hamiltonian: the finite-chain
road of this engine (:mod:`strongtherm.negf.finite_chain`, exact diagonalization), the bridge's
mean force and quenches on a finite chain (:mod:`strongtherm.gaussian`) and the exact time
evolution of the dynamics wing (:mod:`strongtherm.dynamics`). The Hamiltonian

.. math:: h = \\begin{pmatrix} h_S & V_1^\\dagger & V_2^\\dagger & \\cdots \\\\
                                V_1 & h_{R,1} & & \\\\ V_2 & & h_{R,2} & \\\\ \\vdots & & & \\ddots
                \\end{pmatrix}

(system levels first, then the sites of each chain, chain site 1 being the surface site that
couples through V_r) is held as a fixed sparse part (the chains) plus a small dense block on the
system and the first sites of every chain, which carries all parameter dependence.

Every reservoir is a semi-infinite chain: site 1 is the reservoir's surface orbital (it couples
to the system through V_r, as in the Green's-function engine), with on-site energies a_j and
hoppings b_j between sites j and j + 1. Its surface Green's function is the continued fraction
g(z) = 1 / (z - a_1 - b_1^2 / (z - a_2 - b_2^2 / ...)), so a chain with the recursion (Lanczos)
coefficients of the surface spectral density rho(e) = -Im g(e + i0) / pi reproduces the
reservoir exactly.

Mappings
--------
* :class:`~strongtherm.negf.TightBindingChain`: a_j = e0, b_j = t0 (exact, the reservoir *is* a chain).
* :class:`~strongtherm.negf.WideBand` (flat rho = 1/(2D) on [e0 - D, e0 + D]): the recursion
  coefficients of the uniform measure are those of the Legendre polynomials,
  a_j = e0, b_j = D j / sqrt(4 j^2 - 1) (exact; b_j -> D / 2, so it behaves far out as a chain of
  hopping D / 2 and maximal group velocity D).
* :class:`~strongtherm.negf.LorentzianBand` (rho Lorentzian of half-width W at e0): its moments
  diverge, so no chain reproduces it exactly. We map it onto its surface site (a_1 = e0) coupled by
  b_1 = sqrt(2 W D' / pi) to a flat band of half-width D' (the Legendre chain above), whose
  self-energy -i pi b_1^2 / (2 D') = -i W is the Lorentzian's inside abs(e - e0) << D'. The relative
  error of g is O(W / D') (real part of the flat band's self-energy and its edges); D' is the
  ``lorentzian_cutoff`` (default 20 W), reported in the mapping's description.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp

from ..core.validation import check_real
from .reservoirs import LorentzianBand, TightBindingChain, WideBand
from .system import OpenSystem

__all__ = ["LORENTZIAN_CUTOFF", "ChainMapping", "Universe", "chain_mapping"]

#: Default Lorentzian cutoff D' in units of its half-width W.
LORENTZIAN_CUTOFF = 20.0


@dataclass(frozen=True)
class ChainMapping:
    """Recursion coefficients of one reservoir's chain (see the module docstring).

    Attributes
    ----------
    onsite : callable
        ``onsite(L) -> (L,)`` on-site energies a_1 .. a_L, in units of energy.
    hopping : callable
        ``hopping(L) -> (L - 1,)`` hoppings b_1 .. b_{L-1}.
    far_hopping : float
        lim b_j: far out the chain is uniform with this hopping.
    band_centre : float
        lim a_j.
    max_hopping : float
        max_j abs(b_j) (sets v_max = 2 max abs(b_j)).
    exact : bool
        Whether the semi-infinite chain reproduces the reservoir's g(z) exactly.
    description : str
    """

    onsite: object = field(repr=False)
    hopping: object = field(repr=False)
    far_hopping: float
    band_centre: float
    max_hopping: float
    exact: bool
    description: str

    @property
    def max_velocity(self) -> float:
        """v_max = 2 max abs(b_j) (sites per unit time)."""
        return 2.0 * self.max_hopping

    def fermi_velocity(self, mu: float) -> float:
        """Group velocity at mu of the uniform far chain, floored at 10 % of v_max (mu near or
        outside the band edge, where the estimate of the finite-size error loses its meaning)."""
        b = abs(self.far_hopping)
        v = math.sqrt(max(4.0 * b * b - (mu - self.band_centre) ** 2, 0.0))
        return max(v, 0.1 * self.max_velocity)

    def surface_greens_function(self, z: complex, L: int) -> complex:
        """g(z) of the chain cut at L sites (continued fraction), for checks against the reservoir."""
        a, b = self.onsite(L), self.hopping(L)  # type: ignore[operator]
        g = 1.0 / (z - a[-1])
        for j in range(L - 2, -1, -1):
            g = 1.0 / (z - a[j] - b[j] ** 2 * g)
        return complex(g)


def _legendre_hoppings(D: float, count: int, offset: int = 0) -> np.ndarray:
    j = np.arange(1 + offset, count + 1 + offset, dtype=float)
    return D * j / np.sqrt(4.0 * j * j - 1.0)


def chain_mapping(reservoir: object, *, lorentzian_cutoff: float = LORENTZIAN_CUTOFF) -> ChainMapping:
    """The chain of ``reservoir`` (TightBindingChain, WideBand or LorentzianBand).

    Parameters
    ----------
    reservoir
        A reservoir of an :class:`~strongtherm.negf.OpenSystem` with one surface orbital.
    lorentzian_cutoff
        D' / W for a LorentzianBand (> 1; error of g is O(W / D')).

    Raises
    ------
    ValueError
        For any other reservoir type (no chain representation is known for it).
    """
    if isinstance(reservoir, TightBindingChain):
        t0, e0 = reservoir.t0, reservoir.e0
        return ChainMapping(
            onsite=lambda L: np.full(L, e0),
            hopping=lambda L: np.full(L - 1, t0),
            far_hopping=t0,
            band_centre=e0,
            max_hopping=abs(t0),
            exact=True,
            description=f"tight-binding chain t0={t0:g}, e0={e0:g} (exact)",
        )
    if isinstance(reservoir, WideBand):
        D, e0 = reservoir.D, reservoir.e0
        return ChainMapping(
            onsite=lambda L: np.full(L, e0),
            hopping=lambda L: _legendre_hoppings(D, L - 1),
            far_hopping=0.5 * D,
            band_centre=e0,
            max_hopping=0.5 * D,
            exact=True,
            description=f"flat band D={D:g}, e0={e0:g}: Legendre recursion b_j = D j / sqrt(4 j^2 - 1) (exact)",
        )
    if isinstance(reservoir, LorentzianBand):
        cutoff = check_real("lorentzian_cutoff", lorentzian_cutoff, low=1.0, low_inclusive=False)
        W, e0 = reservoir.W, reservoir.e0
        Dp = cutoff * W
        b1 = math.sqrt(2.0 * W * Dp / math.pi)

        def hopping(L: int) -> np.ndarray:
            return np.concatenate([[b1], _legendre_hoppings(Dp, L - 2)]) if L > 1 else np.zeros(0)

        return ChainMapping(
            onsite=lambda L: np.full(L, e0),
            hopping=hopping,
            far_hopping=0.5 * Dp,
            band_centre=e0,
            max_hopping=max(b1, 0.5 * Dp),
            exact=False,
            description=(
                f"Lorentzian W={W:g}, e0={e0:g}: surface site coupled (b_1={b1:.6g}) to a flat band of half-width "
                f"D'={Dp:g} (approximate, relative error of g ~ W/D' = {W / Dp:.2g})"
            ),
        )
    name = type(reservoir).__name__
    raise ValueError(
        f"reservoir {name} has no chain representation: the dynamics engine supports TightBindingChain, "
        "WideBand and LorentzianBand reservoirs"
    )


class _Pattern(NamedTuple):
    """The CSR pattern of :meth:`Universe.scaled_operator` and where h_fixed, the block and the
    diagonal sit in its data array."""

    indptr: np.ndarray
    indices: np.ndarray
    base: np.ndarray  # h_fixed written into the pattern
    block_positions: np.ndarray
    diagonal_positions: np.ndarray


class Universe:
    """System + chains cut at L sites: the one-body Hamiltonian split into a fixed sparse part and
    a small dense block that carries all parameter dependence.

    Basis: the n system levels, then the L sites of chain 0 (surface first), chain 1, ...
    ``ext`` indexes the system and the first ``depth`` sites of every chain; the parameters enter
    only h[S, S] and h[surface, S], so commutators of h with a change of h stay inside ``ext``
    for up to depth - 1 nestings (the Magnus integrator of :mod:`strongtherm.dynamics` needs three).

    Parameters
    ----------
    model : OpenSystem
        Each reservoir has one surface orbital and a chain mapping (:func:`chain_mapping`).
    L : int
        Sites per chain, >= 1 (trusted: the public callers check it).
    mappings : tuple of ChainMapping, optional
        The chains of the reservoirs; default :func:`chain_mapping` of each.
    depth : int
        Chain sites per reservoir inside ``ext``.
    lorentzian_cutoff : float
        D' / W of the default mapping of a LorentzianBand.

    Raises
    ------
    ValueError
        For a reservoir without a chain representation (default mappings only).
    """

    def __init__(
        self,
        model: OpenSystem,
        L: int,
        mappings: tuple[ChainMapping, ...] | None = None,
        *,
        depth: int = 5,
        lorentzian_cutoff: float = LORENTZIAN_CUTOFF,
    ) -> None:
        if mappings is None:
            mappings = tuple(chain_mapping(r, lorentzian_cutoff=lorentzian_cutoff) for r in model.reservoirs)
        self.model = model
        self.L = L
        self.n = n = model.n_levels
        self.R = R = len(model.reservoirs)
        self.size = n + R * L
        self.mappings = mappings
        rows, cols, vals = [], [], []
        for r, m in enumerate(mappings):
            o = n + r * L
            a, b = m.onsite(L), m.hopping(L)  # type: ignore[operator]
            idx = np.arange(L)
            rows += [o + idx, o + idx[:-1], o + idx[1:]]
            cols += [o + idx, o + idx[1:], o + idx[:-1]]
            vals += [a, b, b]
        self.h_fixed = sp.csr_matrix(
            (np.concatenate(vals).astype(complex), (np.concatenate(rows), np.concatenate(cols))), shape=(self.size, self.size)
        )
        depth = min(depth, L)
        self.ext = np.concatenate([np.arange(n)] + [n + r * L + np.arange(depth) for r in range(R)])
        self.surface = np.array([n + r * L for r in range(R)])
        self.h_fixed_ext = self.h_fixed[self.ext][:, self.ext].toarray()
        # positions inside ext of the system levels and of the surface sites
        self.ext_system = np.arange(n)
        self.ext_surface = np.array([n + r * depth for r in range(R)])
        self.reservoir_mask = np.ones(self.size, dtype=bool)
        self.reservoir_mask[:n] = False
        # Gershgorin bounds of the fixed part (the chains)
        absrow = np.asarray(abs(self.h_fixed).sum(axis=1)).ravel()
        diag = self.h_fixed.diagonal().real
        self.fixed_bounds = (float(np.min(diag - (absrow - np.abs(diag)))), float(np.max(diag + (absrow - np.abs(diag)))))

    @cached_property
    def _pattern(self) -> _Pattern:
        """One CSR pattern holding h_fixed, the ext x ext block and the diagonal, so that a step's
        operator (h_fixed + B - c) / r is assembled by writing into its data array (no sparse algebra).

        Built on first use: only the time evolution needs it, and it costs a Python loop over
        the pattern's rows (the finite-chain road builds a universe per parameter point)."""
        size = self.size
        ext_r, ext_c = np.meshgrid(self.ext, self.ext, indexing="ij")
        coo = self.h_fixed.tocoo()
        rows = np.concatenate([coo.row, ext_r.ravel(), np.arange(size)])
        cols = np.concatenate([coo.col, ext_c.ravel(), np.arange(size)])
        pattern = sp.csr_matrix((np.ones(rows.size), (rows, cols)), shape=(size, size))
        pattern.sum_duplicates()
        pattern.sort_indices()
        indptr, indices = pattern.indptr, pattern.indices

        def position(r: np.ndarray, c: np.ndarray) -> np.ndarray:
            starts = indptr[r]
            out = np.empty(r.size, dtype=np.int64)
            for k, (row, col) in enumerate(zip(r, c, strict=True)):
                seg = indices[starts[k] : indptr[row + 1]]
                out[k] = starts[k] + int(np.searchsorted(seg, col))
            return out

        base = np.zeros(indices.size, dtype=complex)
        np.add.at(base, position(coo.row, coo.col), coo.data)
        return _Pattern(
            indptr, indices, base, position(ext_r.ravel(), ext_c.ravel()), position(np.arange(size), np.arange(size))
        )

    def scaled_operator(self, block: np.ndarray, centre: float, factor: float) -> sp.csr_matrix:
        """factor * (h_fixed + block on ext - centre), as a CSR matrix (for the Chebyshev recurrence)."""
        pattern = self._pattern
        data = pattern.base.copy()
        data[pattern.block_positions] += block.ravel()
        data[pattern.diagonal_positions] -= centre
        data *= factor
        return sp.csr_matrix((data, pattern.indices, pattern.indptr), shape=(self.size, self.size))

    def block(self, params: Mapping[str, float], *, checked: bool = True) -> np.ndarray:
        """The parameter-dependent part of h on ext: h_S and the couplings V_r, shape (len(ext), len(ext)).

        ``checked=False`` skips the model's shape and Hermiticity checks (the time loop, after the
        same functions passed them at t = 0).
        """
        B = np.zeros((self.ext.size, self.ext.size), dtype=complex)
        n = self.n
        if checked:
            h_S, Vs = self.model.h_S(params), self.model.V(params)
        else:
            h_S, Vs = self.model.system_hamiltonian(params), self.model.couplings(params)
        B[:n, :n] = h_S
        for s, V_r in zip(self.ext_surface, Vs, strict=True):
            V_r = np.asarray(V_r)
            B[s, :n] = V_r[0]
            B[:n, s] = V_r[0].conj()
        return B

    def block_derivative(self, params: Mapping[str, float], rates: Mapping[str, float], *, checked: bool = True) -> np.ndarray:
        """dh/dt on ext: sum_k (d lambda_k/dt) (dh_S/d lambda_k, dV_r/d lambda_k)."""
        B = np.zeros((self.ext.size, self.ext.size), dtype=complex)
        n = self.n
        model = self.model
        fast = not checked and model.system_hamiltonian_derivative is not None and model.couplings_derivative is not None
        for name, rate in rates.items():
            if rate == 0.0:
                continue
            if fast:
                dh, dVs = model.system_hamiltonian_derivative(params, name), model.couplings_derivative(params, name)  # type: ignore[misc]
            else:
                dh, dVs = model.dh_S(params, name), model.dV(params, name)
            B[:n, :n] += rate * np.asarray(dh)
            for s, dV in zip(self.ext_surface, dVs, strict=True):
                dV = np.asarray(dV)
                B[s, :n] += rate * dV[0]
                B[:n, s] += rate * dV[0].conj()
        return B

    def dense(self, params: Mapping[str, float], block: np.ndarray | None = None) -> np.ndarray:
        """The full one-body Hamiltonian, shape (size, size), complex (dense: outside a time loop only).

        Coupling blocks h[chain_r surface, S] = V_r, h[S, chain_r surface] = V_r^dagger. ``block``:
        :meth:`block` at ``params`` when the caller has it already (the model is not called again).
        """
        h = self.h_fixed.toarray()
        h[np.ix_(self.ext, self.ext)] += self.block(params) if block is None else block
        return h

    def apply(self, block: np.ndarray, X: np.ndarray) -> np.ndarray:
        """(h_fixed + block on ext) @ X, X of shape (size, m): sparse, O(size m)."""
        Y = self.h_fixed @ X
        Y[self.ext] += block @ X[self.ext]
        return Y
