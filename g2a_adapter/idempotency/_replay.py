"""The replay guard port: remembers signed deliveries' nonces for as long as a replay could pass.

A port of its own, beside `IdempotencyStore`: the idempotency store knows keys, leases and
results, not webhook nonces. Every built-in backend implements both, so a receiver needs one
connection; nonces live apart from idempotency records (a nonce never collides with a key).
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from g2a_adapter._errors import ConfigError
from g2a_adapter.idempotency._base import IdempotencyStore


@runtime_checkable
class ReplayGuard(Protocol):
    """Nonces seen within their time to live."""

    def add_nonce(self, nonce: str, ttl_seconds: float) -> bool:
        """True the first time `nonce` is seen within `ttl_seconds`, False on a replay."""
        ...


def replay_guard_of(store: IdempotencyStore) -> ReplayGuard:
    """The store's own replay guard (every built-in backend is one)."""
    if isinstance(store, ReplayGuard):
        return store
    raise ConfigError(
        f"the {store.backend!r} store cannot remember webhook nonces: the receiver needs a "
        "store that is also a ReplayGuard (add_nonce), as every built-in backend is"
    )
