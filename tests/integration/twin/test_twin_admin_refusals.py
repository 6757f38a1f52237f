"""Admin inputs the twin refuses with a 400 naming the field, before anything changes: numbers
in provider states, seeded products, webhook secrets and subscriber URLs."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from twin_support import SANDBOX_PRODUCT, error

from harness.twin import RunningTwin, TwinAdmin, TwinAdminError
from harness.twin.webhooks import Subscriber

OTHER_PRODUCT = "10000000000123"


LONE_SURROGATE = "body holds a lone surrogate (\\ud800 to \\udfff), which no answer can carry"


def refused(reason: str) -> pytest.RaisesExc[TwinAdminError]:
    return pytest.raises(TwinAdminError, match=f": 400 {re.escape(reason)}")


SECONDS = "seconds must be a number between 0 and 86400"
PRICE = "price must be a number between 0 and 1e+09"
DIGITS = "must be 1 to 20 digits"


@pytest.mark.parametrize(
    ("state", "params", "reason"),
    [
        ("rate limit is exhausted", {"seconds": "inf"}, SECONDS),
        ("rate limit is exhausted", {"seconds": "nan"}, SECONDS),
        ("rate limit is exhausted", {"seconds": "-100"}, SECONDS),
        ("rate limit is exhausted", {"seconds": "1e300"}, SECONDS),
        ("rate limit is exhausted", {"seconds": "soon"}, SECONDS),
        (f"product {SANDBOX_PRODUCT} costs more than inf", None, PRICE),
        (f"product {SANDBOX_PRODUCT} costs more than nan", None, PRICE),
        (f"product {SANDBOX_PRODUCT} costs more than -5", None, PRICE),
        (f"product {SANDBOX_PRODUCT} costs more than 1e10", None, PRICE),
        ("order 1234567890 exists", {"product_id": "abc"}, f"product_id {DIGITS}"),
        ("order 1234567890 exists", {"product_id": "1" * 21}, f"product_id {DIGITS}"),
        ("product \u0661\u0662\u0663 is in stock", None, f"id {DIGITS}"),  # Arabic-Indic digits
    ],
)
def test_provider_states_refuse_bad_values_and_change_nothing(
    api: httpx.Client, admin: TwinAdmin, state: str, params: dict[str, str] | None, reason: str
) -> None:
    product = admin.product(SANDBOX_PRODUCT)
    with refused(reason):
        admin.apply_state(state, params)
    assert admin.product(SANDBOX_PRODUCT) == product
    assert admin.orders() == []
    assert api.get("/products", params={"id": SANDBOX_PRODUCT}).status_code == 200  # no limit


def test_provider_state_numbers_in_range_are_taken(api: httpx.Client, admin: TwinAdmin) -> None:
    assert admin.apply_state("rate limit is exhausted", {"seconds": "5"}) == {"retry_after": 5}
    limited = api.get("/products")
    assert (limited.status_code, limited.headers["retry-after"]) == (429, "5")
    admin.reset()
    admin.apply_state(f"product {SANDBOX_PRODUCT} costs more than 20.5")
    assert admin.product(SANDBOX_PRODUCT)["minPrice"] == 30.5


def test_an_order_a_provider_state_creates_reserves_a_unit_that_lapses(
    api: httpx.Client, admin: TwinAdmin
) -> None:
    admin.configure(reservation_seconds=0.05)
    admin.apply_state("order 1234567890 exists", {"product_id": OTHER_PRODUCT})
    assert admin.product(OTHER_PRODUCT)["qty"] == 99  # its unit is reserved, as a create's is
    assert admin.order("1234567890")["status"] == "new"
    time.sleep(0.1)

    listed = api.get("/products", params={"id": OTHER_PRODUCT}).json()["docs"]
    assert [d["qty"] for d in listed] == [100]  # the lapsed reservation gave it back
    late = api.put("/order/pay/1234567890")
    assert (late.status_code, late.json()) == (403, error("ORD114", "Payment too late"))


@pytest.mark.parametrize(
    ("products", "reason"),
    [
        ([{"id": "1", "qty": "abc"}], "products[0]: qty must be an integer"),
        ([{"id": "1", "qty": "5"}], "products[0]: qty must be an integer"),
        ([{"id": "1", "qty": -3}], "products[0]: qty must be an integer"),
        ([{"id": "1", "qty": True}], "products[0]: qty must be an integer"),
        ([{"id": "1", "qty": 2.5}], "products[0]: qty must be an integer"),
        ([{"id": "1", "qty": 5, "minPrice": "x"}], "products[0]: minPrice must be a number"),
        ([{"id": "1", "minPrice": -1}], "products[0]: minPrice must be a number"),
        ([{"id": "1", "name": 7}], "products[0]: name must be a string"),
        ([{"id": "1"}, {"id": "2", "qty": -1}], "products[1]: qty must be an integer"),
        ([{"id": "x"}], "products[0]: id must be a string matching"),
        ([{"id": "1", "qty": 3}, {"id": "1", "qty": 0}], "products[1]: id 1 repeats products[0]"),
    ],
)
def test_seeded_products_are_checked_like_a_product_patch(
    admin: TwinAdmin, products: list[dict[str, Any]], reason: str
) -> None:
    with refused(reason):
        admin.seed(products=products)
    assert admin.product(SANDBOX_PRODUCT)["id"] == SANDBOX_PRODUCT  # the catalog stayed
    with pytest.raises(TwinAdminError, match="404"):
        admin.product("1")


def test_well_formed_seeded_products_are_taken(api: httpx.Client, admin: TwinAdmin) -> None:
    assert admin.seed(products=[{"id": "1", "qty": 3, "minPrice": 2.5, "name": "One"}]) == 1
    product = admin.product("1")
    assert (product["qty"], product["minPrice"], product["name"]) == (3, 2.5, "One")
    order = api.post("/order", json={"product_id": "1"})
    assert (order.status_code, order.json()["price"]) == (200, 2.5)


SECRETS_REASON = "must be a list of 1 to 8 non-empty strings"
BAD_SECRETS: list[Any] = [[None, 1, ""], [""], [], [f"s{i}" for i in range(9)], "secret"]


@pytest.mark.parametrize("secrets", BAD_SECRETS)
def test_config_webhook_secrets_are_1_to_8_non_empty_strings(
    admin: TwinAdmin, secrets: Any
) -> None:
    before = admin.config()
    with refused(f"webhook_secrets {SECRETS_REASON}"):
        admin.configure(webhook_secrets=secrets)
    assert admin.config() == before


@pytest.mark.parametrize("secrets", BAD_SECRETS)
def test_subscriber_secrets_are_1_to_8_non_empty_strings(
    admin: TwinAdmin, anon: httpx.Client, secrets: Any
) -> None:
    with refused(f"secrets {SECRETS_REASON}"):
        admin.subscribe("http://127.0.0.1:9/hook", secrets)
    assert anon.get("/__twin/webhooks/subscribers").json() == []


def test_eight_webhook_secrets_are_taken(admin: TwinAdmin) -> None:
    eight = [f"s{i}" for i in range(8)]
    assert admin.configure(webhook_secrets=eight)["webhook_secrets"] == ["***"] * 8
    admin.subscribe("http://127.0.0.1:9/hook", eight)


SHORT_SECRET = (
    "credentials api_secret must be at least 4 characters: a shorter one would mask ordinary "
    "text in the request log"
)
NOT_A_CREDENTIAL = "credentials must be objects with api_hash, email and api_secret"


@pytest.mark.parametrize(
    ("credential", "reason"),
    [
        ({"api_hash": "h2", "email": "e2", "api_secret": "s2"}, SHORT_SECRET),
        ({"api_hash": "h2", "email": "e2", "api_secret": "abc"}, SHORT_SECRET),
        ({"api_hash": "h2", "email": "e2"}, NOT_A_CREDENTIAL),
        ("h2:e2:secret", NOT_A_CREDENTIAL),
        (
            {"api_hash": "h2", "email": "e2", "api_secret": "secret", "api_key": "k"},
            "credentials[0] has no field api_key (its fields: api_hash, email, api_secret)",
        ),
    ],
)
def test_a_credential_too_short_to_mask_or_incomplete_is_refused(
    admin: TwinAdmin, credential: Any, reason: str
) -> None:
    before = admin.config()
    with refused(reason):
        admin.configure(credentials=[credential])
    assert admin.config() == before


@pytest.mark.parametrize(
    ("credential", "reason"),
    [
        (
            {"api_hash": "h", "email": {"a": 1}, "api_secret": None},
            "credentials[0].email must be a non-empty string",
        ),
        (
            {"api_hash": "h", "email": "e", "api_secret": None},
            "credentials[0].api_secret must be a non-empty string",
        ),
        (
            {"api_hash": "", "email": "e", "api_secret": "secret"},
            "credentials[0].api_hash must be a non-empty string",
        ),
        (
            {"api_hash": 7, "email": "e", "api_secret": "secret"},
            "credentials[0].api_hash must be a non-empty string",
        ),
        (
            {"api_hash": "h", "email": "", "api_secret": "secret"},
            "credentials[0].email must be a non-empty string",
        ),
    ],
)
def test_a_credential_field_that_is_not_a_non_empty_string_is_refused_by_name(
    admin: TwinAdmin, credential: dict[str, Any], reason: str
) -> None:
    before = admin.config()
    with refused(reason):
        admin.configure(credentials=[credential])
    assert admin.config() == before


def test_the_second_credential_is_named_by_its_index(admin: TwinAdmin) -> None:
    good = {"api_hash": "h", "email": "e", "api_secret": "secret"}
    with refused("credentials[1].api_secret must be a non-empty string"):
        admin.configure(credentials=[good, {**good, "api_secret": ["secret"]}])


@pytest.mark.parametrize(
    ("table", "situation", "code"),
    [
        ("import_errors", "product_not_found", ""),
        ("order_errors", "out_of_stock", "ORD 07"),
        ("export_errors", "bad_query", "X" * 65),
        ("import_errors", "job_not_found", 404),
        ("order_errors", "already_paid", None),
    ],
)
def test_a_configured_error_code_must_be_a_readable_code(
    admin: TwinAdmin, table: str, situation: str, code: Any
) -> None:
    before = admin.config()
    with refused(f"{table}.{situation}: code must be 1 to 64 characters of A-Z, a-z, 0-9 and _.:-"):
        admin.configure(**{table: {situation: [404, code, "message"]}})
    assert admin.config() == before


@pytest.mark.parametrize(
    ("table", "situation", "message"),
    [
        ("order_errors", "out_of_stock", None),
        ("export_errors", "bad_query", {"text": "Bad query"}),
        ("import_errors", "job_not_found", 404),
        ("import_errors", "invalid_data", ""),
        ("order_errors", "already_paid", "m" * 1001),
    ],
    ids=["null", "object", "number", "empty", "too long"],
)
def test_a_configured_error_message_must_be_text(
    admin: TwinAdmin, table: str, situation: str, message: Any
) -> None:
    before = admin.config()
    with refused(f"{table}.{situation}: message must be a string of 1 to 1000 characters"):
        admin.configure(**{table: {situation: [404, "CODE", message]}})
    assert admin.config() == before


def test_a_message_no_utf_8_can_write_is_refused_and_the_config_still_answers(
    admin: TwinAdmin,
) -> None:
    """JSON reads `"\\ud800"` as a lone surrogate, which no answer can carry: taken, it left
    every later config read and call answering 500 until a reset."""
    before = admin.config()
    change = {"order_errors": {"out_of_stock": [400, "ORD03", "Out of stock \ud800"]}}
    answer = httpx.put(
        f"{admin.base_url}/__twin/config",
        content=json.dumps(change),  # ASCII, the surrogate escaped: what a JSON client sends
        headers={"Content-Type": "application/json"},
    )
    assert (answer.status_code, answer.json()["error"]) == (400, LONE_SURROGATE)
    assert admin.config() == before


OUT_OF_RANGE = (
    "body holds a number out of range (1e400 is read as infinity), which no answer can carry"
)


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ('{"status_words": {"new": "\\ud800"}, "wallet_balance": 1e400}', LONE_SURROGATE),
        ('{"wallet_balance": 1e400, "status_words": {"new": "\\ud800"}}', OUT_OF_RANGE),
        ('[1e400, "\\ud800"]', OUT_OF_RANGE),
        ('["\\ud800", 1e400]', LONE_SURROGATE),
    ],
)
def test_of_two_problems_in_an_admin_body_the_first_is_named(
    admin: TwinAdmin, content: str, reason: str
) -> None:
    """In the body's order: a lone surrogate before a number out of range was named as the
    number (writing it failed before the text was encoded)."""
    before = admin.config()
    answer = httpx.put(
        f"{admin.base_url}/__twin/config",
        content=content,
        headers={"Content-Type": "application/json"},
    )
    assert (answer.status_code, answer.json()["error"]) == (400, reason)
    assert admin.config() == before


@pytest.mark.parametrize(
    ("method", "path", "change"),
    [
        ("PUT", "/config", {"status_words": {"new": "n\ud800w"}}),
        ("PUT", "/config", {"job_status_words": {"pending": "p\udfff"}}),
        ("PUT", "/config", {"webhook_secrets": ["secret-\ud800"]}),
        ("POST", "/faults", {"route": "/v1/prod\ud800", "kind": "status", "status": 503}),
    ],
    ids=["status word", "job status word", "webhook secret", "fault route"],
)
def test_a_lone_surrogate_anywhere_in_an_admin_body_is_refused(
    admin: TwinAdmin, method: str, path: str, change: dict[str, Any]
) -> None:
    """Taken, it left the views answering 500 until a reset (the fault could not be deleted:
    its id was never returned)."""
    before = admin.config()
    answer = httpx.request(
        method,
        f"{admin.base_url}/__twin{path}",
        content=json.dumps(change),
        headers={"Content-Type": "application/json"},
    )
    assert (answer.status_code, answer.json()["error"]) == (400, LONE_SURROGATE)
    assert admin.config() == before
    assert admin.faults() == []


def test_a_number_out_of_range_anywhere_in_an_admin_body_is_refused(admin: TwinAdmin) -> None:
    """`1e400` is JSON, read as infinity, which no answer can carry: a product field holding
    it had every later read of the product answer 500."""
    answer = httpx.post(
        f"{admin.base_url}/__twin/catalog",
        content='{"products": [{"id": "10000000000001", "name": "x", "extra": 1e400}]}',
        headers={"Content-Type": "application/json"},
    )
    assert (answer.status_code, answer.json()["error"]) == (
        400,
        "body holds a number out of range (1e400 is read as infinity), which no answer can carry",
    )


def test_a_readable_error_code_of_64_characters_is_taken(admin: TwinAdmin) -> None:
    code = "Import.Error:product_not-found" + "X" * 34
    config = admin.configure(import_errors={"product_not_found": [404, code, "m"]})
    assert config["import_errors"]["product_not_found"] == [404, code, "m"]


def test_a_credential_secret_of_4_characters_is_masked_only_where_it_appears(
    twin: RunningTwin, admin: TwinAdmin
) -> None:
    admin.configure(credentials=[{"api_hash": "h2", "email": "e2", "api_secret": "abcd"}])
    httpx.get(f"{twin.export_url}/products", params={"tab": "1", "q": "xabcdx"})
    [logged] = admin.requests()
    assert logged["query"] == "tab=1&q=***"


@pytest.mark.parametrize("url", ["http://[::1/x", "http://", "https:///hook", "http://:80/"])
def test_subscriber_urls_need_a_parsable_url_with_a_host(
    admin: TwinAdmin, anon: httpx.Client, url: str
) -> None:
    with pytest.raises(TwinAdminError, match=": 400 url "):
        admin.subscribe(url)
    assert anon.get("/__twin/webhooks/subscribers").json() == []


def test_a_delivery_to_an_unparsable_url_is_recorded_as_failed(
    twin: RunningTwin, api: httpx.Client, admin: TwinAdmin
) -> None:
    admin.configure(webhook_retry_delays=[0.01], completion_delay_seconds=60)  # order.paid only
    hooks = twin.app.twin.webhooks  # past the admin's check: the delivery must not die silently
    hooks.subscribers["sub-bad"] = Subscriber("sub-bad", "http://[::1/x", None)
    order_id = api.post("/order", json={"product_id": SANDBOX_PRODUCT}).json()["order_id"]
    assert api.put(f"/order/pay/{order_id}").status_code == 200
    deliveries = admin.wait_deliveries(2)
    assert [(d["attempt"], d["status"], d["error"]) for d in deliveries] == [
        (1, None, "InvalidURL"),
        (2, None, "InvalidURL"),
    ]


def test_the_admin_document_is_served_from_any_working_directory(
    twin: RunningTwin, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    response = httpx.get(f"{twin.base_url}/__twin/openapi.yaml")
    assert response.status_code == 200
    document = yaml.safe_load(response.text)
    assert document["info"]["title"] == "G2A twin admin surface"
    assert "/__twin/openapi.yaml" in document["paths"]


@pytest.mark.parametrize("updated_at", [None, 5, "2024-01-01", "yesterday", "2024-02-31 00:00:00"])
def test_a_product_updated_at_must_be_a_g2a_datetime(
    api: httpx.Client, admin: TwinAdmin, updated_at: object
) -> None:
    """The product filters compare `updated_at` as `yyyy-mm-dd hh:mm:ss` text."""
    before = admin.product(SANDBOX_PRODUCT)
    with refused("updated_at must be yyyy-mm-dd hh:mm:ss"):
        admin.update_product(SANDBOX_PRODUCT, updated_at=updated_at)
    with refused("products[0]: updated_at must be yyyy-mm-dd hh:mm:ss"):
        admin.seed(products=[{"id": SANDBOX_PRODUCT, "updated_at": updated_at}])
    assert admin.product(SANDBOX_PRODUCT) == before
    listed = api.get("/products", params={"updatedAtFrom": "2024-01-01 00:00:00"})
    assert listed.status_code == 200


def test_a_product_updated_at_in_the_g2a_format_is_taken(
    api: httpx.Client, admin: TwinAdmin
) -> None:
    admin.update_product(SANDBOX_PRODUCT, updated_at="2031-02-03 04:05:06")
    listed = api.get("/products", params={"updatedAtFrom": "2031-01-01 00:00:00"}).json()
    assert [d["id"] for d in listed["docs"]] == [SANDBOX_PRODUCT]
