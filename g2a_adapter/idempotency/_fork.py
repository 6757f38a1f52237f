"""No store connection crosses a fork (a pre-forking server opens its store, then its workers).

A connection two processes use mixes their traffic: PostgreSQL's replies reach whichever
process reads first (one key was won by several processes), and a SQLite connection's view of
the file's locks is wrong in the child (children hung). Before `os.fork()`, each store
registered here takes its lock, so no statement is in flight, and closes its connection; then
parent and child release the lock, and each opens a connection of its own on next use. Forks
from two threads at once take turns. Do not fork inside a store transaction (`grouped()`, a
`run_once_in_transaction` work): a SQLite store is left as it is after `BUSY_AT_FORK_SECONDS`;
a PostgreSQL store, whose lock is reentrant, closes its connection at once, so the transaction
fails (nothing of it is kept) and both processes connect again.
"""

from __future__ import annotations

import logging
import os
import threading
import weakref
from typing import Protocol

logger = logging.getLogger("g2a_adapter")


class _Closable(Protocol):
    def close(self) -> None: ...


class Reconnects:
    """A store holding one connection under `_lock`, opened again on next use once closed."""

    _lock: threading.Lock | threading.RLock
    _conn: _Closable | None

    def close_connection(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


# A fork from inside a store's own transaction (the forking thread holds its lock) cannot wait
# for it: after this long the store is left as it is, and its connection crosses the fork.
BUSY_AT_FORK_SECONDS = 5.0

_OPEN: weakref.WeakSet[Reconnects] = weakref.WeakSet()
_forking = threading.Lock()  # one fork at a time: each holds its stores until it is done
_held_over_fork: list[Reconnects] = []


def reconnect_after_fork(store: Reconnects) -> None:
    _OPEN.add(store)


def _before_fork() -> None:
    _forking.acquire()
    for store in list(_OPEN):
        if store._lock.acquire(timeout=BUSY_AT_FORK_SECONDS):  # a statement in flight ends
            _held_over_fork.append(store)
            store.close_connection()
        else:
            logger.warning(
                "g2a.store.busy_at_fork: a %s store was still in use; its connection is "
                "shared with the child (fork outside store transactions)",
                type(store).__name__,
            )


def _after_fork() -> None:
    for store in _held_over_fork:
        store._lock.release()
    _held_over_fork.clear()
    _forking.release()


if hasattr(os, "register_at_fork"):  # POSIX
    os.register_at_fork(
        before=_before_fork, after_in_parent=_after_fork, after_in_child=_after_fork
    )
