"""G2A Export API (`/v1`): products and orders, exactly as docs/g2a-api.md §1.

What §1 leaves unknown is a `TwinConfig` setting registered in `harness.twin.assumptions`.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from typing import Any

from g2a_adapter.wire import PURCHASE_KEY_HEADER
from harness.twin import errors
from harness.twin.admin_input import finite_number, is_datetime
from harness.twin.auctions import Auction, cheapest_meeting
from harness.twin.catalog import Catalog
from harness.twin.config import TwinConfig
from harness.twin.errors import ApiError
from harness.twin.protocol import JSON_HEADERS, Call, Reply, json_reply
from harness.twin.query import int_param, number_param
from harness.twin.runtime import Twin
from harness.twin.state import Order, owned_by

_DIGITS = re.compile(r"[0-9]{1,20}")
_CURRENCY = re.compile(r"[A-Za-z]{3}")
_PURCHASE_KEY = PURCHASE_KEY_HEADER.lower()
_BOOLEANS = {"1": True, "true": True, "0": False, "false": False}
# What G2A documents of each call (docs/g2a-api.md §1); others: `unknown_fields_refused`.
_PRODUCT_PARAMS = frozenset(
    {
        "page",
        "id",
        "minQty",
        "minPriceFrom",
        "minPriceTo",
        "includeOutOfStock",
        "updatedAtFrom",
        "updatedAtTo",
    }
)
_ORDER_FIELDS = frozenset({"product_id", "currency", "max_price", "min_rating"})


def _refuse_unknown(
    config: TwinConfig, given: dict[str, Any], known: frozenset[str], what: str
) -> None:
    """BR02 naming what of `given` G2A does not document, when `unknown_fields_refused`."""
    unknown = sorted(set(given) - known)
    if unknown and config.unknown_fields_refused:
        raise ApiError(errors.BR02, f"unknown {what}: {', '.join(unknown)}")


def authenticate(twin: Twin, call: Call) -> str:
    """The API hash of a valid `Authorization: {hash}, {key}` header, else AUTH01/AUTH02."""
    header = call.headers.get("authorization")
    if header is None:
        raise errors.missing_authorization(twin.config.auth01_status)
    credential = twin.state.export_credential(header)
    if credential is None:
        raise ApiError(errors.AUTH02)
    return credential.api_hash


# products -----------------------------------------------------------------------------------
def _datetime_param(params: dict[str, str], name: str) -> str | None:
    raw = params.get(name)
    if raw is None:
        return None
    if not is_datetime(raw):
        raise ApiError(errors.BR02, f"{name} must be yyyy-mm-dd hh:mm:ss")
    return raw


def list_products(twin: Twin, call: Call, _: str | None) -> Reply:
    """`GET /v1/products`: filters, 20 a page, pages 1..max_page (outside: BR02).

    A page depends only on the query, two config fields and the products, so the catalog
    keeps it rendered until a product changes.
    """
    state = twin.state
    config = state.config
    try:
        _refuse_unknown(config, call.params, _PRODUCT_PARAMS, "query parameter(s)")
    except ApiError as exc:
        raise errors.restated(config.export_errors["bad_query"], exc) from None
    body = state.catalog.listing(
        (call.query, config.page_size, config.max_page, config.out_of_stock_hidden),
        lambda: _render_products(state.catalog, config, call.params),
    )
    return Reply(200, body, JSON_HEADERS)


def product_by_path(twin: Twin, call: Call, _: str | None) -> Reply:
    """`/v1/products/{id}`, any method: not a confirmed call (docs/g2a-api.md §1, [?]), so
    answered with `export_errors.product_path`."""
    raise ApiError(twin.state.config.export_errors["product_path"])


ProductFilter = Callable[[dict[str, Any]], bool]


def _render_products(catalog: Catalog, config: TwinConfig, params: dict[str, str]) -> bytes:
    try:
        page, wanted = _page(params, config.max_page), _filter(params, config)
    except ApiError as exc:  # a query G2A would refuse: its answer is a registered assumption
        raise errors.restated(config.export_errors["bad_query"], exc) from None
    product_id = params.get("id")
    if product_id is not None:
        if not _DIGITS.fullmatch(product_id):
            raise ApiError(errors.BR04)
        product = catalog.get(product_id)
        candidates = [] if product is None else [product]
    else:
        candidates = list(catalog)
    ids = [p["id"] for p in candidates if wanted(p)]
    size = config.page_size
    docs = b",".join(catalog.encoded(pid) for pid in ids[(page - 1) * size : page * size])
    return b'{"total": %d, "page": %d, "docs": [%s]}' % (len(ids), page, docs)


def _page(params: dict[str, str], max_page: int) -> int:
    page = int_param(params, "page", 1)
    if not 1 <= page <= max_page:
        raise ApiError(errors.BR02, f"page must be between 1 and {max_page}")
    return page


def _filter(params: dict[str, str], config: TwinConfig) -> ProductFilter:
    """Whether a product passes the query's filters (BR02 for one that does not parse)."""
    min_qty = int_param(params, "minQty")
    price_from = number_param(params, "minPriceFrom")
    price_to = number_param(params, "minPriceTo")
    updated_from = _datetime_param(params, "updatedAtFrom")
    updated_to = _datetime_param(params, "updatedAtTo")
    include_oos = _BOOLEANS.get(params.get("includeOutOfStock", "false"))
    if include_oos is None:
        raise ApiError(errors.BR02, "includeOutOfStock must be true, false, 1 or 0")
    hide_oos = not include_oos and _hides_out_of_stock(config.out_of_stock_hidden, params)
    return lambda p: (
        (not hide_oos or p["qty"] > 0)
        and (min_qty is None or p["qty"] >= min_qty)
        and (price_from is None or p["minPrice"] >= price_from)
        and (price_to is None or p["minPrice"] <= price_to)
        and (updated_from is None or p["updated_at"] >= updated_from)
        and (updated_to is None or p["updated_at"] <= updated_to)
    )


