"""`Twin`: one running twin's state, webhook emitter and start-up config, in one object."""

from __future__ import annotations

import asyncio

from harness.twin.config import TwinConfig
from harness.twin.state import Clock, Order, TwinState
from harness.twin.webhooks import WebhookEmitter

# asyncio runs a timer up to its clock's resolution early: a little later, the order is due.
_TIMER_SLACK = 0.005


class Twin:
    """What `app.state.twin` holds. `reset()` returns to the start-up config.

    `generation` counts resets: a call notes it when it starts and, after waiting (a latency
    fault), is dropped if it changed, so it never touches the world a reset made.
    """

    def __init__(self, config: TwinConfig, clock: Clock) -> None:
        self.initial_config = config
        self.state = TwinState(config, clock)
        self.webhooks = WebhookEmitter(lambda: self.state.config, clock)
        self.generation = 0

    @property
    def config(self) -> TwinConfig:
        return self.state.config

    def reset(self) -> None:
        self.generation += 1
        self.state.reset(self.initial_config)
        self.webhooks.reset()

    def configure(self, config: TwinConfig) -> None:
        self.state.apply_config(config)

    def settle(self) -> None:
        """Bring the world up to the clock: lapsed reservations give their unit back, and each
        order whose processing has ended is announced (`order.complete`, once per order)."""
        self.state.release_lapsed_reservations()
        for order in self.state.newly_complete():
            self.webhooks.emit_order(order, "order.complete")

    def watch_completion(self, order: Order) -> None:
        """Announce `order`'s completion when it comes: now if it is due, else from a timer on
        the running loop, so a subscriber hears of it with no call in between. Without a loop
        (the dispatcher driven directly) the next call's `settle` announces it."""
        if order.complete_at is None:
            return
        wait = order.complete_at - self.state.clock()
        if wait <= 0:
            self.settle()
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        loop.call_later(wait + _TIMER_SLACK, self.settle)
