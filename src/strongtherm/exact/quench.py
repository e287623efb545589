"""Sudden quenches A -> B: work, heat and the second law per definition (Davoudi et al. 2025, Sec. V).

The composite starts in the global Gibbs state ``pi_SR^A`` at inverse temperature ``beta``
(Eq. 2); at ``t = 0`` its Hamiltonian jumps from ``H^A`` to ``H^B``. Work is the jump of the
system's internal energy (Eq. 20), heat the change afterwards (Eq. 21):

* ``W_diff = U_diff^B(pi^A) - U_diff^A(pi^A)``, which is ``Tr[(H^B - H^A) pi_SR^A]`` (Eq. 22)
  whenever ``H_R`` is not quenched (system and interaction quenches, Eqs. 14-15);
* ``W_H* = Tr_S[(H*^B - H*^A) pi_S^A]`` (Eq. 23), ``W_E* = Tr_S[(E*^B - E*^A) pi_S^A]`` (Eq. 24);
* ``Q_diff = Tr[H^B (rho_SR(t_f) - pi_SR^A)]`` (Eq. 25), ``Q_H*``, ``Q_E*`` (Eqs. 26-27).

The final state is either the Gibbs state of ``H^B`` at the same ``beta`` (scenario (ii) of Sec. V,
the default) or the unitarily evolved ``e^{-i H^B t_f} pi_SR^A e^{i H^B t_f}`` (hbar = 1). The
second law ``W >= Delta F_S`` (Eq. 28) holds for ``W_diff`` and ``W_H*`` (Eqs. 29-30) but not in
general for ``W_E*``; when the final state is Gibbs it is equivalent to ``Q <= Delta S / beta``
(Eq. 35) with ``S = beta (U - F_S)`` (Eq. 33).

A general quench may also change ``H_R``. ``W_diff`` is then Eq. (20) with each Hamiltonian's own
``U_R^0``, i.e. Eq. (22) minus ``Delta U_R^0``; the guarantee of Eq. (29) assumes a fixed ``H_R``
and no longer applies (``W_H*`` keeps its guarantee, Eq. 30).
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

import numpy as np

from ..core.convert import is_qobj
from ..core.progress import stages
from ..core.quench import QuenchThermodynamics, SecondLawAudit, SecondLawRow, classify_quench
from ..core.validation import check_hermitian, check_real
from ..core.warnings import RankDeficientWarning
from .composite import Composite
from .linalg import as_array
from .meanforce import (
    DEFINITIONS,
    Equilibrium,
    ExactOptions,
    bare_gibbs,
    check_beta,
    equilibrium_unchecked,
    progress_for,
)

__all__ = [
    "Quench",
    "QuenchThermodynamics",
    "SecondLawAudit",
    "SecondLawRow",
    "interaction_quench",
    "quench",
    "system_quench",
]


@dataclass(frozen=True, eq=False, repr=False)  # keep the base class's short __repr__
class Quench(QuenchThermodynamics):
    """Work, heat, free-energy and entropy change of a quench A -> B at inverse temperature ``beta``.

    Attributes
    ----------
    A, B
        Equilibrium results of the pre- and post-quench Hamiltonians.
    kind
        ``"system"`` (Eq. 14), ``"interaction"`` (Eq. 15) or ``"general"``.
    work
        ``{"diff", "H*", "E*"}`` (Eqs. 22-24).
    heat
        Same keys (Eqs. 25-27); arrays over ``t_f`` if the final state is evolved in time.
    delta_F_S
        ``F_S^B - F_S^A`` (Eq. 7).
    dissipated_work
        ``W - Delta F_S`` per definition (Eq. 28).
    entropy_change
        ``Delta S = S^B - S^A`` (Eq. 33) per definition when the final state is Gibbs, else ``None``.
    final
        ``"equilibrium"`` or ``"unitary"``.
    t_f
        Times after the quench (``None`` for the equilibrium final state).
    rho_S_final
        ``rho_S(t_f)``: ``pi_S^B``, or ``(len(t_f), d_S, d_S)`` (``(d_S, d_S)`` for a scalar ``t_f``).
    """

    t_f: np.ndarray | float | None
    rho_S_final: np.ndarray = field(repr=False)


def _classify(A: Composite, B: Composite) -> str:
    return classify_quench(
        same_system=np.array_equal(A.H_S, B.H_S),
        same_reservoir=np.array_equal(A.H_R, B.H_R),
        same_coupling=np.array_equal(A.V, B.V),
    )


def _expectation_in_gibbs(eq: Equilibrium, op: np.ndarray) -> float:
    """``Tr[op pi_SR]`` for a full operator, over the eigenvectors that carry weight only."""
    used = eq.weights > 0.0
    V = eq.vectors if np.all(used) else eq.vectors[:, used]
    # <k|op|k> = sum_i conj(V_ik) (op V)_ik, real parts only (op is Hermitian)
    opV = op @ V
    diag = np.sum(V.real * opV.real, axis=0) + np.sum(V.imag * opV.imag, axis=0) if np.iscomplexobj(V) else np.sum(V * opV.real, axis=0)
    return float(np.dot(eq.weights[used], diag) / np.sum(eq.weights))


def _gibbs_matrix(eq: Equilibrium) -> np.ndarray:
    used = eq.weights > 0.0
    V = eq.vectors[:, used]
    return (V * (eq.weights[used] / np.sum(eq.weights))) @ V.conj().T


def _leaks_out_of_support(rho: np.ndarray, eq: Equilibrium, tol: float) -> bool:
    """True if ``rho`` has weight outside the support of ``eq.rho_S`` (then ``Tr H* rho = +inf``)."""
    if not eq.rank_deficient:
        return False
    P = eq.support
    inside = float(np.real(np.trace(P.conj().T @ rho @ P)))
    return float(np.real(np.trace(rho))) - inside > tol


def equilibrium_side(name: str, item: Any) -> tuple[Composite, Equilibrium | None]:
    """A quench side given as a model, or as its equilibrium already computed."""
    if isinstance(item, Equilibrium):
        return item.model, item
    if isinstance(item, Composite):
        return item, None
    raise TypeError(
        f"{name} must be a strongtherm.exact.Composite or its Equilibrium, got {type(item).__name__}"
    )


def common_beta(beta: Any, given: list[Equilibrium]) -> float:
    """``beta`` as given, or the equilibria's; they must agree (one temperature per quench)."""
    betas = {eq.beta for eq in given}
    if beta is None:
        if not betas:
            raise ValueError("beta must be given (a finite positive inverse temperature) when A and B are models")
        if len(betas) > 1:
            raise ValueError(f"the equilibria given as A and B have different beta {sorted(betas)}; a quench has one")
        return betas.pop()
    beta = check_beta(beta)
    if betas - {beta}:
        raise ValueError(f"beta={beta:g} differs from the beta of the equilibria given as A or B {sorted(betas)}")
    return beta


