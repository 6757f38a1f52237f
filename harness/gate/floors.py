"""The least each tested layer's junit file must hold: the tests committed in its folders.

tox.ini at HEAD may narrow a layer (`pytest tests/unit/test_one.py --junitxml=…`) and a run may
deselect tests (`-k`, `-m`); each would still pass. So, like `toxresult.REQUIRED_COMMANDS`, the
gate knows each layer's folders itself and counts the tests committed there statically: each
`def test_…`/`async def test_…` at module level or in a `Test…` class of a `test_*.py` file
(once, whatever its parameters), and for bdd each scenario of `features/**/*.feature` the twin
runs (an outline once per Examples row, as pytest-bdd binds them). A full run's junit file holds
at least that many test cases; parameters make it hold more.

Pure: takes the files' bytes; `sources.py` reads them from git at HEAD.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from fnmatch import fnmatch
from pathlib import PurePosixPath

from gherkin.errors import ParserError
from gherkin.parser import Parser
from gherkin.pickles.compiler import Compiler, GherkinDocumentWithURI

from harness.targets import DEFAULT_TARGET, allowed_on

FEATURES = "features"  # what tests/bdd/test_features.py binds (harness.bdd.discovery)
# Each tested layer's folders as tox.ini runs them (pinned against it by the gate's tests).
LAYER_FOLDERS: dict[str, tuple[str, ...]] = {
    "build": ("tests/packaging",),
    "unit": ("tests/unit",),
    "integration": ("tests/integration", "tests/e2e"),
    "bdd": ("tests/bdd", FEATURES),
    "contract": ("tests/contract",),
    "load": ("tests/load",),
}
# pytest's default `norecursedirs` (the repository sets none): folders it never collects from.
_NO_RECURSE = ("*.egg", ".*", "_darcs", "build", "CVS", "dist", "node_modules", "venv", "{arch}")
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
CAUSE = "tox.ini narrowed the run, or tests were deselected"


class FloorError(ValueError):
    """A committed test or feature file the gate cannot count (it does not parse)."""


def _folder(path: str) -> str | None:
    """The layer folder holding `path`, when pytest would collect from where it sits."""
    parts = PurePosixPath(path).parts
    for folders in LAYER_FOLDERS.values():
        for folder in folders:
            depth = len(PurePosixPath(folder).parts)
            if tuple(parts[:depth]) == PurePosixPath(folder).parts and len(parts) > depth:
                below = parts[depth:-1]
                if any(fnmatch(part, pattern) for part in below for pattern in _NO_RECURSE):
                    return None
                return folder
    return None


def _counted_in(path: str) -> str | None:
    """The layer folder of a file holding tests the gate counts, else None."""
    folder, name = _folder(path), PurePosixPath(path).name
    if folder == FEATURES:
        return folder if name.endswith(".feature") else None
    return folder if name.startswith("test_") and name.endswith(".py") else None


def counted(path: str) -> bool:
    """Whether the file at `path` (relative to the repository) holds tests the gate counts."""
    return _counted_in(path) is not None


def _opted_out(body: list[ast.stmt]) -> bool:
    """`__test__ = False`: pytest collects nothing from the module or class."""
    return any(
        isinstance(node, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == "__test__" for t in node.targets)
        and isinstance(node.value, ast.Constant)
        and node.value.value is False
        for node in body
    )


def _tests(body: list[ast.stmt]) -> set[str]:
    """The test functions of a module or class body (a name defined twice is one test)."""
    return {n.name for n in body if isinstance(n, _FUNCTIONS) and n.name.startswith("test_")}


def count_tests(source: bytes, name: str = "<test file>") -> int:
    """The test functions of a test module, each once."""
    try:
        tree = ast.parse(source, name)
    except (SyntaxError, ValueError) as exc:  # ValueError: null bytes
        raise FloorError(f"{name} at HEAD does not parse ({type(exc).__name__})") from None
    if _opted_out(tree.body):
        return 0
    found = len(_tests(tree.body))
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
            found += 0 if _opted_out(node.body) else len(_tests(node.body))
    return found


def count_scenarios(text: bytes, name: str = "<feature>") -> int:
    """The scenarios of a feature file the twin runs (an outline's each Examples row)."""
    try:
        document = Parser().parse(text.decode("utf-8"))
    except (ParserError, UnicodeDecodeError) as exc:
        raise FloorError(f"{name} at HEAD does not parse ({type(exc).__name__})") from None
    pickles = Compiler().compile(GherkinDocumentWithURI(**document, uri=name))
    tags = ({tag["name"].removeprefix("@") for tag in pickle["tags"]} for pickle in pickles)
    return sum(allowed_on(DEFAULT_TARGET, names)[0] for names in tags)


def layer_floors(files: Mapping[str, bytes]) -> dict[str, int]:
    """Each tested layer's floor over the files committed (path relative to the repository ->
    bytes); files `counted` leaves out are ignored. Raises FloorError."""
    found = dict.fromkeys(LAYER_FOLDERS, 0)
    layer_of = {folder: layer for layer, folders in LAYER_FOLDERS.items() for folder in folders}
    for path in sorted(files):
        folder = _counted_in(path)
        if folder is not None:
            count = count_scenarios if folder == FEATURES else count_tests
            found[layer_of[folder]] += count(files[path], path)
    return found


def floor_problem(layer: str, ran: int, floor: int) -> str | None:
    """Why the layer's junit file holds too few test cases for the tests committed, or None."""
    if ran >= floor:
        return None
    where = ", ".join(LAYER_FOLDERS[layer])
    shown = f"{layer}: {ran} test(s) ran, fewer than the {floor} committed at HEAD in {where}"
    return f"{shown} ({CAUSE})"
