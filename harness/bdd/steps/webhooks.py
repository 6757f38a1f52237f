"""Steps: signed webhooks from the twin to the adapter's receiver, and crafted deliveries.

The receiver is observed over HTTP only (its answers and its `/metrics`), so the same steps
work whether the receiver runs in this process or was started by `g2a-harness run`.
"""

from __future__ import annotations

import json
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, get_args

import httpx
import pytest
from pytest_bdd import given, parsers, then, when

from g2a_adapter import WebhookEvent
from g2a_adapter.receiver import REJECTIONS
from g2a_adapter.wire import HEADER_SIGNATURE, signed_webhook_headers
from harness.bdd.servers import TWIN_WEBHOOK_SECRET
from harness.bdd.steps.client import current_order
from harness.bdd.steps.twin import admin_of
from harness.bdd.wordings import Wording, parse, phrases, worded
from harness.bdd.world import ReceiverHandle, World, missing

TARGETS = ("twin",)

Delivery = tuple[dict[str, str], bytes]  # headers, body
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]
_WAIT_S = 5.0
_OVERSIZE = 64 * 1024 + 1

# What a feature may name: a misspelled value is refused by `steps --check`, never counted as 0.
EVENT_TYPES: tuple[str, ...] = get_args(WebhookEvent.model_fields["type"].annotation)
EVENT_KINDS: Wording[str] = Wording("event type", phrases({t: t for t in EVENT_TYPES}))
# The receiver's refusal reasons (the label of g2a_webhook_validation_failures_total) ...
REASONS: Wording[str] = Wording("rejection reason", phrases({r: r for r in REJECTIONS}))
# ... and the `{"error": …}` codes its refusals answer with.
ERROR_CODES: Wording[str] = Wording(
    "refusal reason", phrases({r.error: r.error for r in REJECTIONS.values()})
)
# What the receiver answers a delivery it accepted (HTTP 200).
ANSWERS: Wording[str] = Wording(
    "answer", phrases({"processed": "processed", "duplicate": "duplicate"})
)
# What the twin announces about an order -> the event type it sends.
ANNOUNCEMENTS: Wording[str] = Wording(
    "announcement", phrases({"paid": "order.paid", "completed": "order.complete"})
)
# How a scenario makes what a Then step looks at.
_MADE_BY = {
    "delivery": '"When the twin announces that the order was paid" makes one',
    "redelivery": '"When the twin delivers the same event again with a fresh signature" makes one',
    "replay": '"When the twin replays that delivery unchanged" makes one',
    "response": '"When a delivery for the order arrives with …" sends one',
}


def scrape(receiver: ReceiverHandle) -> Samples:
    """Every sample of the receiver's `/metrics`, keyed by (name, labels)."""
    from prometheus_client.parser import text_string_to_metric_families

    response = httpx.get(f"{receiver.base_url}/metrics", timeout=5.0)
    assert response.status_code == 200, f"/metrics answered {response.status_code}"
    samples: Samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


def counted(world: World, name: str, **labels: str) -> float:
    """How much a receiver counter grew since the scenario subscribed the receiver."""
    key = (name, frozenset(labels.items()))
    receiver = subscribed_receiver(world)
    baseline: Samples = world.notes["receiver_baseline"]
    return scrape(receiver).get(key, 0.0) - baseline.get(key, 0.0)


def _events_since(world: World, note: str) -> dict[tuple[str, str], float]:
    """How many webhook events the receiver counted since the scrape kept in `world.notes[note]`,
    by (type, result)."""
    before: Samples = world.notes[note]
    grown: dict[tuple[str, str], float] = {}
    for key, value in scrape(subscribed_receiver(world)).items():
        name, labels = key
        if name == "g2a_webhook_events_total" and value != before.get(key, 0.0):
            fields = dict(labels)
            grown[(fields["type"], fields["result"])] = value - before.get(key, 0.0)
    return grown


