"""The receiver's server limits over real sockets: 431, 408, connection cap, keep-alive."""

from __future__ import annotations

import math
import pickle
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from _receiver_fixtures import CREATED_AT, WEBHOOK_SECRET, delivery, receiver_settings

from g2a_adapter.receiver import ServerLimits, uvicorn_config
from g2a_adapter.wire import signed_webhook_headers
from harness.recording_receiver import recording_receiver_app
from harness.serving import ThreadedServer
from harness.twin.webhooks import event_body

LIMITS = ServerLimits(
    max_header_bytes=4096, request_timeout_s=0.5, max_connections=8, keep_alive_s=1.0
)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ThreadedServer]:
    app, _ = recording_receiver_app(receiver_settings(f"sqlite:///{tmp_path / 'r.sqlite3'}"))
    served = ThreadedServer(app, limits=LIMITS)
    served.start()
    try:
        yield served
    finally:
        served.stop()


def _connect(server: ThreadedServer) -> socket.socket:
    return socket.create_connection((server.host, server.port), timeout=5)


def _read_all(sock: socket.socket) -> bytes:
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def test_a_head_over_the_limit_is_answered_431_without_reading_it_all(
    server: ThreadedServer,
) -> None:
    with _connect(server) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 8192)
        answer = _read_all(sock)  # the server answers and closes without the head's end
    assert answer.startswith(b"HTTP/1.1 431 Request Header Fields Too Large\r\n")
    assert answer.endswith(b'{"error":"request_header_fields_too_large"}')


def test_a_head_within_the_limit_is_served(server: ThreadedServer) -> None:
    answer = httpx.get(f"{server.base_url}/healthz", headers={"X-Pad": "a" * 3000})
    assert answer.status_code in (200, 503)  # served by the app (health of its checks)


def _padded_delivery_request(event_id: str) -> tuple[bytes, bytes]:
    """A delivery's request head and its body, the body longer than `LIMITS.max_header_bytes`."""
    data = {"order_id": "1", "product_id": "2", "price": 1.0, "currency": "EUR", "note": "n" * 6000}
    body = event_body(event_id, "order.paid", CREATED_AT, data)
    headers = signed_webhook_headers([WEBHOOK_SECRET], body, event_id=event_id)
    headers |= {"Host": "x", "Connection": "close", "Content-Length": str(len(body))}
    fields = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    return f"POST /webhooks/g2a HTTP/1.1\r\n{fields}\r\n".encode(), body


@pytest.mark.parametrize(
    "split", [-1, -2, -3], ids=["before-last-byte", "mid-ending", "before-ending"]
)
def test_a_head_whose_ending_spans_two_reads_is_not_counted_with_its_body(
    server: ThreadedServer, split: int
) -> None:
    """The blank line ending the head arrives partly in one read, partly with the body: the
    body is not taken for more head (it was, and a small request was answered 431)."""
    head, body = _padded_delivery_request(f"evt-split{split}")
    with _connect(server) as sock:
        sock.sendall(head[:split])
        time.sleep(0.2)  # the server reads the first part on its own
        sock.sendall(head[split:] + body)
        answer = _read_all(sock)
    assert answer.startswith(b"HTTP/1.1 200 OK\r\n")
    assert answer.endswith(b'{"status":"processed","event_id":"evt-split%d"}' % split)


@pytest.mark.parametrize(
    "partial",
    [
        b"",  # connected, sends nothing
        b"POST /webhooks/g2a HTTP/1.1\r\nHost: x\r\n",  # half a head
        b"POST /webhooks/g2a HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{",  # half a body
    ],
    ids=["silent", "half-head", "half-body"],
)
def test_a_request_not_received_in_time_is_answered_408_and_closed(
    server: ThreadedServer, partial: bytes
) -> None:
    started = time.monotonic()
    with _connect(server) as sock:
        sock.sendall(partial)
        answer = _read_all(sock)
    waited = time.monotonic() - started
    assert answer.startswith(b"HTTP/1.1 408 Request Timeout\r\n")
    assert answer.endswith(b'{"error":"request_timeout"}')
    # asyncio may run a timer up to its clock resolution early (0.49984 s for 0.5 s was seen)
    assert LIMITS.request_timeout_s - 0.01 <= waited < LIMITS.request_timeout_s + 2


