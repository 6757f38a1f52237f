"""WebhookHandler.handle_many / handle_each: a batch of deliveries gets the answers that
`handle` gives them one after another, with the store's writes grouped (SQLite: one commit for
the nonces and claims, one for the completions of fast handlers) and the service's handler
outside every group; `handle_each` gives each outcome out as soon as it is final."""

from __future__ import annotations

import contextvars
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from hashlib import sha256
from pathlib import Path
from typing import Any

import pytest
from _signed import NOW, SECRET, event_body, signed_headers

from g2a_adapter import (
    StoreUnavailableError,
    WebhookEvent,
    WebhookHandler,
    WebhookRejectedError,
    WebhookVerifier,
)
from g2a_adapter.idempotency import Claim, IdempotencyStore, MemoryStore, ProcessOnce, open_store
from g2a_adapter.receiver import Delivery, HandleResult
from g2a_adapter.receiver._handler import COMPLETION_GROUP_SECONDS


def _clock() -> float:
    return float(NOW)


class Recorder:
    """The service's handler: records the events it saw; fails for the `failing` ones."""

    def __init__(self, failing: frozenset[str] = frozenset()) -> None:
        self.failing = failing
        self.seen: list[str] = []

    def __call__(self, event: WebhookEvent) -> None:
        self.seen.append(event.event_id)
        if event.event_id in self.failing:
            raise RuntimeError(f"downstream failed for {event.event_id}")