def subscribed_receiver(world: World) -> ReceiverHandle:
    """The receiver the scenario subscribed to the twin's order events."""
    if world.receiver is None:
        raise missing(
            "subscribed receiver",
            'start with "Given the receiver is subscribed to the twin\'s order events"',
        )
    return world.receiver


def _happened(world: World, what: str) -> Any:
    """What the scenario's When step kept under `what` (a delivery, a replay, an answer)."""
    return world.noted(what, f"{what} happened", _MADE_BY[what])


def wait_for(find: Callable[[], Any], what: str) -> Any:
    deadline = time.monotonic() + _WAIT_S
    while True:
        found = find()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def _delivery(world: World, event_id: str, mode: str) -> dict[str, Any]:
    def find() -> dict[str, Any] | None:
        return next(
            (
                d
                for d in admin_of(world).admin.deliveries()
                if d["event_id"] == event_id and d["mode"] == mode and d["status"] is not None
            ),
            None,
        )

    delivery: dict[str, Any] = wait_for(find, f"the {mode} delivery of event {event_id}")
    return delivery


@given("the receiver is subscribed to the twin's order events")
def subscribe_receiver(g2a_world: World, request: pytest.FixtureRequest) -> None:
    """Subscribe the scenario's receiver to the twin's order events.

    Example: the receiver is subscribed to the twin's order events
    """
    receiver: ReceiverHandle | None = request.getfixturevalue("receiver_server")
    assert receiver is not None, "no receiver on this target"
    g2a_world.receiver = receiver
    g2a_world.notes["receiver_baseline"] = scrape(receiver)
    admin_of(g2a_world).admin.subscribe(receiver.webhook_url)


@when(worded(parse("the twin announces that the order was {event}"), event=ANNOUNCEMENTS))
def twin_announces(g2a_world: World, event: str) -> None:
    """The twin announces that the order was paid or completed (one webhook delivery of
    `order.paid` or `order.complete`).

    Example: the twin announces that the order was paid
    Example: the twin announces that the order was completed
    """
    order_id = current_order(g2a_world)
    g2a_world.notes["before_delivery"] = scrape(subscribed_receiver(g2a_world))
    event_id = admin_of(g2a_world).admin.emit(order_id, ANNOUNCEMENTS.value(event))
    g2a_world.notes["event_id"] = event_id
    g2a_world.notes["delivery"] = _answered_with_copies(g2a_world, event_id)


def _answered_with_copies(world: World, event_id: str) -> dict[str, Any]:
    """The event's original delivery, once the receiver answered it and the copies sent
    beside it."""
    delivery = _delivery(world, event_id, "original")
    _duplicates_answered(world, event_id)
    return delivery


def _duplicates_answered(world: World, event_id: str) -> None:
    """Wait for the copies of the event the twin sends beside it (`Given the twin delivers
    every webhook 3 times`), sent at once with it: the steps after count what the receiver
    made of each, and would otherwise count whichever had arrived."""
    admin = admin_of(world).admin
    copies = int(admin.config()["webhook_duplicates"])
    if copies:
        wait_for(
            lambda: (
                copies
                <= sum(
                    d["event_id"] == event_id and d["mode"] == "duplicate"
                    for d in admin.deliveries()
                )
            ),
            f"the {copies} copies of event {event_id}",
        )


def _paid_event(world: World, order_id: str, known: frozenset[str] = frozenset()) -> str:
    """The id of the order's `order.paid` event, once the twin delivered it, leaving out the
    `known` events."""

    def find() -> str | None:
        for d in admin_of(world).admin.deliveries():
            body = json.loads(d["body"])
            if (
                d["type"] == "order.paid"
                and body["data"]["order_id"] == order_id
                and d["event_id"] not in known
            ):
                return str(d["event_id"])
        return None

    event_id: str = wait_for(find, f"the order.paid event of order {order_id}")
    return event_id


