"""Receiver throughput for valid signed events vs. a bare Starlette endpoint returning 200.

    python -m benchmarks.bench_receiver [--quick]

Both apps are served the same way (uvicorn + uvloop + httptools, each in its own process,
each prepared as `g2a-harness receiver serve` prepares the receiver: heap frozen once built,
see `harness.serving.freeze_heap`) and driven by the same load generator
(`benchmarks._loadgen`, keep-alive connections from a separate process) with the same
requests, all built before timing starts: `signed_event(i)` gives request i a fresh event
id, nonce, timestamp and signature over a 1 KiB body, so every request to the receiver is a
new, valid event that it verifies, claims, hands to its handler and completes (answer 200
`processed`). The receiver is served as `g2a-harness receiver serve` serves it: a handler
that records the event id, run on a worker thread like any service's handler, with the
default options (deliveries that wait for a busy worker thread go together as a batch:
`ReceiverOptions.handler_threads`). The headline
uses the default store backend, SQLite (WAL) in a temp folder; a second line uses the
in-memory store to show the receiver's own cost. Served, SQLite costs far more than its
statements do in one thread: each statement releases the GIL, and the worker thread then waits
for the busy event loop to give it back (figures in specs/011-g2a-integration-audit/tasks.md,
"Receiver throughput"). Each round loads every server in turn, so
machine noise hits them alike; each line reports the round with the median ratio, the
range of the per-round ratios, and the CPU time each server process spent per request in that
round (all its threads, from `/proc`): what a delivery costs, whatever the machine's speed.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import tempfile
import uuid
from pathlib import Path
from typing import NamedTuple

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from benchmarks._core import Ratio
from benchmarks._loadgen import (
    LoadResult,
    ServedApp,
    cpu_seconds,
    run_load,
    serve_app_in_subprocess,
)
from g2a_adapter import Settings
from g2a_adapter.wire import signed_webhook_headers
from harness.recording_receiver import recording_receiver_app
from harness.serving import freeze_heap
from harness.twin.webhooks import event_body as twin_event_body

SECRET = "bench-receiver-secret"  # noqa: S105 - a benchmark fixture
STORE_URL_ENV = "G2A_BENCH_RECEIVER_STORE_URL"
PATH = "/webhooks/g2a"
TARGET = 0.35
_RUN = uuid.uuid4().hex[:12]  # per process: each load-generator run sends new event ids
_PADDING = "x" * 809  # brings the event body to 1 KiB
_CREATED_AT = 1_767_225_600  # 2026-01-01T00:00:00Z


def _served(app: Starlette) -> Starlette:
    """Both apps are prepared as `g2a-harness receiver serve` prepares the receiver."""
    freeze_heap()
    return app


def receiver_settings(idempotency_url: str) -> Settings:
    """The benchmark receivers' settings: `SECRET` signs the events, over the given store."""
    return Settings(
        api_url="http://127.0.0.1:9/v1",
        api_hash="bench-hash",
        api_key="b" * 64,
        webhook_secret=SECRET,
        idempotency_url=idempotency_url,
    )


def _receiver(idempotency_url: str) -> Starlette:
    """The receiver as `g2a-harness receiver serve` serves it, over the given store."""
    app, _ = recording_receiver_app(receiver_settings(idempotency_url))
    return _served(app)


def sqlite_receiver_app() -> Starlette:
    """With the default backend, SQLite, in the file the benchmark chose."""
    return _receiver(os.environ[STORE_URL_ENV])


def memory_receiver_app() -> Starlette:
    """With the in-process store: the receiver's own cost, without store I/O."""
    return _receiver("memory://")


def bare_app() -> Starlette:
    """The baseline: read the body, answer 200."""

    async def accept(request: Request) -> Response:
        await request.body()
        return Response(status_code=200)

    return _served(Starlette(routes=[Route(PATH, accept, methods=["POST"])]))


