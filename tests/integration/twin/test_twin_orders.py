"""Order lifecycle and every order error, through the Export API over real HTTP."""

from __future__ import annotations

import re
import time

import httpx
import pytest
from twin_support import SANDBOX_PRODUCT, assumed, error

from harness.twin import TwinAdmin
from harness.twin.assumptions import CURRENCY_RATES
from harness.twin.auctions import derived_auctions

# A valid order as JSON text: refused in any encoding but UTF-8 (RFC 8259 §8.1).
ORDER_JSON = f'{{"product_id": "{SANDBOX_PRODUCT}"}}'


def create(api: httpx.Client, **body: object) -> httpx.Response:
    return api.post("/order", json={"product_id": SANDBOX_PRODUCT, **body})


def test_listing_read_before_an_order_shows_the_reservation_after(api: httpx.Client) -> None:
    def listed_qty() -> int:
        qty: int = api.get("/products", params={"id": SANDBOX_PRODUCT}).json()["docs"][0]["qty"]
        return qty

    before = listed_qty()
    assert listed_qty() == before
    assert create(api).status_code == 200
    assert listed_qty() == before - 1


def test_full_lifecycle_new_paid_complete_key_once(api: httpx.Client, admin: TwinAdmin) -> None:
    price = admin.product(SANDBOX_PRODUCT)["minPrice"]
    qty = admin.product(SANDBOX_PRODUCT)["qty"]
    created = create(api)
    assert created.status_code == 200
    order_id = created.json()["order_id"]
    assert re.fullmatch(r"[0-9]+", order_id)
    assert created.json() == {"order_id": order_id, "price": price, "currency": "EUR"}
    assert admin.product(SANDBOX_PRODUCT)["qty"] == qty - 1  # reserved

    details = api.get(f"/order/details/{order_id}")
    assert details.json() == {"status": "new", "price": price, "currency": "EUR"}

    paid = api.put(f"/order/pay/{order_id}")
    assert paid.status_code == 200
    assert paid.json()["status"] is True
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}",
                        paid.json()["transaction_id"])  # fmt: skip
    assert api.get(f"/order/details/{order_id}").json()["status"] == "complete"

    key = api.get(f"/order/key/{order_id}")
    assert key.status_code == 200
    assert re.fullmatch(r"[A-Z]{16}", key.json()["key"])
    assert key.json()["key"] == admin.order(order_id)["key"]

    again = api.get(f"/order/key/{order_id}")
    assert again.status_code == 400
    assert again.json() == error("ORD004", "Key already downloaded")
    assert admin.order(order_id)["key_downloaded"] is True


def test_order_ids_are_sequential_numeric_strings(api: httpx.Client) -> None:
    first = int(create(api).json()["order_id"])
    assert int(create(api).json()["order_id"]) == first + 1


def test_paid_order_completes_after_the_completion_delay(
    api: httpx.Client, admin: TwinAdmin
) -> None:
    admin.configure(completion_delay_seconds=0.3)
    order_id = create(api).json()["order_id"]
    api.put(f"/order/pay/{order_id}")
    assert api.get(f"/order/details/{order_id}").json()["status"] == "paid"
    early = api.get(f"/order/key/{order_id}")
    assert (early.status_code, early.json()) == assumed("key_not_ready")
    time.sleep(0.35)
    assert api.get(f"/order/details/{order_id}").json()["status"] == "complete"
    assert api.get(f"/order/key/{order_id}").status_code == 200


def test_status_words_are_configurable(api: httpx.Client, admin: TwinAdmin) -> None:
    admin.configure(status_words={"new": "pending"})
    order_id = create(api).json()["order_id"]
    assert api.get(f"/order/details/{order_id}").json()["status"] == "pending"


def test_key_before_payment_is_ord03(api: httpx.Client) -> None:
    order_id = create(api).json()["order_id"]
    response = api.get(f"/order/key/{order_id}")
    assert (response.status_code, response.json()) == assumed("key_not_ready")


