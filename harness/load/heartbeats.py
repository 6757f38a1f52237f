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
from then), the next test starts, or, for a worker that never left ready (its users stopped
before it got a test), the sleep's own length went by. While the allowance lasts the worker
says it may be deaf (`DEAF_LINE`), and once it lapses that it listens (`LISTENING_LINE`), when
the worker-only command runs it (`WORKER_ONLY_ENV`): that command does not take the master's
closed port for its death meanwhile, since a master that quit left its `quit` waiting in the
worker's socket.

Kept free of Locust (which monkey-patches on import) so the counting can be tested in-process.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from harness.load.profiles import ProfileError

HEARTBEAT_INTERVAL_S = 1.0  # Locust's HEARTBEAT_INTERVAL: how often a worker sends one
MASTER_SILENT_HEARTBEATS = 5
# what a worker prints on stderr as it quits because its master went silent
MASTER_SILENT_LINE = "g2a-harness: this Locust worker's master went silent"
# what it prints as its stop sequence may keep it deaf to its master, and once that is over
DEAF_LINE = "g2a-harness: this Locust worker may be deaf to its master (stop sequence)"
LISTENING_LINE = "g2a-harness: this Locust worker listens to its master again"
# set by the worker-only command, the only reader of those two lines: local workers, whose
# output goes to the master's locust.log, print neither
WORKER_ONLY_ENV = "G2A_LOAD_WORKER_ONLY"
# Locust's worker sleeps this many seconds more than --stop-timeout in its stop sequence
ADDITIONAL_WAIT_AFTER_STOP_ENV = "LOCUST_WORKER_ADDITIONAL_WAIT_BEFORE_READY_AFTER_STOP"
MAX_ADDITIONAL_WAIT_AFTER_STOP_S = 86400  # the harness's bound: a day


def additional_wait_after_stop(environ: Mapping[str, str]) -> int:
    """The seconds Locust's worker sleeps beyond --stop-timeout, read as Locust reads them
    (`int()`, 0 when unset). `ProfileError` naming the variable and its value for one Locust's
    worker would crash on at its first stop (int() refuses it), or one outside the harness's
    own bounds: a negative one would shorten the silence allowed while the worker is deaf, and
    Locust's worker crashes on a huge one (`gevent.sleep`'s OverflowError)."""
    raw = environ.get(ADDITIONAL_WAIT_AFTER_STOP_ENV, "0")
    try:
        seconds = int(raw)
    except ValueError:
        raise ProfileError(
            f"{ADDITIONAL_WAIT_AFTER_STOP_ENV}={raw!r} is not a whole number of seconds: "
            "Locust's workers read it with int() when a test stops, and would crash there"
        ) from None
    if not 0 <= seconds <= MAX_ADDITIONAL_WAIT_AFTER_STOP_S:
        raise ProfileError(
            f"{ADDITIONAL_WAIT_AFTER_STOP_ENV}={raw!r} is outside 0 to "
            f"{MAX_ADDITIONAL_WAIT_AFTER_STOP_S} seconds, the harness's own bounds: a negative "
            "wait would shorten the silence a worker allows its master while it is deaf, and "
            "Locust's worker crashes on a huge one (OverflowError)"
        )
    return seconds


class MasterSilence:
    """Worker: heartbeat intervals in a row gone by without a word from the master, from its
    joining on; while Locust's stop sequence may keep the worker deaf, that many more allowed."""

    def __init__(self) -> None:
        self.unanswered = 0  # the master answered the worker's joining
        self._deaf_intervals = 0  # allowed beyond MASTER_SILENT_HEARTBEATS
        self._since_stopping = 0  # intervals gone by since the users stopped
        self._ready = True  # as Locust's worker is once joined: no test running

    @property
    def deaf(self) -> bool:
        """Whether Locust's stop sequence may keep the worker deaf (the allowance lasts)."""
        return self._deaf_intervals > 0

    def heard(self, **_: Any) -> None:
        """Locust's `heartbeat_received` listener: the master answered."""
        self.unanswered = 0

    def users_stopping(self, deaf_s: float) -> None:
        """The worker's users stop: Locust's stop sequence may now keep it deaf `deaf_s`."""
        self._deaf_intervals = math.ceil(deaf_s / HEARTBEAT_INTERVAL_S)
        self._since_stopping = 0

    def test_started(self, **_: Any) -> None:
        """Locust's `test_start` listener: the master just sent the test (`spawn`)."""
        self._deaf_intervals = 0
        self.unanswered = 0

    def tick(self, ready: bool) -> bool:
        """One more interval gone by, the worker `ready` for a test (none running, Locust's stop
        sequence over): whether the master is now silent."""
        if ready and self.deaf and (not self._ready or self._sleep_over()):  # it listens again
            self._deaf_intervals = 0
            self.unanswered = 0
        self._ready = ready
        self._since_stopping += 1
        self.unanswered += 1
        return self.unanswered > MASTER_SILENT_HEARTBEATS + self._deaf_intervals

    def _sleep_over(self) -> bool:
        """Locust's stop sequence surely over: as long as it sleeps gone by since the users
        stopped (for a worker that never left ready, the only sign of its end)."""
        return self._since_stopping >= self._deaf_intervals
