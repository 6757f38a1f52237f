"""`g2a-harness seller check` against the receiver serving a `ReferenceStock`: every check
passes; against a seller that breaks a rule, that check fails and the run exits non-zero. Whatever
a seller answers, no key, file, account secret, token or client secret reaches stdout or the
report."""

from __future__ import annotations

import contextlib
import json
import re
import subprocess
import sys
import threading
import uuid
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

import pytest
from gate_support import commit, git, head
from qa_support import ROOT, announced, harness

from g2a_adapter.receiver import (
    DeliveredStock,
    InventoryItem,
    OrderExistsError,
    Reservation,
    SellerOrder,
    SellerStock,
    SellerTokenIssuer,
    StockLevel,
    StockRequest,
)
from harness.cli import main
from harness.recording_receiver import declared_stock_app
from harness.seller_calls import SellerCalls
from harness.seller_conformance import CheckFailed, SellerConformance
from harness.seller_stock import ReferenceStock, StockedItem, StockedProduct, _Order
from harness.serving import serve_asgi
from harness.twin.credentials import SANDBOX_API_HASH, SANDBOX_API_KEY

GAME, DLC = 10000027819004, 10000037846002
CHECKS = [
    "token",
    "token_wrong_secret",
    "healthcheck",
    "healthcheck_no_bearer",
    "stock_no_bearer",
    "stock_forged_bearer",
    "reserve",
    "renew",
    "order",
    "inventory",
    "order_again",
    "order_retry",
    "give_back",
    "cancel",
    "order_race",
    "unknown_reservation",
    "notifications",
]


def reference_stock(kind: type[ReferenceStock] = ReferenceStock, *, deferred: bool = False) -> Any:
    """Five keys of one product, in a `kind` of stock."""
    items = [StockedItem(InventoryItem(f"{GAME}-{n}", f"SECRET-KEY-{n}")) for n in range(5)]
    return kind([StockedProduct(GAME, items, deferred=deferred)])


ASGI = Callable[[Any, Any, Any], Any]
# What a seller's answer may hold and no line of stdout or the report may show.
KEY, FILE_DATA, PIN = "SECRET-KEY-0", "RklMRS1DT05URU5ULVNFQ1JFVA==", "PIN-4321"
PASSWORD, EMAIL_PASSWORD = "hunter2-password", "mail-password-9"
ROUTES = "reserve, renew, cancel, order, inventory, give_back, file, account"


class OrdersTwice(ReferenceStock):
    """A broken seller: a reservation ordered again is sold again, whatever G2A's order."""

    def order(self, reservation_id: str, g2a_order_id: int) -> SellerOrder:
        if reservation_id in self._ordered:
            return SellerOrder("second-order", [])
        return super().order(reservation_id, g2a_order_id)


class RefusesRetries(ReferenceStock):
    """A seller that refuses any second order of a reservation 409, as G2A's page documents."""

    def order(self, reservation_id: str, g2a_order_id: int) -> SellerOrder:
        if reservation_id in self._ordered:
            raise OrderExistsError("an order exists for this reservation")
        return super().order(reservation_id, g2a_order_id)


class ReplaysAnyOrder(ReferenceStock):
    """A broken seller: another G2A order of an ordered reservation gets its keys again."""

    def order(self, reservation_id: str, g2a_order_id: int) -> SellerOrder:
        if reservation_id in self._ordered:
            return SellerOrder(
                self._ordered[reservation_id], self.inventory(self._ordered[reservation_id])
            )
        return super().order(reservation_id, g2a_order_id)


# How long an order of the broken seller below waits, between its read and its write, for a
# second order of the same reservation: long enough that two orders sent at the same moment
# meet on a busy machine (a fixed 50 ms supplier call, before, let a loaded CI run order them
# one after the other, and the race went unseen); an order alone goes on after it.
RACE_WINDOW_S = 0.5


