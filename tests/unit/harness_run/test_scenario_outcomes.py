"""What a QA scenario's run says (one run, many cases): a failed expectation reads "expected …,
got …"; a scenario needs no connect step; an adapter set-up step after a first call applies."""

from __future__ import annotations

import json

import pytest
from qa_support import harness

FEATURE = """\
@qa-outcomes @twin
Feature: QA outcomes
  Scenario: An adapter call without the connect step
    When QA orders product 10000068865001
    Then the call succeeds

  Scenario: A twin step without the connect step
    Given product 10000068865001 has 5 keys in stock
    When QA orders product 10000068865001
    Then the call succeeds
    And the twin holds 1 order in status "new"

  Scenario: A timeout set after a first call
    Given the adapter is connected to the target
    When QA lists the first page of products
    Then the call succeeds
    Given the adapter times out after 300 milliseconds
    And the twin delays the next order request by 1500 milliseconds
    When QA orders product 10000068865001
    Then the call fails with an unknown outcome

  Scenario: A wrong price
    Given product 10000068865001 costs 12.50 EUR
    When QA orders product 10000068865001
    Then the order costs 13 EUR

  Scenario: A wrong order count
    When QA orders product 10000068865001
    Then the twin holds 2 orders in status "new"

  Scenario: A wrong order status
    When QA orders product 10000068865001
    Then the twin holds 1 order in status "paid"

  Scenario: A wrong stock
    Given product 10000068865001 has 5 keys in stock
    When QA orders product 10000068865001
    Then the twin still holds 6 keys of product 10000068865001

  Scenario: A wrong status
    When QA orders product 10000068865001
    Then the order's status is "paid"

  Scenario: A wrong request count
    When QA lists the first page of products
    Then the twin received 2 product list requests

  Scenario: A wrong retry count
    When QA lists the first page of products
    Then the retry counter shows 3 retries
"""
PASSING = (
    "An adapter call without the connect step",
    "A twin step without the connect step",
    "A timeout set after a first call",
)
FAILING = {
    "A wrong price": "expected the order to cost 13 EUR, got 12.5 EUR",
    "A wrong order count": 'expected 2 orders in status "new", got 1',
    "A wrong order status": 'expected 1 order in status "paid", got 0 (all orders: new)',
    "A wrong stock": "expected 6 keys of product 10000068865001, got ",
    "A wrong status": 'expected status "paid", got "new"',
    "A wrong request count": "expected 2 product list requests, got 1",
    "A wrong retry count": "expected 3 retries, got 0",
}


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, str]]:
    root = tmp_path_factory.mktemp("outcomes")
    (root / "team").mkdir()
    (root / "team" / "qa.feature").write_text(FEATURE, encoding="utf-8")
    reports = root / "reports"
    done = harness(
        "run", "--tags", "qa-outcomes", "--features", str(root / "team"),
        "--report-dir", str(reports),
    )  # fmt: skip
    assert (reports / "results.jsonl").exists(), done.stdout + done.stderr
    lines = (reports / "results.jsonl").read_text(encoding="utf-8").splitlines()
    tests = [e for e in map(json.loads, lines) if e["event"] == "test"]
    return {t["name"].split(": ", 1)[1]: t for t in tests}


@pytest.mark.parametrize("scenario", PASSING)
def test_a_scenario_connects_and_sets_up_the_adapter_when_it_needs_to(
    outcomes: dict[str, dict[str, str]], scenario: str
) -> None:
    assert outcomes[scenario]["outcome"] == "passed", outcomes[scenario]


@pytest.mark.parametrize(("scenario", "message"), FAILING.items(), ids=FAILING.keys())
def test_a_failed_expectation_says_what_was_expected_and_what_came(
    outcomes: dict[str, dict[str, str]], scenario: str, message: str
) -> None:
    outcome = outcomes[scenario]
    assert outcome["outcome"] == "failed", outcome
    assert outcome["message"].startswith(message), outcome["message"]
