"""The service's functions the receiver calls on its worker threads are plain functions: an
`async def` would return a coroutine nobody awaits, and its event would be completed unhandled
(G2A's redeliveries answered `duplicate`). Refused where given; one hidden behind a plain call
fails its delivery, which stays unhandled for the redelivery."""

from __future__ import annotations

import gc
import logging
import warnings
from collections.abc import Sequence

import httpx
import pytest
from _receiver_fixtures import delivery, receiver_settings

from g2a_adapter import WebhookEvent
from g2a_adapter.idempotency import MemoryStore
from g2a_adapter.receiver import (
    IpnNotification,
    ReceiverOptions,
    Reservation,
    StockRequest,
    TransactionalHandler,
    create_receiver_app,
    token_check,
)

SETTINGS = receiver_settings("memory://")
ADVICE = "the receiver calls it on a worker thread and never awaits it; write it as a plain def"


async def handle_later(event: WebhookEvent) -> None:
    raise AssertionError("never called")


class AsyncCallable:
    async def __call__(self, event: WebhookEvent) -> None:
        raise AssertionError("never called")


@pytest.mark.parametrize(
    "handler",
    [handle_later, AsyncCallable(), TransactionalHandler(handle_later)],  # type: ignore[arg-type]
    ids=["async def", "async __call__", "transactional async def"],
)
def test_an_async_webhook_handler_is_refused_when_the_app_is_built(handler: object) -> None:
    with pytest.raises(TypeError) as refused:
        create_receiver_app(SETTINGS, handler, options=ReceiverOptions(store=MemoryStore()))  # type: ignore[arg-type]
    assert str(refused.value) == (
        f"the webhook handler is an async function: {ADVICE} (from there, async code runs "
        "with anyio.from_thread.run or asyncio.run_coroutine_threadsafe)"
    )


async def on_payment(notification: IpnNotification) -> None:
    raise AssertionError("never called")


class AsyncReserve:
    async def reserve(self, requests: Sequence[StockRequest]) -> Reservation:
        raise AssertionError("never called")


def test_an_async_ipn_handler_or_seller_stock_method_is_refused_in_the_options() -> None:
    with pytest.raises(TypeError, match=f"^ipn_handler is an async function: {ADVICE}"):
        ReceiverOptions(ipn_handler=on_payment)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=f"^seller_stock.reserve is an async function: {ADVICE}"):
        ReceiverOptions(seller_stock=AsyncReserve())  # type: ignore[arg-type]


def test_an_async_token_probe_is_refused_rather_than_failing_every_health_check() -> None:
    async def token() -> object:
        raise AssertionError("never called")

    with pytest.raises(TypeError, match=f"^the token probe is an async function: {ADVICE}"):
        token_check(token)  # type: ignore[arg-type]


@pytest.mark.anyio
async def test_a_coroutine_returned_by_a_plain_handler_fails_its_delivery_unhandled(
    caplog: pytest.LogCaptureFixture,
) -> None:
    handler = lambda event: handle_later(event)  # noqa: E731 - a plain function hiding one
    app = create_receiver_app(SETTINGS, handler, options=ReceiverOptions(store=MemoryStore()))
    transport = httpx.ASGITransport(app=app)
    with warnings.catch_warnings(record=True) as warned:
        warnings.simplefilter("always")
        async with httpx.AsyncClient(transport=transport, base_url="http://receiver") as client:
            answers = []
            for _ in range(2):  # the redelivery finds the event unhandled, not a duplicate
                headers, body = delivery("evt-async")
                answers.append(await client.post("/webhooks/g2a", content=body, headers=headers))
        gc.collect()

    assert [(a.status_code, a.json()) for a in answers] == [(500, {"error": "handler_failed"})] * 2
    assert not [w for w in warned if "never awaited" in str(w.message)]  # closed, not leaked
    failed = "g2a.receiver.handler_failed event_type=order.paid event_id=evt-async"
    failures = [r for r in caplog.records if r.getMessage() == failed]
    assert len(failures) == 2
    assert failures[0].levelno == logging.ERROR
    assert (failures[0].event_type, failures[0].event_id) == ("order.paid", "evt-async")  # type: ignore[attr-defined]
    assert failures[0].exc_info is not None
    assert str(failures[0].exc_info[1]).endswith(
        f".<lambda> returned an awaitable: {ADVICE} (from there, async code runs with "
        "anyio.from_thread.run or asyncio.run_coroutine_threadsafe)"
    )
