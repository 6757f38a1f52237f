"""A small closed-loop HTTP/1.1 load generator, and a way to serve an ASGI app for it.

`run_load` drives `concurrency` keep-alive connections from a separate process
(`python -m benchmarks._loadgen`, plan as JSON on stdin) with asyncio raw sockets, so the
measuring side never shares a GIL with the server under test.
`serve_app_in_subprocess` serves an ASGI factory with uvicorn (uvloop + httptools).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import importlib
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

BodyFactory = Callable[[int], tuple[dict[str, str], bytes]]
ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class LoadResult:
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    statuses: dict[int, int] = field(default_factory=dict)


@dataclass(frozen=True)
class _Plan:
    host: str
    port: int
    method: str
    target: str
    headers: dict[str, str]
    body: bytes
    concurrency: int
    requests: int
    body_factory: BodyFactory | None


def _request_bytes(plan: _Plan, index: int) -> bytes:
    headers, body = dict(plan.headers), plan.body
    if plan.body_factory is not None:
        extra, body = plan.body_factory(index)
        headers.update(extra)
    lines = [f"{plan.method} {plan.target} HTTP/1.1", f"Host: {plan.host}:{plan.port}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    if body or plan.method in {"POST", "PUT", "PATCH"}:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length, close = 0, False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"connection" and value.strip().lower() == b"close":
            close = True
    if length:
        await reader.readexactly(length)
    return status, close


async def _drive(plan: _Plan) -> LoadResult:
    fixed = None if plan.body_factory else _request_bytes(plan, 0)
    next_index = iter(range(plan.requests))
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    errors = 0

    async def worker() -> None:
        nonlocal errors
        reader = writer = None
        for index in next_index:
            payload = fixed or _request_bytes(plan, index)
            try:
                if writer is None:
                    reader, writer = await asyncio.open_connection(plan.host, plan.port)
                assert reader is not None
                started = time.perf_counter()
                writer.write(payload)
                status, close = await _read_response(reader)
                latencies.append(time.perf_counter() - started)
                statuses[status] = statuses.get(status, 0) + 1
                if close:
                    writer.close()
                    reader = writer = None
            except (OSError, asyncio.IncompleteReadError, ValueError):
                errors += 1
                if writer is not None:
                    writer.close()
                reader = writer = None
        if writer is not None:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(plan.concurrency)))
    elapsed = time.perf_counter() - started
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] if latencies else 0.0
    return LoadResult(
        rps=len(latencies) / elapsed if elapsed else 0.0,
        p50_ms=statistics.median(latencies) * 1000 if latencies else 0.0,
        p99_ms=p99 * 1000,
        errors=errors,
        statuses=statuses,
    )


def _child(plan: _Plan) -> LoadResult:
    with contextlib.suppress(ImportError):
        import uvloop

        return uvloop.run(_drive(plan))
    return asyncio.run(_drive(plan))


def _factory_path(factory: BodyFactory | None) -> str | None:
    if factory is None:
        return None
    module, name = factory.__module__, factory.__qualname__
    if module == "__main__" or "<" in name:
        raise ValueError("body_factory must be a module-level function of an importable module")
    return f"{module}:{name}"


def _load_factory(path: str | None) -> BodyFactory | None:
    if path is None:
        return None
    module, _, name = path.partition(":")
    factory: BodyFactory = getattr(importlib.import_module(module), name)
    return factory


def _main() -> None:
    """Child side: read the plan from stdin, print the result as JSON."""
    spec = json.load(sys.stdin)
    spec["body"] = base64.b64decode(spec["body"])
    spec["body_factory"] = _load_factory(spec["body_factory"])
    result = _child(_Plan(**spec))
    json.dump({**result.__dict__, "statuses": {str(k): v for k, v in result.statuses.items()}},
              sys.stdout)  # fmt: skip


def run_load(
    url: str,
    *,
    method: str = "GET",
    headers: dict[str, str] | None = None,
    body: bytes = b"",
    concurrency: int = 32,
    requests: int = 5000,
    body_factory: BodyFactory | None = None,
) -> LoadResult:
    """Send `requests` requests over `concurrency` keep-alive connections; measure them.

    `body_factory(i)` gives request i's extra headers and body when requests must differ; it
    must be a module-level function of an importable module (the child process imports it).
    """
    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    spec = {
        "host": str(parts.hostname), "port": int(parts.port or 80), "method": method.upper(),
        "target": target or "/", "headers": dict(headers or {}),
        "body": base64.b64encode(body).decode(), "concurrency": concurrency,
        "requests": requests, "body_factory": _factory_path(body_factory),
    }  # fmt: skip
    completed = subprocess.run(
        [sys.executable, "-m", "benchmarks._loadgen"], input=json.dumps(spec), cwd=ROOT,
        env=_env(), capture_output=True, text=True, check=False,
    )  # fmt: skip
    if completed.returncode != 0:
        raise RuntimeError(f"load generator failed: {completed.stderr.strip()[-2000:]}")
    data = json.loads(completed.stdout)
    data["statuses"] = {int(k): v for k, v in data["statuses"].items()}
    return LoadResult(**data)


def _env() -> dict[str, str]:
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": path}


class ServedApp(str):
    """The base URL of a served app (a `str`), with the server's `pid` for RSS checks."""

    pid: int


def rss_bytes(pid: int) -> int:
    """Resident set size of a process (Linux /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def serve_app_in_subprocess(factory_import_path: str, port: int = 0) -> Iterator[ServedApp]:
    """Serve `module:factory` (an app factory) with uvicorn on loopback in a child process."""
    port = port or _free_port()
    command = [sys.executable, "-m", "uvicorn", factory_import_path, "--factory",
               "--host", "127.0.0.1", "--port", str(port), "--loop", "uvloop",
               "--http", "httptools", "--no-access-log", "--log-level", "warning"]  # fmt: skip
    process = subprocess.Popen(command, cwd=ROOT, env=_env())
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{factory_import_path} did not start") from None
                time.sleep(0.05)
        served = ServedApp(f"http://127.0.0.1:{port}")
        served.pid = process.pid
        yield served
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


if __name__ == "__main__":
    _main()
