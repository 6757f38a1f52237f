"""Worker processes for the cross-process store tests (imported by spawned children)."""

from __future__ import annotations

import multiprocessing
import random
import time
from typing import Any

from g2a_adapter.idempotency import ClaimState, Finish, NonceClaim, open_store


def race(
    url: str,
    namespace: str,
    worker: int,
    keys: list[str],
    start: Any,
    results: Any,
    batch_size: int,
) -> None:
    """Claim `keys` in a worker-specific order; complete the ones this worker wins.

    `start` is a barrier shared by all racers, so they begin together. With `batch_size`
    above 1 the claims go through `claim_many` / `finish_many`, as the receiver sends them.
    """
    store = open_store(url, namespace=namespace)
    try:
        order = list(keys)
        random.Random(worker).shuffle(order)
        start.wait()
        won = []
        for first in range(0, len(order), batch_size):
            won += _claim_batch(store, worker, order[first : first + batch_size], batch_size)
        results.put((worker, won))
    finally:
        store.close()


def _claim_batch(store: Any, worker: int, keys: list[str], batch_size: int) -> list[str]:
    if batch_size == 1:
        claims = [store.claim(keys[0], "fingerprint", 60.0)]
    else:
        requests = [NonceClaim(f"n-{worker}-{k}", 600.0, k, "fingerprint", 60.0) for k in keys]
        claims = store.claim_many(requests)
    won = []
    for key, claim in zip(keys, claims, strict=True):
        if claim is None or claim.state not in _RACE_OUTCOMES:
            raise AssertionError(f"unexpected {claim} for {key}")
        if claim.state is ClaimState.NEW:
            won.append((key, claim.owner or ""))
    result = {"winner": worker}
    if batch_size == 1:
        for key, owner in won:
            store.complete(key, owner, result, 3600.0)
    elif not all(store.finish_many([Finish(key, owner, result, 3600.0) for key, owner in won])):
        raise AssertionError("a lease won in this batch was lost")
    return [key for key, _ in won]


_RACE_OUTCOMES = (ClaimState.NEW, ClaimState.COMPLETED, ClaimState.IN_PROGRESS)


def run_race(
    url: str, namespace: str, keys: list[str], processes: int, batch_size: int = 1
) -> dict[str, list[int]]:
    """Race `processes` spawned workers over `keys`; which workers won each key."""
    ctx = multiprocessing.get_context("spawn")
    start, results = ctx.Barrier(processes), ctx.Queue()  # all start once all are ready
    workers = [
        ctx.Process(target=race, args=(url, namespace, n, keys, start, results, batch_size))
        for n in range(processes)
    ]
    for process in workers:
        process.start()
    won = dict(results.get(timeout=120) for _ in workers)  # drain before joining
    for process in workers:
        process.join(timeout=30)
        assert process.exitcode == 0
    winners: dict[str, list[int]] = {}
    for worker, keys_won in won.items():
        for key in keys_won:
            winners.setdefault(key, []).append(worker)
    return winners


def hold_lease(url: str, namespace: str, key: str, lease_seconds: float, ready: Any) -> None:
    """Claim `key`, save a checkpoint, signal, then hang until killed."""
    store = open_store(url, namespace=namespace)
    claim = store.claim(key, "fingerprint", lease_seconds)
    store.checkpoint(key, claim.owner or "", {"step": "order_created"}, lease_seconds)
    ready.put(claim.state.value)
    time.sleep(600)