def quench(
    A: Composite | Equilibrium,
    B: Composite | Equilibrium,
    *,
    beta: float | None = None,
    final: Literal["equilibrium", "unitary"] | None = None,
    t_f: Any = None,
    options: ExactOptions | None = None,
    progress: bool | None = None,
) -> Quench:
    """Sudden quench ``H^A -> H^B`` from the Gibbs state of ``H^A`` (Davoudi et al. Sec. V, Table 1).

    Parameters
    ----------
    A, B
        Pre- and post-quench composites with the same dimensions, or their equilibria already
        computed (:func:`~strongtherm.exact.equilibrium` / :func:`~strongtherm.exact.equilibria`
        results), which are reused instead of diagonalizing again.
    beta
        Inverse temperature of the initial Gibbs state (and of the final one in scenario (ii));
        may be left out when A or B is an equilibrium (then it is theirs, and must agree).
    final
        ``"equilibrium"`` (default when ``t_f`` is not given): the composite relaxes to the Gibbs
        state of ``H^B`` at the same ``beta`` (Eq. 34). ``"unitary"`` (default when ``t_f`` is
        given): it evolves under ``H^B`` for times ``t_f`` (Eqs. 25-27 followed in time).
    t_f
        Time(s) after the quench, scalar or 1-D, finite and >= 0, in units of hbar/energy.
    options
        Tolerances (:class:`~strongtherm.exact.ExactOptions`).
    progress
        Show a progress bar over the two diagonalizations (``None``: on a terminal only).

    Returns
    -------
    Quench

    Raises
    ------
    ValueError
        If the dimensions differ, ``beta`` is not finite and positive, ``final`` is unknown, or
        ``t_f`` is missing/present inconsistently with ``final`` or not finite and >= 0.

    Examples
    --------
    >>> import strongtherm as st
    >>> A = st.models.two_spin(eps=0.0, alpha=0.8, gamma=1.2, chi=1.8)
    >>> B = st.models.two_spin(eps=2.0, alpha=0.8, gamma=1.2, chi=1.8)
    >>> q = st.exact.quench(A, B, beta=1.0)
    >>> q.kind, q.second_law().verdicts["H*"]
    ('system', True)
    """
    A, given_A = equilibrium_side("A", A)
    B, given_B = equilibrium_side("B", B)
    if A.dims != B.dims:
        raise ValueError(f"A and B must have the same dims (d_S, d_R), got {A.dims} and {B.dims}")
    beta = common_beta(beta, [eq for eq in (given_A, given_B) if eq is not None])
    if final is None:
        final = "equilibrium" if t_f is None else "unitary"
    if final not in ("equilibrium", "unitary"):
        raise ValueError(f"final must be 'equilibrium' or 'unitary', got {final!r}")
    if final == "equilibrium" and t_f is not None:
        raise ValueError("t_f must be None when final='equilibrium' (the final state is the Gibbs state of B)")
    times: np.ndarray | None = None
    if final == "unitary":
        if t_f is None:
            raise ValueError("t_f must be given when final='unitary'")
        times = np.asarray(t_f, dtype=float)
        if times.ndim > 1 or not np.all(np.isfinite(times)) or np.any(times < 0):
            raise ValueError(f"t_f must be a finite time >= 0 or a 1-D array of them, got {t_f!r}")

    options = options or ExactOptions()
    # the reservoir's Z_R and U_R^0 are computed once when H_R is not quenched
    reservoir = bare_gibbs(A.H_R, beta) if np.array_equal(A.H_R, B.H_R) else None
    sides = stages(((A, given_A), (B, given_B)), total=2, desc=f"exact quench (d={A.dims[0] * A.dims[1]})",
                   progress=progress_for(A, progress))  # fmt: skip
    eqA, eqB = (
        _plain_arrays(given) if given is not None else equilibrium_unchecked(model, beta, options, reservoir) for model, given in sides
    )
    kind = _classify(A, B)

    # Eq. (20) with U_diff = U_SR - U_R^0; equals Eq. (22) when H_R is not quenched
    if kind == "system":
        jump = float(np.real(np.trace((B.H_S - A.H_S) @ eqA.rho_S)))
    else:
        jump = _expectation_in_gibbs(eqA, B.H - A.H)
    H_B_in_A = eqA.U_SR + jump  # Tr[H^B pi_SR^A]
    work = {"diff": jump - (eqB.U_R0 - eqA.U_R0)}

    leaks = _leaks_out_of_support(eqA.rho_S, eqB, options.support_rtol)
    if leaks:
        warnings.warn(
            "pi_S^A has weight outside the support of pi_S^B: H*^B is +inf there, so W_H* and W_E* are +inf",
            RankDeficientWarning,
            stacklevel=2,
        )
    for key, op in (("H*", "H_star"), ("E*", "E_star")):
        delta = getattr(eqB, op) - getattr(eqA, op)
        work[key] = math.inf if leaks else float(np.real(np.trace(delta @ eqA.rho_S)))
    delta_F_S = eqB.F_S - eqA.F_S

    entropy_change: dict[str, float] | None
    if final == "equilibrium":
        rho_final: np.ndarray = eqB.rho_S
        heat: dict[str, Any] = {"diff": eqB.U_SR - H_B_in_A}
        for key, op in (("H*", "H_star"), ("E*", "E_star")):
            heat[key] = float(np.real(np.trace(getattr(eqB, op) @ (eqB.rho_S - eqA.rho_S))))
        entropy_change = {k: eqB.entropy[k] - eqA.entropy[k] for k in DEFINITIONS}
    else:
        assert times is not None
        rho_final, energy_after = _evolve_reduced(eqA, eqB, times)
        heat = {"diff": energy_after - H_B_in_A}
        for key, op in (("H*", "H_star"), ("E*", "E_star")):
            heat[key] = np.real(np.einsum("ij,...ji->...", getattr(eqB, op), rho_final - eqA.rho_S))
            if times.ndim == 0:
                heat[key] = float(heat[key])
        entropy_change = None

    return Quench(
        A=eqA,
        B=eqB,
        beta=beta,
        kind=kind,
        work=MappingProxyType(work),
        heat=MappingProxyType(heat),
        delta_F_S=delta_F_S,
        dissipated_work=MappingProxyType({k: w - delta_F_S for k, w in work.items()}),
        entropy_change=None if entropy_change is None else MappingProxyType(entropy_change),
        final=final,
        t_f=None if times is None else (float(times) if times.ndim == 0 else times),
        rho_S_final=rho_final,
    )


