"""The pure retry policy: which failures retry, how long to wait, when to stop."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import httpx
import pytest

from g2a_adapter import G2AClient, RateLimitedError, RetryPolicy, Settings
from g2a_adapter.client import is_testing, set_testing
from g2a_adapter.client._retry import RetryDecision, parse_retry_after
from g2a_adapter.client._transport import Failure, classify

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
SETTINGS = Settings(
    api_url="https://sandboxapi.g2a.com",
    api_hash="qdaiciDiyMaTjxMt",
    api_key="74026b3dc2c6db6a30a73e71cdb138b1e1b5eb7a97ced46689e2d28db1050875",
)


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
    ("status", "retry"), [(429, True), (500, False), (502, False), (503, False), (504, False)]
)
def test_non_idempotent_calls_retry_only_when_the_server_did_not_act(
    status: int, retry: bool
) -> None:
    assert policy().decide(1, idempotent=False, status=status).retry is retry


@pytest.mark.parametrize(
    ("exc", "idempotent", "retry"),
    [
        (httpx.ConnectError("x"), True, True),
        (httpx.ConnectError("x"), False, True),
        (httpx.ConnectTimeout("x"), False, True),
        (httpx.PoolTimeout("x"), False, True),
        (httpx.ReadTimeout("x"), True, True),
        (httpx.ReadTimeout("x"), False, False),
        (httpx.ReadError("x"), True, True),
        (httpx.ReadError("x"), False, False),
        (httpx.WriteTimeout("x"), False, False),
        # never sent, but the same request fails the same way again: not worth a retry
        (httpx.LocalProtocolError("x"), True, False),
        (httpx.LocalProtocolError("x"), False, False),
        (httpx.UnsupportedProtocol("x"), True, False),
        (httpx.UnsupportedProtocol("x"), False, False),
    ],
)
def test_transport_failures(exc: Exception, idempotent: bool, retry: bool) -> None:
    """The decision reads the transport's finding (`classify`): one table, no second list."""
    failure = classify(exc)  # type: ignore[arg-type]
    assert policy().decide(1, idempotent=idempotent, failure=failure).retry is retry


def test_the_reason_of_a_failure_labels_the_decision() -> None:
    failure = Failure("connect_error", sent=False)
    assert policy().decide(1, idempotent=False, failure=failure).reason == "connect_error"


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


def test_retry_after_seconds_is_honoured() -> None:
    p = policy()
    assert p.decide(1, idempotent=True, status=429, retry_after="3", rand=lambda: 0.0).delay == 3
    assert p.decide(1, idempotent=True, status=429, retry_after="10", rand=lambda: 0).delay == 10
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
    assert not policy().decide(1, idempotent=True, status=503, retry_after=far, now=NOW).retry


@pytest.mark.parametrize("status", [429, 503])
def test_a_retry_after_beyond_max_retry_after_is_not_retried(status: int) -> None:
    """G2A asks for a longer wait than the policy allows: a retry sooner cannot succeed (and
    would hold a purchase's lease meanwhile), so the caller gets the error and its hint."""
    decision = policy().decide(1, idempotent=True, status=status, retry_after="3600")
    assert decision == RetryDecision(False, reason=str(status))
    assert not policy().decide(1, idempotent=True, status=status, retry_after="10.5").retry


def test_a_retry_after_of_an_hour_ends_the_call_at_once_with_its_hint() -> None:
    sent: list[httpx.Request] = []

    def limited(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        body = {"status": "ERROR", "code": "BR03", "message": "Too many requests"}
        return httpx.Response(429, json=body, headers={"Retry-After": "3600"})

    retry = RetryPolicy(max_retries=2, sleep_enabled=False)  # max_retry_after: 30 s
    client = G2AClient(SETTINGS, transport=httpx.MockTransport(limited), retry=retry)
    with client, pytest.raises(RateLimitedError) as limited_error:
        client.products.list()
    assert (limited_error.value.code, limited_error.value.retry_after) == ("BR03", 3600.0)
    assert len(sent) == 1
    # a caller that logs only the message still sees how long G2A asked it to wait
    assert str(limited_error.value) == (
        "G2A error BR03 (HTTP 429): Too many requests; G2A asks to wait 3600 s before retrying"
    )


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
        ("Wed, 21 Oct 99999 07:28:00 GMT", None),
        ("Wed, 21 Oct 2147483648 07:28:00 GMT", None),  # raised OverflowError
        ("0 Oct 2147483648 0:0", None),
    ],
)
def test_parse_retry_after_edge_cases(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value, NOW) == expected


def test_a_retry_after_date_past_any_year_is_no_hint_not_a_raw_error() -> None:
    """An HTTP date whose year is past a C int made `parsedate_to_datetime` raise
    OverflowError, which reached the caller of any call G2A answered with it, untyped."""

    def rate_limited(request: httpx.Request) -> httpx.Response:
        hint = {"retry-after": "Wed, 21 Oct 2147483648 07:28:00 GMT"}
        body = {"status": "ERROR", "code": "BR03", "message": "Too many requests"}
        return httpx.Response(429, json=body, headers=hint)

    transport = httpx.MockTransport(rate_limited)
    with (
        G2AClient(
            SETTINGS, transport=transport, retry=RetryPolicy(max_retries=1, sleep_enabled=False)
        ) as client,
        pytest.raises(RateLimitedError) as caught,
    ):
        client.orders.details("1530978476")
    assert (caught.value.code, caught.value.retry_after) == ("BR03", None)


def test_total_time_is_bounded() -> None:
    p = policy(total_timeout=5.0)
    assert p.decide(1, idempotent=True, status=503, elapsed=4.0, rand=lambda: 1.0).retry
    assert not p.decide(1, idempotent=True, status=503, elapsed=4.6, rand=lambda: 1.0).retry
    assert not p.decide(1, idempotent=True, status=429, retry_after="9", elapsed=0.0).retry


def test_the_testing_switch_drops_waits_for_every_policy(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("G2A_RETRY_NO_SLEEP", "1")  # no longer read: production ignores the env
    assert RetryPolicy().sleeps is True
    try:
        set_testing(True)
        assert is_testing()
        assert RetryPolicy().sleeps is False
        assert RetryPolicy(max_retries=5).decide(1, idempotent=True, status=503).retry
    finally:
        set_testing(False)
    assert RetryPolicy().sleeps is True
    assert RetryPolicy(sleep_enabled=False).sleeps is False


def test_negative_values_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        RetryPolicy(max_retries=-1)
    for field in ("base_delay", "max_delay", "max_retry_after", "total_timeout"):
        for value in (-1.0, math.nan):
            with pytest.raises(ValueError, match="not negative") as refused:
                RetryPolicy(**{field: value})
            assert str(refused.value) == (
                "retry counts, delays and timeouts must be numbers, not negative"
            )
    with pytest.raises(ValueError, match="max_delay must be finite"):
        RetryPolicy(max_delay=math.inf)
    unbounded = RetryPolicy(total_timeout=math.inf, max_retry_after=math.inf)  # no overall cap
    assert unbounded.total_timeout == math.inf
