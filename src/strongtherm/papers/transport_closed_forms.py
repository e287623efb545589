"""Closed forms of two-terminal transport through one level, the second road of the transport engine.

A level eps between two wide-band leads (energy-independent widths Gamma_L, Gamma_R, no Lamb
shift; Gamma = Gamma_L + Gamma_R) has the Lorentzian transmission
T(e) = Gamma_L Gamma_R / ((e - eps)^2 + Gamma^2 / 4). With psi the digamma function and

    z_a = 1/2 + (Gamma/2 + i (eps - mu_a)) / (2 pi T_a),
    n_a = 1/2 - Im psi(z_a) / pi                          (= int de L(e) f_a(e), L the level's Lorentzian),
    Phi_a = Re psi(z_a) + ln(2 pi T_a),

the currents from lead L into the level (hbar = e = k_B = 1) are

    I = (Gamma_L Gamma_R / Gamma) (n_L - n_R),
    J_E = eps I + (Gamma_L Gamma_R / 2 pi) (Phi_L - Phi_R),
    J_Q = J_E - mu_L I.

Derivation: (1/2pi) T = (Gamma_L Gamma_R / Gamma) L(e) gives I; for J_E write e = eps + (e - eps) and
(e - eps) T = Gamma_L Gamma_R Re[1 / (e - eps + i Gamma/2)], whose integral against f_a diverges
logarithmically at the band bottom, but against f_L - f_R converges: the Matsubara sum of
f_a = 1/2 - T_a sum_m 2 (e - mu_a) / ((e - mu_a)^2 + w_m^2) gives Re psi(z_a) up to a constant that
cancels between the leads only with the ln(2 pi T_a) beside it (at T_a -> 0, Phi_a -> ln|Gamma/2 +
i(eps - mu_a)|, the elementary integral). Both are tested against direct quadrature.
"""

from __future__ import annotations

import math

from scipy.special import digamma

from ..thermal import Bath

__all__ = ["wide_band_level_currents"]


def _z(eps: float, gamma: float, bath: Bath) -> complex:
    return 0.5 + (0.5 * gamma + 1j * (eps - bath.mu)) / (2.0 * math.pi * bath.T)


def wide_band_level_currents(eps: float, gamma_L: float, gamma_R: float, bath_L: Bath, bath_R: Bath) -> dict[str, float]:
    """Particle, energy and heat current from lead L into a wide-band level (closed forms above).

    Parameters
    ----------
    eps : float
        Level energy, in energy units.
    gamma_L, gamma_R : float
        Level widths Gamma_a = 2 pi rho_a |V_a|^2 from each lead, > 0, in energy units.
    bath_L, bath_R : Bath
        Temperature and chemical potential of each lead.

    Returns
    -------
    dict
        ``I``, ``J_E``, ``J_Q`` (into the level from lead L; the currents from R are their negatives
        for I and J_E) and the occupation ``n`` of the level.
    """
    gamma = gamma_L + gamma_R
    psi_L = complex(digamma(_z(eps, gamma, bath_L)))
    psi_R = complex(digamma(_z(eps, gamma, bath_R)))
    n_L = 0.5 - psi_L.imag / math.pi
    n_R = 0.5 - psi_R.imag / math.pi
    current = gamma_L * gamma_R / gamma * (n_L - n_R)
    phi_L = psi_L.real + math.log(2.0 * math.pi * bath_L.T)
    phi_R = psi_R.real + math.log(2.0 * math.pi * bath_R.T)
    energy = eps * current + gamma_L * gamma_R / (2.0 * math.pi) * (phi_L - phi_R)
    return {"I": current, "J_E": energy, "J_Q": energy - bath_L.mu * current,
            "n": (gamma_L * n_L + gamma_R * n_R) / gamma}
