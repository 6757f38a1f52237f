"""Worker processes for the cross-process store tests (imported by spawned children)."""

from __future__ import annotations

import multiprocessing
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
            if claim.state not in _RACE_OUTCOMES:
                raise AssertionError(f"unexpected {claim} for {key}")
            if claim.state is ClaimState.NEW:
                store.complete(key, claim.owner or "", {"winner": worker}, 3600.0)
                won.append(key)
        results.put((worker, won))
    finally:
        store.close()


_RACE_OUTCOMES = (ClaimState.NEW, ClaimState.COMPLETED, ClaimState.IN_PROGRESS)


def run_race(url: str, namespace: str, keys: list[str], processes: int) -> dict[str, list[int]]:
    """Race `processes` spawned workers over `keys`; which workers won each key."""
    ctx = multiprocessing.get_context("spawn")
    start, results = ctx.Barrier(processes), ctx.Queue()  # all start once all are ready
    workers = [
        ctx.Process(target=race, args=(url, namespace, n, keys, start, results))
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