class SellsOnRace(ReferenceStock):
    """A broken seller, like a stock that reads then writes in separate transactions: an order
    reads the reservation, calls its supplier, then writes the sale, so two orders of one
    reservation at the same moment both sell it, with the same keys."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._readers: dict[str, threading.Barrier] = {}

    def order(self, reservation_id: str, g2a_order_id: int) -> SellerOrder:
        with self._lock:
            reservation = self._reservations.get(reservation_id)
            meeting = self._readers.setdefault(reservation_id, threading.Barrier(2))
        if reservation is None or not reservation.held:  # unknown, cancelled or lapsed
            return super().order(reservation_id, g2a_order_id)
        with contextlib.suppress(threading.BrokenBarrierError):  # alone: the supplier answered
            meeting.wait(RACE_WINDOW_S)  # the supplier's call, between the read and the write
        with self._lock:
            order_id = str(uuid.uuid4())
            self._orders[order_id] = _Order(g2a_order_id, reservation.held)
            self._reservations.pop(reservation_id, None)
            self._ordered[reservation_id] = order_id
            return self._sold(order_id)


class ResellsTheFirstOrder(ReferenceStock):
    """A broken seller: every later order's first unit is the first order's last key again."""

    def order(self, reservation_id: str, g2a_order_id: int) -> SellerOrder:
        order = super().order(reservation_id, g2a_order_id)
        first = next(iter(self._orders))
        if order.order_id == first or not order.stock:
            return order
        resold = self.inventory(first)[0].inventory[-1]
        own = order.stock[0]
        stock = [DeliveredStock(own.product_id, own.inventory_size, [resold, *own.inventory[1:]])]
        return SellerOrder(order.order_id, stock)


class NegativeLevels(ReferenceStock):
    def reserve(self, requests: Sequence[StockRequest]) -> Reservation:
        reservation = super().reserve(requests)
        levels = [StockLevel(level.product_id, -1) for level in reservation.stock]
        return Reservation(reservation.reservation_id, levels)


class OneKeyMore(ReferenceStock):
    def order(self, reservation_id: str, g2a_order_id: int) -> SellerOrder:
        order = super().order(reservation_id, g2a_order_id)
        assert order.stock is not None
        extra = InventoryItem("extra", "FREE-EXTRA-KEY")
        stock = [
            DeliveredStock(d.product_id, d.inventory_size, [*d.inventory, extra])
            for d in order.stock
        ]
        return SellerOrder(order.order_id, stock)


class KeepsGivenBack(ReferenceStock):
    def give_back(self, order_id: str, item_ids: Sequence[str]) -> None:
        self._order(order_id)  # 204, but the item stays sold


class KeepsCancelled(ReferenceStock):
    def cancel(self, reservation_id: str) -> None:
        self._reservation(reservation_id)  # 204, but the reservation still holds its units


class DeliversLate(ReferenceStock):
    """Answers a deferred order's first inventory read with nothing: the keys come later."""

    reads = 0

    def inventory(self, order_id: str) -> Sequence[DeliveredStock]:
        self.reads += 1
        return [] if self.reads == 1 else super().inventory(order_id)


class NeverDelivers(ReferenceStock):
    def inventory(self, order_id: str) -> Sequence[DeliveredStock]:
        return []


def token_for_anyone() -> str:
    """A token the receiver (`declared_stock_app`, the sandbox credentials) accepts."""
    issuer = SellerTokenIssuer(SANDBOX_API_HASH, SANDBOX_API_KEY)
    return issuer.issue("client_credentials", SANDBOX_API_HASH, SANDBOX_API_KEY).access_token


