"""Package structure and command line."""

from __future__ import annotations

import importlib
import json
import pkgutil

import pytest

import strongtherm
from strongtherm.cli import main


def _modules():
    for info in pkgutil.walk_packages(strongtherm.__path__, "strongtherm."):
        if info.name.endswith("__main__"):
            continue
        yield importlib.import_module(info.name)


def test_every_public_name_in_all_exists():
    # every module declares __all__ and every name in it resolves (tenpy's package-structure test)
    for module in _modules():
        if module.__name__.split(".")[-1].startswith("_"):
            continue
        assert hasattr(module, "__all__"), module.__name__
        for name in module.__all__:
            assert hasattr(module, name), f"{module.__name__}.{name}"


def test_cli_list_and_version(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "kumar2024" in out and "davoudi2025" in out
    assert main(["version"]) == 0
    assert capsys.readouterr().out.strip() == strongtherm.__version__


def test_cli_rejects_unknown_reproduction():
    with pytest.raises(SystemExit):
        main(["reproduce", "nonsense"])


def test_reproduce_kumar2024_all_claims_agree(tmp_path):
    # the full reproduction (about 10 s): six panels in three PNGs, CSV data, every claim agrees
    status = main(["reproduce", "kumar2024", "--out", str(tmp_path), "--quiet"])
    report = json.loads((tmp_path / "kumar2024" / "report.json").read_text())
    failing = [c["claim"] for c in report["claims"] if not c["agrees"]]
    assert failing == [] and status == 0
    for name in ("fig1.png", "fig2.png", "fig3.png", "fig1a.csv", "fig1b.csv", "fig2a.csv", "fig2b.csv", "fig3.csv"):
        assert (tmp_path / "kumar2024" / name).stat().st_size > 0
    assert {"claim", "paper", "ours", "tolerance", "agrees"} <= set(report["claims"][0])


def test_the_sweep_function_and_the_sweeps_package_do_not_shadow_each_other():
    # issue 20: `import strongtherm.sweep as sw` used to give the function, not the package
    import strongtherm.sweeps as sweeps

    assert callable(strongtherm.sweep) and not hasattr(strongtherm.sweep, "__path__")
    assert hasattr(sweeps, "__path__") and strongtherm.sweeps is sweeps
    assert sweeps.negf_equilibrium.__module__ == "strongtherm.sweeps._ready"


def test_the_second_names_of_issue_20_are_gone():
    # one import path per public object: the aliases the review found stay removed (CHANGELOG, Renamed)
    import strongtherm.config
    import strongtherm.io
    import strongtherm.papers.kumar2024

    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("strongtherm.sweep")
    assert not hasattr(strongtherm.io, "save_dataset") and not hasattr(strongtherm.io, "load_dataset")
    assert not hasattr(strongtherm.config, "run") and not hasattr(strongtherm.config, "matrix_open_system")
    assert not hasattr(strongtherm.plot, "Quantity") and not hasattr(strongtherm.plot, "QUANTITIES")
    assert not hasattr(strongtherm.papers.kumar2024, "reproduce")
