"""The twin's mutable world: catalog, orders, tokens, offers, jobs, request log, limits.

Everything lives on the server's event loop thread, so no locks are needed. Time comes from
`clock` (unix seconds) and is compared at request time: tokens expire, orders complete, jobs
finish and lapsed reservations give their unit back without any background timer.
"""

from __future__ import annotations

import heapq
import itertools
import math
import random
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from harness.masking import masked
from harness.twin.auctions import Auction
from harness.twin.catalog import Catalog, generate_products
from harness.twin.config import TwinConfig
from harness.twin.credentials import Credential
from harness.twin.faults import FaultBook
from harness.twin.redact import masked_body, masked_form, masked_headers

Clock = Callable[[], float]
FIRST_ORDER_ID = 1530978476
LOG_BODY_LIMIT = 4096


@dataclass(slots=True)
class Order:
    id: str
    product_id: str
    price_eur: float
    currency: str
    price: float
    created_at: float
    max_price: float | None = None
    min_rating: float | None = None
    auction: Auction | None = None  # the one `min_rating` selected (None: no min_rating)
    paid_at: float | None = None
    complete_at: float | None = None  # fixed when paid (`TwinState.set_paid`)
    completion_announced: bool = False  # `order.complete` was emitted (once per payment)
    transaction_id: str | None = None
    key: str = ""  # drawn at payment (deterministic per seed and order id)
    key_downloaded: bool = False
    purchase_key: str | None = None  # the adapter's X-Purchase-Key of the create (or pay)
    lapsed: bool = False  # unpaid past its reservation: its unit went back to the stock
    owner: str = ""  # the API hash that created it ("": seeded by a provider state, any)

    def state(self, now: float) -> str:
        """`new`, `paid` or `complete` as of `now`."""
        if self.paid_at is None:
            return "new"
        if self.key_downloaded or (self.complete_at is not None and now >= self.complete_at):
            return "complete"
        return "paid"

    def as_dict(self, now: float) -> dict[str, Any]:
        return {
            "order_id": self.id,
            "product_id": self.product_id,
            "status": self.state(now),
            "lapsed": self.lapsed,
            "price": self.price,
            "price_eur": self.price_eur,
            "currency": self.currency,
            "created_at": self.created_at,
            "paid_at": self.paid_at,
            "transaction_id": self.transaction_id,
            "key": self.key,
            "key_downloaded": self.key_downloaded,
            "max_price": self.max_price,
            "min_rating": self.min_rating,
            "auction_id": None if self.auction is None else self.auction.id,
            "seller_rating": None if self.auction is None else self.auction.rating,
            "purchase_key": self.purchase_key,
        }


def owned_by(owner: str, client: str) -> bool:
    """Whether `client` may see a resource of `owner`: each credential sees its own orders,
    offers and jobs ("" is a resource seeded through the admin surface: anyone's)."""
    return not owner or owner == client


@dataclass
class Token:
    value: str
    client_id: str
    expires_at: float


@dataclass
class Job:
    id: str
    created_at: float
    ready_at: float
    offer_id: str
    operation: str  # "create" | "update"
    payload: dict[str, Any]
    error: tuple[str, str] | None = None  # (code, message) when the element fails
    applied: bool = False
    owner: str = ""  # the OAuth client that asked for it ("": seeded, any)

    def as_dict(self, now: float, words: dict[str, str]) -> dict[str, Any]:
        """The job as `GET /v3/jobs/{id}` shows it, in the status `words` configured for
        `pending`, `done` and `failed` (`TwinConfig.job_status_words`)."""
        done = now >= self.ready_at
        element_status = "pending" if not done else ("failed" if self.error else "done")
        code, message = self.error or ("", "")
        return {
            "jobId": self.id,
            "status": words["done" if done else "pending"],
            "elements": [
                {
                    "resourceId": self.offer_id,
                    "resourceType": "offer",
                    "status": words[element_status],
                    "code": code if done else "",
                    "message": message if done else "",
                }
            ],
        }


