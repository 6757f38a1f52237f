"""`Twin`: one running twin's state, webhook emitter and start-up config, in one object."""

from __future__ import annotations

from harness.twin.config import TwinConfig
from harness.twin.state import Clock, TwinState
from harness.twin.webhooks import WebhookEmitter


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
