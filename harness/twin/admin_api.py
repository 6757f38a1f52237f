"""The admin surface `/__twin/…`: reset, catalog and auctions, request log, faults, orders,
webhooks, config, provider states, jobs. JSON in and out; never authenticated, faulted or
logged."""

from __future__ import annotations

from importlib import resources
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from harness.twin import import_api
from harness.twin.admin_index import index_html, index_json
from harness.twin.admin_input import (
    PRODUCT_ID,
    AdminError,
    auction_list,
    flag,
    integer,
    number,
    product_fields,
    text,
)
from harness.twin.assumptions import registry_report
from harness.twin.catalog import Catalog, complete_product, generate_products
from harness.twin.config import webhook_secrets
from harness.twin.errors import UnanswerableError, check_answerable, strict_json
from harness.twin.faults import FaultSpecError
from harness.twin.runtime import Twin
from harness.twin.state import Order, TwinState
from harness.twin.states import apply_state


def _twin(request: Request) -> Twin:
    twin: Twin = request.app.state.twin
    return twin


async def _json(request: Request, *, required: bool = True) -> dict[str, Any]:
    raw = await request.body()
    if not raw and not required:
        return {}
    data = _parsed(raw)
    if not isinstance(data, dict):
        raise AdminError(400, "body must be a JSON object")
    return data


def _parsed(raw: bytes) -> Any:
    try:
        data = strict_json(raw)
    except (ValueError, RecursionError):  # RecursionError: nested deeper than the parser goes
        raise AdminError(400, "body is not valid JSON") from None
    try:
        check_answerable(data, "body")
    except UnanswerableError as exc:  # the published answer names the body, not the place
        raise AdminError(400, f"body {exc.reason}") from None
    return data


def _ok(payload: Any = None, status: int = 200) -> JSONResponse:
    return JSONResponse({"ok": True} if payload is None else payload, status)


async def reset(request: Request) -> Response:
    _twin(request).reset()
    return _ok()


MAX_CATALOG = 5000
# This surface as OpenAPI 3: package data of `harness.twin`, served wherever the twin runs
# (contracts/openapi/twin-admin.yaml links to it).
OPENAPI_DOCUMENT = "twin-admin.yaml"


async def seed_catalog(request: Request) -> Response:
    twin = _twin(request)
    body = await _json(request, required=False)
    seed = integer(body, "seed", -(2**63), 2**63 - 1)
    seed = twin.config.seed if seed is None else seed
    size = integer(body, "size", 0, MAX_CATALOG)
    products = body.get("products")
    if "products" in body:
        if (
            not isinstance(products, list)
            or len(products) > MAX_CATALOG
            or not all(isinstance(p, dict) for p in products)
        ):
            raise AdminError(400, f"products must be a list of at most {MAX_CATALOG} objects")
        _check_products(products)
        catalog = Catalog((complete_product(p, seed) for p in products), seed)
    else:
        size = twin.config.catalog_size if size is None else size
        catalog = Catalog(generate_products(seed, size), seed)
    twin.state.catalog = catalog
    return _ok({"total": len(catalog)})


def _check_products(products: list[dict[str, Any]]) -> None:
    """Each seeded product as a PATCH would check it, its id given once; a refusal names the
    entry."""
    positions: dict[str, int] = {}
    for position, product in enumerate(products):
        try:
            product_id = text(product, "id", PRODUCT_ID, required=True) or ""
            product_fields(product)
            if product_id in positions:
                raise AdminError(400, f"id {product_id} repeats products[{positions[product_id]}]")
        except AdminError as exc:
            raise AdminError(400, f"products[{position}]: {exc.message}") from None
        positions[product_id] = position


def _known_product(twin: Twin, request: Request) -> str:
    product_id: str = request.path_params["product_id"]
    if twin.state.catalog.get(product_id) is None:
        raise AdminError(404, f"no product {product_id}")
    return product_id


async def product(request: Request) -> Response:
    twin = _twin(request)
    twin.settle()  # its stock as the API would show it now
    product_id = _known_product(twin, request)
    if request.method == "PATCH":
        fields = await _json(request)
        product_fields(fields)
        return _ok(twin.state.catalog.update(product_id, fields))
    return _ok(twin.state.catalog.get(product_id))


async def auctions(request: Request) -> Response:
    """A product's auctions, cheapest first; PUT replaces them (and sets its minPrice)."""
    twin = _twin(request)
    product_id = _known_product(twin, request)
    catalog = twin.state.catalog
    if request.method == "PUT":
        catalog.set_auctions(product_id, auction_list(_parsed(await request.body()), product_id))
    return _ok([a.as_dict() for a in catalog.auctions(product_id)])


