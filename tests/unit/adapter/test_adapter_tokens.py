"""Import API tokens: real expires_in, early refresh, single flight, one refresh on 401."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import math
import re
import threading
import time
import traceback
from collections.abc import AsyncIterator, Callable
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
from freezegun import freeze_time
from runbook_support import logged_as, runbook

from g2a_adapter import (
    ApiAuthError,
    AsyncG2AClient,
    AuthError,
    G2AApiError,
    G2AClient,
    Metrics,
    RetryPolicy,
    Settings,
)
from g2a_adapter.client._auth import Flight, TokenState, _own_copy

SETTINGS = Settings(
    api_url="https://sandboxapi.g2a.com",
    api_hash="hash-id",
    api_key="9da984f6f7ad42bf6fce1dfd37d8391aac3780b1849b883718b75d08e22edf1e",
    oauth_client_secret="oauth-secret-value",
)
OFFERS = {"data": [], "meta": {"page": 1, "itemsPerPage": 20, "totalResults": 0}}
NO_RETRY = RetryPolicy(max_retries=0, sleep_enabled=False)


class FakeImportApi:
    """Counts token fetches; hands out tok-1, tok-2, ...; offers answer per `offer_statuses`."""

    def __init__(self, expires_in: int = 300, delay: float = 0.0) -> None:
        self.expires_in = expires_in
        self.delay = delay
        self.token_requests: list[httpx.Request] = []
        self.offer_auth: list[str] = []
        self.offer_statuses: list[int] = []
        self.token_status = 200
        self._lock = threading.Lock()

    def _answer(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/token":
            with self._lock:
                self.token_requests.append(request)
                number = len(self.token_requests)
            if self.token_status >= 500:  # an outage: no G2A error body
                return httpx.Response(self.token_status)
            if self.token_status != 200:
                body = {"code": "AUTH02", "message": "bad client"}
                return httpx.Response(self.token_status, json=body)
            body = {"access_token": f"tok-{number}", "token_type": "bearer"}
            return httpx.Response(200, json={**body, "expires_in": self.expires_in})
        self.offer_auth.append(request.headers["Authorization"])
        status = self.offer_statuses.pop(0) if self.offer_statuses else 200
        if status != 200:
            return httpx.Response(status, json={"code": "AUTH02", "message": "expired"})
        return httpx.Response(200, json=OFFERS)

    def handler(self, request: httpx.Request) -> httpx.Response:
        if self.delay:
            time.sleep(self.delay)
        return self._answer(request)

    async def async_handler(self, request: httpx.Request) -> httpx.Response:
        if self.delay:
            await asyncio.sleep(self.delay)
        return self._answer(request)


def sync_client(api: FakeImportApi, metrics: Metrics | None = None) -> G2AClient:
    return G2AClient(
        SETTINGS, transport=httpx.MockTransport(api.handler), metrics=metrics, retry=NO_RETRY
    )


def ttl_gauge(metrics: Metrics) -> float | None:
    return metrics.registry.get_sample_value("g2a_token_ttl_seconds")


def assert_unknown(gauge: float | None) -> None:
    """Exported, and NaN: no client asked for a token, so there is none to watch."""
    assert gauge is not None, "g2a_token_ttl_seconds is not exported"
    assert math.isnan(gauge), f"expected NaN, got {gauge}"


def at_once(count: int, work: Callable[[int], object]) -> None:
    """Run `work(0)` … `work(count - 1)` in threads that start together; wait for all."""
    start = threading.Barrier(count)

    def run(number: int) -> None:
        start.wait()
        work(number)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def test_token_request_is_client_credentials_form() -> None:
    api = FakeImportApi()
    with sync_client(api) as client:
        token = client.auth.token()
    (request,) = api.token_requests
    assert request.method == "POST"
    assert str(request.url) == "https://sandboxapi.g2a.com/oauth/token"
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert "Authorization" not in request.headers
    assert parse_qs(request.content.decode()) == {
        "grant_type": ["client_credentials"],
        "client_id": ["hash-id"],
        "client_secret": ["oauth-secret-value"],
    }
    assert token.access_token.get_secret_value() == "tok-1"
    assert "tok-1" not in repr(token)


def test_cached_with_real_expiry_and_refreshed_before_twenty_percent_left() -> None:
    api = FakeImportApi(expires_in=300)
    metrics = Metrics()
    with freeze_time("2026-01-01 00:00:00") as clock, sync_client(api, metrics) as client:
        assert_unknown(ttl_gauge(metrics))  # none asked for a token: unknown
        first = client.auth.token()
        assert first.expires_at.isoformat() == "2026-01-01T00:05:00+00:00"
        assert ttl_gauge(metrics) == 300.0
        clock.tick(200)
        assert client.auth.token() is first
        assert first.ttl_seconds() == 100.0
        assert ttl_gauge(metrics) == 100.0
        clock.tick(39)  # 61 s left: more than 20 % of 300
        assert client.auth.token() is first
        clock.tick(1)  # 60 s left: refresh early
        second = client.auth.token()
        assert second.access_token.get_secret_value() == "tok-2"
        assert ttl_gauge(metrics) == 300.0
        clock.tick(400)  # long past expiry
        assert client.auth.token().access_token.get_secret_value() == "tok-3"
    assert len(api.token_requests) == 3


def test_short_lived_tokens_follow_their_own_expires_in() -> None:
    api = FakeImportApi(expires_in=10)
    with freeze_time("2026-01-01") as clock, sync_client(api) as client:
        client.auth.token()
        clock.tick(7)
        client.auth.token()
        assert len(api.token_requests) == 1
        clock.tick(1)  # 2 s left of 10
        client.auth.token()
    assert len(api.token_requests) == 2


def test_single_flight_across_threads() -> None:
    api = FakeImportApi(delay=0.05)
    with sync_client(api) as client:
        tokens: list[str] = []
        at_once(8, lambda _: tokens.append(client.auth.token().access_token.get_secret_value()))
    assert tokens == ["tok-1"] * 8
    assert len(api.token_requests) == 1


@pytest.mark.anyio
async def test_single_flight_across_tasks() -> None:
    api = FakeImportApi(delay=0.05)
    transport = httpx.MockTransport(api.async_handler)
    async with AsyncG2AClient(SETTINGS, transport=transport, retry=NO_RETRY) as client:
        tokens = await asyncio.gather(*(client.auth.token() for _ in range(8)))
        pages = await asyncio.gather(*(client.offers.list() for _ in range(8)))
    assert {t.access_token.get_secret_value() for t in tokens} == {"tok-1"}
    assert len(api.token_requests) == 1
    assert len(pages) == 8
    assert set(api.offer_auth) == {"Bearer tok-1"}


@contextlib.asynccontextmanager
async def frozen_async_client(
    api: FakeImportApi,
) -> AsyncIterator[tuple[AsyncG2AClient, Any]]:
    """An async client of `api`, with time frozen at 2026-01-01, and the frozen clock (it has
    `tick`)."""
    transport = httpx.MockTransport(api.async_handler)
    with freeze_time("2026-01-01", real_asyncio=True) as clock:
        async with AsyncG2AClient(SETTINGS, transport=transport, retry=NO_RETRY) as client:
            yield client, clock


@pytest.mark.anyio
async def test_async_cache_across_expiry_with_frozen_time() -> None:
    api = FakeImportApi(expires_in=300)
    async with frozen_async_client(api) as (client, clock):
        await client.offers.list()
        clock.tick(239)
        await client.offers.list()
        clock.tick(1)
        await client.offers.list()
    assert api.offer_auth == ["Bearer tok-1", "Bearer tok-1", "Bearer tok-2"]


def test_401_forces_one_refresh_then_succeeds() -> None:
    api = FakeImportApi()
    api.offer_statuses = [401]
    with sync_client(api) as client:
        page = client.offers.list()
    assert page.meta.total_results == 0
    assert api.offer_auth == ["Bearer tok-1", "Bearer tok-2"]


def test_401_twice_fails_with_typed_error_after_one_refresh() -> None:
    api = FakeImportApi()
    api.offer_statuses = [401, 401, 401]
    with sync_client(api) as client, pytest.raises(ApiAuthError) as caught:
        client.offers.list()
    assert (caught.value.code, caught.value.status_code) == ("AUTH02", 401)
    assert isinstance(caught.value, G2AApiError)
    assert len(api.token_requests) == 2
    assert len(api.offer_auth) == 2


def test_refused_token_request_is_an_auth_error_without_secrets() -> None:
    api = FakeImportApi()
    api.token_status = 401
    with sync_client(api) as client, pytest.raises(AuthError) as caught:
        client.auth.token()
    assert "AUTH02" in str(caught.value)
    assert "oauth-secret-value" not in str(caught.value)


def test_invalidate_forces_the_next_fetch() -> None:
    api = FakeImportApi()
    with sync_client(api) as client:
        client.auth.token()
        client.auth.invalidate()
        assert client.auth.token().access_token.get_secret_value() == "tok-2"


def test_refresh_after_401_is_shared_by_concurrent_callers() -> None:
    """Two threads whose calls were refused with the same token cause one refresh."""
    api = FakeImportApi(delay=0.02)
    with sync_client(api) as client:
        stale = client.auth.token()
        api.offer_statuses = [401, 401]
        at_once(2, lambda _: client.offers.list())
    assert stale.access_token.get_secret_value() == "tok-1"
    assert len(api.token_requests) == 2
    assert api.offer_auth.count("Bearer tok-2") == 2


# --- a failing token fetch is shared too ------------------------------------------------------

OUTAGE_RETRY = RetryPolicy(max_retries=2, sleep_enabled=False)  # 3 attempts per fetch


def outage() -> FakeImportApi:
    """The token endpoint answers 503 after 0.1 s: one fetch (3 attempts) takes 0.3 s."""
    api = FakeImportApi(delay=0.1)
    api.token_status = 503
    return api


def assert_one_shared_failure(errors: list[BaseException], api: FakeImportApi) -> None:
    assert len(api.token_requests) == 3  # one fetch, not one per caller
    assert len(errors) == 8
    # the fetch's own error, or for a caller that waited on it a copy of its own
    assert len({id(error) for error in errors}) == 8
    for error in errors:
        assert type(error) is G2AApiError
        assert (error.code, error.status_code) == ("HTTP503", 503)
        assert str(error) == str(errors[0])
    assert api.offer_auth == []


def test_a_failing_token_fetch_is_shared_by_the_threads_that_waited_on_it() -> None:
    """During an OAuth outage, callers that found a fetch running get its error when it ends;
    they do not each run a fetch of their own, one after the other."""
    api = outage()
    client = G2AClient(SETTINGS, transport=httpx.MockTransport(api.handler), retry=OUTAGE_RETRY)
    errors: list[BaseException] = []
    with client:

        def work(_: int) -> None:
            try:
                client.offers.list()
            except G2AApiError as exc:
                errors.append(exc)

        at_once(8, work)
        assert_one_shared_failure(errors, api)
        # each traceback shows its own caller's stack, not the frames of every waiter
        for error in errors:
            callers = [f for f in traceback.extract_tb(error.__traceback__) if f.name == "work"]
            assert len(callers) == 1, traceback.format_exception(error)
        with pytest.raises(G2AApiError):  # a caller after the fetch ended starts a new one
            client.auth.token()
    assert len(api.token_requests) == 6


@pytest.mark.anyio
async def test_a_failing_token_fetch_is_shared_by_the_tasks_that_waited_on_it() -> None:
    api = outage()
    transport = httpx.MockTransport(api.async_handler)
    async with AsyncG2AClient(SETTINGS, transport=transport, retry=OUTAGE_RETRY) as client:
        calls = (client.offers.list() for _ in range(8))
        errors = await asyncio.gather(*calls, return_exceptions=True)
        assert_one_shared_failure(list(errors), api)  # type: ignore[arg-type]
        with pytest.raises(G2AApiError):
            await client.auth.token()
    assert len(api.token_requests) == 6


def test_each_waiter_gets_the_fetch_s_error_with_its_cause_and_notes_of_its_own() -> None:
    """A refused token request (401): every caller's AuthError has the ApiAuthError as its
    cause, as the fetching caller's has, and a note one caller adds shows on no other's."""
    api = FakeImportApi(delay=0.1)
    api.token_status = 401
    client = G2AClient(SETTINGS, transport=httpx.MockTransport(api.handler), retry=NO_RETRY)
    errors: dict[int, AuthError] = {}
    with client:

        def work(number: int) -> None:
            try:
                client.auth.token()
            except AuthError as exc:
                exc.add_note(f"caller {number}")
                errors[number] = exc

        at_once(4, work)
    assert len(api.token_requests) == 1
    assert sorted(errors) == [0, 1, 2, 3]
    for number, error in errors.items():
        assert error.__notes__ == [f"caller {number}"]
        assert isinstance(error.__cause__, ApiAuthError)
        assert error.__cause__.status_code == 401


@pytest.mark.anyio
async def test_a_cancelled_token_fetch_hands_over_to_a_waiting_task() -> None:
    """The fetching task is cancelled: a task that waited on it fetches, and is not cancelled."""
    api = FakeImportApi(delay=0.1)
    transport = httpx.MockTransport(api.async_handler)
    async with AsyncG2AClient(SETTINGS, transport=transport, retry=NO_RETRY) as client:
        first = asyncio.create_task(client.auth.token())
        await asyncio.sleep(0.02)
        second = asyncio.create_task(client.auth.token())
        await asyncio.sleep(0.02)
        first.cancel()
        token = await second
    assert first.cancelled()
    assert token.access_token.get_secret_value() == "tok-1"  # the cancelled fetch got none
    assert len(api.token_requests) == 1


@pytest.fixture
def interrupted_boards(monkeypatch: pytest.MonkeyPatch) -> list[Flight[Any]]:
    """`TokenState.board` raising KeyboardInterrupt (Ctrl-C) right after it returned, once:
    the flights boarded so."""
    boarded: list[Flight[Any]] = []
    board = TokenState.board

    def board_then_interrupt(self: TokenState, *args: Any) -> tuple[Flight[Any], bool]:
        flight, _ = board(self, *args)
        boarded.append(flight)
        monkeypatch.undo()
        raise KeyboardInterrupt

    monkeypatch.setattr(TokenState, "board", board_then_interrupt)
    return boarded


def test_an_interrupt_right_after_taking_the_lead_ends_the_flight(
    interrupted_boards: list[Flight[Any]],
) -> None:
    """The flight an interrupted caller was to lead is ended (its waiters wake, none waits
    forever) and left: the next caller fetches."""
    api = FakeImportApi()
    with sync_client(api) as client:
        with pytest.raises(KeyboardInterrupt):
            client.auth.token()
        (flight,) = interrupted_boards
        assert (flight.done.is_set(), flight.token, flight.failure) == (True, None, None)
        assert client.auth.token().access_token.get_secret_value() == "tok-1"
    assert len(api.token_requests) == 1


@pytest.mark.anyio
async def test_an_interrupt_right_after_a_task_took_the_lead_ends_the_flight(
    interrupted_boards: list[Flight[Any]],
) -> None:
    api = FakeImportApi()
    transport = httpx.MockTransport(api.async_handler)
    async with AsyncG2AClient(SETTINGS, transport=transport, retry=NO_RETRY) as client:
        with pytest.raises(KeyboardInterrupt):
            await client.auth.token()
        (flight,) = interrupted_boards
        assert (flight.done.is_set(), flight.token, flight.failure) == (True, None, None)
        token = await client.auth.token()
    assert token.access_token.get_secret_value() == "tok-1"
    assert len(api.token_requests) == 1


# --- a failed early refresh while the cached token still holds ----------------------------------


def test_a_failed_early_refresh_keeps_the_cached_token_and_tries_again_after_a_pause(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An OAuth outage inside the last 20 % of a token's life does not fail Import calls: they
    go on with the cached token, the refresh is tried again every 10 s, and the first success
    replaces the token."""
    api = FakeImportApi(expires_in=300)
    caplog.set_level("WARNING", logger="g2a_adapter")
    with freeze_time("2026-01-01 00:00:00") as clock, sync_client(api) as client:
        client.offers.list()
        clock.tick(250)  # 50 s left: refresh due
        api.token_status = 503
        client.offers.list()  # the refresh fails, the call goes on with tok-1
        client.offers.list()  # within the pause: no new token request
        assert len(api.token_requests) == 2
        (record,) = [r for r in caplog.records if "refresh failed" in r.getMessage()]
        assert record.levelname == "WARNING"
        assert record.getMessage() == (
            "Early OAuth token refresh failed (G2AApiError); the current token holds for "
            "50 s, next try in 10.0 s"
        )
        assert (record.error, record.token_ttl_seconds) == ("G2AApiError", 50)  # type: ignore[attr-defined]
        clock.tick(10)  # the pause is over: one more try, which fails again
        client.offers.list()
        assert len(api.token_requests) == 3
        api.token_status = 200
        clock.tick(10)
        client.offers.list()
    assert api.offer_auth == ["Bearer tok-1"] * 4 + ["Bearer tok-4"]
    assert len([r for r in caplog.records if "refresh failed" in r.getMessage()]) == 2


