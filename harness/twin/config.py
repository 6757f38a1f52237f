"""The twin's tunables; every behaviour G2A does not publish is a field here."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from harness.twin.credentials import SANDBOX_CREDENTIAL, Credential

# Status words of `GET /v1/order/details` per internal state. G2A's words are only partly
# published ("new", "complete", "pending" seen): override when the sandbox shows others.
DEFAULT_STATUS_WORDS: dict[str, str] = {"new": "new", "paid": "paid", "complete": "complete"}

# Errors whose code and HTTP status G2A does not publish (documented as assumptions in the
# OpenAPI documents). Each entry: [http status, code, message]; override per deployment.
DEFAULT_ORDER_ERRORS: dict[str, tuple[int, str, str]] = {
    "product_not_found": (404, "ORD01", "Product not found"),
    "out_of_stock": (400, "ORD07", "Product is out of stock"),
    "price_exceeded": (402, "ORD05", "Product price is higher than max_price"),
    "already_paid": (400, "ORD06", "Order already paid"),
}


@dataclass
class TwinConfig:
    """Everything that shapes the twin's answers. Defaults follow the published sandbox."""

    seed: int = 2026
    catalog_size: int = 300
    token_ttl_seconds: int = 300
    rate_limit: int | None = None
    rate_window_seconds: float = 1.0
    job_delay_seconds: float = 0.5
    completion_delay_seconds: float = 0.0
    request_log_size: int = 1000
    webhook_secrets: list[str] = field(default_factory=lambda: ["twin-webhook-secret"])
    webhook_retry_delays: tuple[float, ...] = (0.1, 0.5, 2.0)
    credentials: list[Credential] = field(default_factory=lambda: [SANDBOX_CREDENTIAL])
    # Beyond the agreed interface:
    reservation_seconds: float = 1800.0
    wallet_balance: float | None = None
    status_words: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_STATUS_WORDS))
    order_errors: dict[str, tuple[int, str, str]] = field(
        default_factory=lambda: dict(DEFAULT_ORDER_ERRORS)
    )
    hang_seconds: float = 30.0
    webhook_timeout_seconds: float = 2.0
    webhook_duplicates: int = 0
    max_page: int = 500
    page_size: int = 20

    def updated(self, fields: dict[str, Any]) -> TwinConfig:
        """A copy with `fields` applied; unknown names or wrong types raise ValueError."""
        known = {f.name for f in dataclasses.fields(self)}
        unknown = sorted(set(fields) - known)
        if unknown:
            raise ValueError(f"unknown config field(s): {', '.join(unknown)}")
        changes = {
            name: _coerce(name, value, getattr(self, name)) for name, value in fields.items()
        }
        return dataclasses.replace(self, **changes)

    def as_dict(self) -> dict[str, Any]:
        data = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        data["credentials"] = [c.as_dict() for c in self.credentials]
        data["webhook_secrets"] = ["***" for _ in self.webhook_secrets]
        data["webhook_retry_delays"] = list(self.webhook_retry_delays)
        data["order_errors"] = {k: list(v) for k, v in self.order_errors.items()}
        return data


def _coerce(name: str, value: Any, current: Any) -> Any:
    if name == "credentials":
        return _credentials(value)
    if name == "webhook_retry_delays":
        return tuple(float(v) for v in _list(name, value))
    if name == "webhook_secrets":
        secrets = [str(v) for v in _list(name, value)]
        if not secrets:
            raise ValueError("webhook_secrets needs at least one secret")
        return secrets
    if name == "order_errors":
        merged = dict(current)
        for key, spec in dict(value).items():
            status, code, message = spec
            merged[str(key)] = (int(status), str(code), str(message))
        return merged
    if name == "status_words":
        return {**current, **{str(k): str(v) for k, v in dict(value).items()}}
    if name in {"rate_limit", "wallet_balance"} and value is None:
        return None
    if name in {"rate_limit", "wallet_balance"}:
        return int(value) if name == "rate_limit" else float(value)
    if isinstance(current, bool) or isinstance(value, bool):
        raise ValueError(f"{name} has the wrong type")
    if isinstance(current, int):
        return int(value)
    if isinstance(current, float):
        return float(value)
    raise ValueError(f"{name} cannot be set this way")


def _list(name: str, value: Any) -> list[Any]:
    if not isinstance(value, list | tuple):
        raise ValueError(f"{name} must be a list")
    return list(value)


def _credentials(value: Any) -> list[Credential]:
    result = []
    for item in _list("credentials", value):
        if isinstance(item, Credential):
            result.append(item)
        else:
            result.append(
                Credential(str(item["api_hash"]), str(item["email"]), str(item["api_secret"]))
            )
    if not result:
        raise ValueError("credentials needs at least one credential set")
    return result
