"""How a purchase ended, as `g2a_purchases_total{result}` names it.

A purchase that returns is `completed`, or `replayed` when its result came from the
idempotency store (it had completed before: nothing was sent). One that raises is named by the
first row of `ERROR_RESULTS` its error is an instance of (the more specific classes first);
any other error is `failed`. Every name is one of `PURCHASE_RESULTS`, exported at 0 from the
start.
"""

from __future__ import annotations

from g2a_adapter._errors import (
    ClientClosedError,
    G2AApiError,
    IdempotencyConflictError,
    IdempotencyInProgressError,
    KeyDeliveryLostError,
    LeaseLostError,
    OutcomeUnknownError,
    PurchasePendingError,
    StoreUnavailableError,
)

ERROR_RESULTS: tuple[tuple[type[Exception], str], ...] = (
    (PurchasePendingError, "pending"),
    (G2AApiError, "refused"),
    (OutcomeUnknownError, "outcome_unknown"),
    (KeyDeliveryLostError, "key_lost"),
    (IdempotencyInProgressError, "in_progress"),
    (IdempotencyConflictError, "conflict"),
    (LeaseLostError, "lease_lost"),
    (StoreUnavailableError, "store_unavailable"),
    (ClientClosedError, "closed"),
)


def result_of(error: Exception) -> str:
    """The `result` label of a purchase that raised `error`."""
    return next((name for kind, name in ERROR_RESULTS if isinstance(error, kind)), "failed")
