"""The least each tested layer's junit file must hold: the tests committed in its folders.

tox.ini at HEAD may narrow a layer (`pytest tests/unit/test_one.py --junitxml=…`) and a run
may deselect tests; the gate counts the committed test functions (and, for bdd, the
scenarios) itself and refuses a junit file with fewer test cases.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from gate_support import (
    LOAD_XDIST,
    TESTED_LAYERS,
    TOX_LAYER_COMMANDS,
    XDIST,
    ci_run,
    default_junit,
    junit_xml,
)

from harness.gate.checks.ci import check_ci
from harness.gate.evidence import Evidence
from harness.gate.floors import (
    FEATURES,
    LAYER_FOLDERS,
    FloorError,
    committed_tests,
    counted,
    layer_floors,
)
from harness.gate.model import Status

MODULE = b"""
import pytest

def test_a(): ...
async def test_b(): ...
def helper(): ...
def test_a(): ...  # redefined: pytest collects one

@pytest.mark.parametrize("n", [1, 2, 3])
def test_c(n): ...

def outer():
    def test_nested(): ...

class TestThings:
    def test_d(self): ...
    async def test_e(self): ...
    def helper(self): ...
    class TestInner:
        def test_inner(self): ...

class Helpers:
    def test_not_a_test_class(self): ...

class TestOff:
    __test__ = False
    def test_off(self): ...
"""

FEATURE = b"""@orders
Feature: Orders

  Scenario: One
    Given a thing

  Scenario Outline: Rows
    Given <n>

    Examples:
      | n |
      | 1 |
      | 2 |
      | 3 |

  @sandbox
  Scenario: Only on the sandbox
    Given a thing

  @twin @sandbox
  Scenario: Twin too
    Given a thing
