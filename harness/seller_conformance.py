"""The conformance run of `g2a-harness seller check`: a seller's declared-stock service exercised
as G2A would, one named check after another (docs/g2a-api.md §3).

The checks run in order and later ones use what earlier ones made (the token, the reservation,
the order); a check whose input an earlier failure left missing fails and says so. It reserves
and orders real units: each run consumes stock (one given-back unit returns).
"""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from harness.seller_calls import SellerAnswer, SellerCalls, mask

_MAX_ID_LENGTH = 36  # G2A's reservation, order and inventory ids: 1 to 36 characters
_KINDS = ("text", "file", "account")
_SHOWN_BODY = 200  # characters of an unexpected body a reason quotes


class CheckFailed(Exception):
    """A check's verdict: the seller's answer is not what G2A expects."""


@dataclass(frozen=True)
class CheckResult:
    name: str
    description: str
    passed: bool
    reason: str

    def line(self) -> str:
        mark = "PASS" if self.passed else "FAIL"
        return f"{mark} {self.name} - {self.description}: {self.reason}"


class SellerConformance:
    """The checks, in the order G2A's calls come; `run()` answers each one's result."""

    def __init__(self, calls: SellerCalls, product_ids: Sequence[int], quantity: int) -> None:
        if not product_ids or quantity <= 0:
            raise ValueError("a run needs product ids and a positive quantity")
        self.calls = calls
        self.quantities = dict.fromkeys(product_ids, quantity)
        self.g2a_order_id = 10**12 + secrets.randbelow(10**12)
        self._reservation_id: str | None = None
        self._order_id: str | None = None
        self._items: list[str] = []

    def checks(self) -> list[tuple[str, str, Callable[[], str]]]:
        """(name, what G2A expects, the check) of every check, in running order."""
        return [
            ("token", "a token for the client id and secret", self.token),
            ("token_wrong_secret", "a wrong client secret is refused with 401", self.wrong_secret),
            ("healthcheck", "GET /healthcheck with the bearer answers 204", self.healthcheck),
            ("healthcheck_no_bearer", "GET /healthcheck without it answers 401", self.no_bearer),
            ("reserve", "POST /reservation holds the units", self.reserve),
            ("renew", "PUT /reservation/{id} renews it", self.renew),
            ("order", "POST /order sells the reservation (200, or 202 without stock)", self.order),
            ("inventory", "GET /order/{id}/inventory lists the delivered units", self.inventory),
            ("order_again", "a second order for the reservation is refused 409", self.order_again),
            ("give_back", "DELETE /order/{id}/inventory?id[]= takes one unit back", self.give_back),
            ("cancel", "DELETE /reservation/{id} of a fresh reservation answers 204", self.cancel),
            ("unknown_reservation", "renewing an unknown reservation answers 404", self.unknown),
            ("notifications", "POST /notifications answers 204", self.notifications),
        ]

    def run(self) -> list[CheckResult]:
        results = []
        for name, description, check in self.checks():
            try:
                passed, reason = True, check()
            except CheckFailed as failed:
                passed, reason = False, str(failed)
            except httpx.HTTPError as exc:
                passed, reason = False, f"no answer: {type(exc).__name__}: {exc}"
            results.append(
                CheckResult(name, description, passed, mask(reason, self.calls.secrets()))
            )
        return results

    # --- the checks: each answers why it passed, or raises CheckFailed ------------------------
    def token(self) -> str:
        body = _expect(self.calls.token(), 200)
        _field(body, "access_token", str)
        if str(body.get("token_type", "")).lower() != "bearer":
            raise CheckFailed(f"token_type is {body.get('token_type')!r}, not 'bearer'")
        expires_in = _field(body, "expires_in", int)
        if expires_in <= 0:
            raise CheckFailed(f"expires_in is {expires_in}")
        return f"a bearer token for {expires_in} s"

    def wrong_secret(self) -> str:
        _expect(self.calls.token(client_secret=secrets.token_urlsafe(24)), 401)
        return "401"

    def healthcheck(self) -> str:
        _expect(self.calls.healthcheck(), 204)
        return "204"

    def no_bearer(self) -> str:
        _expect(self.calls.healthcheck(bearer=False), 401)
        return "401"

    def reserve(self) -> str:
        self._reservation_id = self._reservation(self.calls.reserve(self.quantities))
        return f"reservation {self._reservation_id}"

    def renew(self) -> str:
        reservation_id = _needed(self._reservation_id, "reserve")
        renewed = self._reservation(self.calls.renew(reservation_id))
        if renewed != reservation_id:
            raise CheckFailed(f"renewing {reservation_id} answered reservation {renewed}")
        return f"reservation {renewed}"

    def order(self) -> str:
        answer = self.calls.order(_needed(self._reservation_id, "reserve"), self.g2a_order_id)
        body = _expect(answer, 202 if answer.status == 202 else 200)
        self._order_id = _identifier(body, "order_id")
        if answer.status == 202:
            return f"202: order {self._order_id} created without stock"
        self._items = self._delivered(_field(body, "stock", list))
        return f"200: order {self._order_id} with {len(self._items)} unit(s)"

    def inventory(self) -> str:
        answer = self.calls.inventory(_needed(self._order_id, "order"))
        self._items = self._delivered(_expect(answer, 200, list))
        return f"{len(self._items)} unit(s)"

    def order_again(self) -> str:
        answer = self.calls.order(_needed(self._reservation_id, "reserve"), self.g2a_order_id)
        return _refusal(answer, 409)

    def give_back(self) -> str:
        order_id = _needed(self._order_id, "order")
        item = _needed(self._items[0] if self._items else None, "inventory")
        _expect(self.calls.give_back(order_id, [item]), 204)
        return f"item {item} given back"

    def cancel(self) -> str:
        reservation_id = self._reservation(self.calls.reserve(self.quantities))
        _expect(self.calls.cancel(reservation_id), 204)
        return f"reservation {reservation_id} cancelled"

    def unknown(self) -> str:
        return _refusal(self.calls.renew(str(uuid.uuid4())), 404)

    def notifications(self) -> str:
        notice = {
            "notification_type": "auction_deactivated",
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "data": {"message": "seller check", "auction_id": 1, "offer_id": str(uuid.uuid4())},
        }
        _expect(self.calls.notify([notice]), 204)
        return "204"

    # --- reading answers ----------------------------------------------------------------------
    def _reservation(self, answer: SellerAnswer) -> str:
        """The reservation id of a 200 reservation answer listing every product's stock."""
        body = _expect(answer, 200)
        reservation_id = _identifier(body, "reservation_id")
        levels = _field(body, "stock", list)
        listed = {_field(level, "product_id", int) for level in levels}
        if missing := set(self.quantities) - listed:
            raise CheckFailed(f"stock lists no product {min(missing)}")
        for level in levels:
            _field(level, "inventory_size", int)
        return reservation_id

    def _delivered(self, stock: list[Any]) -> list[str]:
        """The ids of the delivered units; every product must have its quantity."""
        ids: list[str] = []
        for entry in stock:
            product_id = _field(entry, "product_id", int)
            units = _field(entry, "inventory", list)
            for unit in units:
                ids.append(_identifier(unit, "id"))
                _field(unit, "value", str)
                if unit.get("kind", "text") not in _KINDS:
                    raise CheckFailed(f"an item's kind is {unit.get('kind')!r}")
            if len(units) < self.quantities.get(product_id, 0):
                raise CheckFailed(f"product {product_id}: {len(units)} unit(s) delivered")
        if missing := set(self.quantities) - {entry["product_id"] for entry in stock}:
            raise CheckFailed(f"nothing delivered for product {min(missing)}")
        return ids


