"""Signed order-event webhooks sent to subscribers, in the background, with retries.

Each attempt gets a fresh timestamp and nonce (so a receiver's replay check passes); a
`duplicate` redelivery is the same event (same event id and body) freshly signed, a `replay`
resends the exact bytes and headers of the last attempt (which a receiver must reject).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import ssl
import uuid
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from g2a_adapter.wire import signed_webhook_headers
from harness.twin.config import TwinConfig
from harness.twin.state import Clock, Order

EVENT_TYPES = ("order.paid", "order.complete")
_MAX_EVENTS = 1000
_MAX_DELIVERIES = 2000
_SSL_CONTEXT: ssl.SSLContext | None = None


def _ssl_context() -> ssl.SSLContext:
    """One shared context, so a client per delivery stays cheap."""
    global _SSL_CONTEXT
    if _SSL_CONTEXT is None:
        _SSL_CONTEXT = ssl.create_default_context()
    return _SSL_CONTEXT


@dataclass(frozen=True)
class Subscriber:
    id: str
    url: str
    secrets: list[str] | None  # None: the twin's configured webhook secrets

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "url": self.url, "own_secrets": self.secrets is not None}


@dataclass(frozen=True)
class Event:
    id: str
    type: str
    body: bytes


def event_body(event_id: str, event_type: str, created_at: float, data: dict[str, Any]) -> bytes:
    created = datetime.fromtimestamp(created_at, UTC).isoformat().replace("+00:00", "Z")
    payload = {"event_id": event_id, "type": event_type, "created_at": created, "data": data}
    return json.dumps(payload).encode()


class WebhookEmitter:
    def __init__(self, config: Callable[[], TwinConfig], clock: Clock) -> None:
        self._config = config
        self._clock = clock
        self._tasks: set[asyncio.Task[None]] = set()
        self.reset()

    def reset(self) -> None:
        for task in self._tasks:
            task.cancel()
        self._tasks = set()
        self.subscribers: dict[str, Subscriber] = {}
        self.deliveries: deque[dict[str, Any]] = deque(maxlen=_MAX_DELIVERIES)
        self._events: OrderedDict[str, Event] = OrderedDict()
        self._ids = itertools.count(1)

    # subscribers ----------------------------------------------------------------------------
    def subscribe(self, url: str, secrets_: list[str] | None = None) -> Subscriber:
        """A new subscriber; ValueError unless `url` is an http(s) URL with a host that the
        delivery client can parse."""
        try:
            parsed = httpx.URL(url)
        except httpx.InvalidURL as exc:
            raise ValueError(f"url cannot be parsed: {exc}") from None
        if not url.startswith(("http://", "https://")) or not parsed.host:
            raise ValueError("url must be an http(s) URL with a host")
        subscriber = Subscriber(f"sub-{next(self._ids)}", url, secrets_)
        self.subscribers[subscriber.id] = subscriber
        return subscriber

    def unsubscribe(self, subscriber_id: str) -> bool:
        return self.subscribers.pop(subscriber_id, None) is not None

    # events ---------------------------------------------------------------------------------
    def emit_order(self, order: Order, event_type: str) -> str:
        data = {
            "order_id": order.id,
            "product_id": order.product_id,
            "price": order.price,
            "currency": order.currency,
        }
        return self.emit(event_type, data)

    @property
    def event_ids(self) -> tuple[str, ...]:
        """The ids of the events emitted (the most recent ones), oldest first."""
        return tuple(self._events)

    def emit(self, event_type: str, data: dict[str, Any]) -> str:
        """Record the event and start deliveries to every subscriber; returns the event id."""
        if event_type not in EVENT_TYPES:
            raise ValueError(f"type must be one of {', '.join(EVENT_TYPES)}")
        # Random, not seeded like the order ids: a receiver keeps its store across twin
        # restarts, and an event id seen again with another body is a conflict it refuses.
        event_id = str(uuid.uuid4())
        event = Event(event_id, event_type, event_body(event_id, event_type, self._clock(), data))
        self._events[event_id] = event
        while len(self._events) > _MAX_EVENTS:
            self._events.popitem(last=False)
        copies = 1 + self._config().webhook_duplicates
        for subscriber in list(self.subscribers.values()):
            for copy in range(copies):
                self._start(
                    self._deliver(event, subscriber, "original" if copy == 0 else "duplicate")
                )
        return event_id

    def redeliver(self, event_id: str, mode: str) -> None:
        """`duplicate`: same event freshly signed; `replay`: the last attempt's exact bytes."""
        event = self._events.get(event_id)
        if event is None:
            raise KeyError(event_id)
        if mode == "duplicate":
            for subscriber in list(self.subscribers.values()):
                self._start(self._deliver(event, subscriber, "duplicate"))
        elif mode == "replay":
            last = next((d for d in reversed(self.deliveries) if d["event_id"] == event_id), None)
            if last is None:
                raise LookupError(f"event {event_id} was never delivered")
            self._start(self._replay(event, last))
        else:
            raise ValueError("mode must be 'duplicate' or 'replay'")

    # delivery -------------------------------------------------------------------------------
    def _start(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _deliver(self, event: Event, subscriber: Subscriber, mode: str) -> None:
        config = self._config()
        secrets_ = subscriber.secrets or config.webhook_secrets
        delays = config.webhook_retry_delays
        for attempt in range(1, len(delays) + 2):
            signed = signed_webhook_headers(
                secrets_, event.body, event_id=event.id, timestamp=int(self._clock())
            )
            headers = {"Content-Type": "application/json", **signed}
            ok = await self._post(event, subscriber.url, headers, attempt, mode)
            if ok or attempt > len(delays):
                return
            await asyncio.sleep(delays[attempt - 1])

    async def _replay(self, event: Event, last: dict[str, Any]) -> None:
        await self._post(event, last["url"], dict(last["headers"]), 1, "replay")

    async def _post(
        self, event: Event, url: str, headers: dict[str, str], attempt: int, mode: str
    ) -> bool:
        status: int | None = None
        error = ""
        timeout = self._config().webhook_timeout_seconds
        try:
            async with httpx.AsyncClient(
                timeout=timeout, verify=_ssl_context(), trust_env=False
            ) as client:
                response = await client.post(url, content=event.body, headers=headers)
                status = response.status_code
        except (httpx.HTTPError, httpx.InvalidURL) as exc:  # InvalidURL is no HTTPError
            error = type(exc).__name__
        self.deliveries.append(
            {
                "event_id": event.id,
                "type": event.type,
                "url": url,
                "attempt": attempt,
                "mode": mode,
                "status": status,
                "error": error,
                "headers": headers,
                "body": event.body.decode(),
                "at": self._clock(),
            }
        )
        return status is not None and 200 <= status < 300

    async def aclose(self) -> None:
        """Cancel deliveries still in flight (server shutdown)."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
