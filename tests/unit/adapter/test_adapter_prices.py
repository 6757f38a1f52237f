"""Prices are `Decimal`s: what G2A wrote, equal to the receiver's webhook amounts (a float's
6.55 is not `Decimal("6.55")`), sent as the JSON number or query text asked for, and kept in a
purchase's record as the JSON number it was."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import httpx
import pytest
from test_adapter_edge_cases import (
    ORDER_ID,
    PRODUCT_ID,
    SETTINGS,
    Recorder,
    answer,
    sync_client,
    token_or,
)

from g2a_adapter import G2AClient, RequestValidationError
from g2a_adapter.idempotency import MemoryStore
from g2a_adapter.receiver import WebhookVerifier
from g2a_adapter.wire import signed_webhook_headers

PRICE = 6.55  # a price no float holds exactly
CREATED = {"order_id": ORDER_ID, "price": PRICE, "currency": "EUR"}
PRODUCT = {"id": PRODUCT_ID, "name": "G", "qty": 3, "minPrice": PRICE}
PAGE = {"total": 1, "page": 1, "docs": [PRODUCT]}
KEY = "cart-1"


def g2a(request: httpx.Request) -> httpx.Response:
    path = request.url.path
    if path == "/v1/products":
        return answer(PAGE)
    if path == "/v1/order":
        return answer(CREATED)
    if path.startswith("/v1/order/pay/"):
        return answer({"status": True, "transaction_id": "t-1"})
    if path.startswith("/v1/order/details/"):
        return answer({"status": "complete", "price": PRICE, "currency": "EUR"})
    return answer({"key": "KEY-1"})


def webhook_amount() -> Decimal:
    """The same order's amount as the receiver reads it from a signed webhook."""
    data = {"order_id": ORDER_ID, "product_id": PRODUCT_ID, "price": PRICE, "currency": "EUR"}
    event = {"event_id": "evt-1", "type": "order.paid", "created_at": "2026-12-07T10:00:00Z"}
    body = json.dumps({**event, "data": data}).encode()
    headers = signed_webhook_headers(["whsec-test"], body, event_id="evt-1")
    verifier = WebhookVerifier(["whsec-test"], MemoryStore())
    return verifier.verify(headers, body).data.price


def test_every_price_the_client_reads_is_the_decimal_g2a_wrote() -> None:
    with sync_client(g2a) as client:
        prices = {
            "product": client.products.get(PRODUCT_ID).min_price,
            "listed": client.products.list().docs[0].min_price,
            "created": client.orders.create(PRODUCT_ID).price,
            "details": client.orders.details(ORDER_ID).price,
        }
    assert prices == dict.fromkeys(prices, Decimal("6.55"))
    assert all(type(price) is Decimal for price in prices.values())


def test_a_purchase_price_equals_the_webhook_amount_of_its_order() -> None:
    store = MemoryStore()
    with G2AClient(SETTINGS, transport=httpx.MockTransport(g2a), store=store) as client:
        bought = client.orders.purchase(PRODUCT_ID, idempotency_key=KEY, poll_interval=0)
        replayed = client.orders.purchase(PRODUCT_ID, idempotency_key=KEY, poll_interval=0)
    assert bought.price == replayed.price == webhook_amount() == Decimal("6.55")
    assert replayed.resumed is True
    record = store.get(KEY)
    assert record is not None
    assert record.result is not None
    assert record.result["price"] == PRICE  # stored as the JSON number, as before


@pytest.mark.parametrize(
    ("max_price", "sent"),
    [(Decimal("9.99"), "9.99"), (9.99, "9.99"), (10, "10.0"), (Decimal("12.50"), "12.5")],
)
def test_max_price_is_sent_as_the_json_number_asked_for(max_price: Any, sent: str) -> None:
    api = Recorder(token_or(g2a))
    with sync_client(api) as client:
        client.orders.create(PRODUCT_ID, max_price=max_price)
    assert f'"max_price":{sent}' in api.requests[-1].content.decode().replace(" ", "")


def test_a_max_price_no_json_number_carries_is_refused_before_sending() -> None:
    api = Recorder(token_or(g2a))
    with sync_client(api) as client, pytest.raises(RequestValidationError) as refused:
        client.orders.create(PRODUCT_ID, max_price=Decimal("9.99000000000000001"))
    assert str(refused.value) == (
        "invalid order: max_price: Value error, 9.99000000000000001 has more digits than a JSON "
        "number carries"
    )
    assert api.requests == []


@pytest.mark.parametrize(
    ("bound", "sent"),
    [
        (Decimal("9.90"), "9.9"),
        (Decimal("1E+1"), "10"),
        (10.0, "10"),
        (0.1, "0.1"),
        (Decimal("0.000001"), "0.000001"),
    ],
)
def test_price_filters_are_sent_as_written(bound: Any, sent: str) -> None:
    api = Recorder(g2a)
    with sync_client(api) as client:
        client.products.list(min_price_from=bound, min_price_to=bound)
    params = api.requests[-1].url.params
    assert (params["minPriceFrom"], params["minPriceTo"]) == (sent, sent)


def test_a_price_the_client_read_can_be_written_back_in_an_offer() -> None:
    """An offer body is the caller's dict: a `Decimal` in it (a product's price, say) is sent as
    the JSON number it is."""
    api = Recorder(token_or(lambda request: answer({"data": {"jobId": "j-1"}})))
    with sync_client(api) as client:
        client.offers.update("55", {"price": Decimal("6.55") + 1, "visibility": "all"})
    assert api.requests[-1].content == b'{"price": 7.55, "visibility": "all"}'
