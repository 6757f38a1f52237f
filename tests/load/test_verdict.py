"""The verdict's arithmetic and invariants on hand-made evidence (no Locust, no twin)."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from harness.load.journal import Journal, read_journal, write_journal
from harness.load.profiles import get_profile
from harness.load.report import build_report
from harness.load.stats import OperationStats, RunStats, read_stats, write_stats_csv
from harness.load.verdict import (
    ReceiverRecord,
    evaluate,
    forgeries_rejected,
    no_double_payment,
    webhooks_exactly_once,
)


def _op(name: str, times: dict[int, int], failures: int = 0) -> OperationStats:
    return OperationStats(name, "adapter", sum(times.values()), failures, times, 100.0, 110.0)


def test_percentiles_follow_locusts_histogram_method() -> None:
    # 100 requests: 90 at 10 ms, 5 at 200 ms, 4 at 900 ms, 1 at 3000 ms. Like Locust's
    # calculate_response_time_percentile: the slowest bucket with at most p*n requests faster.
    op = _op("products.list", {10: 90, 200: 5, 900: 4, 3000: 1})

    assert op.percentile(0.50) == 10
    assert op.percentile(0.89) == 10
    assert op.percentile(0.90) == 200
    assert op.percentile(0.95) == 900
    assert op.percentile(0.99) == 3000
    assert _op("empty", {}).percentile(0.95) == 0


def test_a_throughput_just_short_of_its_target_is_not_shown_as_reaching_it() -> None:
    """4.96 rps against the smoke profile's 5 rps was shown as "5.0 rps" next to ">= 5.0 rps"
    and FAIL: the verdict shows the rate rounded down, as a lower bound is read."""
    stats = RunStats({"a": _op("a", {5: 50})}, test_started=110.0 - 10.08)  # 50 in 10.08 s
    verdict = evaluate(get_profile("smoke"), stats, Journal(), None, ReceiverRecord({}, {}))
    throughput = next(c for c in verdict.slos if c.name == "throughput")

    assert (throughput.target, throughput.actual, throughput.passed) == (
        ">= 5.0 rps",
        "4.9 rps",
        False,
    )


def test_run_totals_span_every_operation() -> None:
    stats = RunStats({"a": _op("a", {5: 30}, failures=3), "b": _op("b", {5: 10}, failures=1)})

    assert (stats.requests, stats.failures) == (40, 4)
    assert stats.error_ratio == 0.1
    assert stats.duration_s == 10.0
    assert stats.throughput_rps == 4.0


def test_throughput_runs_from_the_test_s_start_wherever_it_is_shown(tmp_path: Path) -> None:
    """One rate, Locust's: from the test's start (the journal's `test_started`, when Locust
    reset its stats) to the last request, in the verdict, load.json and locust_stats.csv alike;
    `duration_s` stays what ran, first to last request."""
    ops = {"a": _op("a", {5: 30}), "b": _op("b", {5: 10})}  # first request at 100, last at 110
    stats = RunStats(ops, test_started=98.0)
    verdict = evaluate(get_profile("smoke"), stats, Journal(), None, ReceiverRecord({}, {}))
    report = build_report(
        profile=get_profile("smoke"), target="twin", workers=0, expected_workers=0,
        verdict=verdict, stats=stats, journal=Journal(), files={}, web=False, peak_users=6,
    )  # fmt: skip
    write_stats_csv(tmp_path / "locust_stats.csv", stats)
    with (tmp_path / "locust_stats.csv").open(newline="") as rows:
        aggregated = next(row for row in csv.DictReader(rows) if row["Name"] == "Aggregated")

    assert stats.throughput_rps == 40 / 12
    assert report["totals"]["throughput_rps"] == 40 / 12
    assert float(aggregated["Requests/s"]) == 40 / 12
    assert next(c for c in verdict.slos if c.name == "throughput").actual == "3.3 rps"
    assert report["totals"]["duration_s"] == 10.0
    assert RunStats(ops).throughput_rps == 4.0  # the run did not say: from the first request


def test_locust_json_stats_are_read_with_string_histogram_keys(tmp_path: Path) -> None:
    path = tmp_path / "locust_stats.json"
    entry = {
        "name": "orders.purchase",
        "method": "adapter",
        "num_requests": 3,
        "num_failures": 1,
        "num_none_requests": 0,
        "total_response_time": 164.0,
        "min_response_time": 12,
        "max_response_time": 140,
        "total_content_length": 300,
        "response_times": {"12": 2, "140": 1},
        "start_time": 10.0,
        "last_request_timestamp": 14.0,
    }
    path.write_text(json.dumps([entry]))

    stats = read_stats(path)

    assert stats.operations["orders.purchase"].response_times == {12: 2, 140: 1}
    assert stats.operations["orders.purchase"].percentile(0.99) == 140
    assert read_stats(tmp_path / "missing.json").requests == 0


def _purchase(key: str, order: str | None, **extra: Any) -> dict[str, Any]:
    return {"op": "purchase", "key": key, "order_id": order, **extra}


def _paid(key: str | None, *orders: str) -> list[dict[str, Any]]:
    """Twin orders (as `GET /__twin/orders` lists them) paid under one purchase key."""
    return [{"order_id": o, "paid_at": 1.0, "purchase_key": key} for o in orders]


def test_repeats_that_resolve_to_the_same_order_keep_the_payment_invariant() -> None:
    journal = Journal([_purchase("k1", "1"), _purchase("k1", "1"), _purchase("k2", "2")])
    unpaid = {"order_id": "3", "paid_at": None, "purchase_key": "k3"}

    check = no_double_payment(journal, [*_paid("k1", "1"), *_paid("k2", "2"), unpaid])

    assert check.passed, check.detail
    assert check.actual == "2 keys paid 2 orders, 0 doubled; 0 paid orders without a key"


def test_a_key_the_twin_saw_pay_two_orders_breaks_it_whatever_the_journal_holds() -> None:
    # the journal lost the purchase that paid order 7: the twin's record still tells
    journal = Journal([_purchase("k1", "1")])

    check = no_double_payment(journal, [*_paid("k1", "1", "7"), *_paid("k2", "8")])

    assert not check.passed
    assert check.actual == "2 keys paid 3 orders, 1 doubled; 0 paid orders without a key"
    assert check.detail == "1 keys paid more than one order (e.g. ['k1: orders 1, 7'])"


def test_paid_orders_missing_from_the_journal_are_no_breach() -> None:
    """The CI failure: 40 orders paid by 40 keys, the journal holding 37 of them."""
    journal = Journal([_purchase(f"k{i}", str(i)) for i in range(37)])
    twin = [order for i in range(40) for order in _paid(f"k{i}", str(i))]

    check = no_double_payment(journal, twin)

    assert check.passed, check.detail
    assert check.actual == "40 keys paid 40 orders, 0 doubled; 0 paid orders without a key"


def test_paid_orders_without_a_key_are_counted_apart() -> None:
    check = no_double_payment(Journal(), [*_paid("k1", "1"), *_paid(None, "2", "3")])

    assert check.passed, check.detail
    assert check.actual == "1 keys paid 1 orders, 0 doubled; 2 paid orders without a key"


def test_an_order_reported_bought_but_unpaid_in_the_twin_is_a_breach() -> None:
    unkeyed = no_double_payment(Journal([_purchase("k1", "1")]), _paid(None, "1"))
    assert not unkeyed.passed
    assert unkeyed.detail == (
        "1 orders reported bought are not paid in the twin under a key; "
        "the twin holds no order paid by a purchase"
    )
    other = no_double_payment(
        Journal([_purchase("k1", "1"), _purchase("k2", "2")]), _paid("k2", "2")
    )
    assert other.detail == "1 orders reported bought are not paid in the twin under a key"


def test_without_a_twin_the_journal_alone_shows_a_doubled_key() -> None:
    journal = Journal(
        [_purchase("k1", "1"), _purchase("k1", "7", repeat=True), _purchase("k2", "2")]
    )

    check = no_double_payment(journal, None)

    assert not check.passed
    assert check.actual == "2 keys, 1 doubled (journal)"
    assert check.detail == "1 keys paid more than one order (e.g. ['k1: orders 1, 7'])"
    assert no_double_payment(Journal([_purchase("k1", "1")]), None).passed
    assert no_double_payment(Journal(), None).detail == "no purchase bought an order"


def _hook(variant: str, event: str, status: int, answer: str) -> dict[str, Any]:
    return {
        "op": "webhook",
        "variant": variant,
        "event_id": event,
        "status": status,
        "answer": answer,
    }


def test_each_valid_event_handled_once_and_redeliveries_acknowledged() -> None:
    journal = Journal(
        [
            _hook("valid", "e1", 200, "processed"),
            _hook("valid", "e2", 200, "processed"),
            _hook("duplicate", "e1", 200, "duplicate"),
        ]
    )

    assert webhooks_exactly_once(journal, ReceiverRecord({"e1": 1, "e2": 1}, {})).passed
    twice = webhooks_exactly_once(journal, ReceiverRecord({"e1": 2, "e2": 1}, {}))
    assert not twice.passed
    assert "1 valid events not handled exactly once" in twice.detail
    assert "1 events handled more than once" in twice.detail
    lost = webhooks_exactly_once(journal, ReceiverRecord({"e1": 1}, {}))
    assert lost.detail == "1 valid events not handled exactly once"


def test_forgeries_and_replays_must_be_refused_and_counted() -> None:
    journal = Journal(
        [
            _hook("valid", "e1", 200, "processed"),
            _hook("replay", "e1", 401, "replayed_nonce"),
            _hook("forged", "f1", 401, "bad_signature"),
        ]
    )
    counted = {"bad_signature": 1, "replayed_nonce": 1}

    passed = forgeries_rejected(journal, ReceiverRecord({"e1": 1}, counted))
    assert passed.passed
    assert passed.actual == "1 forged, 1 replayed; rejections: bad_signature=1, replayed_nonce=1"
    exported = {**counted, "missing_header": 0, "stale_timestamp": 0}  # every reason, from 0
    assert forgeries_rejected(journal, ReceiverRecord({"e1": 1}, exported)) == passed
    handled = forgeries_rejected(journal, ReceiverRecord({"e1": 1, "f1": 1}, counted))
    assert handled.detail == "1 forged events reached the handler"
    uncounted = forgeries_rejected(journal, ReceiverRecord({"e1": 1}, {"bad_signature": 1}))
    assert "fewer replayed_nonce rejections" in uncounted.detail
    accepted = Journal([_hook("forged", "f2", 200, "processed")])
    check = forgeries_rejected(accepted, ReceiverRecord({}, {"bad_signature": 1}))
    assert "1 forged or replayed deliveries were not refused" in check.detail


def test_slos_fail_on_errors_slow_operations_and_missing_evidence() -> None:
    profile = get_profile("smoke")  # max error ratio 0, >= 5 rps, p95 products.list <= 500 ms
    stats = RunStats({"products.list": _op("products.list", {700: 100}, failures=1)})
    journal = Journal(exit_code=3)

    verdict = evaluate(profile, stats, journal, [], ReceiverRecord({}, {}))

    slos = {c.name: c for c in verdict.slos}
    assert slos["run completed"].passed
    assert not slos["business error ratio"].passed
    assert slos["business error ratio"].actual == "0.0100 (1/100)"
    assert slos["throughput"].passed  # 100 requests in 10 s
    assert not slos["p95 products.list"].passed
    assert slos["p95 products.list"].actual == "700 ms"
    assert slos["p95 orders.purchase"].actual == "no requests"
    assert not verdict.passed
    assert [c.name for c in verdict.invariants] == list(profile.invariants)


def test_webhook_posts_never_dilute_the_adapters_error_ratio() -> None:
    """`max_error_ratio` is over adapter calls; the receiver's posts are judged on their own."""
    profile = get_profile("chaos")  # max error ratio 0.03
    adapter = _op("orders.purchase", {50: 2000}, failures=120)  # 6 %: a breach
    webhook = OperationStats("webhook.valid", "webhook", 2000, 0, {5: 2000}, 100.0, 110.0)
    stats = RunStats({"orders.purchase": adapter, "webhook.valid": webhook})

    slos = {c.name: c for c in evaluate(profile, stats, Journal(), [], ReceiverRecord({}, {})).slos}

    assert not slos["business error ratio"].passed
    assert slos["business error ratio"].actual == "0.0600 (120/2000)"
    assert slos["webhook error ratio"].passed
    assert slos["webhook error ratio"].actual == "0.0000 (0/2000)"


