"""A burst of deliveries to a receiver whose handler waits on I/O, vs. the handlers alone.

    python -m benchmarks.bench_receiver_burst [--quick]

The receiver hands deliveries to its worker threads in batches (`ReceiverOptions.handler_threads`,
default 4). With a handler that waits 20 ms (a call to another service, say), a burst of 32
deliveries must still keep every thread busy, and each delivery must be answered when its own
handler ends, not when its batch's last one does. The figures, from sending the burst
(concurrently, in-process through `httpx.ASGITransport`, in-memory store): the time to the last
answer, and the median time to an answer. The baselines are the same for the same 32 handler
calls run on as many threads (`anyio.to_thread` under a limiter of the same size), i.e. what the
threads allow at best. A receiver that ran a burst on one thread, one delivery after another,
would read 4.0 on the first line; one that answered each batch at its end, 1.8 on the second.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import statistics
import sys
import time
from collections.abc import Awaitable, Callable, Sequence

import anyio
import anyio.to_thread
import httpx
from starlette.applications import Starlette

from benchmarks._core import Ratio, alternating_rounds, paired
from benchmarks.bench_receiver import PATH, receiver_settings, signed_event
from g2a_adapter.receiver import ReceiverOptions, WebhookEvent, create_receiver_app

HANDLER_SECONDS = 0.02
BURST = 32
TARGET = 1.25


def _waiting_handler(event: WebhookEvent) -> None:
    time.sleep(HANDLER_SECONDS)


def _receiver() -> Starlette:
    return create_receiver_app(receiver_settings("memory://"), _waiting_handler)


async def _answer_times(calls: Sequence[Awaitable[object]]) -> list[float]:
    """Milliseconds from starting the calls together to the end of each."""
    started = time.perf_counter()

    async def timed(call: Awaitable[object]) -> float:
        await call
        return (time.perf_counter() - started) * 1000

    return await asyncio.gather(*(timed(call) for call in calls))


async def _burst_through(app: Starlette, first: int) -> list[float]:
    """Answer times of BURST new signed events sent at once."""
    requests = [signed_event(first + n) for n in range(BURST)]
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://receiver") as client:
        calls = [client.post(PATH, headers=headers, content=body) for headers, body in requests]
        statuses: list[int] = []

        async def answered(call: Awaitable[httpx.Response]) -> None:
            statuses.append((await call).status_code)

        times = await _answer_times([answered(call) for call in calls])
    if statuses != [200] * BURST:
        raise RuntimeError(f"receiver answered {statuses}")
    return times


async def _handlers_alone(threads: int) -> list[float]:
    """End times of BURST handler calls on `threads` worker threads: the best they allow."""
    limiter = anyio.CapacityLimiter(threads)
    calls = [
        anyio.to_thread.run_sync(time.sleep, HANDLER_SECONDS, limiter=limiter) for _ in range(BURST)
    ]
    return await _answer_times(calls)


def run(quick: bool) -> list[Ratio]:
    rounds = 3 if quick else 9
    app, threads = _receiver(), ReceiverOptions().handler_threads
    firsts = itertools.count(0, BURST)

    def burst(summary: Callable[[list[float]], float]) -> Callable[[], float]:
        return lambda: summary(asyncio.run(_burst_through(app, next(firsts))))

    def alone(summary: Callable[[list[float]], float]) -> Callable[[], float]:
        return lambda: summary(asyncio.run(_handlers_alone(threads)))

    last, last_alone, median, median_alone = alternating_rounds(
        [burst(max), alone(max), burst(statistics.median), alone(statistics.median)], rounds
    )
    lasts, medians = paired(last, last_alone), paired(median, median_alone)
    subject = f"receiver burst of {BURST}, {HANDLER_SECONDS * 1000:.0f} ms handler"
    note = "in-process (httpx.ASGITransport), in-memory store"
    return [
        Ratio(
            f"{subject}: last answer vs the handlers alone on {threads} threads",
            lasts.figure, lasts.baseline, "ms", TARGET, higher_is_better=False,
            note=f"{note}; 4.0 = one thread at a time", spread=lasts.spread,
        ),
        Ratio(
            f"{subject}: median answer vs the handlers alone on {threads} threads",
            medians.figure, medians.baseline, "ms", TARGET, higher_is_better=False,
            note=f"{note}; 1.8 = each batch answered at its end", spread=medians.spread,
        ),
    ]  # fmt: skip


if __name__ == "__main__":
    for ratio in run(quick="--quick" in sys.argv):
        print(json.dumps(ratio.as_dict()))
