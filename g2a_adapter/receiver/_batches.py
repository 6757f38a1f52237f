"""Work handed from the event loop to worker threads in batches.

Handing each delivery to a worker thread on its own costs more than handling it: on two
cores the loop and the worker trade the GIL for every store call (see
`benchmarks/bench_receiver.py`). `Batches` hands over, in one go, whatever arrived while every
worker was busy: under load a batch costs one hand-over (and, with
`WebhookHandler.handle_many` on a SQL store, two commits); when the receiver is idle, a
delivery is a batch of one and leaves at once. It needs an asyncio event loop (uvicorn,
hypercorn's asyncio worker), as the receiver's other parts do not.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Generic, TypeVar

import anyio
import anyio.to_thread

Item = TypeVar("Item")
Result = TypeVar("Result")


class Batches(Generic[Item, Result]):
    """`submit(item)` → the result `process` gives it; `process` runs on worker threads, as
    many at once as `threads` allows, each call with every item that waited for one."""

    def __init__(
        self, process: Callable[[list[Item]], list[Result]], *, threads: anyio.CapacityLimiter
    ) -> None:
        self._process = process
        self._threads = threads
        self._waiting: list[tuple[Item, asyncio.Future[Result]]] = []
        self._drains: set[asyncio.Task[None]] = set()

    async def submit(self, item: Item) -> Result:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Result] = loop.create_future()
        self._waiting.append((item, future))
        if len(self._drains) < self._threads.total_tokens:
            drain = loop.create_task(self._drain())
            self._drains.add(drain)
            drain.add_done_callback(self._drains.discard)
        return await future

    async def _drain(self) -> None:
        """Take whatever waits, process it on a thread, answer it; until nothing waits."""
        while self._waiting:
            batch, self._waiting = self._waiting, []
            items = [item for item, _ in batch]
            try:
                results = await anyio.to_thread.run_sync(
                    self._process, items, limiter=self._threads
                )
            except BaseException as exc:  # a bug in `process`, or the loop shutting down
                for _, future in batch:  # never leave a request waiting
                    if future.done():
                        continue
                    if isinstance(exc, asyncio.CancelledError):
                        future.cancel()
                    else:
                        future.set_exception(exc)
                if not isinstance(exc, Exception):
                    raise
                continue
            for (_, future), result in zip(batch, results, strict=True):
                if not future.done():  # a cancelled request no longer waits
                    future.set_result(result)
