"""WAL checkpoints off the request path, for the SQLite store.

SQLite checkpoints on commit by default: the commit that crosses `wal_autocheckpoint`
pages copies the log into the database file and syncs it, so one delivery in a thousand
waits milliseconds for the disk while holding the store. The store turns that off and
starts a `Checkpointer`: a thread with its own connection running PASSIVE checkpoints
(never blocking readers or writers) every `interval_seconds`, which also lets the log
restart from its beginning once it is fully copied.
"""

from __future__ import annotations

import logging
import sqlite3
import threading

logger = logging.getLogger("g2a_adapter")


class Checkpointer:
    """Runs `PRAGMA wal_checkpoint(PASSIVE)` on `path` every `interval_seconds` until stopped."""

    def __init__(self, path: str, interval_seconds: float) -> None:
        if interval_seconds <= 0:
            raise ValueError("interval_seconds must be positive")
        self._path = path
        self._interval = interval_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="g2a-sqlite-checkpoint", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        conn = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
        try:
            failing = False
            while not self._stop.wait(self._interval):
                try:
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                    failing = False
                except sqlite3.Error as exc:
                    if not failing:  # one line per outage, not one per interval
                        logger.warning(
                            "g2a.store.checkpoint_failed error=%s", exc, extra={"error": str(exc)}
                        )
                    failing = True
        finally:
            conn.close()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5 * self._interval + 1)