def _paid_event_id(world: World) -> str:
    """The event announced in this scenario, else the order's `order.paid` event."""
    if "event_id" not in world.notes:
        world.notes["event_id"] = _paid_event(world, current_order(world))
    return str(world.notes["event_id"])


@contextmanager
def payment_announced(world: World, order_id: str) -> Iterator[None]:
    """Around a payment of the order: when a receiver is subscribed and the payment succeeded,
    wait until the receiver answered the `order.paid` event it made, and its copies (as `When
    the twin announces …` does), so the steps after count every delivery, not a race."""
    if world.receiver is None:
        yield
        return
    known = frozenset(d["event_id"] for d in admin_of(world).admin.deliveries())
    yield
    if world.error is None:
        world.notes["event_id"] = _paid_event(world, order_id, known)
        _answered_with_copies(world, world.notes["event_id"])


@when("the twin delivers the same event again with a fresh signature")
def twin_redelivers(g2a_world: World) -> None:
    """The twin delivers the same event again with a fresh signature.

    Example: the twin delivers the same event again with a fresh signature
    """
    event_id = _paid_event_id(g2a_world)
    g2a_world.notes["before_redelivery"] = scrape(subscribed_receiver(g2a_world))
    admin_of(g2a_world).admin.redeliver(event_id, "duplicate")
    g2a_world.notes["redelivery"] = _delivery(g2a_world, event_id, "duplicate")


@when("the twin replays that delivery unchanged")
def twin_replays(g2a_world: World) -> None:
    """The twin replays its last delivery unchanged (same signature and nonce).

    Example: the twin replays that delivery unchanged
    """
    event_id = _paid_event_id(g2a_world)
    admin_of(g2a_world).admin.redeliver(event_id, "replay")
    g2a_world.notes["replay"] = _delivery(g2a_world, event_id, "replay")


def _answered(world: World, what: str, result: str) -> None:
    """The receiver answered the twin's delivery or redelivery with `result`: the one event of
    its type the receiver counted since just before it was sent."""
    delivery = _happened(world, what)
    expected = f'expected the receiver to answer the {what} with "{result}"'
    if delivery["status"] != 200:
        raise AssertionError(f"{expected}, got HTTP {delivery['status']}")
    grown = _events_since(world, f"before_{what}")
    answers = [
        answer
        for (kind, answer), times in sorted(grown.items())
        if kind == delivery["type"]
        for _ in range(round(times))
    ]
    if answers == [result]:
        return
    if len(answers) > 1:  # the twin delivered the event more than once
        counted = " and ".join(f'{n} "{answer}"' for answer, n in Counter(answers).most_common())
        raise AssertionError(
            f"{expected}, got {len(answers)} answers, one for each delivery of the event "
            f"({counted}): this step reads a single delivery; count several with: Then the "
            f'receiver counted 1 processed "{delivery["type"]}" event'
        )
    got = f'"{answers[0]}"' if answers else "no answer the receiver counted"
    raise AssertionError(f"{expected}, got {got}")


@then(worded(parse('the receiver answered the delivery with "{result}"'), result=ANSWERS))
def delivery_result(g2a_world: World, result: str) -> None:
    """The receiver answered the twin's announcement with this result (the one event it counted).

    Example: the receiver answered the delivery with "processed"
    """
    _answered(g2a_world, "delivery", result)


@then(worded(parse('the receiver answered the redelivery with "{result}"'), result=ANSWERS))
def redelivery_result(g2a_world: World, result: str) -> None:
    """The receiver answered the twin's redelivery with this result (the one event it counted
    since just before the redelivery).

    Example: the receiver answered the redelivery with "duplicate"
    """
    _answered(g2a_world, "redelivery", result)


@then(parse("the receiver refused the replay with HTTP {status:whole}"))
def replay_refused(g2a_world: World, status: int) -> None:
    """The receiver refused the replayed delivery with this status.

    Example: the receiver refused the replay with HTTP 401
    """
    answered = _happened(g2a_world, "replay")["status"]
    if answered != status:
        raise AssertionError(
            f"expected the receiver to refuse the replay with HTTP {status}, got HTTP {answered}"
        )


