"""A read-only check (`Then product … costs at most … EUR`, `… has at least … keys in stock`,
`Then the order's status is …`) reads on the side: on the twin through its admin surface, so
it neither fires a fault nor spends the rate limit a Given step set for the scenario's call,
elsewhere with a client of its own. The metrics, log and request-count steps after it count
only the scenario's own calls, as if the check had not run."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from qa_support import scenario_outcomes

from g2a_adapter import Metrics
from g2a_adapter.client import Product
from harness.bdd.fixtures import ADAPTER_LOGGER
from harness.bdd.world import LogCapture, World
from harness.targets import Target
from harness.twin.admin import TwinAdmin
from harness.twin.credentials import SANDBOX_API_HASH, SANDBOX_API_KEY
from harness.twin.server import running_twin

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

  Scenario: A fault set before the checks is left to the call
    Given the twin refuses the next product list request with HTTP 400 and code BR02
    {CHECKS[0]}
    {CHECKS[1]}
    When QA lists the first page of products
    Then the call fails with a G2A API error with code BR02
    And the twin received 1 product list request

  Scenario: A rate limit set before the checks is left to the call
    Given the twin allows 1 request per second
    {CHECKS[0]}
    {CHECKS[1]}
    When QA lists the first page of products
    Then the page holds between 1 and 20 products
    And the retry counter shows 0 retries
    And the request counter shows 1 request with status 200

  Scenario: The order's status is read without a counted call
    When QA orders product 10000068865001
    Then the order's status is "new"
    And the request counter shows 1 request with status 200
    And 1 call log lines were written
    And the twin received no request for order details
"""


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, str]]:
    folder: Path = tmp_path_factory.mktemp("checks")
    return scenario_outcomes(folder, FEATURE, "qa-checks")


@pytest.mark.parametrize(
    "name",
    [
        "Counts after the checks",
        "Counts of a call made after the checks",
        "A fault set before the checks is left to the call",
        "A rate limit set before the checks is left to the call",
        "The order's status is read without a counted call",
    ],
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


def test_without_a_twin_a_check_reads_the_target_on_a_client_of_its_own() -> None:
    """The sandbox and live have no admin surface: the check asks the target through the
    adapter, as the scenario would, and still leaves the scenario's metrics and logs alone."""
    capture, adapter_logs = LogCapture(), logging.getLogger(ADAPTER_LOGGER)

    def on_twin(admin: TwinAdmin) -> Product:
        raise AssertionError("a target without a twin has no admin surface to read")

    level = adapter_logs.level
    adapter_logs.addHandler(capture)
    adapter_logs.setLevel(logging.DEBUG)
    try:
        with running_twin() as twin:  # standing in for the sandbox: reached over its API only
            target = Target(
                "sandbox", "sandbox", twin.export_url, SANDBOX_API_HASH, SANDBOX_API_KEY
            )
            world = World(target, Metrics(), capture)
            product = world.check(lambda client: client.products.get("10000027819004"), on_twin)
            world.close()
            logged = [(r["method"], r["path"]) for r in twin.admin.requests()]
    finally:
        adapter_logs.removeHandler(capture)
        adapter_logs.setLevel(level)

    assert product.id == "10000027819004"
    assert logged == [("GET", "/v1/products")]
    counted = [s for f in world.metrics.registry.collect() for s in f.samples]
    assert [s for s in counted if s.name == "g2a_requests_total"] == []
    assert capture.records == []
