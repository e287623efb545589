"""Peer reference: the driven resonant level computed with tkwant (time-dependent Kwant).

Writes ``tests/references/tkwant_resonant_level.json``, the fixed reference that
``tests/dynamics/test_peer_tkwant.py`` compares strongtherm's exact engine
(``strongtherm.dynamics.drive``) against (issue 12, item 7: peer check).

This script is NOT part of the package or of CI: tkwant installs from source only (C compiler,
Cython < 3, MPI). It runs in a separate virtual environment, e.g.::

    python3 -m venv /work/tkwant-venv
    /work/tkwant-venv/bin/pip install "numpy<2" scipy "cython<3" tinyarray sympy
    /work/tkwant-venv/bin/pip install --no-build-isolation kwant==1.5.0
    apt-get install libopenmpi-dev openmpi-bin          # MPI runtime for mpi4py
    /work/tkwant-venv/bin/pip install mpi4py kwantspectrum
    # tkwant 1.1.0 ships C files made by an old Cython that no longer compile on Python 3.11:
    pip download --no-deps tkwant==1.1.0 && tar xzf tkwant-1.1.0.tar.gz
    rm tkwant-1.1.0/tkwant/onebody/{solvers,kernels}.c
    /work/tkwant-venv/bin/pip install --no-build-isolation ./tkwant-1.1.0

and then, from the repository root::

    /work/tkwant-venv/bin/python benchmarks/peer/tkwant_resonant_level.py    # 2-5 min on 1 core

Model and conventions (hbar = k_B = 1, energies in the units of the lead hopping scale)
---------------------------------------------------------------------------------------
One level d (on-site eps_s(t)) coupled by the hopping V(t) to site 1 of a semi-infinite
tight-binding chain with hopping t0 = 1.25 and on-site 0 (band [-2.5, 2.5]):

    H(t) = eps_s(t) d^dag d + V(t) (d^dag c_1 + c_1^dag d) + t0 sum_{j>=1} (c_j^dag c_{j+1} + h.c.),

exactly ``st.models.resonant_level(t0=1.25)`` (matrix elements +V, +t0; the Kwant builder below
sets the same signs). The lead is at T = 0.1, mu = 0, and the system starts in the coupled
equilibrium (global Gibbs) state of H(0): tkwant's many-body state built from the scattering
states of H(0) with Fermi occupation at (mu, T). There is no bound state along either path
(|eps_s| < 2 t0 - V^2/t0 holds everywhere; checked with ``tkwant.manybody.boundstates_present``),
so the scattering states are complete.

Protocols (linear ramp over tau = 5, then a hold at the final values until t = 8):

* ``level``:    eps_s: 0 -> 1 at V = 0.6;   W(t) = int_0^t d(eps_s)/dt' n(t') dt',  n = <d^dag d>.
* ``coupling``: V: 0.6 -> 0.4 at eps_s = 0.5; W(t) = int_0^t dV/dt' X(t') dt',
  X = <dH/dV> = 2 Re <d^dag c_1>.

Numerics and how they are converged
-----------------------------------
* Time stepping: tkwant's default ODE solver (scipy dopri5) with atol = rtol = ``ode_tol``; the
  perturbation W(t) = H(t) - H(0) is evaluated exactly at every call
  (``kernels.PerturbationExtractor``), not through tkwant's default spline interpolation
  (``PerturbationInterpolator``): with the spline, n(t) is off by ~2e-4 and the refinement of the
  energy integral at t > 0 does not terminate (recorded as
  ``diagnostic_default_interpolated_perturbation``).
* Energy (momentum) integral: tkwant's Gauss-Kronrod intervals, refined (``refine_intervals``)
  to atol = rtol = ``quad_tol`` at t = 0 and again at every output time, with the error
  operator [|psi_d|^2, |psi_1|^2, Re psi_d^* psi_1, Im psi_d^* psi_1]. The Fermi cutoff is
  tkwant's (f < 1e-10).
* Lead boundary: a plain buffer of lead cells (``SimpleBoundary``) from
  ``tkwant.leads.automatic_boundary(tmax=boundary_tmax)``. With boundary_tmax equal to the
  window (8) tkwant picks 10 cells = v_max * tmax / 2, which is the return time of the *front*
  only: the lattice wave packet has a tail ahead of the front and n(t) is then wrong by up to
  3e-5 at t = 8 (recorded below as ``diagnostic_default_boundary``). The reference uses
  boundary_tmax = 30 (38 cells) and is checked against 60 (75 cells).
* Work: Gauss-Legendre quadrature of the power on each 0.5-long piece of the ramp (the power is
  smooth inside the ramp and zero in the hold), with ``gl_nodes`` nodes; checked against half as
  many nodes.

The accuracy estimate stored in the JSON is the largest difference between the ``reference``
settings and the ``tight`` settings (every tolerance tightened, the buffer doubled, more
quadrature nodes), for each recorded quantity.
"""