@then(
    worded(
        parsers.re(
            r"the receiver counted (?P<count>\d+) (?P<result>processed|duplicate) "
            r'"(?P<kind>[\w.]+)" events?'
        ),
        kind=EVENT_KINDS,
    )
)
def events_counted(g2a_world: World, count: str, result: str, kind: str) -> None:
    """The receiver's metrics count this many processed or duplicate events of a type.

    Example: the receiver counted 1 processed "order.paid" event
    """
    value = counted(g2a_world, "g2a_webhook_events_total", type=kind, result=result)
    if value != int(count):
        raise AssertionError(f'expected {count} {result} "{kind}" events, got {value:g}')


@then(
    worded(
        parsers.re(
            r'the receiver counted (?P<count>\d+) validation failures? for "(?P<reason>\w+)"'
        ),
        reason=REASONS,
    )
)
def failures_counted(g2a_world: World, count: str, reason: str) -> None:
    """The receiver's metrics count this many validation failures for a reason.

    Example: the receiver counted 1 validation failure for "replayed_nonce"
    """
    value = counted(g2a_world, "g2a_webhook_validation_failures_total", reason=reason)
    if value != int(count):
        raise AssertionError(f'expected {count} validation failures for "{reason}", got {value:g}')


@then("the receiver processed the paid event of that order exactly once")
def paid_processed_once(g2a_world: World) -> None:
    """The handler processed the order's paid event exactly once.

    Example: the receiver processed the paid event of that order exactly once
    """
    event_id = _paid_event_id(g2a_world)
    answered = _delivery(g2a_world, event_id, "original")["status"]
    if answered != 200:
        raise AssertionError(
            f"expected the receiver to accept the paid event with HTTP 200, got HTTP {answered}"
        )
    value = counted(g2a_world, "g2a_webhook_events_total", type="order.paid", result="processed")
    if value != 1:
        raise AssertionError(f"expected the paid event processed once, got {value:g} times")


# --- deliveries crafted by QA ----------------------------------------------------------------
def _order_event(world: World) -> tuple[str, dict[str, Any]]:
    order_id = current_order(world)
    order = admin_of(world).admin.order(order_id)
    event_id = str(uuid.uuid4())
    payload = {
        "event_id": event_id,
        "type": "order.paid",
        "created_at": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        "data": {
            "order_id": order_id,
            "product_id": str(order["product_id"]),
            "price": order["price"],
            "currency": order["currency"],
        },
    }
    return event_id, payload


def signed_delivery(
    event_id: str, body: bytes, signing_secrets: list[str], timestamp: int | None = None
) -> dict[str, str]:
    signed = signed_webhook_headers(signing_secrets, body, event_id=event_id, timestamp=timestamp)
    return {"Content-Type": "application/json", **signed}


def _signed(event_id: str, body: bytes, timestamp: int | None = None) -> Delivery:
    return signed_delivery(event_id, body, [TWIN_WEBHOOK_SECRET], timestamp), body


def _another_secret(event_id: str, payload: dict[str, Any]) -> Delivery:
    body = json.dumps(payload).encode()
    return signed_delivery(event_id, body, ["not-the-twin-secret"]), body


def _changed_after_signing(event_id: str, payload: dict[str, Any]) -> Delivery:
    headers, _ = _signed(event_id, json.dumps(payload).encode())
    changed = dict(payload, data={**payload["data"], "price": 0.01})
    return headers, json.dumps(changed).encode()


def _aged(seconds: int) -> Callable[[str, dict[str, Any]], Delivery]:
    def delivery(event_id: str, payload: dict[str, Any]) -> Delivery:
        return _signed(event_id, json.dumps(payload).encode(), int(time.time()) + seconds)

    return delivery


