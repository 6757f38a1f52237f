"""`g2a-harness steps --check`: a dry run that finds every step the library does not know."""

from __future__ import annotations

from pathlib import Path

import pytest
from qa_support import ROOT, harness

from harness.bdd.check import check_features

FEATURE = """\
@twin
Feature: Checked without running
  Background:
    Given the adapter is connected to the target

  Scenario Outline: Stock, then an order
    Given product <product> has <keys> keys in stock
    When QA orders product <product>
    Then an order id made of digits is returned with a price in EUR

    Examples:
      | product        | keys |
      | 10000068865001 | 5    |
      | 10000027819004 | many |

  Scenario: Two mistakes
    When QA ordrs product 10000068865001
    And the call fails with a G2A API error with code ORD07
    Then the call fails with a G2A API error with code ORD07
"""


def _write(folder: Path) -> Path:
    folder.mkdir()
    path = folder / "checked.feature"
    path.write_text(FEATURE, encoding="utf-8")
    return path


def test_each_step_is_matched_as_the_run_matches_it(tmp_path: Path) -> None:
    path = _write(tmp_path / "qa")

    result = check_features([path.parent])

    # The Outline runs once per Examples row; the Background runs before every scenario.
    assert (result.scenarios, result.steps) == (3, 4 + 4 + 4)
    # Reported as a run reports them (file, line, the step as run, the closest steps).
    assert [message.split("; did you mean ")[0] for message in result.unknown] == [
        f'{path}:7: unknown step "Given product 10000027819004 has many keys in stock"',  # a word
        f'{path}:17: unknown step "When QA ordrs product 10000068865001"',  # a typo
        f'{path}:18: unknown step "And the call fails with a G2A API error with code ORD07"',
    ]  # the last is a Then step under a When: matched by kind, as a run matches it
    typo = result.unknown[1]
    assert typo.split("; did you mean ")[1].startswith('"When QA orders product 99999999999999";')
    assert typo.endswith("? (g2a-harness steps --grep WORD lists the catalogue)")


def test_the_command_lists_the_unknown_steps_and_fails(tmp_path: Path) -> None:
    path = _write(tmp_path / "qa")

    done = harness("steps", "--check", str(path.parent))

    assert done.returncode == 1, done.stderr
    lines = done.stdout.splitlines()
    assert [line.split(": unknown step")[0] for line in lines[:3]] == [
        f"{path}:7",
        f"{path}:17",
        f"{path}:18",
    ]
    assert lines[-1] == "12 steps in 3 scenarios: 3 unknown"


def test_the_repository_s_features_are_all_known() -> None:
    done = harness("steps", "--check", "features")

    assert done.returncode == 0, done.stdout
    assert done.stdout.rstrip().endswith("scenarios: all known")


def test_nothing_to_check_or_a_missing_path_is_not_a_pass(tmp_path: Path) -> None:
    empty = harness("steps", "--check", str(tmp_path))
    assert empty.returncode == 1
    assert "nothing was checked" in empty.stdout

    missing = harness("steps", "--check", str(tmp_path / "nowhere"))
    assert missing.returncode == 2
    assert "no such feature file or folder" in missing.stderr
    assert str(ROOT) not in missing.stderr


BROKEN = {
    "syntax.feature": "@twin\nFeature: Broken\n  Scenario: A line without a keyword\n"
    "    Given the adapter is connected to the target\n    Whatever this line is\n",
    "empty.feature": "# a comment and nothing else\n",
    "latin1.feature": "Feature: Caf\xe9\n",  # written as Latin-1 below: not UTF-8
}


def _write_broken(folder: Path) -> Path:
    folder.mkdir()
    for name, text in BROKEN.items():
        encoding = "latin-1" if name == "latin1.feature" else "utf-8"
        (folder / name).write_text(text, encoding=encoding)
    return folder


def expected_problems(folder: Path) -> list[str]:
    return [
        f"{folder / 'empty.feature'}: not valid Gherkin: no `Feature:` line",
        f"{folder / 'latin1.feature'}: not valid Gherkin: the file is not UTF-8 text",
        f"{folder / 'syntax.feature'}:5: not valid Gherkin: Unexpected token found. Check "
        "Gherkin syntax near the reported error. (Whatever this line is)",
    ]


def test_a_file_that_is_not_gherkin_is_named_with_its_line_not_a_traceback(
    tmp_path: Path,
) -> None:
    folder = _write_broken(tmp_path / "qa")

    assert list(check_features([folder]).invalid) == expected_problems(folder)
    done = harness("steps", "--check", str(folder))
    assert (done.returncode, done.stdout.splitlines(), done.stderr) == (
        1,
        expected_problems(folder),
        "",
    )


def test_a_run_with_a_file_that_is_not_gherkin_stops_before_anything_runs(
    tmp_path: Path,
) -> None:
    folder = _write_broken(tmp_path / "qa")
    reports = tmp_path / "reports"

    done = harness("run", "--features", str(folder), "--report-dir", str(reports))

    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        *expected_problems(folder),
        "g2a-harness run: 3 feature file(s) cannot run as written; nothing ran",
    ]
    assert not reports.exists()


UNRUNNABLE = {
    "no step": (
        "@twin\nFeature: Quiet\n  Scenario: A step without its keyword\n"
        "    the adapter is connected to the target\n",
        ":3: scenario 'A step without its keyword' has no step (does each step line start "
        "with Given, When, Then, And or But?)",
    ),
    "a name twice": (
        "@twin\nFeature: Twice\n  Scenario: Order a product\n"
        "    Given the adapter is connected to the target\n"
        "  Scenario: Order a product\n    Given the adapter is connected to the target\n",
        ":5: scenario 'Order a product' is named twice: only one would run",
    ),
}


@pytest.mark.parametrize(("text", "problem"), UNRUNNABLE.values(), ids=UNRUNNABLE.keys())
def test_a_scenario_that_would_check_nothing_or_be_hidden_is_refused(
    tmp_path: Path, text: str, problem: str
) -> None:
    path = tmp_path / "qa.feature"
    path.write_text(text, encoding="utf-8")

    assert check_features([path]).invalid == (f"{path}{problem}",)
