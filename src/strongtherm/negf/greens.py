"""The system's retarded Green's function G_S(z) = [z - h_S - Sigma(z)]^-1, assembled in one place.

Every part of the engine (a model point, the contour road, the pole road's kernels) assembles
G_S here, batch-shaped, in one of two forms:

* matrices: z of shape (...), h_S and Sigma of shape (..., n, n) (broadcast against each other),
  G_S of shape (..., n, n); a 1 x 1 matrix is inverted elementwise, without LAPACK's set-up;
* numbers (``scalar=True``, one level): z, h_S and Sigma broadcastable arrays or numbers, G_S
  = 1 / (z - h_S - Sigma) elementwise.

The two steps are public too, for the kernels that need the denominator D = z - h_S - Sigma
itself (the universe's ln det D at the pole road's nodes) or assemble it by a faster route
(:func:`invert_denominator` then inverts in place, ``out=D``: no fresh memory in the hot loop).
Sign and branch conventions: docs/conventions (retarded, Im z > 0).
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["greens_denominator", "invert_denominator", "system_greens_function"]


def greens_denominator(z: Any, h_S: Any, Sigma: Any, *, scalar: bool = False, out: np.ndarray | None = None) -> Any:
    """D = z - h_S - Sigma(z), the matrix whose inverse is G_S.

    Parameters
    ----------
    z : complex or ndarray, (...)
        Energies, in units of energy.
    h_S : ndarray, (..., n, n), or numbers where ``scalar``
        System Hamiltonian, broadcastable against ``Sigma``.
    Sigma : ndarray, (..., n, n), or numbers where ``scalar``
        Self-energy at ``z``.
    scalar : bool
        One level, every matrix a number (module docstring).
    out : ndarray, optional
        Where to write D (its shape and a complex dtype).

    Returns
    -------
    ndarray or complex
        D, of the broadcast shape.
    """
    if scalar:
        h_plus_Sigma = h_S + Sigma
        return np.subtract(z, h_plus_Sigma, out=out) if out is not None else z - h_plus_Sigma
    n = np.shape(Sigma)[-1]
    z_unit = np.asarray(z)[..., None, None] * np.eye(n)
    return np.subtract(z_unit, h_S + Sigma, out=out)


def invert_denominator(D: Any, *, scalar: bool = False, out: np.ndarray | None = None) -> Any:
    """G_S = D^-1 of :func:`greens_denominator`'s D, elementwise for numbers (``scalar``) and for
    1 x 1 matrices; ``out`` (``D`` itself allowed) receives G_S without fresh memory where the
    inversion is elementwise."""
    if scalar or np.shape(D)[-1] == 1:
        return np.divide(1.0, D, out=out) if out is not None else 1.0 / D
    G = np.linalg.inv(D)
    if out is None:
        return G
    out[...] = G
    return out


def system_greens_function(z: Any, h_S: Any, Sigma: Any, *, scalar: bool = False, out: np.ndarray | None = None) -> Any:
    """G_S(z) = [z - h_S - Sigma(z)]^-1, batch-shaped (module docstring).

    Parameters
    ----------
    z, h_S, Sigma, scalar
        As :func:`greens_denominator`.
    out : ndarray, optional
        Where to write D and then G_S over it, in place (the pole road's one-level kernel).

    Returns
    -------
    ndarray or complex
        G_S, shape (..., n, n), or numbers where ``scalar``.

    Examples
    --------
    >>> import numpy as np
    >>> G = system_greens_function(np.array([0.5j]), np.zeros((1, 1)), np.zeros((1, 1, 1)))
    >>> complex(G[0, 0, 0])
    -2j
    """
    D = greens_denominator(z, h_S, Sigma, scalar=scalar, out=out)
    return invert_denominator(D, scalar=scalar, out=D if out is not None else None)
