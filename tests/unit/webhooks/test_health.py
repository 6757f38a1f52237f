"""HealthChecker: per-check timeouts in threads, a hung check never blocks the report."""

from __future__ import annotations

import logging
import threading
import time
import urllib.error
from dataclasses import dataclass

import pytest

from g2a_adapter import StoreUnavailableError
from g2a_adapter.idempotency import MemoryStore
from g2a_adapter.receiver import HealthChecker, store_check, token_check


@dataclass
class Token:
    ttl: float

    def ttl_seconds(self) -> float:
        return self.ttl


def test_all_checks_ok() -> None:
    report = HealthChecker(
        {"store": store_check(MemoryStore()), "token": token_check(lambda: Token(241.26))}
    ).run()
    assert report.ok
    assert report.as_json()["status"] == "ok"
    assert report.checks["store"]["backend"] == "memory"
    assert report.checks["token"]["ttl_seconds"] == 241.3
    assert "failed" not in report.as_json()


def test_a_hung_check_times_out_and_is_not_started_twice() -> None:
    release = threading.Event()
    calls: list[int] = []

    def hang() -> dict[str, object]:
        calls.append(1)
        release.wait(10)
        return {}

    checker = HealthChecker({"store": hang, "token": token_check(lambda: Token(60))}, 0.2)
    started = time.perf_counter()
    first = checker.run()
    second = checker.run()
    elapsed = time.perf_counter() - started
    release.set()

    assert elapsed < 1.0
    assert first.as_json() == {
        "status": "fail",
        "failed": ["store"],
        "checks": {
            "store": {"status": "fail", "error": "timed out after 0.2 s"},
            "token": first.checks["token"],
        },
    }
    assert first.checks["token"]["status"] == "ok"
    assert second.checks["store"] == {"status": "fail", "error": "previous probe still hanging"}
    assert calls == [1]


REFUSED = "ConnectionError: Error 111 connecting to 10.1.2.3:6379. Connection refused."


def store_down() -> dict[str, object]:
    """As a store fails: raised while handling its driver's error, whose text it keeps."""
    try:
        raise ConnectionError(REFUSED.removeprefix("ConnectionError: "))
    except ConnectionError:
        raise StoreUnavailableError("redis", REFUSED) from None


def leaky() -> dict[str, object]:
    raise RuntimeError("password=hunter2")


def test_a_check_s_latency_is_its_own_not_the_wait_for_a_slower_check_before_it() -> None:
    """A frozen store must not make the token look slow: each check's `latency_ms` is how
    long it ran, not how long the report waited for the checks listed before it."""
    release = threading.Event()

    def frozen() -> dict[str, str]:
        release.wait(5)
        return {}

    checker = HealthChecker({"store": frozen, "token": token_check(lambda: Token(100))}, 0.3)
    try:
        report = checker.run()
    finally:
        release.set()
    assert report.checks["store"] == {"status": "fail", "error": "timed out after 0.3 s"}
    assert report.checks["token"]["status"] == "ok"
    assert report.checks["token"]["latency_ms"] < 100


def test_failures_are_named_without_leaking_foreign_messages() -> None:
    report = HealthChecker(
        {"store": store_down, "token": leaky, "expired": token_check(lambda: Token(0))}
    ).run()
    assert report.failed == ["store", "token", "expired"]
    assert report.checks["store"]["error"] == (
        "idempotency store 'redis' unavailable: ConnectionError"
    )
    assert report.checks["token"]["error"] == "RuntimeError"
    assert report.checks["expired"]["error"] == "the token has expired"


def test_a_store_failure_without_a_driver_error_names_the_backend_only() -> None:
    """Its detail is in the log (`the store was closed`, a schema too new...), not the body."""

    def closed() -> dict[str, object]:
        raise StoreUnavailableError("postgres", "the store was closed")

    report = HealthChecker({"store": closed}).run()
    assert report.checks["store"]["error"] == "idempotency store 'postgres' unavailable"