from __future__ import annotations

import argparse
import datetime
import functools
import json
import platform
import sys
import time as wallclock
from pathlib import Path

import kwant
import kwantspectrum
import numpy as np
import scipy
import scipy.integrate
import tkwant
from tkwant import leads, manybody, onebody

T0 = 1.25
TEMPERATURE = 0.1
MU = 0.0
TAU = 5.0
T_END = 8.0
OUTPUT_STEP = 0.5

PROTOCOLS = {
    "level": {"eps_s": (0.0, 1.0), "V": (0.6, 0.6)},
    "coupling": {"eps_s": (0.5, 0.5), "V": (0.6, 0.4)},
}

SETTINGS = {
    "reference": {"ode_tol": 1e-10, "quad_tol": 1e-9, "boundary_tmax": 30.0, "gl_nodes": 8},
    "tight": {"ode_tol": 1e-12, "quad_tol": 1e-11, "boundary_tmax": 60.0, "gl_nodes": 12},
}

OUT = Path(__file__).resolve().parents[2] / "tests" / "references" / "tkwant_resonant_level.json"


def ramp(start: float, end: float, t: float) -> float:
    """Linear ramp start -> end over [0, TAU], then constant."""
    return start + (end - start) * min(max(t, 0.0), TAU) / TAU


def ramp_rate(start: float, end: float, t: float) -> float:
    """d/dt of :func:`ramp` inside the ramp (the power quadrature only samples 0 < t < TAU)."""
    return (end - start) / TAU if 0.0 <= t <= TAU else 0.0


def build_system(protocol: dict[str, tuple[float, float]]):
    """Level (site 0) + first lead site (site 1) as the scattering region; the lead continues at 2, 3, ..."""
    eps_a, eps_b = protocol["eps_s"]
    v_a, v_b = protocol["V"]
    lat = kwant.lattice.chain(norbs=1)
    builder = kwant.Builder()
    # only value functions with a `time` argument enter tkwant's W(t); keep static ones static
    if eps_a != eps_b:
        builder[lat(0)] = lambda site, time: ramp(eps_a, eps_b, time)
    else:
        builder[lat(0)] = eps_a
    builder[lat(1)] = 0.0
    if v_a != v_b:
        builder[lat(1), lat(0)] = lambda site1, site2, time: ramp(v_a, v_b, time)
    else:
        builder[lat(1), lat(0)] = v_a
    lead = kwant.Builder(kwant.TranslationalSymmetry((1,)))
    lead[lat(0)] = 0.0
    lead[lat(1), lat(0)] = T0  # +t0, as in strongtherm's TightBindingChain
    builder.attach_lead(lead)
    syst = builder.finalized()
    return syst, syst.id_by_site[lat(0)], syst.id_by_site[lat(1)]


def make_observable(i_d: int, i_1: int):
    """One-body observable [|psi_d|^2, |psi_1|^2, Re psi_d^* psi_1, Im psi_d^* psi_1].

    Summed over occupied scattering states: [n, <c_1^dag c_1>, Re <d^dag c_1>, Im <d^dag c_1>]
    (<c_i^dag c_j> = sum_k f_k psi_k(i)^* psi_k(j)).
    """

    def observable(psi, params=None):  # kwant-operator calling signature, as tkwant expects
        cross = np.conj(psi[i_d]) * psi[i_1]
        return np.array([abs(psi[i_d]) ** 2, abs(psi[i_1]) ** 2, cross.real, cross.imag])

    return observable


