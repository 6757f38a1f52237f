"""The verdict of a load run: SLOs from Locust's stats, invariants from the evidence (pure).

Evidence: the twin's orders (`TwinAdmin.orders()`, not bounded like its request log, each with
the purchase key it was bought under), the receiver's per-event handling count and rejection
metrics, and the outcome journal of the load users (what they sent and were answered). Every
check says what it expected and what it saw.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from harness.load.journal import Journal
from harness.load.profiles import Profile
from harness.load.stats import RunStats

# Locust exits 0, or 3 (`--exit-code-on-error 3`) when requests failed: the SLOs judge those.
LOCUST_FAILURES_EXIT = 3
LOCUST_OK_EXITS = (0, LOCUST_FAILURES_EXIT)


@dataclass(frozen=True)
class Check:
    name: str
    target: str
    actual: str
    passed: bool
    detail: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Verdict:
    slos: tuple[Check, ...]
    invariants: tuple[Check, ...]

    @property
    def passed(self) -> bool:
        return all(c.passed for c in (*self.slos, *self.invariants))


@dataclass(frozen=True)
class ReceiverRecord:
    handled: Mapping[str, int]  # event id -> times the handler ran
    rejections: Mapping[str, int]  # rejection reason -> count


def evaluate_slos(profile: Profile, stats: RunStats, journal: Journal) -> list[Check]:
    slos = profile.slos
    checks = [
        Check(
            "run completed",
            "locust exit 0 or 3 (failures), no user exceptions, every worker's final report",
            f"exit {journal.exit_code}, {stats.requests} requests, "
            f"{len(journal.exceptions)} exception kinds, {len(journal.gaps)} report gaps",
            journal.exit_code in LOCUST_OK_EXITS
            and stats.requests > 0
            and not journal.exceptions
            and not journal.gaps,
            "; ".join([*(e["msg"] for e in journal.exceptions[:3]), *journal.gaps[:3]]),
        ),
        _error_ratio("business error ratio", stats.of_type("adapter"), slos.max_error_ratio),
        Check(
            "throughput",
            f">= {slos.min_throughput_rps:.1f} rps",
            f"{math.floor(stats.throughput_rps * 10) / 10:.1f} rps",  # 4.96 is not "5.0"
            stats.throughput_rps >= slos.min_throughput_rps,
        ),
    ]
    webhooks = stats.of_type("webhook")
    if webhooks.requests:  # judged on their own: they never dilute the adapter's failures
        checks.append(_error_ratio("webhook error ratio", webhooks, slos.max_error_ratio))
    for slo in slos.latency:
        op = stats.operations.get(slo.operation)
        for label, fraction, bound in (("p95", 0.95, slo.p95_ms), ("p99", 0.99, slo.p99_ms)):
            name = f"{label} {slo.operation}"
            if op is None or op.requests == 0:
                checks.append(Check(name, f"<= {bound:.0f} ms", "no requests", False))
                continue
            actual = op.percentile(fraction)
            checks.append(Check(name, f"<= {bound:.0f} ms", f"{actual} ms", actual <= bound))
    return checks


def _doubled(orders_of_key: Mapping[str, set[str]]) -> list[str]:
    """Keys with more than one order, each shown with its orders."""
    return [
        f"{key}: orders {', '.join(sorted(orders))}"
        for key, orders in sorted(orders_of_key.items())
        if len(orders) > 1
    ]


def no_double_payment(journal: Journal, twin_orders: list[dict[str, Any]] | None) -> Check:
    """No idempotency key paid more than one order.

    On the twin the evidence is the twin's own record: every create and pay of a purchase
    carries the adapter's `X-Purchase-Key` (a digest of the idempotency key), which the twin
    stores on the order, so the paid orders are grouped by key exactly, whatever the users'
    journal holds. Paid orders without a key did not come from a purchase and are only counted.
    The journal adds one check: every order a user was told it bought is paid in the twin.
    On the sandbox (no twin) the journal is the only evidence: the orders each key resolved to.
    """
    bought: dict[str, set[str]] = defaultdict(set)
    for entry in journal.purchases():
        if entry.get("order_id"):
            bought[entry["key"]].add(str(entry["order_id"]))
    problems = []
    if twin_orders is None:
        doubled = _doubled(bought)
        actual = f"{len(bought)} keys, {len(doubled)} doubled (journal)"
        if not bought:
            problems.append("no purchase bought an order")
    else:
        paid_of_key: dict[str, set[str]] = defaultdict(set)
        unkeyed = 0
        for order in twin_orders:
            if order.get("paid_at") is None:
                continue
            if order.get("purchase_key"):
                paid_of_key[order["purchase_key"]].add(str(order["order_id"]))
            else:
                unkeyed += 1
        doubled = _doubled(paid_of_key)
        paid = set().union(*paid_of_key.values()) if paid_of_key else set()
        actual = (
            f"{len(paid_of_key)} keys paid {len(paid)} orders, {len(doubled)} doubled; "
            f"{unkeyed} paid orders without a key"
        )
        unpaid = sorted(set().union(*bought.values()) - paid) if bought else []
        if unpaid:
            problems.append(
                f"{len(unpaid)} orders reported bought are not paid in the twin under a key"
            )
        if not paid_of_key:
            problems.append("the twin holds no order paid by a purchase")
    if doubled:
        problems.insert(0, f"{len(doubled)} keys paid more than one order (e.g. {doubled[:2]})")
    return Check(
        "no_double_payment",
        "each key pays at most one order",
        actual,
        not problems,
        "; ".join(problems),
    )


def webhooks_exactly_once(journal: Journal, receiver: ReceiverRecord) -> Check:
    valid = {e["event_id"] for e in journal.webhooks() if e["variant"] == "valid"}
    duplicates = [e for e in journal.webhooks() if e["variant"] == "duplicate"]
    not_once = sorted(eid for eid in valid if receiver.handled.get(eid, 0) != 1)
    repeated = sorted(eid for eid, n in receiver.handled.items() if n > 1)
    bad_duplicates = [e for e in duplicates if e.get("answer") != "duplicate"]
    problems = []
    if not_once:
        problems.append(f"{len(not_once)} valid events not handled exactly once")
    if repeated:
        problems.append(f"{len(repeated)} events handled more than once")
    if bad_duplicates:
        problems.append(f"{len(bad_duplicates)} redeliveries not acknowledged as duplicate")
    if not valid:
        problems.append("no valid event was sent")
    return Check(
        "webhooks_exactly_once",
        "every valid event handled once",
        f"{len(valid)} valid, {len(duplicates)} redelivered, {len(not_once)} not once",
        not problems,
        "; ".join(problems),
    )


def forgeries_rejected(journal: Journal, receiver: ReceiverRecord) -> Check:
    forged = [e for e in journal.webhooks() if e["variant"] == "forged"]
    replays = [e for e in journal.webhooks() if e["variant"] == "replay"]
    accepted = [e for e in (*forged, *replays) if e.get("status") != 401]
    forged_handled = [e for e in forged if receiver.handled.get(e["event_id"], 0) > 0]
    problems = []
    if accepted:
        problems.append(f"{len(accepted)} forged or replayed deliveries were not refused")
    if forged_handled:
        problems.append(f"{len(forged_handled)} forged events reached the handler")
    if receiver.rejections.get("bad_signature", 0) < len(forged):
        problems.append("receiver counted fewer bad_signature rejections than forgeries sent")
    if receiver.rejections.get("replayed_nonce", 0) < len(replays):
        problems.append("receiver counted fewer replayed_nonce rejections than replays sent")
    if not forged and not replays:
        problems.append("no forged or replayed delivery was sent")
    # the receiver exports every reason from 0: the ones that counted something
    rejections = ", ".join(f"{k}={v}" for k, v in sorted(receiver.rejections.items()) if v)
    return Check(
        "forgeries_rejected",
        "every forged or replayed delivery refused",
        f"{len(forged)} forged, {len(replays)} replayed; rejections: {rejections or 'none'}",
        not problems,
        "; ".join(problems),
    )


def evaluate(
    profile: Profile,
    stats: RunStats,
    journal: Journal,
    twin_orders: list[dict[str, Any]] | None,
    receiver: ReceiverRecord,
) -> Verdict:
    invariants = []
    for name in profile.invariants:
        if name == "no_double_payment":
            invariants.append(no_double_payment(journal, twin_orders))
        elif name == "webhooks_exactly_once":
            invariants.append(webhooks_exactly_once(journal, receiver))
        elif name == "forgeries_rejected":
            invariants.append(forgeries_rejected(journal, receiver))
    return Verdict(tuple(evaluate_slos(profile, stats, journal)), tuple(invariants))


def _error_ratio(name: str, stats: RunStats, bound: float) -> Check:
    """Failures after retries over the calls of one kind; no call at all fails the check."""
    actual = f"{stats.error_ratio:.4f} ({stats.failures}/{stats.requests})"
    return Check(name, f"<= {bound:.4f}", actual, stats.requests > 0 and stats.error_ratio <= bound)
