"""Pact provider states: named situations the twin can be put into before an interaction.

`apply_state("order {order_id} is paid", {"order_id": "1530978476"})` — the values come
from `params` or, failing that, from the words of the state name itself.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

from harness.twin.admin_input import MAX_AUCTION_PRICE, PRODUCT_ID
from harness.twin.catalog import complete_product
from harness.twin.runtime import Twin
from harness.twin.state import Job, Order

StateHandler = Callable[[Twin, dict[str, str]], dict[str, Any]]
MAX_EXHAUSTED_SECONDS = 86400
_IDS = frozenset({"id", "order_id", "product_id"})  # product and order ids: 1 to 20 digits


def _number(raw: str, name: str, high: float) -> float:
    """`raw` as a finite number between 0 and `high`, else ValueError naming it. Checked
    before a state changes anything."""
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and 0 <= value <= high):
        raise ValueError(f"{name} must be a number between 0 and {high:g}, got {raw!r}")
    return value


def _ensure_product(twin: Twin, product_id: str, **fields: Any) -> dict[str, Any]:
    catalog = twin.state.catalog
    if catalog.get(product_id) is None:
        catalog.add(complete_product({"id": product_id}, twin.config.seed))
    return catalog.update(product_id, fields)


def _in_stock(twin: Twin, p: dict[str, str]) -> dict[str, Any]:
    existing = twin.state.catalog.get(p["id"])
    qty = max(100, int(existing["qty"])) if existing else 100
    product = _ensure_product(twin, p["id"], qty=qty)
    return {"product_id": product["id"], "qty": product["qty"], "price": product["minPrice"]}


def _missing(twin: Twin, p: dict[str, str]) -> dict[str, Any]:
    twin.state.catalog.remove(p["id"])
    return {"product_id": p["id"]}


def _costs_more(twin: Twin, p: dict[str, str]) -> dict[str, Any]:
    price = round(_number(p["price"], "price", MAX_AUCTION_PRICE) + 10.0, 2)
    _ensure_product(twin, p["id"], minPrice=price, qty=100)
    return {"product_id": p["id"], "price": price}


def _order(twin: Twin, p: dict[str, str]) -> Order:
    """The order `order_id` (created as new when absent, reserving a unit of an in-stock
    product as a created order does: unpaid, it lapses and gives the unit back)."""
    state = twin.state
    order_id = p["order_id"]
    order = state.orders.get(order_id)
    if order is None:
        product_id = p.get("product_id", "10000068865001")
        product = _ensure_product(twin, product_id, qty=100)
        state.catalog.update(product_id, {"qty": product["qty"] - 1})
        price = float(product["minPrice"])
        order = Order(
            order_id, product_id, price, "EUR", price, state.clock(), key=state.key_for(order_id)
        )
        state.reserve(order)
    return order


def _order_new(twin: Twin, p: dict[str, str]) -> dict[str, Any]:
    order = _order(twin, p)
    twin.state.set_paid(order, None)
    order.transaction_id, order.key_downloaded = None, False
    twin.state.recheck_reservation(order)
    return {"order_id": order.id, "product_id": order.product_id, "price": order.price}


def _order_paid(twin: Twin, p: dict[str, str], *, complete: bool = False) -> dict[str, Any]:
    order = _order(twin, p)
    state = twin.state
    state.set_paid(
        order, state.clock() - (state.config.completion_delay_seconds if complete else 0.0)
    )
    order.transaction_id = order.transaction_id or state.new_uuid()
    order.key = order.key or state.key_for(order.id)
    order.key_downloaded = False
    state.recheck_reservation(order)
    twin.watch_completion(order)
    return {"order_id": order.id, "transaction_id": order.transaction_id}


def _order_complete(twin: Twin, p: dict[str, str]) -> dict[str, Any]:
    return _order_paid(twin, p, complete=True)


def _order_key_taken(twin: Twin, p: dict[str, str]) -> dict[str, Any]:
    result = _order_paid(twin, p, complete=True)
    twin.state.orders[p["order_id"]].key_downloaded = True
    return result


def _nothing(twin: Twin, p: dict[str, str]) -> dict[str, Any]:
    return {}


def _rate_exhausted(twin: Twin, p: dict[str, str]) -> dict[str, Any]:
    seconds = _number(p.get("seconds", "60"), "seconds", MAX_EXHAUSTED_SECONDS)
    twin.state.limiter.exhausted_until = twin.state.clock() + seconds
    return {"retry_after": int(seconds)}


def _offers(twin: Twin, p: dict[str, str]) -> dict[str, Any]:
    state = twin.state
    if not state.offers:
        for index, product in enumerate(list(state.catalog)[:3]):
            offer_id = state.new_uuid()
            state.offers[offer_id] = {
                "id": offer_id,
                "type": "dropshipping",
                "product": {"id": product["id"], "name": product["name"]},
                "price": {"retail": f"{product['minPrice'] + index:.2f}"},
                "inventory": {"size": 10, "sold": 0},
                "visibility": "retail",
                "status": "active",
                "createdAt": "2026-01-01T00:00:00Z",
                "updatedAt": "2026-01-01T00:00:00Z",
            }
    return {"offer_ids": list(state.offers)}


def _job(twin: Twin, p: dict[str, str]) -> dict[str, Any]:
    state = twin.state
    now = state.clock()
    offer_id = next(iter(_offers(twin, p)["offer_ids"]))
    job = Job(p["job_id"], now, now, offer_id, "update", {"variant": {}}, applied=True)
    state.jobs[job.id] = job
    return {"job_id": job.id, "offer_id": offer_id}


STATES: tuple[tuple[str, StateHandler], ...] = (
    ("product {id} is in stock", _in_stock),
    ("product {id} does not exist", _missing),
    ("product {id} costs more than {price}", _costs_more),
    ("order {order_id} exists", _order_new),
    ("order {order_id} is paid", _order_paid),
    ("order {order_id} is complete", _order_complete),
    ("key for order {order_id} was already downloaded", _order_key_taken),
    ("credentials are invalid", _nothing),
    ("rate limit is exhausted", _rate_exhausted),
    ("offers exist", _offers),
    ("job {job_id} exists", _job),
)
_PLACEHOLDER = re.compile(r"\\\{(\w+)\\\}")


def _pattern(template: str) -> re.Pattern[str]:
    """`order {order_id} is paid` matches `order 15 is paid` and the template itself."""
    return re.compile(_PLACEHOLDER.sub(r"(?P<\1>\\S+)", re.escape(template)))


PATTERNS = tuple((_pattern(template), handler) for template, handler in STATES)


def apply_state(twin: Twin, name: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
    """Put the twin into the named state; returns the values it used.

    Values come from `params` first, then from the state's own words. KeyError if the state
    is unknown, ValueError if a value is missing or malformed.
    """
    for pattern, handler in PATTERNS:
        match = pattern.fullmatch(name.strip())
        if match:
            values = {k: str(v) for k, v in match.groupdict().items()}
            values.update({k: str(v) for k, v in (params or {}).items()})
            for key, value in values.items():
                if value == f"{{{key}}}":
                    raise ValueError(f"state {name!r} needs the parameter {key}")
                if key in _IDS and not re.fullmatch(PRODUCT_ID, value):
                    raise ValueError(f"{key} must be 1 to 20 digits, got {value!r}")
            return handler(twin, values)
    raise KeyError(name)
