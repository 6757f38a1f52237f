"""Steps: the adapter against the target (tokens, products, orders, purchases, outcomes)."""

from __future__ import annotations

import math
import time
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from pytest_bdd import given, parsers, then, when

from g2a_adapter import Settings
from g2a_adapter.client import is_testing, set_testing
from harness.bdd.wordings import NUMBER_TYPE, WHOLE_TYPE, Between, exact, parse, shown, worded
from harness.bdd.world import World, missing
from harness.bdd.writes import writes

if TYPE_CHECKING:
    from g2a_adapter import AccessToken

WRONG_VALUES: dict[str, tuple[str, str]] = {
    "API key": ("api_key", "f" * 64),
    "API hash": ("api_hash", "wrongHashValue00"),
    "OAuth client secret": ("oauth_client_secret", "wrong-oauth-client-secret"),
}
ERROR_KINDS: dict[str, str] = {
    "an authentication error": "AuthError",
    "a G2A API error": "G2AApiError",
    "a rate limit error": "RateLimitedError",
    "a response format error": "ResponseFormatError",
    "a transport error": "TransportError",
    "an unknown outcome": "OutcomeUnknownError",
    "an idempotency conflict": "IdempotencyConflictError",
    "a lost key": "KeyDeliveryLostError",
}
POLL_INTERVAL_S = 0.05
POLL_TIMEOUT_S = 10.0


def accepted_by_settings(field: str) -> Between:
    """The whole numbers the adapter's `Settings` accept for `field`, read from its
    validation's bounds (`gt`/`ge`, `lt`/`le`)."""
    metadata = Settings.model_fields[field].metadata

    def bound(name: str) -> int | None:
        return next((getattr(m, name) for m in metadata if hasattr(m, name)), None)

    ge, gt, le, lt = bound("ge"), bound("gt"), bound("le"), bound("lt")
    low = ge if ge is not None else 0 if gt is None else gt + 1
    high = le if le is not None else math.inf if lt is None else lt - 1
    return Between(WHOLE_TYPE, low, high)


TIMEOUT_MS = accepted_by_settings("timeout_ms")
# a seller's rating, on G2A's scale: an order's `min_rating`, as the adapter takes it, and an
# auction's, as the twin takes it (docs/g2a-api.md §1)
RATING = Between(NUMBER_TYPE, 0, 1)
# an order's `max_price` in EUR, as the adapter takes it: G2A reads 0 as no limit
MAX_PRICE = Between(NUMBER_TYPE, 0, above=True)


# --- connection and adapter set-up -----------------------------------------------------------
@given("the adapter is connected to the target")
def connected(g2a_world: World) -> None:
    """Connect the adapter to the chosen target (twin, sandbox or live); optional, as the first
    step that needs the adapter or the twin connects it.

    Example: the adapter is connected to the target
    """
    if g2a_world.target.has_admin:
        assert g2a_world.twin is not None, "the twin could not be connected"


@given(parsers.re(r"the adapter uses a wrong (?P<credential>API key|API hash|OAuth client secret)"))
def wrong_credential(g2a_world: World, credential: str) -> None:
    """Replace one credential with a wrong value.

    Example: the adapter uses a wrong OAuth client secret
    """
    field, value = WRONG_VALUES[credential]
    g2a_world.override(field, value)


@given(worded(parse("the adapter times out after {ms:whole} milliseconds"), ms=TIMEOUT_MS))
def short_timeout(g2a_world: World, ms: int) -> None:
    """Make the adapter give up on a request after this many milliseconds.

    Example: the adapter times out after 300 milliseconds
    """
    g2a_world.override("timeout_ms", ms)


@given("retries do not wait")
def retries_do_not_wait(request: pytest.FixtureRequest) -> None:
    """Retries happen without sleeping (faster scenarios, same decisions).

    Example: retries do not wait
    """
    # The adapter's test switch, undone when the scenario ends.
    request.addfinalizer(partial(set_testing, is_testing()))
    set_testing(True)


@given("the adapter uses the default retry settings")
def default_retry_settings(g2a_world: World) -> None:
    """Keep the adapter's default retry settings (2 retries).

    Example: the adapter uses the default retry settings
    """
    assert "retry_max" not in g2a_world.overrides, "a step of this scenario set the retries"
    retries = g2a_world.settings().retry_max
    assert retries == 2, f"expected the default of 2 retries, got {retries}"


