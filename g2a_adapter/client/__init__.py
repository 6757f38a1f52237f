"""The outbound client: one sans-I/O core behind `G2AClient` and `AsyncG2AClient`.

Config and errors are shared with the receiver and the stores, so they live in the package
root (`g2a_adapter.Settings`, `g2a_adapter.G2AError`...).
"""

from g2a_adapter.client._client import AsyncG2AClient, G2AClient
from g2a_adapter.client._models import (
    PAID_STATUSES,
    UNPAID_STATUS,
    AccessToken,
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
)
from g2a_adapter.client._products import ProductFilters
from g2a_adapter.client._retry import RETRYABLE_STATUSES, RetryPolicy, is_testing, set_testing

__all__ = [
    "PAID_STATUSES",  # the order-details words the adapter reads as paid
    "RETRYABLE_STATUSES",
    "UNPAID_STATUS",  # the one word it reads as certainly unpaid (paid again only then)
    "AccessToken",
    "AsyncG2AClient",
    "G2AClient",
    "Job",
    "Offer",
    "OfferPage",
    "OrderCreated",
    "OrderDetails",
    "OrderKey",
    "PaymentResult",
    "Product",
    "ProductFilters",
    "ProductPage",
    "PurchaseResult",
    "RetryPolicy",
    "is_testing",
    "set_testing",
]
