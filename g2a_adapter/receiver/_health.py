"""Health probes: each check runs in its own daemon thread with a deadline.

A hung dependency therefore costs at most `timeout_s`, never a stuck `/healthz`; while an
earlier probe of a check is still hanging, that check is reported failed without starting
another thread (no pile-up).

Whoever reaches `/healthz` reads why a check failed without internal detail: a store's failure
names its backend and its driver's error class, not the driver's text (hosts, ports, paths).
Each failure is logged at WARNING with the whole text (a store masks its URL's password in it).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from g2a_adapter._errors import G2AApiError, G2AError, StoreUnavailableError
from g2a_adapter.idempotency import IdempotencyStore
from g2a_adapter.receiver._plain_calls import call_plain, refuse_async

logger = logging.getLogger("g2a_adapter")

Check = Callable[[], dict[str, Any]]


@dataclass(frozen=True)
class HealthReport:
    """One run of the checks: `status` "ok" or "fail", each check's result by name (its
    `status`, `latency_ms`, `error` when it failed: a summary without internal detail, whose
    whole text is logged), and the names of the failed ones."""

    status: Literal["ok", "fail"]
    checks: dict[str, dict[str, Any]]
    failed: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def as_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"status": self.status, "checks": self.checks}
        if self.failed:
            body["failed"] = self.failed
        return body


def _summary(exc: BaseException) -> str:
    """What the body says of an error: a store's failure by its backend and its driver's error
    class; our other errors by their messages (safe); anything else by type only."""
    if isinstance(exc, StoreUnavailableError):
        return _store_unavailable(exc)
    return _whole_text(exc)


def _store_unavailable(exc: StoreUnavailableError) -> str:
    """The store's backend, and the class of the driver's error the store failed on (the
    one it was raised from, or while handling), if any."""
    unavailable = f"idempotency store '{exc.backend}' unavailable"
    driver_error = exc.__cause__ or exc.__context__
    return unavailable if driver_error is None else f"{unavailable}: {type(driver_error).__name__}"


def _whole_text(exc: BaseException) -> str:
    """What the log says of an error: our own errors' whole messages (built without
    secrets); anything else by type only (its text may hold anything)."""
    return str(exc) if isinstance(exc, G2AError) else type(exc).__name__


_STILL_HANGING = "previous probe still hanging"


def _kind(exc: BaseException) -> str:
    """What makes two failures the same one for the log, leaving out details that change from
    probe to probe (a `Retry-After` counting down)."""
    if isinstance(exc, StoreUnavailableError):
        return _store_unavailable(exc)
    if isinstance(exc, G2AApiError):
        return f"{type(exc).__name__} {exc.code}"
    return type(exc).__name__


@dataclass(frozen=True)
class _Outcome:
    """A check's result; when it failed, the whole text of its failure for the log, and its
    kind (the same kind is logged once)."""

    result: dict[str, Any]
    failure: str | None = None
    kind: str | None = None


def _failed(
    error: str, logged: str | None = None, kind: str | None = None, **measured: Any
) -> _Outcome:
    """A failed check saying `error`; `logged` is its whole text, where `error` sums it up."""
    return _Outcome(
        {"status": "fail", "error": error, **measured},
        error if logged is None else logged,
        error if kind is None else kind,
    )


class _Probe:
    def __init__(self, check: Check) -> None:
        self.check = check
        self.result: dict[str, Any] | None = None
        self.error: BaseException | None = None
        self.done = threading.Event()
        self.started = time.perf_counter()
        self.ended = self.started  # set as the check returns or raises
        self.thread = threading.Thread(target=self._run, daemon=True, name="g2a-health-probe")

    def _run(self) -> None:
        try:
            self.result = self.check()
        except Exception as exc:
            self.error = exc
        finally:
            self.ended = time.perf_counter()
            self.done.set()


class HealthChecker:
    """Runs named checks (`store_check`, `token_check`, or any function returning a dict and
    raising when unhealthy), each within `timeout_s`: `run()` gives the `HealthReport` the
    receiver's `/healthz` answers (200 when ok, else 503). A service without the receiver
    serves its own health from it."""

    def __init__(self, checks: Mapping[str, Check], timeout_s: float = 0.5) -> None:
        self._checks = dict(checks)
        self.timeout_s = timeout_s
        self._hanging: dict[str, _Probe] = {}
        self._logged: dict[str, str] = {}  # each failing check's kind of failure, last logged
        self._lock = threading.Lock()

    def run(self) -> HealthReport:
        probes: dict[str, _Probe | None] = {}
        with self._lock:
            for name, check in self._checks.items():
                previous = self._hanging.get(name)
                if previous is not None and not previous.done.is_set():
                    # a probe in flight is waited for, as its own run does; one overdue is
                    # not started again (no pile-up of hung threads)
                    overdue = time.perf_counter() - previous.started > self.timeout_s
                    probes[name] = None if overdue else previous
                    continue
                probe = _Probe(check)
                self._hanging[name] = probe
                probe.thread.start()
                probes[name] = probe
        deadline = time.perf_counter() + self.timeout_s
        outcomes = {name: self._outcome(probe, deadline) for name, probe in probes.items()}
        self._log_changes(outcomes)
        results = {name: outcome.result for name, outcome in outcomes.items()}
        failed = [name for name, outcome in outcomes.items() if outcome.kind is not None]
        return HealthReport("fail" if failed else "ok", results, failed)

    def _outcome(self, probe: _Probe | None, deadline: float) -> _Outcome:
        if probe is None:
            return _failed(_STILL_HANGING)
        if not probe.done.wait(max(0.0, deadline - time.perf_counter())):
            return _failed(f"timed out after {self.timeout_s:g} s")
        # how long the check ran, not how long this report waited for the checks before it
        latency_ms = round((probe.ended - probe.started) * 1000, 1)
        if probe.error is not None:
            error = probe.error
            return _failed(_summary(error), _whole_text(error), _kind(error), latency_ms=latency_ms)
        return _Outcome({"status": "ok", **(probe.result or {}), "latency_ms": latency_ms})

    def _log_changes(self, outcomes: Mapping[str, _Outcome]) -> None:
        """A check's failure once as it starts or its kind changes (WARNING; `_kind`), and
        its recovery once (INFO): a probe every few seconds through an outage logs its start.
        A probe still hanging continues the timeout already logged."""
        with self._lock:
            for name, outcome in outcomes.items():
                kind, before = outcome.kind, self._logged.get(name)
                if kind in (before, _STILL_HANGING):
                    continue
                extra = {"check": name}
                if kind is None:
                    del self._logged[name]
                    logger.info("g2a.health.check_recovered check=%s", name, extra=extra)
                else:
                    self._logged[name] = kind
                    logger.warning(
                        "g2a.health.check_failed check=%s error=%s",
                        name,
                        outcome.failure,
                        extra=extra,
                    )


class SupportsTtl(Protocol):
    def ttl_seconds(self) -> float: ...


def store_check(store: IdempotencyStore) -> Check:
    """Ping the idempotency store and report its backend."""

    def check() -> dict[str, Any]:
        store.ping()
        return {"backend": store.backend}

    return check


def token_check(probe: Callable[[], SupportsTtl]) -> Check:
    """Fetch the token (or read the cached one) and report its remaining lifetime.

    `probe` is a plain function (a `G2AClient`'s `auth.token`): checks run on a worker thread,
    where an `async def` would never be awaited (TypeError).
    """
    refuse_async(probe, "the token probe")

    def check() -> dict[str, Any]:
        ttl = call_plain(probe).ttl_seconds()
        if ttl <= 0:
            raise G2AError("the token has expired")
        return {"ttl_seconds": round(ttl, 1)}

    return check
