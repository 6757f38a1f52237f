"""Blocking calls from async code, batched: fewer thread hand-offs than one per call.

`anyio.to_thread.run_sync` costs a thread hand-off and an event-loop wake-up per call, which
dominates a request whose own work (verify, three store writes) takes tens of microseconds.
`BlockingRunner` keeps worker threads reading one queue; a thread takes every call waiting
for it, runs them in arrival order and wakes each event loop once for the whole batch.
A new thread starts only when no thread is waiting for work (so fast calls share one thread
and batch well, while a slow handler does not hold up the calls queued behind it), up to
`threads`; threads exit after `idle_seconds` without work, so a runner needs no shutdown.
Under an event loop other than asyncio it falls back to `anyio.to_thread`.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from collections.abc import Callable
from typing import Any, TypeVar

import anyio.to_thread

T = TypeVar("T")

_Job = tuple[asyncio.AbstractEventLoop, "asyncio.Future[Any]", Callable[[], Any]]
_Outcome = tuple["asyncio.Future[Any]", Any, BaseException | None]


class BlockingRunner:
    """Runs blocking callables on up to `threads` worker threads, in batches."""

    def __init__(self, threads: int = 1, *, idle_seconds: float = 1.0) -> None:
        if threads < 1 or idle_seconds <= 0:
            raise ValueError("threads must be >= 1 and idle_seconds > 0")
        self._max_threads = threads
        self._idle = idle_seconds
        self._jobs: queue.SimpleQueue[_Job] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._threads = 0
        self._waiting = 0  # threads blocked on the queue, ready for the next call

    @property
    def threads(self) -> int:
        """Worker threads alive now (0 when idle)."""
        return self._threads

    async def run(self, call: Callable[[], T]) -> T:
        """`call()` on a worker thread; its result or exception, here."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # not asyncio (e.g. trio)
            return await anyio.to_thread.run_sync(call)
        future: asyncio.Future[T] = loop.create_future()
        self._jobs.put((loop, future, call))
        with self._lock:
            if self._waiting == 0 and self._threads < self._max_threads:
                threading.Thread(target=self._work, name="g2a-blocking", daemon=True).start()
                self._threads += 1  # counted once started: a failed start leaves no phantom
        return await future

    def _next_batch(self) -> list[_Job] | None:
        """Every job waiting (at least one), or None once idle long enough to exit."""
        with self._lock:
            self._waiting += 1
        try:
            batch = [self._jobs.get(timeout=self._idle)]
        except queue.Empty:
            with self._lock:  # `run` enqueues before it checks the counts: nothing is lost
                self._waiting -= 1
                if self._jobs.empty():
                    self._threads -= 1
                    return None
            return []
        with self._lock:
            self._waiting -= 1
        while True:
            try:
                batch.append(self._jobs.get_nowait())
            except queue.Empty:
                return batch

    def _work(self) -> None:
        while (batch := self._next_batch()) is not None:
            outcomes: dict[asyncio.AbstractEventLoop, list[_Outcome]] = {}
            for loop, future, call in batch:
                try:
                    outcome: _Outcome = (future, call(), None)
                except BaseException as exc:  # handed to the awaiting task, as executors do
                    outcome = (future, None, exc)
                outcomes.setdefault(loop, []).append(outcome)
            for loop, done in outcomes.items():
                with contextlib.suppress(RuntimeError):  # loop closed: nobody is waiting
                    loop.call_soon_threadsafe(_settle, done)


def _settle(done: list[_Outcome]) -> None:
    for future, value, exc in done:
        if future.cancelled():
            continue
        if exc is None:
            future.set_result(value)
        else:
            future.set_exception(exc)