def test_connections_over_the_cap_are_closed_and_stalled_ones_released(
    server: ThreadedServer,
) -> None:
    stalled = [_connect(server) for _ in range(LIMITS.max_connections)]
    time.sleep(0.1)
    with _connect(server) as extra:
        assert _read_all(extra) == b""  # closed at once, nothing read
    for sock in stalled:  # the stalled ones are closed by the deadline, not held
        assert _read_all(sock).startswith(b"HTTP/1.1 408")
        sock.close()
    headers, body = delivery("evt-after-stall")
    answer = httpx.post(f"{server.base_url}/webhooks/g2a", headers=headers, content=body)
    assert answer.json() == {"status": "processed", "event_id": "evt-after-stall"}


def test_an_idle_keep_alive_connection_is_closed_after_its_timeout(
    server: ThreadedServer,
) -> None:
    with _connect(server) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        first = sock.recv(65536)
        started = time.monotonic()
        rest = _read_all(sock)  # returns when the server closes the idle connection
    assert first.startswith(b"HTTP/1.1 ")
    assert b"408" not in rest
    assert time.monotonic() - started < LIMITS.keep_alive_s + 2


def test_limits_refuse_nonsense() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        ServerLimits(max_header_bytes=0)
    for seconds in (0.0, -1.0, math.nan, math.inf):
        with pytest.raises(ValueError, match="must be positive and finite"):
            ServerLimits(request_timeout_s=seconds)
        with pytest.raises(ValueError, match="must be positive and finite"):
            ServerLimits(keep_alive_s=seconds)


@pytest.mark.parametrize("seconds", [0.25, 2.9])
def test_a_keep_alive_uvicorn_cannot_keep_is_refused(seconds: float) -> None:
    """uvicorn counts keep-alive in whole seconds: 2.9 would silently become 2."""
    with pytest.raises(ValueError, match="whole number") as refused:
        ServerLimits(keep_alive_s=seconds)
    assert str(refused.value) == (
        "keep_alive_s must be a whole number of seconds, at least 1 (uvicorn counts keep-alive "
        f"in whole seconds), not {seconds:g}"
    )


@pytest.mark.parametrize(
    ("option", "line"),
    [
        ("http", "uvicorn_config sets http itself (h11 under the limits): leave it out"),
        (
            "timeout_keep_alive",
            "uvicorn_config sets timeout_keep_alive itself (from ServerLimits.keep_alive_s): "
            "leave it out",
        ),
        (
            "h11_max_incomplete_event_size",
            "uvicorn_config sets h11_max_incomplete_event_size itself "
            "(from ServerLimits.max_header_bytes): leave it out",
        ),
    ],
    ids=["http", "timeout_keep_alive", "h11_max_incomplete_event_size"],
)
def test_an_option_the_limits_set_is_refused_by_name(option: str, line: str) -> None:
    """Passed through, it would undo a limit (or fail as a duplicate keyword): refused, naming
    where the limits take it from."""
    with pytest.raises(TypeError) as refused:
        uvicorn_config(object(), LIMITS, **{option: 30})
    assert str(refused.value) == line


def test_the_options_the_limits_leave_alone_pass_through() -> None:
    config = uvicorn_config(
        object(), LIMITS, host="0.0.0.0", port=8080, log_config=None, limit_concurrency=64
    )
    assert (config.host, config.port, config.log_config) == ("0.0.0.0", 8080, None)
    assert config.limit_concurrency == 64
    assert config.timeout_keep_alive == 1
    assert config.h11_max_incomplete_event_size == 4096
    assert config.http.__name__ == "LimitedH11Protocol"


def test_the_config_crosses_to_uvicorns_worker_processes_with_its_limits() -> None:
    """uvicorn's `workers` spawn processes that each unpickle the config: it was refused
    (`Can't pickle local object '_protocol.<locals>.LimitedH11Protocol'`), so no service could
    serve the receiver under the limits with several workers."""
    config = uvicorn_config("service:app", LIMITS, port=8080, workers=2, log_config=None)

    copy = pickle.loads(pickle.dumps(config))  # noqa: S301 - as each worker does

    assert (copy.app, copy.port, copy.workers, copy.log_config) == ("service:app", 8080, 2, None)
    assert copy.http.__name__ == "LimitedH11Protocol"
    assert (copy.h11_max_incomplete_event_size, copy.timeout_keep_alive) == (4096, 1)
