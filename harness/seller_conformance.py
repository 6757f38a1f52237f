"""The conformance run of `g2a-harness seller check`: a seller's declared-stock service exercised
as G2A would, one named check after another (docs/g2a-api.md §3).

The checks run in order and later ones use what earlier ones made (the token, the reservation,
the order); a check whose input an earlier failure left missing is NOT RUN and says what it
needs, and a check that raises anything unexpected fails (its reason names the exception), so a
report is always written. It reserves and orders real units: each run sells `quantity` units of
each product twice and gives one back, so it consumes 2 x quantity - 1 of them. The bearer checks
call every stock route as a stranger with calls that would change nothing if let through: a
reservation of a product no one stocks, unknown ids.

`order_race` sends G2A's order of one reservation twice at the same moment, as two G2A orders:
one must be sold and the other refused 409. Every key the run's orders deliver is kept (given
back, it may be sold again): a key delivered to a second unit fails the check that sees it.

A failure's reason may quote the seller's answer: redacted first (`redacted`: keys, files,
accounts' secrets, tokens), with the client secret and every token masked in any form, and cut
to `_SHOWN` characters. A body that is not JSON is never quoted, only measured.
"""

from __future__ import annotations

import functools
import json
import secrets
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, TypeVar

import httpx

from harness.masking import masked
from harness.seller_calls import (
    NoBearerError,
    SellerAnswer,
    SellerCalls,
    redacted,
    redacted_inventory_item,
)

_MAX_ID_LENGTH = 36  # G2A's reservation, order and inventory ids: 1 to 36 characters
_KINDS = ("text", "file", "account")
_SHOWN = 200  # characters of an answer (or an exception's message) a reason quotes
_UNSTOCKED = 2**63 - 1  # a product id no seller stocks: the stranger's reservation asks for it
_FORGED_BEARER = "x.y.z"
_T = TypeVar("_T")
_FIRST_PAUSE_S, _LONGEST_PAUSE_S = 0.05, 1.0  # between reads of a 202 order's inventory


class _Unquoted:
    """A failure that quotes no answer."""


_UNQUOTED: Any = _Unquoted()


class CheckFailed(Exception):
    """A check's verdict: the seller's answer is not what G2A expects. `body`, when given, is the
    part of the answer the reason quotes after the message."""

    def __init__(self, message: str, body: Any = _UNQUOTED) -> None:
        super().__init__(message)
        self.message = message
        self.body = body

    def about(self, call: str) -> CheckFailed:
        """The same verdict, naming the call it is about."""
        return CheckFailed(f"{call}: {self.message}", self.body)

    def reason(self, hidden: set[str]) -> str:
        """The message and the quoted body, showing none of `hidden`."""
        if self.body is _UNQUOTED:
            return masked(self.message, hidden)
        return f"{masked(self.message, hidden)}: {_quoted(self.body, hidden)}"


class NotRun(CheckFailed):
    """A check that cannot run: what it needs, an earlier check failed to make."""


class Outcome(StrEnum):
    PASS = "PASS"
    FAIL = "FAIL"
    NOT_RUN = "NOT RUN"


@dataclass(frozen=True)
class CheckResult:
    name: str
    description: str
    status: Outcome
    reason: str

    @property
    def passed(self) -> bool:
        return self.status is Outcome.PASS

    def line(self) -> str:
        return f"{self.status} {self.name} - {self.description}: {self.reason}"


@dataclass(frozen=True)
class Unit:
    """A delivered unit: its id and, for a key (`text`), the key itself, never shown."""

    id: str
    key: str | None


class _SoldKeys:
    """The keys the run's orders hold, each with the order and the unit it was sold as."""

    def __init__(self) -> None:
        self._holders: dict[str, tuple[str, str]] = {}  # key -> (order id, unit id)

    def add(self, order_id: str, units: Sequence[Unit]) -> None:
        """Keep the order's keys; CheckFailed when a key is already another unit's."""
        for unit in units:
            if unit.key is None:
                continue
            holder = self._holders.setdefault(unit.key, (order_id, unit.id))
            if holder != (order_id, unit.id):
                raise CheckFailed(
                    f"item {unit.id} holds the key sold as item {holder[1]} of order {holder[0]}"
                )

    def given_back(self, unit: Unit) -> None:
        """The unit's key returned to the seller's stock: it may be sold again."""
        if unit.key is not None:
            self._holders.pop(unit.key, None)