def _hides_out_of_stock(hidden: str, params: dict[str, str]) -> bool:
    """Whether this query leaves out products with qty 0 (`out_of_stock_hidden`), unless it
    asks for them with `includeOutOfStock`."""
    return hidden == "always" or (hidden == "listing" and "id" not in params)


# orders -------------------------------------------------------------------------------------
def _order_error(twin: Twin, name: str) -> ApiError:
    """The error of a situation whose answer G2A does not publish (see `assumptions`)."""
    return ApiError(twin.state.config.order_errors[name])


def _number(data: dict[str, Any], name: str, low: float, high: float) -> float | None:
    value = data.get(name)
    if value is None:
        return None
    if not finite_number(value):  # as `number_param`: 1e400, or more digits than a float holds
        raise ApiError(errors.BR02, f"{name} must be a number")
    if not low <= value <= high:
        limits = f">= {low:g}" if high == math.inf else f"between {low:g} and {high:g}"
        raise ApiError(errors.BR02, f"{name} must be {limits}")
    return float(value)


def create_order(twin: Twin, call: Call, _: str | None) -> Reply:
    """`POST /v1/order`: reserves one unit from the product's cheapest auction: at its
    `minPrice` or, with a `min_rating`, at the price of the cheapest seller rated that high.

    Everything is checked before the stock changes: a refused order leaves no trace.
    """
    if call.media_type != "application/json":
        raise _order_error(twin, "content_type_required")
    data = errors.json_object(call.body)
    _refuse_unknown(twin.state.config, data, _ORDER_FIELDS, "field(s)")
    product_id = data.get("product_id")
    if not isinstance(product_id, str) or not product_id:
        raise ApiError(errors.BR02, "product_id is required and must be a string")
    if not _DIGITS.fullmatch(product_id):
        raise ApiError(errors.BR04)
    currency = _currency(twin, data)
    state = twin.state
    rates = state.config.currency_rates
    max_price = _number(data, "max_price", 0, math.inf)  # no upper bound is documented
    min_rating = _number(data, "min_rating", 0.0, 1.0)
    product = state.catalog.get(product_id)
    if product is None:
        raise _order_error(twin, "product_not_found")
    if product["qty"] <= 0:
        raise _order_error(twin, "out_of_stock")
    auction = _seller_rated(twin, product_id, min_rating) if min_rating else None
    price_eur = float(product["minPrice"]) if auction is None else auction.price
    if max_price and price_eur > max_price:
        raise _order_error(twin, "price_exceeded")
    state.catalog.update(product_id, {"qty": product["qty"] - 1})
    order_id = state.next_order_id()
    price = round(price_eur * rates[currency], 2)
    state.reserve(
        Order(
            id=order_id,
            product_id=product_id,
            price_eur=price_eur,
            currency=currency,
            price=price,
            created_at=state.clock(),
            max_price=max_price,
            min_rating=min_rating,
            auction=auction,
            purchase_key=_purchase_key(call),
            owner=call.client,
        )
    )
    # What json.dumps would give, formatted directly (the hottest write path): the id is
    # digits and the currency three capital letters, so neither needs escaping.
    body = b'{"order_id": "%s", "price": %s, "currency": "%s"}' % (
        order_id.encode(),
        _json_float(price),
        currency.encode(),
    )
    return Reply(200, body, JSON_HEADERS)


