"""The harness's receiver: the adapter's receiver app with a handler that remembers what it
handled, for `g2a-harness receiver serve`, the BDD suites and the tests; and the same app
serving G2A's declared-stock callbacks over a given stock (`declared_stock_app`)."""

from __future__ import annotations

import dataclasses
from collections import deque
from typing import TYPE_CHECKING

from g2a_adapter.receiver import (
    IpnNotification,
    ReceiverOptions,
    ReceiverSettings,
    SellerStock,
    WebhookEvent,
)

if TYPE_CHECKING:
    from starlette.applications import Starlette

KEPT = 10_000  # ids remembered; older ones are forgotten


class EventRecorder:
    """Handlers for signed events and G2A Pay IPNs that record their ids, newest last."""

    def __init__(self, kept: int = KEPT) -> None:
        self.events: deque[str] = deque(maxlen=kept)
        self.payments: deque[str] = deque(maxlen=kept)

    def on_event(self, event: WebhookEvent) -> None:
        self.events.append(event.event_id)

    def on_payment(self, notification: IpnNotification) -> None:
        self.payments.append(notification.idempotency_key)


def recording_receiver_app(
    settings: ReceiverSettings, options: ReceiverOptions | None = None
) -> tuple[Starlette, EventRecorder]:
    """The receiver app with an `EventRecorder` for its signed events, and for G2A Pay IPNs
    when the settings have G2A Pay's API secret."""
    from g2a_adapter.receiver import create_receiver_app

    recorder = EventRecorder()
    options = options or ReceiverOptions()
    if settings.pay_api_secret is not None:
        options = dataclasses.replace(options, ipn_handler=recorder.on_payment)
    return create_receiver_app(settings, recorder.on_event, options=options), recorder


def declared_stock_app(stock: SellerStock) -> Starlette:
    """The recording receiver serving G2A's declared-stock callbacks over `stock`, with an
    in-memory store; G2A authenticates with the sandbox API hash and key as client id and
    secret (`harness.twin.credentials`), as a receiver configured with them would have it."""
    from g2a_adapter import Settings
    from harness.twin.config import DEFAULT_WEBHOOK_SECRET
    from harness.twin.credentials import SANDBOX_API_HASH, SANDBOX_API_KEY

    settings = Settings(
        api_url="https://sandboxapi.g2a.com/v1",
        api_hash=SANDBOX_API_HASH,
        api_key=SANDBOX_API_KEY,
        webhook_secret=DEFAULT_WEBHOOK_SECRET,
        idempotency_url="memory://",
    )
    app, _ = recording_receiver_app(settings, ReceiverOptions(seller_stock=stock))
    return app