"""


def test_test_functions_at_module_level_and_in_test_classes() -> None:
    """a, b, c (once, whatever its parameters), TestThings.d and .e."""
    assert len(committed_tests(MODULE)) == 5


def test_a_module_that_opts_out_holds_no_test() -> None:
    assert committed_tests(b"__test__ = False\ndef test_a(): ...\n") == frozenset()


def test_the_gate_knows_each_layer_s_folders() -> None:
    """The gate's own mapping, as the project's tox.ini runs each layer (`TOX_LAYER_COMMANDS`
    is pinned against it in test_gate_ci.py); tests/bdd binds features/."""
    for layer in TESTED_LAYERS:
        ((_pytest, *args),) = TOX_LAYER_COMMANDS[layer]
        options = {*XDIST, *LOAD_XDIST}  # `-n auto`, `--dist` and its value
        paths = tuple(arg for arg in args if not arg.startswith("-") and arg not in options)
        assert paths == tuple(f for f in LAYER_FOLDERS[layer] if f != FEATURES), layer
    assert LAYER_FOLDERS == {
        "build": ("tests/packaging",),
        "unit": ("tests/unit",),
        "integration": ("tests/integration", "tests/e2e"),
        "bdd": ("tests/bdd", "features"),
        "contract": ("tests/contract",),
        "load": ("tests/load",),
    }
    assert tuple(LAYER_FOLDERS) == TESTED_LAYERS


@pytest.mark.parametrize(
    ("path", "is_counted"),
    [
        ("tests/unit/test_a.py", True),
        ("tests/unit/deep/er/test_b.py", True),
        ("tests/unit/helpers.py", False),  # a helper module's test_ functions are not collected
        ("tests/unit/conftest.py", False),
        ("tests/unit/data/tox.ini", False),
        ("tests/unit/.hidden/test_c.py", False),  # pytest's norecursedirs
        ("tests/unit/node_modules/test_c.py", False),
        ("tests/unittest_x.py", False),
        ("tests/e2e/test_e.py", True),
        ("features/orders.feature", True),
        ("features/sub/more.feature", True),
        ("features/orders.txt", False),
        ("tests/bdd/extra.feature", False),  # pytest-bdd binds features/ only
        ("other/test_x.py", False),
    ],
)
def test_which_committed_files_count(path: str, is_counted: bool) -> None:
    assert counted(path) is is_counted


def test_floors_per_layer() -> None:
    files = {
        "tests/unit/test_a.py": MODULE,
        "tests/unit/sub/test_b.py": b"def test_x(): ...\n",
        "tests/unit/helpers.py": b"def test_helper(): ...\n",
        "tests/unit/.hidden/test_c.py": b"def test_hidden(): ...\n",
        "tests/integration/test_i.py": b"def test_i(): ...\n",
        "tests/e2e/test_e.py": b"def test_e(): ...\ndef test_f(): ...\n",
        "tests/bdd/test_features.py": b"from pytest_bdd import scenarios\nscenarios('x')\n",
        "features/orders.feature": FEATURE,
    }
    assert {layer: floor.count for layer, floor in layer_floors(files).items()} == {
        "build": 0,
        "unit": 6,
        "integration": 3,
        # One, three rows of Rows and Twin too: a scenario the twin does not run is deselected
        "bdd": 5,
        "contract": 0,
        "load": 0,
    }


def test_each_committed_test_is_known_by_its_junit_classname_and_name() -> None:
    floor = layer_floors({"tests/unit/store/test_a.py": MODULE})["unit"]
    assert sorted(test.junit_key for test in floor.tests) == [
        ("tests.unit.store.test_a", "test_a"),
        ("tests.unit.store.test_a", "test_b"),
        ("tests.unit.store.test_a", "test_c"),
        ("tests.unit.store.test_a.TestThings", "test_d"),
        ("tests.unit.store.test_a.TestThings", "test_e"),
    ]
    assert str(min(floor.tests)) == "tests/unit/store/test_a.py::test_a"
    assert str(max(floor.tests)) == "tests/unit/store/test_a.py::TestThings::test_e"
    inherited = layer_floors(
        {"tests/unit/test_b.py": (BASES + "class TestPlain(Mixin): ...").encode()}
    )
    assert [test.junit_key for test in inherited["unit"].tests] == [
        ("tests.unit.test_b.TestPlain", "test_mixed_in")
    ]


def test_a_layer_that_dropped_a_folder_is_no_go_naming_the_tests_missing(clean: Evidence) -> None:
    """tox.ini at HEAD runs `pytest tests/unit --ignore=tests/unit/gate`: the tests left are
    parametrized, so the junit file holds more cases than functions are committed; the gate's
    own tests did not run."""
    dropped = {f"tests/unit/gate/test_g{n}.py": b"def test_a(): ...\n" for n in range(4)}
    kept = {"tests/unit/test_kept.py": b"class TestKept:\n    def test_k(self): ...\n"}
    floors = {**dict.fromkeys(TESTED_LAYERS, 3), **layer_floors({**dropped, **kept})}
    del floors["load"], floors["build"], floors["contract"], floors["integration"], floors["bdd"]
    ran = [("tests.unit.test_kept.TestKept", "test_k")] * 50
    junit = {**default_junit(), "unit": junit_xml("unit", passed=0, tests=ran)}
    result = check_ci(with_ci(clean, **_run(junit, floors)))
    assert result.status is Status.NO_GO
    assert result.details == (
        "unit: 4 of the 5 test functions committed at HEAD in tests/unit did not run "
        "(tests/unit/gate/test_g0.py::test_a, tests/unit/gate/test_g1.py::test_a, "
        "tests/unit/gate/test_g2.py::test_a and 1 more) "
        "(tox.ini narrowed the run, or tests were deselected)",
    )


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("tests/unit/test_broken.py", b"def test_a(:\n", "tests/unit/test_broken.py"),
        ("tests/unit/test_bytes.py", b"\xff\xfe\x00def", "tests/unit/test_bytes.py"),
        ("features/broken.feature", b"Nonsense: x\n  Scenario: y\n", "features/broken"),
    ],
)
def test_a_file_that_does_not_parse_cannot_be_counted(name: str, text: bytes, message: str) -> None:
    with pytest.raises(FloorError, match=message):
        layer_floors({name: text})


def with_ci(evidence: Evidence, **changes: Any) -> Evidence:
    return dataclasses.replace(evidence, ci=dataclasses.replace(evidence.ci, **changes))


def _run(junit: dict[str, str], floors: dict[str, Any]) -> dict[str, Any]:
    run = ci_run(junit=junit, floors=floors)
    return {f.name: getattr(run, f.name) for f in dataclasses.fields(run)}


def test_a_narrowed_layer_ran_fewer_tests_than_committed_is_no_go(clean: Evidence) -> None:
    """tox.ini at HEAD runs `pytest tests/unit/test_one.py --junitxml=…`: tox's commands match
    it, the junit file shows 3 tests passed, none skipped; 1446 are committed."""
    floors = {**dict.fromkeys(TESTED_LAYERS, 3), "unit": 1446}
    result = check_ci(with_ci(clean, **_run(default_junit(), floors)))
    assert result.status is Status.NO_GO
    assert result.details == (
        "unit: 3 test(s) ran, fewer than the 1446 committed at HEAD in tests/unit "
        "(tox.ini narrowed the run, or tests were deselected)",
    )


def test_one_test_per_layer_is_no_go_for_each_layer(clean: Evidence) -> None:
    junit = {layer: junit_xml(layer, passed=1) for layer in TESTED_LAYERS}
    junit["integration"] = junit_xml("integration", passed=1, backends=1)  # 3: the store suites
    floors = dict.fromkeys(TESTED_LAYERS, 10)
    result = check_ci(with_ci(clean, **_run(junit, floors)))
    assert result.status is Status.NO_GO
    assert [d.split(":")[0] for d in result.details] == list(TESTED_LAYERS)
    assert result.details[3] == (
        "bdd: 1 test(s) ran, fewer than the 10 committed at HEAD in tests/bdd, features "
        "(tox.ini narrowed the run, or tests were deselected)"
    )


def test_a_full_run_meets_the_floor(clean: Evidence) -> None:
    """Parametrised tests and outline rows make the junit count larger than the floor."""
    junit = {**default_junit(), "unit": junit_xml("unit", passed=1500)}
    floors = {**dict.fromkeys(TESTED_LAYERS, 3), "integration": 7, "unit": 1446}
    result = check_ci(with_ci(clean, **_run(junit, floors)))
    assert result.status is Status.GO, result.details


def test_committed_tests_that_cannot_be_counted_are_no_go(clean: Evidence) -> None:
    result = check_ci(
        with_ci(clean, floors=None, floors_error="tests/unit/test_a.py at HEAD does not parse")
    )
    assert (result.status, result.reason) == (
        Status.NO_GO,
        "handoff-green is not proven: the tests committed at HEAD cannot be counted "
        "(tests/unit/test_a.py at HEAD does not parse)",
    )


BASES = """
class Base:
    __test__ = False
    def test_shared(self): ...

class Mixin:
    def test_mixed_in(self): ...
"""


@pytest.mark.parametrize(
    ("test_class", "count"),
    [
        ("class TestOffByBase(Base):\n    def test_own(self): ...", 0),
        ("class TestBackOn(Base):\n    __test__ = True\n    def test_own(self): ...", 2),
        ("class TestMixed(Mixin, Base):\n    def test_own(self): ...", 0),
        ("class TestPlain(Mixin):\n    def test_own(self): ...", 2),
        ("class TestImported(Elsewhere):\n    def test_own(self): ...", 1),
    ],
    ids=["off-by-base", "back-on", "mixed", "plain", "imported-base"],
)
def test_a_class_inherits_tests_and_opting_out_from_the_classes_of_its_module(
    test_class: str, count: int
) -> None:
    """As pytest collects them: a `Test…` class runs the tests it inherits, and one whose base
    sets `__test__ = False` runs none, unless it sets `__test__ = True` itself (a base from
    another module is not read)."""
    assert len(committed_tests((BASES + test_class).encode())) == count
