"""Defects a review of products, paging, jobs and waits found: a product without a price read as
free (and a purchase capped at "no limit"), paging decided from the readable products and an
assumed page size, job answers with numbers or `null` where text or a list was expected, and a
503 asking for a long wait raised without that wait."""

from __future__ import annotations

import json
import logging
from typing import Any

import anyio
import httpx
import pytest
from test_adapter_edge_cases import (
    NO_RETRY,
    PRODUCT_ID,
    Recorder,
    answer,
    async_client,
    sync_client,
    token_or,
)

from g2a_adapter import (
    G2AApiError,
    Product,
    ProductPage,
    RateLimitedError,
    RequestValidationError,
    ResponseFormatError,
    RetryPolicy,
)

GOOD = {"id": PRODUCT_ID, "name": "Game", "qty": 7, "minPrice": 41.5}


def without(field: str) -> dict[str, Any]:
    return {name: value for name, value in GOOD.items() if name != field}


def page_of(*docs: dict[str, Any], total: int | None = None, page: int = 1) -> dict[str, Any]:
    return {"total": len(docs) if total is None else total, "page": page, "docs": list(docs)}


# --- 1. a product without a readable price or stock is unreadable, never free ----------------

UNREADABLE = [
    pytest.param(without("minPrice"), "minPrice", id="minPrice-missing"),
    pytest.param({**GOOD, "minPrice": float("nan")}, "minPrice", id="minPrice-NaN"),
    pytest.param({**GOOD, "minPrice": float("inf")}, "minPrice", id="minPrice-Infinity"),
    pytest.param({**GOOD, "minPrice": "Infinity"}, "minPrice", id="minPrice-Infinity-text"),
    pytest.param({**GOOD, "minPrice": -1}, "minPrice", id="minPrice-negative"),
    pytest.param({**GOOD, "minPrice": True}, "minPrice", id="minPrice-bool"),
    pytest.param(without("qty"), "qty", id="qty-missing"),
    pytest.param({**GOOD, "qty": -1}, "qty", id="qty-negative"),
    pytest.param({**GOOD, "qty": True}, "qty", id="qty-bool"),
]


@pytest.mark.parametrize(("doc", "field"), UNREADABLE)
def test_a_product_without_a_readable_price_or_stock_is_skipped(
    doc: dict[str, Any], field: str, caplog: pytest.LogCaptureFixture
) -> None:
    other = {**GOOD, "id": "2"}
    with caplog.at_level(logging.WARNING, logger="g2a_adapter.models"):
        page = ProductPage.model_validate_json(json.dumps(page_of(doc, other)))
    assert ([p.id for p in page.docs], page.unreadable_ids) == (["2"], (PRODUCT_ID,))
    assert [r.getMessage() for r in caplog.records] == [
        f"product {PRODUCT_ID}: {field} unreadable; the product is skipped"
    ]


@pytest.mark.parametrize(("doc", "field"), UNREADABLE[:1] + UNREADABLE[6:7])
def test_products_get_of_a_product_without_price_or_stock_is_a_format_error(
    doc: dict[str, Any], field: str
) -> None:
    api = Recorder(lambda request: answer(page_of(doc)))
    with sync_client(api) as client, pytest.raises(ResponseFormatError, match="unreadable"):
        client.products.get(PRODUCT_ID)


def test_a_free_product_is_readable() -> None:
    page = ProductPage.model_validate_json(json.dumps(page_of({**GOOD, "minPrice": 0, "qty": 0})))
    assert [(p.min_price, p.qty) for p in page.docs] == [(0.0, 0)]


def test_a_product_is_built_only_with_its_price_and_stock() -> None:
    with pytest.raises(ValueError, match="minPrice"):
        Product.model_validate(without("minPrice"))


