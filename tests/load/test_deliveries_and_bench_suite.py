"""The webhook sender's deliveries against the real verifier, and the benchmark suite runner."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from rich.console import Console

from benchmarks._core import Measured, alternating_median, alternating_rounds
from benchmarks.suite import discover, render, run_suite, to_json
from g2a_adapter import WebhookRejectedError, WebhookVerifier
from g2a_adapter.idempotency import MemoryStore
from g2a_adapter.wire import HEADER_NONCE, WEBHOOK_HEADERS
from harness.load import deliveries

SECRET = "load-test-webhook-secret"


@pytest.fixture
def verifier() -> WebhookVerifier:
    return WebhookVerifier([SECRET], MemoryStore())


def test_each_delivery_gets_exactly_the_answer_it_expects(verifier: WebhookVerifier) -> None:
    event = deliveries.new_event("1530978476", "10000027819004")
    first = deliveries.valid(SECRET, event)

    verified = verifier.verify(first.headers, first.body)
    assert set(first.headers) == {"Content-Type", *WEBHOOK_HEADERS}
    assert first.headers["Content-Type"] == "application/json"
    assert json.loads(first.body) == event
    assert verified.event_id == event["event_id"] == first.event_id
    assert (first.expected_status, first.expected_answer) == (200, "processed")

    again = deliveries.duplicate(SECRET, event)
    assert again.headers[HEADER_NONCE] != first.headers[HEADER_NONCE]
    assert verifier.verify(again.headers, again.body).event_id == first.event_id

    replayed = deliveries.replay(first)
    assert (replayed.headers, replayed.body) == (first.headers, first.body)
    with pytest.raises(WebhookRejectedError) as replay_error:
        verifier.verify(replayed.headers, replayed.body)
    assert replay_error.value.reason == replayed.expected_answer == "replayed_nonce"

    forgery = deliveries.forged(deliveries.new_event("1530978477", "10000027819004"))
    with pytest.raises(WebhookRejectedError) as forged_error:
        verifier.verify(forgery.headers, forgery.body)
    assert forged_error.value.reason == forgery.expected_answer == "bad_signature"
    assert forgery.expected_status == 401


def test_suite_discovers_every_bench_module() -> None:
    modules = discover()

    assert "benchmarks.bench_growth" in modules
    assert all(m.startswith("benchmarks.bench_") for m in modules)
    assert modules == sorted(modules)


FAKE_OK = """
from benchmarks._core import Ratio
def run(quick):
    return [Ratio("fast thing", 2.0, 1.0, "rps", 1.5, True, spread=(1.75, 2.5)),
            Ratio("slow thing", 3.0 if quick else 1.0, 1.0, "us", 2.0, False)]
"""
FAKE_BROKEN = """
def run(quick):
    raise RuntimeError("backend down")
"""


def test_suite_runs_modules_reports_failures_and_isolates_a_broken_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "fake_bench_ok.py").write_text(FAKE_OK)
    (tmp_path / "fake_bench_broken.py").write_text(FAKE_BROKEN)
    monkeypatch.syspath_prepend(str(tmp_path))

    full = run_suite(quick=False, modules=["fake_bench_ok"])
    quick = run_suite(quick=True, modules=["fake_bench_broken", "fake_bench_ok"])

    assert full.passed
    assert [r.passed for r in full.ratios] == [True, True]
    assert not quick.passed
    assert quick.modules[0].error == "RuntimeError: backend down"
    assert [r.name for r in quick.ratios if not r.passed] == ["slow thing"]
    document = json.loads(to_json(quick))
    assert document["kind"] == "benchmarks"
    assert document["passed"] is False
    assert document["modules"][1]["ratios"][1]["ratio"] == 3.0
    assert document["modules"][1]["ratios"][0]["spread"] == [1.75, 2.5]
    assert document["modules"][1]["ratios"][1]["spread"] is None
    console = Console(record=True, width=200)
    console.print(render(quick))
    rows = {line.split("│")[1].strip(): line.split("│")[5].strip() for line in
            console.export_text().splitlines() if "thing" in line}  # fmt: skip
    assert rows == {"fast thing": "1.750-2.500", "slow thing": "-"}
    for name in ("fake_bench_ok", "fake_bench_broken"):
        sys.modules.pop(name, None)


def test_alternating_rounds_run_every_measure_in_each_round() -> None:
    calls: list[str] = []

    def measure(name: str, values: list[float]) -> Callable[[], float]:
        returned = iter(values)

        def run() -> float:
            calls.append(name)
            return next(returned)

        return run

    runs = alternating_rounds(
        [measure("a", [5.0, 1.0, 3.0]), measure("b", [10.0, 30.0, 20.0]), measure("c", [7.0] * 3)],
        rounds=3,
    )

    assert calls == ["a", "b", "c"] * 3  # a slow phase of the machine hits all three alike
    assert runs == [[5.0, 1.0, 3.0], [10.0, 30.0, 20.0], [7.0] * 3]
    # medians of each side; the spread is of each round's own pair: 2/1, 4/2 and 9/3
    measured = alternating_median(measure("s", [2.0, 4.0, 9.0]), measure("t", [1.0, 2.0, 3.0]), 3)
    assert measured == Measured(4.0, 2.0, (2.0, 3.0))
