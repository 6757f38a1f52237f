"""Handling a signed delivery: verify → claim the event id → the service's handler → complete.

A completed event is never handled again. A plain handler (`EventHandler`) runs at least once
per event id: a crash between the handler and the completion runs it again after the claim's
lease. A `TransactionalHandler` writes inside the claim's transaction of a SQL store, so its
writes and the completion commit together: exactly once for effects in that database.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal, NamedTuple

from g2a_adapter._errors import ConfigError
from g2a_adapter.idempotency import (
    IdempotencyStore,
    ProcessOnce,
    ProcessOnceInTransaction,
    SqlStore,
    SqlTransaction,
)
from g2a_adapter.receiver._events import WebhookEvent
from g2a_adapter.receiver._webhooks import WebhookVerifier

EVENT_KEY_PREFIX = "webhook-event:"

EventHandler = Callable[[WebhookEvent], None]


@dataclass(frozen=True)
class TransactionalHandler:
    """A handler whose own writes commit together with the event's completion (SQL stores).

    `handle(event, tx)` writes through `tx` (`tx.count(sql, params)`, `tx.rows(sql, params)`,
    placeholders in the store's style: `?` for SQLite, `%s` for PostgreSQL) inside the
    transaction that claims the event; if it raises or the process dies, neither its writes
    nor the completion are kept and the next delivery runs it again.
    """

    handle: Callable[[WebhookEvent, SqlTransaction], None]


class HandleResult(NamedTuple):
    status: Literal["processed", "duplicate"]
    event_id: str


class WebhookHandler:
    """verify → claim the event id → the service's handler → complete, without HTTP.

    `once` tunes the claim of a plain handler (lease, waiting for a concurrent delivery).
    A `TransactionalHandler` needs a SQL store (`ConfigError` otherwise).
    """

    def __init__(
        self,
        verifier: WebhookVerifier,
        store: IdempotencyStore,
        handler: EventHandler | TransactionalHandler,
        *,
        once: ProcessOnce | None = None,
    ) -> None:
        self.verifier = verifier
        self._process = _processor(store, handler, once)

    def verify(self, headers: Mapping[str, str], body: bytes) -> WebhookEvent:
        """The verified event; raises `WebhookRejectedError`."""
        return self.verifier.verify(headers, body)

    def process(self, event: WebhookEvent, body: bytes) -> bool:
        """Run the handler unless the event was handled before: True if it ran now.

        Raises the handler's own exception (the claim released), or
        `IdempotencyInProgressError` / `IdempotencyConflictError`.
        """
        return self._process(event, body)

    def handle(self, headers: Mapping[str, str], body: bytes) -> HandleResult:
        """One delivery: `verify`, then `process`."""
        event = self.verify(headers, body)
        ran = self.process(event, body)
        return HandleResult("processed" if ran else "duplicate", event.event_id)


def _processor(
    store: IdempotencyStore,
    handler: EventHandler | TransactionalHandler,
    once: ProcessOnce | None,
) -> Callable[[WebhookEvent, bytes], bool]:
    """`process` for this handler: in the claim's transaction, or around it."""
    if isinstance(handler, TransactionalHandler):
        if not isinstance(store, SqlStore):
            raise ConfigError(
                "a TransactionalHandler needs a SQL idempotency store (sqlite or postgres), "
                f"not {store.backend}"
            )
        in_transaction = ProcessOnceInTransaction(store)
        return lambda event, body: in_transaction.run(
            EVENT_KEY_PREFIX + event.event_id, body, functools.partial(handler.handle, event)
        )
    plain = once or ProcessOnce(store)
    return lambda event, body: plain.run(
        EVENT_KEY_PREFIX + event.event_id, body, functools.partial(handler, event)
    )
