"""G2A's side of the declared-stock contract (docs/g2a-api.md §3): `SellerCalls` calls a seller's
service exactly as G2A does, to check one from outside.

G2A asks for a token with `GET /oauth/token?grant_type=client_credentials&client_id=…&
client_secret=…` and sends `Authorization: Bearer …` on every later call. Each call answers a
`SellerAnswer` (status and parsed body), whatever the status: judging it is the caller's job.
The client secret and the tokens never appear in a repr or a log line, httpx's own request log
included (its URL would carry the secret). What may quote an answer redacts it first
(`redacted`: keys, files, accounts' secrets, tokens) and masks the secrets
(`harness.masking.masked`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from types import TracebackType
from typing import Any
from urllib.parse import quote

import httpx

from harness.masking import MASK, masked

_HTTPX_LOGGER = logging.getLogger("httpx")
# Fields of an answer that can hold what must never be shown: a key (`inventory[].value`), a
# file's `data`, an account's passwords and `optional[].details`, a token or a secret. Compared
# in lower case without `_` or `-`, so `emailPassword` and `email_password` are one field.
_SECRET_FIELDS = frozenset(
    {"value", "data", "password", "emailpassword", "details"}
    | {"accesstoken", "refreshtoken", "idtoken", "token", "clientsecret", "secret"}
)
# Any field named like a key (`key`, `licenseKey`, `cd_key`, `keys`) is masked too, and of an
# item of an `inventory` list only these fields are shown: a seller that names its key field
# wrongly still sold a real key.
_KEY_SUFFIXES = ("key", "keys")
_INVENTORY_ITEM_SHOWN = frozenset({"id", "kind"})


@dataclass(frozen=True)
class SellerAnswer:
    """A seller's answer: the status and the body (parsed JSON, else the text; None if empty)."""

    status: int
    body: Any

    @classmethod
    def of(cls, response: httpx.Response) -> SellerAnswer:
        if not response.content:
            return cls(response.status_code, None)
        try:
            return cls(response.status_code, response.json())
        except ValueError:
            return cls(response.status_code, response.text)


class _Masking(logging.Filter):
    """Replaces the given secrets in every record of the logger it filters."""

    def __init__(self, secrets: set[str]) -> None:
        super().__init__()
        self.secrets = secrets

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        shown = masked(message, self.secrets)
        if shown != message:
            record.msg, record.args = shown, None
        return True


def redacted(body: Any) -> Any:
    """A parsed JSON answer with the value of every field that can hold a key, a file, an
    account's secret or a token (`_SECRET_FIELDS`, a name ending in `key`, an inventory item's
    fields but its id and kind) replaced by the mask, at any depth."""
    if isinstance(body, dict):
        return {name: _redacted_field(name, value) for name, value in body.items()}
    if isinstance(body, list):
        return [redacted(item) for item in body]
    return body


def _redacted_field(name: str, value: Any) -> Any:
    field = name.lower().replace("_", "").replace("-", "")
    if field in _SECRET_FIELDS or field.endswith(_KEY_SUFFIXES):
        return MASK
    if field == "inventory":  # not a list, it may be the key itself
        return (
            [redacted_inventory_item(item) for item in value] if isinstance(value, list) else MASK
        )
    return redacted(value)


def redacted_inventory_item(item: Any) -> Any:
    """An item of an `inventory` list with every field but its id and kind masked (an item
    that is no object is masked whole: it may be the key itself)."""
    if not isinstance(item, dict):
        return MASK
    return {name: value if name in _INVENTORY_ITEM_SHOWN else MASK for name, value in item.items()}


def _segment(value: str) -> str:
    """An id as one path segment, whatever characters it holds."""
    return quote(value, safe="")


class NoBearerError(RuntimeError):
    """A call that carries G2A's bearer, while the service issued no token for the client id
    and secret: sent without one, it would only show the token's failure again."""


