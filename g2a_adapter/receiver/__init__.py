"""The receiver: G2A's inbound surfaces (signed webhooks, G2A Pay IPN, seller tokens and
declared-stock callbacks, health) as one Starlette app, the verifiers and handler it is built
from, and the `SellerStock` port a service implements for declared stock.

`create_receiver_app(settings, handler, options=ReceiverOptions(...))` needs the `receiver`
extra (Starlette), and so do `ServerLimits` and `uvicorn_config`, which serve the app under
server limits with uvicorn; they load on first use, and everything else here imports without it.
"""

from typing import TYPE_CHECKING

from g2a_adapter.receiver._events import WebhookEvent, is_delivery_id
from g2a_adapter.receiver._handler import (
    Delivery,
    EventHandler,
    HandleResult,
    Outcome,
    TransactionalHandler,
    WebhookHandler,
)
from g2a_adapter.receiver._health import HealthChecker, HealthReport, store_check, token_check
from g2a_adapter.receiver._ipn import IPN_STATUSES, IpnNotification, IpnVerifier
from g2a_adapter.receiver._options import ReceiverOptions, ReceiverSettings
from g2a_adapter.receiver._rejections import DELIVERY_REJECTIONS, REJECTIONS, Rejection
from g2a_adapter.receiver._seller_auth import SellerTokenIssuer, TokenRequestError
from g2a_adapter.receiver._stock import (
    AccountDetail,
    DeliveredStock,
    InsufficientStockError,
    InventoryAccount,
    InventoryFile,
    InventoryItem,
    InventoryKind,
    InventoryNotFoundError,
    OrderExistsError,
    OrderNotFoundError,
    ProductNotFoundError,
    Reservation,
    ReservationExpiredError,
    ReservationNotFoundError,
    SellerOrder,
    SellerStock,
    SellerStockError,
    StockLevel,
    StockNotification,
    StockRequest,
)
from g2a_adapter.receiver._webhooks import WebhookVerifier

if TYPE_CHECKING:
    from g2a_adapter.receiver._app import create_receiver_app
    from g2a_adapter.receiver._server_limits import ServerLimits, uvicorn_config

_SERVING = frozenset({"ServerLimits", "uvicorn_config"})


def __getattr__(name: str) -> object:
    """The app and its server limits need the `receiver` extra (Starlette, uvicorn); the rest
    does not, so they load late."""
    if name == "create_receiver_app":
        from g2a_adapter.receiver._app import create_receiver_app

        return create_receiver_app
    if name in _SERVING:
        from g2a_adapter.receiver import _server_limits

        return getattr(_server_limits, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "DELIVERY_REJECTIONS",
    "IPN_STATUSES",
    "REJECTIONS",
    "AccountDetail",
    "DeliveredStock",
    "Delivery",
    "EventHandler",
    "HandleResult",
    "HealthChecker",
    "HealthReport",
    "InsufficientStockError",
    "InventoryAccount",
    "InventoryFile",
    "InventoryItem",
    "InventoryKind",
    "InventoryNotFoundError",
    "IpnNotification",
    "IpnVerifier",
    "OrderExistsError",
    "OrderNotFoundError",
    "Outcome",
    "ProductNotFoundError",
    "ReceiverOptions",
    "ReceiverSettings",
    "Rejection",
    "Reservation",
    "ReservationExpiredError",
    "ReservationNotFoundError",
    "SellerOrder",
    "SellerStock",
    "SellerStockError",
    "SellerTokenIssuer",
    "ServerLimits",
    "StockLevel",
    "StockNotification",
    "StockRequest",
    "TokenRequestError",
    "TransactionalHandler",
    "WebhookEvent",
    "WebhookHandler",
    "WebhookVerifier",
    "create_receiver_app",
    "is_delivery_id",
    "store_check",
    "token_check",
    "uvicorn_config",
]
