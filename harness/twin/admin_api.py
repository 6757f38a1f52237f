"""The admin surface `/__twin/…`: reset, catalog, request log, faults, orders, webhooks,
config, provider states, jobs. JSON in and out; never authenticated, faulted or logged."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from harness.twin import import_api
from harness.twin.catalog import Catalog, complete_product, generate_products
from harness.twin.faults import FaultSpecError
from harness.twin.runtime import Twin
from harness.twin.states import apply_state


class AdminError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _twin(request: Request) -> Twin:
    twin: Twin = request.app.state.twin
    return twin


async def _json(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw:
        return {}
    try:
        data = json.loads(raw)
    except ValueError:
        raise AdminError(400, "body is not valid JSON") from None
    if not isinstance(data, dict):
        raise AdminError(400, "body must be a JSON object")
    return data


def _ok(payload: Any = None, status: int = 200) -> JSONResponse:
    return JSONResponse({"ok": True} if payload is None else payload, status)


async def reset(request: Request) -> Response:
    _twin(request).reset()
    return _ok()


async def seed_catalog(request: Request) -> Response:
    twin = _twin(request)
    body = await _json(request)
    seed = int(body.get("seed", twin.config.seed))
    if body.get("products") is not None:
        products = body["products"]
        if not isinstance(products, list) or not all(
            isinstance(p, dict) and "id" in p for p in products
        ):
            raise AdminError(400, "products must be a list of objects with an id")
        catalog = Catalog(complete_product(p, seed) for p in products)
    else:
        size = int(body.get("size", twin.config.catalog_size))
        catalog = Catalog(generate_products(seed, size))
    twin.state.catalog = catalog
    return _ok({"total": len(catalog)})


async def product(request: Request) -> Response:
    twin = _twin(request)
    product_id = request.path_params["product_id"]
    if twin.state.catalog.get(product_id) is None:
        raise AdminError(404, f"no product {product_id}")
    if request.method == "PATCH":
        return _ok(twin.state.catalog.update(product_id, await _json(request)))
    return _ok(twin.state.catalog.get(product_id))


async def requests_log(request: Request) -> Response:
    twin = _twin(request)
    if request.method == "DELETE":
        twin.state.requests.clear()
        return _ok()
    path = request.query_params.get("path")
    method = request.query_params.get("method")
    records = [
        r.as_dict()
        for r in twin.state.requests
        if (path is None or r.path == path) and (method is None or r.method == method.upper())
    ]
    return _ok(records)


async def faults(request: Request) -> Response:
    book = _twin(request).state.faults
    if request.method == "POST":
        try:
            fault = book.add(await _json(request))
        except FaultSpecError as exc:
            raise AdminError(400, str(exc)) from None
        return _ok(fault.as_dict(), 201)
    if request.method == "DELETE":
        book.clear()
        return _ok()
    return _ok(book.list())


async def fault(request: Request) -> Response:
    if not _twin(request).state.faults.remove(request.path_params["fault_id"]):
        raise AdminError(404, "no such fault")
    return _ok()


async def orders(request: Request) -> Response:
    twin = _twin(request)
    now, delay = twin.state.clock(), twin.config.completion_delay_seconds
    return _ok([o.as_dict(now, delay) for o in twin.state.orders.values()])


_ORDER_FIELDS = {"status", "price", "currency", "key", "key_downloaded", "created_at", "paid_at"}


async def order(request: Request) -> Response:
    twin = _twin(request)
    state = twin.state
    found = state.orders.get(request.path_params["order_id"])
    if found is None:
        raise AdminError(404, "no such order")
    if request.method == "PATCH":
        fields = await _json(request)
        unknown = set(fields) - _ORDER_FIELDS
        if unknown:
            raise AdminError(400, f"unknown order field(s): {', '.join(sorted(unknown))}")
        status = fields.pop("status", None)
        if status == "new":
            found.paid_at, found.key_downloaded = None, False
        elif status in {"paid", "complete"}:
            delay = twin.config.completion_delay_seconds if status == "complete" else 0.0
            found.paid_at = state.clock() - delay
            found.transaction_id = found.transaction_id or state.new_uuid()
            found.key = found.key or state.key_for(found.id)
        elif status is not None:
            raise AdminError(400, "status must be new, paid or complete")
        for name, value in fields.items():
            setattr(found, name, value)
    return _ok(found.as_dict(state.clock(), twin.config.completion_delay_seconds))


async def subscribers(request: Request) -> Response:
    hooks = _twin(request).webhooks
    if request.method == "POST":
        body = await _json(request)
        secrets = body.get("secrets")
        if secrets is not None and (not isinstance(secrets, list) or not secrets):
            raise AdminError(400, "secrets must be a non-empty list")
        try:
            subscriber = hooks.subscribe(str(body.get("url", "")), secrets)
        except ValueError as exc:
            raise AdminError(400, str(exc)) from None
        return _ok(subscriber.as_dict(), 201)
    return _ok([s.as_dict() for s in hooks.subscribers.values()])


async def subscriber(request: Request) -> Response:
    if not _twin(request).webhooks.unsubscribe(request.path_params["subscriber_id"]):
        raise AdminError(404, "no such subscriber")
    return _ok()


async def deliveries(request: Request) -> Response:
    return _ok(list(_twin(request).webhooks.deliveries))


async def emit(request: Request) -> Response:
    twin = _twin(request)
    body = await _json(request)
    found = twin.state.orders.get(str(body.get("order_id")))
    if found is None:
        raise AdminError(404, "no such order")
    try:
        event_id = twin.webhooks.emit_order(found, str(body.get("type")))
    except ValueError as exc:
        raise AdminError(400, str(exc)) from None
    return _ok({"event_id": event_id}, 201)


async def redeliver(request: Request) -> Response:
    body = await _json(request)
    try:
        _twin(request).webhooks.redeliver(
            str(body.get("event_id")), str(body.get("mode", "duplicate"))
        )
    except KeyError:
        raise AdminError(404, "no such event") from None
    except (LookupError, ValueError) as exc:
        raise AdminError(400, str(exc)) from None
    return _ok()


async def config(request: Request) -> Response:
    twin = _twin(request)
    if request.method == "PUT":
        try:
            twin.configure(twin.config.updated(await _json(request)))
        except (TypeError, ValueError, KeyError) as exc:
            raise AdminError(400, str(exc)) from None
    return _ok(twin.config.as_dict())


async def states(request: Request) -> Response:
    body = await _json(request)
    params = body.get("params") or {}
    if not isinstance(params, dict):
        raise AdminError(400, "params must be an object")
    try:
        used = apply_state(_twin(request), str(body.get("state", "")), params)
    except KeyError:
        raise AdminError(400, f"unknown provider state: {body.get('state')!r}") from None
    except ValueError as exc:
        raise AdminError(400, str(exc)) from None
    return _ok({"state": body.get("state"), "params": used})


async def jobs(request: Request) -> Response:
    twin = _twin(request)
    import_api.settle_jobs(twin)
    now = twin.state.clock()
    return _ok([job.as_dict(now) for job in twin.state.jobs.values()])


async def health(request: Request) -> Response:
    return _ok({"status": "ok", "products": len(_twin(request).state.catalog)})


async def admin_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, AdminError)
    return JSONResponse({"error": exc.message}, exc.status)


ROUTES = [
    Route("/__twin/health", health, methods=["GET"]),
    Route("/__twin/reset", reset, methods=["POST"]),
    Route("/__twin/catalog", seed_catalog, methods=["POST"]),
    Route("/__twin/catalog/{product_id}", product, methods=["GET", "PATCH"]),
    Route("/__twin/requests", requests_log, methods=["GET", "DELETE"]),
    Route("/__twin/faults", faults, methods=["GET", "POST", "DELETE"]),
    Route("/__twin/faults/{fault_id}", fault, methods=["DELETE"]),
    Route("/__twin/orders", orders, methods=["GET"]),
    Route("/__twin/orders/{order_id}", order, methods=["GET", "PATCH"]),
    Route("/__twin/webhooks/subscribers", subscribers, methods=["GET", "POST"]),
    Route("/__twin/webhooks/subscribers/{subscriber_id}", subscriber, methods=["DELETE"]),
    Route("/__twin/webhooks/deliveries", deliveries, methods=["GET"]),
    Route("/__twin/webhooks/emit", emit, methods=["POST"]),
    Route("/__twin/webhooks/redeliver", redeliver, methods=["POST"]),
    Route("/__twin/config", config, methods=["GET", "PUT"]),
    Route("/__twin/states", states, methods=["POST"]),
    Route("/__twin/jobs", jobs, methods=["GET"]),
]
