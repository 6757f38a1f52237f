"""Import API OAuth tokens: one cache core, thin sync and async single-flight wrappers.

`TokenState` holds the cached token and makes every decision (is it still good, must it be
refreshed early, was the refused token already replaced by another caller) and builds the
token request. From its first token demand it counts in `g2a_token_ttl_seconds` (the lowest
TTL over the clients of one `Metrics`), so a client that never uses the Import API (Export
calls only) never pins the gauge at 0. The wrappers only add a lock — `threading.Lock` for
threads, `asyncio.Lock` for tasks — and the double check that makes N concurrent callers cause
one fetch.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable

from g2a_adapter._errors import ApiAuthError, AuthError, G2AApiError
from g2a_adapter.client._core import ClientCore, Flow, Spec
from g2a_adapter.client._models import AccessToken

EARLY_REFRESH_FRACTION = 0.2  # refresh once less than 20 % of the token's life is left
_REFUSAL_STATUSES = frozenset({400, 401, 403})


def is_refusal(error: G2AApiError) -> bool:
    """Whether the token endpoint refused the credentials (RFC 6749 §5.2: 400 or 401; 403)."""
    return isinstance(error, ApiAuthError) or error.status_code in _REFUSAL_STATUSES


def _now() -> float:
    return time.time()  # looked up at call time, so freezegun can move it


class TokenState:
    """The cached token, its refresh rules and the token request (no locks, no I/O)."""

    def __init__(self, core: ClientCore, clock: Callable[[], float] = _now) -> None:
        self._core = core
        self._clock = clock
        self.token: AccessToken | None = None
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
        return None if token.refresh_due(self._clock(), EARLY_REFRESH_FRACTION) else token

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

    def accept(self, token: AccessToken) -> AccessToken:
        self._core.mask_token(token)
        self.token = token
        return token

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
        token = self.state.usable(force, stale)
        if token is None:
            with self._lock:
                token = self.state.usable(force, stale) or self.state.accept(
                    self._run(self.state.fetch())
                )
        return token


class AsyncTokens:
    """Single flight across tasks of one event loop."""

    def __init__(
        self, state: TokenState, run: Callable[[Flow[AccessToken]], Awaitable[AccessToken]]
    ):
        self.state = state
        self._run = run
        self._lock = asyncio.Lock()

    async def get(self, force: bool = False, stale: AccessToken | None = None) -> AccessToken:
        token = self.state.usable(force, stale)
        if token is None:
            async with self._lock:
                token = self.state.usable(force, stale) or self.state.accept(
                    await self._run(self.state.fetch())
                )
        return token
