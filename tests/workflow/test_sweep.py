"""Parameter sweeps (issue 5): grid checks, failures, backends, files, to_dict, QuTiP in."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

import strongtherm as st
from strongtherm.core.convert import to_array
from strongtherm.sweeps import SweepWarning, load, save

xr = pytest.importorskip("xarray")

BATH = st.Bath(T=0.02, mu=0.0)
RLM = st.models.resonant_level(t0=1.25)
GRID = {"eps_s": np.linspace(-2.0, 2.0, 7), "V": [0.5, 1.0]}


def _compute():
    return st.sweeps.negf_equilibrium(RLM, BATH, alphas=[0.0, 0.5])


def test_sweep_matches_single_equilibria_and_names_variables():
    ds = st.sweep(_compute(), GRID, processes=1, progress=False, vectorize=False)
    assert list(ds.dims) == ["eps_s", "V"] and ds["system_S"].shape == (7, 2)
    eq = st.negf.equilibrium(RLM, BATH, eps_s=float(GRID["eps_s"][2]), V=1.0)
    # same call, same numbers: exact equality
    assert ds["system_S"].values[2, 1] == eq.system.S
    assert ds["reservoir_Omega"].values[2, 1] == eq.reservoir.Omega
    assert ds["alpha_entropy_0"].values[2, 1] == eq.alpha_entropy(0.0)
    assert ds["system_S"].attrs["units"] == "nats" and ds["system_U"].attrs["units"] == "energy"
    assert ds.attrs["strongtherm_version"] == st.__version__
    assert ds.attrs["T"] == 0.02 and "resonant level" in ds.attrs["model"]
    assert json.loads(ds.attrs["failures"]) == []


def test_vectorized_chunks_agree_with_point_by_point():
    serial = st.sweep(_compute(), GRID, processes=1, progress=False, vectorize=False)
    batched = st.sweep(_compute(), GRID, processes=1, progress=False, vectorize=True)
    # one contour for many points vs one per point: same integrals to rounding (tolerance 1e-11 per integral)
    for name in ("system_S", "system_Omega", "reservoir_Omega", "alpha_entropy_0"):
        np.testing.assert_allclose(batched[name].values, serial[name].values, rtol=0, atol=1e-10)


def test_backends_give_identical_arrays():
    distributed = pytest.importorskip("dask.distributed")
    kwargs = {"progress": False, "chunk_size": 4}
    serial = st.sweep(_compute(), GRID, processes=1, **kwargs)
    procs = st.sweep(_compute(), GRID, processes=2, **kwargs)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        with distributed.Client(cluster) as client:
            dask = st.sweep(_compute(), GRID, client=client, **kwargs)
    # the dataset records which backend ran (issue 10, item 6) ...
    assert [(d.attrs["backend"], d.attrs["workers"]) for d in (serial, procs, dask)] == [
        ("serial", 1), ("processes", 2), ("dask", 2)]
    # ... and nothing else differs: same chunks, same numbers, bit for bit
    for other in (procs, dask):
        xr.testing.assert_identical(_no_attrs(serial), _no_attrs(other))
        assert {k: v for k, v in serial.attrs.items() if k not in ("backend", "workers")} == {
            k: v for k, v in other.attrs.items() if k not in ("backend", "workers")}


def _no_attrs(ds):
    out = ds.copy()
    out.attrs = {}
    return out


@pytest.mark.parametrize(
    ("grid", "match"),
    [
        ({"eps_s": [0.0], "t0": [1.0]}, "'t0'"),
        ({"eps_s": [], "V": [1.0]}, r"grid\['eps_s'\] is empty"),
        ({"eps_s": [0.0, np.nan], "V": [1.0]}, r"grid\['eps_s'\] has NaN"),
        ({"eps_s": [0.0], "V": [np.inf]}, r"grid\['V'\] has NaN or infinite"),
        ({"eps_s": [0.0], "V": [-1.0]}, "V must be"),
        ({}, "non-empty mapping"),
        ({"eps_s": [[0.0, 1.0]], "V": [1.0]}, "1-D"),
    ],
)
def test_bad_grid_fails_before_computing(grid, match):
    calls = []

    def spy(**point):
        calls.append(point)
        return {"x": 1.0}

    with pytest.raises(ValueError, match=match):
        st.sweep(_compute(), grid, processes=1, progress=False)
    # a user callable: names from its signature, nothing computed before the error
    with pytest.raises(ValueError):
        st.sweep(lambda eps_s, V: spy(eps_s=eps_s, V=V), {**grid, "bogus": [1.0]}, processes=1, progress=False)
    assert calls == []


def _sometimes_fails(a, b=1.0):
    if a == 2:
        raise RuntimeError("diverges at a = 2")
    return {"sum": a + b, "product": a * b}


def test_failure_at_one_point_keeps_the_others():
    with pytest.warns(SweepWarning, match=r"2 of 8 sweep points failed .* at \{'a': 2, 'b': 1.0\}"):
        ds = st.sweep(_sometimes_fails, {"a": [0, 1, 2, 3], "b": [1.0, 2.0]}, processes=2, progress=False, chunk_size=3)
    failures = json.loads(ds.attrs["failures"])
    assert [f["parameters"] for f in failures] == [{"a": 2, "b": 1.0}, {"a": 2, "b": 2.0}]
    assert all("diverges at a = 2" in f["error"] for f in failures)
    assert np.isnan(ds["sum"].sel(a=2.0)).all()
    np.testing.assert_array_equal(ds["sum"].sel(a=3.0).values, [4.0, 5.0])


def test_failure_is_reported_with_its_parameters():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SweepWarning)
        ds = st.sweep(_sometimes_fails, {"a": [1, 2]}, processes=1, progress=False)
    [failure] = json.loads(ds.attrs["failures"])
    assert failure == {"index": 1, "parameters": {"a": 2}, "error": "RuntimeError: diverges at a = 2"}
    assert ds.attrs["n_failures"] == 1 and ds["sum"].values[0] == 2.0


def test_user_callable_may_return_a_result_object():
    def quench(eps_B, beta):
        A = st.models.two_spin(eps=0.0, alpha=0.8, gamma=1.2, chi=1.8)
        B = st.models.two_spin(eps=eps_B, alpha=0.8, gamma=1.2, chi=1.8)
        return st.exact.quench(A, B, beta=beta)

    ds = st.sweep(quench, {"eps_B": [1.0, 2.0], "beta": [1.0]}, processes=1, progress=False)
    q = quench(2.0, 1.0)
    assert ds["work_Hstar"].values[1, 0] == q.work["H*"]
    assert ds["heat_diff"].values[1, 0] == q.heat["diff"]
    assert ds["work_Hstar"].attrs["units"] == "energy"


def test_exact_sweeps_match_engine():
    compute = st.sweeps.exact_quench(st.models.two_spin, A={"eps": 0.0}, alpha=0.8, gamma=1.2, chi=1.8)
    ds = st.sweep(compute, {"B.eps": [-1.0, 2.0], "beta": [0.5, 1.0]}, processes=1, progress=False)
    q = st.exact.quench(
        st.models.two_spin(0.0, 0.8, 1.2, 1.8), st.models.two_spin(2.0, 0.8, 1.2, 1.8), beta=0.5
    )
    assert ds["work_Estar"].values[1, 0] == q.work["E*"]
    eq_ds = st.sweep(st.sweeps.exact_equilibrium(st.models.two_spin, beta=1.0, alpha=0.8, gamma=1.2),
                     {"eps": [0.0, 2.0], "chi": [1.8]}, processes=1, progress=False)
    eq = st.exact.equilibrium(st.models.two_spin(2.0, 0.8, 1.2, 1.8), beta=1.0)
    assert eq_ds["U_Estar"].values[1, 0] == eq.U["E*"]
    with pytest.raises(ValueError, match="requires parameter"):
        st.sweep(st.sweeps.exact_equilibrium(st.models.two_spin, alpha=0.8, gamma=1.2, chi=1.8),
                 {"eps": [0.0]}, processes=1, progress=False)  # no beta anywhere


def test_quasistatic_sweep_and_bath_keys():
    def path(V):
        return st.Path.line({"eps_s": 0.0, "V": V}, {"eps_s": 1.0, "V": V})

    ds = st.sweep(st.sweeps.negf_quasistatic(RLM, BATH, path, alphas=[1.0]), {"V": [0.6], "T": [0.02, 0.05]},
                  processes=1, progress=False)
    proc = st.negf.quasistatic(RLM, st.Bath(T=0.05), path(0.6))
    assert ds["W_ext"].values[0, 1] == proc.W_ext and ds["alpha_work_1"].values[0, 1] == proc.alpha_work(1.0)
    # the work sum rule holds at every point (quadrature tolerance ~1e-9)
    assert np.nanmax(np.abs(ds["sum_rule_residual"].values)) < 1e-8


@pytest.mark.parametrize("suffix", [".nc", ".csv"])
def test_files_load_back_unchanged(tmp_path, suffix):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SweepWarning)
        ds = st.sweep(_sometimes_fails, {"a": [3, 2, 1], "b": [0.1, 1.0 / 3.0]}, processes=1, progress=False)
    ds_negf = st.sweep(_compute(), {"eps_s": [0.5, -0.5], "V": [1.0]}, processes=1, progress=False)
    for k, data in enumerate((ds, ds_negf)):
        path = save(data, tmp_path / f"sweep{k}{suffix}")
        xr.testing.assert_identical(load(path), data)


def test_to_dict_on_results_and_qobj_input():
    qutip = pytest.importorskip("qutip")
    eq = st.negf.equilibrium(RLM, BATH, eps_s=-1.0, V=1.0)
    d = eq.to_dict(alphas=[0.8])
    assert d["system_S"] == eq.system.S and d["alpha_entropy_0.8"] == eq.alpha_entropy(0.8)
    assert all(isinstance(v, float) for v in d.values())
    assert eq.system.to_dict() == {"N": eq.system.N, "U": eq.system.U, "S": eq.system.S, "Omega": eq.system.Omega}
    C = st.exact.Composite(H_S=qutip.sigmaz(), H_R=0.7 * qutip.sigmaz(), V=0.3 * qutip.tensor(qutip.sigmax(), qutip.sigmax()))
    assert st.exact.equilibrium(C, beta=1.0).to_dict()["U_diff"] == st.exact.equilibrium(
        st.models.two_spin(2.0, 1.4, 0.0, 0.3), beta=1.0).to_dict()["U_diff"]
    np.testing.assert_array_equal(to_array(qutip.sigmay(), name="X"), [[0, -1j], [1j, 0]])
    with pytest.raises(ValueError, match="h_S must be an array of numbers"):
        to_array([["a"]], name="h_S")


def test_progress_callback_counts_every_point():
    seen = []
    st.sweep(_sometimes_fails, {"a": [0, 1, 3], "b": [1.0, 2.0]}, processes=1, progress=lambda d, t: seen.append((d, t)), chunk_size=4)
    assert seen == [(4, 6), (6, 6)]


# --------------------------------------------------------------------------- issue 10, item 6
def _always_fails(a):
    raise RuntimeError(f"no convergence at a = {a}")


def test_a_sweep_that_fails_everywhere_is_an_error_naming_the_first_point():
    from strongtherm.sweeps import SweepError

    with pytest.raises(SweepError, match=r"all 3 points .* first at \{'a': 1\}: RuntimeError: no convergence at a = 1"):
        st.sweep(_always_fails, {"a": [1, 2, 3]}, processes=1, progress=False)


@pytest.mark.parametrize(
    ("returned", "match"),
    [(1.0, "got float"), ([1.0, 2.0], "got list"), ({"x": "one"}, r"result\['x'\]"), ({"x": 1j}, "must be real")],
    ids=["scalar", "list", "string-value", "complex-value"],
)
def test_a_computation_returning_no_mapping_of_numbers_is_a_type_error(returned, match):
    def compute(a):
        return returned

    with pytest.raises(TypeError, match=rf"at \{{'a': 0.5\}}: .*{match}"):
        st.sweep(compute, {"a": [0.5, 1.5]}, processes=1, progress=False)


def test_duplicate_grid_values_are_refused():
    with pytest.raises(ValueError, match=r"grid\['eps_s'\] repeats the value\(s\) \[0.0\]"):
        st.sweep(_compute(), {"eps_s": [0.0, 1.0, 0.0], "V": [1.0]}, processes=1, progress=False)


_UNGUARDED = """
from strongtherm.sweeps import _backends as backends
backends.check_main_guard("a sweep with processes")
"""
_GUARDED = """
from strongtherm.sweeps import _backends as backends

