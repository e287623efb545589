"""All energy integrals of the Green's-function engine for a batch of parameter points at once.

For P parameter points lambda_p of one model, every integral of :mod:`.partition` and
:mod:`.process` is evaluated on one shared contour (:func:`.integrate.integrate_contour`), so the
reservoirs' surface Green's functions are computed once per node and the P system Green's
functions in one stacked inversion. Adaptive refinement is driven by the worst component of all
points. Quantities (per point p):

* ``g_S:<k>``, ``dg_R:<k>`` for kernels k in {one, f, ef, s, omega}: int g_S k, int delta g_R k;
* ``A:<k>`` for k in {f, log_f, log_1mf, df_dbeta}: int A_SS k, an (n, n) Hermitian matrix;
* ``H_SR``: <H_SR> = -(2/pi) int f Im Tr[Sigma G_S];
* ``power_SR:<name>``: <dH_SR/d name> = -(1/pi) int f Im Tr[dSigma/d name G_S] (Eq. 20);
* ``nonlocal``: second term of Eq. (21) for the direction d lambda/dt of each point.

The contour encloses a rigorous bound of the universe's spectrum (Weyl): within ||V|| (V the
whole coupling block) of spec(h_S) and the bands, so every bound state lies inside it without
being searched for. A reservoir whose continuum reaches infinity adds the real axis beyond
every finite feature, where the integrand is smooth (see :func:`.integrate.integrate_contour`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ..thermal import Bath, strip_kernels
from .evaluated import EvaluatedModel, ModelStack, evaluate
from .greens import system_greens_function
from .integrate import DEFAULT_OPTIONS, QuadratureOptions, integrate_contour
from .system import OpenSystem

__all__ = ["MATRIX_KERNELS", "SCALAR_KERNELS", "SpectralIntegrals", "check_request", "spectral_integrals"]

SCALAR_KERNELS = ("one", "f", "ef", "s", "omega")
MATRIX_KERNELS = ("f", "log_f", "log_1mf", "df_dbeta")


@dataclass(frozen=True)
class SpectralIntegrals:
    """Integrals for P points: ``values[name]`` is (P,) or (P, n, n); ``errors[name]`` is (P,)."""

    values: Mapping[str, np.ndarray]
    errors: Mapping[str, np.ndarray]
    n_evaluations: int
    converged: bool
    #: (low, high): the interval that holds every real-axis feature of the points (the contour's
    #: extent; the scale of the energies whose rounding the integrals carry)
    spectrum: tuple[float, float]


def check_request(quantities: str, directions: Sequence[Mapping[str, float]] | None, points: Sequence[Mapping[str, float]]) -> None:
    """The one check of an energy-integral request, shared by both roads (poles and contour).

    ``quantities`` is "state" (everything an Equilibrium needs) or "rates" (what the power along
    a path needs, which requires ``directions``, one per point).
    """
    if quantities not in ("state", "rates"):
        raise ValueError(f"quantities must be 'state' or 'rates', got {quantities!r}")
    if quantities == "rates" and directions is None:
        raise ValueError("quantities='rates' needs directions (d lambda/dt per point)")
    if directions is not None and len(directions) != len(points):
        raise ValueError(f"directions has {len(directions)} entries for {len(points)} points")



def _band_edges(model: OpenSystem) -> list[float]:
    """The edges of every reservoir's own continuum: the model's merged continuum hides a chain's
    edges inside a Lorentzian's (-inf, inf), and they are where Sigma is singular."""
    return [e for res in model.reservoirs for interval in res.continuum for e in interval]


