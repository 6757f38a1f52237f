"""G2A's declared-stock callbacks (docs/g2a-api.md §3): what a seller's service implements.

With declared stock G2A sells keys the seller has not uploaded: at checkout it asks the seller
to reserve them (`POST /reservation`), then turns the reservation into an order
(`POST /order`) and takes the keys from the answer, or later from `GET /order/{id}/inventory`
when the order was created without them (202). The receiver serves those routes, checks
G2A's bearer token and the bodies, and calls a `SellerStock` the service provides; the service
keeps the stock (its own database, a supplier's API).

A `SellerStock` refuses with a `SellerStockError` subclass: the receiver answers its status
with G2A's error body `{"code", "message"}`. Its methods may block (they run on the receiver's
worker threads), and G2A retries a call whose answer it did not get, so each should be safe to
repeat: `cancel` of a cancelled reservation and `give_back` of items already given back succeed.
The receiver checks the requests first (ids of 1 to 36 characters, positive integer product ids
and quantities); JSON numbers inside `additional_data` and a notification's `data` arrive
exact, integers as `int` and the others as `Decimal`.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

InventoryKind = Literal["text", "file", "account"]


@dataclass(frozen=True)
class StockRequest:
    """One line of a reservation: `quantity` units of `product_id`. `additional_data` is passed
    as G2A sent it (documented fields: `unit_price`, `auction_base_price`, both strings)."""

    product_id: int
    quantity: int
    additional_data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class StockLevel:
    """How many units of `product_id` the seller still has (`inventory_size`)."""

    product_id: int
    inventory_size: int


@dataclass(frozen=True)
class Reservation:
    reservation_id: str  # 1 to 36 characters (G2A prefers a UUID)
    stock: Sequence[StockLevel]


@dataclass(frozen=True)
class InventoryItem:
    """One delivered unit: a key (`text`, the value itself), or a `file` or `account` whose
    content G2A fetches by `id` (their `value` is empty)."""

    id: str
    value: str
    kind: InventoryKind = "text"

    def __repr__(self) -> str:
        return f"InventoryItem(id={self.id!r}, value=***, kind={self.kind!r})"


@dataclass(frozen=True)
class DeliveredStock:
    product_id: int
    inventory_size: int
    inventory: Sequence[InventoryItem]


@dataclass(frozen=True)
class SellerOrder:
    """An order made from a reservation. `stock` None: created without its keys yet (answered
    202); G2A takes them from `GET /order/{order_id}/inventory` later."""

    order_id: str  # 1 to 36 characters
    stock: Sequence[DeliveredStock] | None


@dataclass(frozen=True)
class InventoryFile:
    """A `file` item's content (`GET /order/{order_id}/inventory/{id}`)."""

    data: bytes
    file_name: str
    mime_type: str

    def __repr__(self) -> str:
        return f"InventoryFile(file_name={self.file_name!r}, mime_type={self.mime_type!r})"


@dataclass(frozen=True)
class AccountDetail:
    label: str
    details: str  # may be a recovery answer or a PIN: never in the repr

    def __repr__(self) -> str:
        return f"AccountDetail(label={self.label!r}, details=***)"


@dataclass(frozen=True)
class InventoryAccount:
    """An `account` item's fields (`GET /order/{order_id}/inventory/{id}/account`)."""

    username: str
    password: str
    email: str = ""
    email_password: str = ""
    optional: Sequence[AccountDetail] = ()

    def __repr__(self) -> str:
        return f"InventoryAccount(username={self.username!r}, password=***, email=***)"


@dataclass(frozen=True)
class StockNotification:
    """A marketplace event G2A tells the seller of (`POST /notifications`); the documented
    type is `auction_deactivated`, whose `data` holds `message`, `auction_id` and `offer_id`."""

    notification_type: str
    date: str  # ISO 8601, as G2A sent it
    data: Mapping[str, Any]


class SellerStockError(Exception):
    """A refusal G2A reads as `{"code": code, "message": message}` with HTTP `status`."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ProductNotFoundError(SellerStockError):
    status, code = 404, "product_not_found"


class InsufficientStockError(SellerStockError):
    """Fewer units than asked for: the whole reservation is refused. G2A documents 400 for a
    refused reservation without naming the case (docs/g2a-api.md §3)."""

    status, code = 400, "insufficient_stock"


class ReservationNotFoundError(SellerStockError):
    status, code = 404, "reservation_not_found"


class ReservationExpiredError(SellerStockError):
    status, code = 410, "reservation_expired"


class OrderExistsError(SellerStockError):
    status, code = 409, "order_exists"


class OrderNotFoundError(SellerStockError):
    status, code = 404, "order_not_found"


class InventoryNotFoundError(SellerStockError):
    status, code = 404, "inventory_not_found"


class SellerStock(Protocol):
    """The seller's stock, as G2A's declared-stock callbacks use it."""

    def reserve(self, requests: Sequence[StockRequest]) -> Reservation:
        """Hold every requested unit, all or none."""
        ...

    def renew(self, reservation_id: str) -> Reservation:
        """Hold a reservation again, also one that has expired ("renewal of an outdated
        reservation"); `InsufficientStockError` when its units were sold meanwhile."""
        ...

    def cancel(self, reservation_id: str) -> None:
        """Give a reservation's units back to the stock."""
        ...

    def order(self, reservation_id: str, g2a_order_id: int) -> SellerOrder:
        """Sell a reservation's units. G2A repeats an order whose answer it missed: the same
        `g2a_order_id` again should answer the original order (its keys, or `stock=None`),
        which is how G2A recovers them (`OrderExistsError` there is what G2A's page documents,
        and leaves the keys out of G2A's reach). Another `g2a_order_id` for an ordered
        reservation is `OrderExistsError`; a lapsed reservation `ReservationExpiredError`."""
        ...

    def inventory(self, order_id: str) -> Sequence[DeliveredStock]:
        """What an order delivered so far."""
        ...

    def give_back(self, order_id: str, item_ids: Sequence[str]) -> None:
        """Items of an order returned to the stock (a refund)."""
        ...

    def file(self, order_id: str, item_id: str) -> InventoryFile: ...

    def account(self, order_id: str, item_id: str) -> InventoryAccount: ...

    def notify(self, notifications: Sequence[StockNotification]) -> None: ...


# What G2A's callbacks call on a `SellerStock`, each on a worker thread.
SELLER_STOCK_METHODS = tuple(
    name
    for name, value in vars(SellerStock).items()
    if inspect.isfunction(value) and not name.startswith("_")
)