def test_the_token_runbook_names_the_log_lines_of_a_failing_refresh(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Found by an operator's walkthrough: the G2ATokenExpiring runbook named no log line; the
    service logs each failed token request and each failed early refresh."""
    api = FakeImportApi(expires_in=300)
    caplog.set_level("WARNING", logger="g2a_adapter")
    with freeze_time("2026-01-01 00:00:00") as clock, sync_client(api) as client:
        client.offers.list()
        clock.tick(250)
        api.token_status = 503
        client.offers.list()
    logged = [r.getMessage() for r in caplog.records if r.name == "g2a_adapter"]
    templates = [t for t in re.findall(r"`([^`]+)`", runbook("runbook-g2a-token")) if "<" in t]
    assert len(templates) == len(logged) == 2, (templates, logged)
    for template, line in zip(templates, logged, strict=True):
        assert logged_as(template).fullmatch(line), (template, line)


def test_a_failed_refresh_fails_once_the_cached_token_no_longer_outlasts_the_pause() -> None:
    api = FakeImportApi(expires_in=300)
    with freeze_time("2026-01-01 00:00:00") as clock, sync_client(api) as client:
        client.auth.token()
        clock.tick(290)  # 10 s left: not more than the pause
        api.token_status = 503
        with pytest.raises(G2AApiError) as caught:
            client.offers.list()
    assert (caught.value.code, caught.value.status_code) == ("HTTP503", 503)
    assert api.offer_auth == []


def test_a_refused_token_is_not_used_again_when_its_refresh_fails() -> None:
    """After a 401 the cached token is known bad: a failed refresh fails the call, whatever
    life the token claimed to have left."""
    api = FakeImportApi(expires_in=300)
    with freeze_time("2026-01-01 00:00:00"), sync_client(api) as client:
        client.auth.token()
        api.offer_statuses = [401]
        api.token_status = 503
        with pytest.raises(G2AApiError) as caught:
            client.offers.list()
    assert caught.value.status_code == 503
    assert api.offer_auth == ["Bearer tok-1"]


def test_threads_waiting_on_a_failed_early_refresh_all_get_the_cached_token() -> None:
    api = FakeImportApi(expires_in=300, delay=0.05)
    with freeze_time("2026-01-01 00:00:00", tick=False) as clock, sync_client(api) as client:
        client.auth.token()
        clock.tick(250)
        api.token_status = 503
        tokens: list[str] = []
        at_once(8, lambda _: tokens.append(client.auth.token().access_token.get_secret_value()))
    assert tokens == ["tok-1"] * 8
    assert len(api.token_requests) == 2  # the first token, then one shared refresh


@pytest.mark.anyio
async def test_tasks_go_on_with_the_cached_token_when_the_early_refresh_fails() -> None:
    api = FakeImportApi(expires_in=300)
    async with frozen_async_client(api) as (client, clock):
        await client.offers.list()
        clock.tick(250)
        api.token_status = 503
        await asyncio.gather(*(client.offers.list() for _ in range(4)))
        clock.tick(10)
        api.token_status = 200
        await client.offers.list()
    assert api.offer_auth == ["Bearer tok-1"] * 5 + ["Bearer tok-3"]
    assert len(api.token_requests) == 3


# --- g2a_token_ttl_seconds over several clients sharing one Metrics --------------------------


def test_ttl_gauge_is_the_lowest_over_the_clients_that_use_tokens() -> None:
    """A client counts from its first token demand; one built later, or Export-only, does not
    pin the gauge at 0; one whose token request is refused (no token) does, whoever was built
    last, so G2ATokenExpiring can fire."""
    healthy, refused = FakeImportApi(expires_in=300), FakeImportApi(expires_in=300)
    refused.token_status = 401
    metrics = Metrics()
    with freeze_time("2026-01-01") as clock:
        assert_unknown(ttl_gauge(metrics))  # none asked for a token: unknown
        failing = sync_client(refused, metrics)  # built first
        good = sync_client(healthy, metrics)
        good.auth.token()
        assert ttl_gauge(metrics) == 300.0
        export_only = G2AClient(
            SETTINGS, transport=httpx.MockTransport(refused.handler), metrics=metrics
        )  # built last, never asks for a token
        assert ttl_gauge(metrics) == 300.0
        clock.tick(100)
        assert ttl_gauge(metrics) == 200.0
        with pytest.raises(AuthError):
            failing.auth.token()
        assert ttl_gauge(metrics) == 0.0
        failing.close()
        good.close()
        export_only.close()


@pytest.mark.anyio
async def test_async_clients_share_the_lowest_ttl_with_sync_ones() -> None:
    older, newer = FakeImportApi(expires_in=300), FakeImportApi(expires_in=600)
    metrics = Metrics()
    with freeze_time("2026-01-01", real_asyncio=True) as clock:
        sync = sync_client(older, metrics)
        sync.auth.token()
        clock.tick(50)
        transport = httpx.MockTransport(newer.async_handler)
        async with AsyncG2AClient(
            SETTINGS, transport=transport, metrics=metrics, retry=NO_RETRY
        ) as client:
            assert ttl_gauge(metrics) == 250.0
            await client.auth.token()
            assert ttl_gauge(metrics) == 250.0  # the sync client's token expires first
            clock.tick(300)
            assert ttl_gauge(metrics) == 0.0  # expired, not refreshed yet
            sync.auth.token()
            assert ttl_gauge(metrics) == 300.0  # the async client's: 600 - 300
        sync.close()


def test_a_collected_client_no_longer_counts_in_the_ttl_gauge() -> None:
    metrics = Metrics()
    with freeze_time("2026-01-01") as clock:
        first = sync_client(FakeImportApi(expires_in=300), metrics)
        first.auth.token()
        clock.tick(100)
        second = sync_client(FakeImportApi(expires_in=300), metrics)
        second.auth.token()
        assert ttl_gauge(metrics) == 200.0
        first.close()
        del first
        gc.collect()
        assert ttl_gauge(metrics) == 300.0
        second.close()
        del second
        gc.collect()
        assert_unknown(ttl_gauge(metrics))  # no client left: unknown again


def test_a_released_token_state_no_longer_counts_in_the_ttl_gauge() -> None:
    """`TokenState.release()` (for a closed client) drops it out at once, for good."""
    metrics = Metrics()
    with freeze_time("2026-01-01"), sync_client(FakeImportApi(), metrics) as client:
        client.auth.invalidate()
        client.auth.token()
        client.auth.invalidate()  # no token: it pins the gauge at 0
        assert ttl_gauge(metrics) == 0.0
        state = client._tokens
        state.release()
        state.usable(force=False, stale=None)  # a demand after the release: not counted again
        other = sync_client(FakeImportApi(expires_in=120), metrics)
        other.auth.token()
        assert ttl_gauge(metrics) == 120.0
        other.close()


@pytest.mark.anyio
async def test_a_closed_client_leaves_the_ttl_gauge_at_once() -> None:
    """A closed client's token is never refreshed again: counting it until the garbage
    collector runs (the client holds reference cycles) pinned the gauge at its lapsed TTL."""
    metrics = Metrics()
    with freeze_time("2026-01-01", real_asyncio=True) as clock:
        closed_sync = sync_client(FakeImportApi(expires_in=60), metrics)
        closed_sync.auth.token()
        transport = httpx.MockTransport(FakeImportApi(expires_in=90).async_handler)
        closed_async = AsyncG2AClient(SETTINGS, transport=transport, metrics=metrics)
        await closed_async.auth.token()
        live = sync_client(FakeImportApi(expires_in=600), metrics)
        live.auth.token()
        closed_sync.close()
        await closed_async.aclose()
        clock.tick(100)  # both closed clients' tokens have lapsed

        assert ttl_gauge(metrics) == 500.0  # the live client's alone
        live.close()


# --- the copy each waiter raises ---------------------------------------------------------------


class _NeedsKeywords(Exception):
    def __init__(self, *, reason: str) -> None:
        super().__init__()
        self.reason = reason

    def __str__(self) -> str:
        return f"failed: {self.reason}"


def _raised(error: Exception) -> Exception:
    """`error` once raised and caught, with a traceback, as a fetch's error is."""
    try:
        raise error
    except Exception as exc:
        return exc


@pytest.mark.parametrize(
    ("error", "copied"),
    [
        (G2AApiError("HTTP503", 503, "down"), True),
        (_NeedsKeywords(reason="x"), True),  # made without __init__, its fields copied
        (OSError(2, "not found", "token.json"), False),  # its file name is outside __dict__
        (UnicodeDecodeError("utf-8", b"\xff", 0, 1, "bad byte"), False),  # so are its fields
    ],
    ids=["g2a", "keywords", "oserror", "unicode"],
)
def test_a_waiter_s_error_says_what_the_fetch_s_error_said(error: Exception, copied: bool) -> None:
    """A copy of its own where one says the same, else the fetch's error itself."""
    original = _raised(error)
    original.add_note("seen by the fetching caller")
    copy = _own_copy(original)
    assert (copy is not original) == copied
    assert type(copy) is type(original)
    assert str(copy) == str(original)
    assert copy.__notes__ == ["seen by the fetching caller"]
    if copied:
        assert copy.__notes__ is not original.__notes__
        assert copy.__traceback__ is None
