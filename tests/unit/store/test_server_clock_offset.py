"""The server clock's offset: measured from the reading with the shortest round trip, kept
between refreshes, measured again when due, and a large skew logged once."""

from __future__ import annotations

import logging
import os

import pytest

from g2a_adapter.idempotency._server_clock import ServerClock, chosen_clock


class FakeHost:
    """This host's wall clock and monotonic clock, moved by hand (and by each server read)."""

    def __init__(self) -> None:
        self.wall = 1_000.0
        self.ticks = 0.0

    def local(self) -> float:
        return self.wall

    def monotonic(self) -> float:
        return self.ticks

    def advance(self, seconds: float) -> None:
        self.wall += seconds
        self.ticks += seconds


class FakeServer:
    """A server whose clock runs `offset` ahead of the host's; each reading takes the round
    trip listed next, the server reading at its middle."""

    def __init__(self, host: FakeHost, offset: float, round_trips: list[float]) -> None:
        self.host, self.offset, self.round_trips, self.reads = host, offset, round_trips, 0

    def __call__(self) -> float:
        round_trip = self.round_trips[self.reads % len(self.round_trips)]
        self.reads += 1
        self.host.advance(round_trip / 2)
        seen = self.host.wall + self.offset
        self.host.advance(round_trip / 2)
        return seen


def _clock(host: FakeHost, refresh_seconds: float = 30.0) -> ServerClock:
    return ServerClock(
        "redis", local=host.local, monotonic=host.monotonic, refresh_seconds=refresh_seconds
    )


def test_the_offset_is_the_servers_time_minus_the_middle_of_the_round_trip() -> None:
    host = FakeHost()
    clock = _clock(host)
    assert clock() == host.wall  # not measured yet: this host's time

    clock.refresh(FakeServer(host, 42.5, [0.002]))

    assert clock.offset == pytest.approx(42.5)
    assert clock() == pytest.approx(host.wall + 42.5)


def test_the_reading_with_the_shortest_round_trip_counts() -> None:
    """A reading delayed on one leg is off by half its extra round trip; the fastest is not."""
    host = FakeHost()
    clock = _clock(host)
    delayed = {0: 0.4}  # the first reading's reply waits 0.4 s more on the way back

    def server() -> float:
        index = len(seen)
        host.advance(0.001)
        seen.append(host.wall + 10.0)
        host.advance(0.001 + delayed.get(index, 0.0))
        return seen[-1]

    seen: list[float] = []
    clock.refresh(server)

    assert len(seen) == 3
    assert clock.offset == pytest.approx(10.0)


def test_the_offset_is_kept_until_the_refresh_is_due_or_expired() -> None:
    host = FakeHost()
    clock = _clock(host, refresh_seconds=30.0)
    server = FakeServer(host, 5.0, [0.001])
    clock.refresh(server)
    reads = server.reads

    host.advance(29.0)
    server.offset = 7.0
    clock.refresh(server)
    assert (server.reads, clock.offset) == (reads, pytest.approx(5.0))  # not due: no read

    host.advance(1.0)
    clock.refresh(server)
    assert (server.reads, clock.offset) == (2 * reads, pytest.approx(7.0))

    server.offset = 9.0
    clock.expire()  # e.g. a new connection
    clock.refresh(server)
    assert (server.reads, clock.offset) == (3 * reads, pytest.approx(9.0))


def test_a_forked_child_measures_again(monkeypatch: pytest.MonkeyPatch) -> None:
    host = FakeHost()
    clock = _clock(host)
    server = FakeServer(host, 5.0, [0.001])
    clock.refresh(server)
    reads = server.reads

    monkeypatch.setattr(os, "getpid", lambda: -1)  # as in a child: another process id
    clock.refresh(server)

    assert server.reads == 2 * reads


@pytest.mark.parametrize(("offset", "direction"), [(-20.0, "ahead of"), (3.0, "behind")])
def test_a_skew_over_a_second_is_logged_once(
    caplog: pytest.LogCaptureFixture, offset: float, direction: str
) -> None:
    host = FakeHost()
    clock = _clock(host)
    with caplog.at_level(logging.WARNING, logger="g2a_adapter"):
        for _ in range(3):
            clock.expire()
            clock.refresh(FakeServer(host, offset, [0.001]))

    assert [r.getMessage() for r in caplog.records] == [
        f"g2a.store.clock_skew: this host's clock is {abs(offset):.1f} s {direction} the redis "
        "server's; leases and expiries follow the server's clock (check NTP on this host)"
    ]


def test_a_skew_within_a_second_is_not_logged(caplog: pytest.LogCaptureFixture) -> None:
    host = FakeHost()
    with caplog.at_level(logging.WARNING, logger="g2a_adapter"):
        _clock(host).refresh(FakeServer(host, 0.9, [0.001]))
    assert caplog.records == []


def test_an_injected_clock_is_used_as_it_is() -> None:
    def injected() -> float:
        return 5.0

    assert chosen_clock("postgres", injected) == (injected, None)
    clock, server = chosen_clock("postgres", None)
    assert isinstance(server, ServerClock)
    assert clock is server


def test_a_step_of_this_hosts_wall_clock_after_a_measurement_does_not_move_the_clock() -> None:
    """An NTP step or a resumed VM moves the wall clock, not the monotonic one: the clock keeps
    the server's time, so the host does not see a live lease as lapsed until it measures again
    (before, it added the old offset to the stepped wall clock, 60 s ahead)."""
    host = FakeHost()
    clock = _clock(host)
    clock.refresh(FakeServer(host, 5.0, [0.002]))
    measured = clock()

    host.wall += 60.0  # the step: monotonic time does not move
    host.ticks += 1.0

    assert clock() == pytest.approx(measured + 1.0)


def test_a_refresh_during_another_ones_measurement_after_an_expiry_measures_too() -> None:
    """After a failover (`expire`), the old offset is another server's: a thread that arrives
    while another one measures measures as well, instead of skipping and timing its operation
    by the old server's clock. (Here the second refresh arrives within the first's reading.)"""
    host = FakeHost()
    clock = _clock(host)
    clock.refresh(FakeServer(host, 5.0, [0.001]))
    new_server = FakeServer(host, 3600.0, [0.001])
    seen_meanwhile: list[float] = []

    def first_reading_of_the_new_server() -> float:
        clock.refresh(new_server)  # another thread's operation, meanwhile
        seen_meanwhile.append(clock() - host.wall)
        return new_server()

    clock.expire()
    clock.refresh(first_reading_of_the_new_server)

    assert seen_meanwhile == [pytest.approx(3600.0)] * 3  # one per reading of the first
    assert clock.offset == pytest.approx(3600.0)
