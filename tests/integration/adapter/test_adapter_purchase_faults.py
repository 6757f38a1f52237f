"""Ambiguous answers on the purchase's create, pay and key steps, and the purchase's lease.

Each test reproduces a fault class against the served twin: the twin acts and then answers an
error (`phase="after"`), or answers the error without acting (`phase="before"`).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from typing import Any

import pytest
from adapter_support import KEEPER_THREAD, HeldElsewhere, twin_settings

from g2a_adapter import (
    G2AApiError,
    G2AClient,
    IdempotencyInProgressError,
    KeyDeliveryLostError,
    LeaseLostError,
    Metrics,
    OutcomeUnknownError,
    PurchaseResult,
    ResponseFormatError,
    Settings,
)
from g2a_adapter.idempotency import JSON, MemoryStore
from harness.twin import SANDBOX_PRODUCT_IDS, RunningTwin

PRODUCT = SANDBOX_PRODUCT_IDS[2]
KEY_ROUTE = "/v1/order/key/*"
PAY_ROUTE = "/v1/order/pay/*"
LEASE_SECONDS = 15.0  # the default G2A_PURCHASE_LEASE_MS


def buy(client: G2AClient, key: str = "order-1", **kwargs: Any) -> PurchaseResult:
    options: dict[str, Any] = {"max_price": 500, "poll_interval": 0.01, "poll_timeout": 2.0}
    options.update(kwargs)
    return client.orders.purchase(PRODUCT, idempotency_key=key, **options)


def metric(metrics: Metrics, name: str) -> float:
    return metrics.registry.get_sample_value(name) or 0.0


def statuses(twin: RunningTwin, prefix: str) -> list[int | None]:
    return [e["status"] for e in twin.admin.requests() if e["path"].startswith(prefix)]


def creates(twin: RunningTwin) -> list[int | None]:
    return [e["status"] for e in twin.admin.requests() if e["path"] == "/v1/order"]


def paid_orders(twin: RunningTwin) -> list[dict[str, Any]]:
    return [o for o in twin.admin.orders() if o["status"] != "new"]


# --- §1 the key --------------------------------------------------------------------------------

LOSING_FAULTS = [
    pytest.param({"kind": "reset", "phase": "after"}, id="reset-after-handing-out"),
    pytest.param({"kind": "status", "status": 502, "phase": "after"}, id="502-after"),
    pytest.param({"kind": "status", "status": 503, "phase": "after"}, id="503-after"),
    pytest.param({"kind": "malformed", "phase": "after"}, id="malformed-answer"),
]


@pytest.mark.parametrize("fault", LOSING_FAULTS)
def test_a_key_handed_to_a_lost_answer_is_a_typed_lost_key(
    client: G2AClient,
    twin: RunningTwin,
    metrics: Metrics,
    store: MemoryStore,
    caplog: pytest.LogCaptureFixture,
    fault: dict[str, Any],
) -> None:
    twin.admin.add_fault(route=KEY_ROUTE, times=1, **fault)
    with (
        caplog.at_level(logging.ERROR, logger="g2a_adapter.purchase"),
        pytest.raises(KeyDeliveryLostError) as caught,
    ):
        buy(client)
    (order,) = twin.admin.orders()
    lost = caught.value
    assert (lost.order_id, lost.transaction_id) == (order["order_id"], order["transaction_id"])
    assert isinstance(lost.__cause__, G2AApiError)
    assert lost.__cause__.code == "ORD004"
    assert "ask G2A support" in str(lost)
    assert order["key"] not in str(lost)
    assert statuses(twin, "/v1/order/key/")[1] == 400  # asked again at once: ORD004
    assert metric(metrics, "g2a_key_delivery_lost_total") == 1
    (logged,) = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert order["order_id"] in logged.getMessage()
    assert "lost" in logged.getMessage()
    record = store.get("order-1")
    assert record is not None
    assert record.checkpoint is not None
    assert record.checkpoint["step"] == "key_lost"

    twin.admin.clear_requests()
    with pytest.raises(KeyDeliveryLostError) as again:  # the re-run: the same error at once
        buy(client)
    assert (again.value.order_id, again.value.transaction_id) == (
        lost.order_id,
        lost.transaction_id,
    )
    assert twin.admin.requests() == []  # nothing sent: the state is known
    assert metric(metrics, "g2a_key_delivery_lost_total") == 1  # counted once
    assert len(paid_orders(twin)) == 1


@pytest.mark.parametrize(
    "fault",
    [
        pytest.param({"kind": "reset", "phase": "before"}, id="reset-before-handing-out"),
        pytest.param({"kind": "status", "status": 503, "phase": "before"}, id="503-before"),
        pytest.param({"kind": "status", "status": 429}, id="429"),
    ],
)
def test_a_key_that_never_left_is_fetched_in_the_same_run(
    client: G2AClient, twin: RunningTwin, metrics: Metrics, fault: dict[str, Any]
) -> None:
    twin.admin.add_fault(route=KEY_ROUTE, times=1, **fault)
    result = buy(client)
    (order,) = twin.admin.orders()
    assert result.key == order["key"]
    assert len(statuses(twin, "/v1/order/key/")) == 2
    assert metric(metrics, "g2a_key_delivery_lost_total") == 0


def test_the_key_fetch_has_its_own_generous_read_timeout(twin: RunningTwin) -> None:
    twin.admin.add_fault(route=KEY_ROUTE, kind="latency", latency_ms=600, times=1)
    settings = twin_settings(twin.export_url, timeout_ms=200, key_timeout_ms=5000)
    with G2AClient(settings, store=MemoryStore()) as client:
        result = buy(client)
    assert result.key == twin.admin.order(result.order_id)["key"]
    assert statuses(twin, "/v1/order/key/") == [200]


def test_the_key_is_stored_in_the_step_that_receives_it(
    client: G2AClient, twin: RunningTwin, store: MemoryStore
) -> None:
    result = buy(client)
    record = store.get("order-1")
    assert record is not None
    assert record.result is not None
    assert record.result["key"] == result.key
    assert record.checkpoint is not None
    assert record.checkpoint["step"] == "fetching_key"


def test_a_key_that_arrived_under_another_content_type_is_kept(
    client: G2AClient, twin: RunningTwin, metrics: Metrics, store: MemoryStore
) -> None:
    """The key's JSON labelled text/html (a proxy rewriting the header): G2A handed it out
    once, so the client reads the body whatever its label, never asks again and never calls
    the key lost."""
    twin.admin.add_fault(route=KEY_ROUTE, kind="content_type", phase="after", times=1)
    result = buy(client)
    (order,) = twin.admin.orders()
    assert result.key == order["key"]
    assert statuses(twin, "/v1/order/key/") == [200]
    assert metric(metrics, "g2a_key_delivery_lost_total") == 0
    record = store.get("order-1")
    assert record is not None
    assert record.result is not None
    assert record.result["key"] == order["key"]


def test_a_mislabelled_answer_of_another_route_is_still_refused(
    client: G2AClient, twin: RunningTwin
) -> None:
    """Only the key is read whatever its label: a read that can be asked again is."""
    twin.admin.add_fault(route="/v1/products", kind="content_type")
    with pytest.raises(ResponseFormatError, match="2xx answer is not JSON"):
        client.products.list()


# --- §2 ambiguous create and pay -------------------------------------------------------------


def test_a_pay_that_acted_then_answered_already_paid_is_resolved_as_paid(
    client: G2AClient, twin: RunningTwin
) -> None:
    # the twin pays, then answers 429; the retry meets "already paid" (ORD06)
    twin.admin.add_fault(route=PAY_ROUTE, kind="status", status=429, phase="after", times=1)
    result = buy(client)
    assert statuses(twin, "/v1/order/pay/") == [429, 400]
    (order,) = paid_orders(twin)
    assert result.order_id == order["order_id"]
    assert result.key == order["key"]
    assert result.transaction_id is None  # neither answer carried it


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_a_pay_with_an_ambiguous_5xx_is_resolved_through_order_details(
    client: G2AClient, twin: RunningTwin, status: int
) -> None:
    twin.admin.add_fault(route=PAY_ROUTE, kind="status", status=status, phase="after", times=1)
    result = buy(client)
    assert statuses(twin, "/v1/order/pay/") == [status]  # never sent twice
    assert [o["order_id"] for o in paid_orders(twin)] == [result.order_id]


def test_a_pay_refused_before_acting_is_raised_and_resumed_by_paying_once(
    client: G2AClient, twin: RunningTwin
) -> None:
    twin.admin.add_fault(route=PAY_ROUTE, kind="status", status=503, phase="before", times=1)
    with pytest.raises(OutcomeUnknownError, match="503"):
        buy(client)  # details say "new": not paid, and not paid again blindly in this run
    result = buy(client)
    assert statuses(twin, "/v1/order/pay/") == [503, 200]
    assert [o["order_id"] for o in paid_orders(twin)] == [result.order_id]
    assert result.transaction_id == twin.admin.order(result.order_id)["transaction_id"]


class LapsingStore(MemoryStore):
    """Lets the first order's reservation lapse at the twin just before its pay is sent."""

    def __init__(self, twin: RunningTwin) -> None:
        super().__init__()
        self._twin = twin
        self.lapsed: list[str] = []

    def checkpoint(self, key: str, owner: str, data: JSON, lease_seconds: float) -> None:
        super().checkpoint(key, owner, data, lease_seconds)
        if data.get("step") == "paying" and not self.lapsed:
            self.lapsed.append(data["order_id"])
            self._twin.admin.set_order(data["order_id"], created_at=0)