def equilibrium_occupation(eps: float, V: float) -> float:
    """<d^dag d> of the coupled Gibbs state from the retarded Green's function (independent of tkwant).

    G(E) = 1 / (E - eps - V^2 g(E)), g the surface Green's function of the chain,
    n = int f(E) A(E) dE over the band (no bound state).
    """

    def spectral(E: float) -> float:
        g = (E - 1j * np.sqrt(4 * T0**2 - E**2)) / (2 * T0**2)
        return -np.imag(1.0 / (E - eps - V**2 * g)) / np.pi

    def fermi(E: float) -> float:
        return 0.5 * (1.0 - np.tanh((E - MU) / (2 * TEMPERATURE)))

    value, _ = scipy.integrate.quad(lambda E: fermi(E) * spectral(E), -2 * T0, 2 * T0,
                                    points=[MU], epsabs=1e-13, epsrel=1e-13, limit=500)
    return float(value)


def run(
    name: str,
    settings: dict,
    *,
    boundary_tmax: float | None = None,
    perturbation=onebody.kernels.PerturbationExtractor,
    refine_during_evolution: bool = True,
) -> dict:
    protocol = PROTOCOLS[name]
    syst, i_d, i_1 = build_system(protocol)
    observable = make_observable(i_d, i_1)
    spectra = kwantspectrum.spectra(syst.leads)
    if manybody.boundstates_present(syst):
        raise RuntimeError(f"{name}: tkwant finds a bound state at t = 0")
    for s in np.linspace(0.0, 1.0, 11):  # the bound-state criterion along the path
        eps = protocol["eps_s"][0] + s * (protocol["eps_s"][1] - protocol["eps_s"][0])
        V = protocol["V"][0] + s * (protocol["V"][1] - protocol["V"][0])
        if abs(eps) >= 2 * T0 - V**2 / T0:
            raise RuntimeError(f"{name}: bound state at s={s}")
    b_tmax = settings["boundary_tmax"] if boundary_tmax is None else boundary_tmax
    boundaries = leads.automatic_boundary(spectra, tmax=b_tmax, refl_max=1e-10)
    solver = functools.partial(onebody.solvers.Scipy, atol=settings["ode_tol"], rtol=settings["ode_tol"])
    wavefunction = functools.partial(onebody.WaveFunction.from_kwant, solver_type=solver,
                                     perturbation_type=perturbation)
    scattering = functools.partial(onebody.ScatteringStates, wavefunction_type=wavefunction)
    occupation = manybody.lead_occupation(chemical_potential=MU, temperature=TEMPERATURE)
    state = manybody.State(syst, occupations=occupation, boundaries=boundaries, refine=False,
                           error_op=observable, scattering_state_type=scattering)
    qtol = settings["quad_tol"]

    outputs = np.round(np.arange(0.0, T_END + 1e-9, OUTPUT_STEP), 12)
    # Gauss-Legendre nodes of the power on each output piece of the ramp, at full and half order
    gl = {k: np.polynomial.legendre.leggauss(k) for k in (settings["gl_nodes"], settings["gl_nodes"] // 2)}
    pieces = [(a, b) for a, b in zip(outputs[:-1], outputs[1:], strict=True) if b <= TAU + 1e-12]
    node_times = {float(0.5 * (a + b) + 0.5 * (b - a) * x) for a, b in pieces for nodes, _ in gl.values() for x in nodes}
    output_set = set(outputs.tolist())
    all_times = sorted(node_times | output_set)

    values: dict[float, np.ndarray] = {}
    error_estimates = []
    state.refine_intervals(atol=qtol, rtol=qtol)
    for t in all_times:
        state.evolve(t)
        if t in output_set:
            if refine_during_evolution:
                state.refine_intervals(atol=qtol, rtol=qtol)
            error_estimates.append(float(state.estimate_error()))
        values[t] = np.asarray(state.evaluate(observable))

    def power_variable(v: np.ndarray) -> float:
        # level: dH/d eps = d^dag d; coupling: dH/dV = 2 Re d^dag c_1
        return v[0] if name == "level" else 2.0 * v[2]

    rate_key = "eps_s" if name == "level" else "V"
    works = {}
    for k, (x, w) in gl.items():
        increments = []
        for a, b in pieces:
            tt = 0.5 * (a + b) + 0.5 * (b - a) * x
            p = [ramp_rate(*protocol[rate_key], float(ti)) * power_variable(values[float(ti)]) for ti in tt]
            increments.append(0.5 * (b - a) * float(np.dot(w, p)))
        cumulative = np.concatenate([[0.0], np.cumsum(increments)])
        works[k] = np.array([cumulative[min(i, len(pieces))] for i in range(outputs.size)])

    V_t = np.array([ramp(*protocol["V"], t) for t in outputs])
    eps_t = np.array([ramp(*protocol["eps_s"], t) for t in outputs])
    series = np.array([values[float(t)] for t in outputs])
    hi, lo = settings["gl_nodes"], settings["gl_nodes"] // 2
    return {
        "times": outputs.tolist(),
        "eps_s": eps_t.tolist(),
        "V": V_t.tolist(),
        "n": series[:, 0].tolist(),
        "n_lead_site_1": series[:, 1].tolist(),
        "re_d_dag_c1": series[:, 2].tolist(),
        "im_d_dag_c1": series[:, 3].tolist(),
        "dH_dV": (2.0 * series[:, 2]).tolist(),
        "W": works[hi].tolist(),
        "work_quadrature_difference": float(np.max(np.abs(works[hi] - works[lo]))),
        "tkwant_quadrature_error_estimate_max": max(error_estimates),
        "n_intervals": len(state.get_intervals()),
        "n_buffer_cells": int(getattr(boundaries[0], "_num_buffer_cells", -1)),
        "boundary_tmax": b_tmax,
        "n_equilibrium_green_function": equilibrium_occupation(eps_t[0], V_t[0]),
    }


def cython_version() -> str:
    try:
        import Cython

        return Cython.__version__
    except ImportError:
        return "not installed"


def mpi_library() -> str:
    from mpi4py import MPI

    return MPI.Get_library_version().split(",")[0].strip()


def kwant_has_mumps() -> bool:
    # without MUMPS kwant falls back to SciPy's sparse solver for the scattering states (same result)
    try:
        import kwant.linalg.mumps  # noqa: F401
    except ImportError:
        return False
    return True


def max_diff(a: dict, b: dict, key: str) -> float:
    return float(np.max(np.abs(np.asarray(a[key]) - np.asarray(b[key]))))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()

    started = wallclock.time()
    results: dict = {}
    for name in PROTOCOLS:
        runs = {label: run(name, s) for label, s in SETTINGS.items()}
        ref, tight = runs["reference"], runs["tight"]
        keys = ("n", "W", "dH_dV", "re_d_dag_c1", "im_d_dag_c1")
        accuracy = {k: max_diff(ref, tight, k) for k in keys}
        diag = run(name, SETTINGS["reference"], boundary_tmax=T_END)
        # with the spline of W(t), refine_intervals at t > 0 does not terminate in minutes (the
        # interpolation noise keeps the error estimate up), so this diagnostic refines at t = 0 only
        interpolated = run(name, SETTINGS["reference"], perturbation=onebody.kernels.PerturbationInterpolator,
                           refine_during_evolution=False)
        results[name] = {
            "protocol": {
                "eps_s": list(PROTOCOLS[name]["eps_s"]),
                "V": list(PROTOCOLS[name]["V"]),
                "schedule": "linear",
                "duration": TAU,
                "hold_until": T_END,
            },
            "reference": ref,
            "tight": tight,
            "accuracy_estimate": {
                **{f"max_abs_{k}": v for k, v in accuracy.items()},
                "how": "max over output times of |reference - tight| (tight: every tolerance x0.01, "
                "buffer doubled, 1.5x Gauss-Legendre nodes)",
            },
            "initial_state_check": {
                "n_tkwant_t0": ref["n"][0],
                "n_green_function": ref["n_equilibrium_green_function"],
                "difference": abs(ref["n"][0] - ref["n_equilibrium_green_function"]),
            },
            "diagnostic_default_boundary": {
                "note": "tkwant.leads.automatic_boundary(tmax=8) (the window itself): 10 buffer cells; "
                "the reflected tail returns before t = 8",
                "n_buffer_cells": diag["n_buffer_cells"],
                "max_abs_n_difference_to_reference": max_diff(diag, ref, "n"),
                "n_difference_to_reference_by_time": (np.asarray(diag["n"]) - np.asarray(ref["n"])).tolist(),
            },
            "diagnostic_default_interpolated_perturbation": {
                "note": "tkwant's default kernels.PerturbationInterpolator (spline of W(t)) instead of the "
                "exact PerturbationExtractor, other settings as the reference but refine_intervals at t = 0 only "
                "(with the spline, refinement at t > 0 to quad_tol did not terminate within minutes)",
                "max_abs_n_difference_to_reference": max_diff(interpolated, ref, "n"),
                "max_abs_W_difference_to_reference": max_diff(interpolated, ref, "W"),
                "max_abs_dH_dV_difference_to_reference": max_diff(interpolated, ref, "dH_dV"),
            },
        }
        print(f"{name}: accuracy {accuracy}; initial n check "
              f"{results[name]['initial_state_check']['difference']:.2e}; default-boundary error "
              f"{results[name]['diagnostic_default_boundary']['max_abs_n_difference_to_reference']:.2e}")

    document = {
        "description": "Driven resonant level computed with tkwant: peer reference for "
        "strongtherm.dynamics.drive (issue 12, item 7)",
        "generated_by": "benchmarks/peer/tkwant_resonant_level.py",
        "date_utc": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "versions": {
            "tkwant": tkwant.__version__,
            "kwant": kwant.__version__,
            "kwantspectrum": getattr(kwantspectrum, "__version__", "unknown"),
            "numpy": np.__version__,
            "scipy": scipy.__version__,
            "cython_used_to_build_tkwant": cython_version(),
            "mpi": mpi_library(),
            "kwant_mumps": kwant_has_mumps(),
            "python": sys.version.split()[0],
            "platform": platform.platform(),
        },
        "model": {
            "hamiltonian": "eps_s d^dag d + V (d^dag c_1 + c_1^dag d) + t0 sum_j (c_j^dag c_{j+1} + h.c.)",
            "t0": T0,
            "lead_onsite": 0.0,
            "band": [-2 * T0, 2 * T0],
            "strongtherm_model": "st.models.resonant_level(t0=1.25)",
            "units": "hbar = k_B = 1",
        },
        "bath": {"T": TEMPERATURE, "mu": MU},
        "initial_state": "coupled equilibrium (global Gibbs state of H(0)): tkwant manybody.State from "
        "the scattering states of H(0), Fermi occupation at (mu, T); no bound state",
        "observables": {
            "n": "<d^dag d>(t)",
            "re_d_dag_c1, im_d_dag_c1": "<d^dag c_1>(t)",
            "dH_dV": "<dH/dV> = 2 Re <d^dag c_1>",
            "W": "int_0^t (d lambda/dt') <dH/d lambda> dt' (lambda = eps_s for 'level', V for 'coupling')",
        },
        "settings": SETTINGS,
        "settings_common": {
            "ode_solver": "scipy dopri5 (tkwant.onebody.solvers.Scipy), atol = rtol = ode_tol",
            "perturbation": "tkwant.onebody.kernels.PerturbationExtractor (exact W(t), no interpolation)",
            "energy_integral": "tkwant manybody Gauss-Kronrod intervals, refine_intervals(atol=rtol=quad_tol) "
            "at t=0 and every output time; Fermi cutoff f < 1e-10 (tkwant's)",
            "boundary": "tkwant.leads.automatic_boundary(tmax=boundary_tmax, refl_max=1e-10) -> SimpleBoundary "
            "(buffer cells)",
            "work_quadrature": "Gauss-Legendre with gl_nodes nodes per 0.5-long piece of the ramp",
        },
        "protocols": results,
        "wall_time_s": round(wallclock.time() - started, 1),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(document, indent=1) + "\n")
    print(f"wrote {args.out} in {document['wall_time_s']} s")


if __name__ == "__main__":
    main()
