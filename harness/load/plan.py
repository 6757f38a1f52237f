"""The run plan handed from the runner to every Locust process.

It travels as JSON in Locust's custom `--g2a-plan` option, which the master forwards to its
workers (also on other machines), so remote workers need only `--worker --master-host H`.
Secrets never travel in it: the API key, the webhook secret and a store URL's password come
from each process's environment (`G2A_API_KEY`, `G2A_WEBHOOK_SECRET`,
`G2A_LOAD_IDEMPOTENCY_URL`); the plan's `idempotency_url` has its password masked. The load's
store is never the service's `G2A_IDEMPOTENCY_URL`: an operator's shell may hold the live
service's settings, and the load's test purchases must not land in its store. On the `twin`
target the twin's published sandbox credentials are used and a real key in the environment is
ignored, as `g2a-harness run` does: the twin would refuse it.
"""

from __future__ import annotations

import json
import ssl
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import certifi

from g2a_adapter import Settings
from harness.twin.credentials import SANDBOX_API_KEY

BREAK_IDEMPOTENCY_ENV = "G2A_LOAD_BREAK_IDEMPOTENCY"
WEBHOOK_SECRET_ENV = "G2A_WEBHOOK_SECRET"
API_KEY_ENV = "G2A_API_KEY"
STORE_URL_ENV = "G2A_LOAD_IDEMPOTENCY_URL"  # the load's shared store; never the service's
# what a worker prints on stderr once its master answered (Locust logs nothing at WARNING)
JOINED_LINE = "g2a-harness: this Locust worker joined its master"


@dataclass(frozen=True)
class LoadPlan:
    target: str
    api_url: str
    api_hash: str
    receiver_url: str
    idempotency_url: str
    journal_path: str
    wait: tuple[float, float]
    mix: dict[str, int]
    buyer: dict[str, int]
    webhooks: dict[str, float]
    product_ids: tuple[str, ...] = field(default=())
    webhook_tolerance_s: int = 300  # the receiver's: older deliveries are stale, not replays
    allowed_hosts: str = ""  # G2A_ALLOWED_HOSTS of the target (a proxy of G2A), comma-separated
    ca_certificate: str = ""  # PEM of the run's CA (public) when the twin/receiver speak TLS

    def api_key(self, environ: Mapping[str, str]) -> str:
        """The Export API key of this run: the twin's own on `twin`, else `G2A_API_KEY`."""
        if self.target == "twin":
            return SANDBOX_API_KEY
        return environ.get(API_KEY_ENV, "")

    def store_url(self, environ: Mapping[str, str]) -> str:
        """The shared store: `G2A_LOAD_IDEMPOTENCY_URL` (password included), else the plan's."""
        return environ.get(STORE_URL_ENV) or self.idempotency_url

    def settings(self, environ: Mapping[str, str]) -> Settings:
        """The adapter settings of a load user, as `g2a-harness run` builds them."""
        return Settings(
            api_url=self.api_url,
            api_hash=self.api_hash,
            api_key=self.api_key(environ),
            env="sandbox",
            idempotency_url=self.store_url(environ),
            allowed_hosts=self.allowed_hosts,
        )

    def ssl_context(self) -> ssl.SSLContext | None:
        """What the users trust: with the run's CA (a non-loopback bind) the public CAs httpx
        trusts (the sandbox's certificate) and that CA (the run's twin and receiver); else
        None (httpx's defaults)."""
        if not self.ca_certificate:
            return None
        context = ssl.create_default_context(cafile=certifi.where())
        context.load_verify_locations(cadata=self.ca_certificate)
        return context

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> LoadPlan:
        if not text:
            raise ValueError("no --g2a-plan given: start load runs with `g2a-harness load`")
        data: dict[str, Any] = json.loads(text)
        data["wait"] = tuple(data["wait"])
        data["product_ids"] = tuple(data["product_ids"])
        return cls(**data)