def test_each_failure_is_logged_at_warning_with_our_errors_whole_text(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The body names what failed; the log, read by the operators only, says why."""
    release = threading.Event()
    checks = {
        "store": store_down,
        "token": leaky,
        "expired": token_check(lambda: Token(0)),
        "hung": lambda: {"done": release.wait(10)},
    }
    with caplog.at_level(logging.INFO, logger="g2a_adapter"):
        HealthChecker(checks, 0.2).run()
    release.set()

    assert [(r.levelno, r.getMessage(), r.check) for r in caplog.records] == [  # type: ignore[attr-defined]
        (logging.WARNING, f"g2a.health.check_failed check={name} error={error}", name)
        for name, error in [
            ("store", f"idempotency store 'redis' unavailable: {REFUSED}"),
            ("token", "RuntimeError"),
            ("expired", "the token has expired"),
            ("hung", "timed out after 0.2 s"),
        ]
    ]


def test_a_failure_is_logged_as_it_starts_or_changes_and_its_recovery_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A probe every few seconds through an outage logs its start, not every probe."""
    outcomes = iter(
        [store_down, store_down, leaky, leaky, lambda: {}, lambda: {}, store_down, store_down]
    )
    checker = HealthChecker({"store": lambda: next(outcomes)()})
    with caplog.at_level(logging.INFO, logger="g2a_adapter"):
        reports = [checker.run() for _ in range(8)]

    assert [r.ok for r in reports] == [False] * 4 + [True] * 2 + [False] * 2
    unavailable = f"idempotency store 'redis' unavailable: {REFUSED}"
    failed = f"g2a.health.check_failed check=store error={unavailable}"
    assert [(r.levelno, r.getMessage()) for r in caplog.records] == [
        (logging.WARNING, failed),
        (logging.WARNING, "g2a.health.check_failed check=store error=RuntimeError"),
        (logging.INFO, "g2a.health.check_recovered check=store"),
        (logging.WARNING, failed),
    ]


def test_a_probe_still_hanging_adds_no_line_to_its_timeout(
    caplog: pytest.LogCaptureFixture,
) -> None:
    release = threading.Event()
    checker = HealthChecker({"store": lambda: {"done": release.wait(10)}}, 0.1)
    with caplog.at_level(logging.INFO, logger="g2a_adapter"):
        for _ in range(3):
            checker.run()
    release.set()
    assert [r.getMessage() for r in caplog.records] == [
        "g2a.health.check_failed check=store error=timed out after 0.1 s"
    ]


def test_a_probe_in_flight_is_shared_by_a_concurrent_run_not_reported_hanging(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Two probes at once (liveness and readiness on `/healthz`): the second waits for the
    first's check instead of failing it as hanging."""
    started, release = threading.Event(), threading.Event()
    calls: list[int] = []

    def slow() -> dict[str, object]:
        calls.append(1)
        started.set()
        release.wait(10)
        return {"backend": "redis"}

    checker = HealthChecker({"store": slow}, 5.0)
    reports: list[object] = []
    first = threading.Thread(target=lambda: reports.append(checker.run()))
    first.start()
    started.wait(10)
    second = threading.Thread(target=lambda: reports.append(checker.run()))
    second.start()
    time.sleep(0.3)  # the second run is waiting on the first's probe
    release.set()
    first.join()
    second.join()
    assert [r.checks["store"]["status"] for r in reports] == ["ok", "ok"]  # type: ignore[attr-defined]
    assert calls == [1]
    assert caplog.records == []


def test_a_reason_whose_details_change_is_logged_once(caplog: pytest.LogCaptureFixture) -> None:
    """A 429 whose Retry-After counts down is one failure, not one per probe."""
    from g2a_adapter import RateLimitedError

    waits = iter([60.0, 59.0, 58.0])

    def limited() -> dict[str, object]:
        raise RateLimitedError("BR03", 429, "Too many requests", next(waits))

    checker = HealthChecker({"token": limited})
    with caplog.at_level(logging.INFO, logger="g2a_adapter"):
        for _ in range(3):
            checker.run()
    assert [r.getMessage() for r in caplog.records] == [
        "g2a.health.check_failed check=token error=G2A error BR03 (HTTP 429): Too many requests; "
        "G2A asks to wait 60 s before retrying"
    ]


def test_a_foreign_error_with_a_numeric_code_is_reported_like_any_other(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def dependency() -> dict[str, object]:
        raise urllib.error.HTTPError("http://dep/health", 503, "Service Unavailable", {}, None)  # type: ignore[arg-type]

    with caplog.at_level(logging.INFO, logger="g2a_adapter"):
        report = HealthChecker({"dep": dependency}).run()
    assert report.checks["dep"]["error"] == "HTTPError"
    assert [r.getMessage() for r in caplog.records] == [
        "g2a.health.check_failed check=dep error=HTTPError"
    ]
