"""A transactional handler through the receiver over HTTP: the handler's write and the event's
completion are kept both or neither — after a failing handler and after kill -9 mid-handler."""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from _receiver_fixtures import delivery
from _transactional_receiver import (
    app_for,
    create_effects,
    effects,
    open_sql_store,
    serve_until_killed,
)

from g2a_adapter.idempotency import SqlStore
from harness.serving import serve_asgi


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'receiver.sqlite3'}"
        return
    url: str = request.getfixturevalue("postgres_url")
    yield url
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        for table in ("effects", "records", "nonces", "schema"):
            conn.execute(f"DROP TABLE IF EXISTS receiver_tx_{table}")  # type: ignore[arg-type]


@pytest.fixture
def store(store_url: str) -> Iterator[SqlStore]:
    opened = open_sql_store(store_url)
    create_effects(store_url)
    yield opened
    opened.close()


def post(base_url: str, event_id: str) -> httpx.Response:
    headers, body = delivery(event_id)
    return httpx.post(f"{base_url}/webhooks/g2a", content=body, headers=headers, timeout=10)


def test_a_write_commits_with_the_completion_and_a_failure_keeps_neither(
    store_url: str, store: SqlStore
) -> None:
    with serve_asgi(app_for(store_url, store)) as base_url:
        first = post(base_url, "evt-tx-1")
        again = post(base_url, "evt-tx-1")
        failed = post(base_url, "fail-tx-1")

    assert first.json() == {"status": "processed", "event_id": "evt-tx-1"}
    assert again.json() == {"status": "duplicate", "event_id": "evt-tx-1"}
    assert (effects(store_url, "evt-tx-1"), store.get("webhook-event:evt-tx-1") is not None) == (
        1,
        True,
    )
    assert (failed.status_code, failed.json()) == (500, {"error": "handler_failed"})
    assert (effects(store_url, "fail-tx-1"), store.get("webhook-event:fail-tx-1")) == (0, None)


@pytest.mark.slow
def test_kill_9_mid_handler_keeps_neither_and_the_redelivery_runs_once(
    store_url: str, store: SqlStore
) -> None:
    ctx = multiprocessing.get_context("spawn")
    ready = ctx.Queue()
    child = ctx.Process(target=serve_until_killed, args=(store_url, ready))
    child.start()
    try:
        with pytest.raises(httpx.TransportError):  # the receiver died mid-request
            post(ready.get(timeout=60), "evt-killed")
    finally:
        child.join(timeout=30)
    assert child.exitcode == -9

    assert (effects(store_url, "evt-killed"), store.get("webhook-event:evt-killed")) == (0, None)
    with serve_asgi(app_for(store_url, store)) as base_url:
        redelivered = post(base_url, "evt-killed")
        again = post(base_url, "evt-killed")
    assert redelivered.json() == {"status": "processed", "event_id": "evt-killed"}
    assert again.json()["status"] == "duplicate"
    assert effects(store_url, "evt-killed") == 1