def signed_event(index: int) -> tuple[dict[str, str], bytes]:
    """Request `index` of a load run: a new signed `order.paid` event (load-generator side)."""
    event_id = f"evt-{_RUN}-{index:08d}"
    order = {"order_id": str(1_530_000_000 + index), "product_id": "10000027819004"}
    data = {**order, "price": 41.5, "currency": "EUR", "note": _PADDING}
    body = twin_event_body(event_id, "order.paid", _CREATED_AT, data)
    signed = signed_webhook_headers(
        [SECRET], body, event_id=event_id, nonce=f"n-{_RUN}-{index:08d}"
    )
    return {"Content-Type": "application/json", **signed}, body


def _load(base_url: str, requests: int) -> LoadResult:
    result = run_load(
        f"{base_url}{PATH}",
        method="POST",
        requests=requests,
        concurrency=32,
        body_factory=signed_event,
    )
    if result.errors or result.statuses != {200: requests}:
        raise RuntimeError(f"{base_url}: {result}")
    return result


APPS = {
    "sqlite": "benchmarks.bench_receiver:sqlite_receiver_app",
    "memory": "benchmarks.bench_receiver:memory_receiver_app",
    "bare": "benchmarks.bench_receiver:bare_app",
}


class _Round(NamedTuple):
    """One server's load in one round, and the CPU its process spent per request meanwhile."""

    load: LoadResult
    cpu_us: float


def _round(served: ServedApp, requests: int) -> _Round:
    before = cpu_seconds(served.pid)
    load = _load(served, requests)
    return _Round(load, (cpu_seconds(served.pid) - before) / requests * 1e6)


def _measure(rounds: int, requests: int) -> dict[str, list[_Round]]:
    results: dict[str, list[_Round]] = {name: [] for name in APPS}
    with tempfile.TemporaryDirectory() as folder, contextlib.ExitStack() as stack:
        os.environ[STORE_URL_ENV] = f"sqlite:///{Path(folder) / 'receiver.sqlite3'}"
        stack.callback(os.environ.pop, STORE_URL_ENV)
        served = {
            name: stack.enter_context(serve_app_in_subprocess(app)) for name, app in APPS.items()
        }
        for base_url in served.values():  # warm every server up before measuring
            _load(base_url, 500)
        for _ in range(rounds):
            for name, app in served.items():
                results[name].append(_round(app, requests))
    return results


def _ratio(name: str, subject: list[_Round], bare: list[_Round], note: str) -> Ratio:
    """The round whose subject/bare ratio is the median of all rounds.

    Each round measures the subject and the bare app within a second or two, so a slow phase
    of the machine hits both; medians taken per server would pair different phases.
    """
    paired = sorted(
        zip(subject, bare, strict=True), key=lambda pair: pair[0].load.rps / pair[1].load.rps
    )
    median_subject, median_bare = paired[len(paired) // 2]
    lowest, highest = (s.load.rps / b.load.rps for s, b in (paired[0], paired[-1]))
    return Ratio(
        name,
        median_subject.load.rps,
        median_bare.load.rps,
        "req/s",
        TARGET,
        True,
        f"{note}; the round of the median ratio of {len(paired)} paired rounds; "
        f"32 connections; p99 {median_subject.load.p99_ms:.1f} ms vs "
        f"{median_bare.load.p99_ms:.1f} ms; server CPU per request "
        f"{median_subject.cpu_us:.0f} µs vs {median_bare.cpu_us:.0f} µs",
        (lowest, highest),
    )


def run(quick: bool) -> list[Ratio]:
    rounds, requests = (3, 2_000) if quick else (9, 3_000)  # odd: one round is the median
    results = _measure(rounds, requests)
    return [
        _ratio(
            "receiver: valid signed 1 KiB event vs bare Starlette 200",
            results["sqlite"],
            results["bare"],
            "default SQLite store (per batch, one commit for the nonces and claims and one "
            "for the completions)",
        ),
        _ratio(
            "receiver, in-memory store: valid signed event vs bare 200",
            results["memory"],
            results["bare"],
            "MemoryStore: the receiver's own cost without store I/O",
        ),
    ]


if __name__ == "__main__":
    # The load generator imports `signed_event` by module path, so run the imported module.
    from benchmarks import bench_receiver

    for ratio in bench_receiver.run(quick="--quick" in sys.argv):
        print(json.dumps(ratio.as_dict()))
