"""The kernels of the pole road (:mod:`.poles`): every energy integral of a group of points that
share one Fermi expansion, from G_S at the poles and the line nodes (:class:`.fermi_poles.Functionals`).

G_S is assembled by :mod:`.greens` once on the poles and the line nodes together, and every pole
sum (the log kernels' antiderivatives included) is a column of one product of a few node arrays
with a fixed weight matrix. One level with one surface orbital per reservoir (every built-in
one-level model) takes :func:`one_level_integrals`, where every node function is a fixed
function of z times G_S or G_S^2 (Sigma = sum_r abs(V_r)^2 g_r): the weights are folded with g_r
and g_r' once per set of nodes (:func:`one_level_weights`), and a single point runs in Python
numbers wherever an array would hold one (~50 ns an operation against ~1 us). Anything else
takes :func:`matrix_integrals` (n x n algebra on the nodes). The formulas are in :mod:`.poles`.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, NamedTuple

import numpy as np

from ..thermal import Bath
from .energy_integrals import column_names, system_traces
from .evaluated import EvaluatedModel, ModelStack, OneLevel, OnePoint, total
from .fermi_poles import FermiPoleExpansion, Functionals, functionals
from .greens import greens_denominator, invert_denominator
from .system import OpenSystem

__all__ = [
    "STATE_SCALARS", "PointModel", "PoleGroup", "Surfaces", "matrix_integrals", "node_surfaces", "one_level_integrals",
    "one_level_weights",
]  # fmt: skip


@dataclass(frozen=True)
class Surfaces:
    """g_r and dg_r/dz of every reservoir at the poles and the line nodes, (M, m_r, m_r) each;
    where every reservoir has one surface orbital also as (R, M) arrays ``g_flat``, ``dg_flat``."""

    g: tuple[np.ndarray, ...]
    dg: tuple[np.ndarray, ...]
    g_flat: np.ndarray | None
    dg_flat: np.ndarray | None


@lru_cache(maxsize=64)
def node_surfaces(reservoirs: tuple, T: float, mu: float, n_poles: int, top: int) -> Surfaces:
    """:class:`Surfaces` (they depend on the reservoirs, T, mu and the rule only, not on the
    parameter point): computed once per set of nodes."""
    z = functionals(T, mu, n_poles, top).z
    g = tuple(np.asarray(res.surface_greens_function(z)) for res in reservoirs)
    dg = tuple(np.asarray(res.surface_greens_function_derivative(z)) for res in reservoirs)
    single = all(a.shape[-1] == 1 for a in g)
    g_flat = np.array([a[:, 0, 0] for a in g]) if single else None
    dg_flat = np.array([a[:, 0, 0] for a in dg]) if single else None
    for a in (*g, *dg, *((g_flat, dg_flat) if single else ())):
        a.setflags(write=False)
    return Surfaces(g, dg, g_flat, dg_flat)


class _Algebra:
    """Stacked n x n matrix algebra on arrays (P, M, n, n); for n = 1 plain arrays (P, M), so the
    one-level models (the common case) run elementwise instead of through 1 x 1 matmuls."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.scalar = n == 1
        self.eye: np.ndarray | float = 1.0 if self.scalar else np.eye(n)
        self.unit = np.eye(n)  # the unit matrix also where n = 1 (for (P, n, n) results)
        self.unit.setflags(write=False)

    def lift(self, X: np.ndarray) -> np.ndarray:
        """(P, n, n) model matrices -> broadcastable against (P, M, ...)."""
        return X[:, None, 0, 0] if self.scalar else X[:, None]

    def sandwich(self, V: np.ndarray, g: np.ndarray, W: np.ndarray) -> np.ndarray:
        """V^dag g W for stacked V, W (P, m, n) and g (M, m, m)."""
        if g.shape[-1] == 1:  # one surface orbital: an outer product times a scalar
            if self.scalar:
                return (np.conj(V[:, 0, 0]) * W[:, 0, 0])[:, None] * g[None, :, 0, 0]
            outer = np.conj(V[:, 0, :])[:, :, None] * W[:, 0, None, :]
            return g[None, :, 0, 0, None, None] * outer[:, None]
        out = np.conj(np.swapaxes(V, -1, -2))[:, None] @ g[None] @ W[:, None]
        return out[..., 0, 0] if self.scalar else out

    def mm(self, *factors: Any) -> Any:  # arrays, or numbers where n = 1 (elementwise)
        out = factors[0]
        for f in factors[1:]:
            out = out * f if self.scalar else out @ f
        return out

    def real_trace(self, X: np.ndarray) -> np.ndarray:
        """Re Tr X of stacked (P, n, n) matrices."""
        return X[:, 0, 0].real if self.scalar else np.trace(X, axis1=-2, axis2=-1).real

    def tr_mm(self, X: Any, Y: Any) -> Any:
        return X * Y if self.scalar else (X * np.swapaxes(Y, -1, -2)).sum(axis=(-2, -1))

    def log_det_upper(self, D: np.ndarray) -> np.ndarray:
        """ln det D on the branch continuous in the upper half plane: the sum of the principal Log
        of the eigenvalues, every one of which has Im > 0 when (D - D^dag) / 2i > 0."""
        return np.log(D) if self.scalar else np.log(np.linalg.eigvals(D)).sum(axis=-1)

    def times_eye(self, x: np.ndarray) -> np.ndarray:
        """x (shape (M,) or (P, M)) times the unit matrix (for n = 1, x itself)."""
        return x if self.scalar else x[..., None, None] * self.eye

    def node_sums(self, matrices: Sequence[np.ndarray], traces: Sequence[np.ndarray],
                  functionals: Functionals) -> tuple[np.ndarray, np.ndarray]:
        """sum_m F_m weights[m, c] of every F at once: ``matrices`` (P, M[, n, n]) each ->
        (L, P, n, n, C), ``traces`` (P, M) each -> (K, P, C). For n = 1 only the real parts,
        which is all that the pole sums of one level need: one real (K P, 2 M) x (2 M, C) product."""
        if self.scalar:
            arrays = [*matrices, *traces]
            sums = np.concatenate(arrays).view(float).dot(functionals.real_weights).reshape(len(arrays), -1, 3)
            return sums[: len(matrices), :, None, None, :], sums[len(matrices):]
        weights = functionals.weights
        traced = np.stack(traces) @ weights if traces else np.zeros((0, 0, weights.shape[1]))
        return np.einsum("lpmij,mc->lpijc", np.stack(matrices), weights), traced

    def hermitian_sum(self, S: np.ndarray, T: float) -> np.ndarray:
        """T (S + S^dagger) of stacked (P, n, n) sums: the pole sum of a spectral part."""
        return (2.0 * T) * S.real if self.scalar else T * (S + np.conj(np.swapaxes(S, -1, -2)))


