"""The benchmarks' load generator: it reads whole responses, counts every status and error."""

from __future__ import annotations

import os
import time

import pytest

from benchmarks._loadgen import _parse_response, cpu_seconds, run_load, serve_app_in_subprocess

NOT_FOUND = b"HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\n\r\nabc"
CLOSED = b"HTTP/1.1 200 OK\r\nConnection: Close\r\ncontent-length:0\r\n\r\n"
NO_CONTENT = b"HTTP/1.1 204 No Content\r\n\r\n"


@pytest.mark.parametrize(
    ("raw", "parsed"),
    [
        (b"HTTP/1.1 200 OK\r\ncontent-length: 3\r\n\r\nab", None),  # body incomplete
        (b"HTTP/1.1 200 OK\r\ncontent-len", None),  # head incomplete
        (NOT_FOUND + b"HTTP/1.1", (404, False, len(NOT_FOUND))),  # the next one is not read
        (CLOSED, (200, True, len(CLOSED))),
        (NO_CONTENT, (204, False, len(NO_CONTENT))),
    ],
)
def test_a_response_is_complete_only_with_its_whole_body(
    raw: bytes, parsed: tuple[int, bool, int] | None
) -> None:
    assert _parse_response(bytearray(raw)) == parsed


def test_a_malformed_status_line_is_an_error() -> None:
    with pytest.raises(ValueError, match="invalid literal"):
        _parse_response(bytearray(b"HTTP/1.1 abc\r\n\r\n"))


def test_keep_alive_and_closed_connections_count_every_response() -> None:
    with serve_app_in_subprocess("benchmarks.bench_twin:bare_app") as base:
        url = f"{base}/v1/products"
        kept = run_load(url, concurrency=4, requests=300)
        closed = run_load(url, headers={"Connection": "close"}, concurrency=4, requests=60)
        missing = run_load(f"{base}/nowhere", concurrency=2, requests=10)
    assert (kept.errors, kept.statuses) == (0, {200: 300})
    assert (closed.errors, closed.statuses) == (0, {200: 60})
    assert missing.statuses == {404: 10}
    assert kept.p50_ms <= kept.p99_ms


def test_a_refused_connection_counts_as_an_error_per_request() -> None:
    with serve_app_in_subprocess("benchmarks.bench_twin:bare_app") as base:
        port = base.rsplit(":", 1)[1]
    result = run_load(f"http://127.0.0.1:{port}/v1/products", concurrency=2, requests=5)
    assert (result.errors, result.statuses) == (5, {})


def test_cpu_seconds_counts_what_a_process_spent() -> None:
    before = cpu_seconds(os.getpid())
    deadline = time.process_time() + 0.2
    while time.process_time() < deadline:  # 0.2 s of CPU in this process
        pass
    spent = cpu_seconds(os.getpid()) - before
    assert 0.15 <= spent <= 1.0  # clock ticks are 10 ms; other threads may add a little
