"""HealthChecker: per-check timeouts in threads, a hung check never blocks the report."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

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


def test_failures_are_named_without_leaking_foreign_messages() -> None:
    def store_down() -> dict[str, object]:
        raise StoreUnavailableError("redis", "ConnectionError: refused")

    def leaky() -> dict[str, object]:
        raise RuntimeError("password=hunter2")

    report = HealthChecker(
        {"store": store_down, "token": leaky, "expired": token_check(lambda: Token(0))}
    ).run()
    assert report.failed == ["store", "token", "expired"]
    assert report.checks["store"]["error"] == (
        "idempotency store 'redis' unavailable: ConnectionError: refused"
    )
    assert report.checks["token"]["error"] == "RuntimeError"
    assert report.checks["expired"]["error"] == "the token has expired"
