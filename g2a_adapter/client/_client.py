"""`G2AClient` and `AsyncG2AClient`: the same services over one sans-IO core.

Each client is a *driver*: it runs the flows built by the services (`_core.py`) and performs
the actions they yield — send, sleep, token, store call — with blocking or async I/O. That
loop (`_drive`/`_adrive`) is the only thing that differs between the two.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from types import TracebackType
from typing import Any, Self, TypedDict, TypeVar, Unpack

import httpx

from g2a_adapter._config import Settings
from g2a_adapter._errors import ClientClosedError
from g2a_adapter._metrics import Metrics
from g2a_adapter.client._auth import AsyncTokens, SyncTokens, TokenState
from g2a_adapter.client._core import ClientCore, Flow, NeedToken, Send, Sleep, StoreCall
from g2a_adapter.client._models import AccessToken, PurchaseResult
from g2a_adapter.client._offers import AsyncJobs, AsyncOffers, ImportCalls, Jobs, Offers
from g2a_adapter.client._orders import AsyncOrders, OrderCalls, Orders
from g2a_adapter.client._products import AsyncProducts, ProductCalls, Products
from g2a_adapter.client._purchase import PurchaseFlow, PurchaseRequest
from g2a_adapter.client._purchase_results import result_of
from g2a_adapter.client._retry import RetryPolicy
from g2a_adapter.client._transport import AsyncTransport, SyncTransport
from g2a_adapter.idempotency import open_store
from g2a_adapter.idempotency._base import IdempotencyStore
from g2a_adapter.idempotency._url import require_driver

T = TypeVar("T")
LOGGER_NAME = "g2a_adapter"
_POOL = httpx.Limits(max_connections=100, max_keepalive_connections=20)


class _Options(TypedDict, total=False):
    """The keyword arguments both clients take besides their settings (`from_env`)."""

    store: IdempotencyStore | None
    metrics: Metrics | None
    retry: RetryPolicy | None
    logger: logging.Logger | None


class _SyncOptions(_Options, total=False):
    transport: httpx.BaseTransport | None


class _AsyncOptions(_Options, total=False):
    transport: httpx.AsyncBaseTransport | None


class _Shared:
    """What both clients set up the same way: core, calls, token state, store."""

    def __init__(
        self,
        settings: Settings,
        store: IdempotencyStore | None,
        metrics: Metrics | None,
        retry: RetryPolicy | None,
        logger: logging.Logger | None,
    ) -> None:
        self.settings = settings
        self.metrics = metrics if metrics is not None else Metrics()
        self._core = ClientCore(
            settings,
            metrics=self.metrics,
            retry=retry if retry is not None else RetryPolicy(max_retries=settings.retry_max),
            logger=logger if logger is not None else logging.getLogger(LOGGER_NAME),
        )
        self._tokens = TokenState(self._core)
        self._order_calls = OrderCalls(self._core)
        self._product_calls = ProductCalls(self._core)
        self._import_calls = ImportCalls(self._core)
        if store is None:  # opened at the first purchase: a missing driver is known now
            require_driver(settings.idempotency_url)
        self._store = store
        self._owns_store = store is None
        self._purchase_flow: PurchaseFlow | None = None
        self._store_lock = threading.Lock()  # one store opened, never one after the close
        self._purchases_running = 0  # each keeps the store open past the client's close
        self._closed = False

    def _check_open(self) -> None:
        """Refuse a call once the client is closed: its connections and store are gone."""
        if self._closed:
            raise ClientClosedError(f"{type(self).__name__} was closed; use a new client")

    def _purchase(self, request: PurchaseRequest) -> Flow[PurchaseResult]:
        """A purchase. Opening the store on first use may block (a lock wait, a connect), so
        it is a store call: the async client runs it on a worker thread, off the event loop.

        The purchase keeps the store open until it ends, even once the client is closed under
        it: stopped at its next call to G2A, it still records its progress and lets go of its
        key, so a re-run on a new client resumes at once.

        A purchase that ends before its flow starts (its store cannot be opened) is counted
        here; the flow counts every other end."""
        try:
            flow: PurchaseFlow = yield StoreCall(self._start_purchase)
        except Exception as exc:
            self.metrics.purchases_total.labels(result=result_of(exc)).inc()
            raise
        try:
            result: PurchaseResult = yield from flow.run(request)
        except GeneratorExit:  # ended by its driver (cancelled, interrupted): it yields no more
            self._end_purchase()
            raise
        except BaseException:
            yield StoreCall(self._end_purchase)
            raise
        yield StoreCall(self._end_purchase)
        return result

    def _start_purchase(self) -> PurchaseFlow:
        """The purchase flow, opening the configured store on first use."""
        with self._store_lock:
            self._check_open()  # a closed client never opens its store again
            if self._purchase_flow is None:
                if self._store is None:
                    self._store = open_store(self.settings.idempotency_url)
                self._purchase_flow = PurchaseFlow(
                    self._order_calls,
                    self._store,
                    self.metrics,
                    self.settings.purchase_lease_seconds,
                )
            self._purchases_running += 1
            return self._purchase_flow

    def _end_purchase(self) -> None:
        """The last purchase to end after the client's close closes the store it owns."""
        with self._store_lock:
            self._purchases_running -= 1
            if self._closed and not self._purchases_running:
                self._close_owned_store()

    def _mark_closed(self) -> None:
        """No call from now on, and no count in the token TTL gauge (whose other clients go on)."""
        self._closed = True
        self._tokens.release()

    def _close_store(self) -> None:
        with self._store_lock:
            if not self._purchases_running:  # else the last of them closes it
                self._close_owned_store()

    def _close_owned_store(self) -> None:
        if self._owns_store and self._store is not None:
            self._store.close()
            self._store = None
            self._purchase_flow = None

    def __repr__(self) -> str:
        name, settings = type(self).__name__, self.settings
        return f"{name}(api_url={settings.api_url!r}, env={settings.env!r})"


