"""How costs grow with work: the adapter under concurrency, the SQLite store with its size.

- Adapter (AsyncG2AClient over an in-memory transport, so only the adapter is measured):
  time per call and peak memory at 1, 10 and 100 concurrent asyncio tasks doing the same
  total number of `products.list` calls. Per-call time and memory per in-flight call should
  stay flat.
- Store: `claim` latency of fresh keys in a SQLite store already holding 10^3, 10^4 and
  10^5 keys, the three measured in turn in each round; a B-tree lookup should grow at most
  logarithmically.

The growth is printed (stderr) and the flat-or-log expectations are returned as ratios.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import sqlite3
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import httpx

from benchmarks._core import Measured, Ratio, alternating_median, alternating_rounds, paired
from g2a_adapter import AsyncG2AClient, Metrics, Settings, open_store
from g2a_adapter.idempotency import IdempotencyStore

CONCURRENCY = (1, 10, 100)
STORE_SIZES = (1_000, 10_000, 100_000)
# a B-tree lookup grows with log(n); past the page cache each level may cost a read
_CLAIM_GROWTH_TARGET = {10_000: 2.0, 100_000: 3.0}
_PAGE = json.dumps(
    {
        "total": 1,
        "page": 1,
        "docs": [{"id": "10000027819004", "name": "Bench product", "qty": 5, "minPrice": 1.5}],
    }
).encode()


async def _answer(request: httpx.Request) -> httpx.Response:
    await asyncio.sleep(0)  # yield, so the tasks really have calls in flight together
    return httpx.Response(200, content=_PAGE, headers={"Content-Type": "application/json"})


def _client(transport: httpx.AsyncBaseTransport) -> AsyncG2AClient:
    settings = Settings(
        api_url="https://sandboxapi.g2a.com/v1", api_hash="bench-hash", api_key="b" * 64
    )
    return AsyncG2AClient(settings, transport=transport, metrics=Metrics())


async def _time_calls(concurrency: int, total: int) -> float:
    """Seconds per call while `concurrency` tasks share `total` calls."""
    async with _client(httpx.MockTransport(_answer)) as client:
        await client.products.list(page=1)  # warm: connection pool, model validators

        async def worker(calls: int) -> None:
            for _ in range(calls):
                await client.products.list(page=1)

        per_task = max(total // concurrency, 1)
        started = time.perf_counter()
        await asyncio.gather(*(worker(per_task) for _ in range(concurrency)))
        return (time.perf_counter() - started) / (per_task * concurrency)


async def _in_flight_kib(concurrency: int) -> float:
    """Traced memory held per call while exactly `concurrency` calls are in flight."""
    all_in, release = asyncio.Event(), asyncio.Event()
    arrived = 0

    async def held(request: httpx.Request) -> httpx.Response:
        nonlocal arrived
        arrived += 1
        if arrived == concurrency:
            all_in.set()
        await release.wait()
        return await _answer(request)

    async with _client(httpx.MockTransport(_answer)) as warm:
        await warm.products.list(page=1)  # import and validator caches, outside the trace
    async with _client(httpx.MockTransport(held)) as client:
        gc.collect()
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        calls = [asyncio.create_task(client.products.list(page=1)) for _ in range(concurrency)]
        await all_in.wait()
        during = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        release.set()
        await asyncio.gather(*calls)
    return (during - before) / 1024 / concurrency


def _time_per_call(concurrency: int, total: int) -> Callable[[], float]:
    return lambda: asyncio.run(_time_calls(concurrency, total)) * 1e6


def _filled_store(directory: Path, size: int) -> IdempotencyStore:
    """A store holding `size` keys, its write-ahead log copied into the database file.

    Without that last step the store's background checkpoints would still be copying the
    fill (10^5 keys: seconds of disk writes) while the first rounds are timed.
    """
    path = directory / f"store-{size}.sqlite3"
    store = open_store(f"sqlite:///{path}")
    for i in range(size):
        store.claim(f"fill-{i}", "fingerprint", 3600.0)
    with contextlib.closing(sqlite3.connect(path)) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
    return store


def _claim_latency(store: IdempotencyStore, claims: int) -> Callable[[], float]:
    counter = iter(range(10**9))

    def measure() -> float:
        keys = [f"fresh-{next(counter)}" for _ in range(claims)]
        started = time.perf_counter()
        for key in keys:
            store.claim(key, "fingerprint", 3600.0)
        return (time.perf_counter() - started) / claims * 1e6

    return measure


def _adapter_ratios(quick: bool, growth: list[str]) -> list[Ratio]:
    total, rounds = (500, 5) if quick else (2000, 9)
    ratios = []
    times: dict[int, float] = {}
    for concurrency in CONCURRENCY[1:]:
        measured = alternating_median(
            _time_per_call(concurrency, total), _time_per_call(1, total), rounds
        )
        times[concurrency] = measured.figure
        times.setdefault(1, measured.baseline)
        ratios.append(
            Ratio(
                f"adapter time/call, {concurrency} vs 1 async tasks",
                measured.figure, measured.baseline, "us", 1.5, higher_is_better=False,
                note="AsyncG2AClient.products.list over an in-memory transport",
                spread=measured.spread,
            )
        )  # fmt: skip
    memory = {c: asyncio.run(_in_flight_kib(c)) for c in CONCURRENCY}
    ratios.append(
        Ratio(
            "adapter memory per in-flight call, 100 vs 10 tasks",
            memory[100], memory[10], "KiB", 1.5, higher_is_better=False,
            note="traced memory while exactly N calls wait on the transport",
        )
    )  # fmt: skip
    for c in CONCURRENCY:
        growth.append(
            f"adapter  {c:>3} tasks: {times[c]:8.1f} us/call, "
            f"{memory[c]:6.1f} KiB per in-flight call ({memory[c] * c:8.1f} KiB in all)"
        )
    return ratios


def _store_ratios(quick: bool, growth: list[str]) -> list[Ratio]:
    """Every size measured in each round, so both ratios share one baseline series."""
    claims, rounds = (200, 3) if quick else (500, 7)
    with tempfile.TemporaryDirectory(prefix="bench-growth-") as folder:
        stores = [_filled_store(Path(folder), size) for size in STORE_SIZES]
        try:
            runs = alternating_rounds([_claim_latency(s, claims) for s in stores], rounds)
        finally:
            for store in stores:
                store.close()
    latency = dict(zip(STORE_SIZES, runs, strict=True))
    smallest = latency[STORE_SIZES[0]]
    for size in STORE_SIZES:
        growth.append(f"sqlite   {size:>7} keys: {statistics.median(latency[size]):8.1f} us/claim")
    return [_claim_growth(size, paired(latency[size], smallest)) for size in STORE_SIZES[1:]]


def _claim_growth(size: int, measured: Measured) -> Ratio:
    name = f"sqlite claim latency, 10^{len(str(size)) - 1} vs 10^3 keys"
    return Ratio(
        name, measured.figure, measured.baseline, "us", _CLAIM_GROWTH_TARGET[size],
        higher_is_better=False, spread=measured.spread,
    )  # fmt: skip


def run(quick: bool) -> list[Ratio]:
    growth: list[str] = []
    ratios = _adapter_ratios(quick, growth) + _store_ratios(quick, growth)
    print("growth with work:\n  " + "\n  ".join(growth), file=sys.stderr)
    return ratios


if __name__ == "__main__":
    for ratio in run(quick="--quick" in sys.argv):
        print(ratio.as_dict())