def test_a_crashed_locust_fails_the_run_check() -> None:
    profile = get_profile("smoke")
    stats = RunStats({"products.list": _op("products.list", {5: 100})})
    journal = Journal(exceptions=[{"count": 2, "msg": "KeyError('x')", "nodes": []}], exit_code=1)

    check = evaluate(profile, stats, journal, [], ReceiverRecord({}, {})).slos[0]

    assert check.name == "run completed"
    assert not check.passed
    assert check.detail == "KeyError('x')"


def test_a_worker_whose_final_report_is_missing_fails_the_run_check() -> None:
    profile = get_profile("smoke")
    stats = RunStats({"products.list": _op("products.list", {5: 100})})
    journal = Journal(exit_code=0, gaps=["worker w1: shipped 9 journal entries, 7 arrived"])

    check = evaluate(profile, stats, journal, [], ReceiverRecord({}, {})).slos[0]

    assert check.name == "run completed"
    assert not check.passed
    assert check.actual == "exit 0, 100 requests, 0 exception kinds, 1 report gaps"
    assert check.detail == "worker w1: shipped 9 journal entries, 7 arrived"


def test_journal_round_trips_and_a_missing_journal_is_empty(tmp_path: Path) -> None:
    entries = [_purchase("k", "1"), {"counter": "adapter_retries", "value": 4}]
    journal = Journal(entries, [], 0, ["worker w2: no final report"])

    write_journal(tmp_path / "j.json", journal)
    again = read_journal(tmp_path / "j.json")

    assert again.purchases() == [_purchase("k", "1")]
    assert again.counter("adapter_retries") == 4
    assert again.exit_code == 0
    assert again.gaps == ["worker w2: no final report"]
    assert read_journal(tmp_path / "none.json").entries == []