class G2AClient(_Shared):
    """Blocking client. Use as a context manager (or call `close()`)."""

    def __init__(
        self,
        settings: Settings,
        *,
        transport: httpx.BaseTransport | None = None,
        store: IdempotencyStore | None = None,
        metrics: Metrics | None = None,
        retry: RetryPolicy | None = None,
        logger: logging.Logger | None = None,
    ) -> None:
        super().__init__(settings, store, metrics, retry, logger)
        self._http = SyncTransport(
            httpx.Client(transport=transport, timeout=settings.timeout_seconds, limits=_POOL)
        )
        self._token_cache = SyncTokens(self._tokens, self._drive)
        self.auth = Auth(self._tokens, self._token_cache)
        self.products = Products(self._product_calls, self._drive)
        self.orders = Orders(self._order_calls, self._purchase, self._drive)
        self.offers = Offers(self._import_calls, self._drive)
        self.jobs = Jobs(self._import_calls, self._drive)

    @classmethod
    def from_env(cls, **options: Unpack[_SyncOptions]) -> G2AClient:
        """A client of the settings in the environment (`Settings.from_env()`)."""
        return cls(Settings.from_env(), **options)

    def _drive(self, flow: Flow[T]) -> T:
        self._check_open()
        reply: Any = None
        error: BaseException | None = None
        while True:
            try:
                action = flow.throw(error) if error is not None else flow.send(reply)
            except StopIteration as stop:
                result: T = stop.value
                return result
            reply, error = None, None
            try:
                if not isinstance(action, StoreCall):  # a running purchase's store stays open
                    self._check_open()  # closed under the call: the flow hears it and cleans up
                if isinstance(action, Send):
                    reply = self._http.send(action.request)
                elif isinstance(action, Sleep):
                    time.sleep(action.seconds)
                elif isinstance(action, NeedToken):
                    reply = self._token_cache.get(action.force, action.stale)
                elif isinstance(action, StoreCall):
                    reply = action.operation()
            except Exception as exc:  # handed to the flow, which may clean up and re-raise
                error = exc
            except BaseException:  # cancelled or interrupted: the flow ends now, cleaning up
                flow.close()
                raise

    def close(self) -> None:
        self._mark_closed()
        self._http.close()
        self._close_store()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class AsyncG2AClient(_Shared):
    """Async client (asyncio). Use as an async context manager (or `await aclose()`).

    Store operations are blocking calls of the sync store protocol; they run in a worker
    thread so the event loop never waits on the database.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        store: IdempotencyStore | None = None,
        metrics: Metrics | None = None,
        retry: RetryPolicy | None = None,
        logger: logging.Logger | None = None,
    ) -> None:
        super().__init__(settings, store, metrics, retry, logger)
        self._http = AsyncTransport(
            httpx.AsyncClient(transport=transport, timeout=settings.timeout_seconds, limits=_POOL)
        )
        self._token_cache = AsyncTokens(self._tokens, self._drive)
        self.auth = AsyncAuth(self._tokens, self._token_cache)
        self.products = AsyncProducts(self._product_calls, self._drive)
        self.orders = AsyncOrders(self._order_calls, self._purchase, self._drive)
        self.offers = AsyncOffers(self._import_calls, self._drive)
        self.jobs = AsyncJobs(self._import_calls, self._drive)

    @classmethod
    def from_env(cls, **options: Unpack[_AsyncOptions]) -> AsyncG2AClient:
        """A client of the settings in the environment (`Settings.from_env()`)."""
        return cls(Settings.from_env(), **options)

    async def _drive(self, flow: Flow[T]) -> T:
        self._check_open()
        reply: Any = None
        error: BaseException | None = None
        while True:
            try:
                action = flow.throw(error) if error is not None else flow.send(reply)
            except StopIteration as stop:
                result: T = stop.value
                return result
            reply, error = None, None
            try:
                if not isinstance(action, StoreCall):  # a running purchase's store stays open
                    self._check_open()  # closed under the call: the flow hears it and cleans up
                if isinstance(action, Send):
                    reply = await self._http.send(action.request)
                elif isinstance(action, Sleep):
                    await asyncio.sleep(action.seconds)
                elif isinstance(action, NeedToken):
                    reply = await self._token_cache.get(action.force, action.stale)
                elif isinstance(action, StoreCall):
                    reply = await asyncio.to_thread(action.operation)
            except Exception as exc:  # handed to the flow, which may clean up and re-raise
                error = exc
            except BaseException:  # cancelled or interrupted: the flow ends now, cleaning up
                flow.close()
                raise

    async def aclose(self) -> None:
        self._mark_closed()
        await self._http.close()
        await asyncio.to_thread(self._close_store)  # a network store's close may block

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


class Auth:
    """`client.auth`: the Import API token (cached, refreshed early, single flight)."""

    def __init__(self, state: TokenState, cache: SyncTokens) -> None:
        self._state = state
        self._cache = cache

    def token(self) -> AccessToken:
        return self._cache.get()

    def invalidate(self) -> None:
        self._state.invalidate()


class AsyncAuth:
    """`client.auth` of `AsyncG2AClient`."""

    def __init__(self, state: TokenState, cache: AsyncTokens) -> None:
        self._state = state
        self._cache = cache

    async def token(self) -> AccessToken:
        return await self._cache.get()

    def invalidate(self) -> None:
        self._state.invalidate()
