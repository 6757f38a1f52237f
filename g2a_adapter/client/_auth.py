"""Import API OAuth tokens: one cache core, thin sync and async single-flight wrappers.

`TokenState` holds the cached token and makes every decision (is it still good, must it be
refreshed early, was the refused token already replaced by another caller) and builds the
token request. From its first token demand it counts in `g2a_token_ttl_seconds` (the lowest
TTL over the clients of one `Metrics`), so a client that never uses the Import API (Export
calls only) never pins the gauge at 0.

Single flight: a caller that needs a token while a fetch is running waits for that fetch and
gets its outcome, its token or its error (during an OAuth outage N callers cause one fetch and
fail together, not one after the other). Only a caller arriving after the fetch ended starts
another. `TokenState` keeps the running fetch (`Flight`); the wrappers only add the waiting
primitive — `threading.Event` and a lock for threads, `asyncio.Event` for tasks.

An early refresh that fails does not fail its callers while the cached token still holds: they
get that token (a warning is logged), and the refresh is tried again after a pause, so an OAuth
outage only fails Import calls once the token has really run out.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any, Generic, TypeVar

from g2a_adapter._errors import ApiAuthError, AuthError, G2AApiError
from g2a_adapter.client._core import ClientCore, Flow, Spec
from g2a_adapter.client._models import AccessToken

EARLY_REFRESH_FRACTION = 0.2  # refresh once less than 20 % of the token's life is left
EARLY_REFRESH_PAUSE = 10.0  # seconds before a failed early refresh is tried again
_REFUSAL_STATUSES = frozenset({400, 401, 403})
E = TypeVar("E", threading.Event, asyncio.Event)


def is_refusal(error: G2AApiError) -> bool:
    """Whether the token endpoint refused the credentials (RFC 6749 §5.2: 400 or 401; 403)."""
    return isinstance(error, ApiAuthError) or error.status_code in _REFUSAL_STATUSES


def _now() -> float:
    return time.time()  # looked up at call time, so freezegun can move it


class Flight(Generic[E]):
    """One token fetch; the callers that found it running wait on `done` for its outcome."""

    def __init__(self, done: E) -> None:
        self.done: E = done
        self.token: AccessToken | None = None
        # the fetch's error, and a copy of it as it failed: nobody raises or annotates that one
        self.failure: tuple[Exception, Exception] | None = None


class Lead(Generic[E]):
    """The flight a caller leads, from the moment it takes the lead (`TokenState.board`)."""

    def __init__(self) -> None:
        self.flight: Flight[E] | None = None


def _own_copy(error: Exception) -> Exception:
    """`error` once more, for one more caller: same type, arguments, fields and cause, notes
    of its own and a traceback of its own (one object raised in many threads piles all their
    frames onto it). `error` itself where a copy would not say the same (a type whose fields
    live outside `args` and `__dict__`, or that cannot be made from its `args`)."""
    try:
        copy = type(error).__new__(type(error), *error.args)
    except Exception:
        return error
    copy.__dict__.update(vars(error))
    if hasattr(error, "__notes__"):
        copy.__notes__ = list(error.__notes__)
    copy.__cause__ = error.__cause__
    copy.__suppress_context__ = error.__suppress_context__
    return copy if str(copy) == str(error) else error


class TokenState:
    """The cached token, its refresh rules, the running fetch and the token request (no
    locks, no I/O)."""

    def __init__(self, core: ClientCore, clock: Callable[[], float] = _now) -> None:
        self._core = core
        self._clock = clock
        self.token: AccessToken | None = None
        self._flight: Flight[Any] | None = None
        self._early_refresh_from = 0.0  # the clock time a paused early refresh may run again
        self._ttl_counted = False  # set at the first token demand, and for good by `release`

    def ttl_seconds(self) -> float:
        token = self.token
        return 0.0 if token is None else token.ttl_seconds(self._clock())

    def usable(self, force: bool, stale: AccessToken | None) -> AccessToken | None:
        """The cached token if it will do, else None (this caller must fetch).

        A forced refresh after a 401 names the refused token (`stale`): if another caller
        has replaced it meanwhile, the new one is used instead of fetching again. The first
        demand counts this client in the TTL gauge (without a token yet, as 0).
        """
        if not self._ttl_counted:
            self._ttl_counted = True
            self._core.metrics.track_token_ttl(self)
        token = self.token
        if token is None:
            return None
        if force:
            return None if stale is None or token is stale else token
        now = self._clock()
        if not token.refresh_due(now, EARLY_REFRESH_FRACTION):
            return token
        return token if now < self._early_refresh_from else None

    def outcome(
        self, flight: Flight[Any], leader: bool, force: bool, stale: AccessToken | None
    ) -> AccessToken | None:
        """What `flight` gives this caller: its token; if it failed, the cached token while
        that still holds for longer than the pause (the early refresh waits out the pause),
        else the error raised (the leader's own; for each waiter a copy of its own, as it was
        when the fetch failed). None if the fetch was cut short (its leader was cancelled or
        interrupted): the caller then starts over."""
        if flight.failure is None:
            return flight.token
        error, as_it_failed = flight.failure
        now = self._clock()
        token = self.token
        refused = force and (stale is None or token is stale)
        if token is None or refused or token.ttl_seconds(now) <= EARLY_REFRESH_PAUSE:
            raise error if leader else _own_copy(as_it_failed)
        if now >= self._early_refresh_from:
            self._early_refresh_from = now + EARLY_REFRESH_PAUSE
            fields = {
                "error": type(error).__name__,
                "token_ttl_seconds": round(token.ttl_seconds(now)),
                "retry_in_seconds": EARLY_REFRESH_PAUSE,
            }
            self._core.logger.warning(
                "Early OAuth token refresh failed (%(error)s); the current token holds for "
                "%(token_ttl_seconds)s s, next try in %(retry_in_seconds)s s",
                fields,
                extra=fields,
            )
        return token

    def board(self, new_event: Callable[[], E], lead: Lead[E]) -> tuple[Flight[E], bool]:
        """The fetch to wait for: the running one, or a new one this caller leads (True), kept
        in `lead` before it is published, so `boarding` ends it however the caller stops."""
        if self._flight is not None:
            return self._flight, False
        lead.flight = Flight(new_event())
        self._flight = lead.flight
        return lead.flight, True

    @contextmanager
    def boarding(self, lock: AbstractContextManager[object]) -> Iterator[Lead[Any]]:
        """Around a caller's `board` and what follows: if it took the lead, its fetch's token
        or error (kept, not raised: `outcome` decides) is the flight's outcome, and the callers
        waiting on it are woken however it ends. The lead is taken inside, so no interruption
        (Ctrl-C, a cancellation) can leave a flight running that nobody ends."""
        lead: Lead[Any] = Lead()
        try:
            yield lead
        except Exception as exc:
            if lead.flight is None:
                raise
            lead.flight.failure = (exc, _own_copy(exc))
        finally:
            if lead.flight is not None:
                with lock:  # who arrives from now on finds the token, or starts a new fetch
                    self._flight = None
                lead.flight.done.set()

    def fetch(self) -> Flow[AccessToken]:
        """The token request (client credentials, form body) as a flow."""
        settings = self._core.settings
        requested_at = self._clock()

        def parse(body: bytes) -> AccessToken:
            return AccessToken.model_validate_json(body).model_copy(
                update={"obtained_at": requested_at}
            )

        spec = Spec(
            "POST",
            f"{self._core.import_url}/oauth/token",
            "/oauth/token",
            parse,
            api="oauth",
            form={
                "grant_type": "client_credentials",
                "client_id": settings.oauth_client_id,
                "client_secret": settings.oauth_client_secret.get_secret_value(),
            },
        )
        try:
            token: AccessToken = yield from self._core.exchange(spec)
        except G2AApiError as exc:
            if not is_refusal(exc):
                raise  # a 429 or an outage says nothing about the credentials
            raise AuthError(
                f"OAuth token request refused: {exc.code} (HTTP {exc.status_code})"
            ) from exc
        return token

    def accept(self, flight: Flight[Any], token: AccessToken) -> None:
        """Cache the fetched `token` as `flight`'s outcome."""
        self._core.mask_token(token)
        self.token = flight.token = token

    def invalidate(self) -> None:
        self.token = None

    def release(self) -> None:
        """Stop counting in the TTL gauge (the client is closed), even on a later demand."""
        self._ttl_counted = True
        self._core.metrics.release_token_ttl(self)


