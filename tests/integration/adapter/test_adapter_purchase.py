"""The checkpointed purchase: resume after a crash at every step, never create or pay twice."""

from __future__ import annotations

import hashlib
import logging
import pathlib
import threading
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest
from adapter_support import KEEPER_THREAD, HeldElsewhere, twin_settings

from g2a_adapter import (
    AsyncG2AClient,
    G2AClient,
    IdempotencyConflictError,
    IdempotencyInProgressError,
    Metrics,
    PurchasePendingError,
    PurchaseResult,
    RequestValidationError,
    Settings,
)
from g2a_adapter.idempotency import JSON, MemoryStore
from harness.twin import SANDBOX_PRODUCT_IDS, RunningTwin

PRODUCT = SANDBOX_PRODUCT_IDS[2]


def metric(metrics: Metrics, name: str) -> float:
    value = metrics.registry.get_sample_value(name)
    return 0.0 if value is None else value


class Crash(Exception):
    """A simulated process crash."""


class CrashingStore(MemoryStore):
    """A MemoryStore that 'crashes' on the n-th fenced write of the purchase (a checkpoint, or
    the lease renewal that fences the first create) or on complete, while armed."""

    def __init__(self, checkpoint_number: int | None = None, on_complete: bool = False) -> None:
        super().__init__()
        self.crash_at = checkpoint_number
        self.crash_on_complete = on_complete
        self.writes = 0

    def _write(self) -> None:
        self.writes += 1
        if self.crash_at == self.writes:
            raise Crash(f"crash at write {self.writes}")

    def checkpoint(self, key: str, owner: str, data: JSON, lease_seconds: float) -> None:
        self._write()
        super().checkpoint(key, owner, data, lease_seconds)

    def renew(self, key: str, owner: str, lease_seconds: float) -> None:
        if threading.current_thread().name != KEEPER_THREAD:  # the purchase's fence
            self._write()
        super().renew(key, owner, lease_seconds)

    def complete(self, key: str, owner: str, result: JSON, ttl_seconds: float) -> None:
        if self.crash_on_complete:
            raise Crash("crash at complete")
        super().complete(key, owner, result, ttl_seconds)

    def disarm(self) -> None:
        self.crash_at, self.crash_on_complete = None, False


def calls(twin: RunningTwin) -> dict[str, list[int]]:
    """Statuses of the order calls in the twin's request log, by call."""
    log: dict[str, list[int]] = {"create": [], "pay": [], "details": [], "key": []}
    for entry in twin.admin.requests():
        path = entry["path"]
        name = (
            "create"
            if path == "/v1/order"
            else "pay"
            if path.startswith("/v1/order/pay/")
            else "details"
            if path.startswith("/v1/order/details/")
            else "key"
            if path.startswith("/v1/order/key/")
            else None
        )
        if name:
            log[name].append(entry["status"])
    return log


def assert_one_purchase(twin: RunningTwin, result: PurchaseResult) -> None:
    """Exactly one order exists at the twin and exactly one pay reached it."""
    log = calls(twin)
    assert log["create"].count(200) == 1
    assert len(log["pay"]) == 1
    (order,) = twin.admin.orders()
    assert order["order_id"] == result.order_id
    assert result.key == twin.admin.order(result.order_id)["key"]


@pytest.fixture
def crash_client(twin: RunningTwin) -> Iterator[tuple[G2AClient, CrashingStore]]:
    store = CrashingStore()
    with G2AClient(twin_settings(twin.export_url), store=store) as client:
        yield client, store


def buy(client: G2AClient, key: str = "order-1", **kwargs: Any) -> PurchaseResult:
    options: dict[str, Any] = {"max_price": 500, "poll_interval": 0.01, "poll_timeout": 2.0}
    options.update(kwargs)
    return client.orders.purchase(PRODUCT, idempotency_key=key, **options)


def test_purchase_runs_every_step_once(client: G2AClient, twin: RunningTwin) -> None:
    result = buy(client)
    assert result.resumed is False
    assert result.currency == "EUR"
    assert result.price == Decimal(repr(twin.admin.product(PRODUCT)["minPrice"]))
    assert result.transaction_id is not None
    assert result.key not in repr(result)
    assert_one_purchase(twin, result)
    log = calls(twin)
    assert (len(log["create"]), len(log["pay"]), len(log["key"])) == (1, 1, 1)


def test_create_and_pay_carry_a_digest_of_the_key_that_the_twin_records(
    client: G2AClient, twin: RunningTwin
) -> None:
    result = buy(client, key="customer-42/order 7\u00e9")  # not a valid header value itself
    digest = hashlib.sha256("customer-42/order 7\u00e9".encode()).hexdigest()[:32]

    keys_sent = {
        entry["path"]: entry["headers"].get("x-purchase-key") for entry in twin.admin.requests()
    }
    assert keys_sent == {
        "/v1/order": digest,
        f"/v1/order/pay/{result.order_id}": digest,
        f"/v1/order/details/{result.order_id}": None,
        f"/v1/order/key/{result.order_id}": None,
    }
    assert twin.admin.order(result.order_id)["purchase_key"] == digest
    # a direct create and pay are no purchase: no key
    order = client.orders.create(PRODUCT)
    client.orders.pay(order.order_id)
    assert twin.admin.order(order.order_id)["purchase_key"] is None


