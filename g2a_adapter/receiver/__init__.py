"""The receiver: G2A's inbound surfaces (signed webhooks, G2A Pay IPN, seller tokens, health)
as one Starlette app, and the verifiers it is built from."""

from typing import TYPE_CHECKING

from g2a_adapter.receiver._health import HealthChecker, HealthReport, store_check, token_check
from g2a_adapter.receiver._ipn import IpnNotification, IpnVerifier
from g2a_adapter.receiver._seller_auth import SellerTokenIssuer, TokenRequestError
from g2a_adapter.receiver._webhooks import (
    REJECTION_STATUS,
    WebhookEvent,
    WebhookHandler,
    WebhookVerifier,
)

if TYPE_CHECKING:
    from g2a_adapter.receiver._app import ReceiverSettings, create_receiver_app


def __getattr__(name: str) -> object:
    """The app needs the `receiver` extra (Starlette); the verifiers do not, so it loads late."""
    if name in {"ReceiverSettings", "create_receiver_app"}:
        from g2a_adapter.receiver import _app

        return getattr(_app, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "REJECTION_STATUS",
    "HealthChecker",
    "HealthReport",
    "IpnNotification",
    "IpnVerifier",
    "ReceiverSettings",
    "SellerTokenIssuer",
    "TokenRequestError",
    "WebhookEvent",
    "WebhookHandler",
    "WebhookVerifier",
    "create_receiver_app",
    "store_check",
    "token_check",
]
