"""MemoryStore as a replay guard: expired nonces are swept, so the set does not grow forever."""

from __future__ import annotations

from g2a_adapter.idempotency import MemoryStore


def test_memory_store_prunes_expired_nonces() -> None:
    now = [0.0]
    store = MemoryStore(clock=lambda: now[0])
    for i in range(999):
        store.add_nonce(f"old-{i}", 1.0)
    now[0] = 5.0
    store.add_nonce("trigger", 1.0)  # the 1000th insertion sweeps expired nonces
    assert store._nonces == {"trigger": 6.0}
