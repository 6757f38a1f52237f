"""A burst of deliveries to a receiver whose handler waits on I/O, vs. the handlers alone.

    python -m benchmarks.bench_receiver_burst [--quick]

The receiver hands deliveries to its worker threads in batches (`ReceiverOptions.handler_threads`,
default 4). With a handler that waits 20 ms (a call to another service, say), a burst of 32
deliveries must still keep every thread busy: the figure is the time from sending the burst
(concurrently, in-process through `httpx.ASGITransport`, in-memory store) to its last answer;
the baseline is the same 32 handler calls run on as many threads (`anyio.to_thread` under a
limiter of the same size), i.e. what the threads allow at best. A receiver that ran a burst
on one thread, one delivery after another, would read 4.0 here.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import sys
import time

import anyio
import anyio.to_thread
import httpx
from starlette.applications import Starlette

from benchmarks._core import Ratio, alternating_median
from benchmarks.bench_receiver import PATH, receiver_settings, signed_event
from g2a_adapter.receiver import ReceiverOptions, WebhookEvent, create_receiver_app

HANDLER_SECONDS = 0.02
BURST = 32
TARGET = 1.25


def _waiting_handler(event: WebhookEvent) -> None:
    time.sleep(HANDLER_SECONDS)


def _receiver() -> Starlette:
    return create_receiver_app(receiver_settings("memory://"), _waiting_handler)


async def _burst_through(app: Starlette, first: int) -> float:
    """Seconds from sending BURST new signed events at once to the last answer."""
    requests = [signed_event(first + n) for n in range(BURST)]
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://receiver") as client:
        started = time.perf_counter()
        answers = await asyncio.gather(
            *(client.post(PATH, headers=headers, content=body) for headers, body in requests)
        )
        elapsed = time.perf_counter() - started
    if any(answer.status_code != 200 for answer in answers):
        raise RuntimeError(f"receiver answered {[a.status_code for a in answers]}")
    return elapsed


async def _handlers_alone(threads: int) -> float:
    """Seconds for BURST handler calls on `threads` worker threads: the best the threads allow."""
    limiter = anyio.CapacityLimiter(threads)
    started = time.perf_counter()
    await asyncio.gather(
        *(
            anyio.to_thread.run_sync(time.sleep, HANDLER_SECONDS, limiter=limiter)
            for _ in range(BURST)
        )
    )
    return time.perf_counter() - started


def run(quick: bool) -> list[Ratio]:
    rounds = 3 if quick else 9
    app, threads = _receiver(), ReceiverOptions().handler_threads
    firsts = itertools.count(0, BURST)
    figure, baseline = alternating_median(
        lambda: asyncio.run(_burst_through(app, next(firsts))) * 1000,
        lambda: asyncio.run(_handlers_alone(threads)) * 1000,
        rounds,
    )
    return [
        Ratio(
            f"receiver burst of {BURST}, {HANDLER_SECONDS * 1000:.0f} ms handler, vs the handlers "
            f"alone on {threads} threads",
            figure, baseline, "ms", TARGET, higher_is_better=False,
            note="in-process (httpx.ASGITransport), in-memory store; 4.0 = one thread at a time",
        )
    ]  # fmt: skip


if __name__ == "__main__":
    for ratio in run(quick="--quick" in sys.argv):
        print(json.dumps(ratio.as_dict()))
