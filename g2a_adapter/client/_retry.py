"""The retry policy: data plus one pure decision function (in the spirit of urllib3 `Retry`).

`RetryPolicy.decide` looks at one failed attempt and says whether to try again and after
how long. It never sleeps and never reads the clock: the core passes `elapsed`, and `rand`
(the jitter source) can be fixed, so every rule is unit-testable. Whether a failed send may
have reached G2A is the transport's finding (`Failure.sent`); the policy only reads it.

`set_testing(True)` keeps every decision and drops the waiting, for every policy (as
stamina's switch of the same name does); tests turn it on, production code never reads it
from the environment.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from g2a_adapter.client._transport import Failure

RETRYABLE_STATUSES = frozenset({429, 502, 503, 504})
# Answers that prove the server did not act on the request: safe to repeat even a POST. A 429
# comes from the rate limiter, before the call runs. A 5xx does not prove it: a gateway or the
# server may answer 502/503/504 after the call took effect, so for a create, pay or key fetch
# any 5xx is an unknown outcome (`ClientCore._error` in `_core.py`), never retried blindly.
_NOT_PROCESSED_STATUSES = frozenset({429})


@dataclass
class _TestingSwitch:
    on: bool = False


_TESTING = _TestingSwitch()


def set_testing(testing: bool) -> None:
    """Turn retry waits off (`True`) or back on for every `RetryPolicy`; decisions stay."""
    _TESTING.on = testing


def is_testing() -> bool:
    """Whether `set_testing(True)` is in force."""
    return _TESTING.on


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
        except (TypeError, ValueError, OverflowError):  # a year past a C int: OverflowError
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
    `Retry-After` honoured up to `max_retry_after`; never past `total_timeout` in all. An answer
    asking for a longer wait than either allows is not retried: its error (a `RateLimitedError`
    carries `retry_after`) goes to the caller at once.

    `sleep_enabled=False` keeps every decision but skips the waiting, for this policy only;
    `set_testing(True)` does the same for all of them.
    """

    max_retries: int = 2
    base_delay: float = 0.2
    max_delay: float = 5.0
    max_retry_after: float = 30.0
    total_timeout: float = 60.0
    sleep_enabled: bool = True

    def __post_init__(self) -> None:
        times = (self.base_delay, self.max_delay, self.max_retry_after, self.total_timeout)
        if self.max_retries < 0 or not all(t >= 0 for t in times):  # NaN fails `>= 0` too
            raise ValueError("retry counts, delays and timeouts must be numbers, not negative")
        if self.max_delay == math.inf:
            raise ValueError("max_delay must be finite: it caps every wait between tries")

    @property
    def sleeps(self) -> bool:
        """Whether the client waits out a retry's delay (off under `set_testing(True)`)."""
        return self.sleep_enabled and not _TESTING.on

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
        failure: Failure | None = None,
        retry_after: str | None = None,
        elapsed: float = 0.0,
        rand: Callable[[], float] = random.random,
        now: datetime | None = None,
    ) -> RetryDecision:
        """Decide after failed attempt number `attempt` (1-based).

        Pass the HTTP `status` of the answer, the transport's `failure`, or both (an answer
        whose body could not be decoded: its status decides, and no `Retry-After` is read).
        """
        reason = str(status) if status is not None else (failure.reason if failure else "unknown")
        if not self._retryable(idempotent, status, failure):
            return RetryDecision(False, reason=reason)
        if attempt > self.max_retries:
            return RetryDecision(False, reason=reason)
        delay = self.backoff(attempt, rand)
        hinted = parse_retry_after(retry_after, now)
        if hinted is not None:
            if hinted > self.max_retry_after:  # a retry sooner than asked cannot succeed
                return RetryDecision(False, reason=reason)
            delay = max(delay, hinted)
        if elapsed + delay > self.total_timeout:
            return RetryDecision(False, reason=reason)
        return RetryDecision(True, delay, reason)

    @staticmethod
    def _retryable(idempotent: bool, status: int | None, failure: Failure | None) -> bool:
        if status is not None:
            if idempotent:
                return status in RETRYABLE_STATUSES
            return status in _NOT_PROCESSED_STATUSES
        if failure is None or not failure.transient:
            return False
        return idempotent or not failure.sent
