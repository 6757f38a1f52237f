"""What a run says when a scenario's steps cannot check what they say (one run, many cases).

`g2a-harness steps --check` reports most of these before a run, and `g2a-harness run` refuses
to start with them; a run started with pytest itself must fail them too, with the same plain
message, and never pass a step that checked nothing.
"""

from __future__ import annotations

import pytest
from qa_support import scenario_outcomes

FEATURE = """\
@qa-runtime @twin
Feature: Steps that must not pass vacuously
  Background:
    Given the adapter is connected to the target

  Scenario: Success without a call
    Then the call succeeds

  Scenario: An error without a call
    Then the call fails with a G2A API error with code ORD07

  Scenario: A metrics table naming no metric
    Given the receiver is subscribed to the twin's order events
    When the operator scrapes the receiver's metrics endpoint
    Then it exposes the metrics
      | metric |

  Scenario: A metrics table without its header
    Given the receiver is subscribed to the twin's order events
    When the operator scrapes the receiver's metrics endpoint
    Then it exposes the metrics
      | g2a_definitely_not_a_metric_total |

  Scenario: A metrics step without its table
    Given the receiver is subscribed to the twin's order events
    When the operator scrapes the receiver's metrics endpoint
    Then it exposes the metrics

  Scenario: A catalogue smaller than the sandbox products
    Given the twin's catalogue holds 3 products

  Scenario: A fault outside its wording
    Given the twin fails every product list request with a timeout

  Scenario: Whole numbers
    Given product 10000068865001 costs 12 EUR
    When QA orders product 10000068865001
    Then the order costs 12 EUR

  Scenario: Waits that are not a list of numbers
    Given the twin retries an unanswered webhook after "0.1 and 0.5" seconds

  Scenario: A health check the receiver has not
    Given a receiver whose idempotency store is reachable
    When the operator asks for the health of the receiver
    Then the checks "tokn, store" are reported "ok"

  Scenario: A seller rated above G2A's scale
    Given the twin sells product 10000027819004 from sellers rated 1.5 at 10.00 EUR

  Scenario: A space that only looks plain
    When QA lists the first\u00a0page of products

  Scenario: A query name the adapter never sends
    When QA lists products with a minimum quantity of 100
    Then the twin received a product list request asking for minqty 100
"""
EXPECTED = {
    "Success without a call": "no call was made in this scenario: a When step must call the "
    "adapter first",
    "An error without a call": "no call was made in this scenario: a When step must call the "
    "adapter first",
    "A metrics table naming no metric": "the table names no metric under its `| metric |` "
    "header: nothing to check",
    "A metrics table without its header": 'qa.feature:21: step "Then it exposes the metrics" '
    "needs its table headed | metric |, not | g2a_definitely_not_a_metric_total |",
    "A metrics step without its table": 'qa.feature:27: step "Then it exposes the metrics" '
    "needs a data table under it, headed | metric |",
    "A catalogue smaller than the sandbox products": "qa.feature:30: step \"Given the twin's "
    'catalogue holds 3 products": {size}: "3" is not a whole number from 4 to 5000',
    # its bounds are the twin's: the sandbox products it always keeps, its largest catalogue
    "A fault outside its wording": 'qa.feature:33: step "Given the twin fails every product '
    'list request with a timeout": "a timeout" is not a fault the step knows; a fault is one '
    'of "HTTP <status>", "a rate limit asking to wait <seconds, a whole number from 0 to '
    '3600> s", "a connection reset", "a malformed body"',
    # a value the step parsed itself, once it ran: a ValueError, a KeyError, the twin's 400
    "Waits that are not a list of numbers": '"0.1 and 0.5" is not a list of waits the step '
    "knows; a list of waits is 1 to 10 of \"<seconds, a number from 0 to 60>\", separated by ','",
    "A health check the receiver has not": '"tokn, store" is not a health check the step '
    'knows; a health check is one or more of "store", "token", separated by \',\'',
    "A seller rated above G2A's scale": '"1.5 at 10.00 EUR" is not a list of sellers the step '
    'knows; a list of sellers is one or more of "<rating, a number from 0 to 1> at <price, a '
    "number from 0.01 to 1000000000> EUR\", separated by ',' or 'and'",
    "A space that only looks plain": "column 28: a non-breaking space (U+00A0) where a plain "
    'space is expected; retype it as "When QA lists the first page of products"',
    # refused before the step reads the twin's log, not as "expected …, got minQty=100&page=1"
    "A query name the adapter never sends": 'qa.feature:56: step "Then the twin received a '
    'product list request asking for minqty 100": "minqty" is not a query parameter the step '
    'knows (did you mean "minQty"?); a query parameter is one of "page", "id", "minQty", '
    '"minPriceFrom", "minPriceTo"; '
    'did you mean "Then the twin received a product list request asking for minQty 5"',
}


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, str]]:
    return scenario_outcomes(tmp_path_factory.mktemp("runtime"), FEATURE, "qa-runtime")


@pytest.mark.parametrize(("scenario", "message"), EXPECTED.items(), ids=EXPECTED.keys())
def test_a_step_that_cannot_check_what_it_says_fails_saying_why(
    outcomes: dict[str, dict[str, str]], scenario: str, message: str
) -> None:
    outcome = outcomes[scenario]
    assert outcome["outcome"] == "failed", outcome
    assert message in outcome["message"], outcome["message"]


def test_whole_numbers_are_numbers(outcomes: dict[str, dict[str, str]]) -> None:
    assert outcomes["Whole numbers"]["outcome"] == "passed", outcomes["Whole numbers"]
