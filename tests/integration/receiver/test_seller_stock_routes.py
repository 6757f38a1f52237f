"""G2A's declared-stock callbacks served in-process (httpx.ASGITransport) over a fake stock:
each route's answer, its bearer, its checks, the stock's refusals and failures, the counters."""

from __future__ import annotations

import base64
import logging
import threading
import time
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import anyio
import httpx
import pytest
from _receiver_fixtures import API_HASH, API_KEY, receiver_settings

from g2a_adapter import Metrics, Settings
from g2a_adapter.idempotency import MemoryStore
from g2a_adapter.receiver import (
    REJECTIONS,
    AccountDetail,
    DeliveredStock,
    InsufficientStockError,
    InventoryAccount,
    InventoryFile,
    InventoryItem,
    InventoryNotFoundError,
    OrderExistsError,
    OrderNotFoundError,
    ProductNotFoundError,
    ReceiverOptions,
    Reservation,
    ReservationExpiredError,
    ReservationNotFoundError,
    SellerOrder,
    SellerStock,
    SellerStockError,
    SellerTokenIssuer,
    StockLevel,
    StockNotification,
    StockRequest,
    create_receiver_app,
)
from harness.recording_receiver import EventRecorder

SETTINGS = receiver_settings("memory://")
PRODUCT = 10000027819004
MAX_INT64 = 2**63 - 1
MAX_INT32 = 2**31 - 1
KEY = "KEY-AAAAA-BBBBB-CCCCC"  # what a buyer pays for: never in a log
PASSWORD = "account-password-1d9c"
EMAIL_PASSWORD = "mailbox-password-77ab"
RECOVERY = "recovery-answer-4f0e"
FILE_DATA = b"%PDF-1.7 key voucher 9e1b\x00\xff"
SECRETS = (KEY, PASSWORD, EMAIL_PASSWORD, RECOVERY, base64.b64encode(FILE_DATA).decode(), API_KEY)
DELIVERED = [
    DeliveredStock(
        PRODUCT,
        4,
        [
            InventoryItem("item-1", KEY),
            InventoryItem("item-2", "", "file"),
            InventoryItem("item-3", "", "account"),
        ],
    )
]
DELIVERED_JSON = [
    {
        "product_id": PRODUCT,
        "inventory_size": 4,
        "inventory": [
            {"id": "item-1", "value": KEY, "kind": "text"},
            {"id": "item-2", "value": "", "kind": "file"},
            {"id": "item-3", "value": "", "kind": "account"},
        ],
    }
]
ACCOUNT = InventoryAccount(
    "player-one",
    PASSWORD,
    "player@example.com",
    EMAIL_PASSWORD,
    [AccountDetail("recovery", RECOVERY)],
)
BEARER_REQUIRED = "an Authorization: Bearer token from GET /oauth/token is required"
BEARER_INVALID = "the bearer token is not valid or has expired"


class FakeStock:
    """A `SellerStock` that records each call (with the thread it ran on) and answers fixed
    values, or raises `failure`."""

    def __init__(self, failure: Exception | None = None, order_stock: bool = True) -> None:
        self.failure = failure
        self.order_stock = order_stock
        self.calls: list[tuple[str, tuple[Any, ...]]] = []
        self.threads: list[threading.Thread] = []
        self.gate: threading.Event | None = None  # when set, each call waits for it

    def _called(self, name: str, *args: Any) -> None:
        self.calls.append((name, args))
        self.threads.append(threading.current_thread())
        if self.gate is not None:
            self.gate.wait(timeout=5)
        if self.failure is not None:
            raise self.failure

    def reserve(self, requests: Sequence[StockRequest]) -> Reservation:
        self._called("reserve", list(requests))
        return Reservation("res-1", [StockLevel(r.product_id, 10 - r.quantity) for r in requests])

    def renew(self, reservation_id: str) -> Reservation:
        self._called("renew", reservation_id)
        return Reservation(reservation_id, [StockLevel(PRODUCT, 9)])

    def cancel(self, reservation_id: str) -> None:
        self._called("cancel", reservation_id)

    def order(self, reservation_id: str, g2a_order_id: int) -> SellerOrder:
        self._called("order", reservation_id, g2a_order_id)
        return SellerOrder("ord-1", DELIVERED if self.order_stock else None)

    def inventory(self, order_id: str) -> Sequence[DeliveredStock]:
        self._called("inventory", order_id)
        return DELIVERED

    def give_back(self, order_id: str, item_ids: Sequence[str]) -> None:
        self._called("give_back", order_id, list(item_ids))

    def file(self, order_id: str, item_id: str) -> InventoryFile:
        self._called("file", order_id, item_id)
        return InventoryFile(FILE_DATA, "voucher.pdf", "application/pdf")

    def account(self, order_id: str, item_id: str) -> InventoryAccount:
        self._called("account", order_id, item_id)
        return ACCOUNT

    def notify(self, notifications: Sequence[StockNotification]) -> None:
        self._called("notify", list(notifications))


