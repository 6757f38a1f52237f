"""`seller check`'s parts that need no seller: the race's calls go out together, the help
counts the checks a run makes, and a failing inventory item is quoted without its key."""

from __future__ import annotations

import threading

import httpx
import pytest

from harness.cli import main
from harness.seller_calls import SellerAnswer, SellerCalls
from harness.seller_conformance import (
    CheckFailed,
    CheckResult,
    Outcome,
    SellerConformance,
    _units,
    sent_together,
)


def test_the_race_s_calls_are_in_flight_together() -> None:
    """Each call waits for the other inside it: sent one after the other, the first would time
    out (BrokenBarrierError)."""
    both_in = threading.Barrier(2, timeout=5)

    def send() -> SellerAnswer:
        both_in.wait()
        return SellerAnswer(200, None)

    assert sent_together([send, send]) == [SellerAnswer(200, None)] * 2


def test_a_call_that_raises_raises_from_the_race() -> None:
    def send() -> SellerAnswer:
        raise ValueError("no answer")

    with pytest.raises(ValueError, match="no answer"):
        sent_together([send, send])


def test_the_help_counts_the_checks_and_the_stock_a_run_consumes(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit):
        main(["seller", "check", "--help"])
    shown = " ".join(capsys.readouterr().out.split())
    with SellerCalls("http://127.0.0.1:9", "client", "secret") as calls:
        count = len(SellerConformance(calls, [1], 1).checks())
    assert f"{count} checks" in shown
    assert "consumes 2 x quantity - 1 units of each product" in shown


@pytest.mark.parametrize(
    ("outcome", "line"),
    [
        (Outcome.PASS, "PASS renew - renews it: ok"),
        (Outcome.FAIL, "FAIL renew - renews it: ok"),
        (Outcome.NOT_RUN, "NOT RUN renew - renews it: ok"),
    ],
)
def test_a_result_line_starts_with_its_outcome(outcome: Outcome, line: str) -> None:
    result = CheckResult("renew", "renews it", outcome, "ok")
    assert result.line() == line
    assert result.passed is (outcome is Outcome.PASS)


def test_the_check_reads_the_seller_credentials_as_the_receiver_does(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Stripped, and a blank value unset: it sent ' sid ' and '   ' where the receiver
    expected 'sid' and the API key."""
    from g2a_adapter import Settings
    from harness.commands.seller import _credentials

    env = {
        "G2A_API_URL": "http://127.0.0.1:9/v1",
        "G2A_API_HASH": "hash-1",
        "G2A_API_KEY": "a" * 64,
        "G2A_SELLER_CLIENT_ID": " sid ",
        "G2A_SELLER_CLIENT_SECRET": "   ",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings = Settings.from_env(env)

    assert _credentials(None) == (
        settings.seller_client_id,
        settings.seller_client_secret.get_secret_value(),
    )
    assert _credentials(None) == ("sid", "a" * 64)
    monkeypatch.setenv("G2A_SELLER_CLIENT_SECRET", " padded ")
    assert (
        _credentials(None)[1]
        == Settings.from_env(
            env | {"G2A_SELLER_CLIENT_SECRET": " padded "}
        ).seller_client_secret.get_secret_value()
        == "padded"
    )


@pytest.mark.parametrize(
    ("entry", "reason"),
    [
        (
            {"id": "u1", "kind": "text", "code": "AAAAA-BBBBB-CCCCC"},
            """'value' is missing or not a str: {"id": "u1", "kind": "text", "code": "***"}""",
        ),
        (
            {"id": "u2", "value": "AAAAA-BBBBB-CCCCC", "kind": "voucher"},
            """an item's kind is not text, file or account: {"id": "u2", "value": "***", """
            """"kind": "voucher"}""",
        ),
        (  # masked whole, then only measured as any text
            "AAAAA-BBBBB-CCCCC",
            "'id' is missing or not a str: a body that is not a JSON object or array "
            "(3 characters)",
        ),
    ],
)
def test_a_failing_inventory_item_is_quoted_without_its_key(entry: object, reason: str) -> None:
    """A seller putting its key in another field had the sold key quoted in the reason."""
    stock = [{"product_id": 1, "inventory_size": 1, "inventory": [entry]}]
    with pytest.raises(CheckFailed) as failed:
        _units(stock)
    assert failed.value.reason(set()) == reason


def test_an_inventory_that_is_no_list_is_quoted_masked() -> None:
    with pytest.raises(CheckFailed) as failed:
        _units([{"product_id": 1, "inventory_size": 1, "inventory": "AAAAA-BBBBB-CCCCC"}])
    assert failed.value.reason(set()) == (
        """'inventory' is missing or not a list: {"product_id": 1, "inventory_size": 1, """
        """"inventory": "***"}"""
    )


def test_a_check_that_needs_the_token_is_not_run_when_the_service_issued_none() -> None:
    """With a wrong client secret, every check that carries G2A's bearer was sent without one
    and failed on the service's 401, blaming the seller for the missing token."""
    refused = {"code": "invalid_request", "message": "a bearer token is required"}

    def service(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/token":
            return httpx.Response(401, json={"error": "invalid_client"})
        return httpx.Response(401, json=refused)

    with SellerCalls(
        "http://seller.test", "client", "wrong", transport=httpx.MockTransport(service)
    ) as calls:
        results = SellerConformance(calls, [1], 1).run()

    passed, failed, not_run = Outcome.PASS, Outcome.FAIL, Outcome.NOT_RUN
    assert {result.name: result.status for result in results} == {
        "token": failed,
        "token_wrong_secret": passed,
        "healthcheck": not_run,
        "healthcheck_no_bearer": passed,
        "stock_no_bearer": passed,
        "stock_forged_bearer": passed,
        **dict.fromkeys(("reserve", "renew", "order", "inventory", "order_again"), not_run),
        **dict.fromkeys(("order_retry", "give_back", "cancel", "order_race"), not_run),
        "unknown_reservation": not_run,
        "notifications": not_run,
    }
    reasons = {result.name: result.reason for result in results}
    assert reasons["healthcheck"] == reasons["reserve"] == "needs what the token check makes"
    assert reasons["renew"] == "needs what the reserve check makes"
