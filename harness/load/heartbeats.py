"""How a Locust worker tells its master went silent, sooner than Locust does.

A worker sends its master a heartbeat every second, which the master answers. Locust's worker
quits after 60 s without an answer (`MASTER_HEARTBEAT_TIMEOUT`, a module constant of
`locust.runners`, no option): a frozen master, or one dead behind a port-forward whose port
still accepts connections, has it buy on for a minute. The locustfile's workers listen to
Locust's public `heartbeat_received` event instead and quit once `MASTER_SILENT_HEARTBEATS`
intervals in a row passed without an answer: 5 to 6 s after the master's last one. Intervals are
counted as the worker's own loop gets round to them, so a worker too busy to send its heartbeats
does not take its own stall for the master's silence.

Nothing is counted from the moment the worker's users stop (Locust's `test_stopping`) until its
next test starts (`test_start`): in Locust's stop sequence the worker's message loop sleeps
`stop_timeout` (and LOCUST_WORKER_ADDITIONAL_WAIT_BEFORE_READY_AFTER_STOP) after telling the master
it stopped, and the master ignores its heartbeats until it says it is ready again. The
locustfile's end-of-run handshake stops the users before that `stop` arrives, so the answers that
still come in between must not start the count again. A worker without users buys nothing, so a
master silent then costs nothing.

Kept free of Locust (which monkey-patches on import) so the counting can be tested in-process.
"""

from __future__ import annotations

from typing import Any

HEARTBEAT_INTERVAL_S = 1.0  # Locust's HEARTBEAT_INTERVAL: how often a worker sends one
MASTER_SILENT_HEARTBEATS = 5
# what a worker prints on stderr as it quits because its master went silent
MASTER_SILENT_LINE = "g2a-harness: this Locust worker's master went silent"


class MasterSilence:
    """Worker: heartbeat intervals in a row gone by without the master's answer, counted from its
    first answer (before it, joining is what is waited for) and not while its users are stopped."""

    def __init__(self) -> None:
        self.unanswered: int | None = None
        self._users_stopped = False

    def heard(self, **_: Any) -> None:
        """Locust's `heartbeat_received` listener: the master answered."""
        if not self._users_stopped:
            self.unanswered = 0

    def users_stopping(self, **_: Any) -> None:
        """Locust's `test_stopping` listener: stop counting until the next test starts."""
        self._users_stopped = True
        self.unanswered = None

    def test_started(self, **_: Any) -> None:
        """Locust's `test_start` listener: count again from the master's next answer."""
        self._users_stopped = False

    def tick(self) -> bool:
        """One more interval gone by: whether the master is now silent."""
        if self.unanswered is None:
            return False
        self.unanswered += 1
        return self.unanswered > MASTER_SILENT_HEARTBEATS