@lru_cache(maxsize=16)
def _algebra(n: int) -> _Algebra:
    return _Algebra(n)


class PointModel(NamedTuple):
    """:class:`EvaluatedModel` of a single point as the one-level kernel reads it (its numbers)."""

    one_level: OnePoint
    n_points: int = 1



#: the state scalars of :func:`_state_scalars`, in its order
STATE_SCALARS = ("N_S", "U_S", "S_S", "Omega_S", "dN_R", "dU_R", "dS_R", "dOmega_R")


def _state_scalars(n: int, T: float, mu: float, trace_h: Any, c: Any, e: Any, k: Any, u: Any, r0: Any, r1: Any) -> tuple:
    """The state scalars (:data:`STATE_SCALARS`) from Re Tr of the pole sums (every pole sum of a
    spectral part enters as 2T Re, module docstring): c and k of G - 1 / (z - mu) with columns 0
    and 2 of :class:`Functionals` (C and K_S), e of (z - mu) G - 1 = (h_S - mu + Sigma) G
    (int A (e - mu) f), u of the universe's ln det, r0 and r1 of Tr[G Sigma'] with columns 0 and 1.
    Numbers (one point) or (P,) arrays."""
    two_T, ln2 = 2.0 * T, math.log(2.0)
    N_S = 0.5 * n + two_T * c
    # int A (e - mu) f: F = (z - mu) G - 1, M_1 = h_S - mu (first-moment sum rule)
    U_rel = 0.5 * (trace_h - n * mu) + two_T * e
    # int A omega = -int n_S f by parts onto K_S (M_1 = -(h_S - mu)), int_mu^inf f = T ln 2
    Omega_S = 0.5 * (trace_h - n * mu) - two_T * k - n * T * ln2
    # reservoir: delta g_R has F = -Tr[G Sigma'] (M_1 = 0), and (z - mu) F for dU_R; the universe
    # has Omega_U = -int n_U f with n_U the phase of det[z - h_S - Sigma] (M_1 = n mu - Tr h_S),
    # so dOmega_R = Omega_U - Omega_S = -2T (u - k)
    dN_R, dU_rel, dOmega_R = -two_T * r0, -two_T * r1, -two_T * (u - k)
    # S = beta (U - mu N - Omega), with beta T = 1 taken exactly (the Tr h_S terms cancel)
    S_S = 2.0 * (e + k) + n * ln2
    dS_R = 2.0 * (u - k - r1)
    return N_S, mu * N_S + U_rel, S_S, Omega_S, dN_R, mu * dN_R + dU_rel, dS_R, dOmega_R

