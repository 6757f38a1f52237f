"""The gate's modules import each other without a cycle, counting every import statement:
module level, inside functions and under `TYPE_CHECKING` alike."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = "harness.gate"
ROOT = Path(__file__).resolve().parents[3] / "harness" / "gate"


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join((PACKAGE, *(p for p in parts if p != "__init__")))


def imported(tree: ast.AST, modules: set[str]) -> set[str]:
    """The gate modules one module's import statements name (`from pkg import mod` too)."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found & modules


def import_graph() -> dict[str, set[str]]:
    paths = sorted(ROOT.rglob("*.py"))
    modules = {module_name(path) for path in paths}
    return {
        module_name(path): imported(ast.parse(path.read_text()), modules) - {module_name(path)}
        for path in paths
    }


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    found: list[list[str]] = []
    done: set[str] = set()

    def visit(node: str, path: list[str]) -> None:
        if node in path:
            found.append([*path[path.index(node) :], node])
            return
        if node in done:
            return
        for target in sorted(graph.get(node, ())):
            visit(target, [*path, node])
        done.add(node)

    for node in sorted(graph):
        visit(node, [])
    return found


def test_the_gate_has_no_import_cycle() -> None:
    graph = import_graph()
    assert len(graph) > 15  # every module of the gate was read
    assert cycles(graph) == []


def test_the_cycle_finder_finds_cycles_through_any_import() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c", "a"]]
    source = (
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from harness.gate import probe\n"
    )
    assert imported(ast.parse(source), {"harness.gate.probe"}) == {"harness.gate.probe"}
