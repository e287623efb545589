"""What :func:`strongtherm.dynamics.drive` measures on the Gaussian state at each output time.

:class:`Recorder` takes the integrator's samples (t, Psi, W, lambda(t)) one at a time, in the
spirit of qutip's ``Result.add`` (a rejected pass of the integrator is forgotten with
:meth:`Recorder.rollback`; the work comes with :meth:`Recorder.finish`), and fills the time series of
:class:`~strongtherm.dynamics.Drive` (units: energy, nats):

* the universe energy Tr[C h(t)] - Tr[C_0 h(0)] (the check of W_ext in a closed universe);
* <H_S>, <H_SR> and the alpha-partitions <H_S + alpha H_SR> (Kumar, Webb & Stafford 2024,
  Eqs. 14, 22), and the mean-force U_H*, U_E* of lambda(t) on the instantaneous reduced state
  (Davoudi et al. 2025, Eqs. 11, 13);
* the heat Q(t) = -Delta<H_R - mu N_R> and the particle flow dN_S/dt = -i Tr[C [P_S, h]];
* per reservoir alpha (chain Hamiltonian h_alpha, projector P_alpha, its own mu_alpha): the particle
  current into the system I_alpha = -dN_alpha/dt = i Tr[C [P_alpha, h]], the energy current
  J_E^alpha = -d<H_alpha>/dt = i Tr[C [h_alpha, h]] (only the coupling to the system does not commute
  with h_alpha, so both live on the first chain sites), the pumped charge N_alpha(0) - N_alpha(t) and
  the heat Q_alpha(t) = -Delta<H_alpha - mu_alpha N_alpha> (exact differences of the state, not
  integrals of the currents: those are the second road);
* Delta F of the finite universe (its grand potential minus the isolated reservoirs', i.e. F*_S
  of the chain) and the entropy production: beta (W - Delta F) = D(rho(t) || rho^eq_lambda(t))
  for the Gibbs start, Delta S_S - beta Q = I(S:R) + D(rho_R(t) || rho_R^eq) for the product
  start (Esposito, Lindenberg & Van den Broeck, NJP 12, 013013 (2010)).

Reservoirs out of equilibrium with each other (``biased``): no single Gibbs state exists, so
Delta F, the relative entropy to it, U_H* and U_E* (defined by one bath) are NaN; the entropy
production of the partitioned (product) start is Delta S_S - sum_alpha Q_alpha / T_alpha (Esposito
et al. 2010 with several reservoirs, >= 0), and NaN for the partition-free start, whose initial
state is correlated (the same expression is then not bounded below by 0).

Only the small block of C on the system and the first chain sites is formed per output time; the
full C (one dense product) only when the relative entropies are asked for.
"""

from __future__ import annotations

import warnings
from types import MappingProxyType
from typing import Any

import numpy as np

from ..core.warnings import RankDeficientWarning
from ..gaussian.meanforce import mean_force_from_hamiltonian
from ..negf.universe import Universe
from ..thermal import Bath, state_functions_from_spectrum
from .entropy import gaussian_entropy
from .integrator import GaussianOrbitals, Sample

__all__ = ["ALPHAS", "Recorder"]

#: alpha values of the alpha-partition reported in ``system_energy``.
ALPHAS = (0.0, 0.5, 1.0)


