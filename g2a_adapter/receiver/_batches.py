"""Work handed from the event loop to worker threads in batches.

Handing each delivery to a worker thread on its own costs more than handling it: the loop
and the worker trade the GIL for every store call (see `benchmarks/bench_receiver.py`).
`Batches` hands over, in one go, what arrived while the workers were busy, split evenly
among the workers free to take it: under load a batch costs one hand-over (and, with
`WebhookHandler.handle_each` on a SQL store, two commits); when the receiver is idle, a
delivery is a batch of one and leaves at once. A batch's results come back in groups, each
as soon as it is ready, so a quick answer never waits for its batch-mates' slow work. It
needs an asyncio event loop (uvicorn, hypercorn's asyncio worker), as the receiver's other
parts do not.
"""

from __future__ import annotations

import asyncio
import math
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

import anyio
import anyio.to_thread

Item = TypeVar("Item")
Result = TypeVar("Result")
Process = Callable[[list[Item]], Iterable[list[tuple[int, Result]]]]
"""Given items, yields groups of (an item's index, its result), each item's result once."""


class Batches(Generic[Item, Result]):
    """`submit(item)` → the result `process` gives it; `process` runs on worker threads, as
    many at once as `threads` allows, each call with its share of the items that waited."""

    def __init__(
        self,
        process: Process[Item, Result],
        *,
        threads: anyio.CapacityLimiter,
        max_batch: int | None = None,
    ) -> None:
        self._process = process
        self._threads = threads
        self._max_batch = max_batch  # 1: no item waits behind another on a thread
        self._waiting: list[tuple[Item, asyncio.Future[Result]]] = []
        self._drains: set[asyncio.Task[None]] = set()
        self._processing = 0  # batches handed to a thread and not yet answered
        self._unstarted = 0  # items of those batches that no thread has started on yet
        self._lock = threading.Lock()  # `_unstarted` also drops on the worker threads

    @property
    def waiting(self) -> int:
        """Items no thread has started on: not yet in a batch, or in a batch waiting for a
        thread that other work holds (another `Batches` on the same threads)."""
        return len(self._waiting) + self._unstarted

    async def submit(self, item: Item) -> Result:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Result] = loop.create_future()
        self._waiting.append((item, future))
        if len(self._drains) < self._threads.total_tokens:
            drain = loop.create_task(self._drain())
            self._drains.add(drain)
            drain.add_done_callback(self._drains.discard)  # also a drain cancelled unstarted
        return await future

    async def _drain(self) -> None:
        """Take a share of what waits, process it on a thread, answer it; until nothing waits.

        The share is the waiting items split evenly among the threads not processing a
        batch: a burst that finds several threads idle is spread over them (a slow `process`
        never runs one item after another what idle threads could run side by side), and the
        only free thread takes everything. The drain leaves `_drains` as soon as it sees nothing
        waiting (not a loop turn later, in its done callback): an item submitted meanwhile
        would find every drain slot taken and wait for a delivery that may never come.
        """
        try:
            while self._waiting:
                free = max(self._threads.total_tokens - self._processing, 1)
                share = max(math.ceil(len(self._waiting) / free), 1)  # ≥ 1 for an unbounded limiter
                share = min(share, self._max_batch or share)
                batch, self._waiting = self._waiting[:share], self._waiting[share:]
                futures = [future for _, future in batch]
                self._processing += 1
                handed = _Handed(len(batch))
                with self._lock:
                    self._unstarted += handed.items
                try:
                    await anyio.to_thread.run_sync(
                        self._process_on_thread, [item for item, _ in batch], futures, handed,
                        limiter=self._threads,
                    )  # fmt: skip
                except BaseException as exc:  # a bug in `process`, or the loop shutting down
                    _fail(futures, exc)
                    if not isinstance(exc, Exception):
                        raise
                finally:
                    self._processing -= 1
                    self._start(handed)  # if no thread ever did
                _fail(futures, RuntimeError("the batch gave no result for this item"))
        finally:
            if (drain := asyncio.current_task()) is not None:
                self._drains.discard(drain)

    def _process_on_thread(
        self, items: list[Item], futures: list[asyncio.Future[Result]], handed: _Handed
    ) -> None:
        """`process` the items; each group of results is handed to the loop as it comes."""
        self._start(handed)
        loop = futures[0].get_loop()
        for group in self._process(items):
            loop.call_soon_threadsafe(_answer, [(futures[i], result) for i, result in group])

    def _start(self, handed: _Handed) -> None:
        """The batch no longer waits for a thread (counted once)."""
        with self._lock:
            if not handed.started:
                handed.started = True
                self._unstarted -= handed.items


@dataclass
class _Handed:
    """A batch handed to the threads: its size, and whether a thread started on it."""

    items: int
    started: bool = False


def _answer(answers: list[tuple[asyncio.Future[Result], Result]]) -> None:
    for future, result in answers:
        if not future.done():  # a cancelled request no longer waits
            future.set_result(result)


def _fail(futures: list[asyncio.Future[Result]], exc: BaseException) -> None:
    """Never leave a request waiting: what is still unanswered gets `exc` (is cancelled, for
    a cancellation)."""
    for future in futures:
        if future.done():
            continue
        if isinstance(exc, asyncio.CancelledError):
            future.cancel()
        else:
            future.set_exception(exc)
