"""Steps: the twin's admin surface — faults, catalogue, configuration and what it received.

Only scenarios tagged for the twin use these; on a real G2A target they are deselected.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs

from pytest_bdd import given, parsers, then

from harness.bdd.wordings import WHOLE_TYPE, Between, Word, Wording, parse, phrases, worded
from harness.bdd.world import CHECK_CORRELATION_ID, TwinHandle, World
from harness.twin.assumptions import ORDER_ERRORS
from harness.twin.config import BOUNDS
from harness.twin.credentials import SANDBOX_PRODUCT_IDS
from harness.twin.faults import MAX_CODE_LENGTH, MAX_LATENCY_MS, MAX_RETRY_AFTER

TARGETS = ("twin",)

# How many requests a fault is armed for: the twin takes 1 or more.
TIMES = Between(WHOLE_TYPE, 1)
# Business name of a call -> (method, route glob) on the twin.
CALLS: dict[str, tuple[str, str]] = {
    "product list": ("GET", "/v1/products"),
    "order": ("POST", "/v1/order"),
    "payment": ("PUT", "/v1/order/pay/*"),
    "key": ("GET", "/v1/order/key/*"),
    "order details": ("GET", "/v1/order/details/*"),
    "offers": ("GET", "/v3/sales/offers"),
    "token": ("POST", "/oauth/token"),
}
_CALL_NAMES = "|".join(sorted(CALLS, key=len, reverse=True))
# An order's status on the twin (`GET /__twin/orders`).
ORDER_STATUSES: Wording[str] = Wording(
    "order status", phrases({s: s for s in ("new", "paid", "complete")})
)
# The query parameters the adapter sends a product list request with a whole number
# (`ProductQuery.params`): what `asking for {name} {value}` may name, case and all.
PRODUCT_QUERY_NAMES: Wording[str] = Wording(
    "query parameter",
    phrases({n: n for n in ("page", "id", "minQty", "minPriceFrom", "minPriceTo")}),
)
# The situations of the twin's `order_errors` (listed at `GET /__twin/assumptions`).
ORDER_SITUATIONS: Wording[str] = Wording("situation", phrases({s: s for s in ORDER_ERRORS}))


def admin_of(world: World) -> TwinHandle:
    assert world.twin is not None, (
        f"this step needs the twin, but the target is {world.target.name}: tag the scenario "
        "@twin only"
    )
    return world.twin


def _status_fault(status: str) -> dict[str, Any]:
    code = int(status)
    return {"kind": "rate_limit"} if code == 429 else {"kind": "status", "status": code}


_STATUS = r"[2-5]\d\d"  # what the twin answers as a fault: 200 to 599
_ERROR_STATUS = r"[45]\d\d"  # what a refusal answers: 400 to 599

RETRY_AFTER = Between(WHOLE_TYPE, 0, MAX_RETRY_AFTER)  # the Retry-After the twin sends
CODE = Word(MAX_CODE_LENGTH)  # a refusal's G2A error code, as the twin takes it

_FAULT_FORMS: dict[str, tuple[str, Callable[..., dict[str, Any]]]] = {
    "HTTP <status>": (rf"HTTP ({_STATUS})", _status_fault),
    f"a rate limit asking to wait <seconds, {RETRY_AFTER.describe()}> s": (
        r"a rate limit asking to wait (\d+) s",
        lambda seconds: {"kind": "rate_limit", "retry_after": RETRY_AFTER.value(seconds)},
    ),
    **phrases({"a connection reset": {"kind": "reset"}, "a malformed body": {"kind": "malformed"}}),
}
# A fault in business words -> the twin's fault fields (`<status>`: 200 to 599).
FAULTS: Wording[dict[str, Any]] = Wording("fault", _FAULT_FORMS)
# A sequence also says `passes` (None: that request is answered normally).
FAULT_SEQUENCE: Wording[dict[str, Any] | None] = Wording(
    "fault sequence", {**_FAULT_FORMS, **phrases({"passes": None})}, separators=(",",)
)


def add_fault(world: World, call: str, times: int | None, **spec: Any) -> str:
    method, route = CALLS[call]
    return admin_of(world).admin.add_fault(route=route, method=method, times=times, **spec)


def received(world: World, call: str) -> list[dict[str, Any]]:
    """The requests of this call the twin received from the scenario's own steps: a side
    check's are left out (`World.check` marks them). A twin whose request log has no headers
    has them all counted."""
    method, route = CALLS[call]
    by_path = "the steps reading what the twin received tell the calls apart by it"
    return [
        r
        for r in admin_of(world).admin.requests(method=method)
        if _on_route(_logged(r, "path", "request", by_path), route)
        and (r.get("headers") or {}).get("x-correlation-id") != CHECK_CORRELATION_ID
    ]


def _on_route(path: str, route: str) -> bool:
    """Whether a request to `path` is one to `route` (`/v1/order/details/*`: any below it)."""
    return path == route or (route.endswith("*") and path.startswith(route.removesuffix("*")))


def _logged(record: dict[str, Any], field: str, request: str, reads: str) -> Any:
    """`field` of an entry of the twin's request log (`request`: what it logs, as `order
    request`); an entry without it fails the step, named, saying what the step `reads` it for."""
    if field not in record:
        raise AssertionError(
            f"the twin's request log has no {field} for {request} {record.get('id', '?')}: {reads}"
        )
    return record[field]


# --- faults ----------------------------------------------------------------------------------
@given(
    worded(
        parsers.re(
            rf"the twin (?:answers|fails) the next (?P<times>\d+) (?P<call>{_CALL_NAMES}) "
            r"requests? with (?P<fault>.+)"
        ),
        times=TIMES,
        fault=FAULTS,
    )
)
def fault_next(g2a_world: World, times: str, call: str, fault: str) -> None:
    """The twin answers the next N requests of this call with a fault.

    Example: the twin answers the next 2 product list requests with HTTP 503
    """
    add_fault(g2a_world, call, int(times), **FAULTS.value(fault))


@given(
    worded(
        parsers.re(
            rf"the twin (?:refuses|answers) the next (?P<call>{_CALL_NAMES}) request "
            rf"with HTTP (?P<status>{_ERROR_STATUS}) and code (?P<code>\w+)"
        ),
        code=CODE,
    )
)
def refuse_next(g2a_world: World, call: str, status: str, code: str) -> None:
    """The twin refuses the next request of this call with an HTTP status and G2A error code.

    Example: the twin refuses the next offers request with HTTP 401 and code AUTH02
    """
    add_fault(g2a_world, call, 1, kind="status", status=int(status), code=code)


@given(parsers.re(rf"the twin never answers the next (?P<call>{_CALL_NAMES}) request"))
def hang_next(g2a_world: World, call: str) -> None:
    """The twin never answers the next request of this call.

    Example: the twin never answers the next order request
    """
    add_fault(g2a_world, call, 1, kind="hang")


@given(
    worded(
        parsers.re(
            rf"the twin never answers the next (?P<times>\d+) (?P<call>{_CALL_NAMES}) requests?"
        ),
        times=TIMES,
    )
)
def hang_next_n(g2a_world: World, times: str, call: str) -> None:
    """The twin never answers the next N requests of this call.

    Example: the twin never answers the next 1 product list requests
    """
    add_fault(g2a_world, call, int(times), kind="hang")


@given("the twin pays the next order but loses every answer to it")
def lose_payment_answers(g2a_world: World) -> None:
    # phase "after": the payment happens, then the connection drops before the answer.
    """The twin pays the next order but every answer to the payment is lost.

    Example: the twin pays the next order but loses every answer to it
    """
    add_fault(g2a_world, "payment", None, kind="reset", phase="after")


@given("the twin hands out the next key but loses the answer")
def lose_key_answer(g2a_world: World) -> None:
    """The twin hands the next key out, then drops the connection before the answer.

    Example: the twin hands out the next key but loses the answer
    """
    add_fault(g2a_world, "key", 1, kind="reset", phase="after")


@given("the twin answers normally again")
def no_more_faults(g2a_world: World) -> None:
    """The twin drops every fault and answers normally.

    Example: the twin answers normally again
    """
    admin_of(g2a_world).admin.clear_faults()


@given(
    worded(
        parsers.re(rf"the twin fails every (?P<call>{_CALL_NAMES}) request with (?P<fault>.+)"),
        fault=FAULTS,
    )
)
def fail_every(g2a_world: World, call: str, fault: str) -> None:
    """The twin fails every request of this call with a fault.

    Example: the twin fails every token request with HTTP 503
    """
    add_fault(g2a_world, call, None, **FAULTS.value(fault))


@given(
    worded(
        parsers.re(
            rf"the twin delays the next (?P<call>{_CALL_NAMES}) request by (?P<ms>\d+) milliseconds"
        ),
        ms=Between(WHOLE_TYPE, 0, MAX_LATENCY_MS),
    )
)
def delay_next(g2a_world: World, call: str, ms: str) -> None:
    """The twin delays its answer to the next request of this call.

    Example: the twin delays the next product list request by 300 milliseconds
    """
    add_fault(g2a_world, call, 1, kind="latency", latency_ms=int(ms))


@given(
    worded(
        parsers.re(
            rf"the twin answers (?P<call>{_CALL_NAMES}) requests "
            r'with the sequence "(?P<steps>[^"]+)"'
        ),
        steps=FAULT_SEQUENCE,
    )
)
def fault_sequence(g2a_world: World, call: str, steps: str) -> None:
    """The twin answers successive requests of this call with a sequence of faults.

    Example: the twin answers product list requests with the sequence "HTTP 503, passes"
    """
    sequence = FAULT_SEQUENCE.values(steps)
    first = next(a for a in sequence if a is not None)
    add_fault(g2a_world, call, None, sequence=sequence, seed=2026, **first)


# --- catalogue and configuration -------------------------------------------------------------
@given(
    worded(
        parse("the twin's catalogue holds {size:whole} products"),
        size=Between(WHOLE_TYPE, len(SANDBOX_PRODUCT_IDS), BOUNDS["catalog_size"][1]),
    )
)
def catalogue_size(g2a_world: World, size: int) -> None:
    """The twin's catalogue holds this many products (at least its 4 sandbox products).

    The twin always keeps the products the G2A sandbox publishes, so the smallest catalogue
    holds those 4.

    Example: the twin's catalogue holds 45 products
    """
    assert admin_of(g2a_world).admin.seed(size=size) == size


@given(
    parsers.re(
        r'product (?P<product_id>\d+) carries an extra field "(?P<name>\w+)" '
        r"with value (?P<value>\d+)"
    )
)
def extra_field(g2a_world: World, product_id: str, name: str, value: str) -> None:
    """The twin adds an extra field to one product (tolerance of unknown fields).

    Example: product 10000037846002 carries an extra field "loyaltyPoints" with value 12
    """
    updated = admin_of(g2a_world).admin.update_product(product_id, **{name: int(value)})
    assert updated[name] == int(value)


@given(
    worded(
        parse("the twin issues access tokens that live {seconds:whole} seconds"),
        seconds=Between(WHOLE_TYPE, *BOUNDS["token_ttl_seconds"]),
    )
)
def token_lifetime(g2a_world: World, seconds: int) -> None:
    """The twin issues access tokens that live this many seconds.

    Example: the twin issues access tokens that live 2 seconds
    """
    admin_of(g2a_world).admin.configure(token_ttl_seconds=seconds)


# --- what the twin saw -----------------------------------------------------------------------
@then(parsers.re(rf"the twin received (?P<count>\d+) (?P<call>{_CALL_NAMES}) requests?"))
def received_count(g2a_world: World, count: str, call: str) -> None:
    """The twin received this many requests of this call.

    Example: the twin received 1 product list request
    """
    seen = received(g2a_world, call)
    statuses = ", ".join(str(r.get("status", "not logged")) for r in seen)
    assert len(seen) == int(count), (
        f"expected {count} {call} requests, got {len(seen)} (statuses [{statuses}])"
    )


@then(parsers.re(rf"the twin received no request for (?P<call>{_CALL_NAMES})"))
def received_none(g2a_world: World, call: str) -> None:
    """The twin received no request of this call.

    Example: the twin received no request for order details
    """
    seen = received(g2a_world, call)
    assert not seen, f"expected no {call} request, got {len(seen)}"


@then(
    parsers.re(
        r'the twin received (?P<count>\d+) order requests? for product "(?P<product_id>\d+)" '
        r'in "(?P<currency>[A-Z]{3})"'
    )
)
def order_request_body(g2a_world: World, count: str, product_id: str, currency: str) -> None:
    """The twin received exactly this many order requests, each for this product and currency.

    Example: the twin received 1 order request for product "10000084431001" in "EUR"
    Example: the twin received 2 order requests for product "10000084431001" in "EUR"
    """
    bodies = [_order_body(r) for r in received(g2a_world, "order")]
    sent = [(body.get("product_id"), body.get("currency") or "EUR") for body in bodies]
    if sent == [(product_id, currency)] * int(count):
        return
    if len(sent) == 1 and sent[0][0] == product_id:
        got = f'1 in "{sent[0][1]}"'
    else:
        got = f"{len(sent)}" + "".join(f', for product "{p}" in "{c}"' for p, c in sent)
    raise AssertionError(
        f'expected {count} order request(s) for product "{product_id}" in "{currency}", got {got}'
    )


def _order_body(record: dict[str, Any]) -> dict[str, Any]:
    """The JSON object an order request sent, as the twin logged it; a log entry without one
    fails the step, named."""
    text = _logged(
        record, "body", "order request", "this step reads the product and currency from it"
    )
    try:
        body = json.loads(text)
    except (TypeError, ValueError):
        body = None
    if not isinstance(body, dict):
        raise AssertionError(
            f"the twin logged order request {record.get('id', '?')} with a body that is not a "
            f"JSON object: {text!r}"
        )
    return body


@then(
    worded(
        parsers.re(
            r"the twin received a product list request asking for (?P<name>\w+) (?P<value>\d+)"
        ),
        name=PRODUCT_QUERY_NAMES,
    )
)
def product_query(g2a_world: World, name: str, value: str) -> None:
    """The twin received a product list request with this query parameter, one the adapter
    sends with a whole number, written as the adapter sends it (`minQty`, not `minqty`: its
    parameters list them; a decimal price, a yes or no, a date does not fit the step).

    Example: the twin received a product list request asking for minQty 5
    """
    reads = "this step reads the query parameters from it"
    asked = [
        _logged(r, "query", "product list request", reads)
        for r in received(g2a_world, "product list")
    ]
    if not any(parse_qs(query).get(name) == [value] for query in asked):
        listed = "; ".join(query or "no query" for query in asked)
        raise AssertionError(
            f"expected a product list request asking for {name} {value}, "
            f"got {listed or 'no product list request'}"
        )


@then(parsers.re(r"the twin holds (?P<count>\d+) orders?"))
def twin_orders(g2a_world: World, count: str) -> None:
    """The twin holds this many orders in all, whatever their status.

    Example: the twin holds 0 orders
    """
    statuses = [o["status"] for o in admin_of(g2a_world).admin.orders()]
    if len(statuses) != int(count):
        raise AssertionError(
            f"expected {_orders(count)}, got {len(statuses)} ({_statuses(statuses)})"
        )


@then(
    worded(
        parsers.re(r'the twin holds (?P<count>\d+) orders? in status "(?P<status>\w+)"'),
        status=ORDER_STATUSES,
    )
)
def twin_orders_in(g2a_world: World, count: str, status: str) -> None:
    """The twin holds this many orders in this status (orders in other statuses not counted).

    Example: the twin holds 1 order in status "new"
    """
    statuses = [o["status"] for o in admin_of(g2a_world).admin.orders()]
    held = statuses.count(status)
    if held != int(count):
        raise AssertionError(
            f'expected {_orders(count)} in status "{status}", got {held} '
            f"(all orders: {_statuses(statuses)})"
        )


def _orders(count: str) -> str:
    return "1 order" if int(count) == 1 else f"{count} orders"


def _statuses(statuses: list[str]) -> str:
    return ", ".join(statuses) or "none"


@then(parse("the twin still holds {quantity:whole} keys of product {product_id:whole}"))
def twin_stock(g2a_world: World, quantity: int, product_id: int) -> None:
    """The twin holds exactly this many keys of a product (nothing was reserved).

    Example: the twin still holds 5 keys of product 10000027819004
    """
    held = admin_of(g2a_world).admin.product(str(product_id))["qty"]
    assert held == quantity, f"expected {quantity} keys of product {product_id}, got {held}"


def _configured_error(world: World, situation: str) -> None:
    from g2a_adapter import G2AApiError

    status, code, message = admin_of(world).admin.config()["order_errors"][situation]
    error = world.expect_error(G2AApiError)
    got = (error.status_code, error.code, error.message)
    if got != (status, code, message):
        raise AssertionError(
            f"expected HTTP {status}, code {code} and {message!r}, "
            f"got HTTP {error.status_code}, code {error.code} and {error.message!r}"
        )


@then(
    worded(
        parsers.parse('the call fails with the twin\'s configured "{situation}" error'),
        situation=ORDER_SITUATIONS,
    )
)
def configured_error(g2a_world: World, situation: str) -> None:
    """The last call failed with the status, code and message the twin is configured to give.

    The situation is a name of the twin's `order_errors` (listed at `GET /__twin/assumptions`).

    Example: the call fails with the twin's configured "rating_not_met" error
    """
    _configured_error(g2a_world, situation)


@then("the call fails because the price is above the maximum")
def price_exceeded(g2a_world: World) -> None:
    """The last order or purchase was refused because the product costs more than its maximum
    price (the twin's configured `price_exceeded` error).

    Example: the call fails because the price is above the maximum
    """
    if g2a_world.attempted and g2a_world.error is None:
        raise AssertionError(
            "expected the call to fail because the price is above the maximum, but it succeeded"
        )
    _configured_error(g2a_world, "price_exceeded")


@then(parsers.re(r"the twin issued exactly (?P<count>\d+) access tokens?"))
def tokens_issued(g2a_world: World, count: str) -> None:
    """The twin issued exactly this many access tokens.

    Example: the twin issued exactly 1 access token
    """
    reads = "this step counts the tokens issued by it (200)"
    statuses = [_logged(r, "status", "token request", reads) for r in received(g2a_world, "token")]
    issued = [status for status in statuses if status == 200]
    assert len(issued) == int(count), f"expected {count} access tokens, got {len(issued)}"
