"""Work handed from the event loop to worker threads in batches.

Handing each delivery to a worker thread on its own costs more than handling it: the loop
and the worker trade the GIL for every store call (see `benchmarks/bench_receiver.py`).
`Batches` hands over, in one go, a share of what arrived while the workers were busy: under
load a batch costs one hand-over (and, with `WebhookHandler.handle_each` on a SQL store, two
commits); when the receiver is idle, a delivery is a batch of one and leaves at once. A batch
is at most an even share, among all the threads, of what waits, so a backlog keeps every
thread busy instead of queueing on the first one to free up. A batch's results come back in
groups, each as soon as it is ready, so a quick answer never waits for its batch-mates' slow
work. It needs an asyncio event loop (uvicorn, hypercorn's asyncio worker), as the
receiver's other parts do not.
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
        self._handed: set[_Handed] = set()  # batches handed to the threads, not yet answered
        self._lock = threading.Lock()  # `_Handed` counts also change on the worker threads

    @property
    def waiting(self) -> int:
        """Items no thread has started on: not yet in a batch, in a batch waiting for a
        thread that other work holds (another `Batches` on the same threads), or behind
        their batch-mates on their thread."""
        with self._lock:
            return len(self._waiting) + sum(handed.waiting for handed in self._handed)

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

        The share is `_share`. The drain leaves `_drains` as soon as it sees nothing waiting
        (not a loop turn later, in its done callback): an item submitted meanwhile would find
        every drain slot taken and wait for a delivery that may never come.
        """
        try:
            while self._waiting:
                share = self._share()
                batch, self._waiting = self._waiting[:share], self._waiting[share:]
                futures = [future for _, future in batch]
                handed = _Handed(len(batch))
                with self._lock:
                    self._handed.add(handed)
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
                    with self._lock:
                        self._handed.discard(handed)
                _fail(futures, RuntimeError("the batch gave no result for this item"))
        finally:
            if (drain := asyncio.current_task()) is not None:
                self._drains.discard(drain)

    def _share(self) -> int:
        """How many waiting items the next batch takes: no more than an even split of all
        the items waiting for a thread among all the threads, nor than an even split of
        those not yet in a batch among the threads free now. A burst that finds several
        threads idle is spread over them; a backlog found by the first thread to free up is
        left, but for its share, to the threads freeing up next. So a slow `process` never
        runs one after another the items that other threads could run side by side."""
        threads = self._threads.total_tokens
        free = max(threads - len(self._handed), 1)
        share = min(math.ceil(self.waiting / threads), math.ceil(len(self._waiting) / free))
        return max(min(share, self._max_batch or share), 1)  # ≥ 1 for an unbounded limiter

    def _process_on_thread(
        self, items: list[Item], futures: list[asyncio.Future[Result]], handed: _Handed
    ) -> None:
        """`process` the items; each group of results is handed to the loop as it comes."""
        with self._lock:
            handed.started = True
        loop = futures[0].get_loop()
        for group in self._process(items):
            with self._lock:
                handed.unanswered -= len(group)
            loop.call_soon_threadsafe(_answer, [(futures[i], result) for i, result in group])


@dataclass(eq=False)
class _Handed:
    """A batch handed to the threads: its items not yet answered, and whether a thread
    started on it."""

    unanswered: int
    started: bool = False

    @property
    def waiting(self) -> int:
        """Its items no thread works on: all of them until a thread starts on the batch,
        then all but the one `process` is at (it takes them one after another)."""
        return max(self.unanswered - 1, 0) if self.started else self.unanswered


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