def test_paying_twice_is_refused_and_charges_once(api: httpx.Client, admin: TwinAdmin) -> None:
    admin.configure(wallet_balance=1000)
    order_id = create(api).json()["order_id"]
    first = api.put(f"/order/pay/{order_id}").json()["transaction_id"]
    second = api.put(f"/order/pay/{order_id}")
    assert (second.status_code, second.json()) == assumed("already_paid")
    assert admin.order(order_id)["transaction_id"] == first
    price = admin.order(order_id)["price_eur"]
    # the wallet was charged exactly once: a second order for the rest still fits
    admin.configure(wallet_balance=round(price, 2))
    other = create(api).json()["order_id"]
    assert api.put(f"/order/pay/{other}").status_code == 200
    third = create(api).json()["order_id"]
    broke = api.put(f"/order/pay/{third}")
    assert (broke.status_code, broke.json()) == (403, error("ORD112", "Not enough funds"))


def test_the_adapters_purchase_key_is_recorded_on_the_order(
    api: httpx.Client, admin: TwinAdmin
) -> None:
    """`X-Purchase-Key` is no G2A header: the twin answers as without it, and records it from
    the create (or, for an order created without it, from the pay) as load-test evidence."""
    with_key = api.post(
        "/order", json={"product_id": SANDBOX_PRODUCT}, headers={"X-Purchase-Key": "p-1"}
    )
    plain = create(api)
    assert set(with_key.json()) == set(plain.json()) == {"order_id", "price", "currency"}
    first, second = with_key.json()["order_id"], plain.json()["order_id"]

    assert api.put(f"/order/pay/{first}", headers={"X-Purchase-Key": "p-other"}).status_code == 200
    assert api.put(f"/order/pay/{second}", headers={"X-Purchase-Key": "p-2"}).status_code == 200
    unkeyed = create(api).json()["order_id"]
    api.put(f"/order/pay/{unkeyed}")

    keys = {o["order_id"]: o["purchase_key"] for o in admin.orders()}
    assert keys == {first: "p-1", second: "p-2", unkeyed: None}


def test_paying_after_the_reservation_expired_is_ord114(
    api: httpx.Client, admin: TwinAdmin
) -> None:
    admin.configure(reservation_seconds=0.05)
    order_id = create(api).json()["order_id"]
    time.sleep(0.1)
    response = api.put(f"/order/pay/{order_id}")
    assert (response.status_code, response.json()) == (403, error("ORD114", "Payment too late"))
    assert admin.order(order_id)["status"] == "new"


def test_a_config_change_never_moves_an_order_back_or_forward(
    api: httpx.Client, admin: TwinAdmin
) -> None:
    """An order's completion time is fixed when it is paid, under the delay then in force."""
    complete = create(api).json()["order_id"]
    api.put(f"/order/pay/{complete}")
    admin.configure(completion_delay_seconds=60)
    assert api.get(f"/order/details/{complete}").json()["status"] == "complete"
    assert admin.order(complete)["status"] == "complete"
    assert api.get(f"/order/key/{complete}").status_code == 200

    paid = create(api).json()["order_id"]
    api.put(f"/order/pay/{paid}")
    admin.configure(completion_delay_seconds=0)
    assert api.get(f"/order/details/{paid}").json()["status"] == "paid"
    early = api.get(f"/order/key/{paid}")
    assert (early.status_code, early.json()) == assumed("key_not_ready")


@pytest.mark.parametrize(
    ("method", "path"),
    [("PUT", "/order/pay/{}"), ("GET", "/order/details/{}"), ("GET", "/order/key/{}")],
)
@pytest.mark.parametrize("order_id", ["1", "99999999999", "not-a-number"])
def test_unknown_orders_are_ord02(api: httpx.Client, method: str, path: str, order_id: str) -> None:
    response = api.request(method, path.format(order_id))
    assert (response.status_code, response.json()) == (404, error("ORD02", "Order not found"))


