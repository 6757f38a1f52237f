"""Twin vs a bare Starlette app on the same stack: throughput, p99 and a bounded memory.

    python -m benchmarks.bench_twin [--quick]

Both apps are served by uvicorn (uvloop + httptools) in their own process and driven by the
same load generator over loopback, alternating rounds so machine noise hits both alike.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from benchmarks._core import Ratio, paired
from benchmarks._loadgen import LoadResult, rss_bytes, run_load, serve_app_in_subprocess
from harness.serving import freeze_heap
from harness.twin.app import TwinApp, create_app
from harness.twin.config import TwinConfig
from harness.twin.credentials import SANDBOX_CREDENTIAL, SANDBOX_PRODUCT_IDS

PRODUCT = SANDBOX_PRODUCT_IDS[3]
AUTH = {"Authorization": SANDBOX_CREDENTIAL.authorization}
ORDER = {**AUTH, "Content-Type": "application/json"}
ORDER_BODY = json.dumps({"product_id": PRODUCT}).encode()
FIXED_BODY = b'{"order_id": "1530978476", "price": 41.5, "currency": "EUR"}'
# In a closed loop of 32 connections a request waits about 32 / throughput, so the p99 bound
# is the throughput target's counterpart: twice the bare app's at most, as its rps is half.
P99_LIMIT = 2.0
MEMORY_LIMIT = 1.5


def bare_app() -> Starlette:
    """The baseline: a fixed JSON body, nothing else."""

    async def fixed(request: Request) -> Response:
        await request.body()
        return Response(FIXED_BODY, media_type="application/json")

    return Starlette(
        routes=[Route("/v1/products", fixed), Route("/v1/order", fixed, methods=["POST"])]
    )


def twin_app() -> TwinApp:
    """The twin as `g2a-harness twin serve --profile fast` runs it (no rate limit to measure
    instead of the twin), with stock for every benchmark order."""
    app = create_app(TwinConfig.fast())
    app.state.twin.state.catalog.update(PRODUCT, {"qty": 10**9})
    freeze_heap()
    return app


@dataclass(frozen=True)
class Call:
    label: str
    method: str
    path: str
    headers: dict[str, str]
    body: bytes = b""


CALLS = {
    "products": Call(f"GET /v1/products?id={PRODUCT}", "GET", f"/v1/products?id={PRODUCT}", AUTH),
    "order": Call("POST /v1/order", "POST", "/v1/order", ORDER, ORDER_BODY),
}


def _measure(rounds: int, requests: int) -> dict[str, dict[str, list[LoadResult]]]:
    results: dict[str, dict[str, list[LoadResult]]] = {c: {"twin": [], "bare": []} for c in CALLS}
    with (
        serve_app_in_subprocess("benchmarks.bench_twin:twin_app") as twin,
        serve_app_in_subprocess("benchmarks.bench_twin:bare_app") as bare,
    ):
        for base in (twin, bare):  # warm both up before measuring
            run_load(f"{base}/v1/products?id={PRODUCT}", headers=AUTH, requests=1000)
        for name, call in CALLS.items():
            for _ in range(rounds):
                for side, base in (("twin", twin), ("bare", bare)):
                    result = run_load(
                        f"{base}{call.path}",
                        method=call.method,
                        headers=call.headers,
                        body=call.body,
                        concurrency=32,
                        requests=requests,
                    )
                    if result.errors or set(result.statuses) != {200}:
                        raise RuntimeError(f"{side} {name}: {result}")
                    results[name][side].append(result)
    return results


def _memory(total: int) -> tuple[float, float]:
    """Twin RSS after 1,000 requests and after `total`, in MiB."""
    with serve_app_in_subprocess("benchmarks.bench_twin:twin_app") as twin:
        url = f"{twin}/v1/products?id={PRODUCT}"
        run_load(url, headers=AUTH, requests=1000)
        early = rss_bytes(twin.pid)
        done = 1000
        while done < total:
            batch = min(50_000, total - done)
            result = run_load(url, headers=AUTH, requests=batch)
            if result.errors:
                raise RuntimeError(f"memory run: {result}")
            done += batch
        return early / 2**20, rss_bytes(twin.pid) / 2**20


def run(quick: bool) -> list[Ratio]:
    rounds, requests = (3, 3000) if quick else (5, 10_000)
    results = _measure(rounds, requests)
    ratios = []
    for name, call in CALLS.items():
        twin, bare = results[name]["twin"], results[name]["bare"]
        rps = paired([r.rps for r in twin], [r.rps for r in bare])
        p99 = paired([r.p99_ms for r in twin], [r.p99_ms for r in bare])
        ratios.append(
            Ratio(f"twin rps vs bare Starlette, {call.label}", rps.figure, rps.baseline,
                  "req/s", 0.5, higher_is_better=True, spread=rps.spread)
        )  # fmt: skip
        ratios.append(
            Ratio(f"twin p99 vs bare Starlette at 32 connections, {call.label}", p99.figure,
                  p99.baseline, "ms", P99_LIMIT, higher_is_better=False, spread=p99.spread)
        )  # fmt: skip
    total = 30_000 if quick else 200_000
    early, late = _memory(total)
    ratios.append(
        Ratio(f"twin RSS after {total:,} vs after 1,000 requests", late, early, "MiB",
              MEMORY_LIMIT, higher_is_better=False, note="request log is bounded")
    )  # fmt: skip
    return ratios


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="short run (under 30 s)")
    args = parser.parse_args(argv)
    ratios = run(args.quick)
    print(f"{'benchmark':<62} {'figure':>10} {'baseline':>10} {'ratio':>7} {'target':>8}  ok")
    for r in ratios:
        sign = ">=" if r.higher_is_better else "<="
        print(f"{r.name:<62} {r.figure:>10.2f} {r.baseline:>10.2f} {r.ratio:>7.2f} "
              f"{sign}{r.target:<6} {'yes' if r.passed else 'NO'}  {r.unit}; {r.note}")  # fmt: skip
    return 0 if all(r.passed for r in ratios) else 1


if __name__ == "__main__":
    sys.exit(main())
