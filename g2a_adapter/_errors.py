"""The adapter's typed error taxonomy.

Messages never contain secret values: callers build them from names and codes only, and
the client passes anything that echoes remote text or a URL through its `SecretMasker`
(`g2a_adapter._masking`) first.
"""

from __future__ import annotations


class G2AError(Exception):
    """Base of every error the adapter raises."""


class ConfigError(G2AError):
    """Settings are missing or break a rule; names the variable, never its value."""


class AuthError(G2AError):
    """Credentials were refused (AUTH01/AUTH02, or the OAuth token endpoint answering 400, 401
    or 403); a rate limit or an outage of the token endpoint keeps its own error type."""


class RequestValidationError(G2AError, ValueError):
    """The caller's arguments break a documented rule; nothing was sent."""


class NotFoundError(G2AError):
    """A lookup found nothing (e.g. `products.get` of an id that is not in the catalog)."""


class G2AApiError(G2AError):
    """G2A answered with its error envelope `{"status":"ERROR","code","message"}`."""

    def __init__(self, code: str, status_code: int, message: str) -> None:
        self.code = code
        self.status_code = status_code
        self.message = message
        super().__init__(f"G2A error {code} (HTTP {status_code}): {message}")


class ApiAuthError(AuthError, G2AApiError):
    """G2A refused the credentials with its error envelope; carries the code and status."""


class PurchasePendingError(G2AError):
    """The order is paid but did not complete within the poll timeout.

    Nothing is lost: re-run the purchase with the same idempotency key to resume polling.
    """


class UnknownOrderStatusError(G2AError):
    """Order details show a status word the adapter does not know (known: `new`, `pending`,
    `complete`, the twin's `paid`): the order is neither paid again nor waited on as paid.

    Carries `order_id` and `status` for the question to G2A; a re-run of the purchase with the
    same idempotency key asks the details again and goes on once the word is a known one.
    """

    def __init__(self, order_id: str, status: str) -> None:
        self.order_id = order_id
        self.status = status
        super().__init__(
            f"order {order_id} shows status {status!r}, which is neither unpaid ('new') nor a "
            "known word of a paid order: it is not paid again nor waited on; ask G2A about "
            "it, and re-run the purchase with the same key to check again"
        )


class RateLimitedError(G2AApiError):
    """429 / BR03, or a 502, 503 or 504 with `Retry-After`, once not retried (the budget was
    spent, or the wait asked for is longer than the retry policy waits); `retry_after` in
    seconds if given, `status_code` tells a gateway's or an outage's answer from a 429."""

    def __init__(self, code: str, status_code: int, message: str, retry_after: float | None):
        super().__init__(code, status_code, message)
        self.retry_after = retry_after
        if retry_after is not None:  # in the message too: callers often log only that
            self.args = (f"{self.args[0]}; G2A asks to wait {retry_after:g} s before retrying",)


class TransportError(G2AError):
    """The request could not be completed (connect error, reset, timeout) and is safe to redo.

    `reason` is the transport's word for what failed (`connect_error`, `connect_timeout`,
    `tls_certificate_error`, ..., the `reason` label of the retry metric), when it named one."""

    def __init__(self, message: str, *, reason: str | None = None) -> None:
        super().__init__(message)
        self.reason = reason


class OutcomeUnknownError(TransportError):
    """A non-idempotent request may have reached G2A but no answer came back.

    Do not blindly repeat it: re-run the purchase with the same idempotency key, which checks
    the recorded progress first.
    """


class ClientClosedError(G2AError, RuntimeError):
    """The client was used after `close()` / `aclose()`; nothing was sent. Use a new client.

    A purchase it stopped between two calls (closed by another thread or task) may have
    ordered and paid: its message says so. It recorded its progress and let go of its key, so a
    re-run with the same idempotency key on a new client resumes it.
    """


class ResponseFormatError(G2AError):
    """G2A answered 2xx with a body that does not match the documented shape."""


class IdempotencyError(G2AError):
    """Base of idempotency store errors."""


class IdempotencyConflictError(IdempotencyError):
    """The same idempotency key was used with different arguments."""


class IdempotencyInProgressError(IdempotencyError):
    """Another caller holds a live lease on this key; try again later.

    `holder` says who (host and pid, when known) and `lease_expires_at` (unix seconds) until
    when, unless the holder keeps renewing it.
    """

    def __init__(
        self, message: str, holder: str = "another caller", lease_expires_at: float | None = None
    ) -> None:
        self.holder = holder
        self.lease_expires_at = lease_expires_at
        super().__init__(message)


class KeyDeliveryLostError(G2AError):
    """The order is paid but its key is lost: G2A handed it out once, and the answer never came.

    G2A's Export API hands a key out once (a second fetch answers ORD004) and documents no way
    to fetch it again, so the adapter cannot recover it; re-running the purchase raises this
    same error at once. Carries `order_id` and `transaction_id` (None when the payment's answer
    was lost too) for the support request to G2A.
    """

    def __init__(self, idempotency_key: str, order_id: str, transaction_id: str | None) -> None:
        self.order_id = order_id
        self.transaction_id = transaction_id
        super().__init__(self.describe(repr(idempotency_key), order_id, transaction_id))

    @staticmethod
    def describe(purchase: str, order_id: str, transaction_id: str | None) -> str:
        """The message, naming the purchase as `purchase` (the key, or its digest in logs)."""
        return (
            f"purchase {purchase}: order {order_id} (transaction "
            f"{transaction_id or 'unknown'}) is paid but its key was lost in delivery; G2A hands "
            "a key out once and offers no API to fetch it again: do not buy again, ask G2A "
            "support for the key of this order (runbook: G2AKeyDeliveryLost), unless this service "
            "logged that this purchase completed but its result could not be stored: that run's "
            "caller received the key"
        )


class LeaseLostError(IdempotencyError):
    """The caller no longer owns the lease (it expired and was taken over)."""


class StoreUnavailableError(IdempotencyError):
    """The backend cannot be reached or its URL is invalid; names the backend only."""

    def __init__(self, backend: str, detail: str) -> None:
        self.backend = backend
        self.detail = detail
        super().__init__(f"idempotency store '{backend}' unavailable: {detail}")


class WebhookRejectedError(G2AError):
    """An inbound webhook failed verification; `reason` is the metrics label."""

    def __init__(self, reason: str, status_code: int = 401, detail: str = "") -> None:
        self.reason = reason
        self.status_code = status_code
        self.detail = detail
        super().__init__(f"webhook rejected: {reason}" + (f" ({detail})" if detail else ""))