async def requests_log(request: Request) -> Response:
    twin = _twin(request)
    if request.method == "DELETE":
        twin.state.requests.clear()
        return _ok()
    path = request.query_params.get("path")
    method = request.query_params.get("method")
    records = [
        r.as_dict(twin.state.secrets)
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
    twin.settle()
    now = twin.state.clock()
    return _ok([_order_view(twin.state, o, now) for o in twin.state.orders.values()])


async def order(request: Request) -> Response:
    twin = _twin(request)
    state = twin.state
    found = state.orders.get(request.path_params["order_id"])
    if found is None:
        raise AdminError(404, "no such order")
    if request.method == "PATCH":
        _set_order(twin, found, await _json(request))
    twin.settle()
    return _ok(_order_view(state, found, state.clock()))


def _order_view(state: TwinState, found: Order, now: float) -> dict[str, Any]:
    """The order as the admin surface shows it, with `details_status`: the word
    `GET /v1/order/details` answers for it (`TwinState.status_word`)."""
    return {**found.as_dict(now), "details_status": state.status_word(found, now)}


_ORDER_STATUSES = ("new", "paid", "complete")


def _set_order(twin: Twin, found: Order, fields: dict[str, Any]) -> None:
    """Apply an order PATCH, every field checked first; its reservation and completion
    follow the new values (`TwinState.recheck_reservation`, `Twin.watch_completion`)."""
    unknown = set(fields) - {"status", "price", "currency", "key", "key_downloaded",
                             "created_at", "paid_at"}  # fmt: skip
    if unknown:
        raise AdminError(400, f"unknown order field(s): {', '.join(sorted(unknown))}")
    status = text(fields, "status")
    if status is not None and status not in _ORDER_STATUSES:
        raise AdminError(400, "status must be new, paid or complete")
    changes = {
        "price": number(fields, "price", 0),
        "currency": text(fields, "currency", r"[A-Z]{3}"),
        "key": text(fields, "key"),
        "key_downloaded": flag(fields, "key_downloaded"),
        "created_at": number(fields, "created_at", 0),
    }
    paid_at = number(fields, "paid_at", 0, nullable=True)
    state = twin.state
    if status == "new":
        state.set_paid(found, None)
        found.key_downloaded = False
    elif status is not None:
        delay = twin.config.completion_delay_seconds if status == "complete" else 0.0
        state.set_paid(found, state.clock() - delay)
        found.transaction_id = found.transaction_id or state.new_uuid()
        found.key = found.key or state.key_for(found.id)
    for name, value in changes.items():
        if name in fields:
            setattr(found, name, value)
    if "paid_at" in fields:
        state.set_paid(found, paid_at)
    state.recheck_reservation(found)
    twin.watch_completion(found)


async def subscribers(request: Request) -> Response:
    hooks = _twin(request).webhooks
    if request.method == "POST":
        body = await _json(request)
        url = text(body, "url", required=True)
        try:
            secrets = webhook_secrets("secrets", body["secrets"]) if "secrets" in body else None
            subscriber = hooks.subscribe(url or "", secrets)
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
    order_id, event_type = text(body, "order_id"), text(body, "type")
    if order_id is None or event_type is None:
        raise AdminError(400, "order_id and type are required")
    found = twin.state.orders.get(order_id)
    if found is None:
        raise AdminError(404, "no such order")
    try:
        event_id = twin.webhooks.emit_order(found, event_type)
    except ValueError as exc:
        raise AdminError(400, str(exc)) from None
    return _ok({"event_id": event_id}, 201)


async def redeliver(request: Request) -> Response:
    body = await _json(request)
    event_id, mode = text(body, "event_id"), text(body, "mode")
    if event_id is None:
        raise AdminError(400, "event_id is required")
    try:
        _twin(request).webhooks.redeliver(event_id, mode or "duplicate")
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
    params = body.get("params", {})
    if not isinstance(params, dict):
        raise AdminError(400, "params must be an object")
    name = text(body, "state")
    if name is None:
        raise AdminError(400, "state is required")
    try:
        used = apply_state(_twin(request), name, params)
    except KeyError:
        raise AdminError(400, f"unknown provider state: {body.get('state')!r}") from None
    except ValueError as exc:
        raise AdminError(400, str(exc)) from None
    return _ok({"state": body.get("state"), "params": used})


async def jobs(request: Request) -> Response:
    twin = _twin(request)
    import_api.settle_jobs(twin)
    now = twin.state.clock()
    words = twin.config.job_status_words
    return _ok([job.as_dict(now, words) for job in twin.state.jobs.values()])


async def index(request: Request) -> Response:
    base_url = str(request.base_url).rstrip("/")
    if "text/html" in request.headers.get("accept", ""):
        return HTMLResponse(index_html(base_url))
    return _ok(index_json(base_url))


async def openapi_document(request: Request) -> Response:
    document = resources.files("harness.twin").joinpath(OPENAPI_DOCUMENT)
    return PlainTextResponse(document.read_text(encoding="utf-8"), media_type="application/yaml")


async def assumptions(request: Request) -> Response:
    return _ok(registry_report(_twin(request).config))


async def health(request: Request) -> Response:
    return _ok({"status": "ok", "products": len(_twin(request).state.catalog)})


async def admin_error(request: Request, exc: Exception) -> Response:
    """Admin refusals as JSON `{"error": …}`: the admin's own, and Starlette's 404 and 405."""
    if isinstance(exc, HTTPException):
        reason = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, exc.detail)
        return JSONResponse({"error": reason}, exc.status_code, dict(exc.headers or {}))
    assert isinstance(exc, AdminError)
    return JSONResponse({"error": exc.message}, exc.status)


ROUTES = [
    Route("/__twin/", index, methods=["GET"]),
    Route("/__twin/openapi.yaml", openapi_document, methods=["GET"]),
    Route("/__twin/assumptions", assumptions, methods=["GET"]),
    Route("/__twin/health", health, methods=["GET"]),
    Route("/__twin/reset", reset, methods=["POST"]),
    Route("/__twin/catalog", seed_catalog, methods=["POST"]),
    Route("/__twin/catalog/{product_id}", product, methods=["GET", "PATCH"]),
    Route("/__twin/catalog/{product_id}/auctions", auctions, methods=["GET", "PUT"]),
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