def receiver(stock: SellerStock | None, **options: Any) -> Any:
    options.setdefault("store", MemoryStore())
    options = {"seller_stock": stock, **options}
    return create_receiver_app(
        SETTINGS, EventRecorder().on_event, options=ReceiverOptions(**options)
    )


def bearer(secret: str = API_KEY, age: float = 0.0) -> dict[str, str]:
    """A header with a token issued `age` seconds ago (it lives 60) under `secret`."""
    issuer = SellerTokenIssuer(API_HASH, secret, ttl_seconds=60, clock=lambda: time.time() - age)
    token = issuer.issue("client_credentials", API_HASH, secret).access_token
    return {"Authorization": f"Bearer {token}"}


async def send(app: Any, method: str, path: str, **request: Any) -> httpx.Response:
    request.setdefault("headers", bearer())
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://receiver") as client:
        return await client.request(method, path, **request)


def calls(metrics: Metrics, call: str, status: int) -> float:
    labels = {"call": call, "status": str(status)}
    return metrics.registry.get_sample_value("g2a_seller_calls_total", labels) or 0.0


def refusals(metrics: Metrics, reason: str) -> float:
    labels = {"reason": reason}
    return metrics.registry.get_sample_value("g2a_webhook_validation_failures_total", labels) or 0.0


# Each route once: (call, method, path, request) and what it answers.
RESERVE = [{"product_id": PRODUCT, "quantity": 2}, {"product_id": 7, "quantity": 1}]
NOTIFICATION = {
    "notification_type": "auction_deactivated",
    "date": "2026-01-01T10:00:00+00:00",
    "data": {"message": "deactivated", "auction_id": 5, "offer_id": "off-1"},
}
ROUTES: list[tuple[str, str, str, dict[str, Any]]] = [
    ("reserve", "POST", "/reservation", {"json": RESERVE}),
    ("renew", "PUT", "/reservation/res-1", {}),
    ("cancel", "DELETE", "/reservation/res-1", {}),
    ("order", "POST", "/order", {"json": {"reservation_id": "res-1", "g2a_order_id": 8020}}),
    ("inventory", "GET", "/order/ord-1/inventory", {}),
    ("give_back", "DELETE", "/order/ord-1/inventory", {"params": [("id[]", "item-1")]}),
    ("file", "GET", "/order/ord-1/inventory/item-2", {}),
    ("account", "GET", "/order/ord-1/inventory/item-3/account", {}),
    ("notify", "POST", "/notifications", {"json": [NOTIFICATION]}),
]
ACCOUNT_JSON = {
    "username": "player-one",
    "password": PASSWORD,
    "email": "player@example.com",
    "emailPassword": EMAIL_PASSWORD,
    "optional": [{"label": "recovery", "details": RECOVERY}],
}
FILE_JSON = {
    "data": base64.b64encode(FILE_DATA).decode(),
    "fileName": "voucher.pdf",
    "mimeType": "application/pdf",
}
ANSWERS: dict[str, tuple[int, Any, tuple[Any, ...]]] = {  # status, body, the stock's arguments
    "reserve": (
        200,
        {
            "reservation_id": "res-1",
            "stock": [
                {"product_id": PRODUCT, "inventory_size": 8},
                {"product_id": 7, "inventory_size": 9},
            ],
        },
        ([StockRequest(PRODUCT, 2), StockRequest(7, 1)],),
    ),
    "renew": (
        200,
        {"reservation_id": "res-1", "stock": [{"product_id": PRODUCT, "inventory_size": 9}]},
        ("res-1",),
    ),
    "cancel": (204, None, ("res-1",)),
    "order": (200, {"order_id": "ord-1", "stock": DELIVERED_JSON}, ("res-1", 8020)),
    "inventory": (200, DELIVERED_JSON, ("ord-1",)),
    "give_back": (204, None, ("ord-1", ["item-1"])),
    "file": (200, FILE_JSON, ("ord-1", "item-2")),
    "account": (200, ACCOUNT_JSON, ("ord-1", "item-3")),
    "notify": (
        204,
        None,
        (
            [
                StockNotification(
                    "auction_deactivated",
                    "2026-01-01T10:00:00+00:00",
                    {"message": "deactivated", "auction_id": 5, "offer_id": "off-1"},
                )
            ],
        ),
    ),
}
CARRY_SECRETS = {"order", "inventory", "file", "account"}  # answered with Cache-Control: no-store


