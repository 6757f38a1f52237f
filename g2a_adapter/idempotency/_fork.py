"""No store connection crosses a fork (a pre-forking server opens its store, then its workers).

A connection two processes use mixes their traffic: PostgreSQL's replies reach whichever
process reads first (one key was won by several processes), and a SQLite connection's view of
the file's locks is wrong in the child (children hung). Before `os.fork()`, each store
registered here takes its lock, so no statement is in flight, and closes its connection; then
parent and child release the lock, and each opens a connection of its own on next use.
"""

from __future__ import annotations

import os
import threading
import weakref
from typing import Protocol


class _Closable(Protocol):
    def close(self) -> None: ...


class Reconnects:
    """A store holding one connection under `_lock`, opened again on next use once closed."""

    _lock: threading.Lock
    _conn: _Closable | None

    def close_connection(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


_OPEN: weakref.WeakSet[Reconnects] = weakref.WeakSet()
_held_over_fork: list[Reconnects] = []


def reconnect_after_fork(store: Reconnects) -> None:
    _OPEN.add(store)


def _before_fork() -> None:
    _held_over_fork[:] = list(_OPEN)
    for store in _held_over_fork:
        store._lock.acquire()  # waits for a statement in flight
        store.close_connection()


def _after_fork() -> None:
    for store in _held_over_fork:
        store._lock.release()
    _held_over_fork.clear()


if hasattr(os, "register_at_fork"):  # POSIX
    os.register_at_fork(
        before=_before_fork, after_in_parent=_after_fork, after_in_child=_after_fork
    )
