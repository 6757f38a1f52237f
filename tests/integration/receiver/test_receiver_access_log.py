"""uvicorn's access log and trace records under `uvicorn_config`: G2A's `GET /oauth/token`
carries the seller client secret in its query, and no line shows it, in clear or
percent-encoded, whatever logging the service configured; the other routes' lines keep their
query."""

from __future__ import annotations

import io
import json
import logging
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus, urlencode
from urllib.request import urlopen

import pytest
import uvicorn
from _receiver_fixtures import API_HASH, receiver_settings
from pydantic import SecretStr

from g2a_adapter.logformat import configure_logging
from g2a_adapter.receiver import ServerLimits, uvicorn_config
from harness.recording_receiver import recording_receiver_app
from harness.serving import bind_socket

SECRET = "$2a$10$E2jV/HJoT6+x="  # `$`, `/`, `+` and `=` are percent-encoded in a query


def _written_forms(secret: str) -> set[str]:
    """The secret as is and as queries write it, with upper- and lower-case hex escapes."""
    encoded = {quote(secret, safe=""), quote(secret), quote_plus(secret)}
    lower_hex = {re.sub(r"%[0-9A-F]{2}", lambda m: m.group().lower(), form) for form in encoded}
    return {secret} | encoded | lower_hex


@contextmanager
def _serving(tmp_path: Path, *, limited: bool = True, **options: Any) -> Iterator[str]:
    """The receiver served by `uvicorn_config(app, ServerLimits(), **options)` in a thread, or
    not `limited`: by a plain `uvicorn.Config`, as the `uvicorn` command builds it."""
    settings = receiver_settings(f"sqlite:///{tmp_path / 'r.sqlite3'}").model_copy(
        update={"seller_client_secret": SecretStr(SECRET)}
    )
    app, _ = recording_receiver_app(settings)
    sock = bind_socket("127.0.0.1", 0)
    plain = uvicorn.Config(app, **options)
    server = uvicorn.Server(uvicorn_config(app, ServerLimits(), **options) if limited else plain)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        for _ in range(500):
            if server.started or not thread.is_alive():
                break
            threading.Event().wait(0.01)
        assert server.started
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


def _token_and_health_calls(base_url: str) -> None:
    """G2A's token call, then a probe's (urllib: the test's client logs nothing itself)."""
    query = {"grant_type": "client_credentials", "client_id": API_HASH, "client_secret": SECRET}
    with urlopen(f"{base_url}/oauth/token?{urlencode(query)}", timeout=10) as token:
        assert token.status == 200  # the secret was accepted: it went through the query
    with urlopen(f"{base_url}/healthz?probe=lb-1", timeout=10) as health:
        assert health.status == 200


def _assert_no_secret_and_useful_lines(logged: str) -> None:
    assert "GET /oauth/token?*** HTTP/1.1" in logged  # the line is there, its query replaced
    assert "GET /healthz?probe=lb-1 " in logged  # another route's line keeps its query
    assert [form for form in _written_forms(SECRET) if form in logged] == []


@contextmanager
def _uvicorn_loggers_as_never_configured() -> Iterator[None]:
    """uvicorn's loggers without the handlers an earlier test's default config gave them."""
    loggers = [logging.getLogger(name) for name in ("uvicorn", "uvicorn.error", "uvicorn.access")]
    saved = [(logger.handlers[:], logger.propagate) for logger in loggers]
    for logger in loggers:
        logger.handlers, logger.propagate = [], True
    try:
        yield
    finally:
        for logger, (handlers, propagate) in zip(loggers, saved, strict=True):
            logger.handlers, logger.propagate = handlers, propagate


def test_uvicorns_default_logging_never_shows_the_seller_client_secret(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    with _serving(tmp_path) as base_url:  # uvicorn's own logging: access lines to stdout
        _token_and_health_calls(base_url)
    _assert_no_secret_and_useful_lines("".join(capfd.readouterr()))


def test_served_without_uvicorn_config_the_receiver_still_keeps_the_secret_out(
    tmp_path: Path, capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The `uvicorn` command and gunicorn's `UvicornWorker` build their own config: the access
    line showed the seller client secret. The receiver now filters uvicorn's loggers itself."""
    for name in ("uvicorn.access", "uvicorn.asgi"):  # as in a process uvicorn_config never ran
        monkeypatch.setattr(logging.getLogger(name), "filters", [])
    with _serving(tmp_path, limited=False) as base_url:
        _token_and_health_calls(base_url)
    _assert_no_secret_and_useful_lines("".join(capfd.readouterr()))


def test_the_services_logging_never_shows_the_seller_client_secret(tmp_path: Path) -> None:
    """`log_config=None`: uvicorn's lines go through the service's logging, here the adapter's
    JSON-or-text handler, whose masker was not told the seller secret."""
    stream = io.StringIO()
    handler = configure_logging(stream=stream)
    try:
        with _uvicorn_loggers_as_never_configured(), _serving(tmp_path, log_config=None) as url:
            _token_and_health_calls(url)
    finally:
        logging.getLogger().removeHandler(handler)
    _assert_no_secret_and_useful_lines(stream.getvalue())


def test_uvicorns_trace_logging_never_shows_the_seller_client_secret_nor_the_token(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """At `log_level="trace"` uvicorn prints each request's ASGI scope, its query too, and
    the messages sent and received (bodies as their size: the token answer's too)."""
    query = {"grant_type": "client_credentials", "client_id": API_HASH, "client_secret": SECRET}
    with _serving(tmp_path, log_level="trace") as base_url:
        with urlopen(f"{base_url}/oauth/token?{urlencode(query)}", timeout=10) as answer:
            body = answer.read()
        with urlopen(f"{base_url}/healthz?probe=lb-1", timeout=10) as health:
            assert health.status == 200
    logged = "".join(capfd.readouterr())
    assert "'path': '/oauth/token', 'raw_path': b'/oauth/token', 'query_string': b'***'" in logged
    assert "'path': '/healthz', 'raw_path': b'/healthz', 'query_string': b'probe=lb-1'" in logged
    assert f"'type': 'http.response.body', 'body': '<{len(body)} bytes>'" in logged
    token = json.loads(body)["access_token"]
    assert [form for form in _written_forms(SECRET) | {token} if form in logged] == []