def test_unknown_product_out_of_stock_and_price_limit(api: httpx.Client, admin: TwinAdmin) -> None:
    unknown = api.post("/order", json={"product_id": "10000000000099"})
    assert (unknown.status_code, unknown.json()) == assumed("product_not_found")
    admin.update_product(SANDBOX_PRODUCT, qty=0)
    empty = create(api)
    assert (empty.status_code, empty.json()) == assumed("out_of_stock")
    admin.update_product(SANDBOX_PRODUCT, qty=5, minPrice=30.0)
    dear = create(api, max_price=29.99)
    assert (dear.status_code, dear.json()) == assumed("price_exceeded")
    assert create(api, max_price=30.0).status_code == 200
    assert create(api, max_price=0).status_code == 200  # 0 = no limit
    assert admin.product(SANDBOX_PRODUCT)["qty"] == 3


def test_order_error_codes_are_configurable(api: httpx.Client, admin: TwinAdmin) -> None:
    admin.configure(order_errors={"product_not_found": [400, "BR04", "Product ID is not valid"]})
    response = api.post("/order", json={"product_id": "10000000000099"})
    assert (response.status_code, response.json()) == (
        400,
        error("BR04", "Product ID is not valid"),
    )


def test_currency_conversion(api: httpx.Client, admin: TwinAdmin) -> None:
    admin.update_product(SANDBOX_PRODUCT, minPrice=10.0)
    body = create(api, currency="USD").json()
    assert (body["price"], body["currency"]) == (10.8, "USD")
    assert api.get(f"/order/details/{body['order_id']}").json()["currency"] == "USD"


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"{",
        b"product_id=1",
        b"\xff\xfe",
        pytest.param(b"[" * 20_000 + b"]" * 20_000, id="nested-too-deep"),
        pytest.param(b"\xef\xbb\xbf" + ORDER_JSON.encode(), id="utf-8-with-a-bom"),
        pytest.param(ORDER_JSON.encode("utf-16"), id="utf-16"),
        pytest.param(ORDER_JSON.encode("utf-16-le"), id="utf-16-without-a-bom"),
        pytest.param(ORDER_JSON.encode("utf-32"), id="utf-32"),
        pytest.param(b'{"product_id": "%s", "note": "\xed\xa0\x80"}' % SANDBOX_PRODUCT.encode(),
                     id="an-encoded-surrogate"),
        # RFC 8259 §8.2: escapes JSON reads, but no UTF-8 text holds (the field is ignored)
        pytest.param(b'{"product_id": "%s", "note": "\\ud800"}' % SANDBOX_PRODUCT.encode(),
                     id="a-lone-high-surrogate-escape"),
        pytest.param(b'{"product_id": "%s", "\\udfff": 1}' % SANDBOX_PRODUCT.encode(),
                     id="a-lone-low-surrogate-escape-in-a-key"),
        pytest.param(b'{"product_id": "%s", "note": "\\udc00\\ud800"}' % SANDBOX_PRODUCT.encode(),
                     id="a-reversed-surrogate-pair"),
    ],
)  # fmt: skip
def test_bad_json_is_br01(api: httpx.Client, raw: bytes) -> None:
    response = api.post("/order", content=raw, headers={"Content-Type": "application/json"})
    assert (response.status_code, response.json()) == (400, error("BR01", "Invalid JSON"))


def test_two_content_type_headers_are_not_json(api: httpx.Client) -> None:
    """The twin joins a header's lines (RFC 9110 §5.3): `application/json, application/json`
    is no media type it reads; the last line was taken."""
    json_type = ("Content-Type", "application/json")
    response = api.post("/order", content=ORDER_JSON, headers=[json_type, json_type])
    assert (response.status_code, response.json()) == (
        400,
        error("BR01", "Content-Type must be application/json"),
    )