@pytest.mark.anyio
@pytest.mark.parametrize(("call", "method", "path", "request_"), ROUTES)
async def test_each_route_answers_what_g2a_documents(
    call: str, method: str, path: str, request_: dict[str, Any]
) -> None:
    stock, metrics = FakeStock(), Metrics()
    response = await send(receiver(stock, metrics=metrics), method, path, **request_)

    status, body, arguments = ANSWERS[call]
    assert response.status_code == status
    if body is None:
        assert response.content == b""
    else:
        assert (response.headers["content-type"], response.json()) == ("application/json", body)
    assert response.headers.get("cache-control") == ("no-store" if call in CARRY_SECRETS else None)
    assert stock.calls == [(call, arguments)]
    assert calls(metrics, call, status) == 1
    assert sum(calls(metrics, call, s) for s in (400, 401, 404, 500)) == 0


@pytest.mark.anyio
async def test_an_order_made_without_its_keys_answers_202() -> None:
    stock, metrics = FakeStock(order_stock=False), Metrics()
    order = {"reservation_id": "res-1", "g2a_order_id": 8020}
    response = await send(receiver(stock, metrics=metrics), "POST", "/order", json=order)

    assert (response.status_code, response.json()) == (202, {"order_id": "ord-1"})
    assert response.headers["cache-control"] == "no-store"
    assert (calls(metrics, "order", 202), calls(metrics, "order", 200)) == (1, 0)


MISSING = ("missing_bearer", "invalid_request", BEARER_REQUIRED)
INVALID = ("invalid_token", "invalid_token", BEARER_INVALID)


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("headers", "reason", "code", "message"),
    [
        ({}, *MISSING),
        ({"Authorization": "Basic dXNlcjpwYXNz"}, *MISSING),
        ({"Authorization": "Bearer forged.token.mac"}, *INVALID),
        (bearer(age=61), *INVALID),
        (bearer("rotated-key"), *INVALID),
    ],
    ids=["missing", "not-bearer", "forged", "expired", "other-secret"],
)
@pytest.mark.parametrize(("call", "method", "path", "request_"), ROUTES, ids=[r[0] for r in ROUTES])
async def test_every_route_refuses_a_request_without_a_live_bearer(
    headers: dict[str, str],
    reason: str,
    code: str,
    message: str,
    call: str,
    method: str,
    path: str,
    request_: dict[str, Any],
) -> None:
    stock, metrics = FakeStock(), Metrics()
    app = receiver(stock, metrics=metrics)
    response = await send(app, method, path, **(request_ | {"headers": headers}))

    assert (response.status_code, response.json()) == (401, {"code": code, "message": message})
    assert response.headers["www-authenticate"] == "Bearer"
    assert stock.calls == []
    assert calls(metrics, call, 401) == 1
    assert refusals(metrics, reason) == 1


