"""The table that names how a purchase ended (`g2a_purchases_total{result}`)."""

from __future__ import annotations

import pytest

from g2a_adapter import (
    PURCHASE_RESULTS,
    ApiAuthError,
    AuthError,
    ClientClosedError,
    G2AApiError,
    IdempotencyConflictError,
    IdempotencyInProgressError,
    KeyDeliveryLostError,
    LeaseLostError,
    OutcomeUnknownError,
    PurchasePendingError,
    RateLimitedError,
    ResponseFormatError,
    StoreUnavailableError,
    TransportError,
    UnknownOrderStatusError,
)
from g2a_adapter.client._purchase_results import ERROR_RESULTS, result_of


def test_every_result_is_exported_and_every_exported_result_can_happen() -> None:
    named = [name for _, name in ERROR_RESULTS]
    assert len(named) == len(set(named))
    assert sorted(PURCHASE_RESULTS) == sorted({"completed", "replayed", "failed", *named})


@pytest.mark.parametrize(
    ("error", "result"),
    [
        (PurchasePendingError("paid, not complete yet"), "pending"),
        (G2AApiError("ORD01", 400, "no stock"), "refused"),
        (RateLimitedError("BR03", 429, "slow down", 5.0), "refused"),
        (ApiAuthError("AUTH01", 401, "bad key"), "refused"),
        (OutcomeUnknownError("502 after the create was sent"), "outcome_unknown"),
        (KeyDeliveryLostError("k", "o", None), "key_lost"),
        (IdempotencyInProgressError("held"), "in_progress"),
        (IdempotencyConflictError("other arguments"), "conflict"),
        (LeaseLostError("taken over"), "lease_lost"),
        (StoreUnavailableError("redis", "refused"), "store_unavailable"),
        (ClientClosedError("closed"), "closed"),
        (TransportError("connect refused"), "failed"),
        (ResponseFormatError("unreadable"), "failed"),
        (UnknownOrderStatusError("o", "expired"), "failed"),
        (AuthError("token refused"), "failed"),
        (ValueError("a bug"), "failed"),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, Exception) else value,
)
def test_an_error_is_named_by_its_most_specific_row(error: Exception, result: str) -> None:
    assert result_of(error) == result
