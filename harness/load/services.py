"""What a load run talks to: the twin (target twin) and the webhook receiver, in threads.

Both run inside the runner process (never Locust's), each on an ephemeral port (`serve_asgi`,
or `serve_asgi_tls` on a non-loopback bind address), the receiver with a counting handler, so
the invariants can ask exactly how often each event id was handled and why each rejected
delivery was refused.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from starlette.types import ASGIApp

from g2a_adapter import Metrics, Settings, WebhookEvent, open_store
from g2a_adapter.receiver import ReceiverOptions, create_receiver_app
from harness.load.profiles import Profile
from harness.load.tls import RunCertificates, issue, needs_tls, serve_asgi_tls
from harness.serving import serve_asgi
from harness.twin.admin import TwinAdmin
from harness.twin.app import create_app
from harness.twin.config import TwinConfig
from harness.twin.credentials import SANDBOX_API_HASH, SANDBOX_API_KEY, SANDBOX_PRODUCT_IDS

STOCK_FOR_LOAD = 1_000_000


@dataclass
class ReceiverEvidence:
    """How often the receiver ran its handler per event id, and its metrics."""

    metrics: Metrics
    handled: Counter[str] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def handle(self, event: WebhookEvent) -> None:
        with self._lock:
            self.handled[event.event_id] += 1

    def rejections(self) -> dict[str, int]:
        """`g2a_webhook_validation_failures_total` by reason."""
        counts: dict[str, int] = {}
        for metric in self.metrics.registry.collect():
            if metric.name != "g2a_webhook_validation_failures":
                continue
            for sample in metric.samples:
                if sample.name.endswith("_total"):
                    reason = sample.labels["reason"]
                    counts[reason] = counts.get(reason, 0) + int(sample.value)
        return counts


@dataclass
class LoadServices:
    api_url: str
    receiver_url: str
    receiver: ReceiverEvidence
    admin: TwinAdmin | None  # None for the sandbox target
    webhook_tolerance_s: int = 300  # the receiver's timestamp tolerance
    allowed_hosts: str = ""  # the target's, plus the bind host when served over TLS
    ca_certificate: str = ""  # PEM of the run's CA when served over TLS (public), else ""


def _prepare_twin(admin: TwinAdmin, profile: Profile) -> None:
    """Deep stock for the products the buyers purchase, then the profile's faults."""
    for product_id in SANDBOX_PRODUCT_IDS:
        admin.update_product(product_id, qty=STOCK_FOR_LOAD)
    admin.clear_faults()
    for fault in profile.faults:
        admin.add_fault(**fault)


@contextmanager
def _logs_to(path: Path) -> Iterator[None]:
    """The adapter's log records (e.g. the receiver's rejections) go to a file, not the console."""
    logger = logging.getLogger("g2a_adapter")
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logger.addHandler(handler)
    propagate, logger.propagate = logger.propagate, False
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate
        handler.close()


@contextmanager
def _served(app: ASGIApp, host: str, certificates: RunCertificates | None) -> Iterator[str]:
    if certificates is None:
        with serve_asgi(app, host) as url:
            yield url
    else:
        with serve_asgi_tls(app, host, certificates) as url:
            yield url


@contextmanager
def load_services(
    profile: Profile,
    api_url: str | None,
    webhook_secret: str,
    *,
    log_path: Path,
    host: str = "127.0.0.1",
    allowed_hosts: str = "",
) -> Iterator[LoadServices]:
    """Start what the target needs: the twin, with the profile's config and faults, when
    `api_url` is None (target twin), else nothing but the receiver (the sandbox's API).

    On a non-loopback `host` (remote workers) both are served over https with a certificate
    from a CA made for this run (`harness.load.tls`), and `host` joins the allowed hosts: the
    adapter calls plain http only on loopback.
    """
    with ExitStack() as stack:
        stack.enter_context(_logs_to(log_path))
        certificates = issue(host, log_path.parent) if needs_tls(host) else None
        if certificates is not None:  # the server's key lives only as long as the run
            for path in (certificates.cert_path, certificates.key_path):
                stack.callback(path.unlink, missing_ok=True)
            allowed_hosts = ",".join(h for h in (allowed_hosts, host) if h)
        admin: TwinAdmin | None = None
        if api_url is None:
            twin_app = create_app(TwinConfig().updated(profile.twin))
            twin_url = stack.enter_context(_served(twin_app, host, certificates))
            api_url = f"{twin_url}/v1"
            verify = True if certificates is None else certificates.client_context()
            admin = stack.enter_context(TwinAdmin(twin_url, verify=verify))
        settings = Settings(
            api_url=api_url,
            api_hash=SANDBOX_API_HASH,
            api_key=SANDBOX_API_KEY,
            webhook_secret=webhook_secret,
            allowed_hosts=allowed_hosts,
        )
        evidence = ReceiverEvidence(Metrics())
        store = open_store("memory://")
        stack.callback(store.close)
        app = create_receiver_app(
            settings,
            evidence.handle,
            options=ReceiverOptions(store=store, metrics=evidence.metrics),
        )
        receiver_url = stack.enter_context(_served(app, host, certificates))
        if admin is not None:
            _prepare_twin(admin, profile)
        yield LoadServices(
            api_url,
            receiver_url,
            evidence,
            admin,
            webhook_tolerance_s=settings.webhook_tolerance_seconds,
            allowed_hosts=allowed_hosts,
            ca_certificate=certificates.ca_pem if certificates is not None else "",
        )
