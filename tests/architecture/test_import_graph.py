"""The house's layering (DESIGN.md, Layers), read from the source: a static import graph.

Every ``import`` and ``from ... import`` statement of every module under ``src/strongtherm`` is
resolved to a module name (relative imports included, function-level imports included: a lazy
import is still a dependency). The rules:

* the engines ``negf`` and ``exact`` never import each other, nor the bridge (``gaussian``),
  the dynamics wing, ``models`` or ``papers`` — directly or through any module they import;
* ``core`` imports no engine and no wing;
* no module imports a private name (``_x``) from another module of the package: what two modules
  share is public in the one that owns it;
* the graph has no cycle, lazy imports included (an edge from a module to one of its own parent
  packages is not a cycle: the parent is always initialized first);
* no module of an engine or of ``core`` reaches another module through ``importlib`` with a
  string, which would hide an edge from the checks above.
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


def _from_imports(path: pathlib.Path) -> list[tuple[str, list[str]]]:
    """Every ``from X import a, b`` of a module as (X resolved to an absolute name, [a, b])."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.append((target, [alias.name for alias in node.names]))
    return found


def _imports(path: pathlib.Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    for target, names in _from_imports(path):
        found.add(target)
        # `from . import fock` imports the submodule strongtherm.gaussian.fock (a module, not a name)
        found.update(f"{target}.{name}" for name in names)
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


def _private_part(module: str) -> str | None:
    """The package that owns the first private component of a module path, or None."""
    parts = module.split(".")
    for k, part in enumerate(parts):
        if part.startswith("_") and not part.startswith("__"):
            return ".".join(parts[:k])
    return None


def test_no_private_name_crosses_a_module():
    # `from x import _y` of a name, or `from pkg._mod import y` from outside pkg: what two modules
    # share is public in the one that owns it. A package may gather its own private submodules
    # (`from . import _style` in plot/__init__; `from ._driver import sweep`), and an ancestor
    # package's face may too (strongtherm/__init__ takes st.sweep from sweeps._driver).
    modules = {_module_name(p) for p in PACKAGE.rglob("*.py")}
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        importer = _module_name(path)
        for target, names in _from_imports(path):
            if not target.startswith("strongtherm"):
                continue
            for name in names:
                full = f"{target}.{name}" if f"{target}.{name}" in modules else target
                owner = _private_part(full if full != target else f"{target}.{name}")
                if owner is None:
                    continue
                if _inside(importer, owner) or _inside(owner, importer):
                    continue  # the owning package itself, or a package face above it
                offenders.append(f"{importer} imports {name!r} from {target}")
    assert offenders == [], "\n".join(offenders)


def test_the_private_name_rule_is_read():
    assert _private_part("strongtherm.sweeps._grid") == "strongtherm.sweeps"
    assert _private_part("strongtherm.negf.contour._stack") == "strongtherm.negf.contour"
    assert _private_part("strongtherm.core.validation") is None


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iteratively)."""
    def ancestors(module: str) -> set[str]:
        parts = module.split(".")
        return {".".join(parts[:k]) for k in range(1, len(parts))}

    edges = {m: sorted(d for d in deps if d != m and d not in ancestors(m)) for m, deps in graph.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(edges[root]))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(edges[child])))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_the_import_graph_has_no_cycle():
    assert _cycles(GRAPH) == []


def test_the_cycle_finder_finds_cycles():
    # a lazy import is an edge like any other, so a planted two- and three-module loop must be seen
    fake = {"strongtherm.a": {"strongtherm.b"}, "strongtherm.b": {"strongtherm.a"},
            "strongtherm.c": {"strongtherm.d"}, "strongtherm.d": {"strongtherm.e"}, "strongtherm.e": {"strongtherm.c"},
            "strongtherm.f.g": {"strongtherm.f"}, "strongtherm.f": {"strongtherm.f.g"}}
    assert _cycles(fake) == [["strongtherm.a", "strongtherm.b"], ["strongtherm.c", "strongtherm.d", "strongtherm.e"]]


def test_no_engine_reaches_a_module_by_name():
    # importlib.import_module("strongtherm...") would hide an edge from every check above
    users = set()
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE).as_posix()
        if rel.split("/")[0] in ("negf", "exact", "core", "gaussian", "dynamics") and "import_module" in path.read_text():
            users.add(rel)
    assert users == set(), sorted(users)


def test_config_never_reaches_tasks():
    # issue 20: config parses and checks, tasks runs; tasks imports config, never the reverse,
    # and function-level imports count (the old cycle hid behind lazy imports)
    assert "strongtherm.config" in _reachable(GRAPH, "strongtherm.tasks")
    assert "strongtherm.tasks" not in _reachable(GRAPH, "strongtherm.config")
