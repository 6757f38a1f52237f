"""Pure pieces of the twin: credentials, catalog, config, rate limiter, routing, orders."""

from __future__ import annotations

import re

import pytest

from g2a_adapter.wire import derive_api_key
from harness.twin.assumptions import STATUS_WORDS
from harness.twin.catalog import Catalog, complete_product, generate_products
from harness.twin.config import TwinConfig
from harness.twin.credentials import (
    SANDBOX_API_HASH,
    SANDBOX_API_KEY,
    SANDBOX_API_SECRET,
    SANDBOX_CREDENTIAL,
    SANDBOX_EMAIL,
    SANDBOX_PRODUCT_IDS,
    Credential,
)
from harness.twin.dispatch import resolve
from harness.twin.errors import BR02, ApiError
from harness.twin.redact import masked_authorization
from harness.twin.runtime import Twin
from harness.twin.state import Order, RateLimiter


def test_published_key_is_the_derived_key() -> None:
    assert derive_api_key(SANDBOX_API_HASH, SANDBOX_EMAIL, SANDBOX_API_SECRET) == SANDBOX_API_KEY
    assert SANDBOX_CREDENTIAL.authorization == f"{SANDBOX_API_HASH}, {SANDBOX_API_KEY}"
    assert SANDBOX_API_SECRET not in repr(SANDBOX_CREDENTIAL)


def test_catalog_is_deterministic_and_realistic() -> None:
    products = generate_products(2026, 300)
    assert products == generate_products(2026, 300)
    assert products != generate_products(2027, 300)
    ids = [p["id"] for p in products]
    assert len(set(ids)) == 300
    assert ids == sorted(ids)
    assert all(len(i) == 14 and i.isdigit() for i in ids)
    assert set(SANDBOX_PRODUCT_IDS) <= set(ids)
    by_id = {p["id"]: p for p in products}
    assert all(by_id[i]["qty"] >= 100 for i in SANDBOX_PRODUCT_IDS)
    out_of_stock = [p for p in products if p["qty"] == 0]
    assert 10 <= len(out_of_stock) <= 60
    assert len({p["platform"] for p in products}) >= 8
    assert len({p["region"] for p in products}) >= 5
    assert all(0.99 <= p["minPrice"] <= 69.99 for p in products)


def test_small_catalogs_still_hold_the_sandbox_ids() -> None:
    assert {p["id"] for p in generate_products(1, 2)} == set(SANDBOX_PRODUCT_IDS)


def test_catalog_caches_encoding_until_a_change() -> None:
    catalog = Catalog(generate_products(1, 10), 1)
    product_id = SANDBOX_PRODUCT_IDS[0]
    first = catalog.encoded(product_id)
    assert catalog.encoded(product_id) is first
    catalog.update(product_id, {"qty": 0, "id": "ignored"})
    assert b'"qty": 0' in catalog.encoded(product_id)
    assert catalog.get(product_id)["availableToBuy"] is False  # type: ignore[index]
    catalog.remove(product_id)
    assert catalog.get(product_id) is None
    assert product_id not in [p["id"] for p in catalog]
    catalog.add(complete_product({"id": "10000000000001", "qty": 1}, 1))
    assert catalog.get("10000000000001")["name"]  # type: ignore[index]


def test_catalog_keeps_a_listing_until_any_change() -> None:
    catalog = Catalog(generate_products(1, 10), 1)
    renders: list[int] = []

    def render() -> bytes:
        renders.append(len(catalog))
        return b"%d" % len(catalog)

    assert catalog.listing("q", render) == catalog.listing("q", render) == b"10"
    assert len(renders) == 1
    catalog.listing("other query", render)
    for change in (
        lambda: catalog.update(SANDBOX_PRODUCT_IDS[0], {"qty": 1}),
        lambda: catalog.remove(SANDBOX_PRODUCT_IDS[1]),
        lambda: catalog.add(complete_product({"id": "10000000000001"}, 1)),
    ):
        before = len(renders)
        change()
        catalog.listing("q", render)
        assert len(renders) == before + 1
    assert catalog.listing("q", render) == b"10"


def test_a_failed_render_is_not_kept() -> None:
    catalog = Catalog(generate_products(1, 10), 1)

    def failing() -> bytes:
        raise ApiError(BR02)

    with pytest.raises(ApiError):
        catalog.listing("q", failing)
    assert catalog.listing("q", lambda: b"ok") == b"ok"


