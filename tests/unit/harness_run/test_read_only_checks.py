"""A read-only check (`Then product … costs at most … EUR`, `… has at least … keys in stock`)
looks the product up with a client of its own: the metrics, log and request-count steps after
it count only the scenario's own calls, as if the check had not run."""

from __future__ import annotations

from pathlib import Path

import pytest
from qa_support import scenario_outcomes

CHECKS = (
    "Then product 10000027819004 costs at most 50 EUR",
    "And product 10000027819004 has at least 1 key in stock",
)
FEATURE = f"""\
@qa-checks @twin
Feature: Read-only checks
  Scenario: Counts after the checks
    When QA lists the first page of products
    {CHECKS[0]}
    {CHECKS[1]}
    And the request counter shows 1 request with status 200
    And the latency histogram holds 1 product list request
    And 1 request log records were written
    And 1 call log lines were written
    And the twin received 1 product list request

  Scenario: Counts of a call made after the checks
    {CHECKS[0]}
    {CHECKS[1]}
    When QA orders product 10000068865001
    Then the request counter shows 1 request with status 200
    And 1 call log lines were written
    And the twin received no request for product list

  Scenario: A duration read after the checks alone
    {CHECKS[0]}
    And that request took at least 0.3 seconds
"""


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, str]]:
    folder: Path = tmp_path_factory.mktemp("checks")
    return scenario_outcomes(folder, FEATURE, "qa-checks")


@pytest.mark.parametrize(
    "name", ["Counts after the checks", "Counts of a call made after the checks"]
)
def test_the_counting_steps_leave_the_checks_out(
    outcomes: dict[str, dict[str, str]], name: str
) -> None:
    result = outcomes[name]
    assert (result["outcome"], result["step"], result["message"]) == ("passed", "", "")


def test_a_duration_read_after_the_checks_alone_names_the_step_to_add(
    outcomes: dict[str, dict[str, str]],
) -> None:
    result = outcomes["A duration read after the checks alone"]
    assert (result["outcome"], result["step"], result["message"]) == (
        "failed",
        "And that request took at least 0.3 seconds",
        'no product list request was made in this scenario: "When QA lists the first page of '
        'products" makes one',
    )
