"""Adapter overhead per call: `G2AClient` vs a raw `httpx.Client`, same twin, same requests.

Both sides send the same request, the one `products.get` sends (`GET /v1/products?page=1&id=…
&includeOutOfStock=true` with its `Accept` and `X-Correlation-Id` headers: `raw_request`, which
a test holds to the adapter's), cycling over the sandbox ids, to one twin served by
`g2a-harness twin serve` in its own process (so the server never competes with the measured
client for this process's GIL), and decode the JSON answer: the twin's work is the same on both
sides, and the ratio measures the adapter alone. The
adapter also builds its request, checks the answer, parses typed models, counts metrics and
decides its log record: the clients log to a logger at WARNING (`QUIET_LOGGER`), as in a service
that sets the `g2a_adapter` logger to WARNING, so no call builds its INFO line (at the package's
default INFO level that record costs 10-15 µs a call, see docs/operations.md). Batches alternate
between the two; the medians of the per-call times give the ratio adapter/raw. Same for
`AsyncG2AClient` vs `httpx.AsyncClient`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from itertools import cycle
from typing import Any

import httpx

from benchmarks._core import Ratio, alternating_median
from benchmarks._loadgen import serving_process
from g2a_adapter import AsyncG2AClient, G2AClient, Metrics, Settings
from harness.ports import free_port
from harness.twin import SANDBOX_API_HASH, SANDBOX_API_KEY, SANDBOX_PRODUCT_IDS

TARGET = 1.15
AUTH = {"Authorization": f"{SANDBOX_API_HASH}, {SANDBOX_API_KEY}"}
# the headers the adapter adds to a call; a correlation id of the adapter's length (its making is
# the adapter's own work, measured on its side)
ADAPTER_HEADERS = {"Accept": "application/json", "X-Correlation-Id": "0" * 32}
QUIET_LOGGER = logging.getLogger("g2a_adapter.benchmark")
QUIET_LOGGER.setLevel(logging.WARNING)


@contextlib.contextmanager
def _twin_process() -> Iterator[str]:
    """Serve the twin in a child process; yield its base URL."""
    port = free_port()
    serve = "import sys; from harness.cli import main; sys.exit(main(sys.argv[1:]))"
    command = [
        sys.executable,
        "-c",
        serve,
        "twin",
        "serve",
        "--port",
        str(port),
        "--profile",
        "fast",
    ]
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    with serving_process(command, port, "the twin process", **quiet):
        yield f"http://127.0.0.1:{port}"


def raw_request(product_id: str) -> dict[str, Any]:
    """The keyword arguments of httpx's `get` sending what the adapter's `products.get` sends."""
    params = {"page": "1", "id": product_id, "includeOutOfStock": "true"}
    return {"params": params, "headers": {**AUTH, **ADAPTER_HEADERS}}


def _per_call(call: Callable[[str], object], ids: list[str]) -> float:
    started = time.perf_counter()
    for product_id in ids:
        call(product_id)
    return (time.perf_counter() - started) / len(ids) * 1e6


def _sync_ratio(export_url: str, settings: Settings, calls: int, rounds: int) -> Ratio:
    ids = [pid for pid, _ in zip(cycle(SANDBOX_PRODUCT_IDS), range(calls // rounds), strict=False)]
    url = f"{export_url}/products"
    with (
        G2AClient(settings, metrics=Metrics(), logger=QUIET_LOGGER) as client,
        httpx.Client(timeout=8.0) as raw,
    ):

        def raw_get(product_id: str) -> object:
            response = raw.get(url, **raw_request(product_id))
            response.raise_for_status()
            return response.json()

        _per_call(client.products.get, ids[:50])  # warm both pools and validators
        _per_call(raw_get, ids[:50])
        measured = alternating_median(
            lambda: _per_call(client.products.get, ids),
            lambda: _per_call(raw_get, ids),
            rounds,
        )
    return Ratio(
        "adapter sync GET /v1/products?id",
        measured.figure,
        measured.baseline,
        "us/call",
        TARGET,
        False,
        f"{calls} calls a side in {rounds} alternating batches; baseline raw httpx.Client",
        measured.spread,
    )


async def _aper_call(call: Callable[[str], Awaitable[object]], ids: list[str]) -> float:
    started = time.perf_counter()
    for product_id in ids:
        await call(product_id)
    return (time.perf_counter() - started) / len(ids) * 1e6


def _async_ratio(export_url: str, settings: Settings, calls: int, rounds: int) -> Ratio:
    ids = [pid for pid, _ in zip(cycle(SANDBOX_PRODUCT_IDS), range(calls // rounds), strict=False)]
    url = f"{export_url}/products"
    loop = asyncio.new_event_loop()
    client = AsyncG2AClient(settings, metrics=Metrics(), logger=QUIET_LOGGER)
    raw = httpx.AsyncClient(timeout=8.0)

    async def raw_get(product_id: str) -> object:
        response = await raw.get(url, **raw_request(product_id))
        response.raise_for_status()
        return response.json()

    try:
        loop.run_until_complete(_aper_call(client.products.get, ids[:50]))
        loop.run_until_complete(_aper_call(raw_get, ids[:50]))
        measured = alternating_median(
            lambda: loop.run_until_complete(_aper_call(client.products.get, ids)),
            lambda: loop.run_until_complete(_aper_call(raw_get, ids)),
            rounds,
        )
    finally:
        loop.run_until_complete(client.aclose())
        loop.run_until_complete(raw.aclose())
        loop.close()
    return Ratio(
        "adapter async GET /v1/products?id",
        measured.figure,
        measured.baseline,
        "us/call",
        TARGET,
        False,
        f"{calls} calls a side in {rounds} alternating batches; baseline raw httpx.AsyncClient",
        measured.spread,
    )


def run(quick: bool) -> list[Ratio]:
    calls, rounds = (400, 4) if quick else (2_000, 10)
    with _twin_process() as base_url:
        export_url = f"{base_url}/v1"
        settings = Settings(api_url=export_url, api_hash=SANDBOX_API_HASH, api_key=SANDBOX_API_KEY)
        return [
            _sync_ratio(export_url, settings, calls, rounds),
            _async_ratio(export_url, settings, calls, rounds),
        ]


if __name__ == "__main__":
    for ratio in run(quick="--quick" in sys.argv):
        print(json.dumps(ratio.as_dict()))
