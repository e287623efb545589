"""Golden outputs of ``strongtherm run`` on every config in examples/ (issue 9: same numbers after
the restructuring). The numbers of every data file (JSON, CSV, NetCDF) are compared with
tests/golden/examples.npz; tests/golden/examples.json says how they were made.

Regenerate (only when a change of the numbers is intended and understood):
``STRONGTHERM_REGENERATE_GOLDEN=1 python -m pytest tests/workflow/test_golden_examples.py``.
A missing golden file fails (it never skips).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from strongtherm.cli import main

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
GOLDEN = ROOT / "tests" / "golden" / "examples.npz"
SIDECAR = GOLDEN.with_suffix(".json")
REGENERATE = os.environ.get("STRONGTHERM_REGENERATE_GOLDEN") == "1"
NAMES = sorted(p.stem for p in EXAMPLES.glob("*.toml"))

# Tolerance: the energy integrals are adaptive with a target of 1e-11 per integral; rounding that
# differs between machines (BLAS, CPU) may move a subdivision and a value by up to that target.
# Anything beyond rtol 1e-9 / atol 1e-10 is a change of the numbers, not of rounding. On the
# machine that wrote the goldens, the restructuring of issue 9 reproduced them bit for bit.
RTOL, ATOL = 1e-9, 1e-10


def _leaves(prefix: str, value: object, out: dict[str, np.ndarray]) -> None:
    """Numeric leaves of parsed JSON as arrays, keyed by their path."""
    if isinstance(value, dict):
        for k, v in value.items():
            _leaves(f"{prefix}/{k}", v, out)
    elif isinstance(value, list) and value and all(isinstance(v, int | float) for v in value):
        out[prefix] = np.asarray(value, dtype=float)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _leaves(f"{prefix}/{i}", v, out)
    elif isinstance(value, int | float):  # bool included: verdicts are numbers too
        out[prefix] = np.asarray([float(value)])


def numbers_of(folder: Path) -> dict[str, np.ndarray]:
    """Every number of a run's data files (resolved_config.json, summary.json and figures left out)."""
    out: dict[str, np.ndarray] = {}
    for path in sorted(folder.iterdir()):
        if path.suffix == ".json" and path.name not in ("resolved_config.json", "summary.json"):  # inputs; a digest of the data
            _leaves(path.name, json.loads(path.read_text()), out)
        elif path.suffix == ".csv":
            lines = [line for line in path.read_text().splitlines() if line and not line.startswith("#")]
            names = lines[0].split(",")
            table = np.array([[float(x) for x in line.split(",")] for line in lines[1:]])
            for j, name in enumerate(names):
                out[f"{path.name}/{name}"] = table[:, j]
        elif path.suffix == ".nc":
            from strongtherm.sweeps import load

            ds = load(path)
            for name in [*ds.coords, *ds.data_vars]:
                out[f"{path.name}/{name}"] = np.asarray(ds[name].values, dtype=float).ravel()
    return out


def _run(name: str, tmp_path: Path) -> dict[str, np.ndarray]:
    out = tmp_path / name
    assert main(["run", str(EXAMPLES / f"{name}.toml"), "--out", str(out), "--quiet"]) == 0
    return numbers_of(out)


@pytest.fixture(scope="module")
def golden() -> dict[str, np.ndarray]:
    if REGENERATE:
        return {}
    if not GOLDEN.exists() or not SIDECAR.exists():
        pytest.fail(f"golden file {GOLDEN} (or its sidecar) is missing: regenerate with STRONGTHERM_REGENERATE_GOLDEN=1")
    with np.load(GOLDEN) as data:
        return {k: data[k] for k in data.files}


def test_golden_covers_every_example(golden):
    if REGENERATE:
        pytest.skip("regenerating")  # only while writing new goldens on purpose
    assert sorted({k.split("/", 1)[0] for k in golden}) == NAMES, "an example without golden numbers"


@pytest.mark.parametrize("name", NAMES)
def test_example_numbers_match_golden(name, tmp_path, golden):
    ours = _run(name, tmp_path)
    if REGENERATE:
        _write(name, ours)
        return
    theirs = {k.split("/", 1)[1]: v for k, v in golden.items() if k.split("/", 1)[0] == name}
    assert sorted(ours) == sorted(theirs), "the data files hold other quantities than the golden ones"
    for key, expected in theirs.items():
        np.testing.assert_allclose(ours[key], expected, rtol=RTOL, atol=ATOL, err_msg=f"{name}: {key}")


def _write(name: str, numbers: dict[str, np.ndarray]) -> None:
    from strongtherm.core.version import __version__

    GOLDEN.parent.mkdir(parents=True, exist_ok=True)
    stored: dict[str, np.ndarray] = {}
    if GOLDEN.exists():
        with np.load(GOLDEN) as data:
            stored = {k: data[k] for k in data.files if k.split("/", 1)[0] != name}
    stored.update({f"{name}/{k}": v for k, v in numbers.items()})
    np.savez_compressed(GOLDEN, **stored)
    sidecar = {
        "what": "every number of the data files written by `strongtherm run examples/NAME.toml` "
        "(JSON leaves, CSV columns, NetCDF coordinates and variables), keyed NAME/FILE/KEY",
        "regenerate": "STRONGTHERM_REGENERATE_GOLDEN=1 python -m pytest tests/workflow/test_golden_examples.py",
        "when": "only when a change of the numbers is intended and understood; say why in the commit",
        "tolerance": f"rtol={RTOL}, atol={ATOL}: adaptive energy integrals target 1e-11 each; beyond this "
        "it is a change of numbers, not of rounding",
        "strongtherm_version": __version__,
        "examples": sorted({k.split("/", 1)[0] for k in stored}),
        "n_values": int(sum(v.size for v in stored.values())),
    }
    SIDECAR.write_text(json.dumps(sidecar, indent=2) + "\n")