@given("the adapter keeps purchase progress in an idempotency store")
def purchase_store(g2a_world: World, tmp_path: Path) -> None:
    """Keep purchase progress in a fresh SQLite idempotency store.

    Example: the adapter keeps purchase progress in an idempotency store
    """
    from g2a_adapter.idempotency import open_store

    store = open_store(f"sqlite:///{tmp_path / 'purchases.sqlite3'}")
    g2a_world.use_store(store)
    g2a_world.on_close(store.close)


# --- tokens and offers -----------------------------------------------------------------------
def _token(world: World) -> None:
    token = world.attempt(lambda: world.client().auth.token())
    if token is not None:
        world.notes.setdefault("tokens", []).append(token)


@when("the adapter asks for an access token")
def ask_token(g2a_world: World) -> None:
    """Ask the adapter's token provider for an access token.

    Example: the adapter asks for an access token
    """
    _token(g2a_world)


@when(parse("the adapter asks for an access token {times:whole} times"))
def ask_token_times(g2a_world: World, times: int) -> None:
    """Ask for an access token several times in a row.

    Example: the adapter asks for an access token 3 times
    """
    for _ in range(times):
        _token(g2a_world)
        g2a_world.expect_success()


@when(parse("{seconds:number} seconds pass"))
def seconds_pass(seconds: float) -> None:
    """Let this many seconds of real time pass.

    Example: 1.7 seconds pass
    """
    time.sleep(seconds)


@then("a bearer token is returned that has not expired")
def token_fresh(g2a_world: World) -> None:
    """The token returned is a bearer token that has not expired.

    Example: a bearer token is returned that has not expired
    """
    token = g2a_world.expect_success()
    assert token.token_type.lower() == "bearer", (
        f'expected a token of type "bearer", got "{token.token_type}"'
    )
    assert token.access_token.get_secret_value(), "expected a token, got an empty one"
    left = token.ttl_seconds()
    assert 0 < left <= token.expires_in, (
        f"expected a token with 1 to {token.expires_in} seconds left, got {left:g} seconds"
    )


@then("the token lifetime gauge shows the seconds left on that token")
def token_gauge(g2a_world: World) -> None:
    """The token lifetime gauge shows the seconds left on the current token.

    Example: the token lifetime gauge shows the seconds left on that token
    """
    token = _tokens(g2a_world)[-1]
    gauge = g2a_world.metrics.registry.get_sample_value("g2a_token_ttl_seconds")
    assert gauge is not None, "g2a_token_ttl_seconds was never set"
    assert abs(gauge - token.ttl_seconds()) <= 2.0, f"gauge {gauge}, token {token.ttl_seconds()}"


def _tokens(world: World) -> list[AccessToken]:
    """Every token the scenario's When steps got, oldest first."""
    tokens: list[AccessToken] = world.noted(
        "tokens", "token was issued", '"When the adapter asks for an access token" gets one'
    )
    return tokens


def _token_values(world: World) -> list[str]:
    return [t.access_token.get_secret_value() for t in _tokens(world)]


@then("the same token is returned each time")
def same_token(g2a_world: World) -> None:
    """Every token returned was the same (the token was cached).

    Example: the same token is returned each time
    """
    values = _token_values(g2a_world)
    if len(values) < 2:
        raise AssertionError(f"expected at least 2 tokens to compare, got {len(values)}")
    if len(set(values)) != 1:
        raise AssertionError(
            f"expected the same token each time, got {len(set(values))} different tokens "
            f"in {len(values)}"
        )


@then("a different token is returned the second time")
def different_token(g2a_world: World) -> None:
    """The second token differs from the first (a fresh one was fetched).

    Example: a different token is returned the second time
    """
    values = _token_values(g2a_world)
    if len(values) < 2:
        raise AssertionError(f"expected at least 2 tokens to compare, got {len(values)}")
    if values[-2] == values[-1]:
        raise AssertionError("expected a different token the second time, got the same token")