class Recorder:
    """The observables of a drive at ``n_t`` output times, filled by :meth:`add` in time order.

    Parameters
    ----------
    universe : Universe
    bath : Bath
        (T, mu) of the initial state.
    state : GaussianOrbitals
        The initial state (occupations f_k are those of every later state).
    start : dict
        lambda(0), whose names key the parameter series.
    h0, spectrum0 : ndarray
        h(lambda(0)) (dense) and its eigenvalues.
    n_t : int
        Number of output times.
    initial : {"gibbs", "product"}
    mean_force_energies, entropy : bool
        As in :func:`~strongtherm.dynamics.drive`.
    lead_baths : tuple of Bath, optional
        (T_alpha, mu_alpha) of each reservoir (default: ``bath`` for every one).
    biased : bool
        The reservoirs' baths differ (see the module docstring).
    """

    def __init__(
        self,
        universe: Universe,
        bath: Bath,
        state: GaussianOrbitals,
        start: dict[str, float],
        h0: np.ndarray,
        spectrum0: np.ndarray,
        n_t: int,
        *,
        initial: str,
        mean_force_energies: bool,
        entropy: bool,
        lead_baths: tuple[Bath, ...] | None = None,
        biased: bool = False,
    ) -> None:
        self.universe, self.bath, self.state = universe, bath, state
        self.lead_baths = lead_baths if lead_baths is not None else (bath,) * universe.R
        self.biased = biased
        # no single Gibbs state to compare with: the quantities defined by one bath are skipped
        self.mean_force_energies = mean_force_energies and not biased
        self.initial, self.entropy = initial, entropy and not biased
        n = universe.n
        Psi, f = state
        self.e_R = np.linalg.eigvalsh(h0[n:, n:])
        if biased:
            self.Omega_R0 = self.F_A = float("nan")
        else:
            self.Omega_R0 = state_functions_from_spectrum(bath, self.e_R)["Omega"]
            # F*_S of the chain at lambda(0): the universe's grand potential minus the isolated reservoirs'
            self.F_A = state_functions_from_spectrum(bath, spectrum0, reference=self.e_R)["Omega"]
        self.S_S_initial = gaussian_entropy((Psi[:n] * f) @ Psi[:n].conj().T)
        self.E_initial = float(np.real(np.sum(np.conj(Psi) * universe.apply(universe.block(start), Psi) * f)))
        self.mu_leads = np.array([b.mu for b in self.lead_baths])
        self.H_leads_initial, self.N_leads_initial = self._lead_energies(Psi)
        self.K_R_initial = self._reservoir_K(Psi)
        # h_alpha on ext (the chain's first sites), for J_E^alpha = i Tr[C [h_alpha, h]]
        self.h_lead_ext = []
        depth = (universe.ext.size - n) // universe.R
        for r in range(universe.R):
            h_r = np.zeros_like(universe.h_fixed_ext)
            sites = slice(n + r * depth, n + (r + 1) * depth)
            h_r[sites, sites] = universe.h_fixed_ext[sites, sites]
            self.h_lead_ext.append(h_r)
        self.count = 0
        self.W_ext, self.E_univ, self.H_S, self.H_SR, self.K_R, self.N_S, self.flow, self.S_S, self.dF = (
            np.empty(n_t) for _ in range(9)
        )
        self.C_SS = np.empty((n_t, n, n), dtype=complex)
        self.D_rel, self.U_H, self.U_E = (np.full(n_t, np.nan) for _ in range(3))
        self.MI = np.full(n_t, np.nan) if initial == "product" and not biased else None
        self.D_R = np.full(n_t, np.nan) if initial == "product" and not biased else None
        self.params: dict[str, list[float]] = {k: [] for k in start}
        self.rank_deficient = np.zeros(n_t, dtype=bool)
        R = universe.R
        self.I_leads, self.JE_leads, self.H_leads, self.N_leads = (np.empty((n_t, R)) for _ in range(4))

    def _lead_energies(self, P: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """<H_alpha> and N_alpha of every chain (H_alpha: the fixed chain, lead shifts included)."""
        u, f = self.universe, self.state.occupations
        hP = u.h_fixed @ P
        energy = np.real(np.sum(np.conj(P) * hP * f, axis=1))  # per site: the chains hold no coupling term
        number = np.sum(np.abs(P) ** 2 * f, axis=1)
        lead = slice(u.n, None)
        return energy[lead].reshape(u.R, u.L).sum(axis=1), number[lead].reshape(u.R, u.L).sum(axis=1)

    def _reservoir_K(self, P: np.ndarray) -> float:
        """<H_R - mu N_R> (H_R: the chains, fixed), each chain with its own mu."""
        H, N = self._lead_energies(P)
        return float(np.sum(H - self.mu_leads * N))

    def add(self, sample: Sample) -> None:
        """Measure the state of one output time (the next one)."""
        i, (_, P, p) = self.count, sample
        self.count += 1
        universe, bath, f, n = self.universe, self.bath, self.state.occupations, self.universe.n
        for k, series in self.params.items():
            series.append(p[k])
        B = universe.block(p)
        self.E_univ[i] = float(np.real(np.sum(np.conj(P) * universe.apply(B, P) * f)))
        self.H_leads[i], self.N_leads[i] = self._lead_energies(P)
        self.K_R[i] = float(np.sum(self.H_leads[i] - self.mu_leads * self.N_leads[i]))
        Cl = self.state.local_correlation(P, universe.ext)
        self.H_S[i] = float(np.real(np.sum(B[:n, :n] * Cl[:n, :n].T)))
        coupling = np.zeros_like(B)
        coupling[n:, :n] = B[n:, :n]
        coupling[:n, n:] = B[:n, n:]
        self.H_SR[i] = float(np.real(np.sum(coupling * Cl.T)))
        # dN_S/dt = -i Tr[C [P_S, h]]
        X = np.zeros_like(B)
        X[:n, n:] = B[:n, n:]
        X[n:, :n] = -B[n:, :n]
        self.flow[i] = float(np.real(-1j * np.sum(X * Cl.T)))
        for r, (s, h_r) in enumerate(zip(universe.ext_surface, self.h_lead_ext, strict=True)):
            # the coupling of lead r alone: [P_r, h] and [h_r, h] = [h_r, h_c] on ext
            h_c = np.zeros_like(B)
            h_c[s, :n] = B[s, :n]
            h_c[:n, s] = B[:n, s]
            X_r = np.zeros_like(B)
            X_r[s, :n] = B[s, :n]
            X_r[:n, s] = -B[:n, s]
            self.I_leads[i, r] = float(np.real(1j * np.sum(X_r * Cl.T)))
            self.JE_leads[i, r] = float(np.real(1j * np.sum((h_r @ h_c - h_c @ h_r) * Cl.T)))
        self.C_SS[i] = Cl[:n, :n]
        self.N_S[i] = float(np.real(np.trace(Cl[:n, :n])))
        self.S_S[i] = gaussian_entropy(Cl[:n, :n])
        if self.biased:  # no equilibrium reference (module docstring): no eigendecomposition either
            self.dF[i] = np.nan
            return
        F_t = self._free_energy(universe.dense(p, B), Cl[:n, :n], p, i)
        self.dF[i] = F_t - self.F_A
        if self.entropy:
            C = (P * f) @ P.conj().T  # the one dense product per output time (never in the time loop)
            S_univ = gaussian_entropy(C)
            N_tot = float(np.real(np.trace(C)))
            # D(rho || sigma_t) = -S(rho) + beta Tr[C (h_t - mu)] + ln Xi_t, ln Xi_t = -beta Omega_t
            self.D_rel[i] = -S_univ + bath.beta * (self.E_univ[i] - bath.mu * N_tot - (F_t + self.Omega_R0))
            if self.MI is not None and self.D_R is not None:  # the product start
                S_R = gaussian_entropy(C[n:, n:])
                self.MI[i] = self.S_S[i] + S_R - S_univ
                self.D_R[i] = -S_R + bath.beta * (self.K_R[i] - self.Omega_R0)

    def _free_energy(self, h_t: np.ndarray, C_SS: np.ndarray, p: dict[str, float], i: int) -> float:
        """F*_S of the chain at lambda(t); with the mean-force energies U_H*, U_E* on C_SS when asked."""
        if not self.mean_force_energies:
            return state_functions_from_spectrum(self.bath, np.linalg.eigvalsh(h_t), reference=self.e_R)["Omega"]
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", RankDeficientWarning)
            mf = mean_force_from_hamiltonian(h_t, self.universe.n, self.bath, params=p)
        self.rank_deficient[i] = any(issubclass(w.category, RankDeficientWarning) for w in caught)
        if mf.frozen_modes == 0:
            self.U_H[i] = mf.H_star.expectation(C_SS)
            self.U_E[i] = mf.E_star.expectation(C_SS)
        return mf.F_S

    def rollback(self, count: int) -> None:
        """Forget the samples from the ``count``-th on (a pass of the integrator was rejected);
        the next :meth:`add` measures the ``count``-th output time again."""
        self.count = count
        for series in self.params.values():
            del series[count:]
        self.rank_deficient[count:] = False
        self.U_H[count:] = self.U_E[count:] = self.D_rel[count:] = np.nan

    def finish(self, work: np.ndarray) -> dict[str, Any]:
        """The time series as :class:`~strongtherm.dynamics.Drive` fields (by name), with
        ``work`` (n_t,), the integrator's W_ext at the output times.

        Warns (RankDeficientWarning) if the reduced state was rank deficient at some output time.
        """
        self.W_ext[:] = work
        if np.any(self.rank_deficient):
            warnings.warn(
                f"the reduced state was rank deficient at {int(np.sum(self.rank_deficient))} output time(s): U_H*, U_E* are NaN there",
                RankDeficientWarning,
                stacklevel=3,  # drive's caller, as when this loop was drive's own
            )
        heat = -(self.K_R - self.K_R_initial)
        lead_heat = -((self.H_leads - self.H_leads_initial) - self.mu_leads * (self.N_leads - self.N_leads_initial))
        beta_leads = np.array([b.beta for b in self.lead_baths])
        if self.initial == "gibbs":
            Sigma = np.full_like(heat, np.nan) if self.biased else self.bath.beta * (self.W_ext - self.dF)
        else:
            Sigma = (self.S_S - self.S_S_initial) - lead_heat @ beta_leads
        H_S, H_SR = self.H_S, self.H_SR
        system_energy = {
            "hilbert": H_S + 0.5 * H_SR,
            **{f"alpha={a:g}": H_S + a * H_SR for a in ALPHAS},
            "H_S": H_S,
            "H*": self.U_H,
            "E*": self.U_E,
        }
        return {
            "parameters": MappingProxyType({k: np.array(v) for k, v in self.params.items()}),
            "W_ext": self.W_ext,
            "universe_energy": self.E_univ - self.E_initial,
            "system_energy": MappingProxyType(system_energy),
            "expectation_H_S": H_S,
            "expectation_H_SR": H_SR,
            "heat": heat,
            "lead_heat": lead_heat,
            "particle_current": self.I_leads,
            "energy_current": self.JE_leads,
            "pumped_charge": self.N_leads_initial - self.N_leads,
            "particle_flow": self.flow,
            "particle_number": self.N_S,
            "reduced_state": self.C_SS,
            "entropy_production": Sigma,
            "relative_entropy": self.D_rel,
            "delta_F": self.dF,
            "system_entropy": self.S_S,
            "mutual_information": self.MI,
            "reservoir_relative_entropy": self.D_R,
        }

    @property
    def energy_balance_residual(self) -> float:
        """max |W_ext - (Tr[C h] - Tr[C_0 h_0])| over the recorded times (after :meth:`finish`)."""
        return float(np.max(np.abs(self.W_ext - (self.E_univ - self.E_initial))))
