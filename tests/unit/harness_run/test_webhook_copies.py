"""`When the twin announces that the order was paid` returns once the twin's copies of the
event (`Given the twin delivers every webhook 3 times`) are answered too, not at the first
delivery's answer: the twin sends them at once, and the Then steps count what the receiver made
of each."""

from __future__ import annotations

from typing import Any

import pytest

from g2a_adapter import Metrics
from harness.bdd.steps import webhooks
from harness.bdd.world import LogCapture, ReceiverHandle, TwinHandle, World
from harness.targets import resolve_target


class SlowCopies:
    """A twin's admin whose two copies of the event are answered after the original, one
    more per look at the deliveries."""

    def __init__(self) -> None:
        self.looks = 0

    def config(self) -> dict[str, Any]:
        return {"webhook_duplicates": 2}

    def emit(self, order_id: str, event_type: str) -> str:
        return "event-1"

    def deliveries(self) -> list[dict[str, Any]]:
        self.looks += 1
        answered = {"event_id": "event-1", "type": "order.paid", "status": 200}
        copies = [{**answered, "mode": "duplicate"}] * min(self.looks - 1, 2)
        return [{**answered, "mode": "original"}, *copies]


def test_the_announcement_waits_for_the_copies_the_twin_sends_with_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    admin = SlowCopies()
    handle = TwinHandle("http://twin", "http://twin/v1", admin)  # type: ignore[arg-type]
    world = World(resolve_target("twin"), Metrics(), LogCapture(), connect_twin=lambda: handle)
    world.receiver, world.order_id = ReceiverHandle("http://receiver"), "1234"
    monkeypatch.setattr(webhooks, "scrape", lambda receiver: {})

    webhooks.twin_announces(world, "paid")

    assert admin.looks == 3  # the original answered at the first look, both copies at the third