def test_an_escaped_surrogate_pair_is_one_character(api: httpx.Client) -> None:
    """A high surrogate escape followed by a low one is a character beyond U+FFFF: JSON."""
    raw = b'{"product_id": "%s", "note": "\\ud83d\\ude00"}' % SANDBOX_PRODUCT.encode()
    response = api.post("/order", content=raw, headers={"Content-Type": "application/json"})
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ([], "The body must be a JSON object"),
        ({}, "product_id is required and must be a string"),
        ({"product_id": 10000068865001}, "product_id is required and must be a string"),
        (
            {"product_id": SANDBOX_PRODUCT, "currency": "EU"},
            "currency must be a 3-letter currency code",
        ),
        ({"product_id": SANDBOX_PRODUCT, "max_price": "10"}, "max_price must be a number"),
        ({"product_id": SANDBOX_PRODUCT, "max_price": -1}, "max_price must be >= 0"),
        ({"product_id": SANDBOX_PRODUCT, "min_rating": 1.5}, "min_rating must be between 0 and 1"),
    ],
)
def test_valid_json_with_wrong_data_is_br02(api: httpx.Client, body: object, message: str) -> None:
    response = api.post("/order", json=body)
    assert (response.status_code, response.json()) == (400, error("BR02", message))


def test_non_numeric_product_id_is_br04(api: httpx.Client) -> None:
    response = api.post("/order", json={"product_id": "abc"})
    assert (response.status_code, response.json()) == (
        400,
        error("BR04", "Product ID is not valid"),
    )


def test_unknown_route_and_wrong_method(api: httpx.Client) -> None:
    missing = api.get("/nothing")
    assert (missing.status_code, missing.json()) == (404, error("NOT_FOUND", "No such endpoint"))
    wrong = api.delete("/order")
    assert (wrong.status_code, wrong.json()) == (
        405,
        error("METHOD_NOT_ALLOWED", "Method not allowed"),
    )


@pytest.mark.parametrize("body", [b"{}", b'{"order_id": "1"}', b"[]", b"not json", b" x "])
def test_pay_with_any_body_is_refused_and_the_order_stays_unpaid(
    api: httpx.Client, admin: TwinAdmin, body: bytes
) -> None:
    order_id = create(api).json()["order_id"]
    refused = api.put(f"/order/pay/{order_id}", content=body,
                      headers={"Content-Type": "application/json"})  # fmt: skip
    assert (refused.status_code, refused.json()) == assumed("body_on_pay")
    assert admin.order(order_id)["status"] == "new"
    assert api.get(f"/order/details/{order_id}").json()["status"] == "new"
    # what G2A's own client sends (Content-Type, no body) pays
    paid = api.put(f"/order/pay/{order_id}", headers={"Content-Type": "application/json"})
    assert (paid.status_code, admin.order(order_id)["status"]) == (200, "complete")


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded"])
def test_an_order_needs_a_json_content_type(
    api: httpx.Client, admin: TwinAdmin, content_type: str | None
) -> None:
    qty = admin.product(SANDBOX_PRODUCT)["qty"]
    headers = {} if content_type is None else {"Content-Type": content_type}
    body = f'{{"product_id": "{SANDBOX_PRODUCT}"}}'.encode()
    refused = api.post("/order", content=body, headers=headers)
    assert (refused.status_code, refused.json()) == assumed("content_type_required")
    assert (admin.orders(), admin.product(SANDBOX_PRODUCT)["qty"]) == ([], qty)
    charset = {"Content-Type": "application/json; charset=utf-8"}
    assert api.post("/order", content=body, headers=charset).status_code == 200


def test_currencies_are_three_letters_and_priced_from_the_registry(
    api: httpx.Client, admin: TwinAdmin
) -> None:
    admin.update_product(SANDBOX_PRODUCT, minPrice=10.0)
    assert create(api, currency="CHF").json()["price"] == round(10.0 * CURRENCY_RATES["CHF"], 2)
    unknown = create(api, currency="XTS")
    assert (unknown.status_code, unknown.json()) == assumed("currency_not_supported")
    admin.configure(currency_rates={"EUR": 1.0, "XTS": 2.0})
    accepted = create(api, currency="XTS").json()
    assert (accepted["price"], accepted["currency"]) == (20.0, "XTS")


# auctions: min_rating selects a seller ---------------------------------------------------------
SELLERS = [
    {"id": "trusted", "rating": 0.97, "price": 12.5},
    {"id": "budget", "rating": 0.62, "price": 10.0},
    {"id": "good", "rating": 0.85, "price": 11.0},
]