@pytest.mark.anyio
async def test_the_healthcheck_refuses_with_the_seller_contracts_error_body() -> None:
    metrics = Metrics()
    app = receiver(None, metrics=metrics)
    anonymous = await send(app, "GET", "/healthcheck", headers={})
    expired = await send(app, "GET", "/healthcheck", headers=bearer(age=61))
    healthy = await send(app, "GET", "/healthcheck")

    assert (anonymous.status_code, anonymous.json()) == (
        401,
        {"code": "invalid_request", "message": BEARER_REQUIRED},
    )
    assert (expired.status_code, expired.json()) == (
        401,
        {"code": "invalid_token", "message": BEARER_INVALID},
    )
    assert anonymous.headers["www-authenticate"] == expired.headers["www-authenticate"] == "Bearer"
    assert (healthy.status_code, healthy.content) == (204, b"")
    assert (refusals(metrics, "missing_bearer"), refusals(metrics, "invalid_token")) == (1, 1)


INT64 = f"must be an integer from 1 to {MAX_INT64}"
POSITIVE = f"must be an integer from 1 to {MAX_INT32}"
ID = "must be a string of 1 to 36 printable characters, without / or \\, not . or .."
NOT_JSON = "the body is not JSON in UTF-8"
NON_FINITE = "the body holds NaN or Infinity, which JSON does not allow"
LONG_ID = "x" * 37
ORDER_OK = {"reservation_id": "res-1", "g2a_order_id": 8020}
Fault = tuple[str, str, str, dict[str, Any], str]  # call, method, path, request, message


def body(value: Any) -> dict[str, Any]:
    return {"content": value} if isinstance(value, bytes) else {"json": value}


def reserving(value: Any, message: str) -> Fault:
    return ("reserve", "POST", "/reservation", body(value), message)


def line(**fields: Any) -> list[dict[str, Any]]:
    """A reservation of one line, its fields changed."""
    return [{"product_id": PRODUCT, "quantity": 1, **fields}]


def ordering(value: Any, message: str) -> Fault:
    return ("order", "POST", "/order", body(value), message)


def notifying(value: Any, message: str) -> Fault:
    return ("notify", "POST", "/notifications", body(value), message)


def without(name: str) -> list[dict[str, Any]]:
    """A notification without its field `name`."""
    return [{k: v for k, v in NOTIFICATION.items() if k != name}]


def giving_back(params: list[tuple[str, str]], message: str, order: str = "ord-1") -> Fault:
    return ("give_back", "DELETE", f"/order/{order}/inventory", {"params": params}, message)


