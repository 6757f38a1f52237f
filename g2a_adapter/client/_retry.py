"""The retry policy: data plus one pure decision function (in the spirit of urllib3 `Retry`).

`RetryPolicy.decide` looks at one failed attempt and says whether to try again and after
how long. It never sleeps and never reads the clock: the client passes `elapsed` and a
random source, so every rule is unit-testable.
"""

from __future__ import annotations

import os
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

RETRYABLE_STATUSES = frozenset({429, 502, 503, 504})
# Answers that prove the server did not act on the request: safe to repeat even a POST.
_NOT_PROCESSED_STATUSES = frozenset({429, 503})
# Transport failures that happened before the request could reach the server.
_NOT_SENT_REASONS = frozenset({"connect_error", "connect_timeout", "pool_timeout"})


def _sleep_enabled_from_env() -> bool:
    return os.environ.get("G2A_RETRY_NO_SLEEP", "") != "1"


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """`Retry-After` as seconds from now: delta-seconds or an HTTP date; None if unusable."""
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    if seconds != seconds or seconds in (float("inf"), float("-inf")):  # NaN / inf
        return None
    return max(0.0, seconds)


@dataclass(frozen=True, slots=True)
class RetryDecision:
    retry: bool
    delay: float = 0.0
    reason: str = ""


@dataclass(frozen=True)
class RetryPolicy:
    """At most `max_retries` retries; full-jitter exponential backoff capped at `max_delay`;
    `Retry-After` honoured up to `max_retry_after`; never past `total_timeout` in all.

    `sleep_enabled=False` (or `G2A_RETRY_NO_SLEEP=1`) keeps every decision but skips the
    waiting: for tests.
    """

    max_retries: int = 2
    base_delay: float = 0.2
    max_delay: float = 5.0
    max_retry_after: float = 30.0
    total_timeout: float = 60.0
    sleep_enabled: bool = field(default_factory=_sleep_enabled_from_env)

    def __post_init__(self) -> None:
        if self.max_retries < 0 or self.base_delay < 0 or self.max_delay < 0:
            raise ValueError("retry counts and delays must not be negative")

    def backoff(self, retry_number: int, rand: Callable[[], float] = random.random) -> float:
        """Full jitter: uniform in [0, min(max_delay, base_delay * 2**(retry_number-1))]."""
        ceiling = min(self.max_delay, self.base_delay * 2.0 ** max(0, retry_number - 1))
        return rand() * ceiling

    def decide(
        self,
        attempt: int,
        *,
        idempotent: bool,
        status: int | None = None,
        failure: str | None = None,
        retry_after: str | None = None,
        elapsed: float = 0.0,
        rand: Callable[[], float] = random.random,
        now: datetime | None = None,
    ) -> RetryDecision:
        """Decide after failed attempt number `attempt` (1-based).

        Pass either the HTTP `status` of the answer or the transport `failure` reason.
        """
        reason = str(status) if status is not None else (failure or "unknown")
        if not self._retryable(idempotent, status, failure):
            return RetryDecision(False, reason=reason)
        if attempt > self.max_retries:
            return RetryDecision(False, reason=reason)
        delay = self.backoff(attempt, rand)
        hinted = parse_retry_after(retry_after, now)
        if hinted is not None:
            delay = max(delay, min(hinted, self.max_retry_after))
        if elapsed + delay > self.total_timeout:
            return RetryDecision(False, reason=reason)
        return RetryDecision(True, delay, reason)

    @staticmethod
    def _retryable(idempotent: bool, status: int | None, failure: str | None) -> bool:
        if status is not None:
            if idempotent:
                return status in RETRYABLE_STATUSES
            return status in _NOT_PROCESSED_STATUSES
        if failure is None:
            return False
        return idempotent or failure in _NOT_SENT_REASONS