def auctions_path(product_id: str = SANDBOX_PRODUCT) -> str:
    return f"/__twin/catalog/{product_id}/auctions"


def test_min_rating_buys_from_the_cheapest_seller_rated_high_enough(
    api: httpx.Client, admin: TwinAdmin
) -> None:
    admin.set_auctions(SANDBOX_PRODUCT, SELLERS)
    chosen = [(0.8, "good", 0.85, 11.0), (0.97, "trusted", 0.97, 12.5), (0.5, "budget", 0.62, 10.0)]
    for min_rating, seller, rating, price in chosen:
        created = create(api, min_rating=min_rating)
        order_id = created.json()["order_id"]
        assert (created.status_code, created.json()) == (
            200,
            {"order_id": order_id, "price": price, "currency": "EUR"},
        )
        recorded = admin.order(order_id)
        assert (recorded["min_rating"], recorded["auction_id"], recorded["seller_rating"]) == (
            min_rating,
            seller,
            rating,
        )
        assert recorded["price_eur"] == price
        assert api.get(f"/order/details/{order_id}").json()["price"] == price


def test_the_chosen_sellers_price_is_converted_to_the_currency(
    api: httpx.Client, admin: TwinAdmin
) -> None:
    admin.set_auctions(SANDBOX_PRODUCT, SELLERS)
    body = create(api, min_rating=0.9, currency="USD").json()
    assert (body["price"], body["currency"]) == (round(12.5 * CURRENCY_RATES["USD"], 2), "USD")
    assert (admin.order(body["order_id"])["price_eur"], body["price"]) == (12.5, 13.5)


def test_without_min_rating_the_order_is_as_before(api: httpx.Client, admin: TwinAdmin) -> None:
    admin.set_auctions(SANDBOX_PRODUCT, SELLERS)
    for body in ({}, {"min_rating": 0}, {"min_rating": 0.0}):
        created = create(api, **body)
        order_id = created.json()["order_id"]
        assert created.json() == {"order_id": order_id, "price": 10.0, "currency": "EUR"}
        recorded = admin.order(order_id)
        assert (recorded["auction_id"], recorded["seller_rating"]) == (None, None)


def test_a_min_rating_no_seller_meets_is_refused_and_changes_nothing(
    api: httpx.Client, admin: TwinAdmin
) -> None:
    admin.set_auctions(SANDBOX_PRODUCT, SELLERS)
    qty = admin.product(SANDBOX_PRODUCT)["qty"]
    refused = create(api, min_rating=0.98)
    assert (refused.status_code, refused.json()) == assumed("rating_not_met")
    assert refused.json() == {
        "status": "ERROR",
        "code": "ORD07",
        "message": "No offer meets min_rating",
    }
    assert (admin.orders(), admin.product(SANDBOX_PRODUCT)["qty"]) == ([], qty)


def test_the_refusal_of_an_unmet_min_rating_is_configurable(
    api: httpx.Client, admin: TwinAdmin
) -> None:
    admin.configure(order_errors={"rating_not_met": [409, "ORD99", "No seller rated so high"]})
    admin.set_auctions(SANDBOX_PRODUCT, SELLERS)
    refused = create(api, min_rating=1.0)
    assert (refused.status_code, refused.json()) == (
        409,
        error("ORD99", "No seller rated so high"),
    )


def test_max_price_is_checked_against_the_chosen_sellers_price(
    api: httpx.Client, admin: TwinAdmin
) -> None:
    admin.set_auctions(SANDBOX_PRODUCT, SELLERS)
    qty = admin.product(SANDBOX_PRODUCT)["qty"]
    dear = create(api, min_rating=0.9, max_price=12.0)
    assert (dear.status_code, dear.json()) == assumed("price_exceeded")
    assert admin.product(SANDBOX_PRODUCT)["qty"] == qty
    assert create(api, min_rating=0.9, max_price=12.5).json()["price"] == 12.5
    assert create(api, min_rating=0.8, max_price=12.0).json()["price"] == 11.0