class SellerConformance:
    """The checks, in the order G2A's calls come; `run()` answers each one's result.
    `timeout_s` bounds the wait for the keys of an order answered 202."""

    def __init__(
        self,
        calls: SellerCalls,
        product_ids: Sequence[int],
        quantity: int,
        *,
        timeout_s: float = 10.0,
    ) -> None:
        if not product_ids or quantity <= 0:
            raise ValueError("a run needs product ids and a positive quantity")
        self.calls = calls
        self.quantities = dict.fromkeys(product_ids, quantity)
        self.timeout_s = timeout_s
        self.g2a_order_id = 10**12 + secrets.randbelow(10**12)
        self._reservation_id: str | None = None
        self._order_id: str | None = None
        self._deferred = False  # the order was answered 202, without its keys
        self._items: list[Unit] = []
        self._sold = _SoldKeys()

    def checks(self) -> list[tuple[str, str, Callable[[], str]]]:
        """(name, what G2A expects, the check) of every check, in running order."""
        stranger = "every stock route answers 401 {code, message} to a call"
        return [
            ("token", "a token for the client id and secret", self.token),
            ("token_wrong_secret", "a wrong client secret is refused with 401", self.wrong_secret),
            ("healthcheck", "GET /healthcheck with the bearer answers 204", self.healthcheck),
            ("healthcheck_no_bearer", "GET /healthcheck without it answers 401", self.no_bearer),
            ("stock_no_bearer", f"{stranger} without a bearer", self.stock_no_bearer),
            (
                "stock_forged_bearer",
                f"{stranger} with a forged bearer (Bearer {_FORGED_BEARER})",
                self.stock_forged_bearer,
            ),
            ("reserve", "POST /reservation holds the units", self.reserve),
            ("renew", "PUT /reservation/{id} renews it", self.renew),
            ("order", "POST /order sells the reservation (200, or 202 without stock)", self.order),
            (
                "inventory",
                "GET /order/{id}/inventory lists the ordered units (awaited after a 202)",
                self.inventory,
            ),
            (
                "order_again",
                "ordering the reservation as another G2A order is refused 409",
                self.order_again,
            ),
            (
                "order_retry",
                "a repeat of G2A's order (same g2a_order_id) replays it, so G2A recovers the "
                "keys of an answer it missed; or is refused 409",
                self.order_retry,
            ),
            (
                "give_back",
                "DELETE /order/{id}/inventory?id[]= takes one unit back out of the inventory",
                self.give_back,
            ),
            (
                "cancel",
                "DELETE /reservation/{id} of a fresh reservation answers 204; ordering it is "
                "then refused 404 or 410",
                self.cancel,
            ),
            (
                "order_race",
                "two POST /order of one reservation at the same moment, as two G2A orders: one "
                "is sold, the other refused 409; no key is sold twice",
                self.order_race,
            ),
            ("unknown_reservation", "renewing an unknown reservation answers 404", self.unknown),
            ("notifications", "POST /notifications answers 204", self.notifications),
        ]

    def run(self) -> list[CheckResult]:
        return [self._result(*check) for check in self.checks()]

    def _result(self, name: str, description: str, check: Callable[[], str]) -> CheckResult:
        """The check's verdict; the secrets are read after it, as it may have been given a token."""
        try:
            return CheckResult(
                name, description, Outcome.PASS, masked(check(), self.calls.secrets())
            )
        except NoBearerError:  # the token check failed: it says why
            return CheckResult(
                name, description, Outcome.NOT_RUN, "needs what the token check makes"
            )
        except NotRun as not_run:
            return CheckResult(
                name, description, Outcome.NOT_RUN, not_run.reason(self.calls.secrets())
            )
        except CheckFailed as failed:
            reason = failed.reason(self.calls.secrets())
        except httpx.HTTPError as exc:
            reason = f"no answer: {_exception(exc, self.calls.secrets())}"
        except Exception as exc:  # whatever a check trips on is its FAIL, never the run's end
            reason = _exception(exc, self.calls.secrets())
        return CheckResult(name, description, Outcome.FAIL, reason)

    # --- the checks: each answers why it passed, or raises CheckFailed ------------------------
    def token(self) -> str:
        body = _expect(self.calls.token(), 200)
        if not _fits_a_header(_field(body, "access_token", str)):
            raise CheckFailed(
                "the access_token is empty or holds non-ASCII or whitespace characters: an "
                "Authorization header cannot carry it"
            )
        if str(body.get("token_type", "")).lower() != "bearer":
            raise CheckFailed("token_type is not 'bearer'", body)
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

    def stock_no_bearer(self) -> str:
        return self._refused_to(None)

    def stock_forged_bearer(self) -> str:
        return self._refused_to(_FORGED_BEARER)

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
        self._deferred = answer.status == 202
        if self._deferred:
            return f"202: order {self._order_id} created without stock"
        self._items = self._delivered(self._order_id, _field(body, "stock", list))
        return f"200: order {self._order_id} with {len(self._items)} unit(s)"

    def inventory(self) -> str:
        order_id = _needed(self._order_id, "order")
        if self._deferred:
            answer = self._awaited_inventory(order_id)
        else:
            answer = self.calls.inventory(order_id)
        self._items = self._delivered(order_id, _expect(answer, 200, list))
        return f"{len(self._items)} unit(s)"

    def order_again(self) -> str:
        reservation_id = _needed(self._reservation_id, "reserve")
        return _refusal(self.calls.order(reservation_id, self.g2a_order_id + 1), 409)

    def order_retry(self) -> str:
        order_id = _needed(self._order_id, "order")
        answer = self.calls.order(_needed(self._reservation_id, "reserve"), self.g2a_order_id)
        if answer.status == 409:
            refused = _refusal(answer, 409)
            return f"{refused}: as G2A's page documents, but a replay would recover the keys"
        body = _expect(answer, 202 if answer.status == 202 else 200)
        replayed = _identifier(body, "order_id")
        if replayed != order_id:
            raise CheckFailed(f"answered order {replayed}, not the original {order_id}")
        return f"{answer.status}: order {order_id} replayed, its keys recoverable"

    def give_back(self) -> str:
        order_id = _needed(self._order_id, "order")
        unit = _needed(self._items[0] if self._items else None, "inventory")
        _expect(self.calls.give_back(order_id, [unit.id]), 204)
        listed = [u.id for u in _units(_expect(self.calls.inventory(order_id), 200, list))]
        if unit.id in listed:
            raise CheckFailed(f"the inventory still lists item {unit.id} after it was given back")
        self._sold.given_back(unit)
        return f"item {unit.id} given back; the inventory no longer lists it"

    def cancel(self) -> str:
        reservation_id = self._reservation(self.calls.reserve(self.quantities))
        _expect(self.calls.cancel(reservation_id), 204)
        answer = self.calls.order(reservation_id, self.g2a_order_id + 1)
        try:
            refused = _refusal(answer, 404, 410)
        except CheckFailed as failed:
            raise failed.about("ordering it after the cancel") from None
        return f"reservation {reservation_id} cancelled; ordering it is refused {refused}"

    def order_race(self) -> str:
        reservation_id = self._reservation(self.calls.reserve(self.quantities))
        g2a_order_ids = (self.g2a_order_id + 2, self.g2a_order_id + 3)
        answers = sent_together(
            [functools.partial(self.calls.order, reservation_id, g) for g in g2a_order_ids]
        )
        sold = [answer for answer in answers if answer.status in (200, 202)]
        if len(sold) == len(answers):
            raise _sold_twice(answers)
        if not sold:
            statuses = " and ".join(str(answer.status) for answer in answers)
            raise CheckFailed(f"neither order was sold: {statuses}", answers[0].body)
        try:
            refused = _refusal(next(a for a in answers if a.status not in (200, 202)), 409)
        except CheckFailed as failed:
            raise failed.about("the other order") from None
        order_id = self._received(sold[0])
        return f"order {order_id} sold ({sold[0].status}), the other refused {refused}"

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

    # --- calls and answers --------------------------------------------------------------------
    def _refused_to(self, bearer: str | None) -> str:
        """Passes when every stock route answers a stranger (no bearer, or `bearer`) 401 with
        G2A's error body; else names the routes that did not."""
        harmless = self._harmless_calls()
        failures: dict[str, CheckFailed] = {}
        with self.calls.as_stranger(bearer):
            for call, send in harmless:
                try:
                    _refusal(send(), 401)
                except CheckFailed as failed:
                    failures[call] = failed.about(call)
        if failures:
            first = next(iter(failures.values()))
            raise CheckFailed(f"not refused by {', '.join(failures)}; {first.message}", first.body)
        return f"401 on {', '.join(call for call, _ in harmless)}"

    def _harmless_calls(self) -> list[tuple[str, Callable[[], SellerAnswer]]]:
        """A call to each stock route that would change nothing if the seller let it through."""
        unknown, calls = str(uuid.uuid4()), self.calls
        return [
            ("reserve", functools.partial(calls.reserve, {_UNSTOCKED: 1})),
            ("renew", functools.partial(calls.renew, unknown)),
            ("cancel", functools.partial(calls.cancel, unknown)),
            ("order", functools.partial(calls.order, unknown, self.g2a_order_id)),
            ("inventory", functools.partial(calls.inventory, unknown)),
            ("give_back", functools.partial(calls.give_back, unknown, [unknown])),
            ("file", functools.partial(calls.file, unknown, unknown)),
            ("account", functools.partial(calls.account, unknown, unknown)),
        ]

    def _awaited_inventory(self, order_id: str) -> SellerAnswer:
        """The order's inventory, read again after a growing pause while it lists fewer units
        than ordered, until `timeout_s` has passed."""
        deadline = time.monotonic() + self.timeout_s
        pause = _FIRST_PAUSE_S
        answer = self.calls.inventory(order_id)
        while self._short(answer) and time.monotonic() + pause < deadline:
            time.sleep(pause)
            pause = min(2 * pause, _LONGEST_PAUSE_S)
            answer = self.calls.inventory(order_id)
        return answer

    def _short(self, answer: SellerAnswer) -> bool:
        """A 200 inventory listing fewer units of a product than ordered: still delivering."""
        if answer.status != 200 or not isinstance(answer.body, list):
            return False
        listed: Counter[Any] = Counter()
        for entry in answer.body:
            units = entry.get("inventory") if isinstance(entry, dict) else None
            if isinstance(units, list):
                listed[entry.get("product_id")] += len(units)
        return any(listed[product] < quantity for product, quantity in self.quantities.items())

    def _received(self, answer: SellerAnswer) -> str:
        """The id of the order a 200 or 202 answer made, once its units are delivered (awaited
        after a 202) and their keys kept."""
        body = _expect(answer, answer.status)
        order_id = _identifier(body, "order_id")
        if answer.status == 202:
            stock = _expect(self._awaited_inventory(order_id), 200, list)
        else:
            stock = _field(body, "stock", list)
        self._delivered(order_id, stock)
        return order_id

    def _reservation(self, answer: SellerAnswer) -> str:
        """The reservation id of a 200 reservation answer listing every product's stock."""
        body = _expect(answer, 200)
        reservation_id = _identifier(body, "reservation_id")
        levels = _field(body, "stock", list)
        listed = {_field(level, "product_id", int) for level in levels}
        if missing := set(self.quantities) - listed:
            raise CheckFailed(f"stock lists no product {min(missing)}")
        for level in levels:
            _inventory_size(level)
        return reservation_id

    def _delivered(self, order_id: str, stock: list[Any]) -> list[Unit]:
        """The units delivered to the order: exactly the quantity of each product ordered, none
        of another, each entry with its `inventory_size`, no key sold before; their keys kept."""
        delivered: Counter[int] = Counter()
        for entry in stock:
            product_id = _field(entry, "product_id", int)
            _inventory_size(entry)
            delivered[product_id] += len(_field(entry, "inventory", list))
        for product_id in sorted(set(delivered) | set(self.quantities)):
            ordered = self.quantities.get(product_id, 0)
            if delivered[product_id] != ordered:
                raise CheckFailed(
                    f"product {product_id}: {delivered[product_id]} unit(s) delivered, "
                    f"{ordered} ordered"
                )
        units = _units(stock)
        self._sold.add(order_id, units)
        return units


