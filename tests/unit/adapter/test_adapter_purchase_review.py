"""Defects a review of the purchase and products found: answers that break a documented rule
(a price above `max_price`, an empty key, a job id `jobs.get` refuses, another page than the one
asked for, an unreadable product), a refused create that kept its key bound, the `isFile` flag,
time zones and bools in product filters, and the retention of completed purchases."""

from __future__ import annotations

import json
import logging
import math
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import ValidationError
from test_adapter_edge_cases import (
    NO_RETRY,
    ORDER_ID,
    PRODUCT_ID,
    SETTINGS,
    Recorder,
    answer,
    async_client,
    sync_client,
    token_or,
)

from g2a_adapter import (
    G2AApiError,
    G2AClient,
    IdempotencyConflictError,
    KeyDeliveryLostError,
    Metrics,
    OutcomeUnknownError,
    PurchaseResult,
    RequestValidationError,
    ResponseFormatError,
    StoreUnavailableError,
)
from g2a_adapter.client._models import JobAccepted, OrderCreated, OrderKey, ProductPage
from g2a_adapter.client._orders import Orders, create_request
from g2a_adapter.client._purchase import RESULT_TTL_SECONDS, PurchaseRequest
from g2a_adapter.idempotency import MemoryStore

ROOT = Path(__file__).resolve().parents[3]
KEY = "cart-1"
PAID = {"status": True, "transaction_id": "t-1"}


