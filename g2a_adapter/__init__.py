"""`g2a_adapter`: talk to G2A from a service — config, signing, tokens, a resilient client
(sync and async), products, orders and the checkpointed purchase, metrics and logs.

Everything a service needs is re-exported here. The adapter is three parts, each a subpackage
with a small public face: `g2a_adapter.client`, `g2a_adapter.receiver`, `g2a_adapter.idempotency`;
`g2a_adapter.wire` holds the header names and signatures both sides of G2A's API compute.
Modules whose name starts with `_` are implementation detail.
"""

import logging

from g2a_adapter._config import Settings
from g2a_adapter._errors import (
    ApiAuthError,
    AuthError,
    ConfigError,
    G2AApiError,
    G2AError,
    IdempotencyConflictError,
    IdempotencyError,
    IdempotencyInProgressError,
    LeaseLostError,
    NotFoundError,
    OutcomeUnknownError,
    PurchasePendingError,
    RateLimitedError,
    RequestValidationError,
    ResponseFormatError,
    StoreUnavailableError,
    TransportError,
    WebhookRejectedError,
)
from g2a_adapter._observability import Metrics
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
from g2a_adapter.idempotency import open_store
from g2a_adapter.receiver import WebhookEvent, WebhookHandler, WebhookVerifier

# A library never prints by itself: without the service's logging configuration, Python's
# last-resort handler would write the adapter's warnings (retries) to stderr.
logging.getLogger("g2a_adapter").addHandler(logging.NullHandler())

__all__ = [
    "AccessToken",
    "ApiAuthError",
    "AsyncG2AClient",
    "AuthError",
    "ConfigError",
    "G2AApiError",
    "G2AClient",
    "G2AError",
    "IdempotencyConflictError",
    "IdempotencyError",
    "IdempotencyInProgressError",
    "Job",
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
    "RequestValidationError",
    "ResponseFormatError",
    "RetryPolicy",
    "Settings",
    "StoreUnavailableError",
    "TransportError",
    "WebhookEvent",
    "WebhookHandler",
    "WebhookRejectedError",
    "WebhookVerifier",
    "__version__",
    "open_store",
]