def _spectrum_bound(model: OpenSystem, stack: ModelStack) -> tuple[float, float, bool]:
    """(low, high, unbounded): an interval holding every real-axis feature of all points, and
    whether a continuum reaches infinity. Bounded: Weyl's bound of the universe's spectrum.
    Unbounded: the same bound with the finite band edges only; it still holds every real pole
    (a real pole u of G_S has V_r u = 0 for each reservoir r whose continuum covers its energy, so
    it is an eigenstate of the universe without those reservoirs) and every band edge."""
    edges = np.array(_band_edges(model))
    finite = edges[np.isfinite(edges)]
    # Weyl: spec(h) lies within ||V|| of spec(h_S) U spec(h_R); one-sided, so that a level far
    # above the band does not stretch the contour far below it (and vice versa)
    levels = np.linalg.eigvalsh(stack.h)  # (P, n)
    coupling = sum(np.conj(np.swapaxes(V, 1, 2)) @ V for V in stack.V)  # (P, n, n): V^dag V
    coupling_norm = np.sqrt(np.linalg.norm(coupling, ord=2, axis=(1, 2)))
    low, high = levels[:, 0], levels[:, -1]
    if finite.size:
        low, high = np.minimum(low, finite.min()), np.maximum(high, finite.max())
    return float((low - coupling_norm).min()), float((high + coupling_norm).max()), finite.size < edges.size


def _sandwich(V: np.ndarray, g: np.ndarray, W: np.ndarray) -> np.ndarray:
    """V^dag g W for stacked V, W (P, m, n) and g (N, m, m) -> (P, N, n, n)."""
    # broadcast matmuls, not einsum(optimize=True): its contraction-path search cost a quarter of
    # a single-point call, and the matmul order is the cheap one anyway (m, n are small)
    result: np.ndarray = np.conj(np.swapaxes(V, 1, 2))[:, None] @ g[None] @ W[:, None]
    return result


