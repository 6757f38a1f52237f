"""Worker processes for the cross-process store tests (imported by spawned children)."""

from __future__ import annotations

import random
import time
from typing import Any

from g2a_adapter.idempotency import ClaimState, open_store


def race(url: str, namespace: str, worker: int, keys: list[str], start: Any, results: Any) -> None:
    """Claim `keys` in a worker-specific order; complete the ones this worker wins.

    `start` is a barrier shared by all racers, so they begin together.
    """
    store = open_store(url, namespace=namespace)
    try:
        order = list(keys)
        random.Random(worker).shuffle(order)
        start.wait()
        won = []
        for key in order:
            claim = store.claim(key, "fingerprint", 60.0)
            if claim.state is ClaimState.NEW:
                store.complete(key, claim.owner or "", {"winner": worker}, 3600.0)
                won.append(key)
            elif claim.state not in (ClaimState.COMPLETED, ClaimState.IN_PROGRESS):
                raise AssertionError(f"unexpected {claim.state} for {key}")
        results.put((worker, won))
    finally:
        store.close()


def hold_lease(url: str, namespace: str, key: str, lease_seconds: float, ready: Any) -> None:
    """Claim `key`, save a checkpoint, signal, then hang until killed."""
    store = open_store(url, namespace=namespace)
    claim = store.claim(key, "fingerprint", lease_seconds)
    store.checkpoint(key, claim.owner or "", {"step": "order_created"}, lease_seconds)
    ready.put(claim.state.value)
    time.sleep(600)
