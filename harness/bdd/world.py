"""`World`: what one scenario knows — its target, the adapter it built, what happened last."""

from __future__ import annotations

import fnmatch
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from g2a_adapter.logformat import CALL_LOG_FORMAT, REQUEST_LOG_FORMAT, correlation_id_var
from harness.targets import Target

if TYPE_CHECKING:
    from g2a_adapter import G2AClient, Metrics, Settings
    from g2a_adapter.idempotency import IdempotencyStore
    from harness.twin.admin import TwinAdmin

Raised = TypeVar("Raised", bound=BaseException)
Checked = TypeVar("Checked")

# The correlation id a side check's requests carry, which the twin's request log shows: the
# steps counting what the twin received leave those requests out.
CHECK_CORRELATION_ID = "g2a-harness-check"
# The logger of the checks' client: outside `g2a_adapter`, so the scenario's log capture never
# holds a check's records.
_CHECK_LOGGER = logging.getLogger("harness.bdd.checks")
_CHECK_LOGGER.addHandler(logging.NullHandler())
_CHECK_LOGGER.propagate = False


def missing(what: str, remedy: str) -> AssertionError:
    """The failure of a step run without the step that sets up what it reads:
    `no <what> in this scenario: <remedy>`, the remedy quoting the step to add."""
    return AssertionError(f"no {what} in this scenario: {remedy}")


# The twin's settings that make up its rate limit, restored as they were after a side check.
RATE_LIMIT_SETTINGS = (
    "rate_limit",
    "rate_window_seconds",
    "rate_limit_scope",
    "token_rate_limited",
)


def _fault_armed_for(admin: TwinAdmin, method: str, path: str) -> bool:
    """Whether a fault not yet spent matches a request of `method` to `path` (as the twin
    matches one: the method or `*`, the path, a glob of it or `*`), which would count the
    request even when it draws no fault."""
    return any(
        not fault["spent"]
        and fault["method"] in ("*", method)
        and (fault["route"] in ("*", path) or fnmatch.fnmatchcase(path, fault["route"]))
        for fault in admin.faults()
    )


@contextmanager
def _limit_lifted(admin: TwinAdmin) -> Iterator[None]:
    """No rate limit while the block runs, then every rate setting as it was: a side check
    spends none of the budget the scenario's calls share with it (same credential; a twin
    without a limit counts nothing, its windows left as they were), so the scenario's calls
    meet the 429s they would meet without the check, whether the limit is the twin's start-up
    one or a Given step's."""
    config = admin.config()
    if config.get("rate_limit") is None:
        yield
        return
    admin.configure(rate_limit=None)
    try:
        yield
    finally:
        admin.configure(**{name: config[name] for name in RATE_LIMIT_SETTINGS if name in config})


@dataclass(frozen=True)
class TwinHandle:
    """A serving twin: its origin, its Export API URL and its admin client."""

    base_url: str
    export_url: str
    admin: TwinAdmin


@dataclass(frozen=True)
class ReceiverHandle:
    """A serving webhook receiver (the adapter's ASGI app)."""

    base_url: str

    @property
    def webhook_url(self) -> str:
        return f"{self.base_url}/webhooks/g2a"


