"""The twin's signed webhooks reach the served receiver; duplicates and replays are absorbed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from g2a_adapter import Settings
from harness.recording_receiver import EventRecorder, recording_receiver_app
from harness.serving import serve_asgi
from harness.twin.config import TwinConfig
from harness.twin.server import RunningTwin, running_twin

SECRET = "e2e-webhook-secret"
ORDER_ID = "1530978476"


@pytest.fixture
def twin() -> Iterator[RunningTwin]:
    config = TwinConfig(webhook_secrets=[SECRET], webhook_retry_delays=())
    with running_twin(config) as running:
        yield running


@pytest.fixture
def receiver(twin: RunningTwin, tmp_path: Path) -> Iterator[tuple[str, EventRecorder]]:
    settings = Settings(
        api_url=twin.export_url,
        api_hash="qdaiciDiyMaTjxMt",
        api_key="74026b3dc2c6db6a30a73e71cdb138b1e1b5eb7a97ced46689e2d28db1050875",
        webhook_secret=SECRET,
        idempotency_url=f"sqlite:///{tmp_path / 'receiver.sqlite3'}",
    )
    app, recorder = recording_receiver_app(settings)
    with serve_asgi(app) as base_url:
        yield base_url, recorder


def sample(base_url: str, name: str, **labels: str) -> float:
    wanted = name + "{" + ",".join(f'{k}="{v}"' for k, v in sorted(labels.items())) + "}"
    text = httpx.get(f"{base_url}/metrics").text
    values = [float(ln.rsplit(" ", 1)[1]) for ln in text.splitlines() if ln.startswith(wanted)]
    return values[0] if values else 0.0


def test_events_duplicates_and_replays_from_the_twin(
    twin: RunningTwin, receiver: tuple[str, EventRecorder]
) -> None:
    base_url, recorder = receiver
    admin = twin.admin
    admin.apply_state(f"order {ORDER_ID} is paid", {"order_id": ORDER_ID})
    admin.subscribe(f"{base_url}/webhooks/g2a")

    event_id = admin.emit(ORDER_ID, "order.paid")
    admin.wait_deliveries(1)
    admin.redeliver(event_id, "duplicate")
    admin.wait_deliveries(2)
    admin.redeliver(event_id, "replay")
    deliveries = admin.wait_deliveries(3)

    assert [(d["event_id"], d["mode"], d["status"]) for d in deliveries] == [
        (event_id, "original", 200),
        (event_id, "duplicate", 200),
        (event_id, "replay", 401),
    ]
    assert list(recorder.events) == [event_id]
    events = "g2a_webhook_events_total"
    assert sample(base_url, events, type="order.paid", result="processed") == 1
    assert sample(base_url, events, type="order.paid", result="duplicate") == 1
    failures = "g2a_webhook_validation_failures_total"
    assert sample(base_url, failures, reason="replayed_nonce") == 1


def test_events_signed_with_another_secret_are_rejected_and_counted(
    twin: RunningTwin, receiver: tuple[str, EventRecorder]
) -> None:
    base_url, recorder = receiver
    admin = twin.admin
    admin.apply_state(f"order {ORDER_ID} is paid", {"order_id": ORDER_ID})
    admin.subscribe(f"{base_url}/webhooks/g2a", secrets=["not-the-receivers-secret"])

    admin.emit(ORDER_ID, "order.complete")
    deliveries = admin.wait_deliveries(1)

    assert [d["status"] for d in deliveries] == [401]
    assert list(recorder.events) == []
    failures = "g2a_webhook_validation_failures_total"
    assert sample(base_url, failures, reason="bad_signature") == 1
    assert (
        sample(base_url, "g2a_webhook_events_total", type="order.complete", result="processed") == 0
    )


def test_rotation_both_secrets_signed_by_the_twin_are_accepted(
    twin: RunningTwin, receiver: tuple[str, EventRecorder]
) -> None:
    base_url, recorder = receiver
    admin = twin.admin
    admin.apply_state(f"order {ORDER_ID} is paid", {"order_id": ORDER_ID})
    admin.subscribe(f"{base_url}/webhooks/g2a", secrets=["next-secret", SECRET])

    event_id = admin.emit(ORDER_ID, "order.complete")
    deliveries = admin.wait_deliveries(1)

    assert [d["status"] for d in deliveries] == [200]
    assert deliveries[0]["headers"]["X-G2A-Signature"].count("v1=") == 2
    assert list(recorder.events) == [event_id]
