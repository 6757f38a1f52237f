"""Auctions: each seller's offer of a product, from which `POST /v1/order` buys.

G2A picks the cheapest auction of a product, among those whose seller is rated at least the
order's `min_rating` (docs/g2a-api.md). G2A's product objects carry no auctions, only
`minPrice`, the cheapest one's price. A product whose auctions were not set through the admin
surface has a derived ladder: the same sellers for the same seed and product, priced from the
product's current `minPrice`, so a price change moves the whole ladder.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

# Each dearer auction of a derived ladder: (markup range over minPrice, seller rating range).
# The cheapest auction is at minPrice with a middling rating; no seller is rated 1.0, so a
# `min_rating` of 1.0 finds nothing.
_CHEAPEST_RATING = (0.55, 0.75)
_DEARER: tuple[tuple[tuple[float, float], tuple[float, float]], ...] = (
    ((1.04, 1.12), (0.80, 0.90)),
    ((1.15, 1.30), (0.91, 0.99)),
)


@dataclass(frozen=True, slots=True)
class Auction:
    id: str
    rating: float  # the seller's rating, 0..1
    price: float  # EUR

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "rating": self.rating, "price": self.price}


def auction_id(product_id: str, position: int) -> str:
    """The id of the `position`-th (from 1) auction of a product when none was given."""
    return f"{product_id}-{position}"


def cheapest_first(auctions: Iterable[Auction]) -> tuple[Auction, ...]:
    """`auctions` by price; equal prices keep their order."""
    return tuple(sorted(auctions, key=lambda auction: auction.price))


def derived_auctions(seed: int, product_id: str, min_price: float) -> tuple[Auction, ...]:
    """The ladder of a product whose auctions were not set, cheapest first.

    Ratings and markups depend only on `seed` and `product_id`; the cheapest is at exactly
    `min_price`, the dearer ones at a markup of it, rounded to cents (never below it).
    """
    rng = random.Random(f"{seed}:auctions:{product_id}")
    cheapest = Auction(auction_id(product_id, 1), _rating(rng, _CHEAPEST_RATING), min_price)
    dearer = (
        Auction(
            auction_id(product_id, position),
            _rating(rng, ratings),
            max(min_price, round(min_price * rng.uniform(*markups), 2)),
        )
        for position, (markups, ratings) in enumerate(_DEARER, start=2)
    )
    return (cheapest, *dearer)


def _rating(rng: random.Random, bounds: tuple[float, float]) -> float:
    return round(rng.uniform(*bounds), 2)


def cheapest_meeting(auctions: Iterable[Auction], min_rating: float) -> Auction | None:
    """The first of `auctions` (cheapest first) whose seller is rated at least `min_rating`."""
    return next((a for a in auctions if a.rating >= min_rating), None)
