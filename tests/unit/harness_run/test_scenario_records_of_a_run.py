"""The report's scenario records of a real pytest run (cucumber.json and the run's results):
same-named scenarios of two feature files each keep their own outcome, a feature without a
name included (cucumber.json names it by its file). Within one module pytest-bdd names their
tests apart (`test_same_name`, `test_same_name_1`); test_probe_and_scenarios has two modules.
An Outline whose title holds a `<parameter>` is named with its row's values on both sides."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from qa_support import NO_G2A, ROOT

from harness.checklist import RunResult, judge_all, load_checklist
from harness.report import checklist_report
from harness.run_results import read_results
from harness.scenarios import read_cucumber, scenario_records

PASSING = """\
@qa-same @twin
Feature: First
  Scenario: Same name
    Given a retry policy allowing 2 retries and waits of at most 5 seconds
    When G2A asks to wait 3 seconds before the first retry
    Then the policy waits 3 seconds
"""
FAILING_WITHOUT_A_NAME = """\
@qa-same @twin
Feature:
  @qa-second
  Scenario: Same name
    Then the claim is new
"""
OUTLINE_TITLED_BY_ITS_PARAMETER = """\
@qa-outline @twin
Feature: QA outline tags
  Scenario Outline: Waits <wait> seconds
    Given a retry policy allowing 2 retries and waits of at most 5 seconds
    When G2A asks to wait <wait> seconds before the first retry
    Then the policy waits <wait> seconds

    @chk-test-int-products
    Examples:
      | wait |
      | 3    |
"""


def _run(
    tmp_path: Path, marker: str, features: dict[str, str]
) -> tuple[list[dict[str, object]], list[RunResult]]:
    """The scenario records and the results of a pytest run of these team feature files."""
    team = tmp_path / "team"
    team.mkdir()
    for name, text in features.items():
        (team / name).write_text(text, encoding="utf-8")
    cucumber, results = tmp_path / "cucumber.json", tmp_path / "results.jsonl"
    subprocess.run(
        [sys.executable, "-m", "pytest", "tests/bdd", "-q", "-p", "no:cacheprovider",
         "-m", marker, f"--cucumberjson={cucumber}", f"--g2a-results={results}"],
        cwd=ROOT, env={**NO_G2A, "G2A_FEATURES": str(team)},
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    ran = read_results(results)
    return scenario_records(read_cucumber(cucumber), ran), ran


def test_same_named_scenarios_of_two_features_each_show_their_own_outcome(
    tmp_path: Path,
) -> None:
    records, _ = _run(
        tmp_path, "qa-same", {"a.feature": PASSING, "b.feature": FAILING_WITHOUT_A_NAME}
    )

    shown = [(r["feature"], r["name"], r["status"], r["tags"], r["error"]) for r in records]
    assert sorted(shown) == [
        ("First", "Same name", "passed", ["qa-same", "twin"], ""),
        (
            "team/b.feature",
            "Same name",
            "failed",
            ["qa-same", "qa-second", "twin"],
            'no claim in this scenario: "When a worker claims the key "order-77" for a purchase '
            'of product …" makes one',
        ),
    ]


def test_an_outline_titled_by_its_parameter_keeps_its_examples_tags_and_proves_its_item(
    tmp_path: Path,
) -> None:
    """cucumber.json names the row `Waits 3 seconds`: the run's result, named alike, brings
    the Examples table's `@chk-` tag (which cucumber.json leaves out) to the record."""
    records, results = _run(
        tmp_path, "qa-outline", {"outline.feature": OUTLINE_TITLED_BY_ITS_PARAMETER}
    )
    verdicts = judge_all(load_checklist(), results, "twin")
    report = checklist_report(verdicts, target="twin", suite="full", scenarios=records)

    assert [(r.name, r.outcome) for r in results] == [
        ("QA outline tags: Waits 3 seconds [3]", "passed")
    ]
    (item,) = [i for i in report["items"] if i["id"] == "test-int-products"]
    assert item["evidence"] == [
        "passed QA outline tags: Waits 3 seconds [3] "
        "[tests/bdd/test_features.py::test_waits_wait_seconds[3]]"
    ]
    assert [(r["name"], r["status"], r["tags"]) for r in item["scenarios"]] == [
        ("Waits 3 seconds [3]", "passed", ["chk-test-int-products", "qa-outline", "twin"])
    ]
    assert report["other_scenarios"] == []


LEFT_OUT_WITH_A_COLON = """\
@qa-colon
Feature: Orders: refunds
  @sandbox
  Scenario Outline: Refund <n>
    Then the claim is new

    Examples:
      | n |
      | 1 |
"""


def test_a_left_out_scenario_of_a_feature_whose_name_holds_a_colon_keeps_both_names(
    tmp_path: Path,
) -> None:
    records, _ = _run(tmp_path, "qa-colon", {"c.feature": LEFT_OUT_WITH_A_COLON})
    assert [(r["feature"], r["name"], r["status"]) for r in records] == [
        ("Orders: refunds", "Refund 1 [1]", "skipped")
    ]