def main():
    backends.check_main_guard("a sweep with processes")
    print("started")

if __name__ == "__main__":
    main()
"""


@pytest.mark.parametrize(("script", "ok"), [(_UNGUARDED, False), (_GUARDED, True)], ids=["unguarded", "guarded"])
def test_a_script_without_the_main_guard_gets_an_actionable_message(tmp_path, script, ok):
    import os
    import subprocess
    import sys

    path = tmp_path / "my_sweep.py"
    path.write_text(script)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, env=env, timeout=120)
    if ok:
        assert done.returncode == 0 and "started" in done.stdout, done.stderr
    else:
        assert done.returncode != 0
        assert f"{path} again; line 3 runs at its top level" in done.stderr  # the call, not the import
        assert 'if __name__ == "__main__":' in done.stderr and "Nanny failed to start" in done.stderr


def test_dask_client_checks_the_guard_before_starting_workers(tmp_path):
    pytest.importorskip("dask.distributed")
    import os
    import subprocess
    import sys

    path = tmp_path / "dask_script.py"
    path.write_text("from strongtherm.sweeps import dask_client\nclient = dask_client(n_workers=1)\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode != 0 and "strongtherm.sweeps.dask_client()" in done.stderr
    assert "line 2 runs at its top level" in done.stderr  # raised before any worker started


def _blas_threads(x: float) -> dict[str, float]:
    from threadpoolctl import threadpool_info

    return {"threads": float(max((lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"), default=1))}


def test_forked_workers_run_one_blas_thread():
    # forked workers have BLAS loaded already, so the environment variables no longer reach it:
    # without threadpoolctl in the initializer two workers ran 3-5x slower each than one process
    ds = st.sweep(_blas_threads, {"x": [0.0, 1.0, 2.0, 3.0]}, processes=2, progress=False, chunk_size=1)
    assert ds.attrs["backend"] == "processes"
    assert np.all(ds["threads"].values == 1.0)
