"""G2A's declared-stock callbacks (docs/g2a-api.md §3), served over the service's `SellerStock`.

Each call is checked in turn: its bearer (from `GET /oauth/token`), then its ids and body, which
must be what G2A documents (a 400 `{"code": "bad_request", "message"}` names what is not; fields
G2A adds later are let through). The `SellerStock` then runs on the receiver's worker threads:
a `SellerStockError` answers its own status with `{"code", "message"}`, any other failure is
logged and answered 500 without its text. Every answer is counted in
`g2a_seller_calls_total{call, status}`; a refused bearer or body (too large, cut off) also in
`g2a_webhook_validation_failures_total{reason}`, through the app's `refused`.
"""

from __future__ import annotations

import base64
import functools
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

import anyio
import anyio.to_thread
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from g2a_adapter._errors import WebhookRejectedError
from g2a_adapter._metrics import Metrics
from g2a_adapter.receiver._body import read_body
from g2a_adapter.receiver._events import load_json_exactly
from g2a_adapter.receiver._seller_auth import SellerTokenIssuer, TokenRequestError
from g2a_adapter.receiver._stock import (
    DeliveredStock,
    InventoryAccount,
    InventoryFile,
    Reservation,
    SellerOrder,
    SellerStock,
    SellerStockError,
    StockLevel,
    StockNotification,
    StockRequest,
)

logger = logging.getLogger("g2a_adapter")

MAX_ID_LENGTH = 36  # reservation, order and item ids (G2A prefers UUIDs)
MAX_INT64 = 2**63 - 1  # product and G2A order ids
MAX_INT32 = 2**31 - 1  # a quantity: what a stock count column holds
_NO_STORE = {"Cache-Control": "no-store"}  # answers that carry keys, accounts or files
_BEARER_REFUSALS = {
    "missing_bearer": "an Authorization: Bearer token from GET /oauth/token is required",
    "invalid_token": "the bearer token is not valid or has expired",
}
_UNREADABLE = {
    "malformed_body": "the body is not JSON in UTF-8",
    "non_finite_number": "the body holds NaN or Infinity, which JSON does not allow",
}
# The answers of each call known ahead, exported at 0 from the start: G2A's documented ones,
# 400 (a request outside the contract), 401 (the bearer), 413 (a body past the limit) and 500.
SELLER_CALL_STATUSES: dict[str, tuple[int, ...]] = {
    "reserve": (200, 400, 401, 404, 413, 500),
    "renew": (200, 400, 401, 404, 500),
    "cancel": (204, 400, 401, 404, 500),
    "order": (200, 202, 400, 401, 404, 409, 410, 413, 500),
    "inventory": (200, 400, 401, 404, 500),
    "give_back": (204, 400, 401, 404, 500),
    "file": (200, 400, 401, 404, 500),
    "account": (200, 400, 401, 404, 500),
    "notify": (204, 400, 401, 413, 500),
}

Refuse = Callable[[str, str], JSONResponse]
"""The app's `refused(reason, message)`: answers and counts a refusal of `REJECTIONS`."""
Work = Callable[[], Response]
"""A checked call: runs the stock on a worker thread and gives its answer."""
Prepare = Callable[[Request], Awaitable[Work]]
"""Checks a request's ids and body: its `Work`, or `_BadRequest`."""


class _BadRequest(Exception):
    """A request outside G2A's contract; the message names what is wrong."""


_CONTRACT_ROOTS = frozenset({"oauth", "healthcheck", "reservation", "order", "notifications"})


