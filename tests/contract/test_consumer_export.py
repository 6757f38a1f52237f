"""Consumer pacts of the Export API, driven through the real `G2AClient`.

Each test declares what the adapter sends and needs, runs the adapter against Pact's mock
server, asserts what the adapter made of the answer, and merges the interaction into
`contracts/pacts/g2a-adapter-g2a-export-api.json`.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from _consumer import ConsumerSession
from _pact_terms import (
    BAD_KEY,
    CURRENCY,
    DIGITS,
    EXPORT_AUTH,
    JSON_TYPE,
    ORDER_ID,
    PRODUCT_ID,
    UNKNOWN_PRODUCT_ID,
    UUID,
    error,
    product_page,
    text,
)
from pact import match

from g2a_adapter import AuthError, G2AApiError, RateLimitedError
from g2a_adapter.client import PAID_STATUSES, UNPAID_STATUS
from harness.contracts.verify import EXPORT_PROVIDER
from harness.twin.assumptions import ORDER_ERRORS

JSON = {"Content-Type": match.regex("application/json", regex=JSON_TYPE)}


@pytest.fixture
def export(consumer: Callable[[str], ConsumerSession]) -> ConsumerSession:
    return consumer(EXPORT_PROVIDER)


def test_products_first_page(export: ConsumerSession) -> None:
    (
        export.pact.upon_receiving("a request for the first page of products")
        .given(f"product {PRODUCT_ID} is in stock", id=PRODUCT_ID)
        .with_request("GET", "/v1/products")
        .with_header("Authorization", EXPORT_AUTH)
        .with_query_parameter("page", match.regex("1", regex=DIGITS))
        .will_respond_with(200)
        .with_headers(JSON)
        .with_body(product_page())
    )
    with export.client() as client:
        page = client.products.list(page=1)
    assert page.page == 1
    assert page.total == 1
    [product] = page.docs
    assert product.id == PRODUCT_ID
    assert product.min_price == 41.5
    assert product.qty == 120
    assert product.platform == "Origin"
    assert product.restrictions == {"pegi_violence": True}
    assert product.categories == ["Action"]


def test_product_lookup_by_id(export: ConsumerSession) -> None:
    (
        export.pact.upon_receiving("a lookup of one product by id")
        .given(f"product {PRODUCT_ID} is in stock", id=PRODUCT_ID)
        .with_request("GET", "/v1/products")
        .with_header("Authorization", EXPORT_AUTH)
        .with_query_parameter("page", "1")
        .with_query_parameter("id", match.regex(PRODUCT_ID, regex=DIGITS))
        .with_query_parameter("includeOutOfStock", "true")
        .will_respond_with(200)
        .with_headers(JSON)
        .with_body(product_page(PRODUCT_ID))
    )
    with export.client() as client:
        found = client.products.get(PRODUCT_ID)
    assert found.id == PRODUCT_ID
    assert found.name == "Star Wars Battlefront 2 (2017) Origin Key GLOBAL"


def test_create_order(export: ConsumerSession) -> None:
    (
        export.pact.upon_receiving("an order for a product in stock")
        .given(f"product {PRODUCT_ID} is in stock", id=PRODUCT_ID)
        .with_request("POST", "/v1/order")
        .with_header("Authorization", EXPORT_AUTH)
        .with_header("Content-Type", match.regex("application/json", regex=JSON_TYPE))
        .with_body(
            {
                "product_id": text(PRODUCT_ID, DIGITS),
                "currency": text("EUR", CURRENCY),
            },
            content_type="application/json",
        )
        .will_respond_with(200)
        .with_headers(JSON)
        .with_body(
            {
                "order_id": text(ORDER_ID, DIGITS),
                "price": match.number(41.5),
                "currency": text("EUR", CURRENCY),
            }
        )
    )
    with export.client() as client:
        created = client.orders.create(PRODUCT_ID)
    assert (created.order_id, created.price, created.currency) == (ORDER_ID, 41.5, "EUR")


def test_pay_order(export: ConsumerSession) -> None:
    (
        export.pact.upon_receiving("a payment of a new order")
        .given(f"order {ORDER_ID} exists", order_id=ORDER_ID)
        .with_request("PUT", match.regex(f"/v1/order/pay/{ORDER_ID}", regex=r"^/v1/order/pay/\d+$"))
        .with_header("Authorization", EXPORT_AUTH)
        .will_respond_with(200)
        .with_headers(JSON)
        .with_body(
            {
                "status": True,
                "transaction_id": text("0f4c2a8e-5b1d-4c3e-9f6a-7d8e9f0a1b2c", UUID),
            }
        )
    )
    with export.client() as client:
        paid = client.orders.pay(ORDER_ID)
    assert paid.status is True
    assert paid.transaction_id == "0f4c2a8e-5b1d-4c3e-9f6a-7d8e9f0a1b2c"
    # G2A (and the twin) refuse any body on pay (400 BR02); a pact cannot say "no body", so
    # the contract checks the bytes the adapter sent.
    [sent] = export.sent
    assert (sent.method, sent.content) == ("PUT", b"")


# A paid order's details say one of the adapter's paid words: G2A's `pending` and `complete`
# (docs/g2a-api.md §1), the twin's `paid`. A regex of any lower-case word would pass a provider
# answering `new` (unpaid) for a paid order.
PAID_WORD = r"^(paid|pending|complete)$"


def details_interaction(
    export: ConsumerSession, description: str, state: str, status: object
) -> None:
    (
        export.pact.upon_receiving(description)
        .given(state.format(order_id=ORDER_ID), order_id=ORDER_ID)
        .with_request(
            "GET", match.regex(f"/v1/order/details/{ORDER_ID}", regex=r"^/v1/order/details/\d+$")
        )
        .with_header("Authorization", EXPORT_AUTH)
        .will_respond_with(200)
        .with_headers(JSON)
        .with_body(
            {
                "status": status,
                "price": match.number(41.5),
                "currency": text("EUR", CURRENCY),
            }
        )
    )


def test_the_paid_words_are_the_adapter_s() -> None:
    assert set(PAID_WORD.strip("^$()").split("|")) == PAID_STATUSES


def test_order_details_of_a_paid_order(export: ConsumerSession) -> None:
    status = text("pending", PAID_WORD)
    details_interaction(export, "the details of a paid order", "order {order_id} is paid", status)
    with export.client() as client:
        details = client.orders.details(ORDER_ID)
    assert (details.status, details.price, details.currency) == ("pending", 41.5, "EUR")
    assert details.paid
    assert not details.unpaid


def test_order_details_of_a_complete_order(export: ConsumerSession) -> None:
    details_interaction(
        export, "the details of a complete order", "order {order_id} is complete", "complete"
    )
    with export.client() as client:
        details = client.orders.details(ORDER_ID)
    assert details.complete
    assert details.paid


def test_order_details_of_an_unpaid_order(export: ConsumerSession) -> None:
    details_interaction(
        export, "the details of an unpaid order", "order {order_id} exists", UNPAID_STATUS
    )
    with export.client() as client:
        details = client.orders.details(ORDER_ID)
    assert details.unpaid
    assert not details.paid


def test_order_key(export: ConsumerSession) -> None:
    (
        export.pact.upon_receiving("the key of a complete order")
        .given(f"order {ORDER_ID} is complete", order_id=ORDER_ID)
        .with_request("GET", match.regex(f"/v1/order/key/{ORDER_ID}", regex=r"^/v1/order/key/\d+$"))
        .with_header("Authorization", EXPORT_AUTH)
        .will_respond_with(200)
        .with_headers(JSON)
        .with_body({"key": text("EUIRCQCRRWKYWFVO", r"^\S+$")})
    )
    with export.client() as client:
        key = client.orders.key(ORDER_ID)
    assert key.key == "EUIRCQCRRWKYWFVO"
    assert "EUIRCQCRRWKYWFVO" not in repr(key)


def test_bad_credentials_are_refused(export: ConsumerSession) -> None:
    (
        export.pact.upon_receiving("a request with a wrong API key")
        .given("credentials are invalid")
        .with_request("GET", "/v1/products")
        .with_header("Authorization", f"qdaiciDiyMaTjxMt, {BAD_KEY}")
        .with_query_parameter("page", "1")
        .will_respond_with(401)
        .with_headers(JSON)
        .with_body(error("AUTH02", "Wrong Authorization header"))
    )
    with export.client(api_key=BAD_KEY) as client, pytest.raises(AuthError) as caught:
        client.products.list(page=1)
    assert BAD_KEY not in str(caught.value)


def test_unknown_product_cannot_be_ordered(export: ConsumerSession) -> None:
    unknown = ORDER_ERRORS["product_not_found"]  # assumed: read from the twin's registry
    (
        export.pact.upon_receiving("an order for a product that does not exist")
        .given(f"product {UNKNOWN_PRODUCT_ID} does not exist", id=UNKNOWN_PRODUCT_ID)
        .with_request("POST", "/v1/order")
        .with_header("Authorization", EXPORT_AUTH)
        .with_body({"product_id": UNKNOWN_PRODUCT_ID, "currency": "EUR"}, "application/json")
        .will_respond_with(unknown.status)
        .with_headers(JSON)
        .with_body(error(text(unknown.code, r"^[A-Z]+\d+$"), unknown.message))
    )
    with export.client() as client, pytest.raises(G2AApiError) as caught:
        client.orders.create(UNKNOWN_PRODUCT_ID)
    assert (caught.value.status_code, caught.value.code) == (unknown.status, unknown.code)


def test_price_above_max_is_refused(export: ConsumerSession) -> None:
    dear = ORDER_ERRORS["price_exceeded"]  # assumed: read from the twin's registry
    (
        export.pact.upon_receiving("an order whose price is above max_price")
        .given(f"product {PRODUCT_ID} costs more than 5", id=PRODUCT_ID, price="5")
        .with_request("POST", "/v1/order")
        .with_header("Authorization", EXPORT_AUTH)
        .with_body(
            {"product_id": PRODUCT_ID, "currency": "EUR", "max_price": match.number(5.0)},
            "application/json",
        )
        .will_respond_with(dear.status)
        .with_headers(JSON)
        .with_body(error(text(dear.code, r"^[A-Z]+\d+$"), dear.message))
    )
    with export.client() as client, pytest.raises(G2AApiError) as caught:
        client.orders.create(PRODUCT_ID, max_price=5.0)
    assert (caught.value.status_code, caught.value.code) == (dear.status, dear.code)


def test_key_is_handed_out_once(export: ConsumerSession) -> None:
    (
        export.pact.upon_receiving("a second download of a key")
        .given(f"key for order {ORDER_ID} was already downloaded", order_id=ORDER_ID)
        .with_request("GET", match.regex(f"/v1/order/key/{ORDER_ID}", regex=r"^/v1/order/key/\d+$"))
        .with_header("Authorization", EXPORT_AUTH)
        .will_respond_with(400)
        .with_headers(JSON)
        .with_body(error("ORD004", "Key already downloaded"))
    )
    with export.client() as client, pytest.raises(G2AApiError) as caught:
        client.orders.key(ORDER_ID)
    assert (caught.value.status_code, caught.value.code) == (400, "ORD004")


def test_rate_limit_is_reported(export: ConsumerSession) -> None:
    # No `Retry-After`: G2A does not document one on its 429, so the pact does not ask for it
    # (the adapter honours one when it comes: tests/unit, and the twin sends it).
    (
        export.pact.upon_receiving("a request while the rate limit is exhausted")
        .given("rate limit is exhausted", seconds="30")
        .with_request("GET", "/v1/products")
        .with_header("Authorization", EXPORT_AUTH)
        .with_query_parameter("page", "1")
        .will_respond_with(429)
        .with_headers(JSON)
        .with_body(error("BR03", "Too many requests"))
    )
    with export.client() as client, pytest.raises(RateLimitedError) as caught:
        client.products.list(page=1)
    assert (caught.value.code, caught.value.status_code, caught.value.retry_after) == (
        "BR03",
        429,
        None,
    )
