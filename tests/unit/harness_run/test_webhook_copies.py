"""`When the twin announces that the order was paid` and `When QA pays the order` return once
the twin's copies of the event (`Given the twin delivers every webhook 3 times`) are answered
too, not at the first delivery's answer: the twin sends them at once, and the Then steps count
what the receiver made of each."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from g2a_adapter import Metrics
from harness.bdd.steps import client, webhooks
from harness.bdd.world import LogCapture, ReceiverHandle, TwinHandle, World
from harness.targets import resolve_target


class SlowCopies:
    """A twin's admin whose two copies of the event are answered after the original, one
    more per look at the deliveries."""

    def __init__(self, looks: int = 0) -> None:
        self.looks = looks

    def config(self) -> dict[str, Any]:
        return {"webhook_duplicates": 2}

    def emit(self, order_id: str, event_type: str) -> str:
        return "event-1"

    def deliveries(self) -> list[dict[str, Any]]:
        self.looks += 1
        answered = {
            "event_id": "event-1",
            "type": "order.paid",
            "status": 200,
            "body": '{"data": {"order_id": "1234"}}',
        }
        copies = [{**answered, "mode": "duplicate"}] * min(self.looks - 1, 2)
        return [{**answered, "mode": "original"}, *copies] if self.looks > 0 else []


def _world(admin: SlowCopies) -> World:
    handle = TwinHandle("http://twin", "http://twin/v1", admin)  # type: ignore[arg-type]
    world = World(resolve_target("twin"), Metrics(), LogCapture(), connect_twin=lambda: handle)
    world.receiver, world.order_id = ReceiverHandle("http://receiver"), "1234"
    return world


def test_the_announcement_waits_for_the_copies_the_twin_sends_with_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    admin = SlowCopies()
    world = _world(admin)
    monkeypatch.setattr(webhooks, "scrape", lambda receiver: {})

    webhooks.twin_announces(world, "paid")

    assert admin.looks == 3  # the original answered at the first look, both copies at the third


def test_paying_waits_for_the_paid_event_and_its_copies(monkeypatch: pytest.MonkeyPatch) -> None:
    admin = SlowCopies(looks=-1)  # no delivery before the payment, nor at the first look after
    world = _world(admin)
    paid: list[str] = []
    orders = SimpleNamespace(pay=paid.append)
    monkeypatch.setattr(world, "client", lambda: SimpleNamespace(orders=orders))

    client.pay_order(world)

    assert paid == ["1234"]
    # four looks: no delivery before paying, then the event, then one copy, then both
    assert admin.looks == 3
    assert world.notes["event_id"] == "event-1"