def _currency(twin: Twin, data: dict[str, Any]) -> str:
    """The order's currency: EUR when absent or null (as for `max_price`); BR02 unless it is
    3 letters; `currency_not_supported` unless the twin prices it (a lower-case code too)."""
    currency = data.get("currency")
    if currency is None:
        return "EUR"
    if not isinstance(currency, str) or not _CURRENCY.fullmatch(currency):
        raise ApiError(errors.BR02, "currency must be a 3-letter currency code")
    if currency not in twin.state.config.currency_rates:
        raise _order_error(twin, "currency_not_supported")
    return currency


def _seller_rated(twin: Twin, product_id: str, min_rating: float) -> Auction:
    """The cheapest auction of the product whose seller is rated at least `min_rating`."""
    auction = cheapest_meeting(twin.state.catalog.auctions(product_id), min_rating)
    if auction is None:
        raise _order_error(twin, "rating_not_met")
    return auction


def _json_float(value: float) -> bytes:
    """`value` as json.dumps writes it: its repr, or json's spelling of NaN and infinities."""
    return repr(value).encode() if math.isfinite(value) else json.dumps(value).encode()


def _purchase_key(call: Call) -> str | None:
    """The adapter's purchase key header: not part of G2A's API, recorded as evidence of which
    purchase created or paid an order (the load verdict counts paid orders per key)."""
    return call.headers.get(_PURCHASE_KEY) or None


def _order(twin: Twin, call: Call, order_id: str | None) -> Order:
    """The caller's order `order_id`; another credential's is as unknown as a missing one."""
    order_id = order_id or ""
    if not _DIGITS.fullmatch(order_id):
        raise ApiError(twin.state.config.export_errors["order_id_not_numeric"])
    order = twin.state.orders.get(order_id)
    if order is None or not owned_by(order.owner, call.client):
        raise ApiError(errors.ORD02)
    return order


def pay_order(twin: Twin, call: Call, order_id: str | None) -> Reply:
    """`PUT /v1/order/pay/{id}`: pays from the ordering account's wallet; emits `order.paid`
    (and `order.complete` when the processing delay has passed: `Twin.watch_completion`).

    A body is refused (G2A's own client sends none) before anything changes, so the answer
    and the order's state always agree.
    """
    if call.body:  # whitespace too: G2A's client sends nothing at all
        raise _order_error(twin, "body_on_pay")
    order = _order(twin, call, order_id)
    state = twin.state
    now = state.clock()
    if order.paid_at is not None:
        raise _order_error(twin, "already_paid")
    if order.lapsed or now > order.created_at + state.config.reservation_seconds:
        raise ApiError(errors.ORD114)
    balance = state.balance(order.owner)
    if balance is not None and balance < order.price_eur:
        raise ApiError(errors.ORD112)
    state.charge(order.owner, order.price_eur)
    state.set_paid(order, now)
    order.purchase_key = order.purchase_key or _purchase_key(call)
    order.transaction_id = state.new_uuid()
    order.key = order.key or state.key_for(order.id)
    twin.webhooks.emit_order(order, "order.paid")
    twin.watch_completion(order)
    return json_reply({"status": True, "transaction_id": order.transaction_id})


def order_details(twin: Twin, call: Call, order_id: str | None) -> Reply:
    order = _order(twin, call, order_id)
    status = twin.state.status_word(order, twin.state.clock())
    return json_reply({"status": status, "price": order.price, "currency": order.currency})


def order_key(twin: Twin, call: Call, order_id: str | None) -> Reply:
    """`GET /v1/order/key/{id}`: the key, once (its order's completion was announced when
    it completed, not here)."""
    order = _order(twin, call, order_id)
    if order.key_downloaded:
        raise ApiError(errors.ORD004)
    if order.state(twin.state.clock()) != "complete":
        raise _order_error(twin, "key_not_ready")
    order.key_downloaded = True
    return json_reply({"key": order.key, "isFile": False})
