"""The pure retry policy: which failures retry, how long to wait, when to stop."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from g2a_adapter import RetryPolicy
from g2a_adapter.client._retry import parse_retry_after

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def policy(**overrides: float) -> RetryPolicy:
    values = {"max_retries": 2, "base_delay": 0.5, "max_delay": 4.0, "max_retry_after": 10.0}
    values.update(overrides)
    return RetryPolicy(**values, sleep_enabled=True)  # type: ignore[arg-type]


def top(retry_number: int, p: RetryPolicy | None = None) -> float:
    """Delay chosen when the random source returns its maximum."""
    return (p or policy()).backoff(retry_number, rand=lambda: 1.0)


@pytest.mark.parametrize("status", [429, 502, 503, 504])
def test_retryable_statuses_retry_on_idempotent_calls(status: int) -> None:
    decision = policy().decide(1, idempotent=True, status=status, rand=lambda: 1.0)
    assert decision.retry
    assert decision.reason == str(status)
    assert decision.delay == 0.5


@pytest.mark.parametrize("status", [400, 401, 402, 403, 404, 409, 422, 500, 501])
def test_other_statuses_never_retry(status: int) -> None:
    for idempotent in (True, False):
        assert not policy().decide(1, idempotent=idempotent, status=status).retry


@pytest.mark.parametrize(
    ("status", "retry"), [(429, True), (503, True), (502, False), (504, False)]
)
def test_non_idempotent_calls_retry_only_when_the_server_did_not_act(
    status: int, retry: bool
) -> None:
    assert policy().decide(1, idempotent=False, status=status).retry is retry


@pytest.mark.parametrize(
    ("failure", "idempotent", "retry"),
    [
        ("connect_error", True, True),
        ("connect_error", False, True),
        ("connect_timeout", False, True),
        ("pool_timeout", False, True),
        ("read_timeout", True, True),
        ("read_timeout", False, False),
        ("connection_reset", True, True),
        ("connection_reset", False, False),
        ("write_timeout", False, False),
    ],
)
def test_transport_failures(failure: str, idempotent: bool, retry: bool) -> None:
    assert policy().decide(1, idempotent=idempotent, failure=failure).retry is retry


def test_exactly_max_retries_then_stop() -> None:
    p = policy(max_retries=3)
    assert [p.decide(a, idempotent=True, status=503).retry for a in (1, 2, 3, 4, 5)] == [
        True,
        True,
        True,
        False,
        False,
    ]
    assert not policy(max_retries=0).decide(1, idempotent=True, status=503).retry


def test_full_jitter_is_exponential_and_capped() -> None:
    assert [top(n) for n in (1, 2, 3, 4, 5, 6)] == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
    assert policy().backoff(3, rand=lambda: 0.0) == 0.0
    assert policy().backoff(3, rand=lambda: 0.25) == 0.5


def test_retry_after_seconds_is_honoured_and_capped() -> None:
    p = policy()
    assert p.decide(1, idempotent=True, status=429, retry_after="3", rand=lambda: 0.0).delay == 3
    assert p.decide(1, idempotent=True, status=429, retry_after="600", rand=lambda: 0).delay == 10
    # the backoff still applies when the hint is shorter
    assert p.decide(2, idempotent=True, status=429, retry_after="0", rand=lambda: 1.0).delay == 1.0


def test_retry_after_http_date() -> None:
    hint = "Fri, 02 Jan 2026 03:04:12 GMT"  # 7 s after NOW
    assert parse_retry_after(hint, NOW) == 7.0
    decision = policy().decide(
        1, idempotent=True, status=503, retry_after=hint, now=NOW, rand=lambda: 0.0
    )
    assert decision.delay == 7.0
    far = "Fri, 02 Jan 2026 05:00:00 GMT"
    assert policy().decide(1, idempotent=True, status=503, retry_after=far, now=NOW).delay == 10.0


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("", None),
        ("soon", None),
        ("-5", 0.0),
        ("1.5", 1.5),
        ("nan", None),
        ("inf", None),
        ("Thu, 01 Jan 2026 00:00:00 GMT", 0.0),
    ],
)
def test_parse_retry_after_edge_cases(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value, NOW) == expected


def test_total_time_is_bounded() -> None:
    p = policy(total_timeout=5.0)
    assert p.decide(1, idempotent=True, status=503, elapsed=4.0, rand=lambda: 1.0).retry
    assert not p.decide(1, idempotent=True, status=503, elapsed=4.6, rand=lambda: 1.0).retry
    assert not p.decide(1, idempotent=True, status=429, retry_after="9", elapsed=0.0).retry


def test_sleep_switch_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("G2A_RETRY_NO_SLEEP", "1")
    assert RetryPolicy().sleep_enabled is False
    monkeypatch.setenv("G2A_RETRY_NO_SLEEP", "0")
    assert RetryPolicy().sleep_enabled is True


def test_negative_values_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        RetryPolicy(max_retries=-1)
