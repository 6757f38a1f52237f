"""`g2a_adapter`: talk to G2A from a service — config, signing, tokens, a resilient client
(sync and async), products, orders and the checkpointed purchase, metrics and logs.

Everything a service needs is re-exported here, but the receiver app's factory,
`g2a_adapter.receiver.create_receiver_app`, which needs the `receiver` extra (Starlette). The
adapter is three parts, each a subpackage with a small public face: `g2a_adapter.client`,
`g2a_adapter.receiver`, `g2a_adapter.idempotency`;
`g2a_adapter.wire` holds the header names and signatures both sides of G2A's API compute.
Modules whose name starts with `_` are implementation detail.
"""

import logging

from g2a_adapter._api_urls import env_of_host
from g2a_adapter._config import Settings
from g2a_adapter._errors import (
    ApiAuthError,
    AuthError,
    ClientClosedError,
    ConfigError,
    G2AApiError,
    G2AError,
    IdempotencyConflictError,
    IdempotencyError,
    IdempotencyInProgressError,
    KeyDeliveryLostError,
    LeaseLostError,
    NotFoundError,
    OutcomeUnknownError,
    PurchasePendingError,
    RateLimitedError,
    RequestValidationError,
    ResponseFormatError,
    StoreUnavailableError,
    TransportError,
    UnknownOrderStatusError,
    WebhookRejectedError,
)
from g2a_adapter._metrics import PURCHASE_RESULTS, Metrics
from g2a_adapter._version import __version__
from g2a_adapter.client import (
    AccessToken,
    AsyncG2AClient,
    G2AClient,
    Job,
    Offer,
    OfferPage,
    OrderCreated,
    OrderDetails,
    OrderKey,
    PaymentResult,
    Product,
    ProductPage,
    PurchaseResult,
    RetryPolicy,
)
from g2a_adapter.idempotency import ClaimState, IdempotencyStore, ReplayGuard, open_store
from g2a_adapter.receiver import (
    ReceiverOptions,
    TransactionalHandler,
    WebhookEvent,
    WebhookHandler,
    WebhookVerifier,
)

# A library never prints by itself: without the service's logging configuration, Python's
# last-resort handler would write the adapter's warnings (retries) to stderr. Its level is the
# service's: `logging.basicConfig(level=logging.INFO)` shows one line per G2A call.
logging.getLogger("g2a_adapter").addHandler(logging.NullHandler())

__all__ = [
    "PURCHASE_RESULTS",
    "AccessToken",
    "ApiAuthError",
    "AsyncG2AClient",
    "AuthError",
    "ClaimState",
    "ClientClosedError",
    "ConfigError",
    "G2AApiError",
    "G2AClient",
    "G2AError",
    "IdempotencyConflictError",
    "IdempotencyError",
    "IdempotencyInProgressError",
    "IdempotencyStore",
    "Job",
    "KeyDeliveryLostError",
    "LeaseLostError",
    "Metrics",
    "NotFoundError",
    "Offer",
    "OfferPage",
    "OrderCreated",
    "OrderDetails",
    "OrderKey",
    "OutcomeUnknownError",
    "PaymentResult",
    "Product",
    "ProductPage",
    "PurchasePendingError",
    "PurchaseResult",
    "RateLimitedError",
    "ReceiverOptions",
    "ReplayGuard",
    "RequestValidationError",
    "ResponseFormatError",
    "RetryPolicy",
    "Settings",
    "StoreUnavailableError",
    "TransactionalHandler",
    "TransportError",
    "UnknownOrderStatusError",
    "WebhookEvent",
    "WebhookHandler",
    "WebhookRejectedError",
    "WebhookVerifier",
    "__version__",
    "env_of_host",
    "open_store",
]
