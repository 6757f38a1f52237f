"""Steps: G2A's declared-stock callbacks, made by G2A's side (`SellerCalls`) to the receiver
serving the harness's reference stock.

Each scenario serves its own receiver over a fresh `ReferenceStock` whose clock only moves when
a step says so, so a reservation's lifetime passes at once. The stock is read directly (units
left, notifications recorded): it is the seller's own state, which G2A never sees.
"""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

from pytest_bdd import given, parsers, then, when

from harness.bdd.wordings import parse
from harness.bdd.world import World, missing
from harness.seller_calls import SellerAnswer, SellerCalls
from harness.seller_stock import ReferenceStock

TARGETS = ("twin",)

_SELLER = "seller"
_G2A_ORDER_ID = 7_000_000_001  # G2A's id for the scenario's order; another order's is the next


class _StoppedClock:
    """The stock's clock: still until a step moves it."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@dataclass
class _Seller:
    """The scenario's seller (its stock and clock), G2A's client, and what G2A got back."""

    stock: ReferenceStock
    clock: _StoppedClock
    calls: SellerCalls
    answer: SellerAnswer | None = None
    reservation_id: str | None = None
    order_id: str | None = None
    delivered: list[dict[str, Any]] = field(default_factory=list)

    def took(self, answer: SellerAnswer) -> SellerAnswer:
        self.answer = answer
        return answer

    def last(self) -> SellerAnswer:
        if self.answer is None:
            raise missing(
                "call from G2A to the seller", '"When G2A reserves 2 units of product …" makes one'
            )
        return self.answer


def _seller(world: World) -> _Seller:
    seller: _Seller = world.noted(
        _SELLER, "seller", 'start with "Given the seller stocks 3 keys of …"'
    )
    return seller


def _reservation(seller: _Seller) -> str:
    if seller.reservation_id is None:
        raise missing("reservation by G2A", '"When G2A reserves 2 units of product …" makes one')
    return seller.reservation_id


def _order(seller: _Seller) -> str:
    if seller.order_id is None:
        raise missing("order by G2A", '"When G2A orders the reservation" makes one')
    return seller.order_id


def _expect_status(answer: SellerAnswer, status: int) -> None:
    if answer.status != status:
        raise AssertionError(
            f"expected the seller to answer HTTP {status}, got HTTP {answer.status}: "
            f"{answer.body!r}"
        )


@given(parse("the seller stocks {count:whole} keys of product {product_id:whole}"))
def seller_stocks(g2a_world: World, count: int, product_id: int) -> None:
    """Serve the receiver with G2A's declared-stock callbacks over a reference stock holding
    that many keys of one product; reservations last 30 minutes on the seller's clock.

    Example: the seller stocks 3 keys of product 10000027819004
    """
    from g2a_adapter.receiver import InventoryItem
    from harness.recording_receiver import declared_stock_app
    from harness.seller_stock import StockedItem, StockedProduct
    from harness.serving import serve_asgi
    from harness.twin.credentials import SANDBOX_API_HASH, SANDBOX_API_KEY

    assert _SELLER not in g2a_world.notes, "the seller is stocked once per scenario"
    keys = [
        StockedItem(InventoryItem(f"{product_id}-{n}", f"KEY-{product_id}-{n}"))
        for n in range(1, count + 1)
    ]
    clock = _StoppedClock()
    stock = ReferenceStock([StockedProduct(product_id, keys)], clock=clock)
    stack = ExitStack()
    g2a_world.on_close(stack.close)
    base_url = stack.enter_context(serve_asgi(declared_stock_app(stock)))
    calls = stack.enter_context(SellerCalls(base_url, SANDBOX_API_HASH, SANDBOX_API_KEY))
    g2a_world.notes[_SELLER] = _Seller(stock, clock, calls)


@given("G2A holds a token from the seller")
def g2a_holds_token(g2a_world: World) -> None:
    """G2A asks the seller for a token (`GET /oauth/token`) and gets one.

    Example: G2A holds a token from the seller
    """
    answer = _seller(g2a_world).calls.token()
    assert answer.status == 200, f"the seller answered the token request {answer.status}"


@when(
    parsers.re(r"G2A reserves (?P<quantity>\d+) units? of product (?P<product_id>\d+)"),
    converters={"quantity": int, "product_id": int},
)
def g2a_reserves(g2a_world: World, quantity: int, product_id: int) -> None:
    """G2A reserves units of a product (`POST /reservation`).

    Example: G2A reserves 2 units of product 10000027819004
    """
    seller = _seller(g2a_world)
    answer = seller.took(seller.calls.reserve({product_id: quantity}))
    if answer.status == 200:
        seller.reservation_id = answer.body["reservation_id"]


@when(parse("G2A reserves a unit of product {product_id:whole} without a bearer token"))
def g2a_reserves_without_token(g2a_world: World, product_id: int) -> None:
    """G2A's reservation call arrives without an `Authorization` header.

    Example: G2A reserves a unit of product 10000027819004 without a bearer token
    """
    seller = _seller(g2a_world)
    lines = [{"product_id": product_id, "quantity": 1}]
    seller.took(seller.calls.send("POST", "/reservation", body=lines, bearer=False))


@when(parsers.re(r"G2A orders the reservation(?P<another> again as another G2A order)?"))
def g2a_orders(g2a_world: World, another: str | None) -> None:
    """G2A turns its reservation into an order (`POST /order`), or once more as another order.

    The second order carries another `g2a_order_id` than the first.

    Example: G2A orders the reservation
    Example: G2A orders the reservation again as another G2A order
    """
    seller = _seller(g2a_world)
    g2a_order_id = _G2A_ORDER_ID + 1 if another else _G2A_ORDER_ID
    answer = seller.took(seller.calls.order(_reservation(seller), g2a_order_id))
    if answer.status in (200, 202) and not another:
        seller.order_id = answer.body["order_id"]
        seller.delivered = answer.body.get("stock") or []


@when("G2A repeats its order, having missed the answer")
def g2a_repeats_order(g2a_world: World) -> None:
    """G2A sends its `POST /order` again, same `g2a_order_id`, as when an answer was lost.

    Example: G2A repeats its order, having missed the answer
    """
    seller = _seller(g2a_world)
    seller.took(seller.calls.order(_reservation(seller), _G2A_ORDER_ID))


@when("G2A renews the reservation")
def g2a_renews(g2a_world: World) -> None:
    """G2A renews its reservation (`PUT /reservation/{id}`), also one that has expired.

    Example: G2A renews the reservation
    """
    seller = _seller(g2a_world)
    seller.took(seller.calls.renew(_reservation(seller)))


@when("G2A releases the reservation")
def g2a_releases(g2a_world: World) -> None:
    """G2A cancels its reservation (`DELETE /reservation/{id}`).

    Example: G2A releases the reservation
    """
    seller = _seller(g2a_world)
    seller.took(seller.calls.cancel(_reservation(seller)))


@when("the reservation's lifetime passes")
def reservation_lapses(g2a_world: World) -> None:
    """Move the seller's clock past a reservation's lifetime (30 minutes).

    Example: the reservation's lifetime passes
    """
    seller = _seller(g2a_world)
    seller.clock.now += seller.stock.reservation_seconds


@when("G2A gives back the first key of the order")
def g2a_gives_back(g2a_world: World) -> None:
    """G2A returns the order's first key to the seller (`DELETE /order/{id}/inventory?id[]=`).

    Example: G2A gives back the first key of the order
    """
    seller = _seller(g2a_world)
    order_id = _order(seller)
    first = seller.delivered[0]["inventory"][0]["id"] if seller.delivered else None
    assert first is not None, "the order delivered no key to give back"
    seller.took(seller.calls.give_back(order_id, [first]))


@when(parse("G2A notifies the seller that auction {auction_id:whole} was deactivated"))
def g2a_notifies(g2a_world: World, auction_id: int) -> None:
    """G2A tells the seller an auction was deactivated (`POST /notifications`).

    Example: G2A notifies the seller that auction 4242 was deactivated
    """
    seller = _seller(g2a_world)
    notice = {
        "notification_type": "auction_deactivated",
        "date": "2026-01-01T12:00:00+00:00",
        "data": {"message": "Auction deactivated", "auction_id": auction_id, "offer_id": "o-1"},
    }
    seller.took(seller.calls.notify([notice]))


@then(parse("the seller answers HTTP {status:whole}"))
def seller_answers(g2a_world: World, status: int) -> None:
    """The seller's last answer has this status.

    Example: the seller answers HTTP 204
    """
    _expect_status(_seller(g2a_world).last(), status)


@then(
    parsers.re(
        r'the seller refuses it with HTTP (?P<status>\d+)(?: and code "(?P<code>[\w.-]+)")?'
    ),
    converters={"status": int},
)
def seller_refuses(g2a_world: World, status: int, code: str | None) -> None:
    """The seller refused G2A's last call with this status and G2A's error body
    `{"code", "message"}` (with this code, when one is named).

    Example: the seller refuses it with HTTP 409 and code "order_exists"
    """
    answer = _seller(g2a_world).last()
    _expect_status(answer, status)
    body = answer.body if isinstance(answer.body, dict) else {}
    assert isinstance(body.get("code"), str), f"expected an error code, got {answer.body!r}"
    assert isinstance(body.get("message"), str), f"expected an error message, got {answer.body!r}"
    assert code is None or body["code"] == code, f'expected the code "{code}", got "{body["code"]}"'


@then("the seller answers with the original order and its keys")
def seller_replays_order(g2a_world: World) -> None:
    """The last answer is the first order's again: 200, the same order id and the same keys.

    This replay is how G2A recovers the keys of an answer it missed.

    Example: the seller answers with the original order and its keys
    """
    seller = _seller(g2a_world)
    order_id = _order(seller)
    answer = seller.last()
    _expect_status(answer, 200)
    body = answer.body if isinstance(answer.body, dict) else {}
    assert body.get("order_id") == order_id, (
        f"expected the original order {order_id}, got {body.get('order_id')}"
    )
    assert body.get("stock") == seller.delivered, (
        "expected the keys of the first answer, got other keys"
    )


@then(
    parsers.re(r"the order delivers (?P<count>\d+) keys? of product (?P<product_id>\d+)"),
    converters={"count": int, "product_id": int},
)
def order_delivers(g2a_world: World, count: int, product_id: int) -> None:
    """The order's answer (200) carries that many of the seller's keys of the product.

    Example: the order delivers 2 keys of product 10000027819004
    """
    seller = _seller(g2a_world)
    _expect_status(seller.last(), 200)
    lines = [line for line in seller.delivered if line["product_id"] == product_id]
    keys = [item["value"] for line in lines for item in line["inventory"]]
    assert len(keys) == count, (
        f"expected {count} keys of product {product_id} delivered, got {len(keys)}"
    )
    foreign = [key for key in keys if not key.startswith(f"KEY-{product_id}-")]
    assert not foreign, f"expected only keys from the seller's stock, got {len(foreign)} others"


@then(
    parsers.re(r"the seller has (?P<count>\d+) units? of product (?P<product_id>\d+) left"),
    converters={"count": int, "product_id": int},
)
def seller_has_left(g2a_world: World, count: int, product_id: int) -> None:
    """The seller's stock holds that many units of the product, neither reserved nor sold.

    Example: the seller has 3 units of product 10000027819004 left
    """
    left = _seller(g2a_world).stock.available(product_id)
    assert left == count, f"expected {count} units of product {product_id} left, got {left}"


@then(parse("the seller recorded the deactivation of auction {auction_id:whole}"))
def seller_recorded(g2a_world: World, auction_id: int) -> None:
    """The seller's stock recorded G2A's `auction_deactivated` notification for the auction.

    Example: the seller recorded the deactivation of auction 4242
    """
    recorded = [
        (n.notification_type, n.data.get("auction_id"))
        for n in _seller(g2a_world).stock.notifications
    ]
    seen = ", ".join(f"{kind} of auction {auction}" for kind, auction in recorded) or "nothing"
    assert recorded == [("auction_deactivated", auction_id)], (
        f"expected the deactivation of auction {auction_id} recorded, got {seen}"
    )