@when("QA lists the seller's offers")
def list_offers(g2a_world: World) -> None:
    """List the seller's own offers.

    Example: QA lists the seller's offers
    """
    g2a_world.attempt(lambda: g2a_world.client().offers.list())


@then("the offers are listed")
def offers_listed(g2a_world: World) -> None:
    """The offers call returned a list of offers.

    Example: the offers are listed
    """
    from g2a_adapter import OfferPage

    listed = g2a_world.expect_success()
    assert isinstance(listed, OfferPage), f"expected a page of offers, got {listed!r}"


# --- products --------------------------------------------------------------------------------
@when("QA lists the first page of products")
def list_first_page(g2a_world: World) -> None:
    """List the first page of the product catalogue.

    Example: QA lists the first page of products
    """
    g2a_world.attempt(lambda: g2a_world.client().products.list())


@when(parse("QA lists page {page:whole} of products, out-of-stock ones included"))
def list_page(g2a_world: World, page: int) -> None:
    """List one page of products, including those out of stock.

    Example: QA lists page 2 of products, out-of-stock ones included
    """
    products = g2a_world.client().products
    g2a_world.attempt(lambda: products.list(page, include_out_of_stock=True))


@when(
    parsers.re(
        r"QA lists products with (?P<name>a minimum quantity of|a minimum price of) (?P<value>\d+)"
    )
)
def list_filtered(g2a_world: World, name: str, value: str) -> None:
    """List products with a minimum quantity or minimum price filter.

    Example: QA lists products with a minimum quantity of 5
    """
    products = g2a_world.client().products
    if "quantity" in name:
        g2a_world.attempt(lambda: products.list(min_qty=int(value)))
    else:
        g2a_world.attempt(lambda: products.list(min_price_from=int(value)))


@when(parsers.re(r"QA looks up product (?P<product_id>\d+)"))
def look_up(g2a_world: World, product_id: str) -> None:
    """Look up one product by its id.

    Example: QA looks up product 10000068865001
    """
    g2a_world.attempt(lambda: g2a_world.client().products.get(product_id))


@when("QA walks through every product, out-of-stock ones included")
def walk_all(g2a_world: World) -> None:
    """Walk through every page of the catalogue, out-of-stock products included.

    Example: QA walks through every product, out-of-stock ones included
    """
    products = g2a_world.client().products
    g2a_world.attempt(lambda: list(products.iter_all(include_out_of_stock=True)))


@then(parse("the page holds between {low:whole} and {high:whole} products"))
def page_between(g2a_world: World, low: int, high: int) -> None:
    """The page of products holds between LOW and HIGH products.

    Example: the page holds between 1 and 20 products
    """
    held = len(g2a_world.expect_success().docs)
    assert low <= held <= high, f"expected {low} to {high} products on the page, got {held}"


@then(parse("the page holds exactly {count:whole} products"))
def page_exactly(g2a_world: World, count: int) -> None:
    """The page of products holds exactly this many products.

    Example: the page holds exactly 20 products
    """
    held = len(g2a_world.expect_success().docs)
    assert held == count, f"expected {count} products on the page, got {held}"


@then(parse("the listing reports {total:whole} products in total"))
def listing_total(g2a_world: World, total: int) -> None:
    """The listing's total count equals this number.

    Example: the listing reports 45 products in total
    """
    reported = g2a_world.expect_success().total
    assert reported == total, f"expected {total} products in total, got {reported}"


@then("every product has an id, a name, a stock quantity and a price")
def products_complete(g2a_world: World) -> None:
    """Every listed product has an id, a name, a stock quantity and a price.

    Example: every product has an id, a name, a stock quantity and a price
    """
    page = g2a_world.expect_success()
    if page.unreadable_ids:
        raise AssertionError(
            f"expected every product on the page to be readable, got {len(page.unreadable_ids)} "
            f"unreadable: {', '.join(page.unreadable_ids)}"
        )
    if not page.docs:
        raise AssertionError("expected at least one product on the page, got none")
    for product in page.docs:
        assert product.id.isdigit(), f"expected a product id made of digits, got {product.id!r}"
        assert product.name.strip(), f"expected product {product.id} to have a name, got none"
        assert product.qty >= 0, (
            f"expected product {product.id} to have a stock quantity, got {product.qty}"
        )
        assert product.min_price > 0, (
            f"expected product {product.id} to have a price, got {product.min_price:g}"
        )


