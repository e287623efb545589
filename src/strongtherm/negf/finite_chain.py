"""Finite-chain road: exact single-particle diagonalization of system + truncated chains.

An independent check of the Green's-function engine (DESIGN.md, "Validation"): every
semi-infinite :class:`~strongtherm.negf.reservoirs.TightBindingChain` of an
:class:`~strongtherm.negf.system.OpenSystem` is cut to ``L`` sites, the universe one-body
Hamiltonian

.. math:: h = \\begin{pmatrix} h_S & V_1^\\dagger & V_2^\\dagger & \\cdots \\\\
                                V_1 & h_{R,1} & & \\\\ V_2 & & h_{R,2} & \\\\ \\vdots & & & \\ddots
                \\end{pmatrix}

(system levels first, then the sites of each chain, chain site 1 being the surface site that
couples through V_r) is diagonalized with one ``numpy.linalg.eigh``, ``h |k> = e_k |k>``, and the
quasistatic thermodynamics of Kumar, Webb & Stafford, PRL 133, 070404 (2024) is evaluated with
the Hilbert-space partition (Eq. 12) in its discrete form:

* system weights ``w_k = ||Pi_S |k>||^2`` (the discrete g_S(e) = sum_k w_k delta(e - e_k));
* system state functions X_S = sum_k w_k x(e_k) with x = f, e f, s, omega (Eqs. 6, 8-10);
* reservoir changes (Friedel-like, Eq. 15) delta X_R = sum_k (1 - w_k) x(e_k) - sum_q x(e_q^0),
  e_q^0 the eigenvalues of the isolated L-site chains, e0 + 2 t0 cos(pi q / (L + 1));
* the correlation matrix C = f(h), C_ij = <a_j^dag a_i>, from which <H_S> = Tr[h_S C_SS] and
  <H_SR> = 2 Re sum_r Tr[V_r C_{S, r}], so that U_S = <H_S> + <H_SR>/2 (Eq. 14) is an algebraic
  identity checked to rounding;
* the alpha partition (Eqs. 22, 24) and the powers <dH/dlambda> = Tr[dh/dlambda C] split into
  system and coupling parts (Eqs. 19-20).

Nothing here uses the Green's-function engine (spectral / integrate / partition modules).

Finite size
-----------
The continuum is replaced by levels spaced by about 2 pi t0 sin(theta) / L. Thermal sums converge
once that spacing is well below T, and then fast: the errors fall roughly like
exp(-c T L / t0) (a Poisson-summation estimate). For the resonant level at the paper's T = 0.02,
t0 = 1.25, the largest error of any state function against the quad reference was
~5e-2, 7e-4, 6e-8, 2e-13 at L = 100, 200, 400, 800. Bound states converge exponentially in L
(their tail decays as e^{-kappa j}). The far end of the chain is the same with and without the
system, and its contribution cancels in delta X_R: no power-law tail in 1/L was seen. What is left
at large L is rounding, growing like L x 1e-16 in the reservoir sums (~5e-13 at L = 1600).
Optionally, ``n_average`` > 1 averages the results over the lengths L, L + 1, ...,
L + n_average - 1, which cancels most of the even/odd oscillation of a short chain (an error
~40x smaller at T = 0.02, L = 200); it costs n_average diagonalizations.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..core.results import PartitionedState, RegionState
from ..core.validation import check_integer
from ..thermal import Bath, state_functions_from_spectrum
from .reservoirs import TightBindingChain
from .system import OpenSystem
from .universe import Universe

__all__ = ["FiniteChainEquilibrium", "FiniteChainRegion", "equilibrium", "universe_hamiltonian"]


#: The finite chain's regions are the engine's :class:`~strongtherm.core.results.RegionState`
#: (kept under this name for compatibility).
FiniteChainRegion = RegionState


@dataclass(frozen=True)
class FiniteChainEquilibrium(PartitionedState):
    """Equilibrium of system + finite chains at (T, mu); fields mirror the engine's result.

    Attributes
    ----------
    model, bath, params, L
        The inputs (``L`` is the first chain length when ``n_average`` > 1).
    system : RegionState
        Hilbert-space partition of the system, X_S = sum_k w_k x(e_k) (Eqs. 6, 8-10, 12).
    reservoir : RegionState
        Change of the reservoirs, sum_k (1 - w_k) x(e_k) - sum_q x(e_q^0) (Eq. 15).
    expectation_H_S, expectation_H_SR : float
        <H_S> = Tr[h_S C_SS] and <H_SR> = 2 Re sum_r Tr[V_r C_{S,r}].
    correlation_matrix : ndarray, shape (n, n)
        C_SS, C_ij = <d_j^dag d_i>.
    log_f_matrix, log_one_minus_f_matrix : ndarray, shape (n, n)
        sum_k ln f(e_k) Pi_S|k><k|Pi_S and the same with ln(1 - f), for Eq. (24).
    spectral_weight_matrix : ndarray, shape (n, n)
        sum_k Pi_S|k><k|Pi_S = identity up to rounding.
    coupling_correlations : tuple of ndarray, shape (n, n_surface_r)
        C_{S, r}, the system x surface block of C for each reservoir (for the powers).
    energies, system_weights : ndarray, shape (n + sum_r L,)
        e_k and w_k (of the first length when averaging).
    n_average : int
        Number of chain lengths averaged.
    """

    model: OpenSystem
    bath: Bath
    params: Mapping[str, float]
    L: int
    system: RegionState
    reservoir: RegionState
    expectation_H_S: float
    expectation_H_SR: float
    correlation_matrix: np.ndarray
    log_f_matrix: np.ndarray
    log_one_minus_f_matrix: np.ndarray
    spectral_weight_matrix: np.ndarray
    coupling_correlations: tuple[np.ndarray, ...]
    energies: np.ndarray = field(repr=False)
    system_weights: np.ndarray = field(repr=False)
    n_average: int = 1

    def __repr__(self) -> str:
        p = ", ".join(f"{k}={v:g}" for k, v in self.params.items())
        return (
            f"FiniteChainEquilibrium({self.model.name}; {p}; T={self.bath.T:g}, mu={self.bath.mu:g}; "
            f"L={self.L}, n_average={self.n_average})\n  system:    {self.system}\n  reservoir: {self.reservoir}"
        )

    @property
    def _spectral_weight(self) -> np.ndarray:
        # the discrete form of Eq. (24) counts M = sum_k Pi_S |k><k| Pi_S, the identity up to rounding
        return self.spectral_weight_matrix

    def power(self, name: str) -> tuple[float, float]:
        """(<dH_S/d name>, <dH_SR/d name>), per unit change of parameter ``name``.

        <dH/dlambda> = sum_k f_k <k|dh/dlambda|k> = Tr[dh/dlambda C] (Hellmann-Feynman: the sum
        equals d Omega_universe / d lambda), split into Tr[dh_S C_SS] and
        2 Re sum_r Tr[dV_r C_{S,r}]: the finite-chain analogues of Eqs. (19)-(20).
        """
        dh = self.model.dh_S(self.params, name)
        dVs = self.model.dV(self.params, name)
        C = self.correlation_matrix
        part_S = float(np.real(np.trace(dh @ C)))
        part_SR = 0.0
        for dV_r, C_r in zip(dVs, self.coupling_correlations, strict=True):
            part_SR += 2.0 * float(np.real(np.trace(dV_r @ C_r)))
        return part_S, part_SR

    def states_outside_band(self, *, min_weight: float = 1e-8) -> tuple[tuple[float, float], ...]:
        """(e_k, w_k) of the eigenstates outside every chain's band with w_k > ``min_weight``.

        On a long chain these are the bound states of the semi-infinite problem (converged
        exponentially in L); their weights are the system weights Z_b.
        """
        bands = [res.continuum[0] for res in self.model.reservoirs]
        out = []
        for e, w in zip(self.energies, self.system_weights, strict=True):
            inside = any(lo <= e <= hi for lo, hi in bands)
            if not inside and w > min_weight:
                out.append((float(e), float(w)))
        return tuple(out)


def _check_chains(model: OpenSystem) -> tuple[TightBindingChain, ...]:
    if not isinstance(model, OpenSystem):
        raise ValueError(f"model must be an OpenSystem, got {type(model).__name__}")
    chains = []
    for r, res in enumerate(model.reservoirs):
        if not isinstance(res, TightBindingChain):
            describe = res.describe() if hasattr(res, "describe") else repr(res)
            raise ValueError(
                f"finite_chain needs every reservoir to be a TightBindingChain, but reservoirs[{r}] "
                f"is {type(res).__name__} ({describe})"
            )
        chains.append(res)
    return tuple(chains)


def universe_hamiltonian(model: OpenSystem, L: int, params: Mapping[str, float]) -> np.ndarray:
    """The one-body Hamiltonian of system + chains cut at ``L`` sites, shape (n + R L, n + R L).

    Basis order: the n system levels, then the L sites of reservoir 0 (surface site first), of
    reservoir 1, ... Coupling blocks: h[chain_r, S] = V_r, h[S, chain_r] = V_r^dagger.
    ``params`` are completed with the model's defaults and checked against its domain. The dense
    face of :class:`~strongtherm.negf.universe.Universe` for tight-binding chains (the reservoirs
    this road reproduces exactly).
    """
    _check_chains(model)
    L = check_integer("L", L, low=1, integral_float=True)
    return Universe(model, L).dense(model.resolve(params))  # defaults filled in and the domain checked (issue 13)


def _isolated_chain_levels(chain: TightBindingChain, L: int) -> np.ndarray:
    q = np.arange(1, L + 1)
    return chain.e0 + 2.0 * chain.t0 * np.cos(np.pi * q / (L + 1))


def _solve_one(
    model: OpenSystem,
    chains: tuple[TightBindingChain, ...],
    bath: Bath,
    L: int,
    params: Mapping[str, float],
) -> dict[str, Any]:
    n = model.n_levels
    universe = Universe(model, L)
    h = universe.dense(params)
    if np.all(h.imag == 0.0):
        energies, vectors = np.linalg.eigh(h.real)
    else:
        energies, vectors = np.linalg.eigh(h)
    U_S = vectors[:n, :]  # (n, size): <i|k> for system levels i
    weights = np.sum(np.abs(U_S) ** 2, axis=0)

    f = bath.fermi(energies)
    reference = np.concatenate([_isolated_chain_levels(c, L) for c in chains])
    system = state_functions_from_spectrum(bath, energies, weights)  # Eqs. (6)-(10), (12)
    reservoir = state_functions_from_spectrum(bath, energies, 1.0 - weights, reference=reference)  # Eq. (15)

    def weighted(a: np.ndarray) -> np.ndarray:
        return (U_S * a) @ U_S.conj().T

    C = weighted(f)
    couplings = []
    H_SR = 0.0
    for o, V_r in zip(universe.surface, model.V(params), strict=True):
        C_r = (U_S * f) @ vectors[o : o + 1, :].conj().T  # (n, 1): <c_surf^dag d_i>
        couplings.append(C_r)
        H_SR += 2.0 * float(np.real(np.trace(V_r @ C_r)))
    H_S = float(np.real(np.trace(model.h_S(params) @ C)))
    return {
        "system": system,
        "reservoir": reservoir,
        "C": C,
        "L_f": weighted(bath.log_fermi(energies)),
        "L_1mf": weighted(bath.log_one_minus_fermi(energies)),
        "M": weighted(np.ones_like(energies)),
        "couplings": tuple(couplings),
        "H_S": H_S,
        "H_SR": H_SR,
        "energies": energies,
        "weights": weights,
    }


def equilibrium(
    model: OpenSystem, bath: Bath, L: int, *, n_average: int = 1, **params: float
) -> FiniteChainEquilibrium:
    """Quasistatic equilibrium of ``model`` with every chain cut to ``L`` sites (exact diagonalization).

    Parameters
    ----------
    model : OpenSystem
        Its reservoirs must all be :class:`~strongtherm.negf.reservoirs.TightBindingChain`.
    bath : Bath
        Common temperature and chemical potential, in units of energy.
    L : int
        Sites per chain, >= 1. Convergence needs the level spacing ~ 2 pi t0 / L well below T.
    n_average : int, optional
        Average over the chain lengths L, ..., L + n_average - 1 (default 1: no averaging).
    **params : float
        Model parameters (e.g. ``eps_s=``, ``V=``), in units of energy.

    Returns
    -------
    FiniteChainEquilibrium

    Raises
    ------
    ValueError
        If a reservoir is not a tight-binding chain, ``L`` or ``n_average`` is not a positive
        integer, ``bath`` is not a :class:`~strongtherm.thermal.Bath`, or a parameter is unknown
        or out of its domain.

    Notes
    -----
    Kumar, Webb & Stafford (2024): Hilbert-space partition Eq. (12), state functions
    Eqs. (6)-(10), U_S = <H_S> + <H_SR>/2 Eq. (14), reservoir change Eq. (15), powers
    Eqs. (19)-(20), alpha partition Eqs. (22) and (24).

    Examples
    --------
    >>> import strongtherm as st
    >>> from strongtherm.negf import finite_chain
    >>> r = finite_chain.equilibrium(st.models.resonant_level(), st.Bath(0.1), 200, eps_s=0.0, V=1.0)
    >>> round(r.system.N, 6)
    0.5
    """
    chains = _check_chains(model)
    L = check_integer("L", L, low=1, integral_float=True)
    n_average = check_integer("n_average", n_average, low=1, integral_float=True)
    if not isinstance(bath, Bath):
        raise ValueError(f"bath must be a strongtherm.Bath, got {type(bath).__name__}")
    resolved = model.resolve(params)

    runs = [_solve_one(model, chains, bath, L + j, resolved) for j in range(n_average)]

    def mean(key: str) -> Any:
        values = [run[key] for run in runs]
        if isinstance(values[0], dict):
            return {k: float(np.mean([v[k] for v in values])) for k in values[0]}
        if isinstance(values[0], tuple):
            return tuple(np.mean([v[i] for v in values], axis=0) for i in range(len(values[0])))
        return np.mean(values, axis=0)

    system = mean("system")
    reservoir = mean("reservoir")
    return FiniteChainEquilibrium(
        model=model,
        bath=bath,
        params=resolved,
        L=L,
        system=RegionState(**system),
        reservoir=RegionState(**reservoir),
        expectation_H_S=float(mean("H_S")),
        expectation_H_SR=float(mean("H_SR")),
        correlation_matrix=mean("C"),
        log_f_matrix=mean("L_f"),
        log_one_minus_f_matrix=mean("L_1mf"),
        spectral_weight_matrix=mean("M"),
        coupling_correlations=mean("couplings"),
        energies=runs[0]["energies"],
        system_weights=runs[0]["weights"],
        n_average=n_average,
    )