@pytest.mark.parametrize("word", ["new", "expired"])
def test_a_pay_refused_too_late_starts_again_from_a_new_order(
    settings: Settings, twin: RunningTwin, word: str
) -> None:
    """ORD114 whatever word the twin shows for a lapsed order: never recorded as paid."""
    twin.admin.configure(status_words={"lapsed": word})
    store = LapsingStore(twin)
    with G2AClient(settings, store=store) as client:
        result = buy(client)
        [lapsed] = store.lapsed
        assert client.orders.details(lapsed).status == word
    assert statuses(twin, "/v1/order/pay/") == [403, 200]
    assert [o["order_id"] for o in paid_orders(twin) if o["order_id"] != lapsed] == [
        result.order_id
    ]
    record = store.get("order-1")
    assert record is not None
    assert record.checkpoint is not None
    [abandoned] = record.checkpoint["abandoned_orders"]
    assert (abandoned["order_id"], abandoned["reason"]) == (
        lapsed,
        "its reservation lapsed unpaid (ORD114)",
    )


def test_creates_that_acted_then_failed_are_recorded_logged_and_counted(
    client: G2AClient,
    twin: RunningTwin,
    metrics: Metrics,
    store: MemoryStore,
    caplog: pytest.LogCaptureFixture,
) -> None:
    twin.admin.add_fault(
        route="/v1/order", method="POST", kind="status", status=503, phase="after", times=2
    )
    with caplog.at_level(logging.WARNING, logger="g2a_adapter.purchase"):
        result = buy(client)
    assert creates(twin) == [503, 503, 200]
    orders = {o["order_id"]: o["status"] for o in twin.admin.orders()}
    assert sorted(orders.values()) == ["complete", "new", "new"]  # two unpaid, never paid
    assert orders[result.order_id] == "complete"
    assert metric(metrics, "g2a_purchase_orders_abandoned_total") == 2
    record = store.get("order-1")
    assert record is not None
    assert record.checkpoint is not None
    abandoned: list[JSON] = record.checkpoint["abandoned_orders"]
    assert [a["reason"] for a in abandoned] == [
        "POST /v1/order: answered 503 after the request was sent; the call may have taken effect"
    ] * 2
    assert sum("create abandoned" in r.getMessage() for r in caplog.records) == 2