def test_same_key_returns_the_stored_result(client: G2AClient, twin: RunningTwin) -> None:
    first = buy(client)
    twin.admin.clear_requests()
    again = buy(client)
    assert again.resumed is True
    assert again.model_dump(exclude={"resumed"}) == first.model_dump(exclude={"resumed"})
    assert twin.admin.requests() == []


def test_same_key_other_arguments_is_refused(client: G2AClient, twin: RunningTwin) -> None:
    buy(client)
    twin.admin.clear_requests()
    with pytest.raises(IdempotencyConflictError, match="order-1"):
        buy(client, max_price=999)
    with pytest.raises(IdempotencyConflictError):
        client.orders.purchase(SANDBOX_PRODUCT_IDS[3], idempotency_key="order-1")
    assert twin.admin.requests() == []


@pytest.mark.parametrize(
    "key", ["", "   ", "k" * 201, "a\x00b", "tab\there", "line\n", "\ud800", 42]
)
def test_bad_idempotency_keys_are_refused(
    client: G2AClient, twin: RunningTwin, key: object
) -> None:
    twin.admin.clear_requests()
    with pytest.raises(RequestValidationError) as refused:
        buy(client, key=key)  # type: ignore[arg-type]  # a caller without type checks
    assert str(refused.value) == (
        "idempotency_key must be 1 to 200 printable characters, not only spaces"
    )
    assert twin.admin.requests() == []


@pytest.mark.parametrize("key", ["k" * 200, "cart 42 / ünïcode ✓", " padded "])
def test_printable_keys_of_any_script_are_accepted(client: G2AClient, key: str) -> None:
    assert buy(client, key=key).key


# fenced write number -> (what is stored when it crashes, what the resume does)
CRASHES = {
    1: "before create was sent: nothing stored, resume creates",
    3: "after create, before pay: resume pays the stored order",
    4: "after pay, before it was recorded: resume asks details, does not pay again",
    5: "after the order completed: resume fetches the key",
    6: "before the key fetch: resume fetches the key",
}


@pytest.mark.parametrize("checkpoint", sorted(CRASHES), ids=list(CRASHES.values()))
def test_crash_then_resume_never_creates_or_pays_twice(
    crash_client: tuple[G2AClient, CrashingStore], twin: RunningTwin, checkpoint: int
) -> None:
    client, store = crash_client
    store.crash_at = checkpoint
    with pytest.raises(Crash):
        buy(client)
    store.disarm()
    result = buy(client)
    assert result.resumed is (checkpoint != 1)
    assert_one_purchase(twin, result)
    assert len(calls(twin)["pay"]) == 1
    if checkpoint == 4:
        assert result.transaction_id is None  # learnt from details, not from the lost answer


def test_crash_after_create_before_recording_it_creates_anew_and_pays_once(
    crash_client: tuple[G2AClient, CrashingStore],
    twin: RunningTwin,
    caplog: pytest.LogCaptureFixture,
) -> None:
    client, store = crash_client
    store.crash_at = 2  # the order exists at G2A, its `created` record fails
    with caplog.at_level(logging.WARNING, logger="g2a_adapter.purchase"):
        with pytest.raises(Crash):
            buy(client)
        (orphan,) = twin.admin.orders()
        store.disarm()
        result = buy(client)
    assert result.resumed is True
    assert calls(twin)["create"] == [200, 200]  # the lost order and its replacement
    assert calls(twin)["pay"] == [200]  # only the recorded order is ever paid
    orders = {o["order_id"]: o["status"] for o in twin.admin.orders()}
    assert orders[result.order_id] == "complete"
    assert sorted(orders.values()) == ["complete", "new"]  # the orphan stays unpaid
    abandon_logs = [r.getMessage() for r in caplog.records if "create abandoned" in r.getMessage()]
    assert len(abandon_logs) == 1
    assert f"(order id {orphan['order_id']})" in abandon_logs[0]
    assert "order-1" not in abandon_logs[0]  # the key's digest, not the key
    record = store.get("order-1")
    assert record is not None
    assert record.checkpoint is not None
    (abandoned,) = record.checkpoint["abandoned_orders"]  # recorded by the second write
    assert abandoned["order_id"] == orphan["order_id"]
    assert abandoned["reason"] == "its id could not be recorded"


def test_crash_at_complete_still_hands_the_key_over(
    crash_client: tuple[G2AClient, CrashingStore], twin: RunningTwin
) -> None:
    client, store = crash_client
    store.crash_on_complete = True
    result = buy(client)
    assert_one_purchase(twin, result)


