"""Mean-force thermodynamics of noninteracting fermions: Davoudi et al.'s definitions for Kumar et al.'s models.

The system's n levels and its reservoirs are in the global grand-canonical Gibbs state
``pi = e^{-beta K} / Xi`` with ``K = H - mu N`` (Kumar, Webb & Stafford 2024, Eq. 6 and the text
around it). That state is Gaussian, and so is its reduction to the system's modes: ``rho_S`` is
fixed by the correlation matrix ``C = [f(h)]_SS`` (``C_ij = <d_j^dag d_i>``, bound states
included). The mean-force objects of Davoudi et al. (2025), Eqs. (3)-(13) and (33), then need no
Fock space:

* free energy of mean force (here a grand potential):
  ``F*_S = -T ln(Xi_SR / Xi_R) = Omega_S + dOmega_R`` (Davoudi Eqs. 6-8; the Hilbert-space partition
  of Kumar Eq. 12 summed with the reservoir change of Eq. 15);
* Hamiltonian of mean force (Davoudi Eq. 4 with ``K`` in every Gibbs state):
  ``K*_S = F*_S - T ln rho_S = sum_ij a_i^dag [T ln((1 - C)/C)]_ij a_j + F*_S - T ln det(1 - C)``;
* energy operator (Davoudi Eq. 12): ``E*_S = d/dbeta (beta K*_S)`` at fixed ``mu``
  ``= sum_ij a_i^dag [d_beta ln((1 - C)/C)]_ij a_j + U_diff + Tr[(1 - C)^{-1} dC/dbeta]``, where
  ``d_beta ln((1 - C)/C) = -D log_{1-C}[dC/dbeta] - D log_C[dC/dbeta]`` uses the exact Fréchet
  derivative of the matrix logarithm (:func:`strongtherm.core.linalg.frechet_log`; ``C`` and
  ``dC/dbeta`` need not commute when n > 1);
* energies (Davoudi Eqs. 10, 11, 13): ``U_diff = <K> - <K_R>_0``, ``U_H* = Tr(K*_S rho_S)
  = F*_S + T S_vN(rho_S)``, ``U_E* = Tr(E*_S rho_S)`` (``= U_diff`` in the Gibbs state,
  Davoudi App. B); entropies ``S = beta (U - F*_S)`` (Davoudi Eq. 33), so that
  ``S_diff = S_E* = S_S + dS_R`` (Kumar Eqs. 8, 12, 15) and ``S_H* = S_vN(rho_S)``.

Convention at mu != 0 (README, "Which definition?")
---------------------------------------------------
Every Gibbs state and every ``Tr_R`` uses ``K = H - mu N``, and ``d/dbeta`` is taken at fixed
``mu``. The mean-force objects defined that way (``K_star``, ``E_star_K``, ``U_K``) are the ones
whose identities hold (``U_E* = U_diff``, the second law). Their ``<H>`` partners add ``mu`` times
a particle number: ``H*_S = K*_S + mu N_S`` and ``E*_S = E*_K + mu N_S`` as operators, so
``U["H*"] = U_K["H*"] + mu <N_S>`` and ``U["E*"] = U_K["E*"] + mu <N_S>``, while
``U["diff"] = U_K["diff"] + mu (N_S + dN_R)`` (``= U_S + dU_R``). At ``mu = 0`` the two coincide;
at ``mu != 0``, ``U["E*"] - U["diff"] = -mu dN_R``. Entropies are unaffected.

Three sources of the same Gaussian formulas (:func:`mean_force` for the infinite reservoirs of
the Green's-function engine; :func:`mean_force_from_hamiltonian` and
:func:`mean_force_finite_chain` for a finite one-body Hamiltonian, by one eigendecomposition).
The many-body road is :mod:`strongtherm.gaussian.fock` + :mod:`strongtherm.exact`;
:func:`free_energy_from_phase` is an independent road to ``F*_S``.

This module is the bridge: it builds on the Green's-function engine (``strongtherm.negf``) and the
shared core (``strongtherm.core``: Fréchet derivative, definitions, warnings); neither engine
imports it.

Units: energies in the model's unit, T = 1/beta in the same unit, entropies in nats.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
from scipy.integrate import quad
from scipy.special import entr

from ..core.definitions import DEFINITIONS
from ..core.display import html_table
from ..core.linalg import frechet_log
from ..core.quantities import key as quantity_key
from ..core.validation import check_hermitian, check_real
from ..core.warnings import RankDeficientWarning
from ..negf.finite_chain import universe_hamiltonian
from ..negf.integrate import QuadratureOptions
from ..negf.partition import Equilibrium, equilibria
from ..negf.spectral import bound_states
from ..negf.system import OpenSystem
from ..thermal import Bath, check_bath, state_functions_from_spectrum

__all__ = [
    "DEFINITIONS",
    "GaussianState",
    "MeanForce",
    "QuadraticOperator",
    "free_energy_from_phase",
    "mean_force",
    "mean_force_finite_chain",
    "mean_force_from_hamiltonian",
]

#: Default tolerance below which an occupation (or 1 - occupation) of ``C`` counts as zero.
SUPPORT_ATOL = 1e-10


@dataclass(frozen=True, eq=False)
class QuadraticOperator:
    """``sum_ij a_i^dag matrix_ij a_j + constant``: a number-conserving quadratic operator.

    Attributes
    ----------
    matrix
        One-body matrix, Hermitian ``(n, n)``, in units of energy.
    constant
        Multiple of the identity, in units of energy.
    """

    matrix: np.ndarray
    constant: float

    def expectation(self, correlation_matrix: np.ndarray) -> float:
        """``<O> = Tr[matrix C] + constant`` in a state with ``C_ij = <a_j^dag a_i>``."""
        return float(np.real(np.trace(self.matrix @ correlation_matrix))) + self.constant

    def fock(self) -> np.ndarray:
        """The ``(2^n, 2^n)`` Fock-space matrix (Jordan-Wigner basis of :mod:`strongtherm.gaussian.fock`)."""
        from .fock import quadratic_operator

        return quadratic_operator(self.matrix, self.constant)

    def __repr__(self) -> str:
        return f"QuadraticOperator(n={self.matrix.shape[0]}, constant={self.constant:.10g})"


@dataclass(frozen=True, eq=False)
class GaussianState:
    """A Gaussian (quasi-free, number-conserving) state of ``n`` modes, fixed by ``C_ij = <a_j^dag a_i>``.

    Attributes
    ----------
    correlation_matrix
        ``C``, Hermitian ``(n, n)``, eigenvalues (occupations) in ``[0, 1]``.
    """

    correlation_matrix: np.ndarray

    @property
    def occupations(self) -> np.ndarray:
        """Eigenvalues of ``C`` (natural occupations), ascending."""
        return np.linalg.eigvalsh(self.correlation_matrix)

    @property
    def N(self) -> float:
        """``<N_S> = Tr C``."""
        return float(np.real(np.trace(self.correlation_matrix)))

    @property
    def entropy(self) -> float:
        """von Neumann entropy ``sum_k [-c_k ln c_k - (1 - c_k) ln(1 - c_k)]``, in nats."""
        c = np.clip(self.occupations, 0.0, 1.0)
        return float(np.sum(entr(c) + entr(1.0 - c)))

    def fock(self) -> np.ndarray:
        """The ``(2^n, 2^n)`` density matrix (Jordan-Wigner basis of :mod:`strongtherm.gaussian.fock`)."""
        from .fock import gaussian_density_matrix

        return gaussian_density_matrix(self.correlation_matrix)

    def __repr__(self) -> str:
        return f"GaussianState(occupations={np.array2string(self.occupations, precision=6)})"


@dataclass(frozen=True, eq=False)
class MeanForce:
    """Mean-force thermodynamics of a Gaussian reduced state (see the module docstring).

    Attributes
    ----------
    bath
        ``(T, mu)``.
    params
        The model parameters (empty for a bare one-body Hamiltonian).
    F_S
        ``F*_S = Omega_S + dOmega_R`` (Davoudi Eq. 7 with ``K = H - mu N``; Kumar Eqs. 10, 12, 15).
    reduced_state
        ``rho_S`` (Davoudi Eq. 3) as a :class:`GaussianState`: ``.correlation_matrix`` (n x n) or
        ``.fock()`` (2^n x 2^n).
    K_star, H_star
        ``K*_S`` (Davoudi Eq. 4 with ``K``) and ``H*_S = K*_S + mu N_S``, :class:`QuadraticOperator`.
    E_star_K, E_star
        ``E*_K = d/dbeta(beta K*_S)`` (Davoudi Eq. 12, fixed mu) and ``E*_S = E*_K + mu N_S``.
    U_K, U
        ``{"diff", "H*", "E*"}``: the ``<K>``-energies (Davoudi Eqs. 10, 11, 13 with ``K``) and the
        ``<H>``-energies (``U_K + mu N``, see ``N``).
    N
        The particle number that goes with each definition: ``N_S + dN_R`` for ``diff``,
        ``Tr C`` for ``H*`` and ``E*``.
    S
        ``beta (U_K - F*_S)`` per definition (Davoudi Eq. 33), nats.
    frozen_modes
        Number of natural orbitals with occupation within ``support_atol`` of 0 or 1: ``rho_S``
        is rank deficient there, ``K*_S`` is infinite off its support and is given on it (those
        modes' one-body coefficients are set to zero, as the exact engine does on the kernel).
    equilibrium
        The Green's-function :class:`~strongtherm.negf.Equilibrium` it came from (infinite
        reservoirs), else ``None``.
    universe_correlation_matrix
        ``f(h)`` of the whole one-body space when built from a finite Hamiltonian, else ``None``.
    """

    bath: Bath
    params: Mapping[str, float]
    F_S: float
    reduced_state: GaussianState
    K_star: QuadraticOperator
    H_star: QuadraticOperator
    E_star_K: QuadraticOperator
    E_star: QuadraticOperator
    U_K: MappingProxyType
    U: MappingProxyType
    N: MappingProxyType
    S: MappingProxyType
    frozen_modes: int = 0
    equilibrium: Equilibrium | None = field(default=None, repr=False)
    universe_correlation_matrix: np.ndarray | None = field(default=None, repr=False)
    hamiltonian: np.ndarray | None = field(default=None, repr=False)

    @property
    def beta(self) -> float:
        return self.bath.beta

    @property
    def n_levels(self) -> int:
        return int(self.reduced_state.correlation_matrix.shape[0])

    @property
    def entropy(self) -> MappingProxyType:
        """Alias of :attr:`S` (the exact engine's name)."""
        return self.S

    def definitions(self, alphas: Sequence[float] = (0.0, 0.5, 1.0)) -> dict[str, dict[str, float]]:
        """The system's internal energy and entropy under every definition, side by side.

        Keys of ``"energy"``: ``alpha=<a>`` (Kumar Eq. 22; ``alpha=0.5`` is the Hilbert-space
        partition, Eq. 14), ``diff``, ``H*``, ``E*`` (Davoudi Eqs. 10, 11, 13, ``<H>``-energies).
        Keys of ``"entropy"``: ``alpha=<a>`` (Kumar Eq. 24; 0.5 gives S_S, Eq. 8 with g_S) and
        ``diff``, ``H*``, ``E*`` (Davoudi Eq. 33).

        Parameters
        ----------
        alphas
            Fractions of the alpha-partition, each in [0, 1] (not a model parameter).

        Raises
        ------
        ValueError
            If an alpha is outside [0, 1], or the result has no Green's-function equilibrium
            (the alpha-partition needs it).
        """
        if self.equilibrium is None:
            raise ValueError("definitions() needs the Hilbert-space partition: build this result with mean_force()")
        eq = self.equilibrium
        energy = {f"alpha={float(a):g}": eq.alpha_energy(a) for a in alphas}
        entropy = {f"alpha={float(a):g}": eq.alpha_entropy(a) for a in alphas}
        energy.update(self.U)
        entropy.update(self.S)
        return {"energy": energy, "entropy": entropy}

    def to_dict(self) -> dict[str, float]:
        """Scalars as plain floats: ``F_S``, ``U_<d>``, ``U_K_<d>``, ``N_<d>``, ``entropy_<d>``,
        ``S_vN``, ``N_S`` (``<d>`` in diff, Hstar, Estar); energies in the model's unit."""

        out = {"F_S": float(self.F_S), "S_vN": self.reduced_state.entropy, "N_S": self.reduced_state.N}
        for key in DEFINITIONS:
            out[quantity_key("U", definition=key)] = float(self.U[key])
            out[quantity_key("U_K", definition=key)] = float(self.U_K[key])
            out[quantity_key("N", definition=key)] = float(self.N[key])
            out[quantity_key("entropy", definition=key)] = float(self.S[key])
        return out

    def _repr_html_(self) -> str:
        rows = [(key, self.U[key], self.U_K[key], self.N[key], self.S[key]) for key in DEFINITIONS]
        return html_table(
            "MeanForce: Davoudi et al.'s definitions for Gaussian fermions (Eqs. 10, 11, 13, 33)",
            ("definition", "U = <H>", "U_K = <H - mu N>", "N", "S [nats]"),
            rows,
            {**dict(self.params), "T": self.bath.T, "mu": self.bath.mu, "F*_S": self.F_S},
        )

    def __repr__(self) -> str:
        p = ", ".join(f"{k}={v:g}" for k, v in self.params.items())
        U = ", ".join(f"{k}={v:.6g}" for k, v in self.U.items())
        S = ", ".join(f"{k}={v:.6g}" for k, v in self.S.items())
        return f"MeanForce({p}; T={self.bath.T:g}, mu={self.bath.mu:g}; F_S={self.F_S:.10g}; U: {U}; S: {S})"


def _gaussian_mean_force(
    C: np.ndarray,
    dC: np.ndarray,
    F_S: float,
    U_diff_K: float,
    N_diff: float,
    bath: Bath,
    params: Mapping[str, float],
    support_atol: float,
    **extra: Any,
) -> MeanForce:
    """The Gaussian formulas of the module docstring from ``C``, ``dC/dbeta``, ``F*_S``, ``U_diff``, ``N``."""
    T, mu = bath.T, bath.mu
    C = 0.5 * (C + C.conj().T)
    dC = 0.5 * (dC + dC.conj().T)
    n = C.shape[0]
    c, W = np.linalg.eigh(C)
    keep = (c > support_atol) & (c < 1.0 - support_atol)
    frozen = int(n - np.sum(keep))
    if frozen:
        warnings.warn(
            f"the reduced state rho_S is rank deficient: {frozen} of {n} occupations of C are within "
            f"{support_atol:g} of 0 or 1 ({np.array2string(c, precision=3)}); K*_S is +inf off the support "
            "of rho_S and is given on it (those modes' coefficients set to zero)",
            RankDeficientWarning,
            stacklevel=3,
        )
    ck = c[keep]
    Wk = W[:, keep]
    # K*_S = T ln[(1 - C)/C] (one-body) + F*_S - T ln det(1 - C), on the support
    m = np.log1p(-ck) - np.log(ck)
    K_matrix = T * (Wk * m) @ Wk.conj().T
    K_const = F_S - T * float(np.sum(np.log1p(-ck)))
    # E*_K = d/dbeta(beta K*_S): -D log_{1-C}[dC] - D log_C[dC] (one-body, exact Frechet
    # derivatives in the eigenbasis of C) + U_diff + Tr[(1 - C)^{-1} dC]
    dC_eig = Wk.conj().T @ dC @ Wk
    eye = np.eye(ck.size)
    dM_eig = -frechet_log(1.0 - ck, eye, dC_eig) - frechet_log(ck, eye, dC_eig)
    E_matrix = Wk @ dM_eig @ Wk.conj().T
    E_matrix = 0.5 * (E_matrix + E_matrix.conj().T)
    E_const = U_diff_K + float(np.real(np.sum(np.diag(dC_eig) / (1.0 - ck))))
    K_star = QuadraticOperator(K_matrix, K_const)
    E_star_K = QuadraticOperator(E_matrix, E_const)
    shift = mu * np.eye(n)
    H_star = QuadraticOperator(K_matrix + shift, K_const)
    E_star = QuadraticOperator(E_matrix + shift, E_const)
    N_S = float(np.real(np.trace(C)))
    U_K = {"diff": U_diff_K, "H*": K_star.expectation(C), "E*": E_star_K.expectation(C)}
    N = {"diff": N_diff, "H*": N_S, "E*": N_S}
    U = {k: U_K[k] + mu * N[k] for k in DEFINITIONS}
    S = {k: (U_K[k] - F_S) / T for k in DEFINITIONS}
    for arr in (C, K_matrix, E_matrix):
        arr.setflags(write=False)
    return MeanForce(
        bath=bath,
        params=MappingProxyType(dict(params)),
        F_S=float(F_S),
        reduced_state=GaussianState(C),
        K_star=K_star,
        H_star=H_star,
        E_star_K=E_star_K,
        E_star=E_star,
        U_K=MappingProxyType(U_K),
        U=MappingProxyType(U),
        N=MappingProxyType(N),
        S=MappingProxyType(S),
        frozen_modes=frozen,
        **extra,
    )


def mean_force(
    model: OpenSystem,
    bath: Bath,
    *,
    options: QuadratureOptions | None = None,
    support_atol: float = SUPPORT_ATOL,
    **params: float,
) -> MeanForce:
    """Mean-force thermodynamics of ``model`` (infinite reservoirs) from the Green's-function engine.

    Parameters
    ----------
    model
        An :class:`~strongtherm.negf.OpenSystem`, e.g. ``st.models.resonant_level(t0=1.25)``.
    bath
        Common ``(T, mu)`` of all reservoirs, in units of energy.
    options
        Quadrature tolerances of :func:`strongtherm.negf.equilibrium`.
    support_atol
        Occupations of ``C`` within this of 0 or 1 count as exactly 0 or 1 (rank-deficient
        ``rho_S``, with a :class:`~strongtherm.exact.RankDeficientWarning`). Default 1e-10:
        about ten times the quadrature tolerance, below which ``C`` carries no information.
    **params
        The model's parameters (``eps_s=``, ``V=`` ...), in units of energy.

    Returns
    -------
    MeanForce

    Raises
    ------
    ValueError
        If a parameter is unknown or outside its domain, ``bath`` is not a ``Bath``, or
        ``support_atol`` is not in ``[0, 0.5)``.

    Notes
    -----
    ``F*_S = Omega_S + dOmega_R`` (Kumar Eqs. 10, 12, 15), ``C`` and ``dC/dbeta`` from the same
    contour integrals; ``U_K["diff"] = U_S + dU_R - mu (N_S + dN_R)`` (Davoudi Eq. 10 with ``K``)
    and ``U["diff"] = U_S + dU_R`` (no ``-mu N``; see the conventions page, "U_diff against U_K").
    Every other quantity follows from the Gaussian formulas of the module docstring.

    Examples
    --------
    >>> import strongtherm as st
    >>> mf = st.gaussian.mean_force(st.models.resonant_level(t0=1.25), st.Bath(T=0.02), eps_s=0.0, V=0.6)
    >>> abs(mf.U["E*"] - mf.U["diff"]) < 1e-12
    True
    """
    support_atol = check_real("support_atol", support_atol, low=0.0, high=0.5, high_inclusive=False)
    # one validation of model, bath and parameters, at the engine's entry point
    eq = equilibria(model, bath, [params], options=options)[0]
    return from_equilibrium(eq, support_atol=support_atol)


def from_equilibrium(eq: Equilibrium, *, support_atol: float = SUPPORT_ATOL) -> MeanForce:
    """:func:`mean_force` from an already computed Green's-function :class:`~strongtherm.negf.Equilibrium`."""
    universe = eq.universe
    return _gaussian_mean_force(
        eq.correlation_matrix,
        eq.correlation_matrix_beta_derivative,
        F_S=universe.Omega,
        U_diff_K=universe.U - eq.bath.mu * universe.N,
        N_diff=universe.N,
        bath=eq.bath,
        params=eq.params,
        support_atol=support_atol,
        equilibrium=eq,
    )


def mean_force_from_hamiltonian(
    h: np.ndarray,
    n_system: int,
    bath: Bath,
    *,
    support_atol: float = SUPPORT_ATOL,
    params: Mapping[str, float] | None = None,
) -> MeanForce:
    """Mean-force thermodynamics of a finite universe given by its one-body Hamiltonian.

    One eigendecomposition ``h = sum_k e_k |k><k|``: ``C = sum_k f(e_k) P_S|k><k|P_S``,
    ``dC/dbeta`` likewise with ``df/dbeta = -(e - mu) f (1 - f)``,
    ``F*_S = sum_k omega(e_k) - sum_q omega(e_q^R)`` with ``e_q^R`` the eigenvalues of the isolated
    reservoir block (Davoudi Eqs. 6-8 for a Gaussian state: ``-T ln Xi = sum omega``),
    ``U_diff = sum_k (e_k - mu) f(e_k) - sum_q (e_q^R - mu) f(e_q^R)`` (Davoudi Eq. 10 with ``K``).

    Parameters
    ----------
    h
        Universe one-body Hamiltonian, Hermitian ``(N, N)``, the ``n_system`` system modes first.
    n_system
        Number of system modes ``n``, ``1 <= n < N``.
    bath
        ``(T, mu)``, in units of energy.
    support_atol
        As in :func:`mean_force`; default 1e-10.
    params
        Model parameters to record in the result (optional).

    Returns
    -------
    MeanForce
        With ``universe_correlation_matrix = f(h)`` (``(N, N)``) and ``hamiltonian = h``.
    """
    bath = check_bath(bath)
    h = check_hermitian("h", h)
    N = h.shape[0]
    if isinstance(n_system, bool) or not isinstance(n_system, int | np.integer) or not 1 <= n_system < N:
        raise ValueError(f"n_system must be an integer in [1, {N - 1}] for h of shape {h.shape}, got {n_system!r}")
    support_atol = check_real("support_atol", support_atol, low=0.0, high=0.5, high_inclusive=False)
    n = int(n_system)
    real = not np.any(h.imag)
    e, vectors = np.linalg.eigh(h.real if real else h)
    e_R = np.linalg.eigvalsh(h[n:, n:].real if real else h[n:, n:])
    f = bath.fermi(e)
    delta = state_functions_from_spectrum(bath, e, reference=e_R)  # universe minus isolated reservoirs
    F_S = delta["Omega"]
    U_diff_K = delta["U"] - bath.mu * delta["N"]
    N_diff = delta["N"]
    V_S = vectors[:n, :]
    C = (V_S * f) @ V_S.conj().T
    dC = (V_S * bath.fermi_derivative_beta(e)) @ V_S.conj().T
    C_full = (vectors * f) @ vectors.conj().T
    C_full.setflags(write=False)
    return _gaussian_mean_force(
        C,
        dC,
        F_S=F_S,
        U_diff_K=U_diff_K,
        N_diff=N_diff,
        bath=bath,
        params=params or {},
        support_atol=support_atol,
        universe_correlation_matrix=C_full,
        hamiltonian=h,
    )


def mean_force_finite_chain(
    model: OpenSystem, bath: Bath, L: int, *, support_atol: float = SUPPORT_ATOL, **params: float
) -> MeanForce:
    """:func:`mean_force_from_hamiltonian` for ``model`` with every chain cut to ``L`` sites.

    The one-body Hamiltonian is :func:`strongtherm.negf.finite_chain.universe_hamiltonian`
    (system levels first, then each chain, surface site first). As ``L`` grows the results
    converge to :func:`mean_force` (errors roughly ``exp(-c T L / t0)``, see
    :mod:`strongtherm.negf.finite_chain`).

    Raises
    ------
    ValueError
        If a reservoir is not a tight-binding chain, ``L`` is not a positive integer or a
        parameter is unknown or out of its domain.
    """
    if not isinstance(model, OpenSystem):
        raise ValueError(f"model must be an OpenSystem, got {type(model).__name__}")
    resolved = model.resolve(params)
    h = universe_hamiltonian(model, L, resolved)
    return mean_force_from_hamiltonian(h, model.n_levels, bath, support_atol=support_atol, params=resolved)


def _eigen_angles(D: np.ndarray) -> float:
    """Sum of the arguments of the eigenvalues of ``D``, each taken in ``[0, pi]``.

    ``D = e + i0 - h_S - Sigma(e + i0)`` has ``Im D >= 0``, so its eigenvalues lie in the closed
    upper half plane; a real negative eigenvalue (rounded to a tiny negative imaginary part)
    counts as ``pi``, a real positive one as ``0``.
    """
    angles = np.angle(np.linalg.eigvals(D))
    angles = np.where(angles < -0.5 * math.pi, angles + 2.0 * math.pi, angles)
    return float(np.sum(np.clip(angles, 0.0, math.pi)))


def free_energy_from_phase(
    model: OpenSystem, bath: Bath, *, epsabs: float = 1e-13, **params: float
) -> float:
    """``F*_S`` from the phase of ``det G_S^{-1}``: an independent road (scipy ``quad`` on the real axis).

    .. math:: F^*_S = \\frac{1}{\\pi} \\int f(\\epsilon) [\\varphi(\\epsilon) - n\\pi] d\\epsilon,
              \\quad \\varphi = \\arg\\det[\\epsilon + i0 - h_S - \\Sigma(\\epsilon + i0)],

    from ``F*_S = int omega(e) Delta g(e) de`` with ``Delta g = -(1/pi) d phi/de``
    (the change of the universe's density of states, Kumar et al. below Eq. 15) integrated by
    parts (``d omega/de = f``). ``phi`` falls continuously from ``n pi`` (below the spectrum)
    to 0, and jumps by ``-pi`` at each bound state; taking each eigenvalue's argument in
    ``[0, pi]`` follows that branch without unwrapping. The bound-state energies only serve as
    break points of the quadrature.

    Parameters
    ----------
    model, bath, **params
        As in :func:`mean_force`.
    epsabs
        Absolute tolerance of each ``quad`` piece.

    Returns
    -------
    float
        ``F*_S`` in units of energy (should equal :attr:`MeanForce.F_S` to quadrature accuracy).
    """
    bath = check_bath(bath)
    p = model.resolve(params)
    n = model.n_levels
    h = model.h_S(p)
    eye = np.eye(n)

    def integrand(e: float) -> float:
        D = e * eye - h - model.self_energy(np.array(e), p)
        return float(bath.fermi(np.array(e))) * (_eigen_angles(D) - n * math.pi) / math.pi

    energies = [b.energy for b in bound_states(model, p)]
    edges = [x for iv in model.continuum for x in iv]
    spectrum = list(np.linalg.eigvalsh(h)) + energies + edges
    low = min(spectrum) - 1.0
    high = max(max(spectrum), bath.mu) + 60.0 * bath.T
    points = sorted({x for x in energies + edges + [bath.mu] if low < x < high})
    knots = [low, *points, high]
    total = 0.0
    for a, b in zip(knots[:-1], knots[1:], strict=True):
        value, _ = quad(integrand, a, b, epsabs=epsabs, epsrel=1e-13, limit=400)
        total += value
    return total