def test_a_price_cap_computed_from_a_missing_price_never_buys_at_any_price() -> None:
    """The reviewer's repro: `max_price=p.min_price * 1.1` of a product G2A lists without
    `minPrice` used to send `max_price: 0`, which G2A reads as no limit, and pay 99 EUR."""
    sent: list[httpx.Request] = []

    def shop(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        path = request.url.path
        if path == "/v1/products":
            return answer(page_of(without("minPrice")))
        if path.startswith("/v1/order/pay/"):
            return answer({"status": True, "transaction_id": "t-1"})
        if path.startswith("/v1/order/details/"):
            return answer({"status": "complete", "price": 99.0, "currency": "EUR"})
        if path.startswith("/v1/order/key/"):
            return answer({"key": "AAAA-BBBB"})
        return answer({"order_id": "1530978476", "price": 99.0, "currency": "EUR"})

    with sync_client(shop) as client:
        with pytest.raises(ResponseFormatError, match="unreadable"):
            client.products.get(PRODUCT_ID)  # no price to cap from
        with pytest.raises(RequestValidationError, match="max_price"):  # the old 0.0 cap
            client.orders.purchase(PRODUCT_ID, idempotency_key="cart-1", max_price=0.0 * 1.1)
    assert [r.url.path for r in sent] == ["/v1/products"]


@pytest.mark.parametrize("max_price", [0, 0.0, -1, float("nan"), float("inf")])
def test_a_max_price_that_caps_nothing_is_refused_before_sending(max_price: float) -> None:
    api = Recorder(lambda request: answer({}, 500))
    with sync_client(api) as client:
        with pytest.raises(RequestValidationError, match="max_price"):
            client.orders.purchase(PRODUCT_ID, idempotency_key="cart-1", max_price=max_price)
        with pytest.raises(RequestValidationError, match="max_price"):
            client.orders.create(PRODUCT_ID, max_price=max_price)
    assert api.requests == []


def test_a_zero_max_price_is_refused_naming_none_as_no_limit() -> None:
    api = Recorder(lambda request: answer({}, 500))
    with sync_client(api) as client, pytest.raises(RequestValidationError) as refused:
        client.orders.create(PRODUCT_ID, max_price=0)
    assert str(refused.value) == (
        "invalid order: max_price: Value error, max_price must be above 0: G2A reads 0 as no "
        "limit (None means none)"
    )


# --- 2. paging follows what G2A sent, not what could be read nor an assumed page size ---------


def catalogue(size: int, total: int, unreadable_pages: frozenset[int] = frozenset()) -> Recorder:
    """`total` products served `size` a page; every product of `unreadable_pages` has no price."""

    def respond(request: httpx.Request) -> httpx.Response:
        number = int(request.url.params["page"])
        ids = range((number - 1) * size, min(number * size, total))
        odd = {"minPrice": None} if number in unreadable_pages else {}
        docs = [{**GOOD, "id": str(10_000 + i), **odd} for i in ids]
        return answer(page_of(*docs, total=total, page=number))

    return Recorder(respond)


def pages_asked(api: Recorder) -> list[int]:
    return [int(r.url.params["page"]) for r in api.requests]


def test_iter_all_goes_past_a_page_whose_products_are_all_unreadable() -> None:
    api = catalogue(20, 60, unreadable_pages=frozenset({2}))
    with sync_client(api) as client:
        ids = [p.id for p in client.products.iter_all()]
    assert ids == [str(10_000 + i) for i in [*range(20), *range(40, 60)]]
    assert pages_asked(api) == [1, 2, 3]


@pytest.mark.parametrize("size", [10, 20, 50])
def test_iter_all_reads_every_product_whatever_g2a_serves_a_page(size: int) -> None:
    api = catalogue(size, 260)
    with sync_client(api) as client:
        ids = [p.id for p in client.products.iter_all()]
    assert ids == [str(10_000 + i) for i in range(260)]
    assert pages_asked(api) == list(range(1, -(-260 // size) + 1))


@pytest.mark.anyio
async def test_aiter_all_reads_every_product_past_unreadable_pages_and_small_pages() -> None:
    api = catalogue(10, 45, unreadable_pages=frozenset({1, 2}))
    async with async_client(api) as client:
        ids = [p.id async for p in client.products.aiter_all()]
    assert ids == [str(10_000 + i) for i in range(20, 45)]
    assert pages_asked(api) == [1, 2, 3, 4, 5]


@pytest.mark.parametrize(("size", "total", "asked"), [(20, 60, [1, 2, 3]), (20, 45, [1, 2, 3, 4])])
def test_a_loop_of_its_own_pages_with_next_page(size: int, total: int, asked: list[int]) -> None:
    """`page = current.next_page`, as a service pages by hand: every product, and after a
    last page that is not full one empty page more."""
    api = catalogue(size, total)
    listed: list[str] = []
    with sync_client(api) as client:
        page: int | None = 1
        while page is not None:
            current = client.products.list(page)
            listed += [p.id for p in current.docs]
            page = current.next_page
    assert listed == [str(10_000 + i) for i in range(total)]
    assert pages_asked(api) == asked


def test_iter_all_stops_on_an_empty_page_even_if_total_counts_more() -> None:
    served = catalogue(20, 30)

    def overcounted(request: httpx.Request) -> httpx.Response:
        return answer({**json.loads(served(request).content), "total": 99})

    api = Recorder(overcounted)
    with sync_client(api) as client:
        assert len(list(client.products.iter_all())) == 30
    assert pages_asked(api) == [1, 2, 3]


def test_iter_all_cut_at_the_last_page_g2a_serves_says_so(
    caplog: pytest.LogCaptureFixture,
) -> None:
    api = catalogue(1, 600)
    with caplog.at_level(logging.WARNING, logger="g2a_adapter.models"), sync_client(api) as c:
        assert len(list(c.products.iter_all())) == 500
    assert pages_asked(api)[-1] == 500
    assert [r.getMessage() for r in caplog.records] == [
        "GET /v1/products: page 500 is the last page G2A serves; 500 of 600 products were "
        "listed (narrow the filters, e.g. updated_at_from, to list the rest)"
    ]


# --- 4. job answers: ids and codes as numbers, `elements: null` -------------------------------


def job_answer(**data: Any) -> httpx.Response:
    return answer({"data": {"jobId": "j1", "status": "done", "elements": [], **data}})


def element(**fields: Any) -> dict[str, Any]:
    base = {"resourceId": "abc", "resourceType": "offer", "status": "done"}
    return {**base, "code": None, "message": None, **fields}


@pytest.mark.parametrize(
    ("data", "read"),
    [
        ({"elements": [element(resourceId=123456)]}, [("123456", None)]),
        ({"elements": [element(status="failed", code=400)]}, [("abc", "400")]),
        ({"elements": [element(resourceId=None)]}, [(None, None)]),
        ({"elements": None}, []),
        ({"jobId": 77}, []),
    ],
)
def test_a_job_answer_with_numbers_or_null_is_read(
    data: dict[str, Any], read: list[tuple[str | None, str | None]]
) -> None:
    api = Recorder(token_or(lambda request: job_answer(**data)))
    with sync_client(api) as client:
        job = client.jobs.get("j1")
    assert [(e.resource_id, e.code) for e in job.elements] == read


def test_a_job_element_with_a_bool_id_is_still_unreadable() -> None:
    api = Recorder(token_or(lambda request: job_answer(elements=[element(resourceId=True)])))
    with sync_client(api) as client, pytest.raises(ResponseFormatError):
        client.jobs.get("j1")


# --- 5. an answer asking for a longer wait than the client waits carries that wait -----------


@pytest.mark.parametrize(("status", "code"), [(429, "BR03"), (503, "MAINT")])
def test_a_long_retry_after_is_carried_by_the_error_a_service_catches(
    status: int, code: str
) -> None:
    body = {"status": "ERROR", "code": code, "message": "later"}
    api = Recorder(lambda request: answer(body, status, **{"Retry-After": "120"}))
    with sync_client(api) as client, pytest.raises(RateLimitedError) as caught:
        client.products.list()
    assert (caught.value.code, caught.value.status_code, caught.value.retry_after) == (
        code,
        status,
        120.0,
    )
    assert str(caught.value) == (
        f"G2A error {code} (HTTP {status}): later; G2A asks to wait 120 s before retrying"
    )
    assert len(api.requests) == 1  # a retry sooner than asked cannot succeed


def test_a_503_without_retry_after_stays_a_plain_api_error() -> None:
    body = {"status": "ERROR", "code": "MAINT", "message": "down"}
    api = Recorder(lambda request: answer(body, 503))
    with sync_client(api, retry=NO_RETRY) as client, pytest.raises(G2AApiError) as caught:
        client.products.list()
    assert not isinstance(caught.value, RateLimitedError)
    assert (caught.value.code, caught.value.status_code) == ("MAINT", 503)


RETRY_TWICE = RetryPolicy(max_retries=2, sleep_enabled=False)  # waits up to 30 s (`Retry-After`)


def products_list_error(api: Recorder, client_kind: str) -> G2AApiError:
    """The error `products.list` ends in, through the sync or the async client."""
    if client_kind == "sync":
        with sync_client(api, retry=RETRY_TWICE) as client, pytest.raises(G2AApiError) as caught:
            client.products.list()
        return caught.value

    async def listing() -> None:
        async with async_client(api, retry=RETRY_TWICE) as client:
            await client.products.list()

    with pytest.raises(G2AApiError) as caught:
        anyio.run(listing)
    return caught.value


@pytest.mark.parametrize("client_kind", ["sync", "async"])
@pytest.mark.parametrize("status", [502, 503, 504])
def test_a_gateway_error_asking_for_a_long_wait_carries_it_like_a_503(
    status: int, client_kind: str
) -> None:
    """Every status the policy retries that asks to wait longer than it waits: one answer, and
    the wait on the `RateLimitedError` a service catches."""
    body = {"status": "ERROR", "code": "GATEWAY", "message": "upstream busy"}
    api = Recorder(lambda request: answer(body, status, **{"Retry-After": "120"}))
    error = products_list_error(api, client_kind)
    assert isinstance(error, RateLimitedError)
    assert (error.code, error.status_code, error.retry_after) == ("GATEWAY", status, 120.0)
    assert str(error) == (
        f"G2A error GATEWAY (HTTP {status}): upstream busy; G2A asks to wait 120 s before retrying"
    )
    assert len(api.requests) == 1


@pytest.mark.parametrize("client_kind", ["sync", "async"])
@pytest.mark.parametrize("status", [502, 504])
def test_a_gateway_error_within_the_wait_cap_keeps_its_wait_once_retries_are_spent(
    status: int, client_kind: str
) -> None:
    body = {"status": "ERROR", "code": "GATEWAY", "message": "upstream busy"}
    api = Recorder(lambda request: answer(body, status, **{"Retry-After": "2"}))
    error = products_list_error(api, client_kind)
    assert isinstance(error, RateLimitedError)
    assert (error.status_code, error.retry_after) == (status, 2.0)
    assert len(api.requests) == 3  # the first try and two retries


@pytest.mark.parametrize("client_kind", ["sync", "async"])
@pytest.mark.parametrize("status", [500, 502, 504])
def test_a_5xx_without_a_retry_after_or_not_retried_stays_a_plain_api_error(
    status: int, client_kind: str
) -> None:
    """No wait asked for, or a status the policy never retries (500, whatever it asks): a
    plain `G2AApiError`."""
    body = {"status": "ERROR", "code": "GATEWAY", "message": "upstream down"}
    headers = {"Retry-After": "120"} if status == 500 else {}
    api = Recorder(lambda request: answer(body, status, **headers))
    error = products_list_error(api, client_kind)
    assert type(error) is G2AApiError
    assert (error.code, error.status_code) == ("GATEWAY", status)
    assert str(error) == f"G2A error GATEWAY (HTTP {status}): upstream down"
    assert len(api.requests) == (1 if status == 500 else 3)