@dataclass(slots=True)
class RequestRecord:
    """One received API request, kept in a bounded log for assertions.

    Stored as received (nothing to do on the request path); `as_dict` masks credentials
    (`harness.twin.redact`) and decodes the body when the log is read.
    """

    id: int
    method: str
    path: str
    query: str
    headers: dict[str, str] = field(repr=False)
    body: bytes = field(repr=False)  # at most the first LOG_BODY_LIMIT bytes
    at: float
    status: int | None = None

    def as_dict(self, secrets: frozenset[str]) -> dict[str, Any]:
        """The record as `/__twin/requests` shows it, with `secrets` masked."""
        return {
            "id": self.id,
            "method": self.method,
            "path": masked(self.path, secrets),
            "query": masked_form(self.query, secrets) if self.query else "",
            "headers": masked_headers(self.headers, secrets),
            "body": masked_body(self.body, secrets),
            "status": self.status,
            "at": self.at,
        }


class RateLimiter:
    """Fixed window per credential: at most `limit` requests per `window` seconds."""

    def __init__(self) -> None:
        self._windows: dict[str, tuple[float, int]] = {}
        self.exhausted_until = 0.0

    def check(self, key: str, limit: int | None, window: float, now: float) -> int | None:
        """None when the call may proceed, else the Retry-After in whole seconds."""
        if now < self.exhausted_until:
            return max(1, math.ceil(self.exhausted_until - now))
        if limit is None:
            return None
        start, count = self._windows.get(key, (now, 0))
        if now >= start + window:
            start, count = now, 0
        if count >= limit:
            return max(1, math.ceil(start + window - now))
        self._windows[key] = (start, count + 1)
        return None


