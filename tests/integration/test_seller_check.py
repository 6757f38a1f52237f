"""`g2a-harness seller check` against the receiver serving a `ReferenceStock`: every check
passes; against a seller that breaks a rule, that check fails and the run exits non-zero."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pytest
from qa_support import ROOT, announced, harness

from g2a_adapter.receiver import InventoryItem, OrderExistsError, SellerOrder, SellerStock
from harness.cli import main
from harness.recording_receiver import declared_stock_app
from harness.seller_stock import ReferenceStock, StockedItem, StockedProduct
from harness.serving import serve_asgi
from harness.twin.credentials import SANDBOX_API_HASH, SANDBOX_API_KEY

GAME, DLC = 10000027819004, 10000037846002
CHECKS = [
    "token",
    "token_wrong_secret",
    "healthcheck",
    "healthcheck_no_bearer",
    "reserve",
    "renew",
    "order",
    "inventory",
    "order_again",
    "give_back",
    "cancel",
    "unknown_reservation",
    "notifications",
]


def reference_stock(kind: type[ReferenceStock] = ReferenceStock, *, deferred: bool = False) -> Any:
    """Five keys of one product, in a `kind` of stock."""
    items = [StockedItem(InventoryItem(f"{GAME}-{n}", f"SECRET-KEY-{n}")) for n in range(5)]
    return kind([StockedProduct(GAME, items, deferred=deferred)])


class OrdersTwice(ReferenceStock):
    """A broken seller: a reservation ordered again is sold again instead of refused."""

    def order(self, reservation_id: str, g2a_order_id: int) -> SellerOrder:
        try:
            return super().order(reservation_id, g2a_order_id)
        except OrderExistsError:
            return SellerOrder("second-order", [])


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
    assert out.splitlines()[-1] == f"13 checks of {url}: all passed; report: {report_path}"
    written = report(tmp_path)
    assert (written["kind"], written["passed"], written["url"]) == ("seller-check", True, url)
    assert [c["name"] for c in written["checks"] if c["passed"]] == CHECKS
    assert written["envelope"]["suite"] == "seller-check"
    assert stock.available(GAME) == 5 - 2 + 1  # two sold, one given back; the cancel freed its
    assert SANDBOX_API_KEY not in out + json.dumps(written)
    assert "SECRET-KEY" not in out + json.dumps(written)


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
    assert len(failed) == 1
    assert failed[0].startswith("FAIL order_again - a second order for the reservation is refused")
    assert failed[0].endswith(': expected 409, got 200: {"order_id": "second-order", "stock": []}')
    assert out.splitlines()[-1].startswith(f"13 checks of {url}: 1 failed")
    written = report(tmp_path)
    assert written["passed"] is False
    assert [c["name"] for c in written["checks"] if not c["passed"]] == ["order_again"]


def test_a_wrong_secret_fails_the_token_and_what_needs_it_without_showing_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("G2A_SELLER_CLIENT_ID", SANDBOX_API_HASH)
    monkeypatch.setenv("G2A_SELLER_CLIENT_SECRET", "not-the-seller-secret")
    with served(reference_stock()) as url:
        assert check(url, tmp_path) == 1
    out = capsys.readouterr().out
    assert "FAIL token - a token for the client id and secret: expected 200, got 401" in out
    assert "PASS token_wrong_secret" in out
    assert "FAIL reserve - POST /reservation holds the units: expected 200, got 401" in out
    assert "FAIL renew - PUT /reservation/{id} renews it: not run: needs what the reserve" in out
    assert "not-the-seller-secret" not in out + json.dumps(report(tmp_path))


@pytest.mark.usefixtures("credentials")
def test_an_unreachable_seller_fails_every_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert check("http://127.0.0.1:9", tmp_path, "--timeout", "2") == 1
    lines = capsys.readouterr().out.splitlines()
    assert all(line.startswith("FAIL") for line in lines[:-1])
    assert "no answer: ConnectError" in lines[0]


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
    assert f"declared stock from {stock_file}" in log.read_text()


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
