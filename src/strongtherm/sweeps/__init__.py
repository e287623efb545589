"""Parameter sweeps: one computation mapped over a grid of named parameters, as an xarray Dataset.

``st.sweep(compute, grid)`` evaluates ``compute(**point)`` at every point of the Cartesian
product of ``grid`` (a mapping ``name -> 1-D values``) and returns an :class:`xarray.Dataset`
whose coordinates are the parameters (in the order of ``grid``) and whose data variables are the
scalar results, named as in the result objects' ``to_dict()`` (``system_S``, ``W_ext``,
``work_Hstar``, ...), each with ``units``, ``long_name``, ``symbol`` and the paper's equation
from the quantity registry (:mod:`strongtherm.core.quantities`). The dataset's attributes hold
the computation, the model, the bath, the backend that ran and the strongtherm version.

``compute`` is either one of the ready-made computations of this package
(``st.sweeps.negf_equilibrium(model, bath)``, ...: they know their parameters, check every point
before anything is computed, and may evaluate a chunk of points in one batch) or any callable taking the grid's
names as keyword arguments and returning a mapping of real numbers or a result object with a
``to_dict()`` method.

Every public name is imported from this package (``st.sweeps.X``); its private modules do one job
each:

* ``_grid`` - grid checks (names, finite, distinct values, at most ``MAX_POINTS`` points);
* ``_backends`` - serial, local processes and Dask, one ``map`` signature; :func:`dask_client`
  starts a local Dask cluster after checking the main-script guard;
* ``_ready`` - the ready-made computations (:func:`negf_equilibrium`, :func:`negf_quasistatic`,
  :func:`negf_steady_state`, :func:`negf_linear_response`, :func:`dynamics_drive`, :func:`composite_drive`, :func:`exact_equilibrium`,
  :func:`exact_quench`, :func:`typical_equilibrium`);
* ``_files`` - :func:`save` and :func:`load` (NetCDF or CSV);
* ``_driver`` - the function :func:`strongtherm.sweep` itself.

Backends (the numbers never depend on them, since the chunks are the same everywhere): serial,
in this process; local processes (the default when the sweep is long enough to pay for
starting them); a Dask cluster, when a ``dask.distributed.Client`` is passed.

A failure at one grid point does not stop the sweep: that point's variables are NaN, the error
and the parameters are listed in ``ds.attrs["failures"]`` (a JSON string) and a
:class:`SweepWarning` is issued. If every point fails, :class:`SweepError` names the first; a
computation that returns anything but a mapping of numbers is a ``TypeError``. ``xarray`` (and
``tqdm`` for the progress bar, ``dask`` for clusters) are optional dependencies:
``pip install 'strongtherm[distributed]'``.

The package is named in the plural so that the function keeps the singular: ``st.sweep`` is
the function (its one import path, ``from strongtherm import sweep``) and ``st.sweeps`` this
package; neither shadows the other.
"""

from __future__ import annotations

from ._backends import dask_client
from ._driver import DEFAULT_CHUNK_SIZE, SweepError, SweepWarning
from ._files import load, save
from ._grid import MAX_POINTS, check_grid, check_sweep
from ._ready import (
    CompositeDriveSweep,
    DynamicsDrive,
    ExactEquilibrium,
    ExactQuench,
    NegfEquilibrium,
    NegfLinearResponse,
    NegfQuasistatic,
    NegfSteadyState,
    TypicalEquilibrium,
    composite_drive,
    dynamics_drive,
    exact_equilibrium,
    exact_quench,
    negf_equilibrium,
    negf_linear_response,
    negf_quasistatic,
    negf_steady_state,
    typical_equilibrium,
)

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "MAX_POINTS",
    "CompositeDriveSweep",
    "DynamicsDrive",
    "ExactEquilibrium",
    "ExactQuench",
    "NegfEquilibrium",
    "NegfLinearResponse",
    "NegfQuasistatic",
    "NegfSteadyState",
    "SweepError",
    "SweepWarning",
    "TypicalEquilibrium",
    "check_grid",
    "check_sweep",
    "composite_drive",
    "dask_client",
    "dynamics_drive",
    "exact_equilibrium",
    "exact_quench",
    "load",
    "negf_equilibrium",
    "negf_linear_response",
    "negf_quasistatic",
    "negf_steady_state",
    "save",
    "typical_equilibrium",
]
