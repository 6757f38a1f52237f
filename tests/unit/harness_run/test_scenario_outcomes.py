"""What a QA scenario's run says (one run, many cases): a failed expectation reads "expected …,
got …"; a scenario needs no connect step; an adapter set-up step after a first call applies;
the report lists a scenario under the items of every tag it runs with."""

from __future__ import annotations

import json
from pathlib import Path
from subprocess import CompletedProcess

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

  Scenario: A price above its bound
    Given product 10000068865001 costs 12.50 EUR
    Then product 10000068865001 costs at most 10 EUR

  Scenario: A stock below its bound
    Given product 10000068865001 has 5 keys in stock
    Then product 10000068865001 has at least 6 keys in stock

  Scenario: A price and a stock within their bounds
    Given product 10000068865001 costs 12.50 EUR
    And product 10000068865001 has 1 keys in stock
    Then product 10000068865001 costs exactly 12.50 EUR
    And product 10000068865001 costs at least 12 EUR
    And product 10000068865001 has exactly 1 key in stock
    And product 10000068865001 has at most 1 key in stock

  Scenario: A bound check between an order and its Then
    Given product 10000068865001 has 5 keys in stock
    When QA orders product 10000068865001
    Then product 10000068865001 has at most 5 keys in stock
    And an order id made of digits is returned with a price in EUR

  Scenario: A bound check between a refused order and its Then
    Given product 10000068865001 is out of stock
    When QA orders product 10000068865001
    Then product 10000068865001 has exactly 0 keys in stock
    And the call fails with a G2A API error with code ORD07

  Scenario: A price bound closer than its digits show
    Given product 10000068865001 costs 12.50 EUR
    Then product 10000068865001 costs exactly 12.5000001 EUR

  Scenario: A price bound with many digits
    Given product 10000068865001 costs 1234567.89 EUR
    Then product 10000068865001 costs exactly 1234567.8 EUR

  Scenario: A stock bound of one key
    Given product 10000068865001 has 3 keys in stock
    Then product 10000068865001 has exactly 1 key in stock

  Scenario: A bound check of a product that is not served
    Then product 99999999999999 costs at most 50 EUR

  Scenario: An order price with many digits
    Given product 10000068865001 costs 1234567.89 EUR
    When QA orders product 10000068865001
    Then the order costs 1234567.8 EUR
"""
PASSING = (
    "An adapter call without the connect step",
    "A twin step without the connect step",
    "A timeout set after a first call",
    "A price and a stock within their bounds",
    "A bound check between an order and its Then",
    "A bound check between a refused order and its Then",
)
FAILING = {
    "A wrong price": "expected the order to cost 13 EUR, got 12.5 EUR",
    "A wrong order count": 'expected 2 orders in status "new", got 1',
    "A wrong order status": 'expected 1 order in status "paid", got 0 (all orders: new)',
    "A wrong stock": "expected 6 keys of product 10000068865001, got ",
    "A wrong status": 'expected status "paid", got "new"',
    "A wrong request count": "expected 2 product list requests, got 1",
    "A wrong retry count": "expected 3 retries, got 0",
    "A price above its bound": "expected product 10000068865001 to cost at most 10 EUR, got "
    "12.5 EUR",
    "A stock below its bound": "expected product 10000068865001 to have at least 6 keys in "
    "stock, got 5",
}


def run_as_qa(root: Path, feature: str, tag: str) -> tuple[CompletedProcess[str], Path]:
    """`g2a-harness run --tags TAG` of `feature`, a QA team's file in `root`/team: the run and
    its reports folder."""
    (root / "team").mkdir()
    (root / "team" / "qa.feature").write_text(feature, encoding="utf-8")
    reports = root / "reports"
    done = harness(
        "run", "--tags", tag, "--features", str(root / "team"), "--report-dir", str(reports)
    )
    return done, reports


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, str]]:
    done, reports = run_as_qa(tmp_path_factory.mktemp("outcomes"), FEATURE, "qa-outcomes")
    assert (reports / "results.jsonl").exists(), done.stdout + done.stderr
    lines = (reports / "results.jsonl").read_text(encoding="utf-8").splitlines()
    tests = [e for e in map(json.loads, lines) if e["event"] == "test"]
    return {t["name"].split(": ", 1)[1]: t for t in tests}


# A price or stock bound check: the whole message, numbers as the step and the product say them.
BOUNDS_FAILING = {
    "A price bound closer than its digits show": "expected product 10000068865001 to cost "
    "exactly 12.5000001 EUR, got 12.5 EUR",
    "A price bound with many digits": "expected product 10000068865001 to cost exactly "
    "1234567.8 EUR, got 1234567.89 EUR",
    "A stock bound of one key": "expected product 10000068865001 to have exactly 1 key in "
    "stock, got 3",
    # looked up through the adapter (`World.check`), on the twin too
    "A bound check of a product that is not served": "cannot look up product 99999999999999: "
    "NotFoundError: product 99999999999999 is not in the catalog",
}


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


@pytest.mark.parametrize(("scenario", "message"), BOUNDS_FAILING.items(), ids=BOUNDS_FAILING.keys())
def test_a_failed_bound_check_says_the_bound_as_written_and_what_the_product_has(
    outcomes: dict[str, dict[str, str]], scenario: str, message: str
) -> None:
    assert (outcomes[scenario]["outcome"], outcomes[scenario]["message"]) == ("failed", message)


def test_an_order_price_shows_every_digit(outcomes: dict[str, dict[str, str]]) -> None:
    outcome = outcomes["An order price with many digits"]
    assert outcome["outcome"] == "failed", outcome
    assert outcome["message"].startswith(
        "expected the order to cost 1234567.8 EUR, got 1234567.89 EUR (order "
    ), outcome["message"]


# A `chk-` tag on a Rule or an Examples table proves its item in the report as in the verdict.
RULE_AND_EXAMPLES = """\
@qa-rule @twin
Feature: QA tags on a Rule and on Examples

  @chk-test-int-products
  Rule: Products are listed

    Scenario: The first page lists products
      When QA lists the first page of products
      Then the page holds between 1 and 20 products

  Rule: Products are looked up

    Scenario Outline: One product by its id
      When QA looks up product <id>
      Then product <id> is returned with its name and price

      @chk-test-int-products
      Examples:
        | id             |
        | 10000027819004 |
"""


def test_the_report_lists_a_rule_s_and_an_examples_table_s_scenarios_under_their_item(
    tmp_path: Path,
) -> None:
    done, reports = run_as_qa(tmp_path, RULE_AND_EXAMPLES, "@qa-rule")

    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads((reports / "checklist.json").read_text(encoding="utf-8"))
    (item,) = [i for i in report["items"] if i["id"] == "test-int-products"]
    assert item["status"] == "passed"
    assert [s["name"] for s in item["scenarios"]] == [
        "The first page lists products",
        "One product by its id [10000027819004]",
    ]
    assert all("chk-test-int-products" in s["tags"] for s in item["scenarios"])
    assert report["other_scenarios"] == []
