"""`SellerCalls`: G2A's way of calling a seller (token by GET with query parameters, then a
bearer on every call), with the secret and the token kept out of reprs and logs."""

from __future__ import annotations

import base64
import json
import logging
from urllib.parse import quote

import httpx
import pytest

from harness.masking import MASK, masked
from harness.seller_calls import SellerCalls, redacted

SECRET = "s3cret/with+symbols=="  # changed by URL encoding: the encoded form is masked too
TOKEN = "issued-token-0123456789"


class Seller:
    """Issues TOKEN for SECRET and wants it on every other call; remembers each call."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(f"{request.method} {request.url.path}")
        if request.url.path == "/oauth/token":
            if request.url.params.get("client_secret") != SECRET:
                return httpx.Response(401, json={"error": "invalid_client"})
            token = {"access_token": TOKEN, "token_type": "bearer", "expires_in": 60}
            return httpx.Response(200, json=token)
        if request.headers.get("authorization") != f"Bearer {TOKEN}":
            return httpx.Response(401, json={"code": "invalid_token", "message": "no"})
        if request.method == "DELETE":
            assert request.url.params.get_list("id[]") == ["a", "b"]
            return httpx.Response(204)
        return httpx.Response(200, json={"path": request.url.raw_path.decode()})


def calls(seller: Seller | None = None) -> SellerCalls:
    transport = httpx.MockTransport(seller or Seller())
    return SellerCalls("http://seller.test/", "client", SECRET, transport=transport)


def test_the_token_is_asked_for_once_by_get_and_sent_as_a_bearer() -> None:
    seller = Seller()
    with calls(seller) as g2a:
        assert g2a.healthcheck().status == 200
        assert g2a.renew("r/1").body == {"path": "/reservation/r%2F1"}
        assert g2a.give_back("o-1", ["a", "b"]).status == 204
        assert g2a.healthcheck(bearer=False).status == 401
    assert seller.seen == [
        "GET /oauth/token",
        "GET /healthcheck",
        "PUT /reservation/r/1",
        "DELETE /order/o-1/inventory",
        "GET /healthcheck",
    ]


def test_a_wrong_secret_only_tries_it() -> None:
    with calls() as g2a:
        assert g2a.token(client_secret="wrong-secret").status == 401
        assert g2a.reserve({1: 2}).status == 200  # the right token was fetched for it


def test_neither_the_secret_nor_the_token_shows(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="httpx")
    with calls() as g2a:
        g2a.token()
        g2a.token(client_secret="another-secret-value")
        g2a.healthcheck()
        shown = repr(g2a)
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "/oauth/token?grant_type=client_credentials&client_id=client&client_secret=***" in logged
    encoded = str(httpx.QueryParams({"s": SECRET}))[2:]
    for secret in (SECRET, encoded, TOKEN, "another-secret-value"):
        assert secret not in logged + shown
    assert shown == "SellerCalls('http://seller.test', client_id='client', client_secret=***)"


def test_closing_removes_the_log_filter() -> None:
    filters = list(logging.getLogger("httpx").filters)
    calls().close()
    assert logging.getLogger("httpx").filters == filters


def test_redacted_hides_keys_files_accounts_and_tokens_wherever_they_are() -> None:
    body = {
        "order_id": "o-1",
        "stock": [
            {"product_id": 1, "inventory": [{"id": "i-1", "value": "KEY-1", "kind": "text"}]}
        ],
        "data": "RklMRS1DT05URU5U",
        "username": "player",
        "password": "pw-1",
        "emailPassword": "epw-1",
        "optional": [{"label": "PIN", "details": "4321"}],
        "nested": {"access_token": "tok-1", "refresh_token": "tok-2", "email_password": "epw-2"},
    }
    assert redacted(body) == {
        "order_id": "o-1",
        "stock": [{"product_id": 1, "inventory": [{"id": "i-1", "value": MASK, "kind": "text"}]}],
        "data": MASK,
        "username": "player",
        "password": MASK,
        "emailPassword": MASK,
        "optional": [{"label": "PIN", "details": MASK}],
        "nested": {"access_token": MASK, "refresh_token": MASK, "email_password": MASK},
    }
    assert redacted([{"value": {"deep": "KEY-2"}}, "text", 3]) == [{"value": MASK}, "text", 3]


def test_redacted_hides_a_key_whatever_field_a_seller_put_it_in() -> None:
    """A seller naming its key field `key` had the key quoted in `seller-check.json`."""
    stock = [
        {
            "product_id": 1,
            "inventory_size": 3,
            "inventory": [
                {"id": "i-1", "key": "GAMEKEY-AAAA-1111", "kind": "text"},
                {"id": "i-2", "serial": "SERIAL-2", "file_name": "k.png"},
                "GAMEKEY-BBBB-2222",
            ],
        }
    ]
    assert redacted(stock) == [
        {
            "product_id": 1,
            "inventory_size": 3,
            "inventory": [
                {"id": "i-1", "key": MASK, "kind": "text"},
                {"id": "i-2", "serial": MASK, "file_name": MASK},
                MASK,
            ],
        }
    ]
    assert redacted({"licenseKey": "L-1", "cd_key": "C-1", "keys": ["K-1"]}) == {
        "licenseKey": MASK,
        "cd_key": MASK,
        "keys": MASK,
    }


def test_a_secret_is_masked_however_an_answer_escapes_it() -> None:
    secret = 'pässwörd "7f" + /x'
    with SellerCalls(
        "http://seller.test", "client", secret, transport=httpx.MockTransport(Seller())
    ) as g2a:
        kept = g2a.secrets()
    forms = [
        secret,
        json.dumps(secret)[1:-1],  # p\u00e4ssw\u00f6rd \"7f\" + /x
        json.dumps(secret, ensure_ascii=False)[1:-1],
        str(httpx.QueryParams({"s": secret}))[2:],  # p%C3%A4ssw%C3%B6rd+%227f%22+%2B+%2Fx
        quote(secret, safe=""),  # ...%20...
    ]
    for form in forms:
        assert masked(f"echo: {form}.", kept) == f"echo: {MASK}."


@pytest.mark.parametrize(
    "written",
    [
        "p%c3%a4ssw%c3%b6rd%20%227f%22%20%2b%20%2fx",  # percent-encoded in lower-case hex
        'p\\u00E4ssw\\u00f6rd \\"7f\\" + \\/x',  # JSON as PHP writes it, hex in both cases
        base64.b64encode('client:pässwörd "7f" + /x'.encode()).decode(),  # a Basic credential
    ],
    ids=["lower-case-hex", "php-json", "basic"],
)
def test_a_secret_is_masked_however_else_an_answer_writes_it(written: str) -> None:
    """A service that echoes the token request (its URL, its Authorization) as it read it."""
    with SellerCalls(
        "http://seller.test",
        "client",
        'pässwörd "7f" + /x',
        transport=httpx.MockTransport(Seller()),
    ) as g2a:
        kept = g2a.secrets()
    assert masked(f"echo: {written}.", kept) == f"echo: {MASK}."


def test_a_token_issued_for_a_wrong_secret_is_masked_too() -> None:
    def lax(request: httpx.Request) -> httpx.Response:
        token = {"access_token": "token-for-anyone", "token_type": "bearer", "expires_in": 60}
        return httpx.Response(200, json=token)

    with SellerCalls(
        "http://seller.test", "client", SECRET, transport=httpx.MockTransport(lax)
    ) as g2a:
        g2a.token(client_secret="wrong-secret")
        assert "token-for-anyone" in g2a.secrets()


def test_a_stranger_s_calls_carry_no_bearer_or_the_one_given() -> None:
    sent: list[str | None] = []

    def seller(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/token":
            return httpx.Response(200, json={"access_token": TOKEN})
        sent.append(request.headers.get("authorization"))
        return httpx.Response(401, json={"code": "invalid_token", "message": "no"})

    with SellerCalls(
        "http://seller.test", "client", SECRET, transport=httpx.MockTransport(seller)
    ) as g2a:
        g2a.token()
        with g2a.as_stranger():
            g2a.reserve({1: 1})
        with g2a.as_stranger("x.y.z"):
            g2a.inventory("o-1")
        g2a.healthcheck()
    assert sent == [None, "Bearer x.y.z", f"Bearer {TOKEN}"]