@then(parsers.re(r"product (?P<product_id>\d+) is returned with its name and price"))
def product_returned(g2a_world: World, product_id: str) -> None:
    """The product lookup returned this product with a name and a price.

    Example: product 10000027819004 is returned with its name and price
    """
    product = g2a_world.expect_success()
    assert product.id == product_id, f"expected product {product_id}, got product {product.id}"
    assert product.name.strip(), f"expected product {product_id} to have a name, got none"
    assert product.min_price > 0, (
        f"expected product {product_id} to have a price, got {product.min_price:g}"
    )
    if g2a_world.twin is not None:  # exact mapping of what the twin served
        served = g2a_world.twin.admin.product(product_id)
        got = (product.name, product.qty, product.min_price)
        expected = (served["name"], served["qty"], exact(served["minPrice"]))
        assert got == expected, (
            f"expected the name, stock and price the twin served, {expected}, got {got}"
        )


@then(parse("{count:whole} distinct products are seen"))
def distinct_products(g2a_world: World, count: int) -> None:
    """The walk through the catalogue saw this many distinct products.

    Example: 45 distinct products are seen
    """
    products = g2a_world.expect_success()
    distinct = len({p.id for p in products})
    assert distinct == count, f"expected {count} distinct products, got {distinct}"
    assert len(products) == count, (
        f"expected each product seen once, got {len(products)} products for {distinct} ids"
    )


@then(
    parsers.re(
        r"every product listed has (?P<field>a quantity|a minimum price) of at least (?P<value>\d+)"
    )
)
def filtered_products(g2a_world: World, field: str, value: str) -> None:
    """Every listed product meets the filter (quantity or minimum price).

    Example: every product listed has a quantity of at least 5
    """
    page = g2a_world.expect_success()
    assert page.docs, (
        "expected at least one product listed, got none: the check would prove nothing"
    )
    for product in page.docs:
        actual = product.qty if field == "a quantity" else product.min_price
        assert actual >= int(value), (
            f"expected every product listed to have {field} of at least {value}, "
            f"got {actual:g} for product {product.id}"
        )


# --- orders ----------------------------------------------------------------------------------
def _order(
    world: World,
    product_id: str,
    min_rating: float | None = None,
    max_price: float | None = None,
    currency: str = "EUR",
) -> None:
    orders = world.client().orders
    created = world.attempt(
        lambda: orders.create(
            product_id, min_rating=min_rating, max_price=max_price, currency=currency
        )
    )
    if created is not None:
        world.order_id = created.order_id


@when(parsers.re(r"QA orders product (?P<product_id>\d+)"))
@writes
def order_product(g2a_world: World, product_id: str) -> None:
    """Create an order for one unit of a product.

    Example: QA orders product 10000068865001
    """
    _order(g2a_world, product_id)


@when(
    worded(
        parse("QA orders product {product_id:whole} from a seller rated at least {rating:number}"),
        rating=RATING,
    )
)
@writes
def order_product_rated(g2a_world: World, product_id: int, rating: float) -> None:
    """Create an order for one unit of a product, from a seller rated at least this (0 to 1).

    Example: QA orders product 10000027819004 from a seller rated at least 0.9
    """
    _order(g2a_world, str(product_id), rating)


@when(parsers.re(r"QA orders product (?P<product_id>\d+) in (?P<currency>[A-Z]{3})"))
@writes
def order_product_in(g2a_world: World, product_id: str, currency: str) -> None:
    """Create an order for one unit of a product, priced in this currency (3 capital letters).

    Example: QA orders product 10000068865001 in USD
    """
    _order(g2a_world, product_id, currency=currency)


@when(
    worded(
        parse("QA orders product {product_id:whole} for at most {price:number} EUR"),
        price=MAX_PRICE,
    )
)
@writes
def order_product_max(g2a_world: World, product_id: int, price: float) -> None:
    """Create an order for one unit of a product, refused if it costs more than this (EUR).

    Example: QA orders product 10000068865001 for at most 12.50 EUR
    """
    _order(g2a_world, str(product_id), max_price=price)


