"""Helpers shared by the adapter's integration tests."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from g2a_adapter import Settings
from g2a_adapter.idempotency import Claim, MemoryStore
from harness.twin import SANDBOX_API_HASH, SANDBOX_API_KEY

# The thread that renews a process's leases in the background: its renewals are heartbeats,
# told apart from the renewal that fences a purchase's first create (made by the purchase).
KEEPER_THREAD = "g2a-lease-keeper"


def twin_settings(api_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "api_url": api_url,
        "api_hash": SANDBOX_API_HASH,
        "api_key": SANDBOX_API_KEY,
        "timeout_ms": 2000,
    }
    values.update(overrides)
    return Settings(**values)


class HeldElsewhere(MemoryStore):
    """A store where another caller claims `key`, with the same payload, just before this
    process's first claim of it: a live lease held elsewhere (for `lease_seconds`)."""

    def __init__(self, key: str, lease_seconds: float) -> None:
        super().__init__()
        self._held: str | None = key
        self._lease = lease_seconds

    def claim(self, key: str, fingerprint: str, lease_seconds: float) -> Claim:
        if key == self._held:
            self._held = None
            super().claim(key, fingerprint, self._lease)
        return super().claim(key, fingerprint, lease_seconds)


def query(logged: dict[str, Any]) -> dict[str, str]:
    """The query string of a twin request-log entry as a dict."""
    return dict(parse_qsl(logged["query"]))
