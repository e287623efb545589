"""Thermal kernels of noninteracting fermions, written to be stable for |beta (e - mu)| >> 1.

Conventions (docs: README "Conventions"): hbar = k_B = 1, T in energy units, beta = 1/T,
entropy in nats. The kernels are those of Eqs. (6)-(10) of Kumar, Webb & Stafford,
PRL 133, 070404 (2024):

* Fermi function  f(e) = 1 / (1 + exp(x)),           x = beta (e - mu)
* entropy density s(e) = -f ln f - (1 - f) ln(1 - f)   (= x f + ln(1 + e^{-x}), Eq. 8)
* grand potential w(e) = -T ln(1 + e^{-x})              (Eq. 10)
* ln f = -logaddexp(0, x) and ln(1 - f) = -logaddexp(0, -x)  (needed in Eq. 24)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import expit

from .core.validation import ArgumentTypeError, check_real

__all__ = ["Bath", "check_bath", "state_functions_from_spectrum", "strip_kernels"]


@dataclass(frozen=True)
class Bath:
    """Common equilibrium state of all reservoirs: temperature and chemical potential.

    Parameters
    ----------
    T : float
        Temperature, in the model's energy units (k_B = 1). Must be finite and > 0.
    mu : float
        Chemical potential, in the model's energy units.
    """

    T: float
    mu: float = 0.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "T", check_real("T", self.T, low=0.0, low_inclusive=False))
        object.__setattr__(self, "mu", check_real("mu", self.mu))

    @property
    def beta(self) -> float:
        """Inverse temperature 1/T."""
        return 1.0 / self.T

    def x(self, e: np.ndarray | float) -> np.ndarray:
        """Reduced energy beta (e - mu)."""
        return (np.asarray(e, dtype=float) - self.mu) / self.T

    def fermi(self, e: np.ndarray) -> np.ndarray:
        """Fermi-Dirac occupation f(e)."""
        return expit(-self.x(e))

    def log_fermi(self, e: np.ndarray) -> np.ndarray:
        """ln f(e) = -logaddexp(0, x), finite for any real x."""
        return -np.logaddexp(0.0, self.x(e))

    def log_one_minus_fermi(self, e: np.ndarray) -> np.ndarray:
        """ln(1 - f(e)) = -logaddexp(0, -x), finite for any real x."""
        return -np.logaddexp(0.0, -self.x(e))

    def entropy_density(self, e: np.ndarray) -> np.ndarray:
        """s(e) = -f ln f - (1 - f) ln(1 - f), in nats (Eq. 8)."""
        x = self.x(e)
        f = expit(-x)
        # x f + ln(1 + e^{-x}) written symmetrically: both terms stay finite for |x| large.
        return f * np.logaddexp(0.0, x) + (1.0 - f) * np.logaddexp(0.0, -x)

    def grand_potential_density(self, e: np.ndarray) -> np.ndarray:
        """omega(e) = -T ln(1 + exp(-beta (e - mu))) (Eq. 10); ~ e - mu far below mu."""
        return -self.T * np.logaddexp(0.0, -self.x(e))

    def kernels(self, e: np.ndarray) -> dict[str, np.ndarray]:
        """All kernels at real energies, named as in :func:`strip_kernels`:
        f, ef (= e f), s, omega, log_f, log_1mf, df_dbeta."""
        e = np.asarray(e, dtype=float)
        f = self.fermi(e)
        return {
            "f": f,
            "ef": e * f,
            "s": self.entropy_density(e),
            "omega": self.grand_potential_density(e),
            "log_f": self.log_fermi(e),
            "log_1mf": self.log_one_minus_fermi(e),
            "df_dbeta": self.fermi_derivative_beta(e),
        }

    def fermi_derivative(self, e: np.ndarray | float) -> np.ndarray:
        """df/de = -f (1 - f) / T, written as -expit(x) expit(-x) / T: finite, and exactly 0 only
        where f (1 - f) underflows (abs(x) > ~745)."""
        x = self.x(e)
        return -expit(x) * expit(-x) / self.T

    def fermi_derivative_beta(self, e: np.ndarray) -> np.ndarray:
        """d f / d beta at fixed mu: -(e - mu) f (1 - f)."""
        x = self.x(e)
        return -(np.asarray(e, dtype=float) - self.mu) * expit(x) * expit(-x)


def check_bath(bath: object, name: str = "bath") -> Bath:
    """``bath`` itself if it is a :class:`Bath`, else ``ArgumentTypeError`` (a TypeError and a
    ValueError) naming the argument: the one bath check of every engine."""
    if not isinstance(bath, Bath):
        raise ArgumentTypeError(f"{name} must be a strongtherm.Bath(T, mu), got {type(bath).__name__}")
    return bath


def _log1p_exp(x: np.ndarray) -> np.ndarray:
    """ln(1 + e^x) for complex x with |Im x| < pi, without overflow (analytic in that strip)."""
    x = np.asarray(x, dtype=complex)
    positive = x.real > 0.0
    safe = np.where(positive, -x, x)  # Re(safe) <= 0, so exp(safe) cannot overflow
    return np.where(positive, x, 0.0) + np.log1p(np.exp(safe))


def strip_kernels(bath: Bath, z: np.ndarray) -> dict[str, np.ndarray]:
    """The kernels f, e f, s, omega, ln f, ln(1 - f), df/dbeta continued to complex energies z.

    Every kernel is analytic in the strip |Im z| < pi T and, beyond it, everywhere off the line
    Re z = mu (the Matsubara poles of f and the branch points of ln f sit at
    mu + i (2m + 1) pi T; the logarithms below put their cuts on that line), and real on the
    real axis. That is what lets :mod:`strongtherm.negf.integrate` move each energy integral off
    the real axis: to Im z = eta < pi T near mu, and arbitrarily high away from it.
    """
    z = np.asarray(z, dtype=complex)
    x = (z - bath.mu) / bath.T
    # within T of the cut Re z = mu above the first Matsubara pole the continuation is ambiguous
    if np.any((np.abs(x.imag) >= np.pi) & (np.abs(x.real) < 1.0)):
        raise ValueError("strip_kernels: z must stay off the line Re z = mu above Im z = pi T (Matsubara poles)")
    log_f = -_log1p_exp(x)  # ln f = -ln(1 + e^x)
    log_1mf = -_log1p_exp(-x)  # ln(1 - f) = -ln(1 + e^-x)
    f = np.exp(log_f)
    one_minus_f = np.exp(log_1mf)
    return {
        "f": f,
        "ef": z * f,
        "s": -f * log_f - one_minus_f * log_1mf,
        "omega": bath.T * log_1mf,  # omega = -T ln(1 + e^-x) = T ln(1 - f)
        "log_f": log_f,
        "log_1mf": log_1mf,
        "df_dbeta": -(z - bath.mu) * f * one_minus_f,  # d f / d beta at fixed mu
    }


def state_functions_from_spectrum(
    bath: Bath,
    energies: np.ndarray,
    weights: np.ndarray | None = None,
    *,
    reference: np.ndarray | None = None,
) -> dict[str, float]:
    """N, U, S, Omega of noninteracting fermions from a single-particle spectrum at (T, mu).

    .. math:: X = \\sum_k w_k\\, x(e_k) - \\sum_q x(e^{\\rm ref}_q), \\qquad x = f,\\ e f,\\ s,\\ \\omega

    (Kumar, Webb & Stafford 2024, Eqs. 6, 8-10 in their discrete form). One helper for every
    finite universe: the Hilbert-space partition of a finite chain (``weights`` the system
    weights w_k, or 1 - w_k with the isolated chains' levels as ``reference``, Eqs. 12, 15), and
    the change of the universe against its isolated reservoirs (``reference`` = e_q^R), whose
    Omega is F*_S (Davoudi et al. 2025, Eqs. 6-8).

    Parameters
    ----------
    bath : Bath
        (T, mu), in units of energy.
    energies : ndarray, shape (K,)
        Single-particle energies e_k, in units of energy.
    weights : ndarray, shape (K,), optional
        w_k (default: 1 for every level).
    reference : ndarray, optional
        Energies e_q whose unweighted sums are subtracted (default: none).

    Returns
    -------
    dict
        ``{"N", "U", "S", "Omega"}`` as plain floats (U = sum e f, not K = U - mu N; S in nats).
    """
    e = np.asarray(energies, dtype=float)

    def sums(levels: np.ndarray, w: np.ndarray | None) -> dict[str, np.ndarray]:
        f = bath.fermi(levels)
        kernels = {"N": f, "U": levels * f, "S": bath.entropy_density(levels), "Omega": bath.grand_potential_density(levels)}
        return {k: np.sum(x) if w is None else np.dot(w, x) for k, x in kernels.items()}

    out = sums(e, weights)
    if reference is not None:
        ref = sums(np.asarray(reference, dtype=float), None)
        out = {k: v - ref[k] for k, v in out.items()}
    return {k: float(v) for k, v in out.items()}