NO_ITEMS = "id[] is required: the items to give back"
FAULTS: list[Fault] = [
    reserving(line()[0], "the body must be a JSON array of {product_id, quantity}"),
    reserving([], "the body must name at least one product"),
    reserving([1], "[0] must be a JSON object"),
    reserving([{"quantity": 1}], "[0].product_id is required"),
    reserving([{"product_id": 1}], "[0].quantity is required"),
    reserving(line(product_id="1"), f"[0].product_id {INT64}"),
    reserving(line(product_id=True), f"[0].product_id {INT64}"),
    reserving(line(product_id=1.0), f"[0].product_id {INT64}"),
    reserving(line(product_id=0), f"[0].product_id {INT64}"),
    reserving(line(product_id=-5), f"[0].product_id {INT64}"),
    reserving(line(product_id=MAX_INT64 + 1), f"[0].product_id {INT64}"),
    reserving(line(product_id=None), f"[0].product_id {INT64}"),
    reserving(line(quantity=0), f"[0].quantity {POSITIVE}"),
    reserving(line(quantity=1.5), f"[0].quantity {POSITIVE}"),
    reserving(line(quantity="2"), f"[0].quantity {POSITIVE}"),
    reserving(line(quantity=MAX_INT32 + 1), f"[0].quantity {POSITIVE}"),
    reserving(line(quantity=10**40), f"[0].quantity {POSITIVE}"),
    reserving([*line(), {"product_id": 7, "quantity": False}], f"[1].quantity {POSITIVE}"),
    reserving(line(additional_data=[]), "[0].additional_data must be a JSON object"),
    reserving(line(additional_data=None), "[0].additional_data must be a JSON object"),
    reserving(b"", NOT_JSON),
    reserving(b'[{"product_id": 1,', NOT_JSON),
    reserving(b'[{"product_id": 1, "quantity": 1, "x": "\xff"}]', NOT_JSON),
    reserving(b'[{"product_id": NaN, "quantity": 1}]', NON_FINITE),
    reserving(b'[{"product_id": 1, "quantity": 1, "additional_data": {"a": -Infinity}}]',
              NON_FINITE),
    ("renew", "PUT", f"/reservation/{LONG_ID}", {}, f"reservation_id {ID}"),
    ("cancel", "DELETE", f"/reservation/{LONG_ID}", {}, f"reservation_id {ID}"),
    ordering([ORDER_OK], "the body must be a JSON object"),
    ordering({"g2a_order_id": 8020}, "reservation_id is required"),
    ordering({"reservation_id": "res-1"}, "g2a_order_id is required"),
    ordering(ORDER_OK | {"reservation_id": ""}, f"reservation_id {ID}"),
    ordering(ORDER_OK | {"reservation_id": LONG_ID}, f"reservation_id {ID}"),
    ordering(ORDER_OK | {"reservation_id": 17}, f"reservation_id {ID}"),
    ordering(ORDER_OK | {"reservation_id": ".."}, f"reservation_id {ID}"),
    ordering(ORDER_OK | {"reservation_id": "res\n1"}, f"reservation_id {ID}"),
    ordering(ORDER_OK | {"reservation_id": "\x00"}, f"reservation_id {ID}"),
    ordering(ORDER_OK | {"reservation_id": "\u202eres"}, f"reservation_id {ID}"),
    ("renew", "PUT", "/reservation/res%0A1", {}, f"reservation_id {ID}"),
    ordering(ORDER_OK | {"g2a_order_id": "8020"}, f"g2a_order_id {INT64}"),
    ordering(ORDER_OK | {"g2a_order_id": 0}, f"g2a_order_id {INT64}"),
    ordering(ORDER_OK | {"g2a_order_id": MAX_INT64 + 1}, f"g2a_order_id {INT64}"),
    ordering(b"\xff\xfe", NOT_JSON),
    ("inventory", "GET", f"/order/{LONG_ID}/inventory", {}, f"order_id {ID}"),
    giving_back([], NO_ITEMS),
    giving_back([("ids", "item-1")], NO_ITEMS),
    giving_back([("id[]", "")], f"id[0] {ID}"),
    giving_back([("id[]", "a"), ("id[]", LONG_ID)], f"id[1] {ID}"),
    giving_back([("id[]", "a"), ("id[]", ".")], f"id[1] {ID}"),
    giving_back([("id[]", "../../x")], f"id[0] {ID}"),
    giving_back([("id[]", "a")], f"order_id {ID}", order=LONG_ID),
    ("file", "GET", f"/order/ord-1/inventory/{LONG_ID}", {}, f"id {ID}"),
    ("file", "GET", f"/order/{LONG_ID}/inventory/item-2", {}, f"order_id {ID}"),
    ("account", "GET", f"/order/ord-1/inventory/{LONG_ID}/account", {}, f"id {ID}"),
    notifying(NOTIFICATION, "the body must be a JSON array of notifications"),
    notifying(["auction_deactivated"], "[0] must be a JSON object"),
    notifying(without("date"), "[0].date is required"),
    notifying([NOTIFICATION, *without("notification_type")], "[1].notification_type is required"),
    notifying(without("data"), "[0].data is required"),
    notifying([NOTIFICATION | {"notification_type": ""}],
              "[0].notification_type must be a non-empty string"),
    notifying([NOTIFICATION | {"date": "yesterday"}], "[0].date must be an ISO 8601 date and time"),
    notifying([NOTIFICATION | {"date": 1767261600}], "[0].date must be an ISO 8601 date and time"),
    notifying([NOTIFICATION | {"data": "gone"}], "[0].data must be a JSON object"),
    notifying(b"[{]", NOT_JSON),
]  # fmt: skip


