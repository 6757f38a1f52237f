"""SQLite specifics: which operations need the database-wide write lock, and which do not."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from g2a_adapter import StoreUnavailableError
from g2a_adapter.idempotency import ClaimState, SqliteStore

NOW = 1_750_000_000.0


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "store.sqlite3"


@pytest.fixture
def store(path: Path) -> Iterator[SqliteStore]:
    opened = SqliteStore(str(path), clock=lambda: NOW, busy_timeout_seconds=0.2)
    yield opened
    opened.close()


@pytest.fixture
def writer_lock(path: Path, store: SqliteStore) -> Iterator[None]:
    """Another connection holding the write lock (as a busy writer process would)."""
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    yield
    other.execute("ROLLBACK")
    other.close()


def test_claims_that_write_nothing_do_not_wait_for_the_write_lock(
    store: SqliteStore, request: pytest.FixtureRequest
) -> None:
    done = store.claim("done", "fp", 30.0)
    store.complete("done", done.owner or "", {"key": "K"}, 3600.0)
    store.claim("busy", "fp", 30.0)
    request.getfixturevalue("writer_lock")

    completed = store.claim("done", "fp", 30.0)
    assert (completed.state, completed.result) == (ClaimState.COMPLETED, {"key": "K"})
    assert store.claim("busy", "fp", 30.0).state is ClaimState.IN_PROGRESS
    assert store.claim("done", "other-fp", 30.0).state is ClaimState.MISMATCH


def test_writes_wait_for_the_lock_and_then_fail_clearly(
    store: SqliteStore, request: pytest.FixtureRequest
) -> None:
    request.getfixturevalue("writer_lock")
    with pytest.raises(StoreUnavailableError) as caught:
        store.claim("fresh", "fp", 30.0)
    assert caught.value.backend == "sqlite"
    assert "locked" in str(caught.value)


def test_ping_fails_when_a_claim_could_not_take_the_write_lock(
    store: SqliteStore, request: pytest.FixtureRequest
) -> None:
    """`/healthz` pings the store: it must say what a claim would meet, not `SELECT 1`."""
    store.ping()
    request.getfixturevalue("writer_lock")
    with pytest.raises(StoreUnavailableError, match="locked"):
        store.ping()


def test_ping_fails_when_the_database_file_is_damaged(path: Path, store: SqliteStore) -> None:
    store.ping()
    for suffix in ("", "-wal", "-shm"):  # overwritten under the running store
        damaged = path.with_name(path.name + suffix)
        if damaged.exists():
            with damaged.open("r+b") as file:
                file.write(b"garbage!" * 512)
    with pytest.raises(StoreUnavailableError):
        store.ping()


def test_opening_a_file_locked_past_the_timeout_is_a_typed_error(tmp_path: Path) -> None:
    path = tmp_path / "held.sqlite3"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("CREATE TABLE t (x)")
    holder.execute("BEGIN EXCLUSIVE")  # another process mid-write, longer than our patience
    try:
        with pytest.raises(StoreUnavailableError, match=r"store 'sqlite' unavailable.*locked"):
            SqliteStore(str(path), busy_timeout_seconds=0.2)
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def _write_events(store: SqliteStore, count: int) -> None:
    """What the receiver writes per event: its nonce, its claim and its completion."""
    for i in range(count):
        assert store.add_nonce(f"n-{i}", 600.0)
        claim = store.claim(f"evt-{i:05d}", "f" * 64, 30.0)
        store.complete(f"evt-{i:05d}", claim.owner or "", {"ok": 1}, 60.0)


def _checkpointers() -> int:
    return sum(1 for t in threading.enumerate() if t.name == "g2a-sqlite-checkpoint")


def test_commits_leave_checkpoints_to_the_checkpointer_thread(tmp_path: Path) -> None:
    running_before = _checkpointers()
    idle = tmp_path / "idle.sqlite3"
    store = SqliteStore(str(idle), checkpoint_interval_seconds=3600)
    try:
        schema_only = idle.stat().st_size
        _write_events(store, 2000)  # thousands of log pages: a commit used to checkpoint
        assert idle.stat().st_size == schema_only  # everything still in the write-ahead log
    finally:
        store.close()

    busy = tmp_path / "busy.sqlite3"
    store = SqliteStore(str(busy), checkpoint_interval_seconds=0.05)
    try:
        schema_only = busy.stat().st_size
        _write_events(store, 2000)
        deadline = time.monotonic() + 5
        while busy.stat().st_size == schema_only and time.monotonic() < deadline:
            time.sleep(0.02)
        assert busy.stat().st_size > schema_only  # the checkpointer copied the log over
    finally:
        store.close()
    assert _checkpointers() == running_before  # close() stops the store's thread
