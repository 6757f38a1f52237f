"""The adapter's Prometheus metrics, shared by the client, the webhook receiver and health.

Metrics live in a dedicated `CollectorRegistry` per `Metrics` instance, so services can mount
it (`GET /metrics`) without mixing it with their own default registry, and tests can assert
exact values on a fresh instance.
"""

from __future__ import annotations

import math
import threading
import weakref
from typing import Protocol

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

# Up to twice the longest default timeout (G2A_KEY_TIMEOUT_MS, 60 s): a key fetch close to its
# timeout shows as such in the p99, which the lost-key runbook compares with that timeout.
_LATENCY_BUCKETS = (
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
    15.0,
    30.0,
    60.0,
    120.0,
)
# How a purchase ended (`g2a_purchases_total{result}`; client/_purchase_results.py decides):
# exported at 0 from the start, so a first failure is seen by `increase` and `rate`.
PURCHASE_RESULTS = (
    "completed",
    "replayed",
    "pending",
    "refused",
    "outcome_unknown",
    "key_lost",
    "in_progress",
    "conflict",
    "lease_lost",
    "store_unavailable",
    "closed",
    "failed",
)


class TokenTtlSource(Protocol):
    """What `g2a_token_ttl_seconds` reads of a client: its Import API token's seconds left."""

    def ttl_seconds(self) -> float: ...


class Metrics:
    """The documented Prometheus metrics (names pinned by tests and by the gate)."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        self.requests_total = Counter(
            "g2a_requests_total",
            "HTTP attempts sent to G2A, by outcome",
            ["method", "route", "status", "outcome"],
            registry=self.registry,
        )
        self.request_retries_total = Counter(
            "g2a_request_retries_total",
            "Retries scheduled after a failed attempt, by reason",
            ["method", "route", "reason"],
            registry=self.registry,
        )
        self.request_duration_seconds = Histogram(
            "g2a_request_duration_seconds",
            "Latency of one HTTP attempt to G2A",
            ["method", "route"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.token_ttl_seconds = Gauge(
            "g2a_token_ttl_seconds",
            "Seconds left before the cached Import API token expires: the lowest over the live "
            "clients of this Metrics that asked for one (0 for one without a token); NaN when "
            "none did (no token to watch)",
            registry=self.registry,
        )
        # Weak: a client that is garbage collected drops out without being released.
        self._token_ttl_sources: weakref.WeakSet[TokenTtlSource] = weakref.WeakSet()
        self._token_ttl_lock = threading.Lock()
        self.token_ttl_seconds.set_function(self._lowest_token_ttl)
        self.webhook_events_total = Counter(
            "g2a_webhook_events_total",
            "Webhook events, by type (order.paid, order.complete, ipn.<status>) and result: "
            "processed, duplicate, in_progress, conflict, handler_failed (the service's handler "
            "raised), store_unavailable (the idempotency store failed; a delivery it could not "
            "check is type unverified)",
            ["type", "result"],
            registry=self.registry,
        )
        self.webhook_validation_failures_total = Counter(
            "g2a_webhook_validation_failures_total",
            "Inbound requests refused, by reason (g2a_adapter.receiver.REJECTIONS: webhook and "
            "G2A Pay IPN deliveries, seller tokens)",
            ["reason"],
            registry=self.registry,
        )
        self.seller_calls_total = Counter(
            "g2a_seller_calls_total",
            "G2A's declared-stock calls to the receiver, by call (reserve, renew, cancel, order, "
            "inventory, give_back, file, account, notify) and the HTTP status answered",
            ["call", "status"],
            registry=self.registry,
        )
        # Read when scraped, from the receiver's worker threads (`create_receiver_app`).
        self.webhook_handler_threads = Gauge(
            "g2a_webhook_handler_threads",
            "Worker threads the receiver runs deliveries on (ReceiverOptions.handler_threads)",
            registry=self.registry,
        )
        self.webhook_handler_threads_busy = Gauge(
            "g2a_webhook_handler_threads_busy",
            "Receiver worker threads running deliveries now",
            registry=self.registry,
        )
        self.webhook_deliveries_waiting = Gauge(
            "g2a_webhook_deliveries_waiting",
            "Deliveries (signed webhooks and G2A Pay IPN) waiting for a free receiver worker "
            "thread",
            registry=self.registry,
        )
        self.key_delivery_lost_total = Counter(
            "g2a_key_delivery_lost_total",
            "Paid orders whose key G2A handed out to an answer that never arrived",
            registry=self.registry,
        )
        self.purchase_orders_abandoned_total = Counter(
            "g2a_purchase_orders_abandoned_total",
            "Order creates of a purchase given up after an unknown outcome (never paid)",
            registry=self.registry,
        )
        self.purchases_total = Counter(
            "g2a_purchases_total",
            "Purchases (G2AClient.purchase) by how they ended: "
            + ", ".join(PURCHASE_RESULTS)
            + " (docs/operations.md says what each means)",
            ["result"],
            registry=self.registry,
        )
        for result in PURCHASE_RESULTS:
            self.purchases_total.labels(result=result)

    def exposition(self) -> bytes:
        """The registry in Prometheus text format."""
        return generate_latest(self.registry)

    def track_token_ttl(self, source: TokenTtlSource) -> None:
        """Count `source` in `g2a_token_ttl_seconds` until it is released or collected."""
        with self._token_ttl_lock:
            self._token_ttl_sources.add(source)

    def release_token_ttl(self, source: TokenTtlSource) -> None:
        with self._token_ttl_lock:
            self._token_ttl_sources.discard(source)

    def _lowest_token_ttl(self) -> float:
        with self._token_ttl_lock:
            sources = list(self._token_ttl_sources)
        return min((source.ttl_seconds() for source in sources), default=math.nan)