@pytest.mark.anyio
@pytest.mark.parametrize(("call", "method", "path", "request_", "message"), FAULTS)
async def test_requests_outside_the_contract_are_refused_naming_the_fault(
    call: str, method: str, path: str, request_: dict[str, Any], message: str
) -> None:
    stock, metrics = FakeStock(), Metrics()
    response = await send(receiver(stock, metrics=metrics), method, path, **request_)

    assert (response.status_code, response.json()) == (
        400,
        {"code": "bad_request", "message": message},
    )
    assert stock.calls == []
    assert calls(metrics, call, 400) == 1
    assert sum(refusals(metrics, reason) for reason in REJECTIONS) == 0  # not a delivery refused


@pytest.mark.anyio
async def test_what_the_contract_allows_at_its_edges_is_taken() -> None:
    """Fields G2A may add are let through, `additional_data` reaches the stock exact, ids of 36
    characters and the largest int64 pass, and `id=` names items as `id[]=` does."""
    stock = FakeStock()
    app = receiver(stock)
    line = (
        b'[{"product_id": 9223372036854775807, "quantity": 3, "new_field": [1],'
        b' "additional_data": {"unit_price": "1.10", "auction_base_price": 0.1000000000000000055}}]'
    )
    reserved = await send(app, "POST", "/reservation", content=line)
    order = {"reservation_id": "r" * 36, "g2a_order_id": MAX_INT64, "added_later": True}
    ordered = await send(app, "POST", "/order", json=order)
    given_back = await send(
        app, "DELETE", "/order/ord-1/inventory", params=[("id[]", "i" * 36), ("id", "item-9")]
    )
    notified = await send(app, "POST", "/notifications", json=[NOTIFICATION | {"extra": 1}])
    nothing = await send(app, "POST", "/notifications", json=[])

    answers = [reserved, ordered, given_back, notified, nothing]
    assert [a.status_code for a in answers] == [200, 200, 204, 204, 204]
    exact = {"unit_price": "1.10", "auction_base_price": Decimal("0.1000000000000000055")}
    assert stock.calls == [
        ("reserve", ([StockRequest(MAX_INT64, 3, exact)],)),
        ("order", ("r" * 36, MAX_INT64)),
        ("give_back", ("ord-1", ["i" * 36, "item-9"])),
        ("notify", ([StockNotification(**NOTIFICATION)],)),
        ("notify", ([],)),
    ]


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("call", "path", "body"),
    [
        ("reserve", "/reservation", b"[" + b" " * 200 + b"]"),
        ("order", "/order", b'{"reservation_id": "' + b"r" * 200 + b'"}'),
        ("notify", "/notifications", b"[" + b" " * 200 + b"]"),
    ],
)
async def test_a_body_past_the_limit_is_refused_413_unread(
    call: str, path: str, body: bytes
) -> None:
    stock, metrics = FakeStock(), Metrics()
    app = receiver(stock, metrics=metrics, max_body_bytes=100)
    response = await send(app, "POST", path, content=body, headers=bearer())

    assert (response.status_code, response.json()) == (
        413,
        {"code": "oversized_body", "message": "the body is over 100 bytes"},
    )
    assert stock.calls == []
    assert (calls(metrics, call, 413), refusals(metrics, "oversized_body")) == (1, 1)


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (SellerStockError("quantity over the limit"), 400, "bad_request"),
        (ProductNotFoundError("product 7 is not sold here"), 404, "product_not_found"),
        (InsufficientStockError("2 of 3 units left"), 400, "insufficient_stock"),
        (ReservationNotFoundError("no reservation res-1"), 404, "reservation_not_found"),
        (ReservationExpiredError("res-1 lapsed"), 410, "reservation_expired"),
        (OrderExistsError("res-1 was ordered as ord-1"), 409, "order_exists"),
        (OrderNotFoundError("no order ord-1"), 404, "order_not_found"),
        (InventoryNotFoundError("no item item-9"), 404, "inventory_not_found"),
    ],
)
@pytest.mark.parametrize(("call", "method", "path", "request_"), ROUTES, ids=[r[0] for r in ROUTES])
async def test_the_stocks_refusals_answer_their_status_and_code(
    error: SellerStockError,
    status: int,
    code: str,
    call: str,
    method: str,
    path: str,
    request_: dict[str, Any],
) -> None:
    stock, metrics = FakeStock(failure=error), Metrics()
    response = await send(receiver(stock, metrics=metrics), method, path, **request_)

    assert (response.status_code, response.json()) == (
        status,
        {"code": code, "message": str(error)},
    )
    assert "cache-control" not in response.headers
    assert calls(metrics, call, status) == 1