def test_creates_that_stay_ambiguous_end_the_run_after_three(
    client: G2AClient, twin: RunningTwin, metrics: Metrics
) -> None:
    twin.admin.add_fault(route="/v1/order", method="POST", kind="status", status=502)
    with pytest.raises(OutcomeUnknownError):
        buy(client)
    assert creates(twin) == [502, 502, 502]
    assert paid_orders(twin) == []
    assert metric(metrics, "g2a_purchase_orders_abandoned_total") == 2


ABANDONED_NOTE = (
    "this purchase gave up {n} order create(s) whose answer was lost: G2A may hold them as "
    "unpaid orders reserving stock for up to 30 minutes (see the purchase's checkpoint, "
    "`abandoned_orders`, and g2a_purchase_orders_abandoned_total)"
)


def test_an_error_after_abandoned_creates_says_they_may_hold_stock(
    client: G2AClient, twin: RunningTwin
) -> None:
    """The last unit of a product reserved by the purchase's own abandoned order: the
    out-of-stock refusal that follows says so (before, only a WARNING log line did)."""
    twin.admin.update_product(PRODUCT, qty=1)
    twin.admin.add_fault(route="/v1/order", method="POST", kind="reset", phase="after", times=1)
    with pytest.raises(G2AApiError) as refused:
        buy(client)
    assert (refused.value.code, refused.value.status_code) == ("ORD07", 400)
    assert refused.value.__notes__ == [ABANDONED_NOTE.format(n=1)]