@dataclass
class TwinState:
    config: TwinConfig
    clock: Clock = time.time
    catalog: Catalog = field(init=False)
    orders: dict[str, Order] = field(init=False)
    tokens: dict[str, Token] = field(init=False)
    offers: dict[str, dict[str, Any]] = field(init=False)
    offer_owners: dict[str, str] = field(init=False)  # offer id → OAuth client (absent: any)
    jobs: dict[str, Job] = field(init=False)
    requests: deque[RequestRecord] = field(init=False)
    faults: FaultBook = field(init=False)
    limiter: RateLimiter = field(init=False)
    wallets: dict[str, float] = field(init=False)  # each account's G2A Pay balance, as spent
    auth_headers: dict[str, Credential] = field(init=False)
    oauth_clients: dict[tuple[str, str], Credential] = field(init=False)
    secrets: frozenset[str] = field(init=False)  # every credential secret configured since reset

    def __post_init__(self) -> None:
        self.reset(self.config)

    def reset(self, config: TwinConfig) -> None:
        """Back to a fresh world under `config` (catalog regenerated from its seed)."""
        self.config = config
        self.catalog = Catalog(generate_products(config.seed, config.catalog_size), config.seed)
        self.orders = {}
        self.tokens = {}
        self.offers = {}
        self.offer_owners = {}
        self.jobs = {}
        self.requests = deque(maxlen=config.request_log_size)
        self.faults = FaultBook(config.seed)
        self.limiter = RateLimiter()
        self.wallets = {}
        self.secrets = frozenset()
        self._reservations: list[tuple[float, str]] = []  # (created_at, order id), a heap
        self._completions: list[tuple[float, str]] = []  # (complete_at, order id), a heap
        self._order_ids = itertools.count(FIRST_ORDER_ID)
        self._request_ids = itertools.count(1)
        self._rng = random.Random(config.seed)
        self.apply_config(config)

    def apply_config(self, config: TwinConfig) -> None:
        """Take a changed config without losing state (catalog, orders, tokens stay)."""
        if config.request_log_size != self.requests.maxlen:
            self.requests = deque(self.requests, maxlen=config.request_log_size)
        if config.wallet_balance != self.config.wallet_balance:
            self.wallets = {}  # every account starts again from the new balance
        self.config = config
        self.faults.seed = config.seed
        self.auth_headers = {self._auth_form(c.authorization): c for c in config.credentials}
        self.oauth_clients = {
            (c.api_hash, c.oauth_client_secret(config.oauth_client_secret)): c
            for c in config.credentials
        }
        # Kept after a credential is removed: the log still holds the requests that sent it.
        self.secrets |= {s for c in config.credentials for s in (c.api_key, c.api_secret)}
        self._forget_tokens_of_removed_credentials()

    def _forget_tokens_of_removed_credentials(self) -> None:
        """A token lives only as long as its credential is configured."""
        clients = {c.api_hash for c in self.config.credentials}
        self.tokens = {v: t for v, t in self.tokens.items() if t.client_id in clients}

    def _auth_form(self, header: str) -> str:
        """An Export API Authorization value as compared (`export_auth_case_sensitive`)."""
        return header if self.config.export_auth_case_sensitive else header.lower()

    def export_credential(self, header: str) -> Credential | None:
        """The credential whose Export API Authorization value `header` is, if any."""
        return self.auth_headers.get(self._auth_form(header))

    # wallets --------------------------------------------------------------------------------
    def balance(self, owner: str) -> float | None:
        """What `owner`'s G2A Pay wallet holds (each account has its own, starting at the
        configured `wallet_balance`); None when wallets are unlimited."""
        if self.config.wallet_balance is None:
            return None
        return self.wallets.setdefault(owner, self.config.wallet_balance)

    def charge(self, owner: str, amount: float) -> None:
        """Take `amount` from `owner`'s wallet (the caller checked the balance)."""
        balance = self.balance(owner)
        if balance is not None:
            self.wallets[owner] = round(balance - amount, 2)

    # reservations and completion ----------------------------------------------------------
    def reserve(self, order: Order) -> None:
        """Record a new order whose unit the caller took from the stock."""
        self.orders[order.id] = order
        heapq.heappush(self._reservations, (order.created_at, order.id))

    def release_lapsed_reservations(self) -> None:
        """Give back the unit of every unpaid order whose reservation has lapsed (it can no
        longer be paid: `lapsed`)."""
        deadline = self.clock() - self.config.reservation_seconds
        while self._reservations and self._reservations[0][0] < deadline:
            created_at, order_id = heapq.heappop(self._reservations)
            order = self.orders.get(order_id)
            if order is None or order.paid_at is not None or order.lapsed:
                continue
            if order.created_at != created_at:
                continue  # an admin change moved its reservation: a newer entry stands for it
            order.lapsed = True
            self._move_unit(order, +1)

    def recheck_reservation(self, order: Order) -> None:
        """After an admin change to `order` (status, `created_at`, `paid_at`): an unpaid order
        holds its unit until `created_at` + the reservation time, then lapses; a lapsed order
        that is paid, or whose reservation runs again, takes its unit back from the stock."""
        if order.paid_at is None:
            heapq.heappush(self._reservations, (order.created_at, order.id))
        deadline = self.clock() - self.config.reservation_seconds
        if order.lapsed and (order.paid_at is not None or order.created_at >= deadline):
            order.lapsed = False
            self._move_unit(order, -1)

    def _move_unit(self, order: Order, change: int) -> None:
        """Give (+1) or take (-1) one unit of the order's product, if it still exists."""
        product = self.catalog.get(order.product_id)
        if product is not None:
            self.catalog.update(order.product_id, {"qty": max(0, product["qty"] + change)})

    def set_paid(self, order: Order, paid_at: float | None) -> None:
        """Mark `order` paid at `paid_at` (None: unpaid). It completes after the processing
        delay in force now; a later config change does not move it. An order made unpaid
        again (an admin setting it back to `new`) is announced again once paid again."""
        order.paid_at = paid_at
        order.complete_at = None
        if paid_at is None:
            order.completion_announced = False
        else:
            order.complete_at = paid_at + self.config.completion_delay_seconds
            heapq.heappush(self._completions, (order.complete_at, order.id))

    def newly_complete(self) -> list[Order]:
        """The orders that completed since the last call and were never announced (each is
        returned once, ever), in completion order."""
        now = self.clock()
        done = []
        while self._completions and self._completions[0][0] <= now:
            complete_at, order_id = heapq.heappop(self._completions)
            order = self.orders.get(order_id)
            if order is None or order.completion_announced or order.complete_at != complete_at:
                continue  # gone, announced, or paid again since (a newer entry stands for it)
            order.completion_announced = True
            done.append(order)
        return done

    # ids and generated values -------------------------------------------------------------
    def next_order_id(self) -> str:
        while True:
            order_id = str(next(self._order_ids))
            if order_id not in self.orders:
                return order_id

    def next_request_id(self) -> int:
        return next(self._request_ids)

    def new_uuid(self) -> str:
        return seeded_uuid(self._rng)

    def key_for(self, order_id: str) -> str:
        rng = random.Random(f"{self.config.seed}:key:{order_id}")
        return "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(16))

    def status_word(self, order: Order, now: float) -> str:
        """The details status of `order`: the configured word of its state, or of `lapsed`
        for an unpaid order whose reservation expired."""
        state = order.state(now)
        if state == "new" and order.lapsed:
            state = "lapsed"
        return self.config.status_words[state]


def seeded_uuid(rng: random.Random) -> str:
    """A version-4 UUID drawn from `rng`: the same seed gives the same ids."""
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))
