"""The least each tested layer's junit file must hold: the tests committed in its folders.

tox.ini at HEAD may narrow a layer (`pytest tests/unit/test_one.py --junitxml=…`) and a run may
deselect tests (`-k`, `-m`); each would still pass. So, like `toxresult.REQUIRED_COMMANDS`, the
gate knows each layer's folders itself and counts the tests committed there statically: each
`def test_…`/`async def test_…` at module level or in a `Test…` class of a `test_*.py` file
(once, whatever its parameters; a class also holds what it inherits from classes of its module,
`__test__ = False` included), and for bdd each scenario of `features/**/*.feature` the twin
runs (an outline once per Examples row, as pytest-bdd binds them). A full run's junit file holds
at least that many test cases (parameters make it hold more), and each committed test function
at least once, found by the junit `classname` pytest gives it (`tests.unit.test_a.TestB`) and
its `name` up to the parameters' `[`: a layer that drops a folder still holds enough cases
when the tests left are parametrized, but not the functions dropped.

Pure: takes the files' bytes; `sources.py` reads them from git at HEAD.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from dataclasses import dataclass
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


@dataclass(frozen=True, order=True)
class CommittedTest:
    """A test function committed at HEAD: its file, its `Test…` class ("" at module level)."""

    path: str
    cls: str
    function: str

    @property
    def junit_key(self) -> tuple[str, str]:
        """(classname, name) of its cases in pytest's junit file, the name without `[…]`."""
        module = self.path.removesuffix(".py").replace("/", ".")
        return (f"{module}.{self.cls}" if self.cls else module), self.function

    def __str__(self) -> str:
        return "::".join(part for part in (self.path, self.cls, self.function) if part)


@dataclass(frozen=True)
class LayerFloor:
    """What a layer's junit file must hold: each committed test function, and at least
    `count` cases (the functions and, for bdd, the scenarios the twin runs)."""

    tests: frozenset[CommittedTest] = frozenset()
    scenarios: int = 0

    @property
    def count(self) -> int:
        return len(self.tests) + self.scenarios


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


def _test_flag(body: list[ast.stmt]) -> bool | None:
    """The constant a module or class body assigns to `__test__` (the last one), or None."""
    flag = None
    for node in body:
        if (
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "__test__" for t in node.targets)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, bool)
        ):
            flag = node.value.value
    return flag


def _tests(body: list[ast.stmt]) -> set[str]:
    """The test functions of a module or class body (a name defined twice is one test)."""
    return {n.name for n in body if isinstance(n, _FUNCTIONS) and n.name.startswith("test_")}


class _ModuleClasses:
    """A module's classes by name, so a class's `__test__` and tests include what it inherits
    from the classes of its module (bases imported from elsewhere are not read)."""

    def __init__(self, body: list[ast.stmt]) -> None:
        self._by_name = {node.name: node for node in body if isinstance(node, ast.ClassDef)}

    def _bases(self, node: ast.ClassDef, seen: frozenset[str]) -> list[ast.ClassDef]:
        names = (base.id for base in node.bases if isinstance(base, ast.Name))
        return [self._by_name[n] for n in names if n in self._by_name and n not in seen]

    def test_flag(self, node: ast.ClassDef, seen: frozenset[str] = frozenset()) -> bool | None:
        """The class's `__test__`: its own, else the first base's that has one (as Python
        looks an attribute up, left to right)."""
        own = _test_flag(node.body)
        if own is not None:
            return own
        seen |= {node.name}
        flags = (self.test_flag(base, seen) for base in self._bases(node, seen))
        return next((flag for flag in flags if flag is not None), None)

    def tests(self, node: ast.ClassDef, seen: frozenset[str] = frozenset()) -> set[str]:
        seen |= {node.name}
        inherited = (self.tests(base, seen) for base in self._bases(node, seen))
        return _tests(node.body).union(*inherited)


def committed_tests(source: bytes, name: str = "<test file>") -> frozenset[CommittedTest]:
    """The test functions of the test module at `name`, each once."""
    try:
        tree = ast.parse(source, name)
    except (SyntaxError, ValueError) as exc:  # ValueError: null bytes
        raise FloorError(f"{name} at HEAD does not parse ({type(exc).__name__})") from None
    if _test_flag(tree.body) is False:
        return frozenset()
    found = {CommittedTest(name, "", test) for test in _tests(tree.body)}
    classes = _ModuleClasses(tree.body)
    test_classes = (n for n in tree.body if isinstance(n, ast.ClassDef) and n.name[:4] == "Test")
    for node in test_classes:
        if classes.test_flag(node) is not False:
            found |= {CommittedTest(name, node.name, test) for test in classes.tests(node)}
    return frozenset(found)


def scenario_tags(text: bytes, name: str = "<feature>") -> list[frozenset[str]]:
    """Each scenario's tags (its feature's and rule's included, `@` dropped), an outline once
    per Examples row, as pytest-bdd binds them."""
    try:
        document = Parser().parse(text.decode("utf-8"))
    except (ParserError, UnicodeDecodeError) as exc:
        raise FloorError(f"{name} does not parse ({type(exc).__name__})") from None
    pickles = Compiler().compile(GherkinDocumentWithURI(**document, uri=name))
    return [frozenset(tag["name"].removeprefix("@") for tag in p["tags"]) for p in pickles]


def count_scenarios(text: bytes, name: str = "<feature>") -> int:
    """The scenarios of a feature file the twin runs (an outline's each Examples row)."""
    tags = scenario_tags(text, f"{name} at HEAD")
    return sum(allowed_on(DEFAULT_TARGET, names)[0] for names in tags)


def layer_floors(files: Mapping[str, bytes]) -> dict[str, LayerFloor]:
    """Each tested layer's floor over the files committed (path relative to the repository ->
    bytes); files `counted` leaves out are ignored. Raises FloorError."""
    tests: dict[str, set[CommittedTest]] = {layer: set() for layer in LAYER_FOLDERS}
    scenarios = dict.fromkeys(LAYER_FOLDERS, 0)
    layer_of = {folder: layer for layer, folders in LAYER_FOLDERS.items() for folder in folders}
    for path in sorted(files):
        folder = _counted_in(path)
        if folder == FEATURES:
            scenarios[layer_of[folder]] += count_scenarios(files[path], path)
        elif folder is not None:
            tests[layer_of[folder]] |= committed_tests(files[path], path)
    return {layer: LayerFloor(frozenset(tests[layer]), scenarios[layer]) for layer in tests}


SHOWN_MISSING = 3  # test functions named in a problem; the others are counted


def floor_problem(
    layer: str, ran: int, names: frozenset[tuple[str, str]], floor: LayerFloor
) -> str | None:
    """Why the layer's junit file (`ran` cases, `names` their (classname, name without
    parameters)) does not hold every test committed, or None."""
    where = ", ".join(LAYER_FOLDERS[layer])
    missing = sorted(test for test in floor.tests if test.junit_key not in names)
    if missing:
        shown = ", ".join(map(str, missing[:SHOWN_MISSING]))
        if len(missing) > SHOWN_MISSING:
            shown += f" and {len(missing) - SHOWN_MISSING} more"
        return (
            f"{layer}: {len(missing)} of the {len(floor.tests)} test functions committed at HEAD "
            f"in {where} did not run ({shown}) ({CAUSE})"
        )
    if ran >= floor.count:
        return None
    shown = f"{layer}: {ran} test(s) ran, fewer than the {floor.count} committed at HEAD in {where}"
    return f"{shown} ({CAUSE})"
