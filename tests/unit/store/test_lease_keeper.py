"""The lease keeper: renews every lease it keeps, in one group, until let go or taken over;
its thread runs only while it keeps something."""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

import pytest
from machine_support import require

from g2a_adapter.idempotency import ClaimState, MemoryStore, open_store
from g2a_adapter.idempotency._codec import lease_holder
from g2a_adapter.idempotency._heartbeat import THREAD_NAME, LeaseKeeper

LEASE = 0.3


def test_kept_leases_stay_alive_and_one_let_go_lapses() -> None:
    store = MemoryStore()
    keeper = LeaseKeeper(store, LEASE)
    owners = {key: store.claim(key, "fp", LEASE).owner or "" for key in ("a", "b")}
    for key, owner in owners.items():
        keeper.keep(key, owner)
    assert [t.name for t in [keeper._thread] if t is not None] == [THREAD_NAME]  # one for all
    time.sleep(LEASE * 3)  # three leases long: alive only if renewed
    assert [store.claim(key, "fp", LEASE).state for key in owners] == [ClaimState.IN_PROGRESS] * 2
    assert keeper.holds("a", owners["a"])
    keeper.let_go("a", owners["a"])
    assert not keeper.holds("a", owners["a"])
    time.sleep(LEASE * 1.5)
    assert store.claim("a", "fp", LEASE).state is ClaimState.NEW
    assert store.claim("b", "fp", LEASE).state is ClaimState.IN_PROGRESS
    keeper.let_go("b", owners["b"])


def test_the_thread_ends_once_nothing_is_kept_and_the_next_keep_starts_one() -> None:
    store = MemoryStore()
    keeper = LeaseKeeper(store, LEASE)
    owner = store.claim("k", "fp", LEASE).owner or ""
    keeper.keep("k", owner)
    thread = keeper._thread
    assert thread is not None
    keeper.let_go("k", owner)
    thread.join(timeout=LEASE)  # the next beat finds nothing kept
    assert not thread.is_alive()
    assert keeper._thread is None
    owner = store.claim("k2", "fp", LEASE).owner or ""
    keeper.keep("k2", owner)
    time.sleep(LEASE * 2)
    assert store.claim("k2", "fp", LEASE).state is ClaimState.IN_PROGRESS
    keeper.let_go("k2", owner)


def test_a_lease_taken_over_is_no_longer_held_nor_renewed_and_says_so_by_its_digest(
    caplog: pytest.LogCaptureFixture,
) -> None:
    now = [0.0]
    store = MemoryStore(clock=lambda: now[0])
    keeper = LeaseKeeper(store, LEASE)
    owner = store.claim("k", "fp", LEASE).owner or ""
    with caplog.at_level(logging.WARNING, logger="g2a_adapter.idempotency"):
        keeper.keep("k", owner)
        now[0] += LEASE + 1  # the holder froze: another caller takes the key over
        assert store.claim("k", "fp", LEASE).taken_over
        time.sleep(LEASE / 3 + 0.2)  # the next renewal finds it lost
        assert not keeper.holds("k", owner)
    # The key is named by its digest (sha256("k")[:32]), never as key material.
    assert [r.getMessage() for r in caplog.records] == [
        "lease on idempotency_key=8254c329a92850f6d539dd376f4816ee was taken over; "
        "it is no longer renewed"
    ]


def test_a_lease_whose_renewals_fail_for_a_whole_lease_is_no_longer_held() -> None:
    now = [0.0]
    store = MemoryStore()
    keeper = LeaseKeeper(store, 30.0, clock=lambda: now[0])
    owner = store.claim("k", "fp", 30.0).owner or ""
    keeper.keep("k", owner)
    assert keeper.holds("k", owner)
    now[0] += 30.0  # no renewal was kept in a whole lease: another caller may hold it now
    assert not keeper.holds("k", owner)
    keeper.let_go("k", owner)


class _RenewalOrder(MemoryStore):
    def __init__(self) -> None:
        super().__init__()
        self.renewed: list[str] = []

    def renew(self, key: str, owner: str, lease_seconds: float) -> None:
        self.renewed.append(key)
        super().renew(key, owner, lease_seconds)


def test_a_beat_renews_its_leases_in_key_order() -> None:
    """As the receiver claims and completes a group's events: two processes renewing and
    claiming rows of the same keys on one database never wait for each other in a cycle."""
    store = _RenewalOrder()
    keeper = LeaseKeeper(store, LEASE)
    kept = [(key, store.claim(key, "fp", LEASE).owner or "") for key in ("c", "a", "d", "b")]
    for key, owner in kept:
        keeper.keep(key, owner)
    keeper._renew(list(keeper._kept.values()))
    for key, owner in kept:
        keeper.let_go(key, owner)
    assert store.renewed[:4] == ["a", "b", "c", "d"]


def test_the_renewals_of_a_beat_commit_together_on_a_sql_store(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 's.sqlite3'}")
    try:
        keeper = LeaseKeeper(store, LEASE)
        owners = {key: store.claim(key, "fp", LEASE).owner or "" for key in ("a", "b", "c")}
        statements: list[str] = []
        connection = store._live_connection()  # type: ignore[attr-defined]
        connection.set_trace_callback(statements.append)
        for key, owner in owners.items():
            keeper.keep(key, owner)
        time.sleep(LEASE / 3 + 0.1)  # one beat
        for key, owner in owners.items():
            keeper.let_go(key, owner)
        connection.set_trace_callback(None)
        verbs = " ".join(s.split()[0].upper() for s in statements)
        beats = [beat.strip() for beat in verbs.split("COMMIT") if beat.strip()]
        assert beats  # at least one beat, each one transaction renewing all three
        assert set(beats) == {"BEGIN UPDATE UPDATE UPDATE"}
    finally:
        store.close()


@pytest.mark.parametrize(
    ("owner", "holder"),
    [
        ("build-7/4242/0123abcd-1", "build-7 pid 4242"),
        ("0123abcd-1", "another caller"),
        (None, "another caller"),
        ("", "another caller"),
    ],
)
def test_the_holder_of_a_lease_is_its_host_and_pid(owner: str | None, holder: str) -> None:
    assert lease_holder(owner) == holder


def test_a_forked_child_keeps_its_own_leases_with_its_own_thread() -> None:
    """A pre-forking server forks after the keeper exists: the child has no keeper thread and
    must start one for its own leases, and does not renew the parent's."""
    require(hasattr(os, "fork"), "this platform has no os.fork (POSIX only)")
    store = MemoryStore()
    keeper = LeaseKeeper(store, LEASE)
    parent_owner = store.claim("parent", "fp", LEASE).owner or ""
    keeper.keep("parent", parent_owner)
    pid = os.fork()
    if pid == 0:  # the child: report by exit code only
        try:
            child_owner = store.claim("child", "fp", LEASE).owner or ""
            keeper.keep("child", child_owner)
            time.sleep(LEASE * 3)
            kept = store.claim("child", "fp", LEASE).state is ClaimState.IN_PROGRESS
            lapsed = store.claim("parent", "fp", LEASE).state is ClaimState.NEW  # not renewed
            os._exit(0 if kept and lapsed else 1)
        except BaseException:
            os._exit(2)
    _, status = os.waitpid(pid, 0)
    keeper.let_go("parent", parent_owner)
    assert os.waitstatus_to_exitcode(status) == 0
