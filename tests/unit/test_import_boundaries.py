"""Import boundaries: private modules stay private, and `g2a_adapter` has no import cycles.

A module whose name starts with `_` is implementation detail: the harness, the benchmarks and
the tests reach the adapter through its public faces. Only unit tests (`tests/unit/`), which
test private pieces directly, may import them.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "g2a_adapter"
CONSUMERS = ("harness", "benchmarks", "tests")
MAY_IMPORT_PRIVATE = (ROOT / "tests" / "unit",)


def _imported(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """(line, dotted name) of each module an import may name: `from a import b` names `a` and
    `a.b` (b may be a module or a name in `a`)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.lineno, node.module
            for alias in node.names:
                yield node.lineno, f"{node.module}.{alias.name}"


def _is_private_adapter_module(name: str) -> bool:
    """`g2a_adapter` names reached through a `_private` part (dunders such as `__version__`
    are public)."""
    parts = name.split(".")
    return parts[0] == "g2a_adapter" and any(
        p.startswith("_") and not p.startswith("__") for p in parts[1:]
    )


def _python_files(folder: str) -> Iterator[Path]:
    for path in sorted((ROOT / folder).rglob("*.py")):
        if ".venv" not in path.parts and not path.is_relative_to(*MAY_IMPORT_PRIVATE):
            yield path


def test_no_consumer_imports_a_private_adapter_module() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{line}: {name}"
        for folder in CONSUMERS
        for path in _python_files(folder)
        for line, name in _imported(ast.parse(path.read_text(), str(path)))
        if _is_private_adapter_module(name)
    ]
    assert found == [], "import the public face instead:\n" + "\n".join(found)


def test_the_boundary_check_sees_every_form_of_private_import() -> None:
    source = (
        "import g2a_adapter.idempotency._sql\n"
        "from g2a_adapter.receiver._app import create_receiver_app\n"
        "from g2a_adapter import _tracing\n"
        "from g2a_adapter.receiver import WebhookEvent\n"
    )
    names = {name for _, name in _imported(ast.parse(source))}
    assert sorted(n for n in names if _is_private_adapter_module(n)) == [
        "g2a_adapter._tracing",
        "g2a_adapter.idempotency._sql",
        "g2a_adapter.receiver._app",
        "g2a_adapter.receiver._app.create_receiver_app",
    ]


def _adapter_modules() -> dict[str, Path]:
    modules = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        modules[name] = path
    return modules


def _import_graph() -> dict[str, set[str]]:
    """Module → the adapter modules it imports at load time: top-level statements only, so
    imports under `TYPE_CHECKING` or inside functions (the lazy ones) do not count."""
    modules = _adapter_modules()
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(), str(path))
        graph[name] = set()
        for node in tree.body:
            if isinstance(node, ast.Import):
                graph[name] |= {a.name for a in node.names if a.name in modules}
            elif isinstance(node, ast.ImportFrom) and node.module in modules:
                # `from package import _module` loads the module; other names, the package
                named = {f"{node.module}.{a.name}" for a in node.names}
                graph[name] |= named & modules.keys()
                if named - modules.keys():
                    graph[name].add(node.module)
            elif isinstance(node, ast.Try):  # optional imports (`try: import x`)
                graph[name] |= {
                    imported
                    for _, imported in _imported(ast.Module(body=node.body, type_ignores=[]))
                    if imported in modules
                }
        graph[name].discard(name)
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle, as the modules along it, or None."""
    done: set[str] = set()

    def visit(node: str, path: list[str]) -> list[str] | None:
        if node in path:
            return [*path[path.index(node) :], node]
        if node in done:
            return None
        for target in sorted(graph[node]):
            found = visit(target, [*path, node])
            if found:
                return found
        done.add(node)
        return None

    for start in sorted(graph):
        found = visit(start, [])
        if found:
            return found
    return None


def test_g2a_adapter_has_no_import_cycles() -> None:
    graph = _import_graph()
    assert "g2a_adapter.idempotency" in graph["g2a_adapter.receiver._handler"]  # it sees edges
    assert _cycle(graph) is None, " -> ".join(_cycle(graph) or [])


def test_the_cycle_check_finds_a_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}
    assert _cycle(graph) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None
