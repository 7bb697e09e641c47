"""The projection package's modules import one another without cycles (dependencies point down).

An import graph read from the source (every ``from . import`` / ``from .x import``, at module
level or inside a function, because an import deferred into a function is still a dependency):
a cycle such as the former ``api`` <-> ``stochastic`` one fails with the modules named.
Each module is also imported alone in a fresh interpreter, as a notebook or a worker would.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "cityindicators" / "projection"
PREFIX = "cityindicators.projection"


#: Imports inside a function that still point up, left for their owners (docs/ARCHITECTURE.md,
#: "What remains of issue 10"): the cached out-of-sample errors of the interval model run the
#: back-test, which projects through ``api``, which fits the interval model.
KNOWN_UPWARD_IMPORTS = {(f"{PREFIX}.intervals", f"{PREFIX}.backtest")}


def _module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE).with_suffix("")
    parts = [p for p in rel.parts if p != "__init__"]
    return ".".join([PREFIX, *parts])


def _runtime_nodes(tree: ast.AST):
    """Every node of ``tree`` but those under ``if TYPE_CHECKING:`` (imports for type checkers only)."""
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and isinstance(child.test, ast.Name) and child.test.id == "TYPE_CHECKING":
                stack.extend(child.orelse)
                continue
            stack.append(child)


def _import_graph() -> dict[str, set[str]]:
    """``{module: modules of the projection package it imports}``."""
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
        deps: set[str] = set()
        for node in _runtime_nodes(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")
                    base = base[: len(base) - (node.level - 1)]
                    target = ".".join(base + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                candidates = [target] + [f"{target}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                candidates = [a.name for a in node.names]
            else:
                continue
            deps |= {c for c in candidates if c in modules and c != name}
        graph[name] = deps
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    found: list[list[str]] = []
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    path: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        path.append(node)
        for dep in sorted(graph[node]):
            if state.get(dep) == 1:
                found.append(path[path.index(dep):] + [dep])
            elif dep not in state:
                visit(dep)
        path.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)
    return found


def test_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == [["a", "b", "c", "a"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_graph_sees_imports_inside_functions_and_skips_type_checking_ones():
    graph = _import_graph()
    assert f"{PREFIX}.stochastic" in graph[f"{PREFIX}.api"]  # imported inside project()
    assert f"{PREFIX}.scenarios" not in graph[f"{PREFIX}.bounds"]  # under TYPE_CHECKING only


def test_projection_modules_import_without_cycles():
    graph = _import_graph()
    assert f"{PREFIX}.stochastic" in graph and f"{PREFIX}.estimation.mortality" in graph
    # the package __init__ imports nothing eagerly (its names are lazy), so leave it out
    graph = {k: v - {PREFIX} for k, v in graph.items() if k != PREFIX}
    for module, dep in KNOWN_UPWARD_IMPORTS:
        graph[module].discard(dep)
    cycles = _cycles(graph)
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(c) for c in cycles)


def test_age_groups_are_a_leaf():
    assert _import_graph()[f"{PREFIX}.agegroups"] == set()


@pytest.mark.parametrize("module", ["stochastic", "api", "estimation", "rates"])
def test_each_module_imports_alone(module):
    proc = subprocess.run([sys.executable, "-c", f"import {PREFIX}.{module}"], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
