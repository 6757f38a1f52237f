"""A small closed-loop HTTP/1.1 load generator, and a way to serve an ASGI app for it.

`run_load` drives `concurrency` keep-alive connections from a separate process
(`python -m benchmarks._loadgen`, plan as JSON on stdin) with asyncio protocols (callbacks, no
streams or per-request tasks, so the generator takes little CPU from the server it shares the
machine with), and the measuring side never shares a GIL with the server under test.
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
from typing import Any, cast
from urllib.parse import urlsplit

from harness.ports import free_port

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


def _parse_response(buffer: bytearray) -> tuple[int, bool, int] | None:
    """(status, connection close, size) of the complete response at the start of `buffer`;
    None while its head or body is still incomplete. ValueError on a malformed head."""
    head_end = buffer.find(b"\r\n\r\n")
    if head_end < 0:
        return None
    head = bytes(buffer[:head_end]).lower()
    status = int(head[9:12])
    size = head_end + 4 + int(_header(head, b"content-length") or 0)
    if len(buffer) < size:
        return None
    return status, _header(head, b"connection") == b"close", size


def _header(head: bytes, name: bytes) -> bytes | None:
    """The value of header `name` in a lower-cased response head (its first occurrence)."""
    start = head.find(b"\r\n" + name + b":")
    if start < 0:
        return None
    start += len(name) + 3
    end = head.find(b"\r\n", start)
    return head[start : end if end >= 0 else len(head)].strip()


class _Run:
    """What all connections of one load run share: the requests and the results.

    Every request is built before timing starts (wrk's way), so building them (a signed
    event per request, say) takes no CPU from the server under test.
    """

    def __init__(self, plan: _Plan) -> None:
        self.plan = plan
        if plan.body_factory is None:
            requests = [_request_bytes(plan, 0)] * plan.requests
        else:
            requests = [_request_bytes(plan, i) for i in range(plan.requests)]
        self.unsent = iter(requests)
        self.latencies: list[float] = []
        self.statuses: dict[int, int] = {}
        self.errors = 0

    def next_request(self) -> bytes | None:
        """The next request's bytes, or None when every request has been handed out."""
        return next(self.unsent, None)


class _Connection(asyncio.Protocol):
    """One keep-alive connection, driven from its callbacks: a complete response sends the
    next request at once, with no task switch in between."""

    def __init__(self, run: _Run) -> None:
        self.run = run
        self.ended: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.buffer = bytearray()
        self.started = 0.0
        self.in_flight = False
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass

    def send(self, payload: bytes) -> None:
        assert self.transport is not None
        self.in_flight = True
        self.started = time.perf_counter()
        self.transport.write(payload)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        try:
            response = _parse_response(self.buffer)
        except ValueError:
            self._fail()
            return
        if response is None:
            return
        status, close, size = response
        run = self.run
        run.latencies.append(time.perf_counter() - self.started)
        run.statuses[status] = run.statuses.get(status, 0) + 1
        self.in_flight = False
        del self.buffer[:size]
        payload = None if close else run.next_request()
        if payload is None:
            self.close()
        else:
            self.send(payload)

    def _fail(self) -> None:
        self.run.errors += 1
        self.in_flight = False
        self.close()

    def close(self) -> None:
        assert self.transport is not None
        self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        if self.in_flight:
            self.run.errors += 1
            self.in_flight = False
        if not self.ended.done():
            self.ended.set_result(None)


async def _connect(run: _Run) -> _Connection | None:
    try:
        _, connection = await asyncio.get_running_loop().create_connection(
            lambda: _Connection(run), run.plan.host, run.plan.port
        )
    except OSError:
        return None
    return connection


async def _connection_loop(run: _Run, connection: _Connection | None) -> None:
    """One of the `concurrency` connections: reconnect after a close or an error, until the
    requests run out (a request whose connect or response fails counts as an error)."""
    while (payload := run.next_request()) is not None:
        if connection is None and (connection := await _connect(run)) is None:
            run.errors += 1
            continue
        connection.send(payload)
        await connection.ended
        connection = None
    if connection is not None:  # opened up front, never needed: fewer requests than connections
        connection.close()


async def _drive(plan: _Plan) -> LoadResult:
    """Open every connection first, then time the requests (as wrk does): a server still
    accepting the other connections would otherwise delay the first requests of a run."""
    run = _Run(plan)
    opened = await asyncio.gather(*(_connect(run) for _ in range(plan.concurrency)))
    started = time.perf_counter()
    await asyncio.gather(*(_connection_loop(run, connection) for connection in opened))
    elapsed = time.perf_counter() - started
    latencies = sorted(run.latencies)
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] if latencies else 0.0
    return LoadResult(
        rps=len(latencies) / elapsed if elapsed else 0.0,
        p50_ms=statistics.median(latencies) * 1000 if latencies else 0.0,
        p99_ms=p99 * 1000,
        errors=run.errors,
        statuses=run.statuses,
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
    """The base URL of a served app (a `str`), with the server's `pid` for RSS and CPU checks."""

    pid: int


def rss_bytes(pid: int) -> int:
    """Resident set size of a process (Linux /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


def cpu_seconds(pid: int) -> float:
    """CPU time a process has used so far, user and system, all threads (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    user, system = int(fields[11]), int(fields[12])  # utime, stime: fields 14 and 15
    return (user + system) / os.sysconf("SC_CLK_TCK")


@contextlib.contextmanager
def serving_process(
    command: list[str], port: int, what: str, **popen: Any
) -> Iterator[subprocess.Popen[bytes]]:
    """Run `command` (a server), yield it once `port` accepts connections, then stop it."""
    process = subprocess.Popen(command, **popen)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{what} did not start") from None
                time.sleep(0.05)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextlib.contextmanager
def serve_app_in_subprocess(factory_import_path: str, port: int = 0) -> Iterator[ServedApp]:
    """Serve `module:factory` (an app factory) with uvicorn on loopback in a child process."""
    port = port or free_port()
    command = [sys.executable, "-m", "uvicorn", factory_import_path, "--factory",
               "--host", "127.0.0.1", "--port", str(port), "--loop", "uvloop",
               "--http", "httptools", "--no-access-log", "--log-level", "warning"]  # fmt: skip
    with serving_process(command, port, factory_import_path, cwd=ROOT, env=_env()) as process:
        served = ServedApp(f"http://127.0.0.1:{port}")
        served.pid = process.pid
        yield served


if __name__ == "__main__":
    _main()
