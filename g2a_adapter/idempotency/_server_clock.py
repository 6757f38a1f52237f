"""The shared server's clock, for the stores many hosts share (Redis, PostgreSQL).

Leases, retention and nonces expire by one clock for every host: the server's. Hosts read it
without a round trip per claim: `ServerClock` is the server's time as last measured, moved on
by this host's monotonic clock since, so a step of this host's wall clock (NTP, a resumed VM)
does not move it. It is measured from a few readings of the server's clock (the one with the
shortest round trip counts) on the store's first call, after a new connection or a failed
call, after a fork, and every `REFRESH_SECONDS`; a store measures before it computes the
times of an operation, on the connection the operation uses. An offset of this host's
wall clock over `SKEW_WARNING_SECONDS` is logged once. Tests that move time (freezegun) inject
a `clock` instead: a measurement brings this one back to the server's time.
"""

from __future__ import annotations

import itertools
import logging
import os
import time
from collections.abc import Callable

logger = logging.getLogger("g2a_adapter")

REFRESH_SECONDS = 30.0
SKEW_WARNING_SECONDS = 1.0
_SAMPLES = 3


def local_time() -> float:
    """This host's clock, looked up at call time (so monkeypatching `time.time` applies).

    A `ServerClock` takes the one this name holds when it is made: a test patches it around
    opening a store to play a host whose clock is off."""
    return time.time()


class ServerClock:
    """A clock callable: the server's time, as measured, moved on by this host's monotonic
    clock (this host's wall clock until the first measurement)."""

    def __init__(
        self,
        backend: str,
        *,
        local: Callable[[], float] | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        refresh_seconds: float = REFRESH_SECONDS,
    ) -> None:
        self._backend = backend
        self._local = local_time if local is None else local
        self._monotonic = monotonic
        self._refresh = refresh_seconds
        self.offset = 0.0  # the server's clock minus this host's wall clock (for the warning)
        self._base = self._local() - monotonic()  # the server's time minus monotonic time
        self._next_sync = -float("inf")  # monotonic time of the next measurement
        self._pid = os.getpid()
        self._holds = False  # a measurement made, not expired since
        self._numbers = itertools.count(1)  # atomic: threads may measure at once
        self.measurement = 0  # the number of the last measurement made (0: none yet)
        self._warned = False

    def __call__(self) -> float:
        return self._monotonic() + self._base

    def expire(self) -> None:
        """Measure again at the next `refresh` (a new connection may reach another server)."""
        self._next_sync = -float("inf")
        self._holds = False

    def refresh(self, read_server: Callable[[], float]) -> None:
        """Measure the offset with `read_server` (the server's time, epoch seconds) when due."""
        if os.getpid() != self._pid:  # a forked child measures its own
            self._pid = os.getpid()
            self.expire()
        if self._holds and self._monotonic() < self._next_sync:
            return
        # Meanwhile other threads keep the measurement held; with none held (expired: maybe
        # another server), each measures for itself.
        self._next_sync = self._monotonic() + self._refresh
        samples = [self._sample(read_server) for _ in range(_SAMPLES)]
        _, self._base, self.offset = min(samples)
        self.measurement = next(self._numbers)  # after `_base`: it times no earlier
        self._holds = True
        self._warn_once()

    def _sample(self, read_server: Callable[[], float]) -> tuple[float, float, float]:
        """(round trip, server minus monotonic time, server minus wall time) of one reading,
        which the server took half-way through the round trip."""
        started, before = self._monotonic(), self._local()
        server = read_server()
        ended, after = self._monotonic(), self._local()
        return ended - started, server - (started + ended) / 2, server - (before + after) / 2

    def _warn_once(self) -> None:
        if self._warned or abs(self.offset) <= SKEW_WARNING_SECONDS:
            return
        self._warned = True
        direction = "behind" if self.offset > 0 else "ahead of"
        logger.warning(
            "g2a.store.clock_skew: this host's clock is %.1f s %s the %s server's; leases "
            "and expiries follow the server's clock (check NTP on this host)",
            abs(self.offset),
            direction,
            self._backend,
        )


def chosen_clock(
    backend: str, clock: Callable[[], float] | None
) -> tuple[Callable[[], float], ServerClock | None]:
    """The clock a shared store computes times with, and its `ServerClock` to keep measured:
    an injected `clock` as it is (tests move time with it), else the server's clock."""
    if clock is not None:
        return clock, None
    server = ServerClock(backend)
    return server, server