class PoleGroup(NamedTuple):
    """What the kernels of a group of points share (:mod:`.poles` picks the kernel; the road,
    :mod:`.poles`, builds it): the points (evaluated), the expansion, its nodes and weights and
    the decades of line above them, and the rounding of the sums, dimensionless and in energy. A named tuple: built once per group, and for a single state
    a frozen dataclass's field-by-field set-up is a measurable share of the cost."""

    model: OpenSystem
    bath: Bath
    evaluated: EvaluatedModel | PointModel
    expansion: FermiPoleExpansion
    fn: Functionals
    top: int
    surfaces: Surfaces
    roundings: tuple[float, float]
    want_state: bool
    directions: Sequence[Mapping[str, float]] | None
    one_level_weights: np.ndarray | None = None  # :func:`one_level_weights`, where the caller has them


@lru_cache(maxsize=64)
def one_level_weights(reservoirs: tuple, T: float, mu: float, n_poles: int, top: int) -> np.ndarray:
    """The real weights of every pole sum of one level (:func:`one_level_integrals`), (2 M, 3 + 8 R):
    with G or G^2 at the M nodes (P, M), G.view(float) @ W gives the real parts of the sums,
    columns (w = :attr:`Functionals.weights`, g_r, g_r' = the surfaces, l = 1 / (z - mu) on the
    line, 0 at the poles; :func:`_one_level_columns` names their places):

    * of G: w0; w2 l; w2 l g_r per reservoir; then per reservoir w0 g_r', w1 g_r', w2 g_r', w0 g_r;
    * of G^2: w1; then per reservoir w1 g_r', w2 g_r', w2 g_r.

    Every node function of one level is such a weighted G or G^2, since Sigma = sum_r abs(V_r)^2 g_r
    is a sum of fixed functions; so is G - 1 / (z - mu) = (eps - mu + Sigma) G / (z - mu), whose
    fold down the line (the system's log kernel) is then a sum of two columns, (eps - mu) x the
    second and sum_r s_r x the next R, without cancelling G against 1 / (z - mu) at every node."""
    fn = functionals(T, mu, n_poles, top)
    surfaces = node_surfaces(reservoirs, T, mu, n_poles, top)
    assert surfaces.g_flat is not None and surfaces.dg_flat is not None
    w0, w1, w2 = fn.weights.T
    folded = w2 * fn.line_shift
    columns = [w0, folded, *(folded * g for g in surfaces.g_flat)]
    for g, dg in zip(surfaces.g_flat, surfaces.dg_flat, strict=True):
        columns += [w0 * dg, w1 * dg, w2 * dg, w0 * g]
    columns.append(w1)
    for g, dg in zip(surfaces.g_flat, surfaces.dg_flat, strict=True):
        columns += [w1 * dg, w2 * dg, w2 * g]
    W = np.array(columns).T
    # a complex F viewed as floats interleaves (Re F_m, Im F_m): Re(F w) = Re F Re w - Im F Im w
    out = np.empty((2 * W.shape[0], W.shape[1]))
    out[0::2], out[1::2] = W.real, -W.imag
    out.setflags(write=False)
    return out