def sent_together(sends: Sequence[Callable[[], SellerAnswer]]) -> list[SellerAnswer]:
    """The answers to `sends`, each sent from its own thread once every thread is ready: the
    calls are in flight at the same moment."""
    ready = threading.Barrier(len(sends))

    def send(call: Callable[[], SellerAnswer]) -> SellerAnswer:
        ready.wait()
        return call()

    with ThreadPoolExecutor(max_workers=len(sends)) as pool:
        return list(pool.map(send, sends))


def _sold_twice(answers: Sequence[SellerAnswer]) -> CheckFailed:
    """The verdict on a reservation sold to each of two G2A orders: their ids and the units
    (by id) their answers both list."""
    first, second = (_listed(answer) for answer in answers)
    statuses = " and ".join(str(answer.status) for answer in answers)
    message = f"both orders were sold ({statuses}): orders {first[0]} and {second[0]}"
    keys = {unit.key for unit in second[1]}
    if shared := [unit.id for unit in first[1] if unit.key is not None and unit.key in keys]:
        message += "; delivered to both: " + ", ".join(f"item {unit_id}" for unit_id in shared)
    return CheckFailed(message)


def _listed(answer: SellerAnswer) -> tuple[str, list[Unit]]:
    """An order answer's order id and the units it lists (none for an order answered 202,
    without its keys); a malformed unit fails the check that reads it."""
    body = answer.body if isinstance(answer.body, dict) else {}
    stock = body.get("stock")
    return str(body.get("order_id")), _units(stock) if isinstance(stock, list) else []


