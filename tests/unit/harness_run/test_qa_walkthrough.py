"""What QA's walkthrough found (one run of the steps, many cases): a check passes only when what
it says holds, and a failed check says what it expected and what it got, in a plain sentence.

The scenarios run through the real plugin (pytest with `tests/bdd`, as `g2a-harness run` runs
them) against the embedded twin and receiver.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from qa_support import harness, scenario_outcomes

from harness.bdd.check import check_features

FEATURE = """\
@qa-walk @twin
Feature: QA walkthrough
  Scenario: A redelivery answered duplicate
    Given the receiver is subscribed to the twin's order events
    And QA has ordered product 10000027819004
    When the twin announces that the order was paid
    And the twin delivers the same event again with a fresh signature
    Then the receiver answered the redelivery with "duplicate"

  Scenario: A redelivery said processed
    Given the receiver is subscribed to the twin's order events
    And QA has ordered product 10000027819004
    When the twin announces that the order was paid
    And the twin delivers the same event again with a fresh signature
    Then the receiver answered the redelivery with "processed"

  Scenario: A redelivery that never happened
    Given the twin delivers every webhook 2 times
    And the receiver is subscribed to the twin's order events
    And QA has ordered product 10000027819004
    When QA pays the order
    Then the receiver answered the redelivery with "duplicate"

  Scenario: A delivery answered wrong
    Given the receiver is subscribed to the twin's order events
    And QA has ordered product 10000027819004
    When the twin announces that the order was paid
    Then the receiver answered the delivery with "duplicate"

  Scenario: A delivery the twin sends three times
    Given the twin delivers every webhook 3 times
    And the receiver is subscribed to the twin's order events
    And QA has ordered product 10000027819004
    When the twin announces that the order was paid
    Then the receiver answered the delivery with "processed"

  Scenario: A refused delivery said processed
    Given the receiver is subscribed to the twin's order events
    And QA has ordered product 10000027819004
    When a delivery for the order arrives with a signature made with another secret
    Then the receiver answers it with "processed"

  Scenario: An empty page of complete products
    When QA lists products with a minimum quantity of 1000000
    Then every product has an id, a name, a stock quantity and a price

  Scenario: Retries allowed by the loaded settings
    Given an environment with the published sandbox credentials
    When the adapter loads its settings
    Then the settings allow at most 2 retries

  Scenario: Retries allowed, wrong number
    Given an environment with the published sandbox credentials
    When the adapter loads its settings
    Then the settings allow at most 3 retries

  Scenario: Retries allowed without loading settings
    When QA lists the first page of products
    Then the settings allow at most 2 retries

  Scenario: Orders counted per status
    Given QA has ordered product 10000027819004
    When QA pays the order
    And QA orders product 10000068865001
    Then the twin holds 1 order in status "new"
    And the twin holds 1 order in status "complete"
    And the twin holds 2 orders

  Scenario: Orders in a status, wrong count
    Given QA has ordered product 10000027819004
    When QA pays the order
    And QA orders product 10000068865001
    Then the twin holds 2 orders in status "new"

  Scenario: The original order when there is none
    Given the seller stocks 3 keys of product 10000027819004
    And G2A holds a token from the seller
    When G2A reserves 2 units of product 10000027819004
    Then the seller answers with the original order and its keys

  Scenario: Wrong distinct products
    Given the twin's catalogue holds 45 products
    When QA walks through every product, out-of-stock ones included
    Then 44 distinct products are seen

  Scenario: Resumed when not
    Given the adapter keeps purchase progress in an idempotency store
    When QA purchases product 10000068865001 with idempotency key "b-1"
    And QA purchases product 10000068865001 with idempotency key "b-2"
    Then the second purchase says it was resumed

  Scenario: Both purchases the same when not
    Given the adapter keeps purchase progress in an idempotency store
    When QA purchases product 10000068865001 with idempotency key "a-1"
    And QA purchases product 10000068865001 with idempotency key "a-2"
    Then both purchases return the same order and key

  Scenario: No request when there was one
    When QA orders product 10000068865001
    Then the twin received no request for order

  Scenario: An order request in another currency
    When QA orders product 10000068865001
    Then the twin received 1 order request for product "10000068865001" in "USD"

  Scenario: Wrong log statuses
    When QA lists the first page of products
    Then the log records show the statuses "503, 200" in that order

  Scenario: Wrong call log line count
    When QA lists the first page of products
    Then 9 call log lines were written

  Scenario: The same token from one token
    When the adapter asks for an access token
    Then the same token is returned each time

  Scenario: A purchase within its maximum price
    Given the adapter keeps purchase progress in an idempotency store
    And product 10000068865001 costs 12.50 EUR
    When QA purchases product 10000068865001 for at most 13 EUR with idempotency key "max-1"
    Then the purchase returns a key for a new order

  Scenario: A purchase above its maximum price
    Given the adapter keeps purchase progress in an idempotency store
    And product 10000068865001 costs 12.50 EUR
    When QA purchases product 10000068865001 for at most 12 EUR with idempotency key "max-2"
    Then the call fails because the price is above the maximum
    And the twin holds 0 orders
    And the twin received no request for payment

  Scenario: An order above its maximum price
    Given product 10000068865001 costs 12.50 EUR
    When QA orders product 10000068865001 for at most 12.49 EUR
    Then the call fails because the price is above the maximum

  Scenario: An order within its maximum price is not refused
    Given product 10000068865001 costs 12.50 EUR
    When QA orders product 10000068865001 for at most 12.50 EUR
    Then the call fails because the price is above the maximum

  Scenario: An order in a currency
    Given product 10000068865001 costs 10 EUR
    When QA orders product 10000068865001 in USD
    Then an order id made of digits is returned with a price in USD
    And the order costs 10.80 USD
    And the twin received 1 order request for product "10000068865001" in "USD"

  Scenario: The completion of an order is announced
    Given the receiver is subscribed to the twin's order events
    And QA has ordered product 10000027819004
    When the twin announces that the order was completed
    Then the receiver answered the delivery with "processed"
    And the receiver counted 1 processed "order.complete" event
    And the receiver counted 0 processed "order.paid" events