@pytest.fixture(params=["memory", "sqlite"])
def stores(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[Callable[[], IdempotencyStore]]:
    """Opens fresh stores of one backend (each SQLite store in a file of its own)."""
    opened: list[IdempotencyStore] = []

    def fresh() -> IdempotencyStore:
        path = tmp_path / f"s{len(opened)}.sqlite3"
        url = "memory://" if request.param == "memory" else f"sqlite:///{path}"
        opened.append(open_store(url, clock=_clock))
        return opened[-1]

    yield fresh
    for store in opened:
        store.close()


@pytest.fixture
def store(stores: Callable[[], IdempotencyStore]) -> IdempotencyStore:
    return stores()


def _handler(store: IdempotencyStore, recorder: Recorder) -> WebhookHandler:
    verifier = WebhookVerifier([SECRET], store, clock=_clock)
    once = ProcessOnce(store, in_progress_wait_seconds=0.02)
    return WebhookHandler(verifier, store, recorder, once=once)


def delivery(event_id: str, nonce: str, **kwargs: object) -> Delivery:
    body = event_body(event_id)
    return Delivery(signed_headers(body, event_id=event_id, nonce=nonce, **kwargs), body)  # type: ignore[arg-type]


def said(result: HandleResult | Exception) -> str:
    """An answer (or what was raised) in a word: `processed:evt-1`, `rejected:bad_signature`."""
    if isinstance(result, HandleResult):
        return f"{result.status}:{result.event_id}"
    if isinstance(result, WebhookRejectedError):
        return f"rejected:{result.reason}"
    return type(result).__name__


def one_by_one(handler: WebhookHandler, batch: list[Delivery]) -> list[str]:
    """What `handle` answers to each delivery, one after another."""
    answers = []
    for headers, body, _ in batch:
        try:
            answers.append(said(handler.handle(headers, body)))
        except Exception as exc:
            answers.append(said(exc))
    return answers


def answers(store: IdempotencyStore, recorder: Recorder, batch: list[Delivery]) -> list[str]:
    """What `handle_many` answers to the batch."""
    return [said(outcome.result) for outcome in _handler(store, recorder).handle_many(batch)]


def test_a_mixed_batch_gets_the_answers_of_one_delivery_after_another(
    stores: Callable[[], IdempotencyStore],
) -> None:
    malformed = b'{"event_id": "evt-bad"}'
    headers = signed_headers(malformed, event_id="evt-bad", nonce="nonce-e-000001")
    batch = [
        delivery("evt-1", "nonce-a-000001"),
        delivery("evt-2", "nonce-b-000001"),
        delivery("evt-1", "nonce-c-000001"),  # a redelivery of evt-1, in the same batch
        delivery("evt-3", "nonce-a-000001"),  # a replay of the first delivery's nonce
        delivery("evt-4", "nonce-d-000001", secrets=["forged-secret"]),
        Delivery(headers, malformed),
        Delivery(headers, malformed),  # a malformed body burns its nonce
    ]
    store, recorder = stores(), Recorder()
    expected = one_by_one(_handler(stores(), Recorder()), batch)

    outcomes = _handler(store, recorder).handle_many(batch)

    assert [said(o.result) for o in outcomes] == expected
    # two processed, a duplicate, a replay, a forgery, a malformed body: every kind of answer
    assert len(set(expected)) == 6
    assert [o.event.event_id if o.event else None for o in outcomes] == [
        "evt-1", "evt-2", "evt-1", None, None, None, None,
    ]  # fmt: skip
    assert recorder.seen == ["evt-1", "evt-2"]
    assert store.get("webhook-event:evt-3") is None
    for event_id in ("evt-1", "evt-2"):
        record = store.get(f"webhook-event:{event_id}")
        assert record is not None
        assert record.result == {"status": "processed"}


def test_a_failing_handler_fails_only_its_own_deliveries_and_releases_its_claim(
    store: IdempotencyStore,
) -> None:
    recorder = Recorder(failing=frozenset({"evt-2"}))
    batch = [
        delivery("evt-1", "nonce-a-000001"),
        delivery("evt-2", "nonce-b-000001"),
        delivery("evt-2", "nonce-c-000001"),  # waits for the first, then runs on its own
        delivery("evt-3", "nonce-d-000001"),
    ]

    assert answers(store, recorder, batch) == [
        "processed:evt-1",
        "RuntimeError",
        "RuntimeError",
        "processed:evt-3",
    ]
    assert recorder.seen == ["evt-1", "evt-2", "evt-3", "evt-2"]
    assert store.get("webhook-event:evt-2") is None
    assert answers(store, Recorder(), [delivery("evt-2", "nonce-f-000001")]) == ["processed:evt-2"]


def test_the_handler_runs_after_the_claims_commit_and_each_step_in_its_deliverys_context(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 's.sqlite3'}"
    store, other = open_store(url, clock=_clock), open_store(url, clock=_clock)
    request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id")
    seen: list[tuple[str, str, bool]] = []

    def handler(event: WebhookEvent) -> None:  # another connection already sees the claim
        record = other.get(f"webhook-event:{event.event_id}")
        seen.append((event.event_id, request_id.get(), record is not None))

    batch = []
    for n in (1, 2):
        request_id.set(f"request-{n}")
        batch.append(
            delivery(f"evt-{n}", f"nonce-{n}-000001")._replace(context=contextvars.copy_context())
        )
    verifier = WebhookVerifier([SECRET], store, clock=_clock)

    WebhookHandler(verifier, store, handler).handle_many(batch)

    assert seen == [("evt-1", "request-1", True), ("evt-2", "request-2", True)]
    store.close()
    other.close()


class GroupFails(MemoryStore):
    """A store whose `fail_at`-th group of writes cannot commit (as a SQL store whose
    COMMIT fails: nothing of that group is kept)."""

    def __init__(self, fail_at: int) -> None:
        super().__init__(clock=_clock)
        self.fail_at = fail_at
        self.groups = 0

    @contextmanager
    def grouped(self) -> Iterator[None]:
        self.groups += 1
        yield
        if self.groups == self.fail_at:
            raise StoreUnavailableError("sqlite", "disk I/O error")


def test_claims_that_cannot_commit_fail_every_verified_delivery_and_run_no_handler() -> None:
    store = GroupFails(fail_at=1)
    recorder = Recorder()
    batch = [
        delivery("evt-1", "nonce-a-000001"),
        delivery("evt-2", "nonce-b-000001", secrets=["forged-secret"]),
        delivery("evt-3", "nonce-c-000001"),
    ]

    assert answers(store, recorder, batch) == [
        "StoreUnavailableError",
        "rejected:bad_signature",
        "StoreUnavailableError",
    ]
    assert recorder.seen == []


class GroupCannotBegin(MemoryStore):
    """A store whose groups cannot even begin (a SQL store whose database went away)."""

    @contextmanager
    def grouped(self) -> Iterator[None]:
        raise StoreUnavailableError("postgres", "connection refused")
        yield  # pragma: no cover - a generator, as `grouped` is


def test_a_group_that_cannot_begin_fails_every_delivery_as_an_outage() -> None:
    recorder = Recorder()
    batch = [
        delivery("evt-1", "nonce-a-000001"),
        delivery("evt-2", "nonce-b-000001", secrets=["forged-secret"]),  # never verified
    ]

    outcomes = _handler(GroupCannotBegin(clock=_clock), recorder).handle_many(batch)

    assert [said(outcome.result) for outcome in outcomes] == ["StoreUnavailableError"] * 2
    assert [outcome.event for outcome in outcomes] == [None, None]
    assert recorder.seen == []


class NonceBug(MemoryStore):
    """A replay guard with a bug for one nonce: it raises what no store should."""

    def add_nonce(self, nonce: str, ttl_seconds: float) -> bool:
        if "bug" in nonce:
            raise RuntimeError("replay guard bug")
        return super().add_nonce(nonce, ttl_seconds)


def test_an_unexpected_error_in_verification_fails_only_its_own_delivery() -> None:
    store, recorder = NonceBug(clock=_clock), Recorder()
    batch = [
        delivery("evt-1", "nonce-a-000001"),
        delivery("evt-2", "nonce-bug-0001"),
        delivery("evt-3", "nonce-c-000001"),
    ]

    assert answers(store, recorder, batch) == [
        "processed:evt-1",
        "RuntimeError",
        "processed:evt-3",
    ]
    assert recorder.seen == ["evt-1", "evt-3"]
    assert store.get("webhook-event:evt-2") is None  # nothing claimed: the sender may retry


class ClaimBug(MemoryStore):
    """A store with a bug for one event: its claim, or its completion, raises what no store
    should."""

    def __init__(self, step: str) -> None:
        super().__init__(clock=_clock)
        self.step = step

    def claim(self, key: str, fingerprint: str, lease_seconds: float) -> Claim:
        if self.step == "claim" and key.endswith("evt-2"):
            raise RuntimeError("store bug on claim")
        return super().claim(key, fingerprint, lease_seconds)

    def complete(self, key: str, owner: str, result: dict[str, Any], ttl_seconds: float) -> None:
        if self.step == "complete" and key.endswith("evt-2"):
            raise RuntimeError("store bug on completion")
        super().complete(key, owner, result, ttl_seconds)


@pytest.mark.parametrize("step", ["claim", "complete"])
def test_an_unexpected_store_error_fails_only_its_own_delivery(step: str) -> None:
    store, recorder = ClaimBug(step), Recorder()
    batch = [delivery(f"evt-{n}", f"nonce-{n}-000001") for n in (1, 2, 3)]

    assert answers(store, recorder, batch) == [
        "processed:evt-1",
        "RuntimeError",
        "processed:evt-3",
    ]
    assert recorder.seen == (["evt-1", "evt-3"] if step == "claim" else ["evt-1", "evt-2", "evt-3"])
    for event_id in ("evt-1", "evt-3"):  # batch-mates completed, none left held
        record = store.get(f"webhook-event:{event_id}")
        assert record is not None
        assert record.completed


def test_completions_that_cannot_commit_fail_the_deliveries_whose_handler_ran() -> None:
    store = GroupFails(fail_at=2)
    recorder = Recorder(failing=frozenset({"evt-2"}))
    batch = [delivery("evt-1", "nonce-a-000001"), delivery("evt-2", "nonce-b-000001")]

    # at least once: the sender retries evt-1, whose handler already ran
    assert answers(store, recorder, batch) == ["StoreUnavailableError", "RuntimeError"]
    assert recorder.seen == ["evt-1", "evt-2"]


def test_an_interrupt_in_a_handler_still_ends_every_claim_of_the_batch(
    store: IdempotencyStore,
) -> None:
    def interrupted(event: WebhookEvent) -> None:
        if event.event_id == "evt-2":
            raise KeyboardInterrupt

    verifier = WebhookVerifier([SECRET], store, clock=_clock)
    batch = [delivery(f"evt-{n}", f"nonce-{n}-000001") for n in (1, 2, 3)]

    with pytest.raises(KeyboardInterrupt):
        WebhookHandler(verifier, store, interrupted).handle_many(batch)

    record = store.get("webhook-event:evt-1")
    assert record is not None
    assert record.result == {"status": "processed"}
    assert store.get("webhook-event:evt-2") is None  # released: the retry runs it
    assert store.get("webhook-event:evt-3") is None  # never ran: released, not completed


class CountsGroups(MemoryStore):
    """Counts the groups of writes the handler opens."""

    def __init__(self) -> None:
        super().__init__(clock=_clock)
        self.groups = 0

    @contextmanager
    def grouped(self) -> Iterator[None]:
        self.groups += 1
        yield


def test_refusals_and_duplicates_are_given_out_before_any_handler_runs(
    store: IdempotencyStore,
) -> None:
    recorder = Recorder()
    _handler(store, recorder).handle(*delivery("evt-1", "nonce-a-000001")[:2])
    batch = [
        delivery("evt-2", "nonce-b-000001"),
        delivery("evt-3", "nonce-c-000001", secrets=["forged-secret"]),
        delivery("evt-1", "nonce-d-000001"),  # handled before: a duplicate
    ]
    given_out: list[tuple[list[str], list[str]]] = []  # (the group, the handlers run so far)

    for group in _handler(store, recorder).handle_each(batch):
        given_out.append(([f"{i}={said(o.result)}" for i, o in group], list(recorder.seen)))

    assert given_out == [
        (["1=rejected:bad_signature", "2=duplicate:evt-1"], ["evt-1"]),
        (["0=processed:evt-2"], ["evt-1", "evt-2"]),
    ]


def test_fast_handlers_complete_a_whole_batch_in_one_group() -> None:
    store = CountsGroups()
    batch = [delivery(f"evt-{n}", f"nonce-{n}-000001") for n in range(5)]

    groups = list(_handler(store, Recorder()).handle_each(batch))

    assert [[i for i, _ in group] for group in groups] == [[0, 1, 2, 3, 4]]
    assert store.groups == 2  # the nonces and claims, then the completions


def test_a_slow_handlers_delivery_is_given_out_completed_without_waiting_for_the_others(
    store: IdempotencyStore,
) -> None:
    def slow(event: WebhookEvent) -> None:
        time.sleep(COMPLETION_GROUP_SECONDS * 2)

    verifier = WebhookVerifier([SECRET], store, clock=_clock)
    batch = [delivery(f"evt-{n}", f"nonce-{n}-000001") for n in range(3)]
    given_out = []  # each group, with what the store held for each of its events then

    for group in WebhookHandler(verifier, store, slow).handle_each(batch):
        for index, outcome in group:
            record = store.get(f"webhook-event:evt-{index}")
            given_out.append((index, said(outcome.result), record and record.result))

    done = {"status": "processed"}
    assert given_out == [
        (0, "processed:evt-0", done),
        (1, "processed:evt-1", done),
        (2, "processed:evt-2", done),
    ]


class HeldElsewhere(MemoryStore):
    """Events another process holds; `on_claim(n)` runs before this store's n-th claim (from 1),
    as that process would act meanwhile. Records the keys claimed, in order."""

    def __init__(self, held: list[str], on_claim: Callable[[int], None] = lambda n: None) -> None:
        super().__init__(clock=_clock)
        self.on_claim = on_claim
        self.claimed: list[str] = []
        self.holders = {
            event_id: super(HeldElsewhere, self).claim(
                f"webhook-event:{event_id}", sha256(event_body(event_id)).hexdigest(), 30.0
            )
            for event_id in held
        }

    def claim(self, key: str, fingerprint: str, lease_seconds: float) -> Claim:
        self.claimed.append(key.removeprefix("webhook-event:"))
        self.on_claim(len(self.claimed))
        return super().claim(key, fingerprint, lease_seconds)


def _waiting(store: IdempotencyStore, recorder: Recorder) -> WebhookHandler:
    """A handler that waits 5 pauses of 10 ms for an event another delivery holds."""
    once = ProcessOnce(store, in_progress_wait_seconds=0.05, poll_seconds=0.01)
    verifier = WebhookVerifier([SECRET], store, clock=_clock)
    return WebhookHandler(verifier, store, recorder, once=once)


def test_deliveries_held_elsewhere_are_waited_for_together_not_one_after_another() -> None:
    store, recorder = HeldElsewhere(["evt-a", "evt-b"]), Recorder()
    batch = [delivery("evt-a", "nonce-a-000001"), delivery("evt-b", "nonce-b-000001")]

    outcomes = _waiting(store, recorder).handle_many(batch)

    assert [said(o.result) for o in outcomes] == ["IdempotencyInProgressError"] * 2
    # the batch's claims, then one claim of each after every pause: one wait for both
    assert store.claimed == ["evt-a", "evt-b"] * 6
    assert recorder.seen == []


def test_a_held_event_completed_meanwhile_is_a_duplicate_and_one_released_is_handled() -> None:
    def other_process(claim_number: int) -> None:
        if claim_number == 4:  # after the first pause: done with one event, failed the other
            store.complete(
                "webhook-event:evt-a", store.holders["evt-a"].owner or "", {"ok": 1}, 60.0
            )
            store.release("webhook-event:evt-b", store.holders["evt-b"].owner or "")

    store, recorder = HeldElsewhere(["evt-a", "evt-b"], other_process), Recorder()
    batch = [
        delivery("evt-a", "nonce-a-000001"),
        delivery("evt-b", "nonce-b-000001"),
        delivery("evt-c", "nonce-c-000001"),
    ]

    groups = list(_waiting(store, recorder).handle_each(batch))

    assert [[(i, said(o.result)) for i, o in group] for group in groups] == [
        [(2, "processed:evt-c")],  # not held: handled with the batch, before any wait
        [(0, "duplicate:evt-a")],  # both settled by the first claims after the pause
        [(1, "processed:evt-b")],
    ]
    assert store.claimed == ["evt-a", "evt-b", "evt-c", "evt-a", "evt-b"]
    assert recorder.seen == ["evt-c", "evt-b"]
    record = store.get("webhook-event:evt-b")
    assert record is not None
    assert record.result == {"status": "processed"}


class RecordsCompletions(HeldElsewhere):
    """`HeldElsewhere` that also records the events completed or released, in order."""

    def __init__(self, held: list[str]) -> None:
        super().__init__(held)
        self.ended: list[str] = []

    def complete(self, key: str, owner: str, result: Any, ttl_seconds: float) -> None:
        self.ended.append(key.removeprefix("webhook-event:"))
        super().complete(key, owner, result, ttl_seconds)

    def release(self, key: str, owner: str) -> None:
        self.ended.append(key.removeprefix("webhook-event:"))
        super().release(key, owner)


def test_a_group_writes_its_events_in_their_id_order_whatever_their_arrival_order() -> None:
    """Two receivers on one database given the same events in other orders never wait for
    each other's rows in a cycle (a deadlock PostgreSQL breaks by failing a whole batch):
    claims, retried claims and completions go in event id order; handlers in arrival order."""
    store, recorder = RecordsCompletions(held=["evt-d", "evt-b"]), Recorder(frozenset({"evt-a"}))
    batch = [
        delivery(event_id, f"nonce-{event_id}-000001")
        for event_id in ("evt-d", "evt-c", "evt-a", "evt-b", "evt-e")
    ]

    outcomes = _waiting(store, recorder).handle_many(batch)

    assert [said(o.result) for o in outcomes] == [
        "IdempotencyInProgressError", "processed:evt-c", "RuntimeError",
        "IdempotencyInProgressError", "processed:evt-e",
    ]  # fmt: skip
    assert store.claimed == ["evt-a", "evt-b", "evt-c", "evt-d", "evt-e"] + ["evt-b", "evt-d"] * 5
    assert store.ended == ["evt-a", "evt-c", "evt-e"]  # released, completed, completed
    assert recorder.seen == ["evt-c", "evt-a", "evt-e"]


class RecordsNonces(MemoryStore):
    """A memory store that records the nonces added, in order."""

    def __init__(self) -> None:
        super().__init__(clock=_clock)
        self.nonces: list[str] = []

    def add_nonce(self, nonce: str, ttl_seconds: float) -> bool:
        self.nonces.append(nonce.removeprefix("webhook-nonce:"))
        return super().add_nonce(nonce, ttl_seconds)


def test_a_group_records_its_nonces_in_their_order_whatever_their_arrival_order() -> None:
    """As its claims: two receivers on one database given deliveries with the same nonces in
    other orders never wait for each other's nonce rows in a cycle (PostgreSQL would fail one
    whole batch). Nonce order, not event order: a redelivery of an event has a nonce of its
    own. The answers keep the arrival order."""
    store, recorder = RecordsNonces(), Recorder()
    batch = [
        delivery("evt-b", "nonce-3-000001"),
        delivery("evt-c", "nonce-1-000001"),
        delivery("evt-a", "nonce-2-000001"),
        delivery("evt-c", "nonce-0-000001"),  # a redelivery: the same event, a new nonce
        delivery("evt-a", "nonce-2-000001"),  # a replay
    ]

    outcomes = _handler(store, recorder).handle_many(batch)

    assert store.nonces == [
        "nonce-0-000001", "nonce-1-000001", "nonce-2-000001", "nonce-2-000001", "nonce-3-000001",
    ]  # fmt: skip
    assert [said(o.result) for o in outcomes] == [
        "processed:evt-b", "processed:evt-c", "processed:evt-a", "duplicate:evt-c",
        "rejected:replayed_nonce",
    ]  # fmt: skip
    assert recorder.seen == ["evt-b", "evt-c", "evt-a"]


def _slow_receiver(
    store: IdempotencyStore, lease: float, seconds: float, redeliver: tuple[str, str]
) -> tuple[WebhookHandler, list[str], list[str]]:
    """A handler taking `seconds` per event, over a `lease`; while it handles event
    `redeliver[0]`, the sender gives up on event `redeliver[1]` and sends it again to another
    receiver of the same store (whose leases lapse in real time). Gives the handler, its runs
    and the redelivery's answers."""
    runs: list[str] = []
    redelivered: list[str] = []

    def build(handler: Callable[[WebhookEvent], None]) -> WebhookHandler:
        verifier = WebhookVerifier([SECRET], store, clock=_clock)  # signed at NOW
        once = ProcessOnce(store, lease_seconds=lease, in_progress_wait_seconds=0.02)
        return WebhookHandler(verifier, store, handler, once=once)

    def slow(event: WebhookEvent) -> None:
        runs.append(event.event_id)
        time.sleep(seconds)
        if event.event_id == redeliver[0]:
            headers, body, _ = delivery(redeliver[1], "nonce-r-000001")
            try:
                redelivered.append(said(other.handle(headers, body)))
            except Exception as exc:
                redelivered.append(said(exc))

    other = build(slow)
    return build(slow), runs, redelivered


def test_claims_waiting_behind_slow_handlers_keep_their_lease_and_each_event_runs_once() -> None:
    """Three handlers of 0.4 s each under a 0.6 s lease: the third claim would lapse before
    its handler starts, and a redelivery of its event meanwhile would take it over and run it
    a second time. The waiting claims are renewed, so the redelivery is told it is in
    progress, and each event runs once."""
    handler, runs, redelivered = _slow_receiver(
        MemoryStore(clock=time.time), lease=0.6, seconds=0.4, redeliver=("evt-2", "evt-3")
    )
    batch = [delivery(f"evt-{n}", f"nonce-{n}-000001") for n in (1, 2, 3)]

    outcomes = handler.handle_many(batch)

    assert redelivered == ["IdempotencyInProgressError"]
    assert runs == ["evt-1", "evt-2", "evt-3"]
    assert [said(o.result) for o in outcomes] == [
        "processed:evt-1",
        "processed:evt-2",
        "processed:evt-3",
    ]


@pytest.mark.parametrize("backend", ["memory", "sqlite"])
def test_a_handler_running_longer_than_its_lease_keeps_its_event_and_runs_once(
    backend: str, tmp_path: Path
) -> None:
    """A handler of 1 s under a 0.3 s lease: its claim is renewed while it runs, so a
    redelivery of its own event during it is told it is in progress, not run a second time."""
    url = "memory://" if backend == "memory" else f"sqlite:///{tmp_path / 's.sqlite3'}"
    store = open_store(url)  # its leases lapse in real time
    handler, runs, redelivered = _slow_receiver(
        store, lease=0.3, seconds=1.0, redeliver=("evt-1", "evt-1")
    )

    outcomes = handler.handle_many([delivery("evt-1", "nonce-1-000001")])

    assert redelivered == ["IdempotencyInProgressError"]
    assert runs == ["evt-1"]
    assert [said(o.result) for o in outcomes] == ["processed:evt-1"]
    record = store.get("webhook-event:evt-1")
    assert record is not None
    assert record.result == {"status": "processed"}


def test_a_batch_closed_before_its_handlers_ran_releases_every_claim_it_won() -> None:
    """`handle_each` closed after its first group (the loop that wanted the answers is gone):
    the claims it won are released, not renewed for the life of the process, so the sender's
    redelivery is handled."""
    store = MemoryStore(clock=_clock)
    recorder = Recorder()
    handler = _handler(store, recorder)
    batch = [delivery("evt-1", "nonce-1-000001"), delivery("evt-x", "nonce-1-000001")]

    groups = handler.handle_each(batch)
    first = next(groups)  # the replayed nonce's refusal, before any handler runs
    groups.close()

    assert [i for i, _ in first] == [1]
    assert recorder.seen == []
    assert store.get("webhook-event:evt-1") is None  # released: nothing held, nothing kept
    assert handler._once._keeper._kept == {}
    headers, body, _ = delivery("evt-1", "nonce-1-000002")
    assert said(handler.handle(headers, body)) == "processed:evt-1"
