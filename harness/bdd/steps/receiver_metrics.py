"""Steps: the receiver's `/metrics`, as the operator's Prometheus scrapes it.

The receiver is the twin's subscriber (`Given the receiver is subscribed to the twin's order
events`), so these steps run on the twin only.
"""

from __future__ import annotations

import re

import httpx
from pytest_bdd import then, when

from harness.bdd.steps.webhooks import subscribed_receiver
from harness.bdd.world import World

TARGETS = ("twin",)


@when("the operator scrapes the receiver's metrics endpoint")
def scrape_receiver(g2a_world: World) -> None:
    """Request the receiver's /metrics endpoint.

    Example: the operator scrapes the receiver's metrics endpoint
    """
    receiver = subscribed_receiver(g2a_world)
    g2a_world.attempt(lambda: g2a_world.client().products.list())
    g2a_world.expect_success()
    response = httpx.get(f"{receiver.base_url}/metrics", timeout=5.0)
    g2a_world.notes["scrape"] = response


@then("it exposes the metrics")
def exposes_metrics(g2a_world: World, datatable: list[list[str]]) -> None:
    """The metrics answer declares every metric family named in the table under the step.

    Example: it exposes the metrics
        | metric                           |
        | g2a_webhook_events_total         |
    """
    response: httpx.Response = g2a_world.noted(
        "scrape",
        "scrape happened",
        '"When the operator scrapes the receiver\'s metrics endpoint" makes one',
    )
    assert response.status_code == 200, (
        f"expected the metrics with HTTP 200, got HTTP {response.status_code}"
    )
    kind = response.headers.get("content-type", "")
    assert kind.startswith("text/plain"), f"expected text/plain metrics, got {kind!r}"
    names = [row[0] for row in datatable[1:]]  # under the `| metric |` header (checked)
    assert names, "the table names no metric under its `| metric |` header: nothing to check"
    declared = set(re.findall(r"^# TYPE (\w+) ", response.text, flags=re.MULTILINE))
    for name in names:
        assert {name, name.removesuffix("_total")} & declared, (
            f"expected the metric {name} exposed, got no such metric"
        )
    # the adapter's own registry is fed by real traffic, in the same exposition format
    adapter = g2a_world.metrics.exposition().decode()
    assert 'g2a_requests_total{method="GET"' in adapter, (
        "expected the adapter's metrics to count the GET request, got no count"
    )