@given(parsers.re(r"QA has ordered product (?P<product_id>\d+)"))
@writes
def ordered_product(g2a_world: World, product_id: str) -> None:
    """An order for the product exists (created now).

    Example: QA has ordered product 10000027819004
    """
    _order(g2a_world, product_id)
    g2a_world.expect_success()


def current_order(world: World) -> str:
    """The order created earlier in the scenario."""
    if world.order_id is None:
        raise missing("order was created", '"Given QA has ordered product …" creates one')
    return world.order_id


@when("QA pays the order")
@writes
def pay_order(g2a_world: World) -> None:
    """Pay the order created earlier in the scenario; with a receiver subscribed, return once
    it answered the twin's `order.paid` event and every copy of it.

    Example: QA pays the order
    """
    _pay(g2a_world, current_order(g2a_world))


@when(parsers.re(r"QA pays order (?P<order_id>\d+)"))
@writes
def pay_order_id(g2a_world: World, order_id: str) -> None:
    """Pay an order by its id; with a receiver subscribed, return once it answered the twin's
    `order.paid` event and every copy of it.

    Example: QA pays order 1234567890
    """
    _pay(g2a_world, order_id)


def _pay(world: World, order_id: str) -> None:
    # here, not at the top: the webhook steps use this module's `current_order`
    from harness.bdd.steps.webhooks import payment_announced

    with payment_announced(world, order_id):
        world.attempt(lambda: world.client().orders.pay(order_id))


@when("QA fetches the key of the order")
@writes
def fetch_key(g2a_world: World) -> None:
    """Fetch the key of the order created earlier in the scenario.

    Example: QA fetches the key of the order
    """
    order_id = current_order(g2a_world)
    g2a_world.attempt(lambda: g2a_world.client().orders.key(order_id))


@when(parse('QA asks for the details of order "{order_id}"'))
def order_details(g2a_world: World, order_id: str) -> None:
    """Ask for the details of an order by id.

    Example: QA asks for the details of order "12ab"
    """
    g2a_world.attempt(lambda: g2a_world.client().orders.details(order_id))


@then(parsers.re(r"an order id made of digits is returned with a price in (?P<currency>[A-Z]{3})"))
def order_created(g2a_world: World, currency: str) -> None:
    """The order call returned a numeric order id and a price in this currency.

    Example: an order id made of digits is returned with a price in EUR
    """
    created = g2a_world.expect_success()
    assert created.order_id.isdigit(), (
        f"expected an order id made of digits, got {created.order_id!r}"
    )
    assert created.currency == currency, f"expected a price in {currency}, got {created.currency}"
    assert created.price > 0, f"expected a price above 0 {currency}, got {created.price:g}"


@then(parse("the order costs {price:number} {currency:currency}"))
def order_costs(g2a_world: World, price: float, currency: str) -> None:
    """The order call returned exactly this price and currency.

    Example: the order costs 12.50 EUR
    """
    created = g2a_world.expect_success()
    assert (created.price, created.currency) == (exact(price), currency), (
        f"expected the order to cost {shown(price)} {currency}, "
        f"got {shown(created.price)} {created.currency} (order {created.order_id})"
    )


def _status(world: World) -> str:
    """The order's details status, read on the side through the adapter (`World.check`):
    the scenario's request counter, logs and "the twin received" steps never see the read (nor
    spends any of a rate limit's budget). On the twin with a fault armed for order details,
    the twin's admin surface tells it (the word its order details answer), and the fault is
    left to the scenario's call. A read that fails fails the step, as `cannot read order …:
    <error>`."""
    from g2a_adapter import G2AError
    from harness.twin.admin import TwinAdminError

    order_id = current_order(world)
    try:
        return world.check(
            lambda client: str(client.orders.details(order_id).status),
            lambda admin: str(admin.order(order_id)["details_status"]),
            sends=("GET", f"/v1/order/details/{order_id}"),
        )
    except (G2AError, TwinAdminError) as exc:
        raise AssertionError(f"cannot read order {order_id}: {type(exc).__name__}: {exc}") from exc