class LogCapture(logging.Handler):
    """Keeps every record the adapter's loggers emit during a scenario."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def texts(self) -> list[str]:
        """Each record as text: message, arguments and every extra field."""
        return [f"{r.getMessage()} {r.__dict__!r}" for r in self.records]

    def requests(self) -> list[logging.LogRecord]:
        """The DEBUG record of each HTTP attempt."""
        return [r for r in self.records if r.msg == REQUEST_LOG_FORMAT]

    def calls(self) -> list[logging.LogRecord]:
        """The one line of each G2A call."""
        return [r for r in self.records if r.msg == CALL_LOG_FORMAT]


@dataclass
class World:
    target: Target
    metrics: Metrics
    logs: LogCapture
    connect_twin: Callable[[], TwinHandle] | None = None  # the scenario's (reset) twin fixture
    overrides: dict[str, Any] = field(default_factory=dict)
    store: IdempotencyStore | None = None
    outcome: Any = None
    error: BaseException | None = None
    results: list[Any] = field(default_factory=list)
    order_id: str | None = None
    receiver: ReceiverHandle | None = None
    notes: dict[str, Any] = field(default_factory=dict)
    attempted: bool = False  # an adapter call was made in this scenario
    _twin: TwinHandle | None = None
    _client: G2AClient | None = None
    _checker: G2AClient | None = None  # the read-only checks' client
    _closers: list[Callable[[], None]] = field(default_factory=list)

    # --- the adapter under test ------------------------------------------------------------
    @property
    def twin(self) -> TwinHandle | None:
        """The twin, connected (and reset) by the first step that needs it, whether or not the
        scenario says `Given the adapter is connected to the target`; None on real G2A."""
        if self._twin is None and self.target.has_admin and self.connect_twin is not None:
            self._twin = self.connect_twin()
        return self._twin

    def settings(self) -> Settings:
        """The settings of the scenario's calls: the target's, with the overrides its Given
        steps set (a wrong API key, a short timeout)."""
        return self._settings(self.overrides)

    def _settings(self, overrides: dict[str, Any]) -> Settings:
        from g2a_adapter import Settings

        if self.target.has_admin:
            if self.twin is None:
                raise RuntimeError("the twin is not connected (no twin fixture in this run)")
            url = self.twin.export_url
        else:
            url = self.target.api_url or ""
        return Settings(**self.target.adapter_settings(**{"api_url": url, **overrides}))

    def override(self, name: str, value: Any) -> None:
        """Set one of the adapter's settings; the scenario's next call builds its client with
        it (the side checks' client keeps the target's settings)."""
        self.overrides[name] = value
        self._drop_client()

    def use_store(self, store: IdempotencyStore) -> None:
        """Keep purchase progress in `store` from the next call on."""
        self.store = store
        self._drop_client()

    def client(self) -> G2AClient:
        """The adapter's client, built on first use and again after a set-up step."""
        from g2a_adapter import G2AClient

        if self._client is None:
            store = self.purchase_store()
            self._client = G2AClient(self.settings(), store=store, metrics=self.metrics)
        return self._client

    def purchase_store(self) -> IdempotencyStore:
        """Where the scenario's purchases keep their progress: the store a Given step chose,
        else one in memory of the scenario's own. Never the settings' default file, where a
        purchase key of another scenario, or of an earlier run, would be found (the twin
        forgets its orders between scenarios; the sandbox keeps them)."""
        if self.store is None:
            from g2a_adapter.idempotency import open_store

            self.store = open_store("memory://")
            self.on_close(self.store.close)
        return self.store

    def check(
        self,
        on_api: Callable[[G2AClient], Checked],
        on_twin: Callable[[TwinAdmin], Checked],
        sends: tuple[str, str],
    ) -> Checked:
        """A read on the side, which nothing the scenario counts sees. `on_api` reads through
        the adapter, on a client of its own built with the target's settings, without the
        scenario's overrides (a wrong API key a Given step set is not the check's): its
        metrics and log records are not the scenario's, and its requests carry
        CHECK_CORRELATION_ID, which the steps counting what the twin received leave out.
        `sends` is that read's method and twin path (`("GET", "/v1/products")`). On the twin,
        when a Given step armed a fault the read would meet or use up, `on_twin` reads the
        admin surface instead, and the scenario's call meets the fault; under a rate limit
        (the twin's start-up one or a Given step's) the read goes through the adapter with the
        limit lifted, so it spends none of the budget."""
        twin = self.twin
        if twin is None:
            return self._read_on_side(on_api)
        if _fault_armed_for(twin.admin, *sends):
            return on_twin(twin.admin)
        with _limit_lifted(twin.admin):
            return self._read_on_side(on_api)

    def _read_on_side(self, on_api: Callable[[G2AClient], Checked]) -> Checked:
        """`on_api` on the checks' own client, its requests marked CHECK_CORRELATION_ID."""
        from g2a_adapter import G2AClient, Metrics

        if self._checker is None:
            self._checker = G2AClient(self._settings({}), metrics=Metrics(), logger=_CHECK_LOGGER)
        marked = correlation_id_var.set(CHECK_CORRELATION_ID)
        try:
            return on_api(self._checker)
        finally:
            correlation_id_var.reset(marked)

    def _drop_client(self) -> None:
        """Close the scenario's client; its next call builds it anew, with the current
        settings."""
        if self._client is not None:
            self._client.close()
        self._client = None

    def secrets(self) -> list[str]:
        """Every credential value in play: configured ones, wrong ones, issued tokens."""
        values = list(self._client.settings.secret_values()) if self._client else []
        values += [str(v) for k, v in self.overrides.items() if "key" in k or "secret" in k]
        values += [t.access_token.get_secret_value() for t in self.notes.get("tokens", [])]
        values += self.target.secret_values()
        return sorted({v for v in values if v and len(v) >= 8})

    def noted(self, note: str, what: str, remedy: str) -> Any:
        """What an earlier step kept in `notes[note]`; without it, fail as `missing` says."""
        if note not in self.notes:
            raise missing(what, remedy)
        return self.notes[note]

    # --- outcomes ---------------------------------------------------------------------------
    def attempt(self, action: Callable[[], Any]) -> Any:
        """Run one adapter call, keeping its result or the adapter error it raised."""
        from g2a_adapter import G2AError

        self.outcome, self.error, self.attempted = None, None, True
        try:
            self.outcome = action()
        except G2AError as exc:
            self.error = exc
        else:
            self.results.append(self.outcome)
        return self.outcome

    def _expect_a_call(self) -> None:
        if not self.attempted:
            raise AssertionError(
                "no call was made in this scenario: a When step must call the adapter first"
            )

    def expect_success(self) -> Any:
        """The last call's result; it must have succeeded."""
        self._expect_a_call()
        if self.error is not None:
            raise AssertionError(f"expected success, got {type(self.error).__name__}: {self.error}")
        return self.outcome

    def expect_error(self, kind: type[Raised]) -> Raised:
        """The last call's error, which must be a `kind`."""
        self._expect_a_call()
        if self.error is None:
            raise AssertionError(
                f"expected {kind.__name__}, but the call succeeded: {self.outcome!r}"
            )
        if not isinstance(self.error, kind):
            raise AssertionError(
                f"expected {kind.__name__}, got {type(self.error).__name__}: {self.error}"
            )
        return self.error

    def on_close(self, closer: Callable[[], None]) -> None:
        self._closers.append(closer)

    def close(self) -> None:
        self._drop_client()
        if self._checker is not None:
            self._checker.close()
        self._checker = None
        while self._closers:
            self._closers.pop()()