def test_config_updates_are_typed() -> None:
    config = TwinConfig().updated(
        {"token_ttl_seconds": 60, "rate_limit": "off", "webhook_retry_delays": [0, 1],
         "wallet_balance": 5}
    )  # fmt: skip
    assert (config.token_ttl_seconds, config.rate_limit) == (60, None)
    assert (config.webhook_retry_delays, config.wallet_balance) == ((0.0, 1.0), 5.0)
    assert TwinConfig().updated({"rate_limit": 7, "wallet_balance": None}).rate_limit == 7
    with pytest.raises(ValueError, match="token_ttl_seconds must be an integer"):
        TwinConfig().updated({"token_ttl_seconds": "60"})
    with pytest.raises(ValueError, match="between 1 and 86400"):
        TwinConfig().updated({"token_ttl_seconds": 0})
    with pytest.raises(ValueError, match="completion_delay_seconds must be between 0 and 3600"):
        TwinConfig().updated({"completion_delay_seconds": float("nan")})
    for limit in (0, "5", 2.5, True):
        with pytest.raises(ValueError, match="positive integer or 'off'"):
            TwinConfig().updated({"rate_limit": limit})
    with pytest.raises(ValueError, match=r"order_errors\.out_of_stock must be"):
        TwinConfig().updated({"order_errors": {"out_of_stock": [404, "X"]}})
    with pytest.raises(ValueError, match="HTTP error status"):
        TwinConfig().updated({"order_errors": {"out_of_stock": [200, "X", "ok"]}})
    with pytest.raises(ValueError, match="unknown config field"):
        TwinConfig().updated({"nope": 1})
    with pytest.raises(ValueError, match="wrong type"):
        TwinConfig().updated({"seed": True})
    with pytest.raises(ValueError, match="at least one"):
        TwinConfig().updated({"credentials": []})


def test_rate_limiter_fixed_window() -> None:
    limiter = RateLimiter()
    assert [limiter.check("a", 2, 1.0, 100.0) for _ in range(3)] == [None, None, 1]
    assert limiter.check("b", 2, 1.0, 100.2) is None
    assert limiter.check("a", 2, 1.0, 101.0) is None
    assert limiter.check("a", 2, 10.0, 101.5) is None
    assert limiter.check("a", 2, 10.0, 101.6) == 10
    assert limiter.check("a", None, 1.0, 200.0) is None


def test_routing() -> None:
    (handler, _), param = resolve("PUT", "/v1/order/pay/123")
    assert (handler.__name__, param) == ("pay_order", "123")
    for method, path, code in [("GET", "/v1/order/pay/1/2", "NOT_FOUND"),
                               ("GET", "/v1/order/pay/", "NOT_FOUND"),
                               ("POST", "/v1/products", "METHOD_NOT_ALLOWED")]:  # fmt: skip
        with pytest.raises(ApiError) as caught:
            resolve(method, path)
        assert caught.value.spec.code == code


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        (f"{SANDBOX_API_HASH}, {SANDBOX_API_KEY}", f"{SANDBOX_API_HASH}, ***"),
        ("Bearer abc.def", "Bearer ***"),
        ("Basic dXNlcjpwYXNz", "Basic ***"),
        (SANDBOX_API_KEY, "***"),
        ("", ""),
    ],
)
def test_authorization_masking(value: str, masked: str) -> None:
    assert masked_authorization(value) == masked


