"""What `create_receiver_app` takes besides the settings and the handler."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from pydantic import SecretStr

from g2a_adapter._metrics import Metrics
from g2a_adapter.idempotency import IdempotencyStore
from g2a_adapter.idempotency._base import MAX_TTL_SECONDS
from g2a_adapter.receiver._health import SupportsTtl
from g2a_adapter.receiver._ipn import IpnNotification
from g2a_adapter.receiver._plain_calls import refuse_async
from g2a_adapter.receiver._stock import SELLER_STOCK_METHODS, SellerStock


class ReceiverSettings(Protocol):
    """What the receiver reads from `g2a_adapter.Settings`."""

    @property
    def webhook_tolerance_seconds(self) -> int: ...
    @property
    def idempotency_url(self) -> str: ...
    @property
    def pay_api_secret(self) -> SecretStr | None: ...
    @property
    def seller_client_id(self) -> str: ...
    @property
    def seller_client_secret(self) -> SecretStr: ...
    def webhook_secrets(self) -> list[str]: ...


@dataclass(frozen=True)
class ReceiverOptions:
    """The receiver's optional collaborators and limits; every field has a working default.

    - `store`: the idempotency store (and replay guard); None opens `settings.idempotency_url`
      and closes it on shutdown.
    - `metrics`: where the receiver counts (None: a fresh `Metrics`, served at `/metrics`).
    - `token_probe` (e.g. `client.auth.token`): adds a token check to `/healthz`.
    - `ipn_handler`: serves `POST /webhooks/g2a-pay` (G2A Pay IPN) with it; None: no route.
      Needs `G2A_PAY_API_SECRET` in the settings (`ConfigError` otherwise).
    - `seller_stock`: serves G2A's declared-stock callbacks (`POST /reservation`,
      `POST /order`, …, docs/g2a-api.md §3) over it, on the worker threads below; None: no
      routes.
    - `max_body_bytes`: larger bodies are refused with 413 before they are read (G2A Pay
      IPNs: never more than 16 KiB).
    - `health_timeout_s`: the deadline of each `/healthz` check.
    - `seller_token_ttl_seconds`: lifetime of the tokens `GET /oauth/token` issues.
    - `handler_threads`: worker threads for verification, store calls, the handlers and the
      `seller_stock`;
      deliveries that arrive while all are busy go to the threads freeing up in batches,
      each at most an even share, among all the threads, of what waits (`/healthz`
      keeps threads of its own, so busy handlers never delay it). Four let handlers that
      wait on I/O overlap; a handler that waits on slow I/O needs more. A handler that only
      computes is fastest on one: more threads add hand-overs and trade the GIL and the
      store's lock (figures: `specs/011-g2a-integration-audit/tasks.md`, "Receiver
      throughput").
    - `claim_lease_seconds`: how long a delivery's claim holds its event (webhook and IPN)
      without a completion. A handler should finish within it: a redelivery after it may run
      the event again. After a crash mid-handler, redeliveries are answered 409 `in_progress`
      until it lapses, so a sender's retries should span more than this.
    """

    store: IdempotencyStore | None = None
    metrics: Metrics | None = None
    token_probe: Callable[[], SupportsTtl] | None = None
    ipn_handler: Callable[[IpnNotification], None] | None = None
    seller_stock: SellerStock | None = None
    max_body_bytes: int = 65536
    health_timeout_s: float = 0.5
    seller_token_ttl_seconds: int = 3600
    handler_threads: int = 4
    claim_lease_seconds: float = 30.0

    def __post_init__(self) -> None:
        if min(self.max_body_bytes, self.handler_threads, self.seller_token_ttl_seconds) <= 0:
            raise ValueError(
                "max_body_bytes, handler_threads and seller_token_ttl_seconds must be positive"
            )
        if not 0 < self.health_timeout_s < math.inf:  # NaN fails it too
            raise ValueError("health_timeout_s must be a positive, finite number of seconds")
        if not 0 < self.claim_lease_seconds <= MAX_TTL_SECONDS:
            raise ValueError(
                f"claim_lease_seconds must be more than 0 and at most {MAX_TTL_SECONDS:g}"
            )
        if self.ipn_handler is not None:
            refuse_async(self.ipn_handler, "ipn_handler")
        for name in SELLER_STOCK_METHODS if self.seller_stock is not None else ():
            refuse_async(getattr(self.seller_stock, name, None), f"seller_stock.{name}")