def seller_error(
    status: int, code: str, message: str, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    """G2A's error body for the seller's endpoints."""
    return JSONResponse({"code": code, "message": message}, status_code=status, headers=headers)


def in_seller_contract(path: str) -> bool:
    """Whether G2A calls a seller under `path`'s root (its answers are `{code, message}`)."""
    return path.lstrip("/").split("/", 1)[0] in _CONTRACT_ROOTS


def check_bearer(tokens: SellerTokenIssuer, request: Request, refused: Refuse) -> Response | None:
    """None for a request with a live bearer; else its 401, counted."""
    try:
        tokens.check(request.headers.get("authorization"))
    except TokenRequestError as exc:
        response = refused(exc.reason, _BEARER_REFUSALS[exc.reason])
        response.headers["WWW-Authenticate"] = "Bearer"
        return response
    return None


class SellerRoutes:
    """The declared-stock routes, calling `stock` on the receiver's `workers`."""

    def __init__(
        self,
        stock: SellerStock,
        *,
        tokens: SellerTokenIssuer,
        workers: anyio.CapacityLimiter,
        metrics: Metrics,
        max_body_bytes: int,
        refused: Refuse,
    ) -> None:
        self.stock = stock
        self.tokens = tokens
        self.workers = workers
        self.metrics = metrics
        self.max_body_bytes = max_body_bytes
        self.refused = refused
        for call, statuses in SELLER_CALL_STATUSES.items():
            for status in statuses:
                metrics.seller_calls_total.labels(call, str(status))

    def routes(self) -> list[Route]:
        served: list[tuple[str, str, str, Prepare]] = [
            ("/reservation", "POST", "reserve", self._reserve),
            ("/reservation/{reservation_id}", "PUT", "renew", self._renew),
            ("/reservation/{reservation_id}", "DELETE", "cancel", self._cancel),
            ("/order", "POST", "order", self._order),
            ("/order/{order_id}/inventory", "GET", "inventory", self._inventory),
            ("/order/{order_id}/inventory", "DELETE", "give_back", self._give_back),
            ("/order/{order_id}/inventory/{item_id}", "GET", "file", self._file),
            ("/order/{order_id}/inventory/{item_id}/account", "GET", "account", self._account),
            ("/notifications", "POST", "notify", self._notify),
        ]
        return [
            Route(path, self._endpoint(call, prepare), methods=[method])
            for path, method, call, prepare in served
        ]

    def _endpoint(self, call: str, prepare: Prepare) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            response = await self._respond(call, request, prepare)
            self.metrics.seller_calls_total.labels(call, str(response.status_code)).inc()
            return response

        return endpoint

    async def _respond(self, call: str, request: Request, prepare: Prepare) -> Response:
        refusal = check_bearer(self.tokens, request, self.refused)
        if refusal is not None:
            return refusal
        try:
            work = await prepare(request)
        except _BadRequest as exc:
            return seller_error(400, "bad_request", str(exc))
        except WebhookRejectedError as exc:  # a body past the limit, or cut off (`read_body`)
            return self.refused(exc.reason, self._body_refusal(exc.reason))
        try:
            return await anyio.to_thread.run_sync(work, limiter=self.workers)
        except SellerStockError as exc:
            return seller_error(exc.status, exc.code, exc.message)
        except Exception:
            logger.exception("g2a.seller.stock_failed call=%s", call, extra={"call": call})
            return seller_error(500, "internal_error", "the seller's stock failed")

    def _body_refusal(self, reason: str) -> str:
        if reason == "incomplete_body":
            return "the body ended before its declared length"
        return f"the body is over {self.max_body_bytes} bytes"

    async def _json(self, request: Request) -> Any:
        body = await read_body(request, self.max_body_bytes)
        try:
            return load_json_exactly(body)
        except WebhookRejectedError as exc:
            raise _BadRequest(_UNREADABLE[exc.reason]) from None

    async def _reserve(self, request: Request) -> Work:
        requests = _stock_requests(await self._json(request))
        return lambda: _reservation_answer(self.stock.reserve(requests))

    async def _renew(self, request: Request) -> Work:
        reservation_id = _path_id(request, "reservation_id")
        return lambda: _reservation_answer(self.stock.renew(reservation_id))

    async def _cancel(self, request: Request) -> Work:
        reservation_id = _path_id(request, "reservation_id")
        return _no_content(functools.partial(self.stock.cancel, reservation_id))

    async def _order(self, request: Request) -> Work:
        fields = _object(await self._json(request), "the body")
        reservation_id = _id(_field(fields, "reservation_id"), "reservation_id")
        g2a_order_id = _integer(_field(fields, "g2a_order_id"), "g2a_order_id", MAX_INT64)
        return lambda: _order_answer(self.stock.order(reservation_id, g2a_order_id))

    async def _inventory(self, request: Request) -> Work:
        order_id = _path_id(request, "order_id")
        return lambda: _inventory_answer(self.stock.inventory(order_id))

    async def _give_back(self, request: Request) -> Work:
        order_id = _path_id(request, "order_id")
        item_ids = _item_ids(request)
        return _no_content(functools.partial(self.stock.give_back, order_id, item_ids))

    async def _file(self, request: Request) -> Work:
        order_id, item_id = _path_id(request, "order_id"), _path_id(request, "item_id", "id")
        return lambda: _file_answer(self.stock.file(order_id, item_id))

    async def _account(self, request: Request) -> Work:
        order_id, item_id = _path_id(request, "order_id"), _path_id(request, "item_id", "id")
        return lambda: _account_answer(self.stock.account(order_id, item_id))

    async def _notify(self, request: Request) -> Work:
        notifications = _notifications(await self._json(request))
        return _no_content(functools.partial(self.stock.notify, notifications))


# --- reading requests ----------------------------------------------------------------------


def _field(fields: Mapping[str, Any], name: str, at: str = "") -> Any:
    if name not in fields:
        raise _BadRequest(f"{at}{'.' if at else ''}{name} is required")
    return fields[name]


def _object(value: Any, name: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise _BadRequest(f"{name} must be a JSON object")
    return value


def _integer(value: Any, name: str, maximum: int) -> int:
    """A positive integer as JSON wrote it: not `true`, not `1.0` (parsed as a `Decimal`)."""
    if type(value) is not int or not 1 <= value <= maximum:
        raise _BadRequest(f"{name} must be an integer from 1 to {maximum}")
    return value


def _id(value: Any, name: str) -> str:
    """An id the seller issued: G2A only echoes it, so nothing but a plain one is taken (no
    control or format character, no path separator, not `.` or `..`)."""
    if not (
        isinstance(value, str)
        and 1 <= len(value) <= MAX_ID_LENGTH
        and value.isprintable()
        and not {"/", "\\"} & set(value)
        and value not in (".", "..")
    ):
        raise _BadRequest(
            f"{name} must be a string of 1 to {MAX_ID_LENGTH} printable characters, "
            "without / or \\, not . or .."
        )
    return value


def _path_id(request: Request, param: str, name: str | None = None) -> str:
    return _id(request.path_params[param], name or param)


def _stock_requests(body: Any) -> list[StockRequest]:
    if not isinstance(body, list):
        raise _BadRequest("the body must be a JSON array of {product_id, quantity}")
    if not body:
        raise _BadRequest("the body must name at least one product")
    return [_stock_request(line, f"[{index}]") for index, line in enumerate(body)]


def _stock_request(line: Any, at: str) -> StockRequest:
    fields = _object(line, at)
    return StockRequest(
        product_id=_integer(_field(fields, "product_id", at), f"{at}.product_id", MAX_INT64),
        quantity=_integer(_field(fields, "quantity", at), f"{at}.quantity", MAX_INT32),
        additional_data=_object(fields.get("additional_data", {}), f"{at}.additional_data"),
    )


def _item_ids(request: Request) -> list[str]:
    """The items of `DELETE /order/{order_id}/inventory?id[]=…` (`id=…` also accepted)."""
    ids = [*request.query_params.getlist("id[]"), *request.query_params.getlist("id")]
    if not ids:
        raise _BadRequest("id[] is required: the items to give back")
    return [_id(item_id, f"id[{index}]") for index, item_id in enumerate(ids)]


def _notifications(body: Any) -> list[StockNotification]:
    if not isinstance(body, list):
        raise _BadRequest("the body must be a JSON array of notifications")
    return [_notification(item, f"[{index}]") for index, item in enumerate(body)]


def _notification(item: Any, at: str) -> StockNotification:
    fields = _object(item, at)
    kind = _field(fields, "notification_type", at)
    if not isinstance(kind, str) or not kind:
        raise _BadRequest(f"{at}.notification_type must be a non-empty string")
    date = _field(fields, "date", at)
    if not (isinstance(date, str) and _is_iso_8601(date)):
        raise _BadRequest(f"{at}.date must be an ISO 8601 date and time")
    data = _object(_field(fields, "data", at), f"{at}.data")
    return StockNotification(notification_type=kind, date=date, data=data)


def _is_iso_8601(text: str) -> bool:
    try:
        datetime.fromisoformat(text)
    except ValueError:
        return False
    return True


# --- writing answers -----------------------------------------------------------------------


def _no_content(action: Callable[[], None]) -> Work:
    """`action`, answered 204."""

    def work() -> Response:
        action()
        return Response(status_code=204)

    return work


def _levels(stock: Sequence[StockLevel]) -> list[dict[str, int]]:
    return [{"product_id": s.product_id, "inventory_size": s.inventory_size} for s in stock]


def _reservation_answer(reservation: Reservation) -> Response:
    stock = _levels(reservation.stock)
    return JSONResponse({"reservation_id": reservation.reservation_id, "stock": stock})


def _delivered(stock: Sequence[DeliveredStock]) -> list[dict[str, Any]]:
    return [
        {
            "product_id": line.product_id,
            "inventory_size": line.inventory_size,
            "inventory": [
                {"id": item.id, "value": item.value, "kind": item.kind} for item in line.inventory
            ],
        }
        for line in stock
    ]


def _order_answer(order: SellerOrder) -> Response:
    """200 with the keys, or 202 when the order was made without them (G2A fetches them from
    `GET /order/{order_id}/inventory` later)."""
    if order.stock is None:
        return JSONResponse({"order_id": order.order_id}, status_code=202, headers=_NO_STORE)
    answer = {"order_id": order.order_id, "stock": _delivered(order.stock)}
    return JSONResponse(answer, headers=_NO_STORE)


def _inventory_answer(stock: Sequence[DeliveredStock]) -> Response:
    return JSONResponse(_delivered(stock), headers=_NO_STORE)


def _file_answer(file: InventoryFile) -> Response:
    data = base64.b64encode(file.data).decode("ascii")
    answer = {"data": data, "fileName": file.file_name, "mimeType": file.mime_type}
    return JSONResponse(answer, headers=_NO_STORE)


def _account_answer(account: InventoryAccount) -> Response:
    answer = {
        "username": account.username,
        "password": account.password,
        "email": account.email,
        "emailPassword": account.email_password,
        "optional": [{"label": o.label, "details": o.details} for o in account.optional],
    }
    return JSONResponse(answer, headers=_NO_STORE)