class SyncTokens:
    """Single flight across threads."""

    def __init__(self, state: TokenState, run: Callable[[Flow[AccessToken]], AccessToken]):
        self.state = state
        self._run = run
        self._lock = threading.Lock()

    def get(self, force: bool = False, stale: AccessToken | None = None) -> AccessToken:
        token = self.state.usable(force, stale)  # the common case, without the lock
        while token is None:
            with self.state.boarding(self._lock) as lead:
                with self._lock:
                    token = self.state.usable(force, stale)
                    if token is not None:
                        return token
                    flight, leader = self.state.board(threading.Event, lead)
                if leader:
                    self.state.accept(flight, self._run(self.state.fetch()))
                else:
                    flight.done.wait()
            token = self.state.outcome(flight, leader, force, stale)
        return token


class AsyncTokens:
    """Single flight across tasks of one event loop (no lock: nothing awaits in between)."""

    def __init__(
        self, state: TokenState, run: Callable[[Flow[AccessToken]], Awaitable[AccessToken]]
    ):
        self.state = state
        self._run = run

    async def get(self, force: bool = False, stale: AccessToken | None = None) -> AccessToken:
        token = self.state.usable(force, stale)
        while token is None:
            with self.state.boarding(nullcontext()) as lead:
                flight, leader = self.state.board(asyncio.Event, lead)
                if leader:
                    self.state.accept(flight, await self._run(self.state.fetch()))
                else:
                    await flight.done.wait()
            token = self.state.outcome(flight, leader, force, stale)
        return token
