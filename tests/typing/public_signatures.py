"""Checked by mypy --strict (tox -e type), never run: the public signatures are typed, so a
misspelt or mistyped argument is a type error (each `type: ignore` below must be needed)."""

from g2a_adapter import AsyncG2AClient, G2AClient, Settings, WebhookEvent
from g2a_adapter.receiver import create_receiver_app


def sync_calls(client: G2AClient) -> None:
    G2AClient.from_env(metrcs=None)  # type: ignore[call-arg]
    G2AClient.from_env(retry="twice")  # type: ignore[arg-type]
    client.products.iter_all(min_qtty=1)  # type: ignore[call-arg]
    client.products.iter_all(min_qty="1")  # type: ignore[arg-type]


async def async_calls(client: AsyncG2AClient) -> None:
    AsyncG2AClient.from_env(metrcs=None)  # type: ignore[call-arg]
    AsyncG2AClient.from_env(transport=object())  # type: ignore[arg-type]
    client.products.aiter_all(min_qtty=1)  # type: ignore[call-arg]
    client.products.aiter_all(min_price_to="9")  # type: ignore[arg-type]


async def on_event(event: WebhookEvent) -> None: ...


def receiver_handlers(settings: Settings) -> None:
    create_receiver_app(settings, on_event)  # type: ignore[arg-type]
