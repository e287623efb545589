"""Second road for level driving in the wide-band limit: Jauho, Wingreen & Meir, PRB 50, 5528 (1994).

A level eps_d(t) coupled to a flat, infinitely wide band (full width Gamma at every energy) has the
exact retarded Green's function G^R(t, t') = -i theta(t - t') exp(-i int_{t'}^t eps_d - Gamma (t - t')/2).
Its occupation (the JWM formula in the wide-band limit, lead in equilibrium at (T, mu)) is

    n(t) = int de/(2 pi) Gamma f(e) |A(e, t)|^2,   A(e, t) = int_{-inf}^t dt' G^R(t, t') e^{i e (t - t')},

and A obeys dA/dt = -i + (i e - i eps_d(t) - Gamma/2) A, with A(e, 0) = -i / (Gamma/2 - i (e - eps_d(0)))
when eps_d was constant before t = 0 (the coupled Gibbs state). Nothing here uses strongtherm:
the energy integral is composite Gauss-Legendre on [-E, E], the tails |e| > E use the
instantaneous Lorentzian (their non-adiabatic correction is O(Gamma eps_d' / E^2)), and the ODE
is solved by scipy's DOP853 for all energies at once.
"""

from __future__ import annotations

import numpy as np
from scipy.integrate import solve_ivp
from scipy.special import expit


def jwm_occupation(eps_d, times, *, gamma, T, mu=0.0, E=80.0, panels=320, order=12, rtol=1e-11):
    """n(t) at ``times`` (t >= 0) for the level energy ``eps_d(t)`` (constant eps_d(0) for t < 0)."""
    x, w = np.polynomial.legendre.leggauss(order)
    edges = np.linspace(-E, E, panels + 1)
    half = 0.5 * np.diff(edges)
    e = (0.5 * (edges[:-1] + edges[1:])[:, None] + half[:, None] * x[None, :]).ravel()
    we = (half[:, None] * w[None, :]).ravel()
    f = expit(-(e - mu) / T)
    A0 = -1j / (0.5 * gamma - 1j * (e - eps_d(0.0)))

    def rhs(t, A):
        return -1j + (1j * e - 1j * eps_d(t) - 0.5 * gamma) * A

    sol = solve_ivp(rhs, (0.0, float(np.max(times))), A0, method="DOP853", t_eval=np.asarray(times, float), rtol=rtol, atol=1e-13)
    out = []
    for k, t in enumerate(sol.t):
        A = sol.y[:, k]
        core = np.sum(we * gamma / (2 * np.pi) * f * np.abs(A) ** 2)
        ed = eps_d(t)
        # tails: f = 1 below -E, 0 above E (E >> T), instantaneous Lorentzian
        tail = (np.arctan((-E - ed) / (0.5 * gamma)) + 0.5 * np.pi) / np.pi
        out.append(core + tail)
    return np.array(out)