def _needed(value: _T | None, check: str) -> _T:
    if value is None:
        raise NotRun(f"needs what the {check} check makes")
    return value


def _status(answer: SellerAnswer, *statuses: int) -> None:
    if answer.status not in statuses:
        expected = " or ".join(str(status) for status in statuses)
        raise CheckFailed(f"expected {expected}, got {answer.status}", answer.body)


def _expect(answer: SellerAnswer, status: int, shape: type = dict) -> Any:
    """The body of an answer with `status`, of JSON type `shape` (None when `status` is 204 or
    401: their bodies are not checked)."""
    _status(answer, status)
    if status in (204, 401):
        return None
    if not isinstance(answer.body, shape):
        raise CheckFailed(f"{status} with a body that is not a JSON {shape.__name__}")
    return answer.body


def _refusal(answer: SellerAnswer, *statuses: int) -> str:
    """Passes for one of `statuses` with G2A's error body `{"code", "message"}`."""
    _status(answer, *statuses)
    code = _field(answer.body, "code", str)
    _field(answer.body, "message", str)
    return f"{answer.status} {code}"


def _field(body: Any, name: str, kind: type) -> Any:
    value = body.get(name) if isinstance(body, dict) else None
    if not isinstance(value, kind) or isinstance(value, bool):
        raise CheckFailed(f"{name!r} is missing or not a {kind.__name__}", body)
    return value