def test_order_states_over_time() -> None:
    twin = Twin(TwinConfig(completion_delay_seconds=5.0), lambda: 100.0)
    order = Order("1", "2", 10.0, "EUR", 10.0, created_at=100.0)
    assert order.state(1000.0) == "new"
    twin.state.set_paid(order, 200.0)
    twin.configure(twin.config.updated({"completion_delay_seconds": 60}))  # fixed when paid
    assert [order.state(t) for t in (201.0, 205.0)] == ["paid", "complete"]
    order.key_downloaded = True
    assert order.state(201.0) == "complete"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"status_words": {"cancelled": "x"}}, r"unknown status_words key\(s\): cancelled"),
        ({"job_status_words": {"running": "x"}}, r"unknown job_status_words key\(s\): running"),
        ({"job_status_words": {"done": ""}}, "job_status_words must be non-empty strings"),
        ({"order_errors": {"x": [404, "X", "x"]}}, r"unknown order_errors key\(s\): x"),
        ({"import_errors": {"job_not_found": [200, "X", "x"]}}, "HTTP error status"),
        ({"export_errors": {"bad_query": [400, "X"]}}, r"export_errors\.bad_query must be"),
        ({"offer_accepted_status": 204}, "offer_accepted_status must be one of 200, 201, 202"),
        ({"offer_accepted_status": 202.0}, "offer_accepted_status must be one of"),
        ({"out_of_stock_hidden": "sometimes"}, "must be one of listing, always, never"),
        ({"oauth_client_secret": "password"}, "must be one of api_key, api_secret"),
        ({"import_error_body": "html"}, "must be one of envelope, code_message"),
        ({"export_auth_case_sensitive": 0}, "export_auth_case_sensitive has the wrong type"),
        ({"token_basic_auth": "yes"}, "token_basic_auth has the wrong type"),
        ({"offer_body_checked": "no"}, "offer_body_checked has the wrong type"),
        ({"offer_unknown_product": "never"}, "offer_unknown_product must be one of job, request"),
        ({"auth01_status": 401}, "auth01_status must be one of 403, 400"),
        ({"token_error_body": "html"}, "must be one of rfc6749, envelope, code_message"),
        ({"rate_limit_scope": "global"}, "rate_limit_scope must be one of account, api"),
        ({"offers_page_size": 101}, "offers_page_size must be between 1 and 100"),
        ({"offers_page_size": 0}, "offers_page_size must be between 1 and 100"),
    ],
)
def test_settings_of_unknowns_refuse_what_they_do_not_know(
    fields: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        TwinConfig().updated(fields)


def test_settings_of_unknowns_take_what_they_know() -> None:
    config = TwinConfig().updated(
        {"status_words": {"lapsed": "expired"}, "job_status_words": {"done": "finished"},
         "offer_accepted_status": 201, "token_basic_auth": False,
         "import_errors": {"job_not_found": [410, "GONE", "Gone"]}}
    )  # fmt: skip
    assert config.status_words == {"new": "new", "paid": "paid", "complete": "complete",
                                   "lapsed": "expired"}  # fmt: skip
    assert config.job_status_words == {"pending": "pending", "done": "finished", "failed": "failed"}
    assert (config.offer_accepted_status, config.token_basic_auth) == (201, False)
    assert config.as_dict()["import_errors"] == {
        "offer_not_found": [404, "OFFER_NOT_FOUND", "Offer not found"],
        "job_not_found": [410, "GONE", "Gone"],
        "product_not_found": [404, "PRODUCT_NOT_FOUND", "Product {product_id} does not exist"],
        "token_invalid": [401, "AUTH02", "Access token is invalid or expired"],
        "body_not_json": [400, "BR01", "Invalid JSON"],
        "invalid_data": [400, "BR02", "{reason}"],
        "rate_limited": [429, "BR03", "Too many requests"],
        "product_id_not_valid": [400, "BR04", "Product ID is not valid"],
        "content_type_required": [400, "BR01", "Content-Type must be application/json"],
    }


def test_a_lapsed_order_shows_the_lapsed_word() -> None:
    twin = Twin(TwinConfig(status_words={**STATUS_WORDS, "lapsed": "expired"}), lambda: 100.0)
    order = Order("1", "2", 10.0, "EUR", 10.0, created_at=0.0)
    assert twin.state.status_word(order, 100.0) == "new"
    order.lapsed = True
    assert twin.state.status_word(order, 100.0) == "expired"
    assert Twin(TwinConfig(), lambda: 100.0).state.status_word(order, 100.0) == "new"


def event_ids(seed: int, count: int = 3) -> list[str]:
    twin = Twin(TwinConfig(seed=seed), lambda: 100.0)
    return [twin.webhooks.emit("order.paid", {"order_id": str(n)}) for n in range(count)]


def test_webhook_event_ids_are_new_even_on_a_twin_started_again_with_the_same_seed() -> None:
    """Order ids follow the seed, event ids do not: a receiver whose store outlives a twin
    restart would refuse a reused event id with another body as a conflict (409, for good)."""
    first, again = event_ids(7), event_ids(7)
    assert len(set(first) | set(again)) == 6


def test_a_credential_secret_too_short_to_mask_is_refused_however_it_is_built() -> None:
    reason = (
        "credentials api_secret must be at least 4 characters: a shorter one would mask "
        "ordinary text in the request log"
    )
    with pytest.raises(ValueError, match=f"^{reason}$"):
        Credential("h2", "e2", "abc")
    assert Credential("h2", "e2", "abcd").api_secret == "abcd"


LONE_SURROGATE = " holds a lone surrogate (\\ud800 to \\udfff), which no answer can carry"


@pytest.mark.parametrize(
    ("fields", "name"),
    [
        ({"status_words": {"new": "n\ud800w"}}, "status_words.new"),
        ({"job_status_words": {"pending": "p\udfff"}}, "job_status_words.pending"),
        ({"webhook_secrets": ["secret", "secret-\ud800"]}, "webhook_secrets[1]"),
        ({"credentials": [{"api_hash": "h\ud800", "email": "e", "api_secret": "abcd"}]},
         "credentials[0].api_hash"),
        ({"order_errors": {"out_of_stock": [400, "ORD03", "Out of stock \ud800"]}},
         "order_errors.out_of_stock.message"),
    ],
    ids=["status word", "job status word", "webhook secret", "credential", "error message"],
)  # fmt: skip
def test_config_given_in_process_refuses_a_lone_surrogate_naming_its_place(
    fields: dict[str, object], name: str
) -> None:
    """The admin's rule for what no answer can carry holds for a config built in code too:
    taken, a status word or secret left every answer that shows it failing."""
    with pytest.raises(ValueError, match=f"^{re.escape(name + LONE_SURROGATE)}$"):
        TwinConfig().updated(fields)
