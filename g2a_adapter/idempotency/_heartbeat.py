"""Keep leases alive while their holders work: one daemon thread renews them all.

A lease is short (seconds) so that a crashed holder's key is free again quickly. A
`LeaseKeeper` renews every lease it keeps each third of the lease's length, all of them in
one group of writes (`write_group`: one commit on a SQL store), until the holder lets go. Its
thread runs only while it keeps something, and serves sync and async callers alike (store
calls block in both). A holder that freezes (a long GC pause, SIGSTOP, a stuck disk) stops
renewing too: its lease lapses, another caller may take the key over, and the frozen holder
is fenced: `holds` turns False, and its next write under the lease fails with
`LeaseLostError`.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass

from g2a_adapter._errors import LeaseLostError
from g2a_adapter._logging import key_digest
from g2a_adapter.idempotency._base import IdempotencyStore
from g2a_adapter.idempotency._groups import write_group

logger = logging.getLogger("g2a_adapter.idempotency")

THREAD_NAME = "g2a-lease-keeper"
_KEEPERS: weakref.WeakSet[LeaseKeeper] = weakref.WeakSet()


@dataclass(eq=False)
class _Lease:
    key: str
    owner: str
    lapses_at: float  # on the keeper's clock; later with each renewal
    lost: bool = False  # taken over by another caller


class LeaseKeeper:
    """Renews the leases it keeps (`keep` … `let_go`) every `lease_seconds / 3`."""

    def __init__(
        self,
        store: IdempotencyStore,
        lease_seconds: float,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._lease = lease_seconds
        self._clock = clock
        self._kept: dict[tuple[str, str], _Lease] = {}
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        _KEEPERS.add(self)

    def _after_fork_in_child(self) -> None:
        """A forked child has only the forking thread: a lock another thread held stays held
        for good, and the leases the parent kept are the parent's to renew."""
        self._lock = threading.Lock()
        self._kept.clear()
        self._thread = None

    def keep(self, key: str, owner: str) -> None:
        """Renew the lease `owner` holds on `key` (just claimed) until `let_go`."""
        lease = _Lease(key, owner, self._clock() + self._lease)
        with self._lock:
            self._kept[key, owner] = lease
            if self._thread is None or not self._thread.is_alive():  # none, or not since a fork
                self._thread = threading.Thread(target=self._run, name=THREAD_NAME, daemon=True)
                self._thread.start()

    def let_go(self, key: str, owner: str) -> None:
        """Stop renewing (does not wait: a renewal in flight finishes on its own)."""
        with self._lock:
            self._kept.pop((key, owner), None)

    def holds(self, key: str, owner: str) -> bool:
        """Whether the kept lease is still this holder's: neither taken over nor lapsed
        (renewals failed for a whole lease, so another caller may have taken it over)."""
        lease = self._kept.get((key, owner))
        return lease is not None and not lease.lost and self._clock() < lease.lapses_at

    def _run(self) -> None:
        while True:
            time.sleep(self._lease / 3)
            with self._lock:
                if not self._kept:  # idle: the next `keep` starts a new thread
                    self._thread = None
                    return
                leases = list(self._kept.values())
            self._renew(leases)

    def _renew(self, leases: list[_Lease]) -> None:
        renewed_at = self._clock()
        renewed: list[_Lease] = []
        try:
            with write_group(self._store):
                # in key order, as the receiver writes a group's events: two processes
                # renewing and claiming the same keys on one database never deadlock
                for lease in sorted(leases, key=lambda lease: lease.key):
                    try:
                        self._store.renew(lease.key, lease.owner, self._lease)
                    except LeaseLostError:
                        self._lost(lease)
                    else:
                        renewed.append(lease)
        except Exception as exc:  # a store hiccup: the next beat tries again
            logger.warning("lease renewal failed: %s", type(exc).__name__)
            return
        for lease in renewed:  # only once the renewals are kept
            lease.lapses_at = renewed_at + self._lease

    def _lost(self, lease: _Lease) -> None:
        lease.lost = True
        with self._lock:
            still_kept = self._kept.pop((lease.key, lease.owner), None) is lease
        if still_kept:  # not merely completed meanwhile
            label = f"idempotency_key={key_digest(lease.key)}"  # never the key itself
            logger.warning("lease on %s was taken over; it is no longer renewed", label)


def _reset_after_fork() -> None:
    for keeper in list(_KEEPERS):
        keeper._after_fork_in_child()


if hasattr(os, "register_at_fork"):  # POSIX
    os.register_at_fork(after_in_child=_reset_after_fork)