def _one_level_columns(R: int) -> tuple[int, int]:
    """Where the columns of :func:`one_level_weights` start for R reservoirs: the per-reservoir
    ones on G (after w0, w2 l and the R of w2 l g_r), and those on G^2."""
    return 2 + R, 2 + 5 * R


@lru_cache(maxsize=64)
def _level_basis(reservoirs: tuple, T: float, mu: float, n_poles: int, top: int) -> np.ndarray:
    """The rows z, 1, g_1, ..., g_R at the nodes of :func:`functionals` (same arguments), viewed
    as floats (2 + R, 2 M): D = z - eps - sum_r s_r g_r of a batch is one real product with them."""
    fn = functionals(T, mu, n_poles, top)
    surfaces = node_surfaces(reservoirs, T, mu, n_poles, top)
    assert surfaces.g_flat is not None
    basis = np.concatenate([fn.z[None], np.ones((1, fn.z.size), dtype=complex), surfaces.g_flat]).view(float)
    basis.setflags(write=False)
    return basis


class _BatchWeights(NamedTuple):
    """:func:`one_level_weights` rearranged for a batch (:func:`_one_level_batch_sums`): per
    block of node values (G at the poles, G^2 at the poles, G on the line, G^2 on the line) the
    columns nonzero there and their weights (2 N or 2 Q real rows each)."""

    blocks: tuple[tuple[np.ndarray, np.ndarray], ...]
    n_columns: int


@lru_cache(maxsize=64)
def _batch_weights(reservoirs: tuple, T: float, mu: float, n_poles: int, top: int) -> _BatchWeights:
    """:class:`_BatchWeights` of :func:`one_level_weights` (same arguments): w0 and w1 live on the
    poles, w2 on the line only, so most columns need one block of values only; G^2 on the line
    serves the Eq. (21) term alone."""
    weights = one_level_weights(reservoirs, T, mu, n_poles, top)
    split, on_G2 = 2 * n_poles, _one_level_columns(len(reservoirs))[1]
    blocks = []
    for rows in (slice(0, split), slice(split, None)):
        for columns in (slice(0, on_G2), slice(on_G2, None)):  # the columns on G, then on G^2
            part = np.zeros_like(weights[rows])
            part[:, columns] = weights[rows][:, columns]
            nonzero = np.flatnonzero(np.any(part != 0.0, axis=0))
            block = np.ascontiguousarray(part[:, nonzero])
            for array in (nonzero, block):
                array.setflags(write=False)
            blocks.append((nonzero, block))
    # no column takes values from two blocks (w0, w1 and w2 never share one): each is set once
    taken = np.concatenate([columns for columns, _ in blocks])
    assert taken.size == np.unique(taken).size
    return _BatchWeights(tuple(blocks), weights.shape[1])


def _one_level_batch_sums(D: np.ndarray, fn: Functionals, weights: _BatchWeights, line_G2: bool) -> np.ndarray:
    """The real parts of the pole sums of :func:`one_level_weights` for a batch, (P, columns),
    from D = z - eps - Sigma (P, M), which is overwritten by G = 1 / D: one product per block of
    node values (:func:`_batch_weights`), each with the columns nonzero there only; G^2 on the
    line (``line_G2``) for the Eq. (21) term only. Per point one division per node and one
    multiplication per pole; the node values stay in D's memory (fresh ~1 MB buffers per batch
    cost cache misses as much as the arithmetic)."""
    N = fn.n_poles
    G = invert_denominator(D, scalar=True, out=D)
    G2_poles = np.square(G[:, :N])
    values = (G[:, :N], G2_poles, G[:, N:], np.square(G[:, N:]) if line_G2 else None)
    sums = np.zeros((D.shape[0], weights.n_columns))  # the Eq. (21) columns stay 0 where not asked for
    for (columns, block), array in zip(weights.blocks, values, strict=True):
        if array is not None and columns.size:
            sums[:, columns] = array.view(float) @ block
    return sums


