"""The outbound client: one sans-I/O core behind `G2AClient` and `AsyncG2AClient`.

Config and errors are shared with the receiver and the stores, so they live in the package
root (`g2a_adapter.Settings`, `g2a_adapter.G2AError`...).
"""

from g2a_adapter.client._client import AsyncG2AClient, G2AClient
from g2a_adapter.client._models import (
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
    "RETRYABLE_STATUSES",
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