def _evolve_reduced(eqA: Equilibrium, eqB: Equilibrium, times: np.ndarray) -> tuple[np.ndarray, float]:
    """``Tr_R[e^{-i H^B t} pi_SR^A e^{i H^B t}]`` for each ``t``, and ``Tr[H^B rho(t)]`` (conserved).

    In the eigenbasis of ``H^B`` the state only picks up phases ``e^{-i (E_i - E_j) t}``.
    """
    VB = eqB.vectors
    rho_tilde = VB.conj().T @ _gibbs_matrix(eqA) @ VB
    energy_after = float(np.dot(eqB.energies, np.real(np.diag(rho_tilde))))
    gaps = eqB.energies[:, None] - eqB.energies[None, :]
    d_S = eqB.dims[0]
    out = np.empty((times.size, d_S, d_S), dtype=complex)
    left = VB.reshape(d_S, -1)
    for n, t in enumerate(np.atleast_1d(times)):
        rotated = VB @ (rho_tilde * np.exp(-1j * gaps * t))  # V (rho~ o phases); then Tr_R(. V^dagger)
        out[n] = rotated.reshape(d_S, -1) @ left.conj().T
    out = 0.5 * (out + out.conj().swapaxes(-1, -2))
    return (out[0] if times.ndim == 0 else out), energy_after


