"""The house's layering (DESIGN.md, Layers), read from the source: a static import graph.

Every ``import`` and ``from ... import`` statement of every module under ``src/strongtherm`` is
resolved to a module name (relative imports included, function-level imports included: a lazy
import is still a dependency). The rules:

* the engines ``negf`` and ``exact`` never import each other, nor the bridge (``gaussian``),
  the dynamics wing, ``models`` or ``papers`` — directly or through any module they import;
* ``core`` imports no engine and no wing;
* the single documented exception: the lazy compatibility aliases of ``negf`` (PEP 562
  ``__getattr__`` in ``negf/__init__.py`` and the three moved-module shims) reach
  ``strongtherm.gaussian`` through ``importlib.import_module`` with a string, which is not an
  import statement and is listed here by name so that a new one cannot slip in.
"""

from __future__ import annotations

import ast
import pathlib

import pytest

SRC = pathlib.Path(__file__).resolve().parents[2] / "src"
PACKAGE = SRC / "strongtherm"


def _module_name(path: pathlib.Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _imports(path: pathlib.Path) -> set[str]:
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.add(target)
            # `from . import fock` imports the submodule strongtherm.negf.fock
            found.update(f"{target}.{alias.name}" for alias in node.names)
    return {m for m in found if m.startswith("strongtherm")}


def _graph() -> dict[str, set[str]]:
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph = {}
    for name, path in modules.items():
        # keep only edges to real modules (`from .x import name` also yields x.name)
        graph[name] = {m for m in _imports(path) if m in modules}
    return graph


def _reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        node = todo.pop()
        for nxt in graph.get(node, ()):
            # importing a.b.c runs a/__init__ and a/b/__init__ too
            chain = nxt.split(".")
            for k in range(2, len(chain) + 1):
                mod = ".".join(chain[:k])
                if mod in graph and mod not in seen:
                    seen.add(mod)
                    todo.append(mod)
    return seen


GRAPH = _graph()
FORBIDDEN = {
    "strongtherm.negf": ("strongtherm.exact", "strongtherm.gaussian", "strongtherm.dynamics", "strongtherm.models", "strongtherm.papers"),
    "strongtherm.exact": ("strongtherm.negf", "strongtherm.gaussian", "strongtherm.dynamics", "strongtherm.models", "strongtherm.papers"),
    "strongtherm.core": ("strongtherm.negf", "strongtherm.exact", "strongtherm.gaussian", "strongtherm.dynamics", "strongtherm.models", "strongtherm.papers"),
}


def _inside(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layer_never_reaches_what_it_must_not(layer):
    offenders = []
    for module in sorted(m for m in GRAPH if _inside(m, layer)):
        reached = _reachable(GRAPH, module) - {"strongtherm"}  # the package face is not run by a sub-import's deps
        bad = sorted(m for m in reached if any(_inside(m, f) for f in FORBIDDEN[layer]))
        if bad:
            offenders.append(f"{module} -> {bad}")
    assert offenders == [], "\n".join(offenders)


def test_the_graph_is_read():
    # the test would pass vacuously if the parser found nothing: the bridge must be seen importing negf
    assert "strongtherm.negf.partition" in GRAPH["strongtherm.gaussian.meanforce"]
    assert "strongtherm.core.linalg" in _reachable(GRAPH, "strongtherm.exact.meanforce")
    # and a deliberately bad edge is caught by the same machinery
    fake = {**GRAPH, "strongtherm.negf.fake": {"strongtherm.exact.linalg"}}
    assert "strongtherm.exact.linalg" in _reachable(fake, "strongtherm.negf.fake")


def test_only_the_listed_lazy_aliases_reach_the_bridge_by_name():
    # importlib.import_module("strongtherm.gaussian...") is the one way around the import statements
    # above; it is allowed only in the compatibility aliases of the moved names
    allowed = {"negf/__init__.py", "negf/meanforce.py", "negf/quench.py", "negf/fock.py"}
    users = set()
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE).as_posix()
        text = path.read_text()
        if rel.split("/")[0] in ("negf", "exact", "core") and "import_module" in text:
            users.add(rel)
    assert users <= allowed, sorted(users - allowed)


def test_config_never_reaches_tasks():
    # issue 20: config parses and checks, tasks runs; tasks imports config, never the reverse,
    # and function-level imports count (the old cycle hid behind lazy imports)
    assert "strongtherm.config" in _reachable(GRAPH, "strongtherm.tasks")
    assert "strongtherm.tasks" not in _reachable(GRAPH, "strongtherm.config")