def one_level_integrals(group: PoleGroup) -> tuple[dict[str, Any], dict[str, np.ndarray], Any]:
    """The columns of :meth:`EnergyIntegrals.from_columns` (numbers for a single point, else (P,)
    arrays) for one level with one surface orbital per reservoir, no (P, n, n) matrices, and the
    log quadrature's error estimate.

    Every function of z is a number: with s_r = abs(V_r)^2, Sigma = sum_r s_r g_r and dSigma/dk =
    sum_r 2 Re(V_r^* dV_r/dk) g_r. Every node function is then a fixed function times G or G^2
    ((z - mu) G - 1 = (eps - mu) G + sum_r s_r g_r G; G (1 - Sigma') G = G^2 - sum_r s_r g_r' G^2;
    Eq. 21's term G^2 (h_dot Sigma' + Sigma_dot)), so every pole sum is a column of one product
    (:func:`one_level_weights`), and the outputs are a few multiplications of those columns by
    the point's numbers: for a single point, Python numbers.
    """
    one, fn, T, mu = group.evaluated.one_level, group.fn, group.bath.T, group.bath.mu
    names, R = group.model.parameter_names, len(group.model.reservoirs)
    g_flat = group.surfaces.g_flat
    assert one is not None and g_flat is not None
    P = group.evaluated.n_points
    rates = None
    if group.directions is not None:
        rates = np.array([[float(d.get(k, 0.0)) for d in group.directions] for k in names]).reshape(len(names), P)
    eps: Any  # numbers (P = 1) or arrays, and so are the rest below
    s: Any
    slope: Any
    dh: Any
    if P == 1:  # Python numbers wherever an array would hold one: ~50 ns an operation, not ~1 us
        point = one if isinstance(one, OnePoint) else one.point()
        eps, dh, s, slope = point.eps, point.dh, point.s, point.slope
        rate = None if rates is None else rates[:, 0].tolist()
        Sigma = s[0] * g_flat[0]
        for r in range(1, R):
            Sigma = Sigma + s[r] * g_flat[r]
        D = greens_denominator(fn.z, eps, Sigma, scalar=True)  # (M,)
    else:
        assert isinstance(one, OneLevel)
        eps, s, dh, rate = one.eps, one.V.real**2 + one.V.imag**2, one.dh, rates  # (P,), (R, P), (K, P | 1)
        slope = 2.0 * (np.conj(one.V) * one.dV).real  # (K, R, P)
        # D = z - eps - sum_r s_r g_r (P, M) as one real product: [1, -eps, -s_1, ...] times the
        # rows [z, 1, g_1, ...] viewed as floats (a fifth of the time of three complex passes)
        coefficients = np.empty((P, 2 + R))
        coefficients[:, 0], coefficients[:, 1], coefficients[:, 2:] = 1.0, -eps, -s.T
        D = (coefficients @ _level_basis(group.model.reservoirs, T, mu, fn.n_poles, group.top)).view(complex)
    # the universe's ln det at the poles: Re of sum_p R_p Log D(z_p) = sum_p R_p ln abs(D(z_p))
    universe = np.log(np.abs(D[..., : fn.n_poles])) @ fn.residues - fn.log_iy_sum.real
    if P == 1:
        weights = group.one_level_weights
        if weights is None:
            weights = one_level_weights(group.model.reservoirs, T, mu, fn.n_poles, group.top)
        # the node values G and G^2 side by side and one product: its fixed cost outweighs the
        # unused columns (each array's own columns are read below)
        nodes = np.empty((2, *D.shape), dtype=complex)
        np.square(invert_denominator(D, scalar=True, out=nodes[0]), out=nodes[1])
        u, (of_G, of_G2) = float(universe), (nodes.view(float).reshape(2, -1) @ weights).tolist()
    else:  # (after the universe: the batch's sums overwrite D) one table, the columns side by side
        batch_weights = _batch_weights(group.model.reservoirs, T, mu, fn.n_poles, group.top)
        u, of_G = universe, _one_level_batch_sums(D, fn, batch_weights, line_G2=rate is not None).T
        of_G2 = of_G

    # the columns of one_level_weights (its docstring). Sums over reservoirs as plain loops:
    # numbers for one point, arrays for a batch
    per_reservoir, on_G2 = _one_level_columns(R)
    c = of_G[0]
    k = (eps - mu) * of_G[1]  # the fold of G - 1 / (z - mu) = (eps - mu + Sigma) G / (z - mu)
    scale, coupling = 1.0, []
    r0 = r1 = r2 = h = d1_coupled = nonlocal_coupled = 0.0  # of Tr[G Sigma'] (3), Sigma G, Sigma' G^2 (2)
    for r in range(R):
        on_G, on_G2_r, s_r = per_reservoir + 4 * r, on_G2 + 1 + 3 * r, s[r]
        k = k + s_r * of_G[2 + r]
        r0, r1, r2 = r0 + s_r * of_G[on_G], r1 + s_r * of_G[on_G + 1], r2 + s_r * of_G[on_G + 2]
        coupling.append(of_G[on_G + 3])  # of g_r G
        h = h + s_r * of_G[on_G + 3]
        d1_coupled, nonlocal_coupled = d1_coupled + s_r * of_G2[on_G2_r], nonlocal_coupled + s_r * of_G2[on_G2_r + 1]
        scale = scale + s_r
    e = h + (eps - mu) * c  # of (z - mu) G - 1
    # the universe by line quadrature (the fold of Tr[G (1 - Sigma')] - 1 / (w - mu)) against its
    # closed form: the error estimate of that quadrature, which the system's log kernel uses too
    log_quadrature_error = abs((2.0 * T) * (u - (k - r2)))
    C = 0.5 + (2.0 * T) * c
    powers_S, powers_SR, _ = column_names(names)
    columns: dict[str, Any] = {"correlation_matrix": C, "expectation_H_S": eps * C}
    columns.update(zip(powers_S, [d * C for d in dh]))  # noqa: B905
    # <dH_SR/dk> (Eq. 20): F = Tr[dSigma/dk G] = sum_r slope[k][r] g_r G
    columns.update(zip(powers_SR, [(2.0 * T) * _contract(row, coupling) for row in slope]))  # noqa: B905
    if group.want_state:
        columns.update(zip(STATE_SCALARS, _state_scalars(1, T, mu, eps, c, e, k, u, r0, r1)))  # noqa: B905
        # int A omega = -int n_S f by parts onto K_S (M_1 = -(eps - mu)), int_mu^inf f = T ln 2
        A_omega = 0.5 * (eps - mu) - (2.0 * T) * k - T * math.log(2.0)
        beta = group.bath.beta
        log_one_minus_f, log_f = beta * A_omega, beta * (A_omega - (eps - mu))
        columns.update(
            H_SR=(4.0 * T) * h, log_one_minus_f_matrix=log_one_minus_f, log_f_matrix=log_f,
            # dC/dbeta at fixed mu: -T^2 sum_p R_p [G + (z_p - mu) G' + h.c.], -G' = G^2 - Sigma' G^2
            correlation_matrix_beta_derivative=-2.0 * T * T * (c - (of_G2[on_G2] - d1_coupled)),
            # Eq. (24)'s coefficient, as core.alpha.entropy_coefficient writes it for one level
            entropy_coefficient=-C * log_f - (1.0 - C) * log_one_minus_f,
        )  # fmt: skip
    if rate is not None:
        # Eq. (21), second term: G^2 (h_dot Sigma' + Sigma_dot), h_dot = sum_k rate_k dh/dk,
        # Sigma_dot = sum_r (sum_k rate_k slope[k][r]) g_r; column 2 (its antiderivative)
        h_dot = _contract(rate, dh)
        slope_dot = [_contract(rate, [row[r] for row in slope]) for r in range(R)]
        term = h_dot * nonlocal_coupled + _contract(slope_dot, [of_G2[on_G2 + 3 + 3 * r] for r in range(R)])
        columns["nonlocal_density"] = -(2.0 * T) * term
    columns["scale"] = scale
    return columns, {}, log_quadrature_error