class SellerCalls:
    """Calls one seller's declared-stock service as G2A does; use it as a context manager."""

    def __init__(
        self,
        base_url: str,
        client_id: str,
        client_secret: str,
        *,
        timeout_s: float = 10.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.client_id = client_id
        self._client_secret = client_secret
        self._bearer: str | None = None
        self._stranger: dict[str, str] | None = None  # the headers of `as_stranger`'s calls
        self._masking = _Masking(set())
        self._keep_secret(client_secret)
        _HTTPX_LOGGER.addFilter(self._masking)
        self._http = httpx.Client(base_url=self.base_url, timeout=timeout_s, transport=transport)

    def __repr__(self) -> str:
        return f"SellerCalls({self.base_url!r}, client_id={self.client_id!r}, client_secret=***)"

    def __enter__(self) -> SellerCalls:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()
        _HTTPX_LOGGER.removeFilter(self._masking)

    def secrets(self) -> set[str]:
        """The client secret and the token in use: what a report or message must not show."""
        return set(self._masking.secrets)

    # --- the token ----------------------------------------------------------------------------
    def token(self, client_secret: str | None = None) -> SellerAnswer:
        """Ask for a token; one issued for the configured secret is used from now on (another
        `client_secret`, a wrong one say, only tries it). Any token issued is kept secret: one
        issued for a wrong secret works against the service too."""
        secret = self._client_secret if client_secret is None else client_secret
        self._keep_secret(secret)
        params = {
            "grant_type": "client_credentials",
            "client_id": self.client_id,
            "client_secret": secret,
        }
        answer = SellerAnswer.of(self._http.get("/oauth/token", params=params))
        token = answer.body.get("access_token") if isinstance(answer.body, dict) else None
        if isinstance(token, str):
            self._keep_secret(token)
            if secret == self._client_secret and answer.status == 200:
                self._bearer = token
        return answer

    def _keep_secret(self, secret: str) -> None:
        """Mask `secret` from now on, in every form an answer or a URL may write it."""
        if secret:
            self._masking.secrets.add(secret)

    @contextmanager
    def as_stranger(self, bearer: str | None = None) -> Iterator[None]:
        """The calls made inside come from a caller that is not G2A: without an `Authorization`
        header, or with `bearer` (a forged token) instead of the one issued."""
        self._stranger = {"Authorization": f"Bearer {bearer}"} if bearer is not None else {}
        try:
            yield
        finally:
            self._stranger = None

    def send(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        params: Mapping[str, Any] | None = None,
        bearer: bool = True,
    ) -> SellerAnswer:
        """One call; with `bearer` it carries the token (asked for first if there is none;
        `NoBearerError` when none is issued), but inside `as_stranger` the stranger's headers."""
        headers = self._stranger if self._stranger is not None else self._authorization(bearer)
        response = self._http.request(method, path, json=body, params=params, headers=headers)
        return SellerAnswer.of(response)

    def _authorization(self, bearer: bool) -> dict[str, str]:
        if not bearer:
            return {}
        if self._bearer is None:
            self.token()
        if not self._bearer:
            raise NoBearerError("the service issued no token for the client id and secret")
        return {"Authorization": f"Bearer {self._bearer}"}

    # --- the calls G2A makes ------------------------------------------------------------------
    def healthcheck(self, *, bearer: bool = True) -> SellerAnswer:
        return self.send("GET", "/healthcheck", bearer=bearer)

    def reserve(self, quantities: Mapping[int, int]) -> SellerAnswer:
        """`POST /reservation` of `quantity` units of each product id."""
        lines = [{"product_id": p, "quantity": q} for p, q in quantities.items()]
        return self.send("POST", "/reservation", body=lines)

    def renew(self, reservation_id: str) -> SellerAnswer:
        return self.send("PUT", f"/reservation/{_segment(reservation_id)}")

    def cancel(self, reservation_id: str) -> SellerAnswer:
        return self.send("DELETE", f"/reservation/{_segment(reservation_id)}")

    def order(self, reservation_id: str, g2a_order_id: int) -> SellerAnswer:
        body = {"reservation_id": reservation_id, "g2a_order_id": g2a_order_id}
        return self.send("POST", "/order", body=body)

    def inventory(self, order_id: str) -> SellerAnswer:
        return self.send("GET", f"/order/{_segment(order_id)}/inventory")

    def give_back(self, order_id: str, item_ids: Sequence[str]) -> SellerAnswer:
        """`DELETE /order/{id}/inventory?id[]=…`: the items return to the seller's stock."""
        return self.send(
            "DELETE", f"/order/{_segment(order_id)}/inventory", params={"id[]": list(item_ids)}
        )

    def file(self, order_id: str, item_id: str) -> SellerAnswer:
        return self.send("GET", f"/order/{_segment(order_id)}/inventory/{_segment(item_id)}")

    def account(self, order_id: str, item_id: str) -> SellerAnswer:
        return self.send(
            "GET", f"/order/{_segment(order_id)}/inventory/{_segment(item_id)}/account"
        )

    def notify(self, notifications: Sequence[Mapping[str, Any]]) -> SellerAnswer:
        return self.send("POST", "/notifications", body=list(notifications))