def test_the_last_ambiguous_create_names_the_ones_given_up_before_it(
    client: G2AClient, twin: RunningTwin
) -> None:
    twin.admin.add_fault(route="/v1/order", method="POST", kind="status", status=502)
    with pytest.raises(OutcomeUnknownError) as unknown:
        buy(client)
    assert unknown.value.__notes__ == [ABANDONED_NOTE.format(n=2)]


# --- §3 leases -------------------------------------------------------------------------------


def test_in_progress_names_the_holder_and_until_when(settings: Settings, twin: RunningTwin) -> None:
    store = HeldElsewhere("busy", LEASE_SECONDS)
    with (
        G2AClient(settings, store=store) as client,
        pytest.raises(IdempotencyInProgressError) as caught,
    ):
        buy(client, key="busy", wait_timeout=0.1)
    record = store.get("busy")
    assert record is not None
    assert record.lease_expires_at is not None
    error = caught.value
    assert error.lease_expires_at == record.lease_expires_at
    assert error.holder == f"{socket.gethostname()} pid {os.getpid()}"
    assert f"held by {error.holder} until 20" in str(error)
    assert twin.admin.requests() == []


class TakeoverStore(MemoryStore):
    """Simulates a frozen holder: before its `freeze_at`-th fenced write (a checkpoint, or the
    lease renewal that fences the first create), its lease lapses and another caller takes
    the key over."""

    def __init__(self, freeze_at: int) -> None:
        self.now = 1_000_000.0
        super().__init__(clock=lambda: self.now)
        self.freeze_at = freeze_at
        self.writes = 0

    def _write(self, key: str) -> None:
        self.writes += 1
        if self.writes == self.freeze_at:
            self.now += LEASE_SECONDS + 1
            record = self.get(key)
            assert record is not None
            assert self.claim(key, record.fingerprint, LEASE_SECONDS).taken_over

    def checkpoint(self, key: str, owner: str, data: JSON, lease_seconds: float) -> None:
        self._write(key)
        super().checkpoint(key, owner, data, lease_seconds)

    def renew(self, key: str, owner: str, lease_seconds: float) -> None:
        if threading.current_thread().name != KEEPER_THREAD:  # the purchase's fence
            self._write(key)
        super().renew(key, owner, lease_seconds)


@pytest.mark.parametrize(
    ("freeze_at", "sent"),
    [(1, []), (3, ["create"]), (5, ["create", "pay"])],
    ids=["before-create", "before-pay", "before-key"],
)
def test_a_holder_whose_lease_was_taken_over_stops_before_sending_anything_else(
    twin: RunningTwin, freeze_at: int, sent: list[str]
) -> None:
    store = TakeoverStore(freeze_at)
    with (
        G2AClient(twin_settings(twin.export_url), store=store) as client,
        pytest.raises(LeaseLostError, match="taken over") as caught,
    ):
        buy(client)
    assert isinstance(caught.value.__cause__, LeaseLostError)
    paths = [e["path"] for e in twin.admin.requests()]
    kinds = [
        "create" if p == "/v1/order" else "pay" if p.startswith("/v1/order/pay/") else "other"
        for p in paths
    ]
    assert [k for k in kinds if k != "other"] == sent
    assert not any(p.startswith("/v1/order/key/") for p in paths)
