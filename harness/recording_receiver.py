"""The harness's receiver: the adapter's receiver app with a handler that remembers what it
handled, for `g2a-harness receiver serve`, the BDD suites and the tests; the same app
serving G2A's declared-stock callbacks over a given stock (`declared_stock_app`); and
`DeliveryLog`, which has `receiver serve` print a line per delivery (through `LinePrinter`)."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import queue
import select
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from g2a_adapter.receiver import (
    IpnNotification,
    ReceiverOptions,
    ReceiverSettings,
    SellerStock,
    WebhookEvent,
    is_delivery_id,
)
from g2a_adapter.wire import HEADER_EVENT_ID

if TYPE_CHECKING:
    from starlette.applications import Starlette
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

KEPT = 10_000  # ids remembered; older ones are forgotten
# The delivery routes: what a line calls the delivery, and the answer's field naming it
DELIVERIES = {
    "/webhooks/g2a": ("webhook", "event_id"),
    "/webhooks/g2a-pay": ("g2a-pay", "transaction_id"),
}
_MAX_ANSWER_BYTES = 4096  # the receiver's answers are a few bytes of JSON
WAITING_LINES = 1000  # lines a `LinePrinter` keeps waiting for its stream; more are dropped


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


def _printable(value: object) -> str:
    """`value` as a line may show it: a claimed id or code that is not an id's characters
    (a sender chose it) is `?`, and a missing one `-`."""
    if value is None or value == "":
        return "-"
    text = str(value)
    return text if is_delivery_id(text) else "?"


class _Answer:
    """What a delivery was answered: its HTTP status and the start of its body."""

    def __init__(self) -> None:
        self.status = 0
        self.body = bytearray()

    def took(self, message: Message) -> bool:
        """Take in one message of the answer: whether it was the last."""
        if message["type"] == "http.response.start":
            self.status = message["status"]
            return False
        if message["type"] != "http.response.body":
            return False
        self.body.extend(message.get("body", b"")[: _MAX_ANSWER_BYTES - len(self.body)])
        return not message.get("more_body", False)

    def fields(self) -> dict[str, object]:
        """The answer's JSON fields; none when it is not a JSON object."""
        try:
            fields = json.loads(self.body)
        except ValueError:
            return {}
        return fields if isinstance(fields, dict) else {}


def _now() -> datetime:
    return datetime.now(UTC)


def _warn(message: str) -> None:
    """One line on stderr; nothing when stderr is gone too."""
    with contextlib.suppress(OSError):
        print(f"g2a-harness receiver: {message}", file=sys.stderr, flush=True)


def _dropped_note(dropped: int) -> str:
    """The line saying how many lines were dropped, if any were."""
    return f"g2a-harness receiver: {dropped} delivery lines dropped (stdout was not read)\n" * (
        dropped > 0
    )


def _write_fully(fd: int, data: bytes) -> None:
    """All of `data`, waiting while a non-blocking `fd` is full (a runner may set its pipes so)."""
    while data:
        try:
            data = data[os.write(fd, data) :]
        except BlockingIOError:
            select.select([], [fd], [])


_IDLE_S = 0.5  # a printer idle this long says the lines dropped since its last line


class LinePrinter:
    """Prints lines to a file descriptor from a thread of its own, so that whoever says them
    (the server's event loop) never waits for the stream nor fails by it. While
    `WAITING_LINES` lines wait (the stream is not read fast enough, or not at all), a new line
    is dropped: the first drop is said on stderr, and how many were dropped is printed before
    the next line, or once the printer is idle or closed. The first error writing (the reader
    went away) ends the printing, said on stderr."""

    def __init__(self, fd: int) -> None:
        self._fd = fd
        # (lines dropped just before it, line); a line None: `close` asked to end
        self._lines: queue.Queue[tuple[int, str | None]] = queue.Queue(WAITING_LINES)
        self._dropped = 0  # since the last line queued or counted
        self._lock = threading.Lock()
        self._warned_of_drops = False
        self._failed = threading.Event()
        self._thread = threading.Thread(target=self._print_all, name="line-printer", daemon=True)
        self._thread.start()

    def say(self, line: str) -> None:
        """Queue `line` for printing, or drop it; never blocks, never raises."""
        if self._failed.is_set():
            return
        with self._lock:
            try:
                self._lines.put_nowait((self._dropped, line))
            except queue.Full:
                self._dropped += 1
                first_drop, self._warned_of_drops = not self._warned_of_drops, True
            else:
                self._dropped, first_drop = 0, False
        if first_drop:
            _warn("stdout is not read fast enough: delivery lines are dropped")

    def close(self, timeout: float) -> None:
        """Print the lines waiting, and how many were dropped, within `timeout` seconds in all
        (a stdout nobody reads holds no stop longer); once."""
        deadline = time.monotonic() + timeout
        if not self._thread.is_alive():
            return
        with contextlib.suppress(queue.Full):
            self._lines.put((0, None), timeout=timeout)
        self._thread.join(max(0.0, deadline - time.monotonic()))

    def _take_dropped(self) -> int:
        with self._lock:
            dropped, self._dropped = self._dropped, 0
        return dropped

    def _print_all(self) -> None:
        while True:
            try:
                dropped, line = self._lines.get(timeout=_IDLE_S)
            except queue.Empty:
                dropped, line = 0, ""
            if not line:  # idle, or closing: the lines dropped since the last one queued
                dropped = self._take_dropped()
            try:
                _write_fully(
                    self._fd, (_dropped_note(dropped) + (f"{line}\n" if line else "")).encode()
                )
            except OSError as exc:
                self._failed.set()
                _warn(f"stdout failed ({type(exc).__name__}): delivery lines are no longer printed")
                return
            if line is None:
                return


class DeliveryLog:
    """ASGI middleware: one line per webhook or G2A Pay IPN delivery once it is answered, its
    time (UTC), kind, id, HTTP status and outcome (the answer's `status` or `error`), e.g.
    `2026-12-06T19:40:01Z webhook evt-1 401 bad_signature`. The id is the answer's, else the
    claimed `X-G2A-Event-Id`; the signature, nonce and body are never shown. `say` is called on
    the event loop: it must neither block nor raise (`LinePrinter.say`)."""

    def __init__(
        self,
        app: ASGIApp,
        say: Callable[[str], None],
        clock: Callable[[], datetime] = _now,
    ) -> None:
        self.app = app
        self.say = say
        self.clock = clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        route = DELIVERIES.get(scope.get("path", "")) if scope["type"] == "http" else None
        if route is None or scope.get("method") != "POST":
            await self.app(scope, receive, send)
            return
        answer = _Answer()

        async def watched(message: Message) -> None:
            await send(message)
            if answer.took(message):
                self.say(self._line(route, scope, answer))

        await self.app(scope, receive, watched)

    def _line(self, route: tuple[str, str], scope: Scope, answer: _Answer) -> str:
        kind, id_field = route
        fields = answer.fields()
        delivered = fields.get(id_field) or _claimed_event_id(scope)
        outcome = fields.get("status") or fields.get("error")
        answered_at = self.clock().strftime("%Y-%m-%dT%H:%M:%SZ")
        return f"{answered_at} {kind} {_printable(delivered)} {answer.status} {_printable(outcome)}"


def _claimed_event_id(scope: Scope) -> str | None:
    """The delivery's `X-G2A-Event-Id` as sent (unverified), None without one."""
    wanted = HEADER_EVENT_ID.lower().encode()
    for name, value in scope.get("headers", []):
        if name == wanted:
            return bytes(value).decode("latin-1")
    return None
