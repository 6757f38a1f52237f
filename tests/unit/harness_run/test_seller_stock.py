"""`ReferenceStock`: the harness's declared-stock `SellerStock` keeps every rule it documents."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from g2a_adapter.receiver import (
    InsufficientStockError,
    InventoryAccount,
    InventoryFile,
    InventoryItem,
    InventoryNotFoundError,
    OrderExistsError,
    OrderNotFoundError,
    ProductNotFoundError,
    ReservationExpiredError,
    ReservationNotFoundError,
    SellerStockError,
    StockLevel,
    StockNotification,
    StockRequest,
)
from harness.seller_stock import (
    RESERVATION_SECONDS,
    ReferenceStock,
    ReservationOrderedError,
    StockedItem,
    StockedProduct,
)

GAME, DLC, PACK = 10000027819004, 10000037846002, 10000084431001


class ManualClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def keys(product_id: int, count: int) -> list[StockedItem]:
    return [StockedItem(InventoryItem(f"{product_id}-{n}", f"KEY-{n}")) for n in range(count)]


def stock(clock: ManualClock | None = None, *, game: int = 3, dlc: int = 2) -> ReferenceStock:
    products = [
        StockedProduct(GAME, keys(GAME, game)),
        StockedProduct(DLC, keys(DLC, dlc), deferred=True),
    ]
    return ReferenceStock(products, reservation_seconds=60, clock=clock or ManualClock())


def ask(product_id: int = GAME, quantity: int = 1) -> list[StockRequest]:
    return [StockRequest(product_id, quantity)]


def test_a_reservation_holds_its_units_and_answers_what_is_left() -> None:
    seller = stock()
    reservation = seller.reserve([StockRequest(GAME, 2), StockRequest(DLC, 1)])
    assert 1 <= len(reservation.reservation_id) <= 36
    assert list(reservation.stock) == [StockLevel(GAME, 1), StockLevel(DLC, 1)]
    assert (seller.available(GAME), seller.available(DLC)) == (1, 1)


def test_lines_of_the_same_product_add_up() -> None:
    seller = stock()
    reservation = seller.reserve([StockRequest(GAME, 1), StockRequest(GAME, 2)])
    assert list(reservation.stock) == [StockLevel(GAME, 0)]


def test_a_reservation_holds_all_or_none() -> None:
    seller = stock()
    with pytest.raises(InsufficientStockError, match="3 asked for, 2 in stock") as refused:
        seller.reserve([StockRequest(GAME, 1), StockRequest(DLC, 3)])
    assert (refused.value.status, refused.value.code) == (400, "insufficient_stock")
    assert (seller.available(GAME), seller.available(DLC)) == (3, 2)


def test_an_unknown_product_is_not_found_and_holds_nothing() -> None:
    seller = stock()
    with pytest.raises(ProductNotFoundError):
        seller.reserve([StockRequest(GAME, 1), StockRequest(42, 1)])
    assert seller.available(GAME) == 3


@pytest.mark.parametrize("requests", [[], ask(quantity=0)], ids=["no line", "zero units"])
def test_an_empty_reservation_is_a_bad_request(requests: list[StockRequest]) -> None:
    with pytest.raises(SellerStockError) as refused:
        stock().reserve(requests)
    assert refused.value.status == 400


def test_the_default_lifetime_is_thirty_minutes() -> None:
    assert ReferenceStock([]).reservation_seconds == RESERVATION_SECONDS == 1800
    with pytest.raises(ValueError, match="positive"):
        ReferenceStock([], reservation_seconds=0)


def test_a_reservation_lapses_after_its_lifetime_and_gives_its_units_back() -> None:
    clock = ManualClock()
    seller = stock(clock)
    reservation = seller.reserve(ask(quantity=2))
    clock.now += 59.9
    assert seller.available(GAME) == 1
    clock.now += 0.1
    assert seller.available(GAME) == 3
    with pytest.raises(ReservationExpiredError) as refused:
        seller.order(reservation.reservation_id, 1)
    assert refused.value.status == 410


def test_renewing_restarts_the_lifetime() -> None:
    clock = ManualClock()
    seller = stock(clock)
    reservation = seller.reserve(ask())
    clock.now += 50
    assert seller.renew(reservation.reservation_id) == reservation
    clock.now += 50
    assert seller.order(reservation.reservation_id, 1).stock is not None


def test_a_lapsed_reservation_is_renewed_while_its_units_remain() -> None:
    clock = ManualClock()
    seller = stock(clock)
    reservation = seller.reserve(ask(quantity=2))
    clock.now += 61
    renewed = seller.renew(reservation.reservation_id)
    assert list(renewed.stock) == [StockLevel(GAME, 1)]
    order = seller.order(reservation.reservation_id, 1)
    assert order.stock is not None
    assert len(order.stock[0].inventory) == 2


def test_a_lapsed_reservation_whose_units_were_sold_cannot_be_renewed() -> None:
    clock = ManualClock()
    seller = stock(clock)
    lapsed = seller.reserve(ask(quantity=2))
    clock.now += 61
    seller.order(seller.reserve(ask(quantity=2)).reservation_id, 1)
    with pytest.raises(InsufficientStockError):
        seller.renew(lapsed.reservation_id)
    with pytest.raises(ReservationExpiredError):
        seller.order(lapsed.reservation_id, 2)


def test_cancelling_frees_the_units_and_is_idempotent() -> None:
    seller = stock()
    reservation = seller.reserve(ask(quantity=3))
    seller.cancel(reservation.reservation_id)
    seller.cancel(reservation.reservation_id)
    assert seller.available(GAME) == 3
    with pytest.raises(ReservationNotFoundError):
        seller.order(reservation.reservation_id, 1)
    with pytest.raises(ReservationNotFoundError):
        seller.renew(reservation.reservation_id)


def test_a_cancelled_reservation_is_forgotten_one_lifetime_later() -> None:
    clock = ManualClock()
    seller = stock(clock)
    reservation = seller.reserve(ask())
    seller.cancel(reservation.reservation_id)
    clock.now += 59
    seller.cancel(reservation.reservation_id)  # G2A's retry within a lifetime still succeeds
    clock.now += 1
    with pytest.raises(ReservationNotFoundError):
        seller.cancel(reservation.reservation_id)


def test_a_lapsed_reservation_is_forgotten_one_lifetime_after_it_lapsed() -> None:
    clock = ManualClock()
    seller = stock(clock)
    reservation = seller.reserve(ask())
    clock.now += 60 + 59
    with pytest.raises(ReservationExpiredError):
        seller.order(reservation.reservation_id, 1)
    clock.now += 1
    with pytest.raises(ReservationNotFoundError):
        seller.renew(reservation.reservation_id)


def test_a_long_session_keeps_only_the_reservations_still_in_use() -> None:
    """Cancelled and lapsed reservations are dropped, ordered ones leave the reservations (their
    order keeps them): what each call scans stays flat however long the receiver serves."""
    clock = ManualClock()
    seller = stock(clock, game=10)
    for n in range(300):
        seller.cancel(seller.reserve(ask()).reservation_id)
        seller.reserve(ask())  # lapses
        order = seller.order(seller.reserve(ask()).reservation_id, n + 1)
        assert order.stock is not None
        seller.give_back(order.order_id, [order.stock[0].inventory[0].id])
        clock.now += 30
    assert len(seller._reservations) <= 3 * 3  # the last two lifetimes' cancelled and lapsed ones
    assert seller.available(GAME) == 10 - 1  # the last one is held still


def test_a_lapsed_reservation_can_be_cancelled() -> None:
    clock = ManualClock()
    seller = stock(clock)
    reservation = seller.reserve(ask())
    clock.now += 61
    seller.cancel(reservation.reservation_id)
    assert seller.available(GAME) == 3


UNKNOWN_RESERVATION_CALLS: dict[str, Callable[[ReferenceStock], object]] = {
    "renew": lambda seller: seller.renew("no-such-reservation"),
    "cancel": lambda seller: seller.cancel("no-such-reservation"),
    "order": lambda seller: seller.order("no-such-reservation", 1),
}


@pytest.mark.parametrize("call", UNKNOWN_RESERVATION_CALLS)
def test_an_unknown_reservation_is_not_found(call: str) -> None:
    with pytest.raises(ReservationNotFoundError) as refused:
        UNKNOWN_RESERVATION_CALLS[call](stock())
    assert (refused.value.status, refused.value.code) == (404, "reservation_not_found")


def test_an_order_delivers_the_held_keys_once() -> None:
    seller = stock()
    reservation = seller.reserve(ask(quantity=2))
    order = seller.order(reservation.reservation_id, 7)
    assert order.stock is not None
    [delivered] = order.stock
    assert (delivered.product_id, delivered.inventory_size) == (GAME, 1)
    assert [(i.id, i.value, i.kind) for i in delivered.inventory] == [
        (f"{GAME}-0", "KEY-0", "text"),
        (f"{GAME}-1", "KEY-1", "text"),
    ]
    assert seller.inventory(order.order_id) == order.stock


def test_a_repeated_order_replays_the_original_answer() -> None:
    """G2A repeats `POST /order` with the same `g2a_order_id` when it missed the answer: the
    replay is how it gets the keys back."""
    seller = stock()
    reservation = seller.reserve(ask(quantity=2))
    first = seller.order(reservation.reservation_id, 7)
    assert seller.order(reservation.reservation_id, 7) == first
    assert seller.available(GAME) == 1


def test_a_repeated_deferred_order_replays_its_202() -> None:
    seller = stock()
    reservation = seller.reserve(ask(DLC))
    first = seller.order(reservation.reservation_id, 7)
    assert first.stock is None
    assert seller.order(reservation.reservation_id, 7) == first


def test_another_g2a_order_for_an_ordered_reservation_is_refused() -> None:
    seller = stock()
    reservation = seller.reserve(ask())
    seller.order(reservation.reservation_id, 7)
    with pytest.raises(OrderExistsError) as refused:
        seller.order(reservation.reservation_id, 8)
    assert (refused.value.status, refused.value.code) == (409, "order_exists")
    assert seller.available(GAME) == 2


def test_an_ordered_reservation_is_neither_renewed_nor_cancelled() -> None:
    seller = stock()
    reservation = seller.reserve(ask())
    seller.order(reservation.reservation_id, 7)
    for call in (seller.renew, seller.cancel):
        with pytest.raises(ReservationOrderedError) as refused:
            call(reservation.reservation_id)
        assert refused.value.status == 400
    assert seller.available(GAME) == 2


def test_an_order_never_lapses() -> None:
    clock = ManualClock()
    seller = stock(clock)
    order = seller.order(seller.reserve(ask()).reservation_id, 7)
    clock.now += 3600
    assert seller.available(GAME) == 2
    assert len(seller.inventory(order.order_id)[0].inventory) == 1


def test_a_deferred_product_is_ordered_without_keys_which_the_inventory_lists_at_once() -> None:
    seller = stock()
    reservation = seller.reserve([StockRequest(GAME, 1), StockRequest(DLC, 1)])
    order = seller.order(reservation.reservation_id, 7)
    assert order.stock is None
    inventory = seller.inventory(order.order_id)
    assert [(line.product_id, len(line.inventory)) for line in inventory] == [(GAME, 1), (DLC, 1)]


def test_giving_back_returns_items_to_the_stock_idempotently() -> None:
    seller = stock()
    order = seller.order(seller.reserve(ask(quantity=2)).reservation_id, 7)
    seller.give_back(order.order_id, [f"{GAME}-0"])
    seller.give_back(order.order_id, [f"{GAME}-0", f"{GAME}-0"])
    assert seller.available(GAME) == 2
    [left] = seller.inventory(order.order_id)
    assert [i.id for i in left.inventory] == [f"{GAME}-1"]
    resold = seller.order(seller.reserve(ask(quantity=2)).reservation_id, 8)
    assert resold.stock is not None
    assert f"{GAME}-0" in {i.id for i in resold.stock[0].inventory}


def test_giving_back_an_unknown_item_returns_nothing() -> None:
    seller = stock()
    order = seller.order(seller.reserve(ask(quantity=2)).reservation_id, 7)
    with pytest.raises(InventoryNotFoundError) as refused:
        seller.give_back(order.order_id, [f"{GAME}-0", "not-sold-here"])
    assert refused.value.status == 404
    assert seller.available(GAME) == 1


@pytest.mark.parametrize("call", ["inventory", "give_back", "file", "account"])
def test_an_unknown_order_is_not_found(call: str) -> None:
    seller = stock()
    arguments = {"inventory": (), "give_back": (["x"],), "file": ("x",), "account": ("x",)}
    with pytest.raises(OrderNotFoundError):
        getattr(seller, call)("no-such-order", *arguments[call])


def test_file_and_account_items_are_fetched_by_id_and_only_as_their_kind() -> None:
    document = InventoryFile(b"\x89PNG", "key.png", "image/png")
    login = InventoryAccount("player", "pw")
    items = [
        StockedItem(InventoryItem("f-1", "", "file"), document),
        StockedItem(InventoryItem("a-1", "", "account"), login),
    ]
    seller = ReferenceStock([StockedProduct(PACK, items)])
    order = seller.order(seller.reserve(ask(PACK, 2)).reservation_id, 7)
    assert seller.file(order.order_id, "f-1") == document
    assert seller.account(order.order_id, "a-1") == login
    with pytest.raises(InventoryNotFoundError):
        seller.file(order.order_id, "a-1")
    with pytest.raises(InventoryNotFoundError):
        seller.account(order.order_id, "f-1")
    seller.give_back(order.order_id, ["f-1"])
    with pytest.raises(InventoryNotFoundError):
        seller.file(order.order_id, "f-1")


def test_notifications_are_recorded_in_order() -> None:
    seller = stock()
    notices = [
        StockNotification("auction_deactivated", "2026-01-01T00:00:00+00:00", {"offer_id": n})
        for n in ("a", "b")
    ]
    seller.notify(notices[:1])
    seller.notify(notices[1:])
    assert seller.notifications == notices


def race_for_the_last_unit() -> list[str]:
    """Two threads reserve the only unit at the same moment; what each got."""
    seller = stock(game=1)
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def reserve() -> None:
        start.wait()
        try:
            seller.reserve(ask())
        except InsufficientStockError:
            outcomes.append("refused")
        else:
            outcomes.append("held")

    threads = [threading.Thread(target=reserve) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seller.available(GAME) == 0
    return sorted(outcomes)


def test_of_two_threads_reserving_the_last_unit_exactly_one_wins() -> None:
    for _ in range(50):
        assert race_for_the_last_unit() == ["held", "refused"]


def test_the_repr_shows_no_key() -> None:
    assert "KEY" not in repr(stock())
