"""A finite system S coupled to a finite reservoir R: ``H_SR = H_S ⊗ 1 + 1 ⊗ H_R + V`` (Eq. 1).

Davoudi et al. (2025), Eq. (1). The system factor comes first in the tensor product, so the
product state |s>|r> has index ``s * d_R + r`` (the ``numpy.kron`` and QuTiP ``tensor`` order).
Energies are in the user's unit; ``beta`` is passed at solve time, not stored here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from ..core.convert import as_array, qobj_dims
from ..core.validation import check_hermitian, check_real

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
    # None (or 0) at construction means "uncoupled"; __post_init__ stores the (d, d) zero matrix,
    # so after construction V is always an array
    V: np.ndarray = None  # type: ignore[assignment]
    hermitian_atol: float = field(default=1e-12, repr=False)
    qobj_dims: tuple[tuple[int, ...], tuple[int, ...]] | None = field(default=None, repr=False)
    """QuTiP tensor factors ``(system dims, reservoir dims)`` when the inputs were ``Qobj`` (set
    at construction; operator results then come back as ``Qobj``)."""

    def __post_init__(self) -> None:
        check_real("hermitian_atol", self.hermitian_atol, low=0.0)
        # the factors of a Qobj input win; those of an array input are kept from replace()
        dims = _tensor_dims(self.H_S, self.H_R, self.V, "V", known=self.qobj_dims)
        H_S = check_hermitian("H_S", as_array(self.H_S), atol=self.hermitian_atol)
        H_R = check_hermitian("H_R", as_array(self.H_R), atol=self.hermitian_atol)
        for name, M in (("H_S", H_S), ("H_R", H_R)):
            if M.shape[0] == 0:
                what = "system" if name == "H_S" else "reservoir"
                raise ValueError(f"{name} has dimension 0 (shape {M.shape}): a {what} needs at least one state")
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
        if dims is not None and (math.prod(dims[0]), math.prod(dims[1])) != (H_S.shape[0], H_R.shape[0]):
            raise ValueError(f"qobj_dims {dims} do not match H_S {H_S.shape} and H_R {H_R.shape}")
        object.__setattr__(self, "qobj_dims", dims)

    @classmethod
    def from_hamiltonian(cls, H: Any, H_S: Any, H_R: Any, **kwargs: Any) -> Composite:
        """Build from the total ``H_SR`` and its local parts; ``V = H_SR - H_S ⊗ 1 - 1 ⊗ H_R``."""
        dims = _tensor_dims(H_S, H_R, H, "H")
        H_S = check_hermitian("H_S", as_array(H_S))
        H_R = check_hermitian("H_R", as_array(H_R))
        H = check_hermitian("H", as_array(H))
        d = H_S.shape[0] * H_R.shape[0]
        if H.shape != (d, d):
            raise ValueError(f"H must have shape ({d}, {d}) for H_S {H_S.shape} and H_R {H_R.shape}, but has shape {H.shape}")
        V = H - np.kron(H_S, np.eye(H_R.shape[0])) - np.kron(np.eye(H_S.shape[0]), H_R)
        kwargs.setdefault("qobj_dims", dims)
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
        kwargs: dict[str, Any] = {"H_S": self.H_S, "H_R": self.H_R, "V": self.V, "hermitian_atol": self.hermitian_atol,
                                  "qobj_dims": self.qobj_dims}  # fmt: skip
        kwargs.update(changes)
        return Composite(**kwargs)

    def scaled_interaction(self, lam: float) -> Composite:
        """``H_S + H_R + lam V``, the family of the interaction quench (Eq. 15)."""
        return self.replace(V=lam * self.V)

    def __repr__(self) -> str:
        d_S, d_R = self.dims
        return f"Composite(d_S={d_S}, d_R={d_R}, |V|_max={float(np.max(np.abs(self.V))):.3g})"


def _operator_dims(name: str, value: Any) -> list[int] | None:
    """Row tensor factors of an operator Qobj (None for arrays); refuse kets and non-square dims."""
    dims = qobj_dims(value)
    if dims is None:
        return None
    if dims[0] != dims[1]:
        raise ValueError(f"{name} must be an operator with equal row and column dims, but its QuTiP dims are {dims}")
    return dims[0]


def _tensor_dims(
    H_S: Any, H_R: Any, V: Any, v_name: str, known: tuple[tuple[int, ...], tuple[int, ...]] | None = None
) -> tuple[tuple[int, ...], tuple[int, ...]] | None:
    """Check the QuTiP dims of the inputs against the system-first order; return the factors.

    ``V`` (or the total ``H``) must have dims ``[dims_S + dims_R]``: a Qobj built as
    reservoir ⊗ system is refused even when its shape matches. Returns ``(dims_S, dims_R)`` when
    any input is a Qobj, else None.
    """
    dS, dR, dV = _operator_dims("H_S", H_S), _operator_dims("H_R", H_R), _operator_dims(v_name, V)
    d_S = math.prod(dS) if dS is not None else int(np.shape(as_array(H_S))[0])
    d_R = math.prod(dR) if dR is not None else int(np.shape(as_array(H_R))[0])
    if known is not None:  # factors kept from an earlier Qobj input (replace()), sizes permitting
        if dS is None and math.prod(known[0]) == d_S:
            dS = list(known[0])
        if dR is None and math.prod(known[1]) == d_R:
            dR = list(known[1])
    if dS is None and dR is None and dV is None:
        return None
    if dV is not None and len(dV) > 1:
        if dS is not None and dR is not None:
            splits = [(dS, dR)] if dV == dS + dR else []
            swapped = dV == dR + dS
        else:  # only the sizes are known: find a split of V's factors into (system, reservoir)
            splits = [(dV[:k], dV[k:]) for k in range(1, len(dV))
                      if math.prod(dV[:k]) == d_S and math.prod(dV[k:]) == d_R
                      and (dS is None or dV[:k] == dS) and (dR is None or dV[k:] == dR)]
            swapped = any(math.prod(dV[:k]) == d_R and math.prod(dV[k:]) == d_S for k in range(1, len(dV)))
        if not splits:
            order = " (reservoir first?)" if swapped else ""
            raise ValueError(
                f"{v_name} has QuTiP dims {[dV, dV]}{order}, but the system ⊗ reservoir order of H_S (dims "
                f"{dS or [d_S]}) and H_R (dims {dR or [d_R]}) needs {[(dS or [d_S]) + (dR or [d_R])] * 2}; "
                "build it as qutip.tensor(system_operator, reservoir_operator)"
            )
        dS, dR = splits[0]
    return (tuple(dS or [d_S]), tuple(dR or [d_R]))
