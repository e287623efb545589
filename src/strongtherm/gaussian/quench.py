"""Sudden quenches of noninteracting fermions: Davoudi et al.'s work and heat for Kumar et al.'s models.

The universe starts in the grand-canonical Gibbs state of ``K^A = H^A - mu N`` (Gaussian);
at ``t = 0`` the parameters jump from ``start`` to ``end`` (Davoudi et al. 2025, Sec. V, Table 1):
a *system quench* changes ``h_S`` only (Eq. 14, e.g. ``eps_s``), an *interaction quench* changes
the couplings only (Eq. 15, e.g. ``V: 0 -> V``). With the mean-force objects of
:mod:`strongtherm.gaussian.meanforce` (``K*``, ``E*_K`` quadratic operators, ``rho_S^A`` Gaussian with
correlation matrix ``C^A``), every trace is a one-body trace plus constants:

* ``W_diff = Tr[(H^B - H^A) pi^A]`` (Eq. 22): ``sum_k (lambda_k^B - lambda_k^A) <dH/dlambda_k>_A``
  with the powers of Kumar Eqs. (19)-(20) (exact for models affine in the quenched parameters,
  which is checked), or ``Tr[(h^B - h^A) f(h^A)]`` on a finite one-body Hamiltonian;
* ``W_H* = Tr_S[(K*^B - K*^A) rho_S^A] = Tr[(k*^B - k*^A) C^A] + (c^B - c^A)`` (Eq. 23);
* ``W_E*`` likewise with ``E*_K`` (Eq. 24);
* after re-equilibration to the Gibbs state of ``K^B`` at the same ``(T, mu)`` (scenario (ii) of
  Sec. V): ``Q = Delta U - W`` per definition (Eqs. 25-27, energies ``U_K`` of ``K``), the entropy
  change ``Delta S = S^B - S^A`` (Eq. 33), and the second law ``W - Delta F*_S >= 0`` (Eq. 28),
  ``Q <= T Delta S`` (Eq. 35), audited by the exact engine's own
  :class:`~strongtherm.exact.SecondLawAudit`.

The particle number is not quenched, so the works are the same for ``H`` and ``K``; the heats
here are those of ``K`` (``Q - mu Delta N`` in ``<H>`` terms: the heat of grand-canonical
thermodynamics, the one bounded by ``T Delta S``).

The many-body check is :func:`strongtherm.gaussian.fock.composite` fed to
:func:`strongtherm.exact.quench` on the same finite chain (tests/bridge).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np

from ..core.definitions import DEFINITIONS
from ..core.quench import QuenchThermodynamics, classify_quench
from ..core.validation import check_hermitian
from ..negf.finite_chain import universe_hamiltonian
from ..negf.integrate import QuadratureOptions
from ..negf.partition import equilibria
from ..negf.system import OpenSystem, check_model_and_bath
from ..thermal import Bath
from .meanforce import SUPPORT_ATOL, MeanForce, from_equilibrium, mean_force_from_hamiltonian

__all__ = ["FermionicQuench", "quench", "quench_finite_chain", "quench_hamiltonian"]

#: Relative tolerance of the check that the model is affine in the quenched parameters.
AFFINE_RTOL = 1e-12


@dataclass(frozen=True, eq=False, repr=False)  # keep the base class's short __repr__
class FermionicQuench(QuenchThermodynamics):
    """Work, heat, free-energy and entropy change of a sudden quench of Gaussian fermions.

    Fields, :meth:`second_law` and :meth:`to_dict` come from the core's
    :class:`~strongtherm.core.quench.QuenchThermodynamics`; the final state is the Gibbs state of
    ``K^B`` (``final="equilibrium"``).

    Attributes
    ----------
    A, B
        :class:`~strongtherm.gaussian.meanforce.MeanForce` before and after the quench.
    beta
        Inverse temperature.
    kind
        ``"system"`` (Davoudi Eq. 14), ``"interaction"`` (Eq. 15) or ``"general"``.
    work
        ``{"diff", "H*", "E*"}`` (Davoudi Eqs. 22-24), in units of energy.
    heat
        Same keys (Eqs. 25-27), after re-equilibration, ``<K>``-heats.
    delta_F_S
        ``F*_S^B - F*_S^A``.
    dissipated_work
        ``W - Delta F*_S`` per definition (Eq. 28).
    entropy_change
        ``S^B - S^A`` per definition (Eq. 33), nats.
    """

    A: MeanForce = field(repr=False)
    B: MeanForce = field(repr=False)


def _assemble(A: MeanForce, B: MeanForce, W_diff: float, kind: str) -> FermionicQuench:
    C_A = A.reduced_state.correlation_matrix
    work = {"diff": float(W_diff)}
    for key, name in (("H*", "K_star"), ("E*", "E_star_K")):
        op_A, op_B = getattr(A, name), getattr(B, name)
        work[key] = op_B.expectation(C_A) - op_A.expectation(C_A)
    delta_F_S = B.F_S - A.F_S
    heat = {k: (B.U_K[k] - A.U_K[k]) - work[k] for k in DEFINITIONS}
    entropy_change = {k: B.S[k] - A.S[k] for k in DEFINITIONS}
    return FermionicQuench(
        A=A,
        B=B,
        beta=A.beta,
        kind=kind,
        work=MappingProxyType(work),
        heat=MappingProxyType(heat),
        delta_F_S=delta_F_S,
        dissipated_work=MappingProxyType({k: w - delta_F_S for k, w in work.items()}),
        entropy_change=MappingProxyType(entropy_change),
        final="equilibrium",
    )


def _resolve(model: OpenSystem, name: str, point: Any) -> dict[str, float]:
    if not isinstance(point, Mapping):
        raise ValueError(f"{name} must be a mapping of parameter names to values, got {type(point).__name__}")
    try:
        return model.resolve(point)
    except ValueError as exc:
        raise ValueError(f"{name}: {exc}") from None


def quench(
    model: OpenSystem,
    bath: Bath,
    *,
    start: Mapping[str, float],
    end: Mapping[str, float],
    options: QuadratureOptions | None = None,
    support_atol: float = SUPPORT_ATOL,
) -> FermionicQuench:
    """Sudden quench ``start -> end`` of ``model`` with infinite reservoirs (Green's-function engine).

    Parameters
    ----------
    model
        An :class:`~strongtherm.negf.OpenSystem` whose ``h_S`` and couplings are affine in the
        parameters that change (true of the built-in models).
    bath
        ``(T, mu)`` of the initial and the final Gibbs state, in units of energy.
    start, end
        Parameters before and after the quench, e.g. ``{"eps_s": 0.0, "V": 0.6}``; missing ones
        take the model's defaults.
    options
        Quadrature tolerances.
    support_atol
        As in :func:`strongtherm.gaussian.mean_force`.

    Returns
    -------
    FermionicQuench

    Raises
    ------
    ValueError
        If ``start`` or ``end`` names an unknown parameter or leaves the domain (the message
        names the argument), ``bath`` is not a ``Bath``, or the model is not affine between
        ``start`` and ``end``.

    Examples
    --------
    >>> import strongtherm as st
    >>> rlm = st.models.resonant_level(t0=1.25)
    >>> q = st.gaussian.quench(rlm, st.Bath(T=0.02), start={"eps_s": 0.0, "V": 0.6}, end={"eps_s": 1.0, "V": 0.6})
    >>> q.kind, q.second_law().verdicts["H*"]
    ('system', True)
    """
    check_model_and_bath(model, bath)
    pA = _resolve(model, "start", start)
    pB = _resolve(model, "end", end)
    eqA, eqB = equilibria(model, bath, [pA, pB], options=options)
    A = from_equilibrium(eqA, support_atol=support_atol)
    B = from_equilibrium(eqB, support_atol=support_atol)

    # W_diff = <H^B - H^A>_A = sum_k dlambda_k <dH/dlambda_k>_A (Kumar Eqs. 19-20), exact when
    # h_S and V are affine in the parameters along start -> end; check that they are
    delta = {k: pB[k] - pA[k] for k in pA if pB[k] != pA[k]}
    dh = model.h_S(pB) - model.h_S(pA)
    dV = [vb - va for va, vb in zip(model.V(pA), model.V(pB), strict=True)]
    lin_h = sum((d * model.dh_S(pA, k) for k, d in delta.items()), np.zeros_like(dh))
    lin_V = [sum((d * model.dV(pA, k)[r] for k, d in delta.items()), np.zeros_like(v)) for r, v in enumerate(dV)]
    scale = 1.0 + max([float(np.max(np.abs(dh)))] + [float(np.max(np.abs(v))) for v in dV])
    misfit = max([float(np.max(np.abs(dh - lin_h)))] + [float(np.max(np.abs(v - lv))) for v, lv in zip(dV, lin_V, strict=True)])
    if misfit > AFFINE_RTOL * scale:
        raise ValueError(
            f"end: quench needs h_S and the couplings of {model.name} to be affine in the quenched parameters "
            f"{sorted(delta)} (misfit {misfit:.3g}); W_diff is computed from the powers <dH/dlambda>"
        )
    W_diff = sum(d * (eqA.powers[k][0] + eqA.powers[k][1]) for k, d in delta.items())
    same_system = not np.any(dh)
    same_coupling = not any(np.any(v) for v in dV)
    return _assemble(A, B, float(W_diff), classify_quench(same_system=same_system, same_reservoir=True, same_coupling=same_coupling))


def quench_hamiltonian(
    h_A: np.ndarray,
    h_B: np.ndarray,
    n_system: int,
    bath: Bath,
    *,
    support_atol: float = SUPPORT_ATOL,
    params: tuple[Mapping[str, float], Mapping[str, float]] | None = None,
) -> FermionicQuench:
    """Sudden quench of a finite universe given by its one-body Hamiltonians (system modes first).

    ``W_diff = Tr[(h^B - h^A) f(h^A)]`` (Davoudi Eq. 22 for a Gaussian state); the rest as in
    :func:`quench`, from :func:`strongtherm.gaussian.meanforce.mean_force_from_hamiltonian`.

    Parameters
    ----------
    h_A, h_B
        Hermitian ``(N, N)`` one-body Hamiltonians with the same reservoir block
        ``h[n:, n:]`` (the reservoir is not quenched).
    n_system
        Number of system modes, ``1 <= n < N``.
    bath
        ``(T, mu)``, in units of energy.
    support_atol
        As in :func:`strongtherm.gaussian.mean_force`.
    params
        Model parameters of A and B, recorded in ``A.params`` and ``B.params`` (optional).

    Raises
    ------
    ValueError
        If the shapes differ or ``h_B`` changes the reservoir block (named in the message).
    """
    h_A = check_hermitian("h_A", h_A)
    h_B = check_hermitian("h_B", h_B)
    if h_A.shape != h_B.shape:
        raise ValueError(f"h_B must have the shape of h_A {h_A.shape}, but has shape {h_B.shape}")
    pA, pB = params if params is not None else ({}, {})
    A = mean_force_from_hamiltonian(h_A, n_system, bath, support_atol=support_atol, params=pA)
    n = int(n_system)
    if not np.array_equal(h_A[n:, n:], h_B[n:, n:]):
        raise ValueError("h_B must have the same reservoir block h[n_system:, n_system:] as h_A (H_R is not quenched)")
    B = mean_force_from_hamiltonian(h_B, n_system, bath, support_atol=support_atol, params=pB)
    assert A.universe_correlation_matrix is not None
    W_diff = float(np.real(np.trace((h_B - h_A) @ A.universe_correlation_matrix)))
    same_system = np.array_equal(h_A[:n, :n], h_B[:n, :n])
    same_coupling = np.array_equal(h_A[n:, :n], h_B[n:, :n])
    return _assemble(A, B, W_diff, classify_quench(same_system=same_system, same_reservoir=True, same_coupling=same_coupling))


def quench_finite_chain(
    model: OpenSystem,
    bath: Bath,
    L: int,
    *,
    start: Mapping[str, float],
    end: Mapping[str, float],
    support_atol: float = SUPPORT_ATOL,
) -> FermionicQuench:
    """:func:`quench` with every chain of ``model`` cut to ``L`` sites (:func:`quench_hamiltonian`).

    The one-body Hamiltonians are :func:`strongtherm.negf.finite_chain.universe_hamiltonian`;
    with ``n + R L <= 12`` modes the same quench can be run in Fock space by the exact engine
    (:func:`strongtherm.gaussian.fock.composite`).
    """
    if not isinstance(model, OpenSystem):
        raise ValueError(f"model must be an OpenSystem, got {type(model).__name__}")
    pA = _resolve(model, "start", start)
    pB = _resolve(model, "end", end)
    return quench_hamiltonian(
        universe_hamiltonian(model, L, pA),
        universe_hamiltonian(model, L, pB),
        model.n_levels,
        bath,
        support_atol=support_atol,
        params=(pA, pB),
    )