def _identifier(body: Any, name: str) -> str:
    value: str = _field(body, name, str)
    if not 1 <= len(value) <= _MAX_ID_LENGTH:
        raise CheckFailed(f"{name} is not 1 to {_MAX_ID_LENGTH} characters", body)
    return value


def _inventory_size(entry: Any) -> int:
    size: int = _field(entry, "inventory_size", int)
    if size < 0:
        raise CheckFailed(f"inventory_size is {size}, not an integer >= 0")
    return size


def _units(stock: list[Any]) -> list[Unit]:
    """The units listed by stock entries, each a text key, a file or an account."""
    return [_unit(unit) for entry in stock for unit in _field(entry, "inventory", list)]


def _unit(unit: Any) -> Unit:
    """An inventory item as a unit; a failure quotes the item as an inventory item is shown
    (`redacted_inventory_item`): wherever its key is, a sold one."""
    try:
        unit_id = _identifier(unit, "id")
        value: str = _field(unit, "value", str)
        kind = unit.get("kind", "text")
        if kind not in _KINDS:
            raise CheckFailed("an item's kind is not text, file or account")
    except CheckFailed as failed:
        raise CheckFailed(failed.message, redacted_inventory_item(unit)) from None
    return Unit(unit_id, value if kind == "text" and value else None)


def _fits_a_header(token: str) -> bool:
    """Whether an `Authorization` header can carry the token as is."""
    return bool(token) and token.isascii() and not any(ch.isspace() for ch in token)


def _quoted(body: Any, hidden: set[str]) -> str:
    """Some of an answer's body, safe to show: redacted, with `hidden` masked, cut short. Text
    (a body that is not JSON, or a bare JSON string) is only measured: its meaning is unknown."""
    if isinstance(body, str):
        return f"a body that is not a JSON object or array ({len(body)} characters)"
    return _cut(masked(json.dumps(redacted(body), ensure_ascii=False), hidden))


def _exception(exc: Exception, hidden: set[str]) -> str:
    return _cut(masked(f"{type(exc).__name__}: {exc}", hidden))


def _cut(text: str) -> str:
    return text if len(text) <= _SHOWN else f"{text[:_SHOWN]}…"
