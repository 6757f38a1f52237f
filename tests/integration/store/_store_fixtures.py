"""Store test doubles: a hand-moved clock and a handle on one backend under test."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from g2a_adapter.idempotency import IdempotencyStore, MemoryStore, open_store


class FakeClock:
    """A wall clock the test moves by hand."""

    def __init__(self, start: float = 1_750_000_000.25) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Backend:
    name: str
    url: str
    namespace: str
    clock: FakeClock
    shared: bool  # reachable from other processes (everything but memory)
    _opened: list[IdempotencyStore] = field(default_factory=list)
    _memory: MemoryStore | None = None

    def open(self, clock: Callable[[], float] | None = None) -> IdempotencyStore:
        """Another connection to the same store (the same instance for memory)."""
        if self.name == "memory":
            if self._memory is None:
                self._memory = MemoryStore(clock=self.clock)
            return self._memory
        store = open_store(self.url, clock=clock or self.clock, namespace=self.namespace)
        self._opened.append(store)
        return store

    def open_on_server_clock(self) -> IdempotencyStore:
        """Another connection with no clock injected (Redis, PostgreSQL): its times follow the
        server's clock."""
        store = open_store(self.url, namespace=self.namespace)
        self._opened.append(store)
        return store

    def close_all(self) -> None:
        for store in self._opened:
            store.close()