"""
PASSING = (
    "A redelivery answered duplicate",
    "Retries allowed by the loaded settings",
    "Orders counted per status",
    "A purchase within its maximum price",
    "A purchase above its maximum price",
    "An order above its maximum price",
    "An order in a currency",
    "The completion of an order is announced",
)
FAILING = {
    "A redelivery said processed": "expected the receiver to answer the redelivery with "
    '"processed", got "duplicate"',
    "A redelivery that never happened": "no redelivery happened in this scenario",
    "A delivery answered wrong": 'expected the receiver to answer the delivery with "duplicate", '
    'got "processed"',
    # found by a QA walkthrough: it read `got "duplicate" and "duplicate" and "processed"`,
    # as if the one delivery had been answered three ways
    "A delivery the twin sends three times": "expected the receiver to answer the delivery with "
    '"processed", got 3 answers, one for each delivery of the event (2 "duplicate" and 1 '
    '"processed"): this step reads a single delivery; count several with: Then the receiver '
    'counted 1 processed "order.paid" event',
    "A refused delivery said processed": 'expected the receiver to answer "processed" with HTTP '
    "200, got HTTP 401",
    "An empty page of complete products": "expected at least one product on the page, got none",
    "Retries allowed, wrong number": "expected the settings to allow at most 3 retries, got 2",
    "Retries allowed without loading settings": "no settings were loaded in this scenario",
    "Orders in a status, wrong count": 'expected 2 orders in status "new", got 1',
    "The original order when there is none": 'no order by G2A in this scenario: "When G2A '
    'orders the reservation" makes one',
    "Wrong distinct products": "expected 44 distinct products, got 45",
    "Resumed when not": "expected the second purchase to be resumed, got a new order",
    "Both purchases the same when not": "expected both purchases to return the same order and "
    "key, got orders ",
    "No request when there was one": "expected no order request, got 1",
    "An order request in another currency": "expected 1 order request(s) for product "
    '"10000068865001" in "USD", got 1 in "EUR"',
    "Wrong log statuses": 'expected the statuses "503, 200" in that order, got "200"',
    "Wrong call log line count": "expected 9 call log lines, got 1",
    "The same token from one token": "expected at least 2 tokens to compare, got 1",
    "An order within its maximum price is not refused": "expected the call to fail because the "
    "price is above the maximum, but it succeeded",
}


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, str]]:
    return scenario_outcomes(tmp_path_factory.mktemp("walkthrough"), FEATURE, "qa-walk")


@pytest.mark.parametrize("scenario", PASSING)
def test_a_check_that_holds_passes(outcomes: dict[str, dict[str, str]], scenario: str) -> None:
    assert outcomes[scenario]["outcome"] == "passed", outcomes[scenario]


@pytest.mark.parametrize(("scenario", "message"), FAILING.items(), ids=FAILING.keys())
def test_a_check_that_does_not_hold_fails_saying_what_was_expected_and_what_came(
    outcomes: dict[str, dict[str, str]], scenario: str, message: str
) -> None:
    outcome = outcomes[scenario]
    assert outcome["outcome"] == "failed", outcome
    assert outcome["message"].startswith(message), outcome["message"]


def test_a_page_with_an_unreadable_product_is_not_complete() -> None:
    from g2a_adapter import ProductPage
    from harness.bdd.steps.client import products_complete
    from harness.bdd.world import World

    good = {"id": "10000027819004", "name": "A game", "qty": 3, "minPrice": 9.5}
    page = ProductPage.model_validate(
        {"total": 2, "page": 1, "docs": [good, {**good, "id": "10000068865001", "qty": "many"}]}
    )
    world = World(target=None, metrics=None, logs=None)  # type: ignore[arg-type]
    world.attempt(lambda: page)

    with pytest.raises(AssertionError) as refused:
        products_complete(world)

    assert str(refused.value) == (
        "expected every product on the page to be readable, got 1 unreadable: 10000068865001"
    )


MISSPELLED = """\
@twin
Feature: Misspelled values
  Background:
    Given the receiver is subscribed to the twin's order events
    And QA has ordered product 10000027819004

  Scenario: A misspelled event type
    When the twin announces that the order was paid
    Then the receiver counted 0 processed "order.payd" events

  Scenario: A misspelled reason
    When a delivery for the order arrives with a signature made with another secret
    Then the receiver counted 0 validation failures for "bad_signatur"

  Scenario: A misspelled status
    Then the twin holds 1 order in status "nwe"