def test_transport_crash_before_pay_resumes_with_one_pay(twin: RunningTwin) -> None:
    real = httpx.HTTPTransport()
    crashed: list[str] = []

    class CrashBeforePay(httpx.BaseTransport):
        def handle_request(self, request: httpx.Request) -> httpx.Response:
            if request.method == "PUT" and not crashed:
                crashed.append(request.url.path)
                raise Crash("process died before sending pay")
            return real.handle_request(request)

        def close(self) -> None:
            real.close()

    settings = twin_settings(twin.export_url)
    with G2AClient(settings, transport=CrashBeforePay(), store=MemoryStore()) as client:
        with pytest.raises(Crash):
            buy(client)
        result = buy(client)
    assert crashed
    assert result.resumed is True
    assert calls(twin)["pay"] == [200]
    assert calls(twin)["details"][0] == 200  # reconciled before paying
    assert_one_purchase(twin, result)


def test_faults_on_every_step_still_one_paid_order(
    client: G2AClient, twin: RunningTwin, metrics: Metrics
) -> None:
    admin = twin.admin
    admin.add_fault(route="/v1/order", method="POST", kind="status", status=503, times=1)
    admin.add_fault(route="/v1/order/pay/*", kind="reset", phase="after", times=1)
    admin.add_fault(route="/v1/order/details/*", kind="status", status=502, times=1)
    result = buy(client)  # every ambiguity is resolved within the run
    log = calls(twin)
    assert log["create"] == [503, 200]  # the 503 may have acted: recorded as abandoned
    assert len(log["pay"]) == 1  # the lost answer; details then said it is paid
    assert log["key"] == [200]
    assert result.transaction_id is None  # the pay's answer never arrived
    assert_one_purchase(twin, result)
    assert metric(metrics, "g2a_purchase_orders_abandoned_total") == 1


def test_eight_concurrent_callers_with_one_key(client: G2AClient, twin: RunningTwin) -> None:
    barrier = threading.Barrier(8)
    results: list[PurchaseResult] = []
    errors: list[BaseException] = []

    def work() -> None:
        barrier.wait()
        try:
            results.append(buy(client, key="shared", wait_timeout=10.0))
        except BaseException as exc:  # collected for the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len({(r.order_id, r.key) for r in results}) == 1
    assert sorted(r.resumed for r in results) == [False] + [True] * 7
    log = calls(twin)
    assert (log["create"], log["pay"], log["key"]) == ([200], [200], [200])


def test_live_lease_elsewhere_is_in_progress(settings: Settings, twin: RunningTwin) -> None:
    with (
        G2AClient(settings, store=HeldElsewhere("busy", 60)) as client,
        pytest.raises(IdempotencyInProgressError, match="busy"),
    ):
        buy(client, key="busy", wait_timeout=0.1)
    assert twin.admin.requests() == []


def test_slow_completion_is_pending_then_resumes(client: G2AClient, twin: RunningTwin) -> None:
    twin.admin.configure(completion_delay_seconds=30)
    with pytest.raises(PurchasePendingError, match="same key"):
        buy(client, poll_timeout=0.1)
    (order,) = twin.admin.orders()
    twin.admin.set_order(order["order_id"], status="complete")  # its processing ended
    result = buy(client)
    assert result.resumed is True
    assert_one_purchase(twin, result)


def test_a_twin_saying_pending_for_a_paid_order_still_hands_the_key_over(
    client: G2AClient, twin: RunningTwin
) -> None:
    """The twin's `paid` is an assumption (docs/g2a-api.md §1); `pending`, the word seen, is
    one the adapter reads as paid too: the purchase waits on it and never pays again."""
    twin.admin.configure(status_words={"paid": "pending"}, completion_delay_seconds=0.3)
    result = buy(client)
    assert_one_purchase(twin, result)
    assert twin.admin.order(result.order_id)["status"] == "complete"


def test_configured_sqlite_store_survives_a_new_client(
    twin: RunningTwin, tmp_path: pathlib.Path
) -> None:
    """A restarted service (new client, same G2A_IDEMPOTENCY_URL) gets the stored result."""
    settings = twin_settings(
        twin.export_url, idempotency_url=f"sqlite:///{tmp_path / 'purchases.sqlite3'}"
    )
    with G2AClient(settings) as first_process:
        first = buy(first_process, key="restart-1")
    with G2AClient(settings) as second_process:
        again = buy(second_process, key="restart-1")
    assert again.resumed is True
    assert (again.order_id, again.key) == (first.order_id, first.key)
    assert_one_purchase(twin, first)


@pytest.mark.anyio
async def test_async_client_resumes_from_the_sync_clients_checkpoint(
    twin: RunningTwin,
) -> None:
    settings = twin_settings(twin.export_url)
    store = CrashingStore(checkpoint_number=4)  # the pay answer arrives, its record does not
    with G2AClient(settings, store=store) as client, pytest.raises(Crash):
        buy(client, key="mixed")
    store.disarm()
    async with AsyncG2AClient(settings, store=store) as aclient:
        result = await aclient.orders.purchase(
            PRODUCT, idempotency_key="mixed", max_price=500, poll_interval=0.01
        )
    assert result.resumed is True
    assert result.transaction_id is None  # learnt from details after the lost record
    assert_one_purchase(twin, result)
