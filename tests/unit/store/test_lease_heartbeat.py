"""The lease heartbeat: renews while running, stops on request or when taken over."""

from __future__ import annotations

import logging
import time

import pytest

from g2a_adapter.idempotency import ClaimState, MemoryStore
from g2a_adapter.idempotency._codec import lease_holder
from g2a_adapter.idempotency._heartbeat import LeaseHeartbeat

LEASE = 0.3


def _lease_left(store: MemoryStore, key: str) -> float:
    record = store.get(key)
    assert record is not None
    assert record.lease_expires_at is not None
    return record.lease_expires_at - time.time()


def test_a_running_heartbeat_keeps_a_short_lease_alive_and_stopping_lets_it_lapse() -> None:
    store = MemoryStore()
    claim = store.claim("k", "fp", LEASE)
    heartbeat = LeaseHeartbeat(store, "k", claim.owner or "", LEASE)
    heartbeat.start()
    time.sleep(LEASE * 3)  # three leases long: alive only if renewed
    assert store.claim("k", "fp", LEASE).state is ClaimState.IN_PROGRESS
    heartbeat.stop()
    time.sleep(LEASE * 1.5)
    assert store.claim("k", "fp", LEASE).state is ClaimState.NEW


def test_a_heartbeat_stops_when_its_lease_was_taken_over(
    caplog: pytest.LogCaptureFixture,
) -> None:
    now = [0.0]
    store = MemoryStore(clock=lambda: now[0])
    claim = store.claim("k", "fp", LEASE)
    now[0] += LEASE + 1  # the holder froze: another caller takes the key over
    assert store.claim("k", "fp", LEASE).taken_over
    heartbeat = LeaseHeartbeat(store, "k", claim.owner or "", LEASE)
    with caplog.at_level(logging.WARNING, logger="g2a_adapter.idempotency"):
        heartbeat.start()
        heartbeat._thread.join(timeout=5)
    assert not heartbeat._thread.is_alive()
    # The key is named by its digest (sha256("k")[:32]), never as key material.
    assert [r.getMessage() for r in caplog.records] == [
        "lease on idempotency_key=8254c329a92850f6d539dd376f4816ee was taken over; "
        "heartbeat stopped"
    ]


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
