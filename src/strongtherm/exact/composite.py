"""A finite system S coupled to a finite reservoir R: ``H_SR = H_S ⊗ 1 + 1 ⊗ H_R + V`` (Eq. 1).

Davoudi et al. (2025), Eq. (1). The system factor comes first in the tensor product, so the
product state |s>|r> has index ``s * d_R + r`` (the ``numpy.kron`` and QuTiP ``tensor`` order).
Energies are in the user's unit; ``beta`` is passed at solve time, not stored here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from .._validation import check_hermitian
from .linalg import as_array

__all__ = ["Composite"]


@dataclass(frozen=True, eq=False)
class Composite:
    """System + reservoir Hamiltonian on a tensor product of dimensions ``(d_S, d_R)``.

    Parameters
    ----------
    H_S
        System Hamiltonian, Hermitian ``(d_S, d_S)``, NumPy array or QuTiP ``Qobj``.
    H_R
        Reservoir Hamiltonian, Hermitian ``(d_R, d_R)``.
    V
        Interaction on the full space, Hermitian ``(d_S d_R, d_S d_R)`` (system first).
        ``V = 0`` (a scalar zero or ``None``) means no coupling.
    hermitian_atol
        Tolerance of the Hermiticity check, relative to the largest entry.

    Raises
    ------
    ValueError
        If a matrix is not square, not Hermitian, has NaN/inf entries, or ``V`` does not have the
        shape ``(d_S d_R, d_S d_R)`` fixed by ``H_S`` and ``H_R``.

    Examples
    --------
    >>> import numpy as np
    >>> C = Composite(H_S=np.diag([0.0, 1.0]), H_R=np.diag([0.0, 0.7]), V=0.3 * np.ones((4, 4)))
    >>> C.dims
    (2, 2)
    """

    H_S: np.ndarray
    H_R: np.ndarray
    V: np.ndarray | None = None
    hermitian_atol: float = field(default=1e-12, repr=False)

    def __post_init__(self) -> None:
        H_S = check_hermitian("H_S", as_array(self.H_S), atol=self.hermitian_atol)
        H_R = check_hermitian("H_R", as_array(self.H_R), atol=self.hermitian_atol)
        d = H_S.shape[0] * H_R.shape[0]
        V_in = as_array(self.V)
        if V_in is None or (np.ndim(V_in) == 0 and V_in == 0):
            V = np.zeros((d, d), dtype=complex)
        else:
            V = check_hermitian("V", V_in, atol=self.hermitian_atol)
            if V.shape != (d, d):
                raise ValueError(
                    f"V must have shape (d_S*d_R, d_S*d_R) = ({d}, {d}) for H_S of shape "
                    f"{H_S.shape} and H_R of shape {H_R.shape}, but has shape {V.shape}"
                )
        for name, value in (("H_S", H_S), ("H_R", H_R), ("V", V)):
            value.setflags(write=False)
            object.__setattr__(self, name, value)

    @classmethod
    def from_hamiltonian(cls, H: Any, H_S: Any, H_R: Any, **kwargs: Any) -> Composite:
        """Build from the total ``H_SR`` and its local parts; ``V = H_SR - H_S ⊗ 1 - 1 ⊗ H_R``."""
        H_S = check_hermitian("H_S", as_array(H_S))
        H_R = check_hermitian("H_R", as_array(H_R))
        H = check_hermitian("H", as_array(H))
        d = H_S.shape[0] * H_R.shape[0]
        if H.shape != (d, d):
            raise ValueError(f"H must have shape ({d}, {d}) for H_S {H_S.shape} and H_R {H_R.shape}, but has shape {H.shape}")
        V = H - np.kron(H_S, np.eye(H_R.shape[0])) - np.kron(np.eye(H_S.shape[0]), H_R)
        return cls(H_S=H_S, H_R=H_R, V=V, **kwargs)

    @property
    def dims(self) -> tuple[int, int]:
        """``(d_S, d_R)``."""
        return (self.H_S.shape[0], self.H_R.shape[0])

    @cached_property
    def H(self) -> np.ndarray:
        """The total Hamiltonian ``H_SR`` of Eq. (1), shape ``(d_S d_R, d_S d_R)``."""
        d_S, d_R = self.dims
        H = self.V + np.kron(self.H_S, np.eye(d_R)) + np.kron(np.eye(d_S), self.H_R)
        H.setflags(write=False)
        return H

    @property
    def is_real(self) -> bool:
        """True when all three matrices are real (real-symmetric eigensolvers are then used)."""
        return not (np.any(self.H_S.imag) or np.any(self.H_R.imag) or np.any(self.V.imag))

    def replace(self, **changes: Any) -> Composite:
        """A copy with some of ``H_S``, ``H_R``, ``V`` replaced (models are immutable)."""
        kwargs = {"H_S": self.H_S, "H_R": self.H_R, "V": self.V, "hermitian_atol": self.hermitian_atol}
        kwargs.update(changes)
        return Composite(**kwargs)

    def scaled_interaction(self, lam: float) -> Composite:
        """``H_S + H_R + lam V``, the family of the interaction quench (Eq. 15)."""
        return self.replace(V=lam * self.V)

    def __repr__(self) -> str:
        d_S, d_R = self.dims
        return f"Composite(d_S={d_S}, d_R={d_R}, |V|_max={float(np.max(np.abs(self.V))):.3g})"
