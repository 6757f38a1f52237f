"""The report's scenario records of a real pytest run (cucumber.json and the run's results):
same-named scenarios of two feature files each keep their own outcome, a feature without a
name included (cucumber.json names it by its file). Within one module pytest-bdd names their
tests apart (`test_same_name`, `test_same_name_1`); test_probe_and_scenarios has two modules."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from qa_support import NO_G2A, ROOT

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


def test_same_named_scenarios_of_two_features_each_show_their_own_outcome(
    tmp_path: Path,
) -> None:
    team = tmp_path / "team"
    team.mkdir()
    (team / "a.feature").write_text(PASSING, encoding="utf-8")
    (team / "b.feature").write_text(FAILING_WITHOUT_A_NAME, encoding="utf-8")
    cucumber, results = tmp_path / "cucumber.json", tmp_path / "results.jsonl"
    subprocess.run(
        [sys.executable, "-m", "pytest", "tests/bdd", "-q", "-p", "no:cacheprovider",
         "-m", "qa-same", f"--cucumberjson={cucumber}", f"--g2a-results={results}"],
        cwd=ROOT, env={**NO_G2A, "G2A_FEATURES": str(team)},
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip

    records = scenario_records(read_cucumber(cucumber), read_results(results))

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
