"""Numbers in G2A's answers: a JSON `true` or `false` where G2A sends a number makes the answer
unreadable (pydantic's lax mode would read `true` as 1), and the offers listing does without
`itemsPerPage`, which only echoes what was asked."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import anyio
import pytest
from test_adapter_edge_cases import (
    NO_RETRY,
    ORDER_ID,
    PRODUCT_ID,
    Recorder,
    answer,
    async_client,
    sync_client,
    token_or,
)

from g2a_adapter import G2AClient, OutcomeUnknownError, ResponseFormatError

PRODUCT = {"id": PRODUCT_ID, "name": "Game", "qty": 7, "minPrice": 41.5}
PRODUCTS = {"total": 1, "page": 1, "docs": [PRODUCT]}
META = {"page": 1, "itemsPerPage": 20, "totalResults": 0}
CREATED = {"order_id": ORDER_ID, "price": 41.5, "currency": "EUR"}
DETAILS = {"status": "complete", "price": 41.5, "currency": "EUR"}
TOKEN = {"access_token": "tok-1", "token_type": "bearer", "expires_in": 300}


def products(**fields: object) -> dict[str, Any]:
    return {**PRODUCTS, **fields}


def offers(**meta: object) -> dict[str, Any]:
    return {"data": [], "meta": {**META, **meta}}


def token_then(token: dict[str, Any]) -> Callable[[Any], Any]:
    def respond(request: Any) -> Any:
        if request.url.path == "/oauth/token":
            return answer(token)
        return answer(offers())

    return respond


Call = Callable[[G2AClient], object]
BOOL_NUMBERS = [
    pytest.param(products(total=True), lambda c: c.products.list(), id="products-total"),
    pytest.param(products(page=True), lambda c: c.products.list(), id="products-page"),
    pytest.param(products(total=False), lambda c: c.products.list(), id="products-total-false"),
    pytest.param(offers(page=True), lambda c: c.offers.list(), id="offers-page"),
    pytest.param(offers(totalResults=True), lambda c: c.offers.list(), id="offers-totalResults"),
    pytest.param(offers(itemsPerPage=True), lambda c: c.offers.list(), id="offers-itemsPerPage"),
    pytest.param(
        {**DETAILS, "price": True}, lambda c: c.orders.details(ORDER_ID), id="details-price"
    ),
]


@pytest.mark.parametrize(("body", "call"), BOOL_NUMBERS)
def test_a_bool_where_g2a_sends_a_number_makes_the_answer_unreadable(
    body: dict[str, Any], call: Call
) -> None:
    api = Recorder(token_or(lambda request: answer(body)))
    with sync_client(api, retry=NO_RETRY) as client, pytest.raises(ResponseFormatError):
        call(client)


@pytest.mark.parametrize("value", [True, False])
def test_a_bool_token_lifetime_is_unreadable_not_one_second(value: bool) -> None:
    api = Recorder(token_then({**TOKEN, "expires_in": value}))
    with sync_client(api, retry=NO_RETRY) as client, pytest.raises(ResponseFormatError):
        client.offers.list()
    assert [r.url.path for r in api.requests] == ["/oauth/token"]


def test_a_bool_price_of_a_created_order_is_an_unknown_outcome() -> None:
    """The create may have taken effect: an answer it cannot read is no format nit."""
    api = Recorder(lambda request: answer({**CREATED, "price": True}))
    with sync_client(api, retry=NO_RETRY) as client, pytest.raises(OutcomeUnknownError):
        client.orders.create(PRODUCT_ID)


def test_a_bool_total_is_unreadable_through_the_async_client_too() -> None:
    async def listing() -> None:
        async with async_client(lambda request: answer(products(total=True))) as client:
            await client.products.list()

    with pytest.raises(ResponseFormatError):
        anyio.run(listing)


def test_numbers_as_g2a_sends_them_are_still_read() -> None:
    api = Recorder(
        token_or(
            lambda request: answer(
                offers(page=2, itemsPerPage=5, totalResults=7)
                if request.url.path == "/v3/sales/offers"
                else products(total=1.0)  # a whole float is still a count
            )
        )
    )
    with sync_client(api, retry=NO_RETRY) as client:
        meta = client.offers.list(page=2, items_per_page=5).meta
        page = client.products.list()
    assert (meta.page, meta.items_per_page, meta.total_results) == (2, 5, 7)
    assert (page.total, page.page) == (1, 1)


# --- an offers listing without `itemsPerPage` ----------------------------------------------


@pytest.mark.parametrize("client_kind", ["sync", "async"])
def test_an_offers_listing_without_items_per_page_is_read(client_kind: str) -> None:
    """`itemsPerPage` only echoes the request; its absence is not guessed (None)."""
    listing = {"data": [{"id": 9}], "meta": {"page": 1, "totalResults": 1}}
    api = Recorder(token_or(lambda request: answer(listing)))
    if client_kind == "sync":
        with sync_client(api, retry=NO_RETRY) as client:
            page = client.offers.list()
    else:

        async def listed() -> Any:
            async with async_client(api, retry=NO_RETRY) as client:
                return await client.offers.list()

        page = anyio.run(listed)
    assert ([o.id for o in page.data], page.meta.page, page.meta.total_results) == (["9"], 1, 1)
    assert page.meta.items_per_page is None


@pytest.mark.parametrize("missing", ["page", "totalResults"])
def test_an_offers_listing_without_its_page_or_total_is_still_unreadable(missing: str) -> None:
    meta = {name: value for name, value in META.items() if name != missing}
    api = Recorder(token_or(lambda request: answer({"data": [], "meta": meta})))
    with sync_client(api, retry=NO_RETRY) as client, pytest.raises(ResponseFormatError):
        client.offers.list()
