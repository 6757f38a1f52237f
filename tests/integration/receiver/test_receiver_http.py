"""The receiver over real HTTP (uvicorn in a thread): every route and every rejection."""

from __future__ import annotations

import logging
import re
import time
import uuid

import httpx
import pytest
from _receiver_fixtures import API_HASH, API_KEY, WEBHOOK_SECRET, ipn_form

from g2a_adapter.wire import signed_webhook_headers
from harness.recording_receiver import EventRecorder
from harness.twin.webhooks import event_body

CREATED_AT = 1_767_225_600  # 2026-01-01T00:00:00Z
ORDER = {"order_id": "1530978476", "product_id": "10000027819004", "price": 41.5, "currency": "EUR"}


def signed(
    event_id: str | None = None,
    *,
    ts: int | None = None,
    nonce: str | None = None,
    secret: str = WEBHOOK_SECRET,
    body: bytes | None = None,
) -> tuple[dict[str, str], bytes]:
    event_id = event_id or f"evt-{uuid.uuid4().hex[:12]}"
    if body is None:
        body = event_body(event_id, "order.complete", CREATED_AT, ORDER)
    headers = signed_webhook_headers([secret], body, event_id=event_id, timestamp=ts, nonce=nonce)
    return {"Content-Type": "application/json", **headers}, body


def metric(client: httpx.Client, line_start: str) -> float:
    text = client.get("/metrics").text
    values = [float(ln.rsplit(" ", 1)[1]) for ln in text.splitlines() if ln.startswith(line_start)]
    return values[0] if values else 0.0


@pytest.fixture
def client(served: tuple[str, EventRecorder]) -> httpx.Client:
    with httpx.Client(base_url=served[0], timeout=5) as c:
        yield c  # type: ignore[misc]


def test_event_is_processed_once_and_redeliveries_are_duplicates(
    client: httpx.Client, served: tuple[str, EventRecorder]
) -> None:
    headers, body = signed("evt-http-1")
    first = client.post("/webhooks/g2a", content=body, headers=headers)
    headers2, _ = signed("evt-http-1")
    second = client.post("/webhooks/g2a", content=body, headers=headers2)

    assert (first.status_code, first.json()) == (
        200,
        {"status": "processed", "event_id": "evt-http-1"},
    )
    assert (second.status_code, second.json()) == (
        200,
        {"status": "duplicate", "event_id": "evt-http-1"},
    )
    # Compact JSON, as Starlette's JSONResponse sends it.
    assert (first.headers["content-type"], first.content) == (
        "application/json",
        b'{"status":"processed","event_id":"evt-http-1"}',
    )
    assert list(served[1].events) == ["evt-http-1"]
    assert metric(client, 'g2a_webhook_events_total{result="processed",type="order.complete"}') == 1
    assert metric(client, 'g2a_webhook_events_total{result="duplicate",type="order.complete"}') == 1


