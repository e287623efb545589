"""Closed forms of Appendix D of Davoudi et al. (2025) for the two-spin model (Eq. 38).

An independent road to the numbers of Fig. 2: scalar formulas, no matrices, written from the
paper (Eqs. 58-84) and checked against the matrix engine :mod:`strongtherm.exact`.

Notation: ``a± = (eps ± alpha)/2``, ``eta± = sqrt(a±² + chi²)``, and in the ``σ_S^z`` basis
(|↑>, |↓>) ``Tr_R e^{-beta H} = diag(X_-, X_+)`` (Eqs. 60-61), so ``X_-`` belongs to |↑>.
``dX± = ∂_beta X±`` is differentiated by hand here (the paper does not print it).

Corrections to the printed appendix (each verified against the matrix engine to ~1e-15):

* Eqs. (73)-(74) print ``H_S / Z_S`` and ``H_R / Z_R``. The Gibbs states are
  ``pi_S^0 = diag(e^{-beta eps/2}, e^{beta eps/2}) / (2 cosh(beta eps/2))`` and likewise for R with
  ``alpha``; Eqs. (77)-(81) already use these (their ``e^{∓beta eps/2}/(2 cosh)`` weights).
* Eq. (75) writes ``eta_1, eta_2``; they are ``eta_+, eta_-`` (Eq. 59 with the B couplings).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "ClosedFormEquilibrium",
    "ClosedFormQuench",
    "equilibrium_closed_form",
    "interaction_quench_closed_form",
    "system_quench_closed_form",
]


@dataclass(frozen=True)
class ClosedFormEquilibrium:
    """Eqs. (59)-(63): ``Z_SR``, ``X±``, their beta-derivatives, and diagonals of ``pi_S``, ``H*_S``, ``E*_S``."""

    Z: Any
    X_minus: Any
    X_plus: Any
    dX_minus: Any
    dX_plus: Any
    rho_S_diag: Any
    H_star_diag: Any
    E_star_diag: Any


@dataclass(frozen=True)
class ClosedFormQuench:
    """Work, heat, free-energy and entropy change of a quench (same keys as the matrix engine)."""

    work: dict[str, Any]
    heat: dict[str, Any]
    delta_F_S: Any
    entropy_change: dict[str, Any]


def equilibrium_closed_form(eps: Any, alpha: Any, gamma: Any, chi: Any, beta: float) -> ClosedFormEquilibrium:
    """Eqs. (59)-(63) (broadcasting over array arguments)."""
    eps, alpha, gamma, chi = (np.asarray(v, dtype=float) for v in (eps, alpha, gamma, chi))
    a_p, a_m = (eps + alpha) / 2, (eps - alpha) / 2
    eta_p, eta_m = np.hypot(a_p, chi), np.hypot(a_m, chi)
    c_p, s_p = np.cosh(beta * eta_p), np.sinh(beta * eta_p)
    c_m, s_m = np.cosh(beta * eta_m), np.sinh(beta * eta_m)
    g_minus, g_plus = np.exp(-beta * gamma), np.exp(beta * gamma)
    # a/eta * sinh(beta eta) and its derivative stay finite as eta -> 0 (chi = 0, a = 0)
    r_p = np.divide(a_p, eta_p, out=np.zeros_like(a_p * eta_p), where=eta_p > 0)
    r_m = np.divide(a_m, eta_m, out=np.zeros_like(a_m * eta_m), where=eta_m > 0)

    def X(sign: int) -> tuple[Any, Any]:
        # Eq. (61); derivative by the product rule
        first = c_p + sign * r_p * s_p
        second = c_m + sign * r_m * s_m
        value = g_minus * first + g_plus * second
        d_first = eta_p * s_p + sign * a_p * c_p
        d_second = eta_m * s_m + sign * a_m * c_m
        derivative = g_minus * (-gamma * first + d_first) + g_plus * (gamma * second + d_second)
        return value, derivative

    X_minus, dX_minus = X(-1)
    X_plus, dX_plus = X(+1)
    Z = 2 * g_minus * c_p + 2 * g_plus * c_m  # Eq. (59)
    two_cosh_R = 2 * np.cosh(beta * alpha / 2)
    R_energy = alpha / 2 * np.tanh(beta * alpha / 2)  # -U_R^0
    H_star = np.stack([-np.log(X_minus / two_cosh_R) / beta, -np.log(X_plus / two_cosh_R) / beta])  # Eq. (62)
    E_star = np.stack([-dX_minus / X_minus + R_energy, -dX_plus / X_plus + R_energy])  # Eq. (63)
    return ClosedFormEquilibrium(
        Z=Z,
        X_minus=X_minus,
        X_plus=X_plus,
        dX_minus=dX_minus,
        dX_plus=dX_plus,
        rho_S_diag=np.stack([X_minus / Z, X_plus / Z]),  # Eq. (60)
        H_star_diag=H_star,
        E_star_diag=E_star,
    )


def system_quench_closed_form(eps_A: Any, eps_B: Any, alpha: float, gamma: float, chi: float, beta: float) -> ClosedFormQuench:
    """System quench ``eps_A -> eps_B`` (Appendix D.1, Eqs. 64-72), scenario (ii) final state."""
    eps_A, eps_B = np.asarray(eps_A, dtype=float), np.asarray(eps_B, dtype=float)
    A = equilibrium_closed_form(eps_A, alpha, gamma, chi, beta)
    B = equilibrium_closed_form(eps_B, alpha, gamma, chi, beta)
    a_pA, a_mA = (eps_A + alpha) / 2, (eps_A - alpha) / 2
    a_pB, a_mB = (eps_B + alpha) / 2, (eps_B - alpha) / 2
    eta_pA, eta_mA = np.hypot(a_pA, chi), np.hypot(a_mA, chi)
    eta_pB, eta_mB = np.hypot(a_pB, chi), np.hypot(a_mB, chi)
    gm, gp = np.exp(-beta * gamma), np.exp(beta * gamma)

    def ratio(a: Any, eta: Any) -> Any:
        return np.divide(a, eta, out=np.zeros_like(a * eta), where=eta > 0)

    W_diff = (eps_A - eps_B) / A.Z * (ratio(a_pA, eta_pA) * gm * np.sinh(beta * eta_pA) + ratio(a_mA, eta_mA) * gp * np.sinh(beta * eta_mA))  # Eq. (64)
    W_H = -1 / (beta * A.Z) * (A.X_minus * np.log(B.X_minus / A.X_minus) + A.X_plus * np.log(B.X_plus / A.X_plus))  # Eq. (65)
    W_E = (A.dX_minus - A.X_minus / B.X_minus * B.dX_minus + A.dX_plus - A.X_plus / B.X_plus * B.dX_plus) / A.Z  # Eq. (66)
    # Eq. (67): U_SR^B - Tr[H^B pi^A]
    U_B = (2 * gamma * (gm * np.cosh(beta * eta_pB) - gp * np.cosh(beta * eta_mB)) - 2 * eta_pB * gm * np.sinh(beta * eta_pB) - 2 * eta_mB * gp * np.sinh(beta * eta_mB)) / B.Z
    minus_HB_in_A = (
        2 * gamma * (-gm * np.cosh(beta * eta_pA) + gp * np.cosh(beta * eta_mA))
        + 2 * gm * np.sinh(beta * eta_pA) * ratio(a_pB * a_pA + chi**2, eta_pA)
        + 2 * gp * np.sinh(beta * eta_mA) * ratio(a_mB * a_mA + chi**2, eta_mA)
    ) / A.Z
    Q_diff = U_B + minus_HB_in_A
    pA_m, pA_p = A.X_minus / A.Z, A.X_plus / A.Z
    pB_m, pB_p = B.X_minus / B.Z, B.X_plus / B.Z
    Q_H = ((pA_m - pB_m) * np.log(B.X_minus) + (pA_p - pB_p) * np.log(B.X_plus)) / beta  # Eq. (68)
    Q_E = (pA_m - pB_m) * B.dX_minus / B.X_minus + (pA_p - pB_p) * B.dX_plus / B.X_plus  # Eq. (69)
    dF = -np.log((gm * np.cosh(beta * eta_pB) + gp * np.cosh(beta * eta_mB)) / (gm * np.cosh(beta * eta_pA) + gp * np.cosh(beta * eta_mA))) / beta  # Eq. (70)
    dS_diff = -beta * ((B.dX_minus + B.dX_plus) / B.Z - (A.dX_minus + A.dX_plus) / A.Z) + np.log(B.Z / A.Z)  # Eq. (71)
    dS_H = pB_m * np.log(1 / pB_m) - pA_m * np.log(1 / pA_m) + pB_p * np.log(1 / pB_p) - pA_p * np.log(1 / pA_p)  # Eq. (72)
    return ClosedFormQuench(
        work={"diff": W_diff, "H*": W_H, "E*": W_E},
        heat={"diff": Q_diff, "H*": Q_H, "E*": Q_E},
        delta_F_S=dF,
        entropy_change={"diff": dS_diff, "H*": dS_H, "E*": dS_diff},
    )


def interaction_quench_closed_form(eps: float, alpha: float, gamma_B: Any, chi_B: Any, beta: float) -> ClosedFormQuench:
    """Interaction quench ``(gamma, chi): (0, 0) -> (gamma_B, chi_B)`` (Appendix D.2, Eqs. 73-84).

    Uses the corrected Eqs. (73)-(75) (see the module docstring).
    """
    gamma, chi = np.asarray(gamma_B, dtype=float), np.asarray(chi_B, dtype=float)
    B = equilibrium_closed_form(eps, alpha, gamma, chi, beta)
    a_p, a_m = (eps + alpha) / 2, (eps - alpha) / 2
    eta_p, eta_m = np.hypot(a_p, chi), np.hypot(a_m, chi)  # Eq. (75): eta_1, eta_2 are eta_+, eta_-
    gm, gp = np.exp(-beta * gamma), np.exp(beta * gamma)
    ch_e, th_e = np.cosh(beta * eps / 2), np.tanh(beta * eps / 2)
    ch_a, th_a = np.cosh(beta * alpha / 2), np.tanh(beta * alpha / 2)
    # corrected Eq. (73): Gibbs weights of |↑>, |↓> (energies +eps/2, -eps/2)
    pi0_up, pi0_down = np.exp(-beta * eps / 2) / (2 * ch_e), np.exp(beta * eps / 2) / (2 * ch_e)
    mixed = (2 * a_p * np.sinh(beta * a_p) - 2 * gamma * np.cosh(beta * a_p) + 2 * a_m * np.sinh(beta * a_m) + 2 * gamma * np.cosh(beta * a_m)) / (4 * ch_e * ch_a)
    W_diff = eps / 2 * th_e + alpha / 2 * th_a - mixed  # Eq. (76)
    W_H = -((pi0_up * np.log(B.X_minus) + pi0_down * np.log(B.X_plus)) - np.log(2 * ch_a)) / beta + eps / 2 * th_e  # Eq. (77)
    W_E = eps / 2 * th_e + alpha / 2 * th_a - (pi0_up * B.dX_minus / B.X_minus + pi0_down * B.dX_plus / B.X_plus)  # Eq. (78)
    U_B = (2 * gamma * (gm * np.cosh(beta * eta_p) - gp * np.cosh(beta * eta_m)) - 2 * eta_p * gm * np.sinh(beta * eta_p) - 2 * eta_m * gp * np.sinh(beta * eta_m)) / B.Z
    Q_diff = U_B + mixed  # Eq. (79)
    Q_H = ((pi0_up - B.X_minus / B.Z) * np.log(B.X_minus) + (pi0_down - B.X_plus / B.Z) * np.log(B.X_plus)) / beta  # Eq. (80)
    Q_E = (pi0_up / B.X_minus - 1 / B.Z) * B.dX_minus + (pi0_down / B.X_plus - 1 / B.Z) * B.dX_plus  # Eq. (81)
    dF = -np.log((gm * np.cosh(beta * eta_p) + gp * np.cosh(beta * eta_m)) / (2 * ch_e * ch_a)) / beta  # Eq. (82)
    log_ratio = np.log(B.Z / (4 * ch_e * ch_a))
    dS_diff = beta * eps / 2 * th_e + beta * alpha / 2 * th_a - beta / B.Z * (B.dX_minus + B.dX_plus) + log_ratio  # Eq. (83)
    dS_H = beta * eps / 2 * th_e - (B.X_minus * np.log(B.X_minus) + B.X_plus * np.log(B.X_plus)) / B.Z + np.log(2 * ch_a) + log_ratio  # Eq. (84)
    return ClosedFormQuench(
        work={"diff": W_diff, "H*": W_H, "E*": W_E},
        heat={"diff": Q_diff, "H*": Q_H, "E*": Q_E},
        delta_F_S=dF,
        entropy_change={"diff": dS_diff, "H*": dS_H, "E*": dS_diff},
    )