def system_quench(model: Composite, H_S_B: Any, *, beta: float, **kwargs: Any) -> Quench:
    """System quench ``H_S^A -> H_S^B`` with ``H_R`` and ``V`` fixed (Eq. 14); ``model`` is state A."""
    H_S_B = check_hermitian("H_S_B", as_array(H_S_B))
    if H_S_B.shape != model.H_S.shape:
        raise ValueError(f"H_S_B must have shape {model.H_S.shape}, but has shape {H_S_B.shape}")
    return quench(model, model.replace(H_S=H_S_B), beta=beta, **kwargs)


def interaction_quench(
    model: Composite, *, beta: float, lam_A: float = 0.0, lam_B: float = 1.0, **kwargs: Any
) -> Quench:
    """Interaction quench ``H_S + H_R + lam_A V -> H_S + H_R + lam_B V`` (Eq. 15; the paper: 0 -> 1)."""
    lam_A = check_real("lam_A", lam_A)
    lam_B = check_real("lam_B", lam_B)
    return quench(model.scaled_interaction(lam_A), model.scaled_interaction(lam_B), beta=beta, **kwargs)



def _plain_arrays(eq: Equilibrium) -> Equilibrium:
    """An equilibrium given by the user may hold Qobj operators (QuTiP in, QuTiP out): compute
    with their arrays."""
    if not any(is_qobj(getattr(eq, name)) for name in ("rho_S", "H_star", "E_star")):
        return eq  # the very object given (a quench reports the equilibria it used)
    return dataclasses.replace(eq, rho_S=as_array(eq.rho_S), H_star=as_array(eq.H_star), E_star=as_array(eq.E_star))
