"""A store opened before a fork (a pre-forking server): each process still gets one winner per
key. A PostgreSQL connection carried into the children mixed their replies: keys won by
several processes, children stuck."""

from __future__ import annotations

import json
import os
import random
import signal

from _store_fixtures import Backend

from g2a_adapter.idempotency import ClaimState, IdempotencyStore

WORKERS, KEYS = 4, 60


def _claim_all(store: IdempotencyStore, worker: int, report: int) -> None:
    """In a child: claim every key in an order of its own, report the ones won, and exit."""
    signal.alarm(20)  # a child stuck on a shared connection reports nothing
    won, errors = [], []
    order = list(range(KEYS))
    random.Random(worker).shuffle(order)
    for index in order:
        try:
            if store.claim(f"forked-{index}", "fp", 30.0).state is ClaimState.NEW:
                won.append(index)
        except Exception as exc:
            errors.append(type(exc).__name__)
    os.write(report, (json.dumps([won, errors]) + "\n").encode())
    os._exit(0)


def test_a_store_opened_before_a_fork_keeps_one_winner_per_key(shared_backend: Backend) -> None:
    store = shared_backend.open()
    assert store.claim("before-the-fork", "fp", 30.0).state is ClaimState.NEW  # in use
    read, write = os.pipe()
    children = []
    for worker in range(WORKERS):
        pid = os.fork()
        if pid == 0:
            os.close(read)
            _claim_all(store, worker, write)
        children.append(pid)
    os.close(write)
    for pid in children:
        os.waitpid(pid, 0)
    with os.fdopen(read) as pipe:
        reports = [json.loads(line) for line in pipe.read().splitlines()]

    assert len(reports) == WORKERS, f"{WORKERS - len(reports)} children never finished"
    assert [errors for _, errors in reports] == [[]] * WORKERS
    won = sorted(index for indices, _ in reports for index in indices)
    assert won == list(range(KEYS))  # each key won once, by one process
    assert store.claim("after-the-fork", "fp", 30.0).state is ClaimState.NEW  # the parent too
