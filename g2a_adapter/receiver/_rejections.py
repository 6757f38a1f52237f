"""Every reason the receiver refuses a request, with its HTTP status and the error code the
sender reads in `{"error": …}`; the reason itself is the request's label in
`g2a_webhook_validation_failures_total{reason}`.

Signed webhooks, G2A Pay IPN, seller tokens and oversized bodies all refuse through this one
table, and the app answers and counts every refusal in one place (`_app.py`).
"""

from __future__ import annotations

from typing import NamedTuple

from g2a_adapter._errors import WebhookRejectedError


class Rejection(NamedTuple):
    status: int
    error: str  # the `{"error": …}` code: the reason itself, or an RFC 6749/6750 code for tokens


# Signed webhooks; G2A Pay IPN shares the body, signature and size reasons. These are what the
# `G2AWebhookRejectionsSpiking` alert watches (ops/prometheus/g2a-rules.yml matches these keys).
DELIVERY_REJECTIONS: dict[str, Rejection] = {
    "missing_header": Rejection(401, "missing_header"),
    "malformed_header": Rejection(400, "malformed_header"),
    "bad_signature": Rejection(401, "bad_signature"),
    "stale_timestamp": Rejection(401, "stale_timestamp"),
    "future_timestamp": Rejection(401, "future_timestamp"),
    "replayed_nonce": Rejection(401, "replayed_nonce"),
    "malformed_body": Rejection(400, "malformed_body"),
    "non_finite_number": Rejection(400, "non_finite_number"),
    "oversized_body": Rejection(413, "oversized_body"),
}
# Seller tokens (`GET /oauth/token`, the bearer of `GET /healthcheck`): a platform probe without a
# bearer lands here, so these stay out of the webhook alert.
_SELLER_TOKEN_REJECTIONS: dict[str, Rejection] = {
    "unsupported_grant_type": Rejection(400, "unsupported_grant_type"),
    "token_request_incomplete": Rejection(400, "invalid_request"),
    "invalid_client": Rejection(401, "invalid_client"),
    "missing_bearer": Rejection(401, "invalid_request"),
    "invalid_token": Rejection(401, "invalid_token"),
}
# A client that went away before sending the body it declared (or the server's request timeout
# cut it off): nobody reads the answer, so it is counted, not logged as a failure.
_CONNECTION_REJECTIONS: dict[str, Rejection] = {
    "incomplete_body": Rejection(400, "incomplete_body"),
}
REJECTIONS: dict[str, Rejection] = {
    **DELIVERY_REJECTIONS,
    **_SELLER_TOKEN_REJECTIONS,
    **_CONNECTION_REJECTIONS,
}


def reject(reason: str, detail: str = "") -> WebhookRejectedError:
    """The error refusing an inbound delivery for `reason` (a key of `REJECTIONS`)."""
    return WebhookRejectedError(reason, REJECTIONS[reason].status, detail)