@then(parsers.parse('the order\'s status is "{status}"'))
def order_status(g2a_world: World, status: str) -> None:
    """The order's details show this status, read on the side through the adapter (on the
    twin, its admin surface while a fault a Given step armed waits for the scenario's
    call); nothing the scenario counts sees the read.

    Example: the order's status is "new"
    """
    actual = _status(g2a_world)
    assert actual == status, f'expected status "{status}", got "{actual}"'


@then(parsers.parse('the order\'s status is one of "{statuses}"'))
def order_status_one_of(g2a_world: World, statuses: str) -> None:
    """The order's details show one of these comma-separated statuses (read on the side, as
    `the order's status is …` reads it).

    Example: the order's status is one of "paid, complete"
    """
    allowed = [s.strip() for s in statuses.split(",")]
    actual = _status(g2a_world)
    assert actual in allowed, f'expected one of the statuses "{statuses}", got "{actual}"'


def _paid_words(world: World) -> tuple[str, ...]:
    """The words a paid order's details may show: on the twin, the ones it is configured to
    answer for a paid and for a complete order (`status_words`); elsewhere, those the adapter
    reads as paid (`PAID_STATUSES`)."""
    from g2a_adapter.client import PAID_STATUSES

    if world.twin is None:
        return tuple(sorted(PAID_STATUSES))
    words = world.twin.admin.config()["status_words"]
    return tuple(dict.fromkeys((words["paid"], words["complete"])))


@then("the order's status says it is paid")
def order_status_paid(g2a_world: World) -> None:
    """The order's details show a paid order's word (read on the side, as `the order's status
    is …` reads it): on the twin, the word it is configured to answer for a paid or a complete
    order (`status_words`, "paid" and "complete" unless set otherwise); on the sandbox and live,
    a word the adapter reads as paid ("complete", "paid", "pending").

    Example: the order's status says it is paid
    """
    allowed = _paid_words(g2a_world)
    actual = _status(g2a_world)
    words = " or ".join(f'"{word}"' for word in allowed)
    if actual not in allowed:
        raise AssertionError(f'expected a paid order\'s status ({words}), got "{actual}"')


@then("the payment is confirmed with a transaction id")
def payment_confirmed(g2a_world: World) -> None:
    """The payment returned a transaction id.

    Example: the payment is confirmed with a transaction id
    """
    payment = g2a_world.expect_success()
    assert payment.status is True, f"expected a confirmed payment, got status {payment.status}"
    assert payment.transaction_id, "expected a transaction id, got none"


@then("a key is handed over")
def key_handed(g2a_world: World) -> None:
    """The key fetch returned a key.

    Example: a key is handed over
    """
    key = g2a_world.expect_success()
    assert key.key.strip(), "expected a key, got an empty one"
    if g2a_world.twin is not None:
        held = g2a_world.twin.admin.order(current_order(g2a_world))["key"]
        assert key.key == held, "expected the key the twin holds for the order, got another"


# --- purchases -------------------------------------------------------------------------------
def _purchase(world: World, product_id: str, key: str, max_price: float | None = None) -> None:
    orders = world.client().orders
    result = world.attempt(
        lambda: orders.purchase(
            product_id,
            idempotency_key=key,
            max_price=max_price,
            poll_interval=POLL_INTERVAL_S,
            poll_timeout=POLL_TIMEOUT_S,
        )
    )
    if result is not None:
        world.order_id = result.order_id


@when(parsers.re(r'QA purchases product (?P<product_id>\d+) with idempotency key "(?P<key>[^"]+)"'))
@writes
def purchase(g2a_world: World, product_id: str, key: str) -> None:
    """Purchase a product (order, pay, fetch key) under an idempotency key, at any price.

    Example: QA purchases product 10000068865001 with idempotency key "e2e-1"
    """
    _purchase(g2a_world, product_id, key)


@when(
    worded(
        parse(
            "QA purchases product {product_id:whole} for at most {price:number} EUR "
            'with idempotency key "{key}"'
        ),
        price=MAX_PRICE,
    )
)
@writes
def purchase_max(g2a_world: World, product_id: int, price: float, key: str) -> None:
    """Purchase a product under an idempotency key, refused if it costs more than this (EUR).

    Example: QA purchases product 10000068865001 for at most 13 EUR with idempotency key "max-1"
    """
    _purchase(g2a_world, str(product_id), key, max_price=price)


