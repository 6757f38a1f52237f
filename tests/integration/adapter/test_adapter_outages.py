"""Outages that do not answer in G2A's format (empty body, HTML page, truncated JSON, wrong
Content-Type, redirect), from the twin's faults, as the adapter reports them: a typed error
each, reads retried only where the status says so, writes never repeated blindly."""

from __future__ import annotations

import pytest

from g2a_adapter import (
    G2AApiError,
    G2AClient,
    G2AError,
    OutcomeUnknownError,
    ResponseFormatError,
)
from harness.twin import SANDBOX_PRODUCT_IDS, RunningTwin

PRODUCT = SANDBOX_PRODUCT_IDS[1]
RETRY_MAX = 2  # the adapter's default G2A_RETRY_MAX

# kind → (error of a read, attempts of a read, error of an order create); a create is tried once
OUTAGES: dict[str, tuple[type[G2AError], int, type[G2AError]]] = {
    "empty": (G2AApiError, 1 + RETRY_MAX, OutcomeUnknownError),  # 502: a read is retried
    "html": (G2AApiError, 1 + RETRY_MAX, OutcomeUnknownError),
    "truncated": (ResponseFormatError, 1, OutcomeUnknownError),
    "content_type": (ResponseFormatError, 1, OutcomeUnknownError),
    "redirect": (ResponseFormatError, 1, OutcomeUnknownError),
}


@pytest.mark.parametrize("kind", OUTAGES)
def test_a_read_gets_a_typed_error(client: G2AClient, twin: RunningTwin, kind: str) -> None:
    read_error, attempts, _ = OUTAGES[kind]
    twin.admin.add_fault(route="/v1/products", method="GET", kind=kind)
    with pytest.raises(G2AError) as caught:
        client.products.list()
    assert type(caught.value) is read_error
    assert len(twin.admin.requests(path="/v1/products")) == attempts
    if isinstance(caught.value, G2AApiError):
        assert (caught.value.code, caught.value.status_code) == ("HTTP502", 502)


@pytest.mark.parametrize("kind", OUTAGES)
def test_an_order_create_is_an_unknown_outcome_never_retried(
    client: G2AClient, twin: RunningTwin, kind: str
) -> None:
    _, _, write_error = OUTAGES[kind]
    twin.admin.add_fault(route="/v1/order", method="POST", kind=kind, phase="after")
    with pytest.raises(G2AError) as caught:
        client.orders.create(PRODUCT)
    assert type(caught.value) is write_error
    assert "may have taken effect" in str(caught.value)
    assert len(twin.admin.requests(path="/v1/order", method="POST")) == 1
    assert len(twin.admin.orders()) == 1  # the one order the single attempt created


def test_an_html_page_at_pay_is_resolved_through_order_details_without_paying_twice(
    client: G2AClient, twin: RunningTwin
) -> None:
    twin.admin.add_fault(route="/v1/order/pay/*", kind="html", phase="after", times=1)
    result = client.orders.purchase(PRODUCT, idempotency_key="outage-1", poll_interval=0.01)
    [order] = twin.admin.orders()
    assert (result.order_id, result.key) == (order["order_id"], order["key"])
    assert result.transaction_id is None  # the pay's answer was lost; details carry no id
    assert len(twin.admin.requests(method="PUT")) == 1  # resolved from details, not paid again
