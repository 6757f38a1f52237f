"""Blocking calls from async code, batched: fewer thread hand-offs than one per call.

`anyio.to_thread.run_sync` costs a thread hand-off and an event-loop wake-up per call, which
dominates a request whose own work (verify, three store writes) takes tens of microseconds.
`BlockingRunner` keeps worker threads reading one queue; a thread takes every call waiting
for it, runs them in arrival order and wakes each event loop once for the whole batch. The
other direction is batched too: calls made during one event-loop iteration are handed to
the queue together once that iteration ends, so a worker is woken once for all of them.
Calls arriving while a thread is busy and making progress (it took or finished a batch
within `patience_seconds`) are held for that thread, which takes them all as its next batch;
only when the busy threads stop moving do they go to another thread, waiting or new (up to
`threads`), so a slow handler holds up the calls behind it for `patience_seconds` at most
(a timer looks again then).
Threads exit after `idle_seconds` without work, so a runner needs no shutdown.
With `threads=0` there are no threads: the calls of one event-loop iteration run on the
event loop itself once that iteration ends, batched the same way. That is for work that
never blocks (an in-memory handler over an embedded store): handing it to a thread costs
more than the work, as the two threads then take the GIL from each other several times per
call (the SQLite driver lets it go around every statement).
`run_batched(batch, item)` goes further: the items of calls waiting at once for the same
`batch` function are handed to it together, so work with a fixed cost per call (a store
commit, say) is paid once for all of them.
Under an event loop other than asyncio it falls back to `anyio.to_thread`.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

import anyio.to_thread

T = TypeVar("T")
I = TypeVar("I")  # noqa: E741 - an item of a batch

# A batch function: items in, one result per item out; an exception in the list is raised
# to that item's caller. `_single` runs plain calls, one by one.
Batch = Callable[[list[Any]], list[Any]]
_Job = tuple[asyncio.AbstractEventLoop, "asyncio.Future[Any]", Batch, Any]
_Outcome = tuple["asyncio.Future[Any]", Any, BaseException | None]


class BlockingRunner:
    """Runs blocking callables on up to `threads` worker threads (0: on the event loop),
    in batches."""

    def __init__(
        self, threads: int = 1, *, idle_seconds: float = 1.0, patience_seconds: float = 0.005
    ) -> None:
        if threads < 0 or idle_seconds <= 0 or patience_seconds < 0:
            raise ValueError("threads must be >= 0, idle_seconds > 0, patience_seconds >= 0")
        self._max_threads = threads
        self._idle = idle_seconds
        self._patience = patience_seconds
        self._jobs: queue.SimpleQueue[list[_Job]] = queue.SimpleQueue()
        # Jobs submitted during the current iteration of each event loop, not yet queued;
        # each list is only touched from its own loop's thread.
        self._pending: dict[asyncio.AbstractEventLoop, list[_Job]] = {}
        self._lock = threading.Lock()
        self._threads = 0
        self._waiting = 0  # threads blocked on the queue, ready for the next call
        self._busy = 0  # threads running a batch
        self._held: list[_Job] = []  # for a busy thread to take when its batch ends
        self._progress = time.monotonic()  # when a thread last took or finished a batch
        self._recheck_pending = False

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
        result: T = await self._submit(loop, _single, call)
        return result

    async def run_batched(self, batch: Callable[[list[I]], list[T | Exception]], item: I) -> T:
        """`batch([..., item, ...])` on a worker thread, with the other items waiting for it.

        Returns this item's result, or raises the exception `batch` gave for it (or raised).
        """
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # not asyncio (e.g. trio)
            return _unwrap(await anyio.to_thread.run_sync(batch, [item]))
        result: T = await self._submit(loop, batch, item)
        return result

    async def _submit(self, loop: asyncio.AbstractEventLoop, batch: Batch, item: Any) -> Any:
        future: asyncio.Future[Any] = loop.create_future()
        pending = self._pending.get(loop)
        if pending is None:
            pending = self._pending[loop] = []
            loop.call_soon(self._hand_over, loop)
        pending.append((loop, future, batch, item))
        return await future

    def _hand_over(self, loop: asyncio.AbstractEventLoop) -> None:
        """Pass on the jobs this loop submitted in its last iteration, all at once.

        While a thread is busy and making progress they are held for it (it takes them
        when its batch ends, as one batch); otherwise they are queued, for a waiting
        thread or a new one.
        """
        jobs = self._pending.pop(loop)
        if not self._max_threads:  # no threads: run them here, on the event loop
            _settle(_outcomes(jobs)[loop])
            return
        with self._lock:
            if self._busy and not self._stuck():
                self._held += jobs
                self._recheck_later(loop)
                return
        self._enqueue(jobs)

    def _stuck(self) -> bool:
        return time.monotonic() - self._progress >= self._patience

    def _recheck_later(self, loop: asyncio.AbstractEventLoop) -> None:
        """Look at the held jobs again after `patience` (the lock is held)."""
        if not self._recheck_pending:
            self._recheck_pending = True
            loop.call_later(self._patience, self._recheck, loop)

    def _recheck(self, loop: asyncio.AbstractEventLoop) -> None:
        with self._lock:
            self._recheck_pending = False
            if not self._held:
                return
            if not self._stuck():
                self._recheck_later(loop)
                return
            jobs, self._held = self._held, []
        self._enqueue(jobs)  # the busy threads stopped moving: let another thread take them

    def _enqueue(self, jobs: list[_Job]) -> None:
        self._jobs.put(jobs)
        with self._lock:
            if self._waiting == 0 and self._threads < self._max_threads:
                threading.Thread(target=self._work, name="g2a-blocking", daemon=True).start()
                self._threads += 1  # counted once started: a failed start leaves no phantom

    def _next_batch(self) -> list[_Job] | None:
        """Every job waiting (at least one), or None once idle long enough to exit."""
        with self._lock:
            self._waiting += 1
        try:
            batch = self._jobs.get(timeout=self._idle)
        except queue.Empty:
            with self._lock:  # jobs are queued before the counts are read: nothing is lost
                self._waiting -= 1
                if self._jobs.empty():
                    self._threads -= 1
                    return None
            return []
        with self._lock:
            self._waiting -= 1
            self._busy += 1
        while True:
            try:
                batch += self._jobs.get_nowait()
            except queue.Empty:
                return batch

    def _held_or_idle(self) -> list[_Job]:
        """The jobs held for this thread, if any; else the thread is no longer busy."""
        with self._lock:
            jobs, self._held = self._held, []
            if not jobs:
                self._busy -= 1
            return jobs

    def _work(self) -> None:
        jobs = self._next_batch()
        while jobs is not None:
            self._progress = time.monotonic()
            outcomes = _outcomes(jobs)
            self._progress = time.monotonic()
            for loop, done in outcomes.items():
                with contextlib.suppress(RuntimeError):  # loop closed: nobody is waiting
                    loop.call_soon_threadsafe(_settle, done)
            jobs = self._held_or_idle() or self._next_batch()


def _outcomes(jobs: list[_Job]) -> dict[asyncio.AbstractEventLoop, list[_Outcome]]:
    """Run the jobs, batch by batch; their outcomes by the loop waiting for them."""
    outcomes: dict[asyncio.AbstractEventLoop, list[_Outcome]] = {}
    for group in _by_batch(jobs):
        for (loop, future, _, _), (value, exc) in zip(group, _run(group), strict=True):
            outcomes.setdefault(loop, []).append((future, value, exc))
    return outcomes


def _single(calls: list[Callable[[], Any]]) -> list[Any]:
    """Plain calls, one by one: (value, None) or (None, exception) each."""
    results: list[Any] = []
    for call in calls:
        try:
            results.append((call(), None))
        except BaseException as exc:  # handed to the awaiting task, as executors do
            results.append((None, exc))
    return results


def _by_batch(jobs: list[_Job]) -> list[list[_Job]]:
    """Jobs grouped by their batch function, in order of first arrival."""
    groups: dict[Batch, list[_Job]] = {}
    for job in jobs:
        groups.setdefault(job[2], []).append(job)
    return list(groups.values())


def _run(group: list[_Job]) -> list[tuple[Any, BaseException | None]]:
    batch, items = group[0][2], [job[3] for job in group]
    if batch is _single:
        return _single(items)
    try:
        results = batch(items)
        if len(results) != len(items):
            raise RuntimeError(f"{batch!r} gave {len(results)} results for {len(items)} items")
    except BaseException as exc:  # every item of the batch gets it
        return [(None, exc)] * len(items)
    return [(None, r) if isinstance(r, Exception) else (r, None) for r in results]


def _unwrap(results: list[T | Exception]) -> T:
    (result,) = results
    if isinstance(result, Exception):
        raise result
    return result


def _settle(done: list[_Outcome]) -> None:
    for future, value, exc in done:
        if future.cancelled():
            continue
        if exc is None:
            future.set_result(value)
        else:
            future.set_exception(exc)
