"""Equilibrium mean-force quantities of a finite system + reservoir (Davoudi et al. 2025, Secs. II-III).

For ``H = H_SR`` at inverse temperature ``beta`` (global Gibbs state, Eq. 2):

* reduced state ``pi_S = Tr_R e^{-beta H} / Z_SR`` (Eq. 3);
* Hamiltonian of mean force ``H*_S = -beta^{-1} ln[Tr_R e^{-beta H} / Tr_R e^{-beta H_R}]`` (Eq. 4);
* free energies ``F_SR, F_S = -beta^{-1} ln Z*_S = F_SR - F_R, F_R`` (Eqs. 6-8);
* energy operator ``E*_S = d/dbeta (beta H*_S)`` (Eq. 12), evaluated exactly as
  ``E*_S = D log_X [Tr_R(H e^{-beta H})] - U_R^0`` with ``X = Tr_R e^{-beta H}`` and ``D log_X``
  the Fréchet derivative of the matrix logarithm. Eq. (48), ``Tr_R(H e^{-beta H}) X^{-1} - U_R^0``,
  is the special case ``[X, Tr_R(H e^{-beta H})] = 0`` (true in the two-spin model by parity, not
  in general) and is not used here;
* internal energies ``U_diff = U_SR - U_R^0`` (Eq. 10), ``U_H* = Tr(H*_S pi_S)`` (Eq. 11),
  ``U_E* = Tr(E*_S pi_S)`` (Eq. 13), and entropies ``S = beta (U - F_S)`` (Eq. 33) per definition.

Everything comes from one eigendecomposition of ``H_SR`` plus the eigenvalues of ``H_R`` and a
``d_S x d_S`` eigendecomposition. Units: energies in the unit of the Hamiltonian, ``beta`` in its
inverse, entropies in nats (k_B = 1).
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
from scipy.linalg import eigh, eigvalsh

from ..core.convert import to_qobj
from ..core.definitions import DEFINITIONS
from ..core.display import html_table
from ..core.progress import stages
from ..core.quantities import key as quantity_key
from ..core.validation import check_real
from ..core.warnings import RankDeficientWarning
from .composite import Composite
from .linalg import frechet_log, gibbs_weights, reduced_weighted_sums

__all__ = [
    "DEFINITIONS",
    "Equilibrium",
    "ExactOptions",
    "RankDeficientWarning",
    "bare_gibbs",
    "check_beta",
    "equilibria",
    "equilibrium",
]

@dataclass(frozen=True)
class ExactOptions:
    """Tolerances of the exact engine.

    Parameters
    ----------
    support_rtol
        Eigenvalues of ``Tr_R e^{-beta (H - E0)}`` at or below ``support_rtol`` times the largest
        are treated as zero: rounding in the largest eigenvalue (about ``d eps``) hides anything
        smaller, so a logarithm of it would be noise. Default ``1e-13``.
    """

    support_rtol: float = 1e-13

    def __post_init__(self) -> None:
        check_real("support_rtol", self.support_rtol, low=0.0, high=1.0, low_inclusive=False, high_inclusive=False)


def check_beta(beta: Any) -> float:
    """``beta`` must be a finite positive real number (inverse temperature)."""
    return check_real("beta", beta, low=0.0, low_inclusive=False)


@dataclass(frozen=True, eq=False)
class Equilibrium:
    """Mean-force quantities of the global Gibbs state at inverse temperature ``beta``.

    Attributes
    ----------
    beta
        Inverse temperature.
    dims
        ``(d_S, d_R)``.
    rho_S
        Reduced state ``pi_S`` (Eq. 3), ``(d_S, d_S)``.
    H_star, E_star
        ``H*_S`` (Eq. 4) and ``E*_S`` (Eq. 12), ``(d_S, d_S)``. ``rho_S``, ``H_star`` and ``E_star``
        are QuTiP ``Qobj`` (with the system's dims) when the model was built from ``Qobj``. If ``pi_S`` is rank deficient they
        are given on its support (zero on the kernel) and a :class:`RankDeficientWarning` is issued.
    F_S, F_SR, F_R
        Free energies (Eqs. 6-8).
    U
        Internal energies ``{"diff": U_diff, "H*": U_H*, "E*": U_E*}`` (Eqs. 10, 11, 13).
    entropy
        ``S = beta (U - F_S)`` (Eq. 33) per definition, in nats.
    U_SR, U_R0
        ``<H_SR>`` in the global Gibbs state and the bare reservoir energy ``U_R^0``.
    ln_Z_SR, ln_Z_R
        Logarithms of the partition functions (kept as logarithms: no overflow).
    support
        Isometry ``(d_S, m)`` onto the support of ``pi_S`` (``m = d_S`` unless rank deficient).
    """

    beta: float
    dims: tuple[int, int]
    rho_S: np.ndarray
    H_star: np.ndarray
    E_star: np.ndarray
    F_S: float
    F_SR: float
    F_R: float
    U: MappingProxyType
    entropy: MappingProxyType
    U_SR: float
    U_R0: float
    ln_Z_SR: float
    ln_Z_R: float
    support: np.ndarray
    model: Composite = field(repr=False)
    energies: np.ndarray = field(repr=False)
    vectors: np.ndarray = field(repr=False)
    weights: np.ndarray = field(repr=False)

    @property
    def rank_deficient(self) -> bool:
        """True if ``pi_S`` is singular to working precision (``H*_S`` restricted to its support)."""
        return self.support.shape[1] < self.dims[0]

    def to_dict(self) -> dict[str, float]:
        """The scalar results as a flat dict of plain floats (for sweeps, JSON and tables).

        Keys: ``F_S``, ``F_SR``, ``F_R`` (Eqs. 6-8), ``U_diff``, ``U_Hstar``, ``U_Estar``
        (Eqs. 10, 11, 13), ``entropy_diff``, ``entropy_Hstar``, ``entropy_Estar`` (Eq. 33, nats),
        ``U_SR``, ``U_R0``, ``ln_Z_SR``, ``ln_Z_R``, ``rank_deficient`` (0 or 1). Energies in the
        Hamiltonian's unit. The operators (``rho_S``, ``H_star``, ``E_star``) stay attributes.
        """

        out = {name: float(getattr(self, name)) for name in ("F_S", "F_SR", "F_R")}
        out.update({quantity_key("U", definition=k): float(v) for k, v in self.U.items()})
        out.update({quantity_key("entropy", definition=k): float(v) for k, v in self.entropy.items()})
        out.update({name: float(getattr(self, name)) for name in ("U_SR", "U_R0", "ln_Z_SR", "ln_Z_R")})
        out["rank_deficient"] = float(self.rank_deficient)
        return out

    def _repr_html_(self) -> str:
        rows = [(key, self.U[key], self.entropy[key]) for key in DEFINITIONS]
        return html_table(
            "Equilibrium: mean-force energies and entropies (Davoudi et al. Eqs. 10, 11, 13, 33)",
            ("definition", "U", "S [nats]"),
            rows,
            {"beta": self.beta, "(d_S, d_R)": self.dims, "F_S": self.F_S, "rank deficient": self.rank_deficient},
        )

    def __repr__(self) -> str:
        d_S, d_R = self.dims
        U = ", ".join(f"{k}={v:.6g}" for k, v in self.U.items())
        extra = ", rank deficient" if self.rank_deficient else ""
        return f"Equilibrium(beta={self.beta:g}, d_S={d_S}, d_R={d_R}, F_S={self.F_S:.6g}, U: {U}{extra})"


def bare_gibbs(H: np.ndarray, beta: float) -> tuple[float, float]:
    """``(ln Z, U)`` of ``e^{-beta H}`` from the eigenvalues only (the reservoir's ``Z_R``, ``U_R^0``)."""
    return _gibbs_from_energies(_eigenvalues(H), beta)


def _eigenvalues(H: np.ndarray) -> np.ndarray:
    return eigvalsh(H.real if not np.any(H.imag) else H, check_finite=False)


def _gibbs_from_energies(E: np.ndarray, beta: float) -> tuple[float, float]:
    p, _, ln_Z = gibbs_weights(E, beta)
    return ln_Z, float(np.dot(p, E) / np.sum(p))


@dataclass(frozen=True, eq=False)
class _Spectrum:
    """One eigendecomposition of ``H`` (and the eigenvalues of ``H_R``), shared by every ``beta``."""

    energies: np.ndarray
    vectors: np.ndarray
    reservoir_energies: np.ndarray


def _spectrum(model: Composite) -> _Spectrum:
    H = model.H.real if model.is_real else model.H
    # scipy's default driver (MRRR, ?heevr/?syevr) is about twice as fast as numpy's ?heevd here
    E, vectors = eigh(H, check_finite=False)
    return _Spectrum(E, vectors, _eigenvalues(model.H_R))


#: Total dimension from which a call is expected to take seconds (one eigh of a d x d matrix):
#: below it no progress bar is shown even on a terminal (a bar that flashes is noise).
PROGRESS_MIN_DIMENSION = 1024


def progress_for(model: Composite, progress: bool | None) -> bool | None:
    """``progress`` as given; ``None`` becomes False for a model too small to take seconds.

    Shared by the engine's solvers (:func:`equilibrium`, :func:`equilibria` and
    :func:`strongtherm.exact.quench`), so that every call on the same model shows a bar or not alike.
    """
    if progress is None and model.dims[0] * model.dims[1] < PROGRESS_MIN_DIMENSION:
        return False
    return progress


def equilibrium(
    model: Composite, *, beta: float, options: ExactOptions | None = None, progress: bool | None = None
) -> Equilibrium:
    """Mean-force Hamiltonian, energy operator, free energy and internal energies (Eqs. 3-13, 33).

    Parameters
    ----------
    model
        The system + reservoir (:class:`~strongtherm.exact.Composite`).
    beta
        Inverse temperature, in inverse units of the Hamiltonian; finite and positive.
    options
        Tolerances (:class:`ExactOptions`).
    progress
        Show a progress bar over the diagonalization and the reduction (``None``: on a terminal,
        for d >= 1024 only; see :mod:`strongtherm.core.progress`).

    Returns
    -------
    Equilibrium

    Raises
    ------
    ValueError
        If ``beta`` is not a finite positive number.
    TypeError
        If ``model`` is not a ``Composite``.

    Warns
    -----
    RankDeficientWarning
        If ``pi_S`` is singular to working precision (``H*_S`` has infinite eigenvalues there).

    Notes
    -----
    With ``H = sum_k E_k |k><k|``, ``E0 = min E_k`` and ``p_k = e^{-beta (E_k - E0)}``:
    ``X~ = Tr_R sum_k p_k |k><k|`` and ``Y~ = Tr_R sum_k (E_k - E0) p_k |k><k|``. Then
    ``H*_S = E0 - beta^{-1} ln X~ + beta^{-1} ln Z_R`` and, since
    ``d/dbeta X~ = -Y~`` and ``D log_X[X] = 1``,
    ``E*_S = E0 + D log_{X~}[Y~] - U_R^0`` (Davoudi et al. Eq. 12 differentiated exactly).

    Examples
    --------
    >>> import numpy as np
    >>> C = Composite(H_S=np.diag([0.0, 1.0]), H_R=np.diag([0.0, 0.7]), V=0 * np.eye(4))
    >>> eq = equilibrium(C, beta=2.0)
    >>> bool(np.allclose(eq.H_star, np.diag([0.0, 1.0])))
    True
    """
    _check_model(model)
    beta = check_beta(beta)
    options = options or ExactOptions()
    d = model.dims[0] * model.dims[1]
    steps = stages(("diagonalize", "reduce"), total=2, desc=f"exact equilibrium (d={d})", progress=progress_for(model, progress))
    spectrum = None
    for step in steps:
        if step == "diagonalize":
            spectrum = _spectrum(model)
        else:
            result = equilibrium_unchecked(model, beta, options, spectrum=spectrum)
    return _as_qobj(model, result)


def equilibria(
    model: Composite,
    betas: Sequence[float] | np.ndarray,
    *,
    options: ExactOptions | None = None,
    progress: bool | None = None,
) -> tuple[Equilibrium, ...]:
    """:func:`equilibrium` at many inverse temperatures from ONE eigendecomposition of ``H``.

    A beta scan of the exact engine costs one ``eigh`` of the d x d Hamiltonian plus, per beta,
    the partial trace and an eigendecomposition of the small d_S x d_S reduced operator, instead
    of one d x d ``eigh`` per beta. Numbers are identical to calling :func:`equilibrium` per beta.

    Parameters
    ----------
    model
        The system + reservoir.
    betas
        Inverse temperatures, each finite and positive (1-D).
    options
        Tolerances (:class:`ExactOptions`).
    progress
        Show a progress bar (``None``: on a terminal only; see :mod:`strongtherm.core.progress`).

    Returns
    -------
    tuple of Equilibrium
        One per beta, in the given order.
    """
    _check_model(model)
    values = np.atleast_1d(np.asarray(betas, dtype=object))
    if values.ndim != 1 or values.size == 0:
        raise ValueError(f"betas must be a non-empty 1-D sequence of inverse temperatures, got {betas!r}")
    checked = [check_beta(b) for b in values]
    options = options or ExactOptions()
    spectrum = _spectrum(model)
    steps = stages(checked, total=len(checked), desc=f"exact equilibria (d={model.dims[0] * model.dims[1]})",
                   progress=progress_for(model, progress))  # fmt: skip
    return tuple(_as_qobj(model, equilibrium_unchecked(model, beta, options, spectrum=spectrum)) for beta in steps)


def _check_model(model: Any) -> None:
    if not isinstance(model, Composite):
        raise TypeError(f"model must be a strongtherm.exact.Composite, got {type(model).__name__}")


def equilibrium_unchecked(
    model: Composite,
    beta: float,
    options: ExactOptions,
    reservoir: tuple[float, float] | None = None,
    *,
    spectrum: _Spectrum | None = None,
) -> Equilibrium:
    """:func:`equilibrium` after validation; ``reservoir = (ln Z_R, U_R^0)`` and ``spectrum``
    (the eigendecomposition of ``H``) if already known.

    The engine's own solvers (:func:`equilibria`, :func:`strongtherm.exact.quench`) call it once
    they have checked ``model``, ``beta`` and ``options``; it trusts them (STYLE.md, section 7:
    validate at the public entry point), so it is left out of ``__all__``.
    """
    d_S, d_R = model.dims
    spectrum = spectrum or _spectrum(model)
    E, vectors = spectrum.energies, spectrum.vectors
    p, E0, ln_Z_SR = gibbs_weights(E, beta)
    Z_shifted = float(np.sum(p))
    X, Y = reduced_weighted_sums(vectors, np.stack([p, (E - E0) * p]), (d_S, d_R))
    rho_S = X / Z_shifted

    ln_Z_R, U_R0 = reservoir if reservoir is not None else _gibbs_from_energies(spectrum.reservoir_energies, beta)

    x, Ux = np.linalg.eigh(X)
    keep = x > options.support_rtol * x[-1]
    if not np.all(keep):
        warnings.warn(
            f"the reduced Gibbs state pi_S is rank deficient: {int(np.sum(~keep))} of {d_S} eigenvalues of "
            f"Tr_R e^(-beta H) are below {options.support_rtol:g} x the largest (beta={beta:g}); H*_S has "
            "infinite eigenvalues there, so H_star and E_star are given on the support of pi_S "
            "(zero on its kernel, see Equilibrium.support)",
            RankDeficientWarning,
            stacklevel=3,
        )
    x, Ux = x[keep], Ux[:, keep]

    H_star, E_star = mean_force_operators(x, Ux, Y, beta, E0, ln_Z_R, U_R0)
    if model.is_real:  # real-symmetric H: the operators are real (no 1e-19 imaginary rounding)
        rho_S, H_star, E_star = rho_S.real.copy(), H_star.real.copy(), E_star.real.copy()

    F_SR = -ln_Z_SR / beta
    F_R = -ln_Z_R / beta
    F_S = F_SR - F_R
    U_SR = float(np.dot(p, E) / Z_shifted)
    U = {
        "diff": U_SR - U_R0,
        "H*": float(np.real(np.trace(H_star @ rho_S))),
        "E*": float(np.real(np.trace(E_star @ rho_S))),
    }
    entropy = {k: beta * (u - F_S) for k, u in U.items()}
    for arr in (rho_S, H_star, E_star, Ux, E, vectors, p):
        arr.setflags(write=False)
    return Equilibrium(
        beta=beta,
        dims=(d_S, d_R),
        rho_S=rho_S,
        H_star=H_star,
        E_star=E_star,
        F_S=F_S,
        F_SR=F_SR,
        F_R=F_R,
        U=MappingProxyType(U),
        entropy=MappingProxyType(entropy),
        U_SR=U_SR,
        U_R0=U_R0,
        ln_Z_SR=ln_Z_SR,
        ln_Z_R=ln_Z_R,
        support=Ux,
        model=model,
        energies=E,
        vectors=vectors,
        weights=p,
    )


def mean_force_operators(
    x: np.ndarray, Ux: np.ndarray, Y: np.ndarray, beta: float, E0: float, ln_Z_R: float, U_R0: float
) -> tuple[np.ndarray, np.ndarray]:
    """H*_S (Eq. 4) and E*_S (Eq. 12) from the shifted partial traces, on the support of pi_S.

    Parameters
    ----------
    x, Ux : ndarray
        Eigenvalues (> 0) and eigenvectors (columns) of X~ = Tr_R e^{-beta (H - E0)} on the support.
    Y : ndarray
        Y~ = Tr_R[(H - E0) e^{-beta (H - E0)}] = -dX~/dbeta.
    beta, E0, ln_Z_R, U_R0 : float
        Inverse temperature, the shift E0, ln Z_R and U_R^0 of the bare reservoir.

    Returns
    -------
    H_star, E_star : ndarray
        Hermitian, zero on the kernel of pi_S; the shift E0 restored exactly.
    """
    h_star = E0 - np.log(x) / beta + ln_Z_R / beta
    H_star = (Ux * h_star) @ Ux.conj().T
    # exact Fréchet derivative of ln at X~ applied to -dX~/dbeta = Y~ (restricted to the support)
    Y_support = Ux.conj().T @ Y @ Ux
    E_support = frechet_log(x, np.eye(x.size), Y_support) + (E0 - U_R0) * np.eye(x.size)
    E_star = Ux @ E_support @ Ux.conj().T
    return 0.5 * (H_star + H_star.conj().T), 0.5 * (E_star + E_star.conj().T)


def _as_qobj(model: Composite, result: Equilibrium) -> Equilibrium:
    """QuTiP in, QuTiP out: rho_S, H_star, E_star as Qobj with the system's tensor factors when
    the model was built from Qobj (``model.qobj_dims``); otherwise ``result`` unchanged."""
    if model.qobj_dims is None:
        return result
    dims = [list(model.qobj_dims[0])] * 2
    return dataclasses.replace(
        result, rho_S=to_qobj(result.rho_S, dims), H_star=to_qobj(result.H_star, dims), E_star=to_qobj(result.E_star, dims)
    )