@pytest.mark.parametrize(
    ("mutate", "status", "reason", "detail"),
    [
        (
            lambda h, b: ({k: v for k, v in h.items() if k != "X-G2A-Nonce"}, b),
            401,
            "missing_header",
            " detail='X-G2A-Nonce'",
        ),
        (
            lambda h, b: (h | {"X-G2A-Timestamp": "yesterday"}, b),
            400,
            "malformed_header",
            " detail='X-G2A-Timestamp is not unix seconds'",
        ),
        (lambda h, b: (signed(secret="forged")[0], b), 401, "bad_signature", ""),
        # how far the sender's clock is off, for on call (a second may pass while it is sent)
        (
            lambda h, b: signed(ts=int(time.time()) - 3600),
            401,
            "stale_timestamp",
            r" detail='360[01] s old'",
        ),
        (
            lambda h, b: signed(ts=int(time.time()) + 3600),
            401,
            "future_timestamp",
            r" detail='3(600|599) s ahead'",
        ),
        (
            lambda h, b: signed(body=b'{"event_id": 1}'),
            400,
            "malformed_body",
            " detail='created_at, data, event_id, type'",
        ),
    ],
)
def test_rejections_answer_json_reasons_and_are_counted(
    client: httpx.Client,
    mutate,
    status: int,
    reason: str,  # type: ignore[no-untyped-def]
    detail: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    headers, body = mutate(*signed())
    with caplog.at_level(logging.WARNING, logger="g2a_adapter"):
        response = client.post("/webhooks/g2a", content=body, headers=headers)

    assert (response.status_code, response.json()) == (status, {"error": reason})
    assert response.headers["content-type"] == "application/json"
    line = f'g2a_webhook_validation_failures_total{{reason="{reason}"}}'
    assert metric(client, line) == 1
    logged = [r.getMessage() for r in caplog.records if r.name == "g2a_adapter"]
    assert len(logged) == 1
    assert re.fullmatch(f"g2a.webhook.rejected reason={reason}{detail}", logged[0]), logged


def test_replayed_delivery_is_rejected(client: httpx.Client) -> None:
    headers, body = signed()
    assert client.post("/webhooks/g2a", content=body, headers=headers).status_code == 200
    replay = client.post("/webhooks/g2a", content=body, headers=headers)
    assert (replay.status_code, replay.json()) == (401, {"error": "replayed_nonce"})
    assert metric(client, 'g2a_webhook_validation_failures_total{reason="replayed_nonce"}') == 1


def test_oversized_bodies_get_413_declared_or_streamed(client: httpx.Client) -> None:
    headers, _ = signed()
    big = b"x" * 70_000
    declared = client.post("/webhooks/g2a", content=big, headers=headers)

    def chunks():  # type: ignore[no-untyped-def]
        for _ in range(70):
            yield b"y" * 1000

    streamed = client.post("/webhooks/g2a", content=chunks(), headers=headers)
    assert (declared.status_code, declared.json()) == (413, {"error": "oversized_body"})
    assert (streamed.status_code, streamed.json()) == (413, {"error": "oversized_body"})
    assert metric(client, 'g2a_webhook_validation_failures_total{reason="oversized_body"}') == 2


def test_unknown_routes_and_methods_answer_json(client: httpx.Client) -> None:
    assert client.get("/nope").json() == {"error": "not_found"}
    response = client.get("/webhooks/g2a")
    assert (response.status_code, response.json()) == (405, {"error": "method_not_allowed"})


def test_g2a_pay_ipn_is_verified_and_deduplicated(
    client: httpx.Client, served: tuple[str, EventRecorder]
) -> None:
    first = client.post("/webhooks/g2a-pay", data=ipn_form())
    again = client.post("/webhooks/g2a-pay", data=ipn_form())
    forged = client.post("/webhooks/g2a-pay", data=ipn_form(secret="guess"))
    keyed_with_the_api_key = client.post("/webhooks/g2a-pay", data=ipn_form(secret=API_KEY))
    as_json = client.post("/webhooks/g2a-pay", json=ipn_form())

    assert (first.status_code, first.json()) == (
        200,
        {"status": "processed", "transaction_id": "tx-1"},
    )
    assert again.json() == {"status": "duplicate", "transaction_id": "tx-1"}
    assert (forged.status_code, forged.json()) == (401, {"error": "bad_signature"})
    assert keyed_with_the_api_key.status_code == 401  # G2A Pay's secret is not G2A_API_KEY
    assert (as_json.status_code, as_json.json()) == (400, {"error": "malformed_body"})
    assert list(served[1].payments) == ["ipn:tx-1:complete"]
    assert metric(client, 'g2a_webhook_events_total{result="processed",type="ipn.complete"}') == 1
    assert metric(client, 'g2a_webhook_events_total{result="duplicate",type="ipn.complete"}') == 1
    assert metric(client, 'g2a_webhook_validation_failures_total{reason="bad_signature"}') == 2
    assert metric(client, 'g2a_webhook_validation_failures_total{reason="malformed_body"}') == 1


def test_each_partial_refund_of_a_transaction_is_processed_and_a_resend_is_a_duplicate(
    client: httpx.Client, served: tuple[str, EventRecorder]
) -> None:
    """A transaction may be refunded in parts: each part is its own notification (by its
    `refundedAmount`); a resend whose fields come in another order is the same one."""
    first = ipn_form(status="partial_refunded") | {"refundedAmount": "10.00"}
    second = ipn_form(status="partial_refunded") | {"refundedAmount": "25.50"}
    reordered = dict(reversed(list(second.items())))

    answers = [client.post("/webhooks/g2a-pay", data=form) for form in (first, second, reordered)]

    assert [(a.status_code, a.json()["status"]) for a in answers] == [
        (200, "processed"),
        (200, "processed"),
        (200, "duplicate"),
    ]
    assert list(served[1].payments) == [
        "ipn:tx-1:partial_refunded:10",
        "ipn:tx-1:partial_refunded:25.5",
    ]


def test_seller_token_flow(client: httpx.Client) -> None:
    params = {"grant_type": "client_credentials", "client_id": API_HASH, "client_secret": API_KEY}
    issued = client.get("/oauth/token", params=params)
    token = issued.json()["access_token"]
    wrong = client.get("/oauth/token", params=params | {"client_secret": "nope"})

    assert issued.status_code == 200
    assert issued.json() == {"access_token": token, "token_type": "bearer", "expires_in": 3600}
    assert issued.headers["cache-control"] == "no-store"
    assert (wrong.status_code, wrong.json()) == (401, {"error": "invalid_client"})
    assert (
        client.get("/healthcheck", headers={"Authorization": f"Bearer {token}"}).status_code == 204
    )
    denied = client.get("/healthcheck", headers={"Authorization": "Bearer forged"})
    assert (denied.status_code, denied.json()) == (
        401,
        {"code": "invalid_token", "message": "the bearer token is not valid or has expired"},
    )  # the seller contract's error body, not OAuth's
    assert denied.headers["www-authenticate"] == "Bearer"
    anonymous = client.get("/healthcheck")
    assert (anonymous.status_code, anonymous.json()) == (
        401,
        {
            "code": "invalid_request",
            "message": "an Authorization: Bearer token from GET /oauth/token is required",
        },
    )
    assert anonymous.headers["www-authenticate"] == "Bearer"
    refusals = "g2a_webhook_validation_failures_total"
    assert metric(client, f'{refusals}{{reason="invalid_client"}}') == 1
    assert metric(client, f'{refusals}{{reason="invalid_token"}}') == 1
    assert metric(client, f'{refusals}{{reason="missing_bearer"}}') == 1


def test_healthz_and_metrics(client: httpx.Client) -> None:
    health = client.get("/healthz")
    metrics = client.get("/metrics")

    assert health.status_code == 200
    assert health.json()["status"] == "ok"
    assert health.json()["checks"]["store"]["backend"] == "sqlite"
    assert metrics.headers["content-type"].startswith("text/plain; version=0.0.4")
    assert "# TYPE g2a_webhook_events_total counter" in metrics.text
