"""Constants and helpers shared by the twin's integration tests."""

from __future__ import annotations

from harness.twin import SANDBOX_API_HASH, SANDBOX_API_KEY

AUTH = {"Authorization": f"{SANDBOX_API_HASH}, {SANDBOX_API_KEY}"}
SANDBOX_PRODUCT = "10000068865001"


def error(code: str, message: str) -> dict[str, str]:
    """G2A's error envelope."""
    return {"status": "ERROR", "code": code, "message": message}
