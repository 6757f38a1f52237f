"""The specs cite as proof only tests that exist, and count a cited file's tests right.

A module and a name (module.py::test_name) are checked by `test_self_contained_repository.py`;
this finds what that leaves out: a test named alone (`test_name`, `::test_name`, `test_name*` for
every test whose name begins so), a count given after a test module or feature:
test_retry.py (12), auth.feature (7), and a checklist tag's scenarios: `@chk-x` (3 scenario(s),
e.g. "config.feature: A required variable is missing"); and the scenarios spec.md's
traceability table quotes by name.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SPECS = ROOT / "specs"

CODE_SPAN = re.compile(r"`([^`]+)`")
# A test's name, not a module's (test_retry.py) nor part of a path.
TEST_NAME = re.compile(r"(?<![\w/.])(test_\w+)(?![\w.])(\*?)")
TEST_DEFINITION = re.compile(r"^\s*(?:async\s+)?def\s+(test_\w+)", re.MULTILINE)
# A scenario's title (an outline's too), for counting and naming them.
SCENARIO = re.compile(r"^\s*Scenario(?: Outline)?:\s*(.+?)\s*$", re.MULTILINE)
# A module in backticks, with or without its folders, then (12) or (16, incl. …); a feature,
# then (7 scenarios).
COUNTED_FILE = re.compile(r"`?([\w./-]+\.(?:py|feature))`? \((\d+)\b")
# A checklist item's tag, how many scenarios carry it, and one of them.
TAG_EVIDENCE = re.compile(r'`@([\w-]+)` \((\d+) scenario\(s\), e\.g\. "([\w-]+\.feature: [^"]+)"\)')


def spec_lines() -> Iterator[tuple[str, str]]:
    for path in sorted(SPECS.rglob("*.md")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            yield f"{path.relative_to(ROOT)}:{number}", line


def tracked(suffix: str) -> list[str]:
    listed = subprocess.run(
        ["git", "ls-files", "-z", f"*{suffix}"], cwd=ROOT, capture_output=True, check=True
    ).stdout.decode()
    return [name for name in listed.split("\0") if name]


def defined_tests() -> set[str]:
    return {
        name
        for path in tracked(".py")
        if path.startswith("tests/")
        for name in TEST_DEFINITION.findall((ROOT / path).read_text(encoding="utf-8"))
    }


def unknown_tests(line: str, defined: set[str]) -> list[str]:
    """The tests a line names in code spans that no test module defines."""
    unknown = []
    for span in CODE_SPAN.findall(line):
        for name, star in TEST_NAME.findall(span):
            found = any(d.startswith(name) for d in defined) if star else name in defined
            if not found:
                unknown.append(f"{name}{star}")
    return unknown


def counts() -> dict[str, int]:
    """Each tracked test module's number of tests and each feature's number of scenarios."""
    modules = [path for path in tracked(".py") if Path(path).name.startswith("test_")]
    return {
        path: len(pattern.findall((ROOT / path).read_text(encoding="utf-8")))
        for paths, pattern in ((modules, TEST_DEFINITION), (tracked(".feature"), SCENARIO))
        for path in paths
    }


def wrong_counts(line: str, counted: dict[str, int]) -> list[str]:
    """Each `file (N)` of a line whose file does not hold N tests (or scenarios), with the number
    it holds; a file that is not one tracked path's ending is left to the path checks."""
    wrong = []
    for cited, stated in COUNTED_FILE.findall(line):
        matches = [path for path in counted if path == cited or path.endswith(f"/{cited}")]
        if len(matches) == 1 and counted[matches[0]] != int(stated):
            wrong.append(f"{cited} ({stated}): holds {counted[matches[0]]}")
    return wrong


def tagged_scenarios(files: dict[str, str]) -> dict[str, list[str]]:
    """Each tag's scenarios (`name.feature: title`) in feature files given as name -> text; a
    feature's own tags are its scenarios' too."""
    scenarios: dict[str, list[str]] = {}
    for name, text in files.items():
        feature_tags: list[str] = []
        pending: list[str] = []
        for line in text.splitlines():
            words = line.split()
            if words and words[0].startswith("@"):
                pending += [w.removeprefix("@") for w in words if w.startswith("@")]
            elif line.strip().startswith("Feature:"):
                feature_tags, pending = pending, []
            elif title := SCENARIO.match(line):
                for tag in dict.fromkeys([*feature_tags, *pending]):
                    scenarios.setdefault(tag, []).append(f"{name}: {title.group(1)}")
                pending = []
    return scenarios


def wrong_tag_evidence(line: str, scenarios: dict[str, list[str]]) -> list[str]:
    """Each `@tag` (N scenario(s), e.g. "…") of a line whose count or example is not the tag's."""
    wrong = []
    for tag, stated, example in TAG_EVIDENCE.findall(line):
        tagged = scenarios.get(tag, [])
        if len(tagged) != int(stated):
            wrong.append(f"@{tag} ({stated} scenario(s)): {len(tagged)} carry it")
        if example not in tagged:
            wrong.append(f"@{tag}: no scenario {example!r} carries it")
    return wrong


