"""Receiver test settings and deliveries shared by the receiver tests."""

from __future__ import annotations

import httpx

from g2a_adapter import Settings
from g2a_adapter.wire import ipn_hash, signed_webhook_headers
from harness.twin.webhooks import event_body

CREATED_AT = 1_767_225_600  # 2026-01-01T00:00:00Z

WEBHOOK_SECRET = "receiver-webhook-secret"
API_HASH = "qdaiciDiyMaTjxMt"
API_KEY = "74026b3dc2c6db6a30a73e71cdb138b1e1b5eb7a97ced46689e2d28db1050875"
PAY_SECRET = "g2a-pay-api-secret"  # keys the G2A Pay IPN hash


def receiver_settings(idempotency_url: str) -> Settings:
    return Settings(
        api_url="http://127.0.0.1:9/v1",
        api_hash=API_HASH,
        api_key=API_KEY,
        webhook_secret=WEBHOOK_SECRET,
        pay_api_secret=PAY_SECRET,
        idempotency_url=idempotency_url,
    )


def delivery(event_id: str) -> tuple[dict[str, str], bytes]:
    """A new delivery of an `order.paid` event: the twin's body, signed now with a fresh nonce."""
    body = event_body(
        event_id,
        "order.paid",
        CREATED_AT,
        {"order_id": "1", "product_id": "2", "price": 1.0, "currency": "EUR"},
    )
    return signed_webhook_headers([WEBHOOK_SECRET], body, event_id=event_id), body


def assert_processed(client: httpx.Client, event_id: str) -> None:
    """POST a new delivery of `event_id` (`delivery`): the receiver answers it processed."""
    headers, body = delivery(event_id)
    answer = client.post("/webhooks/g2a", content=body, headers=headers)
    assert (answer.status_code, answer.json()) == (
        200, {"status": "processed", "event_id": event_id}
    )  # fmt: skip


def ipn_form(
    amount: str = "41.50",
    status: str = "complete",
    secret: str = PAY_SECRET,
    transaction_id: str = "tx-1",
) -> dict[str, str]:
    """A G2A Pay IPN's form fields, hashed with `secret`."""
    fields = {
        "type": "payment",
        "transactionId": transaction_id,
        "userOrderId": "1530978476",
        "amount": amount,
        "status": status,
    }
    fields["hash"] = ipn_hash(transaction_id, "1530978476", amount, secret)
    return fields