def _contract(weights: Sequence[Any], values: Sequence[Any]) -> Any:
    """sum_i weights[i] values[i] of numbers or arrays (0 for none)."""
    return sum(map(operator.mul, weights, values))


def matrix_integrals(group: PoleGroup) -> tuple[dict[str, Any], dict[str, np.ndarray], np.ndarray]:
    """The columns of :meth:`EnergyIntegrals.from_columns` for any number of levels and surface
    orbitals (n x n matrix algebra on the nodes), the (P, n, n) matrices, and the log
    quadrature's error estimate per point."""
    evaluated = group.evaluated
    assert isinstance(evaluated, EvaluatedModel)  # a single point's numbers take the one-level kernel
    model, bath, stack, fn, directions = group.model, group.bath, evaluated.stack, group.fn, group.directions
    n, names = model.n_levels, model.parameter_names
    T, mu, beta, N = bath.T, bath.mu, bath.beta, group.expansion.n_poles
    alg = _algebra(n)
    unit = alg.unit
    surfaces = group.surfaces
    g_all = surfaces.g
    Sigma = total(alg.sandwich(V, g, V) for V, g in zip(stack.V, g_all, strict=True))
    dSigma_dz = total(alg.sandwich(V, dg, V) for V, dg in zip(stack.V, surfaces.dg, strict=True))
    D = greens_denominator(fn.z, alg.lift(stack.h), Sigma, scalar=alg.scalar)
    G = invert_denominator(D, scalar=alg.scalar)
    # G - 1 / (w - mu) on the line (its antiderivative converges; that of 1 / (w - mu) alone does
    # not), G itself at the poles, where line_shift is 0
    G_sub = G - alg.times_eye(fn.line_shift)
    G_dSz = alg.tr_mm(G, dSigma_dz)  # Tr[G Sigma']: delta g_R's F, and the universe's log kernel
    # the couplings' traces Tr[Sigma G] (<H_SR>) and Tr[dSigma/dk G] (Eq. 20)
    coupling_nodes = [alg.tr_mm(Sigma, G)] + [
        alg.tr_mm(total(alg.sandwich(dV, g, V) + alg.sandwich(V, g, dV)
                         for V, dV, g in zip(stack.V, stack.dV[k], g_all, strict=True)), G)
        for k in names
    ]  # fmt: skip
    matrix_nodes = [G_sub]
    if group.want_state:
        # G (1 - Sigma') G = -G', for dC/dbeta (double poles); and (z - mu) G - 1, the F of
        # int A (e - mu) f, as (h_S - mu + Sigma) G: the same, without cancelling ~1 against 1
        # (which left ~eps x 2T x sum_p R_p in U_S: 3e-9 at T = 1e6)
        matrix_nodes.append(alg.mm(G, alg.eye - dSigma_dz, G))
        matrix_nodes.append(alg.mm(alg.lift(stack.h) - mu * alg.eye + Sigma, G))
    trace_nodes = [G_dSz, *coupling_nodes]
    if directions is not None:
        trace_nodes.append(_nonlocal_integrand(alg, stack, names, directions, G, g_all, dSigma_dz))
    S_matrix, S_trace = alg.node_sums(matrix_nodes, trace_nodes, fn)
    S_G, S_GdS = S_matrix[0], S_trace[0]  # sums of G_sub and Tr[G Sigma']: (P, n, n, 3), (P, 3)
    coupling_sums = (2.0 * T) * S_trace[1: 1 + len(coupling_nodes), :, 0].real

    # the universe: ln det[z - h_S - Sigma] at the poles in closed form (each eigenvalue in the
    # upper half plane: principal Log), and the same through the line quadrature (the fold of
    # Tr[G (1 - Sigma')] - n / (w - mu)): their difference is the error estimate of that
    # quadrature, which the system's log kernel uses too
    universe = (alg.log_det_upper(D[:, :N]) @ fn.weights[:N, 0] - n * fn.log_iy_sum).real
    k = np.trace(S_G[..., 2], axis1=-2, axis2=-1).real
    log_quadrature_error = np.abs((2.0 * T) * (universe - (k - S_GdS[:, 2].real)))
    C = 0.5 * unit + alg.hermitian_sum(S_G[..., 0], T)
    expectation_H_S, powers_S = system_traces(stack.h, stack.dh, C)
    powers_S_keys, powers_SR_keys, _ = column_names(names)
    columns: dict[str, Any] = {"expectation_H_S": expectation_H_S}
    columns.update(zip(powers_S_keys, [powers_S[name] for name in names], strict=True))
    columns.update(zip(powers_SR_keys, coupling_sums[1:], strict=True))
    matrices = {"correlation_matrix": C}
    if group.want_state:
        h_minus_mu = stack.h - mu * unit
        c, e = (np.trace(S_matrix[j][..., 0], axis1=-2, axis2=-1).real for j in (0, 2))
        scalars = _state_scalars(n, T, mu, alg.real_trace(stack.h), c, e, k, universe, S_GdS[:, 0].real, S_GdS[:, 1].real)
        columns.update(zip(STATE_SCALARS, scalars, strict=True))
        columns["H_SR"] = 2.0 * coupling_sums[0]
        # int A omega = -int n_S f by parts onto K_S = -int [G - 1 / (w - mu)] (M_1 = -(h_S - mu));
        # int_mu^inf f = T ln 2
        A_omega = 0.5 * h_minus_mu - alg.hermitian_sum(S_G[..., 2], T) - (T * math.log(2.0)) * unit
        # dC/dbeta at fixed mu: -T^2 sum_p R_p [G + (z_p - mu) G' + h.c.], G' = -G (1 - Sigma') G
        matrices.update(
            log_one_minus_f_matrix=beta * A_omega, log_f_matrix=beta * (A_omega - h_minus_mu),
            correlation_matrix_beta_derivative=-T * alg.hermitian_sum(S_G[..., 0] - S_matrix[1][..., 1], T),
        )  # fmt: skip
    if directions is not None:
        columns["nonlocal_density"] = -(2.0 * T) * S_trace[-1][:, 2].real
    columns["scale"] = 1.0 + total((np.abs(V) ** 2).sum(axis=(-2, -1)) for V in stack.V)
    return columns, matrices, log_quadrature_error