def test_the_specs_are_scanned() -> None:
    lines = [line for _, line in spec_lines()]
    assert any(CODE_SPAN.search(line) and TEST_NAME.search(line) for line in lines)
    assert any(COUNTED_FILE.search(line) for line in lines)
    assert any(TAG_EVIDENCE.search(line) for line in lines)


def test_every_test_the_specs_name_exists() -> None:
    defined = defined_tests()
    found = [
        f"{where} {name}" for where, line in spec_lines() for name in unknown_tests(line, defined)
    ]
    assert found == []


def test_every_count_of_a_cited_file_is_its_number_of_tests() -> None:
    counted = counts()
    found = [
        f"{where} {wrong}" for where, line in spec_lines() for wrong in wrong_counts(line, counted)
    ]
    assert found == []


def test_a_test_named_alone_is_checked_and_modules_are_not() -> None:
    line = (  # a module and a name spelled in pieces, so that this file does not cite them itself
        "`test_a`, `::test_b`, `test_c*`, `test_gone`, `tests/unit/test_doc_names.py`, "
        "`test_doc_names.py"
        "::test_gone_too`, `test_y*`"
    )
    assert unknown_tests(line, {"test_a", "test_b", "test_cat"}) == [
        "test_gone",
        "test_gone_too",
        "test_y*",
    ]


def test_a_stale_count_names_the_number_it_should_be() -> None:
    counted = {"tests/unit/adapter/test_adapter_retry.py": 15, "features/auth.feature": 7}
    line = (
        "`unit/adapter/test_adapter_retry.py` (12), auth.feature (7 scenarios), "
        "`test_doc_names.py` (3), `test_adapter_retry.py` (15, incl. backoff)"
    )
    assert wrong_counts(line, counted) == ["unit/adapter/test_adapter_retry.py (12): holds 15"]


def test_tests_and_scenarios_are_what_is_counted() -> None:
    module = "def test_a():\n  async def test_b():\nclass T:\n  def test_c(self):\ndef helper():\n"
    feature = "Feature: f\n  Background:\n  Scenario: one\n  Scenario Outline: two\n  Rule: r\n"
    assert TEST_DEFINITION.findall(module) == ["test_a", "test_b", "test_c"]
    assert len(SCENARIO.findall(feature)) == 2


def test_every_tag_s_scenario_count_and_example_are_the_features_own() -> None:
    features = {
        Path(path).name: (ROOT / path).read_text(encoding="utf-8") for path in tracked(".feature")
    }
    scenarios = tagged_scenarios(features)
    found = [
        f"{where} {wrong}"
        for where, line in spec_lines()
        for wrong in wrong_tag_evidence(line, scenarios)
    ]
    assert found == []


def test_a_tag_s_scenarios_include_its_feature_s_tags() -> None:
    feature = (
        "@config\nFeature: f\n\n  @smoke @chk-a  # a comment\n  Scenario: one\n"
        "    Given x\n\n  @chk-a\n  Scenario Outline: two\n    Examples:\n"
    )
    scenarios = tagged_scenarios({"f.feature": feature})
    assert scenarios == {
        "config": ["f.feature: one", "f.feature: two"],
        "smoke": ["f.feature: one"],
        "chk-a": ["f.feature: one", "f.feature: two"],
    }
    line = (
        '`@chk-a` (3 scenario(s), e.g. "f.feature: three"), '
        '`@smoke` (1 scenario(s), e.g. "f.feature: one")'
    )
    assert wrong_tag_evidence(line, scenarios) == [
        "@chk-a (3 scenario(s)): 2 carry it",
        "@chk-a: no scenario 'f.feature: three' carries it",
    ]


def scenario_titles() -> list[str]:
    return [
        title
        for path in tracked(".feature")
        for title in SCENARIO.findall((ROOT / path).read_text(encoding="utf-8"))
    ]


def unknown_scenarios(cell: str, titles: list[str]) -> list[str]:
    """The quoted scenario names of a traceability cell no scenario has: each piece between
    ellipses (`"…present but blank…"`) must be in one title, case aside."""
    unknown = []
    for quoted in re.findall(r'"([^"]+)"', cell):
        pieces = [piece.strip().lower() for piece in quoted.split("…") if piece.strip()]
        if not any(all(p in title.lower() for p in pieces) for title in titles):
            unknown.append(quoted)
    return unknown


def test_every_scenario_the_traceability_table_quotes_exists() -> None:
    titles = scenario_titles()
    found = [
        f"{where} {name}"
        for where, line in spec_lines()
        if where.startswith("specs/011-g2a-integration-audit/spec.md") and line.startswith("| R-")
        for name in unknown_scenarios(line.split("|")[3], titles)
    ]
    assert found == []


def test_a_quoted_scenario_may_be_cut_short_with_ellipses() -> None:
    titles = ["A required variable that is present but blank is refused", "Tampered deliveries"]
    cell = ' config: "…present but blank…", "Tampered…", "A required variable is gone" '
    assert unknown_scenarios(cell, titles) == ["A required variable is gone"]