def _needed(value: str | None, check: str) -> str:
    if value is None:
        raise CheckFailed(f"not run: needs what the {check} check makes")
    return value


def _expect(answer: SellerAnswer, status: int, shape: type = dict) -> Any:
    """The body of an answer with `status`, of JSON type `shape` (None when `status` is 204 or
    401: their bodies are not checked)."""
    if answer.status != status:
        raise CheckFailed(f"expected {status}, got {answer.status}: {_shown(answer.body)}")
    if status in (204, 401):
        return None
    if not isinstance(answer.body, shape):
        raise CheckFailed(f"{status} with a body that is not a JSON {shape.__name__}")
    return answer.body


def _refusal(answer: SellerAnswer, status: int) -> str:
    """Passes for `status` with G2A's error body `{"code", "message"}`."""
    body = _expect(answer, status)
    code = _field(body, "code", str)
    _field(body, "message", str)
    return f"{status} {code}"


def _field(body: Any, name: str, kind: type) -> Any:
    value = body.get(name) if isinstance(body, dict) else None
    if not isinstance(value, kind) or isinstance(value, bool):
        raise CheckFailed(f"{name!r} is missing or not a {kind.__name__}: {_shown(body)}")
    return value


def _identifier(body: Any, name: str) -> str:
    value: str = _field(body, name, str)
    if not 1 <= len(value) <= _MAX_ID_LENGTH:
        raise CheckFailed(f"{name} {value!r} is not 1 to {_MAX_ID_LENGTH} characters")
    return value


def _shown(body: Any) -> str:
    text = json.dumps(body) if not isinstance(body, str) else body
    return text if len(text) <= _SHOWN_BODY else f"{text[:_SHOWN_BODY]}…"