def _nonlocal_integrand(
    alg: _Algebra,
    stack: ModelStack,
    names: Sequence[str],
    directions: Sequence[Mapping[str, float]],
    G: np.ndarray,
    g_all: Sequence[np.ndarray],
    dSigma_dz: np.ndarray,
) -> np.ndarray:
    """Eq. (21), second term: int omega X, X the spectral part of term(z) = Tr[dG/dt Sigma' -
    dG/dz dSigma/dt]; by parts onto its antiderivative down the line (column 2 of
    :class:`Functionals`; term ~ 1/z^3: M_1 = 0, no subtraction). d/dt acts through
    h_dot = sum_k rate_k dh/dk and V_dot = sum_k rate_k dV/dk. Values at every node, (P, M)."""
    rates = np.array([[float(d.get(k, 0.0)) for k in names] for d in directions])
    h_dot = np.einsum("pk,kpij->pij", rates, np.array([stack.dh[k] for k in names]))
    V_dot = [np.einsum("pk,kpij->pij", rates, np.array([stack.dV[k][r] for k in names])) for r in range(len(stack.V))]
    Sigma_dot = total(
        alg.sandwich(Vd, g, V) + alg.sandwich(V, g, Vd) for V, Vd, g in zip(stack.V, V_dot, g_all, strict=True)
    )
    dG_dt = alg.mm(G, alg.lift(h_dot) + Sigma_dot, G)
    dG_dz = -alg.mm(G, alg.eye - dSigma_dz, G)
    return alg.tr_mm(dG_dt, dSigma_dz) - alg.tr_mm(dG_dz, Sigma_dot)