def test_out_of_stock_comes_before_the_choice_of_a_seller(
    api: httpx.Client, admin: TwinAdmin
) -> None:
    admin.set_auctions(SANDBOX_PRODUCT, SELLERS)
    admin.update_product(SANDBOX_PRODUCT, qty=0)
    empty = create(api, min_rating=0.99)
    assert (empty.status_code, empty.json()) == assumed("out_of_stock")


def test_a_product_without_set_auctions_has_a_derived_ladder(
    api: httpx.Client, admin: TwinAdmin
) -> None:
    admin.update_product(SANDBOX_PRODUCT, minPrice=20.0)
    ladder = admin.auctions(SANDBOX_PRODUCT)
    assert len(ladder) == 3
    assert ladder[0]["price"] == 20.0 == admin.product(SANDBOX_PRODUCT)["minPrice"]
    assert [a["price"] for a in ladder] == sorted(a["price"] for a in ladder)
    assert [a["rating"] for a in ladder] == sorted(a["rating"] for a in ladder)
    best = ladder[-1]
    assert best["rating"] < 1.0
    created = create(api, min_rating=best["rating"])
    assert created.json()["price"] == best["price"]
    assert admin.order(created.json()["order_id"])["auction_id"] == best["id"]
    refused = create(api, min_rating=1.0)
    assert (refused.status_code, refused.json()) == assumed("rating_not_met")


def test_a_reseeded_catalog_derives_its_ladders_from_the_new_seed(admin: TwinAdmin) -> None:
    ladders = {}
    for seed in (7, 8):
        admin.seed(seed=seed)
        price = float(admin.product(SANDBOX_PRODUCT)["minPrice"])
        ladders[seed] = admin.auctions(SANDBOX_PRODUCT)
        expected = derived_auctions(seed, SANDBOX_PRODUCT, price)
        assert ladders[seed] == [a.as_dict() for a in expected]
    assert [a["rating"] for a in ladders[7]] != [a["rating"] for a in ladders[8]]


def test_admin_sets_and_reads_a_products_auctions(
    api: httpx.Client, admin: TwinAdmin, anon: httpx.Client
) -> None:
    unnamed = [{"rating": 0.9, "price": 14.0}, {"rating": 0.5, "price": 9.99}]
    put = anon.put(auctions_path(), json=unnamed)
    expected = [
        {"id": f"{SANDBOX_PRODUCT}-2", "rating": 0.5, "price": 9.99},
        {"id": f"{SANDBOX_PRODUCT}-1", "rating": 0.9, "price": 14.0},
    ]
    assert (put.status_code, put.json()) == (200, expected)
    assert anon.get(auctions_path()).json() == expected
    assert admin.product(SANDBOX_PRODUCT)["minPrice"] == 9.99
    listed = api.get("/products", params={"id": SANDBOX_PRODUCT}).json()["docs"][0]
    assert listed["minPrice"] == 9.99
    assert "auctions" not in listed  # G2A's products carry no auctions


def test_set_auctions_stand_until_the_price_reseed_or_reset(admin: TwinAdmin) -> None:
    derived = admin.auctions(SANDBOX_PRODUCT)
    admin.set_auctions(SANDBOX_PRODUCT, SELLERS)
    admin.update_product(SANDBOX_PRODUCT, qty=3)
    assert [a["id"] for a in admin.auctions(SANDBOX_PRODUCT)] == ["budget", "good", "trusted"]
    admin.update_product(SANDBOX_PRODUCT, minPrice=derived[0]["price"])
    assert admin.auctions(SANDBOX_PRODUCT) == derived
    for clear in (admin.seed, admin.reset):
        admin.set_auctions(SANDBOX_PRODUCT, SELLERS)
        clear()
        assert [a["id"] for a in admin.auctions(SANDBOX_PRODUCT)] == [
            f"{SANDBOX_PRODUCT}-{n}" for n in (1, 2, 3)
        ]


