"""Steps: arranging the twin's state in QA's words (stock, prices, sellers, delays, limits,
webhooks).

Each step is one admin API call; a new twin option needs one more small step here.
"""

from __future__ import annotations

from pytest_bdd import given, parsers

from harness.bdd.steps.client import RATING
from harness.bdd.steps.twin import TIMES, admin_of
from harness.bdd.wordings import NUMBER, NUMBER_TYPE, WHOLE_TYPE, Between, Wording, parse, worded
from harness.bdd.world import World
from harness.twin.admin_input import MAX_AUCTION_PRICE
from harness.twin.config import BOUNDS, MAX_WEBHOOK_RETRIES

TARGETS = ("twin",)
# a seller's price, as the twin takes an auction's (its rating: `RATING`)
PRICE = Between(NUMBER_TYPE, 0.01, MAX_AUCTION_PRICE)
SELLERS: Wording[dict[str, float]] = Wording(
    "list of sellers",
    {
        f"<rating, {RATING.describe()}> at <price, {PRICE.describe()}> EUR": (
            rf"({NUMBER}) at ({NUMBER}) EUR",
            lambda rating, price: {"rating": RATING.value(rating), "price": PRICE.value(price)},
        )
    },
    separators=(",", "and"),
)
# a product's minimum price in EUR, what an order of it costs: G2A lists no price of 0
# (docs/g2a-api.md: a price is its cheapest offer's; 0 is only `max_price`'s "no limit")
LISTED_PRICE = Between(NUMBER_TYPE, 0, above=True)
# a wait between the twin's webhook delivery attempts, in seconds
WAIT = Between(NUMBER_TYPE, *BOUNDS["webhook_retry_delays"])
WAITS: Wording[float] = Wording(
    "list of waits",
    {f"<seconds, {WAIT.describe()}>": (f"({NUMBER})", WAIT.value)},
    separators=(",",),
    most=MAX_WEBHOOK_RETRIES,
)


@given(parse("product {product_id:whole} is out of stock"))
def out_of_stock(g2a_world: World, product_id: int) -> None:
    """Set a product's stock to zero: ordering it fails with the twin's out-of-stock error.

    Example: product 10000068865001 is out of stock
    """
    admin_of(g2a_world).admin.update_product(str(product_id), qty=0)


@given(parse("product {product_id:whole} has {quantity:whole} keys in stock"))
def in_stock(g2a_world: World, product_id: int, quantity: int) -> None:
    """Set how many keys of a product the twin holds.

    Example: product 10000068865001 has 5 keys in stock
    """
    admin_of(g2a_world).admin.update_product(str(product_id), qty=quantity)


@given(worded(parse("product {product_id:whole} costs {price:number} EUR"), price=LISTED_PRICE))
def price_of(g2a_world: World, product_id: int, price: float) -> None:
    """Change a product's minimum price (what an order of it costs).

    Example: product 10000068865001 costs 12.50 EUR
    """
    admin_of(g2a_world).admin.update_product(str(product_id), minPrice=price)


@given(
    worded(
        parsers.re(
            r"the twin sells product (?P<product_id>\d+) "
            r"from (?:a seller|sellers) rated (?P<sellers>.+)"
        ),
        sellers=SELLERS,
    )
)
def sellers_of(g2a_world: World, product_id: str, sellers: str) -> None:
    """Make a product sold only by these sellers, each a rating (0 to 1) at a price in EUR.

    The product's minimum price becomes the cheapest seller's; an order with a minimum seller
    rating buys from the cheapest seller rated at least that.

    Example: the twin sells product 10000027819004 from sellers rated 0.62 at 10.00 EUR and 0.97 at 12.50 EUR
    """  # noqa: E501
    admin_of(g2a_world).admin.set_auctions(product_id, SELLERS.values(sellers))


@given(
    worded(
        parse("the twin completes a paid order after {seconds:number} seconds"),
        seconds=Between(NUMBER_TYPE, *BOUNDS["completion_delay_seconds"]),
    )
)
def processing_delay(g2a_world: World, seconds: float) -> None:
    """Make a paid order stay "paid" this long before it is "complete" with a key.

    Example: the twin completes a paid order after 1.5 seconds
    """
    admin_of(g2a_world).admin.configure(completion_delay_seconds=seconds)


@given("the twin refuses fields and query parameters G2A does not document")
def unknown_fields_refused(g2a_world: World) -> None:
    """Make an order body field or a products query parameter G2A does not document fail the
    call (BR02) instead of being ignored: a scenario then shows the adapter sends none.

    Example: the twin refuses fields and query parameters G2A does not document
    """
    admin_of(g2a_world).admin.configure(unknown_fields_refused=True)


@given(
    worded(parsers.re(r"the twin allows (?P<count>\d+) requests? per second"), count=TIMES),
    converters={"count": int},
)
def rate_limit(g2a_world: World, count: int) -> None:
    """Rate-limit every API call: beyond this many per second the twin answers HTTP 429.

    Example: the twin allows 5 requests per second
    """
    admin_of(g2a_world).admin.configure(rate_limit=count, rate_window_seconds=1.0)


@given(
    worded(
        parse("the twin delivers every webhook {times:whole} times"),
        times=Between(WHOLE_TYPE, 1, 1 + BOUNDS["webhook_duplicates"][1]),
    )
)
def webhook_duplicates(g2a_world: World, times: int) -> None:
    """Make the twin deliver each webhook event more than once (duplicates).

    Example: the twin delivers every webhook 2 times
    """
    admin_of(g2a_world).admin.configure(webhook_duplicates=times - 1)


@given(
    worded(parse('the twin retries an unanswered webhook after "{delays}" seconds'), delays=WAITS)
)
def webhook_retries(g2a_world: World, delays: str) -> None:
    """Set the waits between the twin's webhook delivery attempts (comma-separated seconds).

    Example: the twin retries an unanswered webhook after "0.1, 0.5" seconds
    """
    admin_of(g2a_world).admin.configure(webhook_retry_delays=WAITS.values(delays))


@given(
    worded(
        parse("the twin waits {ms:whole} milliseconds for the receiver to answer a webhook"),
        ms=Between(WHOLE_TYPE, *(1000 * s for s in BOUNDS["webhook_timeout_seconds"])),
    )
)
def webhook_timeout(g2a_world: World, ms: int) -> None:
    """Set how long the twin waits for the receiver before a delivery attempt counts as failed.

    Example: the twin waits 500 milliseconds for the receiver to answer a webhook
    """
    admin_of(g2a_world).admin.configure(webhook_timeout_seconds=ms / 1000)