def spectral_integrals(
    model: OpenSystem,
    bath: Bath,
    points: Sequence[Mapping[str, float]],
    *,
    quantities: str = "state",
    directions: Sequence[Mapping[str, float]] | None = None,
    break_energies: Sequence[float] = (),
    options: QuadratureOptions | None = None,
    evaluated: EvaluatedModel | None = None,
) -> SpectralIntegrals:
    """Energy integrals for every point of ``points`` (resolved parameter dicts of ``model``).

    Parameters
    ----------
    quantities : {"state", "rates"}
        "state": everything an :class:`~.partition.Equilibrium` needs; "rates": only what the
        power along a path needs (``A:f``, ``power_SR:*``, ``nonlocal``).
    directions : sequence of mappings, optional
        d lambda/dt per point; required for "rates", optional for "state" (adds ``nonlocal``).
    break_energies : sequence of float
        Extra initial panel edges (levels, bound states).
    evaluated : EvaluatedModel, optional
        :func:`.evaluated.evaluate` of the same model and points, where the caller has it already.
    """
    options = options or DEFAULT_OPTIONS
    check_request(quantities, directions, points)
    n, P = model.n_levels, len(points)
    names = model.parameter_names
    stack = (evaluated or evaluate(model, points, bath.mu)).stack
    if directions is not None:
        h_dot = np.array([sum((v * stack.dh[k][p] for k, v in d.items()), np.zeros((n, n), complex)) for p, d in enumerate(directions)])
        rate = {k: np.array([d.get(k, 0.0) for d in directions]) for k in names}
    eye = np.eye(n)
    want_state = quantities == "state"
    matrix_kernels = MATRIX_KERNELS if want_state else ("f",)

    def integrand(z: np.ndarray, dz: np.ndarray) -> np.ndarray:
        kernels = strip_kernels(bath, z)
        kernels["one"] = np.ones_like(z)
        g = [res.surface_greens_function(z) for res in model.reservoirs]
        Sigma: np.ndarray = sum(_sandwich(V, g_r, V) for V, g_r in zip(stack.V, g, strict=True))  # type: ignore[assignment]  # a sum of arrays (at least one reservoir)
        G = system_greens_function(z, stack.h[:, None], Sigma)  # (P, N, n, n)
        dSigma = {
            k: sum(
                _sandwich(dV, g_r, V) + _sandwich(V, g_r, dV)
                for V, dV, g_r in zip(stack.V, stack.dV[k], g, strict=True)
            )
            for k in names
        }
        f_dz = kernels["f"] * dz
        cols: list[np.ndarray] = []  # each (P, N) or (P, N, n*n)

        def trace(X: np.ndarray, Y: np.ndarray) -> np.ndarray:
            return np.einsum("pNij,pNji->pN", X, Y)

        need_dz_Sigma = want_state or directions is not None
        if need_dz_Sigma:
            dg = [res.surface_greens_function_derivative(z) for res in model.reservoirs]
            dSigma_dz: np.ndarray = sum(_sandwich(V, dg_r, V) for V, dg_r in zip(stack.V, dg, strict=True))  # type: ignore[assignment]
        if want_state:
            trG = np.trace(G, axis1=2, axis2=3) * dz
            trG_dSigma = trace(G, dSigma_dz) * dz
            cols += [-np.imag(kernels[k] * trG) / np.pi for k in SCALAR_KERNELS]
            cols += [np.imag(kernels[k] * trG_dSigma) / np.pi for k in SCALAR_KERNELS]
            cols.append(-2.0 * np.imag(f_dz * trace(Sigma, G)) / np.pi)
        cols += [-np.imag(f_dz * trace(dSigma[k], G)) / np.pi for k in names]
        if directions is not None:
            Sigma_dot: np.ndarray = sum(rate[k][:, None, None, None] * dSigma[k] for k in names)
            dG_dt = G @ (h_dot[:, None] + Sigma_dot) @ G
            dG_dz = -G @ (eye - dSigma_dz) @ G
            term = trace(dG_dt, dSigma_dz) - trace(dG_dz, Sigma_dot)
            cols.append(-np.imag(kernels["omega"] * term * dz) / np.pi)
        for k in matrix_kernels:
            X = kernels[k][:, None, None] * G * dz[:, None, None]
            A = (1j / (2.0 * np.pi)) * (X - np.conj(np.swapaxes(X, 2, 3)))
            cols += [A.real.reshape(P, len(z), n * n), A.imag.reshape(P, len(z), n * n)]
        flat = [c[..., None] if c.ndim == 2 else c for c in cols]
        return np.concatenate(flat, axis=2).transpose(1, 0, 2).reshape(len(z), -1)

    *spectrum, unbounded = _spectrum_bound(model, stack)
    scale = max(
        1.0,
        max((hi - lo for lo, hi in model.continuum if np.isfinite(hi - lo)), default=1.0),
        float(np.max(np.abs(np.linalg.eigvalsh(stack.h) - bath.mu))),
    )
    breaks = [bath.mu, *break_energies, *_band_edges(model)]
    result = integrate_contour(
        integrand,
        spectrum=(spectrum[0], spectrum[1]),
        center=bath.mu,
        scale=scale,
        eta=options.eta_fraction * np.pi * bath.T,
        break_energies=breaks,
        options=options,
        tails=unbounded,
    )
    value = np.real(result.value).reshape(P, -1)
    error = np.asarray(result.error).reshape(P, -1)

    layout: list[tuple[str, int]] = []
    if want_state:
        layout += [(f"g_S:{k}", 1) for k in SCALAR_KERNELS] + [(f"dg_R:{k}", 1) for k in SCALAR_KERNELS]
        layout.append(("H_SR", 1))
    layout += [(f"power_SR:{k}", 1) for k in names]
    if directions is not None:
        layout.append(("nonlocal", 1))
    for k in matrix_kernels:
        layout += [(f"A:{k}:re", n * n), (f"A:{k}:im", n * n)]
    values: dict[str, np.ndarray] = {}
    errors: dict[str, np.ndarray] = {}
    pos = 0
    for name, width in layout:
        block, block_err = value[:, pos : pos + width], error[:, pos : pos + width]
        pos += width
        if name.startswith("A:"):
            base, part = name.rsplit(":", 1)
            values[f"{base}:{part}"] = block.reshape(P, n, n)
            errors[base] = np.maximum(errors.get(base, np.zeros(P)), block_err.max(axis=1))
        else:
            values[name] = block[:, 0]
            errors[name] = block_err[:, 0]
    for k in matrix_kernels:
        M = values.pop(f"A:{k}:re") + 1j * values.pop(f"A:{k}:im")
        values[f"A:{k}"] = 0.5 * (M + np.conj(np.swapaxes(M, 1, 2)))
    return SpectralIntegrals(values, errors, result.n_evaluations, result.converged, (spectrum[0], spectrum[1]))
