"""`ReferenceStock`: an in-memory `SellerStock` (G2A's declared-stock callbacks) for the harness
and QA, with the rules a seller's service is expected to keep.

- A reservation holds its units all or none (`InsufficientStockError`, `ProductNotFoundError`)
  and lapses `reservation_seconds` after it was made or renewed (default 1800: every known
  implementation uses 30 minutes); a lapsed reservation's units go back to the stock.
- `renew` holds a reservation again for a full lifetime, a lapsed one too while its units
  are still there; `cancel` gives the units back and is idempotent.
- A reservation that no longer holds its units (lapsed or cancelled) is forgotten a lifetime
  later (then `ReservationNotFoundError`): a long session keeps only the reservations in use.
- `order` turns a held reservation into an order once. G2A repeats an order whose answer it
  missed: the same `g2a_order_id` again replays the original order (its keys, or its 202), which
  is how G2A gets the keys back; another `g2a_order_id` is `OrderExistsError` (409). A lapsed
  reservation is `ReservationExpiredError`.
- A product stocked as `deferred` is ordered without its keys (`SellerOrder(stock=None)`, a
  202): they are delivered at once, so `inventory()` lists them as soon as the order exists.
- `give_back` returns an order's items to the stock (idempotent); `notify` records what G2A
  sent, in `notifications`.

Renewing or cancelling a reservation that was ordered is refused (`ReservationOrderedError`,
400): its units are sold. Every method is thread-safe (one lock), as the receiver calls them from
its worker threads.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter, deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from enum import Enum

from g2a_adapter.receiver import (
    DeliveredStock,
    InsufficientStockError,
    InventoryAccount,
    InventoryFile,
    InventoryItem,
    InventoryNotFoundError,
    OrderExistsError,
    OrderNotFoundError,
    ProductNotFoundError,
    Reservation,
    ReservationExpiredError,
    ReservationNotFoundError,
    SellerOrder,
    SellerStockError,
    StockLevel,
    StockNotification,
    StockRequest,
)

RESERVATION_SECONDS = 1800.0


class ReservationOrderedError(SellerStockError):
    """Renewing or cancelling a reservation that was ordered: its units are sold."""

    status, code = 400, "reservation_ordered"


@dataclass(frozen=True)
class StockedItem:
    """One unit of a product: a key (`text`), or a file or account with its content."""

    item: InventoryItem
    content: InventoryFile | InventoryAccount | None = None


@dataclass(frozen=True)
class StockedProduct:
    """A product the seller stocks. `deferred`: its orders are answered without the keys (202)."""

    product_id: int
    items: Sequence[StockedItem]
    deferred: bool = False


class _State(Enum):
    HELD = "held"
    LAPSED = "lapsed"
    CANCELLED = "cancelled"


@dataclass
class _Reservation:
    """A reservation not ordered. `expires_at`: when it lapses, or once it holds nothing (lapsed
    or cancelled) when it stopped holding."""

    quantities: dict[int, int]  # product id -> units, in the order G2A asked for them
    expires_at: float
    state: _State = _State.HELD
    held: dict[int, list[StockedItem]] = field(default_factory=dict)


@dataclass
class _Order:
    g2a_order_id: int
    items: dict[int, list[StockedItem]]  # product id -> delivered units
    given_back: set[str] = field(default_factory=set)

    def kept(self, product_id: int) -> list[StockedItem]:
        return [i for i in self.items[product_id] if i.item.id not in self.given_back]

    def find(self, item_id: str) -> StockedItem:
        for product_id in self.items:
            for stocked in self.kept(product_id):
                if stocked.item.id == item_id:
                    return stocked
        raise InventoryNotFoundError(f"no item {item_id!r} in this order")


class ReferenceStock:
    """The harness's `SellerStock`: see the module's docstring for its rules."""

    def __init__(
        self,
        products: Iterable[StockedProduct],
        *,
        reservation_seconds: float = RESERVATION_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not reservation_seconds > 0:
            raise ValueError("reservation_seconds must be positive")
        self.reservation_seconds = reservation_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._available: dict[int, deque[StockedItem]] = {}
        self._deferred: set[int] = set()
        for product in products:
            self._available[product.product_id] = deque(product.items)
            if product.deferred:
                self._deferred.add(product.product_id)
        self._reservations: dict[str, _Reservation] = {}  # not ordered, not yet forgotten
        self._ordered: dict[str, str] = {}  # reservation id -> its order's id
        self._orders: dict[str, _Order] = {}
        self.notifications: list[StockNotification] = []

    def __repr__(self) -> str:
        return f"ReferenceStock(products={sorted(self._available)})"

    def available(self, product_id: int) -> int:
        """Units of the product neither held nor sold."""
        with self._lock:
            self._lapse_due()
            return len(self._stocked(product_id))

    # --- reservations -------------------------------------------------------------------------
    def reserve(self, requests: Sequence[StockRequest]) -> Reservation:
        quantities: Counter[int] = Counter()
        for request in requests:
            if request.quantity <= 0:
                raise SellerStockError(f"quantity must be positive, not {request.quantity}")
            quantities[request.product_id] += request.quantity
        if not quantities:
            raise SellerStockError("a reservation needs at least one product")
        with self._lock:
            self._lapse_due()
            reservation = _Reservation(quantities, self._clock() + self.reservation_seconds)
            self._hold(reservation)
            reservation_id = str(uuid.uuid4())
            self._reservations[reservation_id] = reservation
            return self._answer(reservation_id, reservation)

    def renew(self, reservation_id: str) -> Reservation:
        with self._lock:
            reservation = self._unordered(reservation_id)
            if reservation.state is _State.CANCELLED:
                raise ReservationNotFoundError("the reservation was cancelled")
            if reservation.state is _State.LAPSED:
                self._hold(reservation)
            reservation.expires_at = self._clock() + self.reservation_seconds
            return self._answer(reservation_id, reservation)

    def cancel(self, reservation_id: str) -> None:
        with self._lock:
            reservation = self._unordered(reservation_id)
            if reservation.state is not _State.CANCELLED:
                self._release(reservation)
                reservation.state = _State.CANCELLED
                reservation.expires_at = min(reservation.expires_at, self._clock())

    # --- orders -------------------------------------------------------------------------------
    def order(self, reservation_id: str, g2a_order_id: int) -> SellerOrder:
        with self._lock:
            self._lapse_due()
            if reservation_id in self._ordered:
                return self._replayed(self._ordered[reservation_id], g2a_order_id)
            reservation = self._reservation(reservation_id)
            if reservation.state is _State.LAPSED:
                raise ReservationExpiredError("the reservation expired")
            if reservation.state is _State.CANCELLED:
                raise ReservationNotFoundError("the reservation was cancelled")
            order_id = str(uuid.uuid4())
            self._orders[order_id] = _Order(g2a_order_id, reservation.held)
            del self._reservations[reservation_id]
            self._ordered[reservation_id] = order_id
            return self._sold(order_id)

    def inventory(self, order_id: str) -> Sequence[DeliveredStock]:
        with self._lock:
            self._lapse_due()
            return self._delivered(self._order(order_id))

    def give_back(self, order_id: str, item_ids: Sequence[str]) -> None:
        with self._lock:
            order = self._order(order_id)
            sold = {s.item.id: (p, s) for p, items in order.items.items() for s in items}
            unknown = sorted(set(item_ids) - set(sold))
            if unknown:
                raise InventoryNotFoundError(f"no item {unknown[0]!r} in this order")
            for item_id in dict.fromkeys(item_ids):
                if item_id not in order.given_back:
                    product_id, stocked = sold[item_id]
                    order.given_back.add(item_id)
                    self._stocked(product_id).append(stocked)

    def file(self, order_id: str, item_id: str) -> InventoryFile:
        with self._lock:
            content = self._order(order_id).find(item_id).content
        if not isinstance(content, InventoryFile):
            raise InventoryNotFoundError(f"item {item_id!r} is not a file")
        return content

    def account(self, order_id: str, item_id: str) -> InventoryAccount:
        with self._lock:
            content = self._order(order_id).find(item_id).content
        if not isinstance(content, InventoryAccount):
            raise InventoryNotFoundError(f"item {item_id!r} is not an account")
        return content

    def notify(self, notifications: Sequence[StockNotification]) -> None:
        with self._lock:
            self.notifications.extend(notifications)

    # --- under the lock -----------------------------------------------------------------------
    def _stocked(self, product_id: int) -> deque[StockedItem]:
        try:
            return self._available[product_id]
        except KeyError:
            raise ProductNotFoundError(f"product {product_id} is not stocked") from None

    def _reservation(self, reservation_id: str) -> _Reservation:
        try:
            return self._reservations[reservation_id]
        except KeyError:
            raise ReservationNotFoundError(f"no reservation {reservation_id!r}") from None

    def _unordered(self, reservation_id: str) -> _Reservation:
        """A reservation whose units are not sold (what is due has lapsed first)."""
        self._lapse_due()
        if reservation_id in self._ordered:
            raise ReservationOrderedError("the reservation was ordered")
        return self._reservation(reservation_id)

    def _order(self, order_id: str) -> _Order:
        try:
            return self._orders[order_id]
        except KeyError:
            raise OrderNotFoundError(f"no order {order_id!r}") from None

    def _hold(self, reservation: _Reservation) -> None:
        """Take the reservation's units from the stock, all or none."""
        for product_id, quantity in reservation.quantities.items():
            left = len(self._stocked(product_id))
            if left < quantity:
                raise InsufficientStockError(
                    f"product {product_id}: {quantity} asked for, {left} in stock"
                )
        reservation.held = {
            product_id: [self._available[product_id].popleft() for _ in range(quantity)]
            for product_id, quantity in reservation.quantities.items()
        }
        reservation.state = _State.HELD

    def _release(self, reservation: _Reservation) -> None:
        for product_id, items in reservation.held.items():
            self._available[product_id].extend(items)
        reservation.held = {}

    def _lapse_due(self) -> None:
        """Lapse the held reservations whose time is up; forget the ones that stopped holding
        (lapsed or cancelled) a lifetime ago."""
        now = self._clock()
        for reservation_id, reservation in list(self._reservations.items()):
            if reservation.state is _State.HELD and reservation.expires_at <= now:
                self._release(reservation)
                reservation.state = _State.LAPSED
            stopped = reservation.state is not _State.HELD
            if stopped and reservation.expires_at + self.reservation_seconds <= now:
                del self._reservations[reservation_id]

    def _replayed(self, order_id: str, g2a_order_id: int) -> SellerOrder:
        """The order again for a repeat of G2A's own order; another G2A order is refused."""
        if self._orders[order_id].g2a_order_id != g2a_order_id:
            raise OrderExistsError("an order exists for this reservation")
        return self._sold(order_id)

    def _sold(self, order_id: str) -> SellerOrder:
        """An order's answer: without its keys (a 202) when it holds a deferred product."""
        order = self._orders[order_id]
        if self._deferred & set(order.items):
            return SellerOrder(order_id, None)
        return SellerOrder(order_id, self._delivered(order))

    def _answer(self, reservation_id: str, reservation: _Reservation) -> Reservation:
        levels = [StockLevel(p, len(self._available[p])) for p in reservation.quantities]
        return Reservation(reservation_id, levels)

    def _delivered(self, order: _Order) -> list[DeliveredStock]:
        return [
            DeliveredStock(p, len(self._available[p]), [s.item for s in order.kept(p)])
            for p in order.items
        ]
