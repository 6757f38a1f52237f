"""The tests committed at HEAD, counted from git, against the junit files of a CI run.

The last test holds the floors of this checkout against what pytest really collects in each
layer: the repository's own CI evidence must meet them.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from gate_support import (
    REPO_ROOT,
    TESTED_LAYERS,
    GateRun,
    commit,
    default_junit,
    full_junit,
    git,
    head,
    junit_xml,
    write_ci,
)

from harness.gate.floors import LAYER_FOLDERS, LayerFloor, counted, layer_floors
from harness.gate.sources import committed_floors, read_ci_run

Run = Callable[..., GateRun]
UNIT_TESTS = {
    "tests/unit/test_one.py": "def test_a():\n    pass\n",
    "tests/unit/store/test_two.py": (
        "import pytest\n\n@pytest.mark.parametrize('n', [1, 2])\ndef test_b(n):\n    pass\n\n"
        "class TestC:\n    def test_c(self):\n        pass\n\n"
        "    async def test_d(self):\n        pass\n"
    ),
    "tests/unit/support.py": "def test_helper():\n    pass\n",
    "features/orders.feature": (
        "Feature: Orders\n  Scenario Outline: Rows\n    Given <n>\n\n"
        "    Examples:\n      | n |\n      | 1 |\n      | 2 |\n"
    ),
}


def test_the_floors_are_read_from_head_not_the_working_tree(repo: Path, tmp_path: Path) -> None:
    commit(repo, UNIT_TESTS, "tests")
    (repo / "tests/unit/test_one.py").write_text("")  # uncommitted: HEAD's file counts
    (repo / "tests/unit/test_new.py").write_text("def test_new():\n    pass\n")
    expected = {**dict.fromkeys(TESTED_LAYERS, 0), "unit": 4, "bdd": 2}
    floors = committed_floors(repo)
    assert {layer: floor.count for layer, floor in floors.items()} == expected
    assert sorted(map(str, floors["unit"].tests)) == [
        "tests/unit/store/test_two.py::TestC::test_c",
        "tests/unit/store/test_two.py::TestC::test_d",
        "tests/unit/store/test_two.py::test_b",
        "tests/unit/test_one.py::test_a",
    ]
    ci = read_ci_run(tmp_path / "ci.json", "ci.json", repo, None)
    assert (ci.floors, ci.floors_error) == (floors, None)


def test_a_committed_test_file_that_does_not_parse_is_a_floor_error(
    repo: Path, tmp_path: Path
) -> None:
    commit(repo, {"tests/load/test_x.py": "def test_x(:\n"}, "broken")
    ci = read_ci_run(tmp_path / "ci.json", "ci.json", repo, None)
    assert ci.floors is None
    assert ci.floors_error is not None
    assert ci.floors_error.startswith("tests/load/test_x.py at HEAD does not parse")


def test_without_git_nothing_is_counted(tmp_path: Path) -> None:
    ci = read_ci_run(tmp_path / "ci.json", "ci.json", tmp_path, None)
    assert (ci.floors, ci.floors_error) == (None, "git cannot list the files at HEAD")


def test_a_narrowed_unit_run_is_no_go_and_a_full_run_go(
    run_gate: Run, live_env: dict[str, str], repo: Path
) -> None:
    """tox.ini narrowed to one file: the unit junit file holds 1 test of the 4 committed."""
    commit(repo, UNIT_TESTS, "tests")
    narrowed = {**default_junit(), "unit": junit_xml("unit", passed=1)}
    write_ci(repo / "reports" / "ci", head(repo), junit=narrowed)
    run = run_gate(ci=False)
    assert run.code == 1
    assert run.verdicts()["ci"] == "no-go"
    assert run.check("ci")["details"] == [
        "unit: 4 of the 4 test functions committed at HEAD in tests/unit did not run "
        "(tests/unit/store/test_two.py::test_b, tests/unit/store/test_two.py::TestC::test_c, "
        "tests/unit/store/test_two.py::TestC::test_d and 1 more) "
        "(tox.ini narrowed the run, or tests were deselected)"
    ]
    write_ci(repo / "reports" / "ci", head(repo), junit=full_junit(repo))
    assert run_gate(ci=False).verdicts()["ci"] == "go"


def test_a_unit_run_without_the_gate_s_tests_is_no_go_naming_them(
    run_gate: Run, live_env: dict[str, str], repo: Path
) -> None:
    """tox.ini at HEAD runs `pytest tests/unit --ignore=tests/unit/gate`: the tests left are
    parametrized, so the unit junit file holds more cases than functions are committed."""
    gate_tests = (
        "def test_go():\n    pass\n\nclass TestGate:\n    def test_named(self):\n        pass\n"
    )
    commit(repo, {**UNIT_TESTS, "tests/unit/gate/test_gate.py": gate_tests}, "tests")
    left = [
        ("tests.unit.test_one", "test_a"),
        ("tests.unit.store.test_two", "test_b"),
        ("tests.unit.store.test_two.TestC", "test_c"),
        ("tests.unit.store.test_two.TestC", "test_d"),
    ]
    narrowed = {**default_junit(), "unit": junit_xml("unit", passed=0, tests=left * 5)}
    write_ci(repo / "reports" / "ci", head(repo), junit=narrowed)
    run = run_gate(ci=False)
    assert (run.code, run.verdicts()["ci"]) == (1, "no-go")
    assert run.check("ci")["details"] == [
        "unit: 2 of the 6 test functions committed at HEAD in tests/unit did not run "
        "(tests/unit/gate/test_gate.py::test_go, "
        "tests/unit/gate/test_gate.py::TestGate::test_named) "
        "(tox.ini narrowed the run, or tests were deselected)"
    ]


def _junit_key(nodeid: str) -> tuple[str, str]:
    """(classname, name without parameters) pytest's junit file gives the test `nodeid`."""
    path, *names = nodeid.partition("[")[0].split("::")
    module = path.removesuffix(".py").replace("/", ".")
    return ".".join([module, *names[:-1]]), names[-1]


def _working_tree_files() -> dict[str, bytes]:
    listed = git(REPO_ROOT, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    return {
        name: (REPO_ROOT / name).read_bytes()
        for name in filter(None, listed.split("\0"))
        if counted(name) and (REPO_ROOT / name).is_file()
    }


@pytest.fixture(scope="module")
def collected() -> list[str]:
    """The node ids pytest collects in every layer's folders (one run: the same as each
    layer's own; tests/bdd binds features/)."""
    folders = [f for fs in LAYER_FOLDERS.values() for f in fs if f.startswith("tests/")]
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", *folders],
        cwd=REPO_ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stdout[-2000:]
    return [line for line in completed.stdout.splitlines() if "::" in line]


@pytest.fixture(scope="module")
def floors() -> dict[str, LayerFloor]:
    """The gate's floor of each layer over this checkout's files as they are on disk (the
    checkout's own next commit), read and parsed once for every layer's test."""
    return layer_floors(_working_tree_files())


@pytest.mark.parametrize("layer", TESTED_LAYERS)
def test_this_checkout_s_full_run_meets_its_floors(
    layer: str, collected: list[str], floors: dict[str, LayerFloor]
) -> None:
    """What tox.ini's command collects in this checkout is at least the gate's floor (files
    as they are on disk: the checkout's own next commit)."""
    floor = floors[layer]
    ran = [node for node in collected if node.startswith(LAYER_FOLDERS[layer])]
    assert 0 < floor.count <= len(ran), (layer, floor.count, len(ran))
    keys = {_junit_key(node) for node in ran}
    assert [str(test) for test in floor.tests if test.junit_key not in keys] == []
