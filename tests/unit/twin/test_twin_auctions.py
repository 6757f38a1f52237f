"""Auctions: the derived ladder of a product, the choice of a seller and the catalog's hold."""

from __future__ import annotations

from harness.twin.auctions import Auction, cheapest_meeting, derived_auctions
from harness.twin.catalog import Catalog, generate_products
from harness.twin.credentials import SANDBOX_PRODUCT_IDS

PRODUCT = SANDBOX_PRODUCT_IDS[0]


def test_the_derived_ladder_is_deterministic_per_seed_and_product() -> None:
    ladder = derived_auctions(2026, PRODUCT, 10.0)
    assert ladder == derived_auctions(2026, PRODUCT, 10.0)
    assert ladder != derived_auctions(2027, PRODUCT, 10.0)
    assert ladder != derived_auctions(2026, SANDBOX_PRODUCT_IDS[1], 10.0)
    assert [a.id for a in ladder] == [f"{PRODUCT}-1", f"{PRODUCT}-2", f"{PRODUCT}-3"]


def test_the_derived_ladder_starts_at_min_price_and_climbs_in_price_and_rating() -> None:
    for seed in range(50):
        ladder = derived_auctions(seed, PRODUCT, 17.345)
        assert ladder[0].price == 17.345
        prices, ratings = [a.price for a in ladder], [a.rating for a in ladder]
        assert prices == sorted(prices)
        assert ratings == sorted(ratings)
        assert all(round(price, 2) == price for price in prices[1:])  # cents
        assert 0.5 <= ratings[0] <= 0.75
        assert ratings[-1] < 1.0


def test_the_derived_ladder_follows_a_min_price_change() -> None:
    catalog = Catalog(generate_products(2026, 10), 2026)
    before = catalog.auctions(PRODUCT)
    assert before[0].price == catalog.get(PRODUCT)["minPrice"]  # type: ignore[index]
    catalog.update(PRODUCT, {"minPrice": 40.0})
    after = catalog.auctions(PRODUCT)
    assert after[0].price == 40.0
    assert [a.rating for a in after] == [a.rating for a in before]  # the same sellers
    assert after == derived_auctions(2026, PRODUCT, 40.0)


def test_the_derived_ladder_comes_from_the_seed_the_catalog_was_generated_with() -> None:
    for seed in (2026, 7):
        catalog = Catalog(generate_products(seed, 10), seed)
        price = float(catalog.get(PRODUCT)["minPrice"])  # type: ignore[index]
        assert catalog.auctions(PRODUCT) == derived_auctions(seed, PRODUCT, price)
    assert derived_auctions(7, PRODUCT, 10.0) != derived_auctions(2026, PRODUCT, 10.0)


def test_set_auctions_are_held_cheapest_first_until_a_price_change() -> None:
    catalog = Catalog(generate_products(2026, 10), 2026)
    held = catalog.set_auctions(PRODUCT, [Auction("b", 0.9, 12.0), Auction("a", 0.6, 9.5)])
    assert [a.id for a in held] == ["a", "b"]
    assert catalog.auctions(PRODUCT) == held
    assert catalog.get(PRODUCT)["minPrice"] == 9.5  # type: ignore[index]
    catalog.update(PRODUCT, {"qty": 1})
    assert catalog.auctions(PRODUCT) == held
    catalog.update(PRODUCT, {"minPrice": 9.5})
    assert catalog.auctions(PRODUCT) == derived_auctions(2026, PRODUCT, 9.5)


def test_the_cheapest_seller_rated_high_enough_is_chosen() -> None:
    ladder = (Auction("a", 0.6, 9.5), Auction("b", 0.9, 12.0), Auction("c", 0.8, 13.0))
    assert cheapest_meeting(ladder, 0.5) == ladder[0]
    assert cheapest_meeting(ladder, 0.7) == ladder[1]
    assert cheapest_meeting(ladder, 0.9) == ladder[1]  # at least: equal qualifies
    assert cheapest_meeting(ladder, 0.95) is None
