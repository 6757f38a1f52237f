"""Steps: one product's price and stock checked against a bound, read-only.

Each step looks the product up itself (one read, nothing written), so it runs on every
target, live included, and needs no When step before it; placed between a When step and its
Then steps, it leaves the When's outcome to them. The lookup is a read on the side
(`World.check`): `products.get` on a client of its own, on every target, so the step proves the
adapter reads the product; the metrics, log and request-count steps count only the scenario's
calls. Only on the twin, when a Given step armed a fault that the lookup's request would meet,
it reads the twin's admin surface instead, so the fault is left to the scenario's call; the
catalogue entry it reads is what the adapter's lookup would get (it asks with
`includeOutOfStock`, which `out_of_stock_hidden` never overrides). Under a rate limit (the
twin's start-up one or a Given step's) the lookup goes through the adapter with the limit
lifted for it, so it spends none of the scenario's budget.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING

from pydantic import ValidationError
from pytest_bdd import then

from harness.bdd.wordings import Wording, exact, parse, phrases, shown, worded
from harness.bdd.world import World

if TYPE_CHECKING:
    from g2a_adapter.client import Product

BOUNDS: Wording[Callable[[Decimal | int, Decimal | int], bool]] = Wording(
    "bound", phrases({"at most": operator.le, "at least": operator.ge, "exactly": operator.eq})
)


def _looked_up(world: World, product_id: int) -> Product:
    """The product as the target serves it now, looked up through the adapter on the side
    (`World.check`; the twin's admin surface while a fault a Given step armed waits for the
    scenario's call): the outcome of the scenario's last When step stays for its Then steps,
    and what they count leaves the lookup out."""
    from g2a_adapter import G2AError
    from g2a_adapter.client import Product
    from harness.twin.admin import TwinAdminError

    wanted = str(product_id)
    try:
        return world.check(
            lambda client: client.products.get(wanted),
            lambda admin: Product.model_validate(admin.product(wanted)),
            sends=("GET", "/v1/products"),
        )
    except (G2AError, TwinAdminError, ValidationError) as exc:
        raise AssertionError(
            f"cannot look up product {product_id}: {type(exc).__name__}: {exc}"
        ) from exc


@then(worded(parse("product {product_id:whole} costs {bound} {price:number} EUR"), bound=BOUNDS))
def product_costs(g2a_world: World, product_id: int, bound: str, price: float) -> None:
    """Look the product up on the side, through the adapter (on the twin, its admin surface
    while a fault a Given step armed waits for the scenario's call): its price
    is at most, at least or exactly this many EUR.

    Example: product 10000027819004 costs at most 50 EUR
    Example: product 10000027819004 costs exactly 12.50 EUR
    """
    served = _looked_up(g2a_world, product_id).min_price
    assert BOUNDS.value(bound)(served, exact(price)), (
        f"expected product {product_id} to cost {bound} {shown(price)} EUR, got {shown(served)} EUR"
    )


@then(
    worded(
        parse("product {product_id:whole} has {bound} {count:whole} keys in stock"), bound=BOUNDS
    )
)
@then(
    worded(parse("product {product_id:whole} has {bound} {count:whole} key in stock"), bound=BOUNDS)
)
def product_stock(g2a_world: World, product_id: int, bound: str, count: int) -> None:
    """Look the product up on the side, through the adapter (on the twin, its admin surface
    while a fault a Given step armed waits for the scenario's call): its stock
    is at most, at least or exactly this many keys.

    Example: product 10000027819004 has at least 1 key in stock
    Example: product 10000027819004 has at most 500 keys in stock
    """
    held = _looked_up(g2a_world, product_id).qty
    assert BOUNDS.value(bound)(held, count), (
        f"expected product {product_id} to have {bound} {count} key{'' if count == 1 else 's'} "
        f"in stock, got {held}"
    )