def any_caller(app: ASGI) -> ASGI:
    """A broken seller: its stock routes take any caller (only /healthcheck checks the bearer)."""
    token = token_for_anyone().encode()

    async def lax(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"] not in ("/healthcheck", "/oauth/token"):
            headers = [(k, v) for k, v in scope["headers"] if k != b"authorization"]
            scope = dict(scope, headers=[*headers, (b"authorization", b"Bearer " + token)])
        await app(scope, receive, send)

    return lax


def tokens_for_any_secret(app: ASGI) -> ASGI:
    """A broken seller: `GET /oauth/token` issues a (working) token for any client secret."""

    async def lax(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"] == "/oauth/token":
            query = dict(parse_qsl(scope["query_string"].decode()))
            query["client_secret"] = SANDBOX_API_KEY
            scope = dict(scope, query_string=urlencode(query).encode())
        await app(scope, receive, send)

    return lax


def answering(status: int, body: Callable[[Any], Any]) -> ASGI:
    """A seller answering every call `status` with the JSON `body(scope)`."""

    async def app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        content = json.dumps(body(scope)).encode()
        headers = [(b"content-type", b"application/json")]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": content})

    return app


def echoed_secret(scope: Any) -> str | None:
    """The client secret of a token call (None for the others)."""
    return dict(parse_qsl(scope["query_string"].decode())).get("client_secret")


def echoing(scope: Any) -> Any:
    """The client secret the token call sent, echoed where the quoted part of an answer ends
    (JSON escapes a non-ASCII one)."""
    return {"message": f"{'x' * 160} unknown secret {echoed_secret(scope)}"}


def blabbing(scope: Any) -> Any:
    """Everything a seller must not have quoted back: keys, a file, an account, tokens and the
    client secret."""
    stock = [{"product_id": GAME, "inventory_size": 1, "inventory": [{"id": "1", "value": KEY}]}]
    return {
        "message": f"unknown secret {echoed_secret(scope)}",
        "access_token": "token-issued-anyway",
        "stock": stock,
        "data": FILE_DATA,
        "account": {"username": "p", "password": PASSWORD, "emailPassword": EMAIL_PASSWORD,
                    "optional": [{"label": "PIN", "details": PIN}]},
    }  # fmt: skip


def shown(secrets: Sequence[str], text: str) -> list[str]:
    """Which of `secrets` `text` shows, even partly (8 characters), in any form a JSON answer or
    a URL writes them."""
    return [
        secret
        for secret in secrets
        if any(
            form[:8] in text for form in (secret, json.dumps(secret)[1:-1], quote(secret, safe=""))
        )
    ]


@pytest.fixture
def credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("G2A_API_HASH", "G2A_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("G2A_SELLER_CLIENT_ID", SANDBOX_API_HASH)
    monkeypatch.setenv("G2A_SELLER_CLIENT_SECRET", SANDBOX_API_KEY)


def served(stock: SellerStock) -> AbstractContextManager[str]:
    """The receiver serving `stock`; its base URL."""
    return serve_asgi(declared_stock_app(stock))


def check(url: str, report_dir: Path, *options: str) -> int:
    arguments = ["seller", "check", "--url", url, "--product-id", str(GAME), *options]
    return main([*arguments, "--report-dir", str(report_dir)])


def report(report_dir: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((report_dir / "seller" / "seller-check.json").read_text())
    return loaded


@pytest.mark.usefixtures("credentials")
def test_the_reference_stock_passes_every_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stock = reference_stock()
    with served(stock) as url:
        assert check(url, tmp_path, "--quantity", "2") == 0
    out = capsys.readouterr().out
    assert [line.split(" ", 2)[:2] for line in out.splitlines()[:-1]] == [
        ["PASS", name] for name in CHECKS
    ]
    report_path = tmp_path / "seller" / "seller-check.json"
    assert out.splitlines()[-1] == f"17 checks of {url}: all passed; report: {report_path}"
    assert re.search(r"^PASS order_retry .*: 200: order \S+ replayed", out, re.M)
    written = report(tmp_path)
    assert (written["kind"], written["passed"], written["url"]) == ("seller-check", True, url)
    assert [c["name"] for c in written["checks"] if c["status"] == "PASS"] == CHECKS
    assert written["envelope"]["suite"] == "seller-check"
    raced = r"^PASS order_race .*: order \S+ sold \(200\), the other refused 409 order_exists$"
    assert re.search(raced, out, re.M)
    # two sold, one given back, two sold in the race (the given-back one again); the cancel freed
    assert stock.available(GAME) == 5 - 2 + 1 - 2
    assert SANDBOX_API_KEY not in out + json.dumps(written)
    assert "SECRET-KEY" not in out + json.dumps(written)


@pytest.mark.usefixtures("credentials")
def test_a_check_started_on_changes_put_back_before_it_ended_is_recorded_dirty(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Found by the gate's audit: `seller check` read the checkout only at its end, so a run
    started on uncommitted changes that were reverted before it ended was recorded clean."""
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    git(checkout, "init", "-q", "-b", "main")
    commit(checkout, {"app.py": "x = 1\n"}, "init")
    (checkout / "app.py").write_text("x = 2\n")
    monkeypatch.chdir(checkout)

    class PutsTheChangeBack(ReferenceStock):
        """A seller called once the check has started, as its checkout is put back."""

        def reserve(self, requests: Sequence[StockRequest]) -> Reservation:
            git(checkout, "checkout", "--", "app.py")
            return super().reserve(requests)

    with served(reference_stock(PutsTheChangeBack)) as url:
        assert check(url, tmp_path / "reports") == 0
    envelope = report(tmp_path / "reports")["envelope"]
    assert (envelope["commit"], envelope["dirty"]) == (head(checkout), True)


def test_a_deferred_order_is_checked_through_its_inventory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The credentials `receiver serve` uses (G2A_API_HASH, G2A_API_KEY) are the default."""
    for name in ("G2A_SELLER_CLIENT_ID", "G2A_SELLER_CLIENT_SECRET"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("G2A_API_HASH", SANDBOX_API_HASH)
    monkeypatch.setenv("G2A_API_KEY", SANDBOX_API_KEY)
    with served(reference_stock(deferred=True)) as url:
        assert check(url, tmp_path) == 0
    out = capsys.readouterr().out
    assert re.search(r"^PASS order .*: 202: order \S+ created without stock$", out, re.M)
    assert re.search(r"^PASS inventory .*: 1 unit\(s\)$", out, re.M)


@pytest.mark.usefixtures("credentials")
def test_a_seller_that_sells_a_reservation_twice_fails_that_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with served(reference_stock(OrdersTwice)) as url:
        assert check(url, tmp_path) == 1
    out = capsys.readouterr().out
    failed = [line for line in out.splitlines() if line.startswith("FAIL")]
    assert len(failed) == 3
    assert failed[0].startswith("FAIL order_again - ")
    assert failed[0].endswith(': expected 409, got 200: {"order_id": "second-order", "stock": []}')
    assert failed[1].startswith("FAIL order_retry - ")
    assert "answered order second-order, not the original" in failed[1]
    assert failed[2].startswith("FAIL order_race - ")
    assert out.splitlines()[-1].startswith(f"17 checks of {url}: 3 failed;")
    written = report(tmp_path)
    assert written["passed"] is False
    assert [c["name"] for c in written["checks"] if c["status"] == "FAIL"] == [
        "order_again",
        "order_retry",
        "order_race",
    ]


@pytest.mark.usefixtures("credentials")
def test_a_seller_that_sells_a_reservation_to_two_simultaneous_orders_fails_the_race(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Ordered one after the other, its reservations pass every check; at the same moment, both
    G2A orders get the reservation's keys."""
    with served(reference_stock(SellsOnRace)) as url:
        assert check(url, tmp_path) == 1
    out = capsys.readouterr().out
    failed = [line for line in out.splitlines() if not line.startswith("PASS")]
    assert len(failed) == 2, out
    assert re.fullmatch(
        r"FAIL order_race - .*: both orders were sold \(200 and 200\): orders \S+ and \S+; "
        r"delivered to both: item \S+",
        failed[0],
    ), failed[0]
    assert failed[1] == f"17 checks of {url}: 1 failed; report: {tmp_path}/seller/seller-check.json"
    assert [c["name"] for c in report(tmp_path)["checks"] if c["status"] != "PASS"] == [
        "order_race"
    ]
    assert "SECRET-KEY" not in out + json.dumps(report(tmp_path))


@pytest.mark.usefixtures("credentials")
def test_a_seller_delivering_a_key_already_sold_to_another_order_fails_the_race(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with served(reference_stock(ResellsTheFirstOrder)) as url:
        assert check(url, tmp_path, "--quantity", "2") == 1
    out = capsys.readouterr().out
    failed = [line for line in out.splitlines() if line.startswith("FAIL")]
    assert [line.split(" ", 2)[1] for line in failed] == ["order_race"], out
    assert re.search(rf"item {GAME}-1 holds the key sold as item {GAME}-1 of order \S+$", failed[0])
    assert "SECRET-KEY" not in out + json.dumps(report(tmp_path))


@pytest.mark.usefixtures("credentials")
def test_a_seller_refusing_g2a_s_retry_409_passes_as_g2a_documents(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with served(reference_stock(RefusesRetries)) as url:
        assert check(url, tmp_path) == 0
    out = capsys.readouterr().out
    assert re.search(r"^PASS order_retry .*: 409 order_exists: .*recover the keys", out, re.M)


@pytest.mark.usefixtures("credentials")
def test_a_seller_whose_stock_routes_take_any_caller_fails_the_bearer_checks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with serve_asgi(any_caller(declared_stock_app(reference_stock()))) as url:
        assert check(url, tmp_path) == 1
    out = capsys.readouterr().out
    failed = [line for line in out.splitlines() if line.startswith("FAIL")]
    assert [line.split(" ", 2)[1] for line in failed] == ["stock_no_bearer", "stock_forged_bearer"]
    assert all(f": not refused by {ROUTES}; reserve: expected 401, got 404: " in f for f in failed)


@pytest.mark.parametrize("bearer", ["none", "forged"])
def test_the_bearer_checks_change_no_stock_when_a_seller_lets_them_through(bearer: str) -> None:
    """Their calls are harmless if accepted: a product no one stocks, unknown ids."""
    stock = reference_stock()
    with (
        serve_asgi(any_caller(declared_stock_app(stock))) as url,
        SellerCalls(url, SANDBOX_API_HASH, SANDBOX_API_KEY) as calls,
    ):
        conformance = SellerConformance(calls, [GAME], 1)
        check = {"none": conformance.stock_no_bearer, "forged": conformance.stock_forged_bearer}
        with pytest.raises(CheckFailed, match=f"^not refused by {ROUTES}; reserve: expected 401"):
            check[bearer]()
    assert stock.available(GAME) == 5
    assert (stock._reservations, stock._orders) == ({}, {})


@pytest.mark.usefixtures("credentials")
@pytest.mark.parametrize(
    ("broken", "check_name", "reason"),
    [
        (NegativeLevels, "reserve", "inventory_size is -1, not an integer >= 0"),
        (OneKeyMore, "order", f"product {GAME}: 2 unit(s) delivered, 1 ordered"),
        (KeepsGivenBack, "give_back", f"the inventory still lists item {GAME}-0"),
        (KeepsCancelled, "cancel", "ordering it after the cancel: expected 404 or 410, got 200"),
        (NeverDelivers, "inventory", f"product {GAME}: 0 unit(s) delivered, 1 ordered"),
    ],
)
def test_a_seller_breaking_a_rule_fails_that_check(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    broken: type[ReferenceStock],
    check_name: str,
    reason: str,
) -> None:
    with served(reference_stock(broken, deferred=broken is NeverDelivers)) as url:
        assert check(url, tmp_path, "--timeout", "1") == 1
    out = capsys.readouterr().out
    failed = {line.split(" ", 2)[1]: line for line in out.splitlines() if line.startswith("FAIL")}
    assert check_name in failed, out
    assert reason in failed[check_name]
    assert "EXTRA-KEY" not in out


@pytest.mark.usefixtures("credentials")
def test_delivered_stock_without_inventory_size_fails_the_order(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def without_sizes(scope: Any) -> Any:
        if scope["path"] == "/oauth/token":
            return {"access_token": "token-0123", "token_type": "bearer", "expires_in": 60}
        if scope["path"] == "/reservation":
            return {"reservation_id": "r-1", "stock": [{"product_id": GAME, "inventory_size": 1}]}
        return {
            "order_id": "o-1",
            "stock": [{"product_id": GAME, "inventory": [{"id": "1", "value": KEY}]}],
        }

    with serve_asgi(answering(200, without_sizes)) as url:
        assert check(url, tmp_path) == 1
    out = capsys.readouterr().out
    assert re.search(r"^FAIL order .*'inventory_size' is missing or not a int", out, re.M)
    assert shown([KEY], out + json.dumps(report(tmp_path))) == []


@pytest.mark.usefixtures("credentials")
def test_a_deferred_order_s_keys_are_awaited(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stock = reference_stock(DeliversLate, deferred=True)
    with served(stock) as url:
        assert check(url, tmp_path) == 0
    assert stock.reads >= 3  # empty, then the keys; then the give-back check's read
    assert re.search(r"^PASS inventory .*: 1 unit\(s\)$", capsys.readouterr().out, re.M)


@pytest.mark.parametrize(
    ("seller", "secret"),
    [
        (lambda: answering(418, blabbing), "pässwörd-7f3a9c-ünïcode"),
        (lambda: answering(418, echoing), "pässwörd-7f3a9c-ünïcode"),
        (lambda: answering(418, echoing), SANDBOX_API_KEY),
        (lambda: tokens_for_any_secret(declared_stock_app(reference_stock())), SANDBOX_API_KEY),
        (lambda: declared_stock_app(reference_stock(ReplaysAnyOrder)), SANDBOX_API_KEY),
    ],
    ids=["everything", "non-ASCII secret echoed", "secret echoed", "token for any secret", "keys"],
)
def test_no_key_file_password_token_or_secret_reaches_stdout_or_the_report(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    seller: Callable[[], ASGI],
    secret: str,
) -> None:
    monkeypatch.setenv("G2A_SELLER_CLIENT_ID", SANDBOX_API_HASH)
    monkeypatch.setenv("G2A_SELLER_CLIENT_SECRET", secret)
    issued: list[str] = []
    original_token = SellerCalls.token

    def recording_token(calls: SellerCalls, client_secret: str | None = None) -> Any:
        answer = original_token(calls, client_secret)
        if isinstance(answer.body, dict) and isinstance(answer.body.get("access_token"), str):
            issued.append(answer.body["access_token"])
        return answer

    monkeypatch.setattr(SellerCalls, "token", recording_token)
    with serve_asgi(seller()) as url:
        assert check(url, tmp_path) == 1
    out = capsys.readouterr().out
    written = json.dumps(report(tmp_path), ensure_ascii=False)
    assert "FAIL" in out
    secrets = [KEY, "SECRET-KEY-1", FILE_DATA, PASSWORD, EMAIL_PASSWORD, PIN, secret, *issued]
    assert shown(secrets, out) == []
    assert shown(secrets, written) == []


def test_a_token_no_header_can_carry_fails_the_checks_and_the_report_is_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("G2A_SELLER_CLIENT_ID", SANDBOX_API_HASH)
    monkeypatch.setenv("G2A_SELLER_CLIENT_SECRET", SANDBOX_API_KEY)
    token = {"access_token": "tök-123", "token_type": "bearer", "expires_in": 60}
    with serve_asgi(answering(200, lambda scope: token)) as url:
        assert check(url, tmp_path) == 1
    out = capsys.readouterr().out
    assert "FAIL token - a token for the client id and secret: the access_token" in out
    assert "non-ASCII" in out
    assert re.search(r"^FAIL healthcheck - .*: UnicodeEncodeError: ", out, re.M)
    assert report(tmp_path)["passed"] is False
    assert "tök-123" not in out + json.dumps(report(tmp_path), ensure_ascii=False)


def test_a_wrong_secret_fails_the_token_and_leaves_what_needs_it_not_run_without_showing_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The checks that carry the bearer were sent without one and failed on the seller's 401,
    as if the seller had refused G2A's token."""
    monkeypatch.setenv("G2A_SELLER_CLIENT_ID", SANDBOX_API_HASH)
    monkeypatch.setenv("G2A_SELLER_CLIENT_SECRET", "not-the-seller-secret")
    with served(reference_stock()) as url:
        assert check(url, tmp_path) == 1
    out = capsys.readouterr().out
    assert "FAIL token - a token for the client id and secret: expected 200, got 401" in out
    assert "PASS token_wrong_secret" in out
    assert (
        "NOT RUN reserve - POST /reservation holds the units: needs what the token check makes"
        in out
    )
    assert "NOT RUN renew - PUT /reservation/{id} renews it: needs what the reserve check" in out
    not_run = [
        "healthcheck",
        *("reserve", "renew", "order", "inventory", "order_again", "order_retry", "give_back"),
        *("cancel", "order_race", "unknown_reservation", "notifications"),
    ]
    assert [line.split(" ", 3)[2] for line in out.splitlines() if line.startswith("NOT RUN")] == (
        not_run
    )
    assert f"17 checks of {url}: 1 failed, 12 not run; report: " in out
    written = report(tmp_path)
    assert [c["name"] for c in written["checks"] if c["status"] == "NOT RUN"] == not_run
    assert written["passed"] is False
    assert "not-the-seller-secret" not in out + json.dumps(written)


@pytest.mark.usefixtures("credentials")
def test_an_unreachable_seller_fails_every_check_that_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert check("http://127.0.0.1:9", tmp_path, "--timeout", "2") == 1
    lines = capsys.readouterr().out.splitlines()
    outcomes = [line.split(" - ")[0].rsplit(" ", 1) for line in lines[:-1]]
    assert {outcome for outcome, _ in outcomes} == {"FAIL", "NOT RUN"}
    assert [name for outcome, name in outcomes if outcome == "NOT RUN"] == [
        "renew", "order", "inventory", "order_again", "order_retry", "give_back"
    ]  # fmt: skip
    assert "no answer: ConnectError" in lines[0]
    assert ": 11 failed, 6 not run; report: " in lines[-1]


@pytest.mark.parametrize(
    ("env", "options", "message"),
    [
        ({}, ["--client-id", "c"], "set G2A_SELLER_CLIENT_SECRET (or G2A_API_KEY) to the secret"),
        ({"G2A_SELLER_CLIENT_SECRET": "s"}, [], "give --client-id, or set G2A_SELLER_CLIENT_ID"),
        ({"G2A_SELLER_CLIENT_SECRET": "s"}, ["--client-id", "c", "--quantity", "0"], "positive"),
    ],
)
def test_a_bad_invocation_is_one_line(
    env: dict[str, str], options: list[str], message: str
) -> None:
    done = harness(
        "seller", "check", "--url", "http://127.0.0.1:9", "--product-id", "1", *options, env=env
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.startswith("g2a-harness seller: ")
    assert message in done.stderr
    assert done.stderr.count("\n") == 1


def test_receiver_serve_with_a_stock_file_passes_the_check(tmp_path: Path) -> None:
    """The whole path QA takes: `receiver serve --stock FILE`, then `seller check` against it."""
    stock_file = tmp_path / "stock.json"
    stock_file.write_text(json.dumps({"products": [{"product_id": GAME, "keys": ["A", "B"]}]}))
    env = {
        "PYTHONUNBUFFERED": "1",
        "G2A_API_URL": "http://127.0.0.1:9/v1",
        "G2A_API_HASH": SANDBOX_API_HASH,
        "G2A_API_KEY": SANDBOX_API_KEY,
        "G2A_WEBHOOK_SECRET": "seller-check-webhook-secret",
        "G2A_IDEMPOTENCY_URL": "memory://",
    }
    log = tmp_path / "receiver.log"
    serve = [sys.executable, "-m", "harness", "receiver", "serve", "--port", "0"]
    with log.open("w") as sink:
        process = subprocess.Popen(
            [*serve, "--stock", str(stock_file)], cwd=ROOT, env={**env}, stdout=sink, stderr=sink
        )
        try:
            banner = re.compile(r"G2A receiver: (http://127\.0\.0\.1:\d+)/webhooks/g2a")
            url = announced(log, process, banner)
            done = harness(
                "seller", "check", "--url", url, "--product-id", str(GAME),
                "--report-dir", str(tmp_path), env=env,
            )  # fmt: skip
        finally:
            process.terminate()
            process.wait(10)
    assert done.returncode == 0, done.stdout + done.stderr
    served_log = log.read_text()
    assert f"declared stock from {stock_file}" in served_log
    assert f"client id {SANDBOX_API_HASH} (G2A_API_HASH); secret from G2A_API_KEY" in served_log
    assert SANDBOX_API_KEY not in served_log


def test_receiver_serve_refuses_a_bad_stock_file_in_one_line(tmp_path: Path) -> None:
    stock_file = tmp_path / "stock.json"
    stock_file.write_text("[]")
    env = {
        "G2A_API_URL": "http://127.0.0.1:9/v1",
        "G2A_API_HASH": SANDBOX_API_HASH,
        "G2A_API_KEY": SANDBOX_API_KEY,
        "G2A_WEBHOOK_SECRET": "seller-check-webhook-secret",
    }
    done = harness("receiver", "serve", "--port", "0", "--stock", str(stock_file), env=env)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.startswith(f"g2a-harness receiver: stock file {stock_file}: ")
    assert done.stderr.count("\n") == 1
