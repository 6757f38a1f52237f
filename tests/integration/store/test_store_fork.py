"""A store opened before a fork (a pre-forking server): each process still gets one winner per
key. A PostgreSQL connection carried into the children mixed their replies: keys won by
several processes, children stuck."""

from __future__ import annotations

import json
import os
import random
import signal
import threading
from pathlib import Path

import pytest
from _store_fixtures import Backend

from g2a_adapter.idempotency import ClaimState, IdempotencyStore, SqliteStore

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


def test_forks_from_two_threads_at_once_leave_every_store_usable(tmp_path: Path) -> None:
    """Both forks shared one list of held stores: one emptied it under the other, and a
    store's lock stayed held for good in 5 of 6 runs (every later call blocked)."""
    stores = [SqliteStore(str(tmp_path / f"s{i}.sqlite3")) for i in range(3)]

    def fork_often() -> None:
        for _ in range(40):
            pid = os.fork()
            if pid == 0:
                os._exit(0)
            os.waitpid(pid, 0)

    threads = [threading.Thread(target=fork_often) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert not any(thread.is_alive() for thread in threads)
    states: list[ClaimState] = []
    after = threading.Thread(
        target=lambda: states.extend(s.claim("after", "fp", 30.0).state for s in stores),
        daemon=True,  # a store whose lock stayed held blocks it for good
    )
    after.start()
    after.join(timeout=10)
    assert states == [ClaimState.NEW] * len(stores)
    for store in stores:
        store.close()


def test_a_fork_inside_a_store_transaction_goes_on_after_a_while(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The forking thread holds the store's lock: waiting for it would never end (it hung).
    The store is left as it is after a few seconds, with a warning."""
    store = SqliteStore(str(tmp_path / "store.sqlite3"))

    def fork_in_a_group() -> None:
        with store.grouped():
            store.claim("in-the-group", "fp", 30.0)
            pid = os.fork()
            if pid == 0:
                os._exit(0)
            os.waitpid(pid, 0)

    forking = threading.Thread(target=fork_in_a_group, daemon=True)  # a hang stays in it
    forking.start()
    forking.join(timeout=30)

    assert not forking.is_alive(), "the fork waited on its own transaction's lock"
    assert store.get("in-the-group") is not None
    assert "g2a.store.busy_at_fork" in caplog.text
    store.close()