def _unsigned(event_id: str, payload: dict[str, Any]) -> Delivery:
    headers, body = _signed(event_id, json.dumps(payload).encode())
    del headers[HEADER_SIGNATURE]
    return headers, body


def _unreadable_signature(event_id: str, payload: dict[str, Any]) -> Delivery:
    headers, body = _signed(event_id, json.dumps(payload).encode())
    return {**headers, HEADER_SIGNATURE: "v1=not-hex"}, body


def _not_json(event_id: str, payload: dict[str, Any]) -> Delivery:
    return _signed(event_id, b'{"event_id": "' + event_id.encode() + b'", "type": ')


def _oversized(event_id: str, payload: dict[str, Any]) -> Delivery:
    return _signed(event_id, json.dumps({**payload, "padding": "x" * _OVERSIZE}).encode())


# A delivery spoiled the way the business wording says; everything else is genuine.
TAMPERINGS: Wording[Callable[[str, dict[str, Any]], Delivery]] = Wording(
    "tampering",
    phrases(
        {
            "a signature made with another secret": _another_secret,
            "a body changed after signing": _changed_after_signing,
            "a timestamp 10 minutes old": _aged(-600),
            "a timestamp 10 minutes ahead": _aged(600),
            "no signature": _unsigned,
            "an unreadable signature": _unreadable_signature,
            "a body that is not JSON": _not_json,
            "a body larger than 64 KiB": _oversized,
        }
    ),
)


def _post(world: World, headers: dict[str, str], body: bytes) -> None:
    url = subscribed_receiver(world).webhook_url
    world.notes["response"] = httpx.post(url, content=body, headers=headers, timeout=5.0)


@when(worded(parse("a delivery for the order arrives with {tampering}"), tampering=TAMPERINGS))
def crafted_delivery(g2a_world: World, tampering: str) -> None:
    """Deliver a webhook for the order spoiled in one way (the tampering).

    Example: a delivery for the order arrives with a signature made with another secret
    """
    event_id, payload = _order_event(g2a_world)
    _post(g2a_world, *TAMPERINGS.value(tampering)(event_id, payload))


@when("a delivery for the order arrives signed with the previous and the current secret")
def rotated_delivery(g2a_world: World) -> None:
    """Deliver a webhook signed with both the previous and the current secret.

    Example: a delivery for the order arrives signed with the previous and the current secret
    """
    event_id, payload = _order_event(g2a_world)
    body = json.dumps(payload).encode()
    headers = signed_delivery(event_id, body, ["previous-webhook-secret", TWIN_WEBHOOK_SECRET])
    _post(g2a_world, headers, body)


def _answer(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


@then(
    worded(
        parse('the receiver refuses it with HTTP {status:whole} and reason "{reason}"'),
        reason=ERROR_CODES,
    )
)
def refused_with(g2a_world: World, status: int, reason: str) -> None:
    """The receiver refused the crafted delivery with this status and reason.

    Example: the receiver refuses it with HTTP 401 and reason "bad_signature"
    """
    response: httpx.Response = _happened(g2a_world, "response")
    error = _answer(response).get("error")
    if (response.status_code, error) != (status, reason):
        got = f'reason "{error}"' if error else f"the answer {response.text[:200]}"
        raise AssertionError(
            f'expected HTTP {status} and reason "{reason}", got HTTP {response.status_code} '
            f"and {got}"
        )


@then(worded(parse('the receiver answers it with "{result}"'), result=ANSWERS))
def answered_with(g2a_world: World, result: str) -> None:
    """The receiver answered the crafted delivery with this result.

    Example: the receiver answers it with "processed"
    """
    response: httpx.Response = _happened(g2a_world, "response")
    if (response.status_code, _answer(response).get("status")) != (200, result):
        raise AssertionError(
            f'expected the receiver to answer "{result}" with HTTP 200, got HTTP '
            f"{response.status_code} {response.text[:200]}"
        )