@pytest.mark.anyio
@pytest.mark.parametrize(("call", "method", "path", "request_"), ROUTES, ids=[r[0] for r in ROUTES])
async def test_a_failing_stock_answers_500_and_logs_without_telling_g2a(
    call: str, method: str, path: str, request_: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    stock = FakeStock(failure=RuntimeError("connection to db-7.internal:5432 refused"))
    metrics = Metrics()
    with caplog.at_level(logging.ERROR, logger="g2a_adapter"):
        response = await send(receiver(stock, metrics=metrics), method, path, **request_)

    assert (response.status_code, response.json()) == (
        500,
        {"code": "internal_error", "message": "the seller's stock failed"},
    )
    assert "db-7" not in response.text
    assert calls(metrics, call, 500) == 1
    [record] = [r for r in caplog.records if r.name == "g2a_adapter"]
    assert (record.levelname, record.getMessage()) == (
        "ERROR",
        f"g2a.seller.stock_failed call={call}",
    )
    assert record.exc_info is not None
    assert isinstance(record.exc_info[1], RuntimeError)


@pytest.mark.anyio
async def test_keys_passwords_and_files_never_reach_the_logs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    stock = FakeStock()
    app = receiver(stock)
    with caplog.at_level(logging.DEBUG):
        answers = [
            await send(app, method, path, **request_) for _, method, path, request_ in ROUTES
        ]
        refused = await send(app, "GET", "/order/ord-1/inventory", headers={"Authorization": "x"})

    assert [a.status_code for a in answers] == [ANSWERS[call][0] for call, *_ in ROUTES]
    assert refused.status_code == 401
    logged = caplog.text + "".join(repr(r.__dict__) for r in caplog.records)
    served = "".join(a.text for a in answers)
    for secret in SECRETS:
        assert secret not in logged
    for secret in SECRETS[:-1]:
        assert secret in served  # each secret was answered, so the check above means something
    shown = repr([DELIVERED, ACCOUNT, SellerOrder("o", DELIVERED), stock.calls])
    shown += repr(ACCOUNT.optional)  # a recovery answer or a PIN
    shown += repr(InventoryFile(FILE_DATA, "voucher.pdf", "application/pdf"))
    assert not any(secret in shown for secret in SECRETS)
    assert repr(FILE_DATA) not in shown


@pytest.mark.anyio
async def test_the_stock_runs_on_the_receivers_worker_threads_never_on_the_loop() -> None:
    """Calls run off the event loop and share the receiver's worker threads: with one, a call
    waits while another holds it, and the loop meanwhile still answers."""
    stock = FakeStock()
    app = receiver(stock, handler_threads=1)
    for _, method, path, request_ in ROUTES:
        await send(app, method, path, **request_)
    assert len(stock.threads) == len(ROUTES)
    assert threading.main_thread() not in stock.threads  # the loop runs on the main thread

    stock.gate = threading.Event()
    answers: list[int] = []

    async def reserve() -> None:
        answers.append((await send(app, "POST", "/reservation", json=RESERVE)).status_code)

    try:
        async with anyio.create_task_group() as group:
            group.start_soon(reserve)
            group.start_soon(reserve)
            with anyio.fail_after(5):
                while len(stock.calls) < len(ROUTES) + 1:  # the first holds the only thread
                    await anyio.sleep(0.01)
            health = await send(app, "GET", "/healthz")
            await anyio.sleep(0.05)
            assert health.status_code == 200
            assert len(stock.calls) == len(ROUTES) + 1  # the second waits for the thread
            stock.gate.set()
    finally:
        stock.gate.set()
    assert answers == [200, 200]
    assert len(stock.calls) == len(ROUTES) + 2


@pytest.mark.anyio
async def test_the_calls_counter_is_exported_from_zero() -> None:
    metrics = Metrics()
    app = receiver(FakeStock(), metrics=metrics)
    exposition = (await send(app, "GET", "/metrics")).text

    for call, status in [
        ("reserve", 200),
        ("reserve", 413),
        ("order", 202),
        ("order", 409),
        ("order", 410),
        ("cancel", 204),
        ("give_back", 404),
        ("notify", 500),
        ("account", 401),
    ]:
        assert f'g2a_seller_calls_total{{call="{call}",status="{status}"}} 0.0' in exposition
    await send(app, "POST", "/reservation", json=RESERVE)
    await send(app, "POST", "/reservation", json=RESERVE)
    await send(app, "POST", "/reservation", json=[])
    assert (calls(metrics, "reserve", 200), calls(metrics, "reserve", 400)) == (2, 1)


@pytest.mark.anyio
async def test_without_a_seller_stock_the_routes_are_not_served() -> None:
    metrics = Metrics()
    app = receiver(None, metrics=metrics)
    answers = [await send(app, method, path, **request_) for _, method, path, request_ in ROUTES]

    not_found = {"code": "not_found", "message": "no such endpoint on this receiver"}
    assert [(a.status_code, a.json()) for a in answers] == [(404, not_found)] * 9
    assert "g2a_seller_calls_total{" not in (await send(app, "GET", "/metrics")).text


@pytest.mark.anyio
async def test_a_wrong_method_or_path_of_the_seller_contract_answers_its_error_body() -> None:
    """G2A reads `{"code", "message"}` from every seller endpoint; Starlette's 404 and 405
    answered the webhook's `{"error"}` there."""
    app = receiver(FakeStock())
    wrong_method = await send(app, "GET", "/reservation")
    unknown_route = await send(app, "POST", "/order/ord-1/inventory/item-1/account/more")
    webhook_path = await send(app, "GET", "/webhooks/g2a")

    assert (wrong_method.status_code, wrong_method.json()) == (
        405,
        {"code": "method_not_allowed", "message": "GET is not allowed here; allowed: POST"},
    )
    assert wrong_method.headers["allow"] == "POST"
    assert (unknown_route.status_code, unknown_route.json()) == (
        404,
        {"code": "not_found", "message": "no such endpoint on this receiver"},
    )
    assert (webhook_path.status_code, webhook_path.json()) == (
        405,
        {"error": "method_not_allowed"},
    )


@pytest.mark.anyio
async def test_g2a_authenticates_with_the_seller_credentials_of_the_settings() -> None:
    """G2A_SELLER_CLIENT_ID/_SECRET: the pair a seller enters in G2A's panel. Before, the
    token endpoint took only the API hash and key, so the Export API key had to be handed
    over as the seller's secret."""
    own = Settings.from_env(
        {
            "G2A_API_URL": "http://127.0.0.1:9/v1",
            "G2A_API_HASH": API_HASH,
            "G2A_API_KEY": API_KEY,
            "G2A_WEBHOOK_SECRET": "receiver-webhook-secret",
            "G2A_IDEMPOTENCY_URL": "memory://",
            "G2A_SELLER_CLIENT_ID": "shop-42",
            "G2A_SELLER_CLIENT_SECRET": "a seller secret of our own",
        }
    )
    app = create_receiver_app(own, print, options=ReceiverOptions(seller_stock=FakeStock()))
    grant = {"grant_type": "client_credentials"}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://receiver"
    ) as client:
        ours = await client.get(
            "/oauth/token",
            params=grant | {"client_id": "shop-42", "client_secret": "a seller secret of our own"},
        )
        api_pair = await client.get(
            "/oauth/token", params=grant | {"client_id": API_HASH, "client_secret": API_KEY}
        )

    assert ours.status_code == 200
    assert (api_pair.status_code, api_pair.json()) == (401, {"error": "invalid_client"})
    assert "a seller secret of our own" in own.secret_values()
    assert "a seller secret of our own" not in repr(own)