"""


def test_a_misspelled_event_type_reason_or_status_is_refused_by_the_check(tmp_path: Path) -> None:
    (tmp_path / "qa").mkdir()
    path = tmp_path / "qa" / "misspelled.feature"
    path.write_text(MISSPELLED, encoding="utf-8")

    result = check_features([path.parent])

    messages = [m.split("; did you mean ")[0] for m in result.messages()]
    assert messages[0].startswith(
        f'{path}:9: step "Then the receiver counted 0 processed "order.payd" events": '
        '"order.payd" is not an event type the step knows (did you mean "order.paid"?); an event '
        'type is one of "order.paid", "order.complete"'
    ), messages[0]
    assert messages[1].startswith(
        f'{path}:13: step "Then the receiver counted 0 validation failures for "bad_signatur"": '
        '"bad_signatur" is not a rejection reason the step knows (did you mean "bad_signature"?); '
        'a rejection reason is one of "missing_header", '
    ), messages[1]
    assert messages[2] == (
        f'{path}:16: step "Then the twin holds 1 order in status "nwe"": "nwe" is not an order '
        'status the step knows; an order status is one of "new", "paid", "complete"'
    )
    assert len(messages) == 3


def test_the_old_retry_wording_points_to_the_settings_step(tmp_path: Path) -> None:
    (tmp_path / "qa").mkdir()
    path = tmp_path / "qa" / "retries.feature"
    path.write_text(
        "@twin\nFeature: Retries\n  Scenario: Old wording\n"
        "    When the adapter loads its settings\n"
        "    Then a failed call is retried at most 2 times\n",
        encoding="utf-8",
    )

    (message,) = check_features([path.parent]).messages()

    assert message.startswith(
        f'{path}:5: unknown step "Then a failed call is retried at most 2 times"; did you mean '
    ), message
    assert '"Then the settings allow at most 2 retries"' in message


# --- the run command's messages (finding 8) ----------------------------------------------------
def test_features_naming_a_file_says_it_takes_a_folder(tmp_path: Path) -> None:
    path = tmp_path / "keys.feature"
    path.write_text("@twin\nFeature: x\n  Scenario: y\n    Then the call succeeds\n")

    done = harness("run", "--features", str(path), "--report-dir", str(tmp_path / "r"))

    assert done.returncode == 2
    assert done.stderr.strip() == (
        f"g2a-harness run: --features takes a folder, not a file: {path} "
        f"(name its folder: --features {tmp_path})"
    )


def test_features_naming_no_folder_says_so_in_one_line(tmp_path: Path) -> None:
    """Found by a QA walkthrough (`--features qa-feature`, one letter short): the run said
    "pytest could not list its marks: no features folder at …", as if pytest had failed."""
    done = harness("run", "--features", "qa-feature", "--report-dir", str(tmp_path / "r"))

    assert done.returncode == 2
    assert done.stderr.strip() == (
        "g2a-harness run: --features takes a folder, and there is none at qa-feature"
    )


def test_a_selection_the_target_does_not_allow_says_so(tmp_path: Path) -> None:
    (tmp_path / "qa").mkdir()
    (tmp_path / "qa" / "sandbox.feature").write_text(
        "@qa-sbx @sandbox\nFeature: Sandbox only\n  Scenario: A sandbox read\n"
        "    When QA lists the first page of products\n"
        "    Then the page holds between 1 and 20 products\n",
        encoding="utf-8",
    )

    done = harness(
        "run", "--tags", "@qa-sbx", "--features", str(tmp_path / "qa"),
        "--report-dir", str(tmp_path / "r"),
    )  # fmt: skip

    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1] == (
        "g2a-harness run: the selection (tags qa-sbx) matched 1 scenario, but none runs on "
        "twin (tagged for sandbox); nothing was checked"
    )


def test_the_check_names_the_examples_row_of_a_bad_value(tmp_path: Path) -> None:
    (tmp_path / "qa").mkdir()
    path = tmp_path / "qa" / "outline.feature"
    path.write_text(
        "@twin\nFeature: Prices\n  Scenario Outline: Price <price>\n"
        "    Given product 10000068865001 costs <price> EUR\n\n"
        "    Examples:\n      | price |\n      | 12.50 |\n      # a comment\n      | five  |\n",
        encoding="utf-8",
    )

    (message,) = check_features([path.parent]).messages()

    assert message.startswith(
        f'{path}:10: step "Given product 10000068865001 costs five EUR" '
        '(line 4, with the values of the Examples row at line 10): {price}: "five" is not a '
        "whole or decimal number in digits, no sign (12 or 12.50); did you mean "
    ), message