NOT_A_LIST = "body must be a list of 1 to 50 auction objects"
BAD_RATING = "rating must be a number between 0 and 1"
BAD_PRICE = "price must be a number above 0 and at most 1000000000"
BAD_ID = "id must be a string matching [A-Za-z0-9][A-Za-z0-9._:-]{0,63}"
OK = {"rating": 0.5, "price": 1}


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (OK, NOT_A_LIST),
        ([], NOT_A_LIST),
        ([OK] * 51, NOT_A_LIST),
        ([OK, 3], NOT_A_LIST),
        ([{"price": 1}], f"auction 1: {BAD_RATING}"),
        ([OK, {"rating": 1.01, "price": 1}], f"auction 2: {BAD_RATING}"),
        ([{"rating": True, "price": 1}], f"auction 1: {BAD_RATING}"),
        ([{"rating": "0.5", "price": 1}], f"auction 1: {BAD_RATING}"),
        ([{"rating": 0.5, "price": 0}], f"auction 1: {BAD_PRICE}"),
        ([{"rating": 0.5, "price": -2.5}], f"auction 1: {BAD_PRICE}"),
        ([{"rating": 0.5, "price": 1e10}], f"auction 1: {BAD_PRICE}"),
        ([{"rating": 0.5}], f"auction 1: {BAD_PRICE}"),
        ([{**OK, "qty": 3}], "auction 1: unknown field(s): qty"),
        ([{**OK, "id": ""}], f"auction 1: {BAD_ID}"),
        ([{**OK, "id": 7}], f"auction 1: {BAD_ID}"),
        ([{**OK, "id": "a"}, {**OK, "id": "a"}], "auction ids must be unique"),
    ],
)
def test_auctions_are_validated_before_anything_changes(
    admin: TwinAdmin, anon: httpx.Client, body: object, reason: str
) -> None:
    before = (admin.auctions(SANDBOX_PRODUCT), admin.product(SANDBOX_PRODUCT))
    refused = anon.put(auctions_path(), json=body)
    assert (refused.status_code, refused.json()) == (400, {"error": reason})
    assert (admin.auctions(SANDBOX_PRODUCT), admin.product(SANDBOX_PRODUCT)) == before


def test_auctions_of_an_unknown_product_or_a_broken_body(anon: httpx.Client) -> None:
    for method in ("GET", "PUT"):
        missing = anon.request(method, auctions_path("10000000000099"), json=SELLERS)
        assert (missing.status_code, missing.json()) == (
            404,
            {"error": "no product 10000000000099"},
        )
    broken = anon.put(auctions_path(), content=b"[{", headers={"Content-Type": "application/json"})
    assert (broken.status_code, broken.json()) == (400, {"error": "body is not valid JSON"})


def test_the_admin_order_view_shows_the_word_order_details_answers(
    api: httpx.Client, admin: TwinAdmin
) -> None:
    """`details_status` is the configured word of the order's state, or of `lapsed` for an
    unpaid order whose reservation expired: what `GET /order/details` answers, in the single
    view and the listing alike."""
    admin.configure(
        status_words={"new": "open", "paid": "charged", "complete": "done", "lapsed": "gone"},
        reservation_seconds=0.05,
        completion_delay_seconds=0,
    )
    lapsed = create(api).json()["order_id"]
    time.sleep(0.1)
    assert admin.order(lapsed)["lapsed"] is True
    admin.configure(reservation_seconds=60)
    complete = create(api).json()["order_id"]
    api.put(f"/order/pay/{complete}")
    admin.configure(completion_delay_seconds=60)
    paid = create(api).json()["order_id"]
    api.put(f"/order/pay/{paid}")
    fresh = create(api).json()["order_id"]

    expected = {fresh: "open", paid: "charged", complete: "done", lapsed: "gone"}
    shown = {order_id: admin.order(order_id)["details_status"] for order_id in expected}
    answered = {o: api.get(f"/order/details/{o}").json()["status"] for o in expected}
    listed = {o["order_id"]: o["details_status"] for o in admin.orders()}
    assert shown == answered == listed == expected
