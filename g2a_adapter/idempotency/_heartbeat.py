"""Keep a lease alive while its holder works: renew it from a daemon thread.

A lease is short (seconds) so that a crashed holder's key is free again quickly; the heartbeat
renews it every third of its length while the holder is alive. A holder that freezes (a long
GC pause, SIGSTOP, a stuck disk) stops renewing too, its lease lapses and another caller may
take the key over; the frozen holder is then fenced: its next checkpoint write fails with
`LeaseLostError` and it stops before sending anything else.

A thread serves the sync and the async client alike: store calls are blocking in both.
"""

from __future__ import annotations

import logging
import threading

from g2a_adapter._errors import LeaseLostError
from g2a_adapter._observability import key_digest
from g2a_adapter.idempotency._base import IdempotencyStore

logger = logging.getLogger("g2a_adapter.idempotency")


class LeaseHeartbeat:
    """Renews `key`'s lease every `lease_seconds / 3` until `stop()` or the lease is lost."""

    def __init__(self, store: IdempotencyStore, key: str, owner: str, lease_seconds: float) -> None:
        self._store = store
        self._key = key
        self._owner = owner
        self._lease = lease_seconds
        self._label = f"idempotency_key={key_digest(key)}"  # logs name the key by its digest
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._beat, name="g2a-lease-heartbeat", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Stop renewing (does not wait: a renewal in flight finishes on its own)."""
        self._stopped.set()

    def _beat(self) -> None:
        while not self._stopped.wait(self._lease / 3):
            try:
                self._store.renew(self._key, self._owner, self._lease)
            except LeaseLostError:
                if not self._stopped.is_set():  # not merely completed meanwhile
                    logger.warning("lease on %s was taken over; heartbeat stopped", self._label)
                return
            except Exception as exc:  # a store hiccup: the next beat tries again
                logger.warning("lease renewal of %s failed: %s", self._label, type(exc).__name__)