@then("the purchase returns a key for a new order")
def purchase_new(g2a_world: World) -> None:
    """The purchase returned a key for an order it created now.

    Example: the purchase returns a key for a new order
    """
    result = g2a_world.expect_success()
    assert result.key.strip(), "expected a key, got an empty one"
    assert result.order_id.isdigit(), (
        f"expected an order id made of digits, got {result.order_id!r}"
    )
    assert result.resumed is False, "expected a new order, got a purchase resumed from before"


@then("the purchase returns a key")
def purchase_key(g2a_world: World) -> None:
    """The purchase returned a key.

    Example: the purchase returns a key
    """
    assert g2a_world.expect_success().key.strip(), "expected a key, got an empty one"


@then("both purchases return the same order and key")
def same_purchase(g2a_world: World) -> None:
    """Both purchases returned the same order id and key.

    Example: both purchases return the same order and key
    """
    g2a_world.expect_success()
    purchases = [r for r in g2a_world.results if hasattr(r, "resumed")]
    if len(purchases) < 2:
        raise AssertionError(f"expected 2 purchases to compare, got {len(purchases)}")
    first, second = purchases[-2:]
    if first.order_id != second.order_id:
        raise AssertionError(
            "expected both purchases to return the same order and key, "
            f"got orders {first.order_id} and {second.order_id}"
        )
    if first.key != second.key:
        raise AssertionError(
            f"expected both purchases to return the same key, got two keys for order "
            f"{first.order_id}"
        )


@then("the second purchase says it was resumed")
def resumed(g2a_world: World) -> None:
    """The second purchase resumed the first one instead of ordering again.

    Example: the second purchase says it was resumed
    """
    if g2a_world.expect_success().resumed is not True:
        raise AssertionError("expected the second purchase to be resumed, got a new order")


# --- outcomes --------------------------------------------------------------------------------
def _error_class(description: str) -> type[BaseException]:
    import g2a_adapter

    cls: type[BaseException] = getattr(g2a_adapter, ERROR_KINDS[description])
    return cls


@then("the call succeeds")
def call_succeeds(g2a_world: World) -> None:
    """The last call returned without an error.

    Example: the call succeeds
    """
    g2a_world.expect_success()


@then(parsers.re(r"the call fails with (?P<kind>" + "|".join(ERROR_KINDS) + ")"))
def call_fails(g2a_world: World, kind: str) -> None:
    """The last call failed with the named kind of adapter error.

    Example: the call fails with an authentication error
    """
    g2a_world.expect_error(_error_class(kind))


@then(parsers.re(r"the call fails with a G2A API error with code (?P<code>\w+)"))
def call_fails_code(g2a_world: World, code: str) -> None:
    """The last call failed with a G2A API error carrying this error code.

    Example: the call fails with a G2A API error with code ORD01
    """
    from g2a_adapter import G2AApiError

    error = g2a_world.expect_error(G2AApiError)
    assert error.code == code, (
        f"expected code {code}, got {error.code} (HTTP {error.status_code}): {error.message}"
    )


@then("the call fails before reaching G2A")
def fails_locally(g2a_world: World) -> None:
    """The last call was refused by the adapter before any request left.

    Example: the call fails before reaching G2A
    """
    from g2a_adapter import RequestValidationError

    g2a_world.expect_error(RequestValidationError)


@then("the error message reveals no credential")
def error_hides_credentials(g2a_world: World) -> None:
    """The last error's message holds neither the API key nor the hash.

    Example: the error message reveals no credential
    """
    if g2a_world.error is None:
        raise AssertionError("expected an error to inspect, but no call of this scenario failed")
    error = g2a_world.error
    text = f"{error} {error!r} {getattr(error, '__cause__', None)!r}"
    for secret in _secrets(g2a_world):
        assert secret not in text, "expected no credential in the error, got one in it"


def _secrets(world: World) -> list[str]:
    values = list(world.secrets())
    env: dict[str, str] = world.notes.get("env", {})
    values += [v for k, v in env.items() if k.endswith(("_KEY", "_SECRET")) and len(v) >= 8]
    return values
