"""How a Locust worker tells its master went silent, sooner than Locust does.

A worker sends its master a heartbeat every second, which the master answers. Locust's worker
quits after 60 s without an answer (`MASTER_HEARTBEAT_TIMEOUT`, a module constant of
`locust.runners`, no option), and only once the master answered at least once: a frozen master,
or one dead behind a port-forward whose port still accepts connections, has it buy on for a
minute, or wait for ever. The locustfile's workers listen to Locust's public
`heartbeat_received` event instead and quit once `MASTER_SILENT_HEARTBEATS` intervals in a row
passed without a word from the master: 5 to 6 s after its last one. The master's first word is
its answer to the worker's joining (Locust builds the worker's runner only then), a test's
start (`test_start`, on the master's `spawn`) is another. Intervals are counted as the worker's
own loop gets round to them, so a worker too busy to send its heartbeats does not take its own
stall for the master's silence.

Locust's stop sequence leaves a worker deaf: once its users stopped, its `stop` message handler
tells the master it stopped (the master then ignores its heartbeats) and sleeps `stop_timeout`
(plus LOCUST_WORKER_ADDITIONAL_WAIT_BEFORE_READY_AFTER_STOP) before it says it is ready again,
reading no message meanwhile. So from the users stopping (`test_stopping`) the silence allowed
grows by that sleep, until the worker says it is ready again (it listens again: counted anew
from then) or the next test starts.

Kept free of Locust (which monkey-patches on import) so the counting can be tested in-process.
"""

from __future__ import annotations

import math
from typing import Any

HEARTBEAT_INTERVAL_S = 1.0  # Locust's HEARTBEAT_INTERVAL: how often a worker sends one
MASTER_SILENT_HEARTBEATS = 5
# what a worker prints on stderr as it quits because its master went silent
MASTER_SILENT_LINE = "g2a-harness: this Locust worker's master went silent"


class MasterSilence:
    """Worker: heartbeat intervals in a row gone by without a word from the master, from its
    joining on; while Locust's stop sequence may keep the worker deaf, that many more allowed."""

    def __init__(self) -> None:
        self.unanswered = 0  # the master answered the worker's joining
        self._deaf_intervals = 0  # allowed beyond MASTER_SILENT_HEARTBEATS
        self._ready = True  # as Locust's worker is once joined: no test running

    def heard(self, **_: Any) -> None:
        """Locust's `heartbeat_received` listener: the master answered."""
        self.unanswered = 0

    def users_stopping(self, deaf_s: float) -> None:
        """The worker's users stop: Locust's stop sequence may now keep it deaf `deaf_s`."""
        self._deaf_intervals = math.ceil(deaf_s / HEARTBEAT_INTERVAL_S)

    def test_started(self, **_: Any) -> None:
        """Locust's `test_start` listener: the master just sent the test (`spawn`)."""
        self._deaf_intervals = 0
        self.unanswered = 0

    def tick(self, ready: bool) -> bool:
        """One more interval gone by, the worker `ready` for a test (none running, Locust's stop
        sequence over): whether the master is now silent."""
        if ready and not self._ready and self._deaf_intervals:  # it listens again
            self._deaf_intervals = 0
            self.unanswered = 0
        self._ready = ready
        self.unanswered += 1
        return self.unanswered > MASTER_SILENT_HEARTBEATS + self._deaf_intervals