def shop(
    created: dict[str, Any] | None = None, keys: list[httpx.Response] | None = None
) -> Recorder:
    """G2A for a purchase: the create answers `created`, the key fetches answer `keys` in turn."""
    created = created or {"order_id": ORDER_ID, "price": 10.0, "currency": "EUR"}
    keys = keys if keys is not None else [answer({"key": "KEY-1"})]

    def respond(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/v1/order":
            return answer(created)
        if path.startswith("/v1/order/pay/"):
            return answer(PAID)
        if path.startswith("/v1/order/details/"):
            return answer({"status": "complete"})
        return keys.pop(0)

    return Recorder(respond)


def buy(client: G2AClient, **kwargs: Any) -> PurchaseResult:
    options: dict[str, Any] = {"idempotency_key": KEY, "max_price": 50, "poll_interval": 0}
    return client.orders.purchase(PRODUCT_ID, **{**options, **kwargs})


def client_of(api: Recorder, store: MemoryStore, **kwargs: Any) -> G2AClient:
    return G2AClient(SETTINGS, transport=httpx.MockTransport(api), store=store, **kwargs)


# --- 1. the created order: a readable price, and never paid above max_price -----------------


@pytest.mark.parametrize(
    ("price", "currency"),
    [(math.nan, "EUR"), (math.inf, "EUR"), (-41.5, "EUR"), (41.5, ""), (41.5, "eur")],
)
def test_an_order_created_with_an_unreadable_price_or_currency_is_refused(
    price: float, currency: str
) -> None:
    body = json.dumps({"order_id": ORDER_ID, "price": price, "currency": currency})
    with pytest.raises(ValidationError):
        OrderCreated.model_validate_json(body)


def test_an_order_created_above_max_price_is_logged_as_abandoned_and_never_paid(
    caplog: pytest.LogCaptureFixture,
) -> None:
    api = shop({"order_id": ORDER_ID, "price": 60.5, "currency": "EUR"})
    store, metrics = MemoryStore(), Metrics()
    with client_of(api, store, metrics=metrics) as client:
        with (
            caplog.at_level(logging.WARNING, logger="g2a_adapter.purchase"),
            pytest.raises(ResponseFormatError) as refused,
        ):
            buy(client)
        with pytest.raises(ResponseFormatError):  # a re-run never pays it either
            buy(client)
    assert str(refused.value) == (
        f"POST /v1/order: order {ORDER_ID} was created at 60.5 EUR, above max_price 50; "
        "it is not paid"
    )
    assert api.sent == [("POST", "/v1/order"), ("POST", "/v1/order")]  # never a pay
    assert store.get(KEY) is None  # as after a refused create: nothing else to record
    assert metrics.registry.get_sample_value("g2a_purchase_orders_abandoned_total") == 2
    assert "create abandoned (order id 1530978476)" in caplog.records[0].getMessage()


def test_a_purchase_refused_over_its_price_can_be_tried_again_with_a_higher_limit() -> None:
    """The refused order (which G2A should not have created) is all there was to record: like
    a create G2A refuses, it leaves the key free, so the same key with a higher `max_price`
    buys instead of an `IdempotencyConflictError`, and nothing lingers in the store."""
    offers = iter(["111", "222"])
    store, metrics = MemoryStore(), Metrics()

    def respond(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/order":
            order = {"order_id": next(offers), "price": 60.5, "currency": "EUR"}
            return answer(order)
        return other_calls.respond(request)

    api, other_calls = Recorder(respond), shop()
    with client_of(api, store, metrics=metrics) as client:
        with pytest.raises(ResponseFormatError, match="above max_price 50"):
            buy(client)
        assert store.get(KEY) is None
        result = buy(client, max_price=70)
    assert (result.order_id, result.key, result.resumed) == ("222", "KEY-1", False)
    assert [path for _, path in api.sent] == [
        "/v1/order",
        "/v1/order",
        "/v1/order/pay/222",
        "/v1/order/details/222",
        "/v1/order/key/222",
    ]
    assert metrics.registry.get_sample_value("g2a_purchase_orders_abandoned_total") == 1


def test_an_order_over_its_price_is_recorded_with_orders_abandoned_before_it() -> None:
    """An ambiguous create was recorded as abandoned first: the key stays bound, and the
    refused order is recorded beside it."""
    answers = iter([answer({}, 502), answer({"order_id": ORDER_ID, "price": 60.5,
                                             "currency": "EUR"})])  # fmt: skip
    api, store = Recorder(lambda request: next(answers)), MemoryStore()
    with client_of(api, store, retry=NO_RETRY) as client, pytest.raises(ResponseFormatError):
        buy(client)
    record = store.get(KEY)
    assert record is not None
    assert record.checkpoint is not None
    assert [a["order_id"] for a in record.checkpoint["abandoned_orders"]] == [None, ORDER_ID]
    assert set(record.checkpoint) == {"abandoned_orders"}


@pytest.mark.parametrize(
    ("created", "max_price"),
    [
        ({"order_id": ORDER_ID, "price": 50.0, "currency": "EUR"}, 50),  # at the limit
        ({"order_id": ORDER_ID, "price": 60.5, "currency": "EUR"}, None),  # no limit
        ({"order_id": ORDER_ID, "price": 60.5, "currency": "USD"}, 50),  # not comparable
    ],
)
def test_an_order_within_max_price_or_not_comparable_with_it_is_paid(
    created: dict[str, Any], max_price: float | None
) -> None:
    api = shop(created)
    with client_of(api, MemoryStore()) as client:
        result = buy(client, max_price=max_price, currency=created["currency"])
    assert (result.order_id, result.key, result.price) == (ORDER_ID, "KEY-1", created["price"])
    assert ("PUT", f"/v1/order/pay/{ORDER_ID}") in api.sent


# --- 2. the key: an empty one is no delivery; isFile is kept --------------------------------


@pytest.mark.parametrize("key", ["", "  "])
def test_an_empty_key_is_refused_by_the_model(key: str) -> None:
    with pytest.raises(ValidationError, match="key is empty"):
        OrderKey.model_validate({"key": key})


def test_an_empty_key_then_ord004_is_a_lost_key_never_a_completed_purchase() -> None:
    gone = answer({"status": "ERROR", "code": "ORD004", "message": "already downloaded"}, 400)
    api, store = shop(keys=[answer({"key": ""}), gone]), MemoryStore()
    with client_of(api, store, retry=NO_RETRY) as client:
        with pytest.raises(KeyDeliveryLostError) as lost:
            buy(client)
        with pytest.raises(KeyDeliveryLostError):  # every re-run says so, asking nothing
            buy(client)
    assert (lost.value.order_id, lost.value.transaction_id) == (ORDER_ID, "t-1")
    assert [path for _, path in api.sent].count(f"/v1/order/key/{ORDER_ID}") == 2
    record = store.get(KEY)
    assert record is not None
    assert record.result is None
    assert record.checkpoint is not None
    assert record.checkpoint["step"] == "key_lost"


def test_two_empty_keys_leave_the_purchase_to_resume_never_completed() -> None:
    api, store = shop(keys=[answer({"key": ""}), answer({"key": ""})]), MemoryStore()
    with client_of(api, store, retry=NO_RETRY) as client, pytest.raises(OutcomeUnknownError):
        buy(client)
    record = store.get(KEY)
    assert record is not None
    assert record.result is None
    assert record.checkpoint is not None
    assert record.checkpoint["step"] == "fetching_key"


def test_is_file_is_carried_into_the_result_and_the_stored_result() -> None:
    api, store = shop(keys=[answer({"key": "https://g2a/key.png", "isFile": True})]), MemoryStore()
    with client_of(api, store) as client:
        first = buy(client)
        again = buy(client)
    assert (first.is_file, again.is_file, again.resumed) == (True, True, True)
    record = store.get(KEY)
    assert record is not None
    assert record.result is not None
    assert record.result["is_file"] is True


def test_a_result_stored_before_is_file_was_kept_still_loads() -> None:
    store, api = MemoryStore(), shop()
    order = create_request(PRODUCT_ID, "EUR", 50, None)
    claim = store.claim(KEY, PurchaseRequest(order, KEY, 0, 30.0, 5.0).fingerprint(), 60)
    assert claim.owner is not None
    old = {"order_id": ORDER_ID, "transaction_id": "t-1", "key": "K", "price": 1.0,
           "currency": "EUR"}  # fmt: skip
    store.complete(KEY, claim.owner, old, 60)
    with client_of(api, store) as client:
        result = buy(client)
    assert (result.key, result.is_file, result.resumed) == ("K", None, True)
    assert api.sent == []


# --- 3. a create G2A refused outright frees the key -----------------------------------------


def test_a_create_refused_outright_leaves_nothing_and_frees_the_key() -> None:
    refusals = [answer({"status": "ERROR", "code": "BR04", "message": "bad product"}, 400)]

    def respond(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/order" and refusals:
            return refusals.pop(0)
        return shop().respond(request)

    api, store, metrics = Recorder(respond), MemoryStore(), Metrics()
    with client_of(api, store, metrics=metrics, retry=NO_RETRY) as client:
        with pytest.raises(G2AApiError, match="BR04"):
            buy(client)
        assert store.get(KEY) is None  # no checkpoint, no lease: the key is free again
        result = buy(client, max_price=60)  # other arguments: no IdempotencyConflictError
    assert (result.order_id, result.resumed) == (ORDER_ID, False)
    assert metrics.registry.get_sample_value("g2a_purchase_orders_abandoned_total") == 0
    with client_of(api, store) as client, pytest.raises(IdempotencyConflictError):
        buy(client)  # completed now: bound to the arguments that bought


class _StoreBlip(MemoryStore):
    """Both writes that would record the first order fail (a store blip); the release that
    follows goes through."""

    def __init__(self, now: list[float]) -> None:
        super().__init__(clock=lambda: now[0])
        self.failures = 2

    def checkpoint(self, key: str, owner: str, data: Any, lease_seconds: float) -> None:
        if self.failures and (data.get("step") == "created" or "abandoned_orders" in data):
            self.failures -= 1
            raise StoreUnavailableError("memory", "blip")
        super().checkpoint(key, owner, data, lease_seconds)


def test_an_order_nothing_could_record_keeps_the_key_until_its_lease_lapses() -> None:
    """A release without a checkpoint would forget the key, and the next run would know
    nothing of the order created: the claim is kept instead, and once its lease lapses the next
    run reads it as a lost create, records an abandoned order and buys again."""
    now = [1_000.0]
    store, metrics = _StoreBlip(now), Metrics()
    api = shop()
    with client_of(api, store, metrics=metrics, retry=NO_RETRY) as client:
        with pytest.raises(StoreUnavailableError):
            buy(client)
        kept = store.get(KEY)
        assert kept is not None
        assert kept.owner is not None
        now[0] += SETTINGS.purchase_lease_seconds + 1
        result = buy(client)
    assert result.resumed is True
    record = store.get(KEY)
    assert record is not None
    assert record.checkpoint is not None
    assert [o["order_id"] for o in record.checkpoint["abandoned_orders"]] == [None]
    assert metrics.registry.get_sample_value("g2a_purchase_orders_abandoned_total") == 2
    assert [r.url.path for r in api.requests].count("/v1/order") == 2


# --- 4. one unreadable product never fails its page -----------------------------------------

GOOD = {"id": "1", "name": "A", "qty": 3, "minPrice": 1.0}


@pytest.mark.parametrize(
    ("odd", "field"),
    [
        ({"qty": None}, "qty"),
        ({"minPrice": None}, "minPrice"),
        ({"name": None}, "name"),
        ({"qty": "many"}, "qty"),
        ({"minPrice": ""}, "minPrice"),
    ],
)
def test_an_unreadable_product_is_skipped_and_logged_never_failing_the_page(
    odd: dict[str, object], field: str, caplog: pytest.LogCaptureFixture
) -> None:
    body = {"total": 2, "page": 1, "docs": [GOOD, {**GOOD, "id": "2", **odd}]}
    with caplog.at_level(logging.WARNING, logger="g2a_adapter.models"):
        page = ProductPage.model_validate_json(json.dumps(body))
    assert [p.id for p in page.docs] == ["1"]
    assert page.unreadable_ids == ("2",)
    assert [r.getMessage() for r in caplog.records] == [
        f"product 2: {field} unreadable; the product is skipped"
    ]


def test_products_get_of_an_unreadable_product_is_a_format_error_not_a_miss() -> None:
    odd = {"total": 1, "page": 1, "docs": [{**GOOD, "id": PRODUCT_ID, "qty": None}]}
    api = Recorder(lambda request: answer(odd))
    with sync_client(api) as client, pytest.raises(ResponseFormatError) as unreadable:
        client.products.get(PRODUCT_ID)
    assert (
        str(unreadable.value) == f"GET /v1/products: product {PRODUCT_ID} was answered unreadable"
    )


def test_iter_all_goes_past_an_unreadable_product() -> None:
    body = {"total": 2, "page": 1, "docs": [GOOD, {"id": "2", "name": None}]}
    with sync_client(Recorder(lambda request: answer(body))) as client:
        assert [p.id for p in client.products.iter_all()] == ["1"]


# --- 5. (the async client opens its store off the event loop: test_adapter_async.py) ---------

# --- 6. an answer that is another page than the one asked for -------------------------------


def always_page_one(request: httpx.Request) -> httpx.Response:
    return answer({"total": 100, "page": 1, "docs": [GOOD]})


def test_iter_all_refuses_an_answer_echoing_another_page_instead_of_looping() -> None:
    api = Recorder(always_page_one)
    with sync_client(api) as client, pytest.raises(ResponseFormatError) as wrong:
        list(client.products.iter_all())
    assert str(wrong.value) == "GET /v1/products: asked for page 2, the answer is page 1"
    assert [r.url.params["page"] for r in api.requests] == ["1", "2"]


@pytest.mark.anyio
async def test_aiter_all_refuses_an_answer_echoing_another_page_instead_of_looping() -> None:
    api = Recorder(always_page_one)
    async with async_client(api) as client:
        with pytest.raises(ResponseFormatError, match="asked for page 2, the answer is page 1"):
            _ = [p async for p in client.products.aiter_all()]
    assert [r.url.params["page"] for r in api.requests] == ["1", "2"]


# --- 7. product filters: time zones and bools -----------------------------------------------


@pytest.mark.parametrize(
    ("moment", "sent"),
    [
        (datetime(2024, 1, 1, 12, 0, tzinfo=timezone(timedelta(hours=2))), "2024-01-01 10:00:00"),
        (datetime(2024, 1, 1, 0, 30, tzinfo=timezone(timedelta(hours=1))), "2023-12-31 23:30:00"),
        (datetime(2024, 1, 1, 10, 0, tzinfo=UTC), "2024-01-01 10:00:00"),
        (datetime(2024, 1, 1, 10, 0), "2024-01-01 10:00:00"),  # naive: taken as UTC
    ],
)
def test_updated_at_filters_are_sent_in_utc(moment: datetime, sent: str) -> None:
    api = Recorder(lambda request: answer({"total": 0, "page": 1, "docs": []}))
    with sync_client(api) as client:
        client.products.list(updated_at_from=moment, updated_at_to=moment)
    params = api.requests[0].url.params
    assert (params["updatedAtFrom"], params["updatedAtTo"]) == (sent, sent)


@pytest.mark.parametrize("name", ["updated_at_from", "updated_at_to"])
def test_a_date_that_does_not_exist_is_refused_before_sending(name: str) -> None:
    """A moment given as text is read by the filter's model: February 31 is no datetime."""
    api = Recorder(lambda request: answer({}))
    with sync_client(api) as client, pytest.raises(RequestValidationError) as refused:
        client.products.list(**{name: "2024-02-31 00:00:00"})
    assert str(refused.value) == (
        f"invalid product query: {name}: Input should be a valid datetime or date, day value "
        "is outside expected range"
    )
    assert api.requests == []


@pytest.mark.parametrize("filters", [{"page": True}, {"min_qty": True}, {"min_qty": False}])
def test_a_bool_is_not_taken_for_an_integer_filter(filters: dict[str, Any]) -> None:
    api = Recorder(lambda request: answer({}))
    with sync_client(api) as client, pytest.raises(RequestValidationError) as refused:
        client.products.list(**filters)
    (name,) = filters
    assert str(refused.value) == f"invalid product query: {name}: Input should be a valid integer"
    assert api.requests == []


@pytest.mark.parametrize("filters", [{"min_price_from": True}, {"min_price_to": False}])
def test_a_bool_is_not_taken_for_a_price_filter(filters: dict[str, Any]) -> None:
    api = Recorder(lambda request: answer({}))
    with sync_client(api) as client, pytest.raises(RequestValidationError) as refused:
        client.products.list(**filters)
    (name,) = filters
    expected = f"invalid product query: {name}: Value error, a bool is not a number"
    assert str(refused.value) == expected
    assert api.requests == []


@pytest.mark.parametrize("field", ["max_price", "min_rating"])
def test_a_bool_is_not_taken_for_an_order_cap(field: str) -> None:
    api = Recorder(lambda request: answer({}))
    with sync_client(api) as client, pytest.raises(RequestValidationError) as refused:
        client.orders.create(PRODUCT_ID, **{field: True})
    assert str(refused.value) == f"invalid order: {field}: Value error, a bool is not a number"
    assert api.requests == []


# --- 8. the job id of an accepted offer change; the retention of a completed purchase -------


@pytest.mark.parametrize("job_id", ["", "../../v1/order/pay/1", "a b", "x" * 65, 12.5, None])
def test_an_offer_change_answered_with_a_job_id_jobs_get_refuses_is_unreadable(
    job_id: object,
) -> None:
    api = Recorder(token_or(lambda request: answer({"data": {"jobId": job_id}}, 202)))
    with sync_client(api) as client, pytest.raises(OutcomeUnknownError) as unreadable:
        client.offers.create({"productId": "1", "price": 1})
    assert str(unreadable.value) == (
        "POST /v3/sales/offers: 2xx answer does not match the documented shape; "
        "the call may have taken effect"
    )


@pytest.mark.parametrize(("job_id", "read"), [(12, "12"), ("job-1_A", "job-1_A")])
def test_a_job_id_jobs_get_takes_is_accepted(job_id: object, read: str) -> None:
    assert JobAccepted.model_validate({"jobId": job_id}).job_id == read


def test_the_retention_of_completed_purchases_is_stated_where_callers_read() -> None:
    days = f"{RESULT_TTL_SECONDS / 86400:g} days"
    assert days == "30 days"
    readme = " ".join((ROOT / "README.md").read_text().split())
    assert f"kept {days}, after which the same key buys again" in readme
    assert Orders.purchase.__doc__ is not None  # the constant's name is private: not shown
    assert f"kept {days}: a re-run" in " ".join(Orders.purchase.__doc__.split())
