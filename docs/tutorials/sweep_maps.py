"""Tutorial: parameter sweeps as xarray Datasets, and their plots (needs ``xarray``).

Run it as ``python docs/tutorials/sweep_maps.py [FIGURE_FOLDER]``; the test suite runs it too
(tests/docs/test_tutorials.py) when xarray is installed.
"""

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display needed
import numpy as np

import strongtherm as st

out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("tutorial_figures")
out.mkdir(parents=True, exist_ok=True)

# A ready-made computation knows its parameters and checks every grid point before computing.
rlm = st.models.resonant_level(t0=1.25)
compute = st.sweeps.negf_equilibrium(rlm, st.Bath(T=0.02, mu=0.0))
grid = {"eps_s": np.linspace(-3.0, 2.0, 21), "V": np.linspace(0.25, 1.5, 6)}
ds = st.sweep(compute, grid, processes=1)  # an xarray.Dataset over (eps_s, V)
print(ds["system_S"])
assert float(ds["system_S"].max()) <= np.log(2)  # Hilbert-space partition: 0 <= S_S <= ln 2

# The system entropy as a map over both parameters; then cuts at fixed V.
ax = st.plot.sweep_map(ds, "system_S")
ax.figure.savefig(out / "sweep_map_entropy.png", dpi=110)
axes = st.plot.state_functions(ds.sel(V=[0.5, 1.5]), x="eps_s", quantities=["system_U", "system_S"])
axes[0].figure.savefig(out / "sweep_state_functions.png", dpi=110)
# how many grid points have a bound state outside the band, per V
print(ds["n_bound_states"].sum("eps_s").values)
