"""`TwinAdmin`: a small sync client of the twin's admin surface, for tests and tools."""

from __future__ import annotations

import ssl
import time
from types import TracebackType
from typing import Any

import httpx


class TwinAdminError(RuntimeError):
    """The admin surface refused a call; the message is the twin's reason."""


class TwinAdmin:
    def __init__(
        self, base_url: str, *, timeout: float = 10.0, verify: ssl.SSLContext | bool = True
    ) -> None:
        """`verify`: how an https twin's certificate is checked (a context trusting its CA)."""
        self.base_url = base_url.rstrip("/")
        self._client = httpx.Client(
            base_url=f"{self.base_url}/__twin", timeout=timeout, trust_env=False, verify=verify
        )

    def __enter__(self) -> TwinAdmin:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self._client.request(method, path, **kwargs)
        if response.status_code >= 400:
            try:
                reason = response.json().get("error", response.text)
            except ValueError:
                reason = response.text
            raise TwinAdminError(f"{method} /__twin{path}: {response.status_code} {reason}")
        return response.json()

    # world ----------------------------------------------------------------------------------
    def reset(self) -> None:
        self._call("POST", "/reset")

    def configure(self, **config_fields: Any) -> dict[str, Any]:
        result: dict[str, Any] = self._call("PUT", "/config", json=config_fields)
        return result

    def config(self) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", "/config")
        return result

    def apply_state(self, state: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        """Put the twin into a Pact provider state; returns the values it used."""
        result = self._call("POST", "/states", json={"state": state, "params": params or {}})
        used: dict[str, Any] = result["params"]
        return used

    # catalog --------------------------------------------------------------------------------
    def seed(
        self,
        seed: int | None = None,
        size: int | None = None,
        products: list[dict[str, Any]] | None = None,
    ) -> int:
        body = {
            k: v
            for k, v in {"seed": seed, "size": size, "products": products}.items()
            if v is not None
        }
        return int(self._call("POST", "/catalog", json=body)["total"])

    def product(self, product_id: str) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", f"/catalog/{product_id}")
        return result

    def update_product(self, product_id: str, **fields: Any) -> dict[str, Any]:
        result: dict[str, Any] = self._call("PATCH", f"/catalog/{product_id}", json=fields)
        return result

    def auctions(self, product_id: str) -> list[dict[str, Any]]:
        """The product's auctions (`id`, seller `rating`, `price` in EUR), cheapest first."""
        result: list[dict[str, Any]] = self._call("GET", f"/catalog/{product_id}/auctions")
        return result

    def set_auctions(self, product_id: str, auctions: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Replace the product's auctions (`{"id"?, "rating", "price"}` each); its minPrice
        becomes the cheapest one's price."""
        result: list[dict[str, Any]] = self._call(
            "PUT", f"/catalog/{product_id}/auctions", json=auctions
        )
        return result

    # request log ----------------------------------------------------------------------------
    def requests(self, path: str | None = None, method: str | None = None) -> list[dict[str, Any]]:
        params = {k: v for k, v in {"path": path, "method": method}.items() if v is not None}
        result: list[dict[str, Any]] = self._call("GET", "/requests", params=params)
        return result

    def clear_requests(self) -> None:
        self._call("DELETE", "/requests")

    # faults ---------------------------------------------------------------------------------
    def add_fault(self, **spec: Any) -> str:
        return str(self._call("POST", "/faults", json=spec)["id"])

    def faults(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._call("GET", "/faults")
        return result

    def remove_fault(self, fault_id: str) -> None:
        self._call("DELETE", f"/faults/{fault_id}")

    def clear_faults(self) -> None:
        self._call("DELETE", "/faults")

    # orders and jobs ------------------------------------------------------------------------
    def orders(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._call("GET", "/orders")
        return result

    def order(self, order_id: str) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", f"/orders/{order_id}")
        return result

    def set_order(self, order_id: str, **fields: Any) -> dict[str, Any]:
        result: dict[str, Any] = self._call("PATCH", f"/orders/{order_id}", json=fields)
        return result

    def jobs(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._call("GET", "/jobs")
        return result

    # webhooks -------------------------------------------------------------------------------
    def subscribe(self, url: str, secrets: list[str] | None = None) -> str:
        body: dict[str, Any] = {"url": url}
        if secrets is not None:
            body["secrets"] = secrets
        return str(self._call("POST", "/webhooks/subscribers", json=body)["id"])

    def unsubscribe(self, subscriber_id: str) -> None:
        self._call("DELETE", f"/webhooks/subscribers/{subscriber_id}")

    def deliveries(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._call("GET", "/webhooks/deliveries")
        return result

    def wait_deliveries(self, count: int, timeout: float = 5.0) -> list[dict[str, Any]]:
        """Poll until at least `count` delivery attempts are recorded (TimeoutError if not)."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.deliveries()
            if len(found) >= count:
                return found
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(found)} of {count} webhook deliveries after {timeout}s")
            time.sleep(0.02)

    def emit(self, order_id: str, type: str) -> str:
        return str(
            self._call("POST", "/webhooks/emit", json={"order_id": order_id, "type": type})[
                "event_id"
            ]
        )

    def redeliver(self, event_id: str, mode: str = "duplicate") -> None:
        self._call("POST", "/webhooks/redeliver", json={"event_id": event_id, "mode": mode})
