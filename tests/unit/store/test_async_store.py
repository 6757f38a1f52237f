"""AsyncStore: the async protocol over a sync store, same results."""

from __future__ import annotations

import pytest

from g2a_adapter import LeaseLostError
from g2a_adapter.idempotency import AsyncIdempotencyStore, AsyncStore, ClaimState, MemoryStore


@pytest.mark.anyio
async def test_async_store_runs_every_transition() -> None:
    now = [1000.0]
    store = AsyncStore(MemoryStore(clock=lambda: now[0]))
    assert isinstance(store, AsyncIdempotencyStore)
    assert store.backend == "memory"

    claim = await store.claim("k", "fp", 10.0)
    assert claim.state is ClaimState.NEW
    assert (await store.claim("k", "fp", 10.0)).state is ClaimState.IN_PROGRESS
    await store.checkpoint("k", claim.owner or "", {"step": 1}, 10.0)
    await store.release("k", claim.owner or "")
    again = await store.claim("k", "fp", 10.0)
    assert (again.checkpoint, again.taken_over) == ({"step": 1}, True)
    await store.complete("k", again.owner or "", {"done": True}, 60.0)
    assert (await store.get("k")).result == {"done": True}  # type: ignore[union-attr]
    with pytest.raises(LeaseLostError):
        await store.release("k", again.owner or "")
    await store.ping()
    await store.close()


def test_memory_store_prunes_expired_nonces() -> None:
    now = [0.0]
    store = MemoryStore(clock=lambda: now[0])
    for i in range(999):
        store.add_nonce(f"old-{i}", 1.0)
    now[0] = 5.0
    store.add_nonce("trigger", 1.0)  # the 1000th insertion sweeps expired nonces
    assert store._nonces == {"trigger": 6.0}
