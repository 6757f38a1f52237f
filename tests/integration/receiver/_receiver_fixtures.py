"""Receiver test settings shared by the receiver tests."""

from __future__ import annotations

from g2a_adapter.config import Settings

WEBHOOK_SECRET = "receiver-webhook-secret"
API_HASH = "qdaiciDiyMaTjxMt"
API_KEY = "74026b3dc2c6db6a30a73e71cdb138b1e1b5eb7a97ced46689e2d28db1050875"


def receiver_settings(idempotency_url: str) -> Settings:
    return Settings(
        api_url="http://127.0.0.1:9/v1",
        api_hash=API_HASH,
        api_key=API_KEY,
        webhook_secret=WEBHOOK_SECRET,
        idempotency_url=idempotency_url,
    )
