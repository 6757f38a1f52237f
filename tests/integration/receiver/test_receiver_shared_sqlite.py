"""Two served receivers on one SQLite file: duplicate deliveries spread over both run the
handler once per event id."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path

import httpx
import pytest
from _receiver_fixtures import delivery, receiver_settings

from harness.recording_receiver import recording_receiver_app
from harness.serving import serve_asgi

EVENTS = 40
DELIVERIES_PER_EVENT = 4  # two to each receiver


async def deliver(client: httpx.AsyncClient, url: str, event_id: str) -> str:
    """One delivery, retried as G2A would while the event is in progress elsewhere."""
    for _ in range(200):
        headers, body = delivery(event_id)  # each retry signed anew, as G2A's are
        response = await client.post(url, content=body, headers=headers)
        if response.status_code != 409:
            assert response.status_code == 200, response.text
            status: str = response.json()["status"]
            return status
        assert response.json() == {"error": "in_progress"}
        await asyncio.sleep(0.01)
    raise AssertionError(f"{event_id} stayed in progress")


@pytest.mark.anyio
async def test_duplicates_across_two_receivers_on_one_file_run_once(
    tmp_path: Path,
) -> None:
    settings = receiver_settings(f"sqlite:///{tmp_path / 'shared.sqlite3'}")
    (first, first_events), (second, second_events) = (
        recording_receiver_app(settings),
        recording_receiver_app(settings),
    )
    with serve_asgi(first) as first_url, serve_asgi(second) as second_url:
        targets = [f"{first_url}/webhooks/g2a", f"{second_url}/webhooks/g2a"]
        async with httpx.AsyncClient(timeout=30) as client:
            sends = [
                (f"evt-shared-{n}", deliver(client, targets[k % 2], f"evt-shared-{n}"))
                for n in range(EVENTS)
                for k in range(DELIVERIES_PER_EVENT)
            ]
            statuses = await asyncio.gather(*(send for _, send in sends))

    processed = Counter(
        event for (event, _), status in zip(sends, statuses, strict=True) if status == "processed"
    )
    assert processed == Counter({f"evt-shared-{n}": 1 for n in range(EVENTS)})
    assert Counter(statuses) == {"processed": EVENTS, "duplicate": EVENTS * 3}
    handled = [*first_events.events, *second_events.events]
    assert sorted(handled) == sorted(f"evt-shared-{n}" for n in range(EVENTS))
