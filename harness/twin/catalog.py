"""A deterministic product catalog generated from a seed, indexed by id.

Every product carries every field G2A's fixture documents plus the newer fields seen in
clients. Encoded JSON is cached per product so hot reads never re-serialize or copy. The
auctions set for a product are kept beside it, never in its JSON (see `auctions`).
"""

from __future__ import annotations

import functools
import json
import random
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any

from harness.twin.auctions import Auction, cheapest_first, derived_auctions
from harness.twin.credentials import SANDBOX_PRODUCT_IDS

Product = dict[str, Any]

_PLATFORMS: tuple[tuple[str, str], ...] = (
    ("Steam", "Steam Key"),
    ("Steam", "Steam Gift"),
    ("Origin", "Origin Key"),
    ("Ubisoft Connect", "Ubisoft Connect Key"),
    ("GOG.com", "GOG.com Key"),
    ("Epic Games", "Epic Games Key"),
    ("Battle.net", "Battle.net Key"),
    ("Rockstar", "Rockstar Key"),
    ("Xbox Live", "Xbox Live Key"),
    ("PSN", "PSN Key"),
    ("Nintendo eShop", "Nintendo eShop Key"),
)
_CONSOLES = frozenset({"Xbox Live", "PSN", "Nintendo eShop"})
_REGIONS = (
    "GLOBAL",
    "GLOBAL",
    "GLOBAL",
    "EUROPE",
    "EUROPE",
    "NORTH AMERICA",
    "UNITED STATES",
    "UNITED KINGDOM",
    "LATAM",
    "ASIA",
)
_FIRST = (
    "Iron",
    "Crimson",
    "Silent",
    "Hollow",
    "Last",
    "Frozen",
    "Shattered",
    "Neon",
    "Ancient",
    "Broken",
    "Eternal",
    "Forgotten",
    "Savage",
    "Golden",
    "Dark",
    "Stellar",
    "Wild",
    "Lost",
)
_SECOND = (
    "Harbor",
    "Legion",
    "Frontier",
    "Kingdom",
    "Empire",
    "Horizon",
    "Dungeon",
    "Protocol",
    "Odyssey",
    "Citadel",
    "Outpost",
    "Colony",
    "Arena",
    "Chronicles",
    "Tactics",
    "Saga",
)
_SUFFIX = (
    "",
    "",
    "",
    " 2",
    " 3",
    " Remastered",
    " Deluxe Edition",
    " Gold Edition",
    ": Tides of War",
    ": Definitive Edition",
    " - Season Pass",
    " GOTY Edition",
)
_STUDIOS = (
    ("Northlight Games", "Paradox Interactive"),
    ("Blue Fjord", "Focus Entertainment"),
    ("Kestrel Studio", "Devolver Digital"),
    ("Vistula Works", "CD PROJEKT RED"),
    ("Ember Forge", "Electronic Arts"),
    ("Quiet Owl", "Ubisoft"),
    ("Harbor Pixel", "Bandai Namco"),
    ("Red Mesa", "2K"),
    ("Polar Byte", "THQ Nordic"),
    ("Copper Cat", "Team17"),
)
_CATEGORIES = (
    "Action",
    "Adventure",
    "RPG",
    "Strategy",
    "Simulation",
    "Indie",
    "Racing",
    "Sports",
    "Shooter",
    "Puzzle",
)
_EPOCH = datetime(2024, 1, 1)
_SANDBOX_NAMES = {
    "10000068865001": (
        "Star Wars Battlefront 2 (2017) Origin Key GLOBAL",
        "Origin",
        "EA DICE",
        "Electronic Arts",
    ),
}


def _restrictions(rng: random.Random) -> dict[str, bool]:
    return {
        flag: rng.random() < 0.2
        for flag in (
            "pegi_violence",
            "pegi_profanity",
            "pegi_discrimination",
            "pegi_drugs",
            "pegi_fear",
            "pegi_gambling",
            "pegi_online",
            "pegi_sex",
        )
    }


def _requirements(rng: random.Random) -> dict[str, dict[str, str]]:
    ram = rng.choice((4, 8, 16))
    disk = rng.choice((10, 25, 50, 80))
    return {
        level: {
            "reqprocessor": f"Intel Core i{3 + 2 * step} or AMD Ryzen {3 + 2 * step}",
            "reqgraphics": f"{2 + 2 * step} GB VRAM, DirectX 12",
            "reqmemory": f"{ram * (1 + step)} GB RAM",
            "reqdiskspace": f"{disk} GB",
            "reqsystem": "Windows 10 64-bit",
            "reqother": "Broadband Internet connection" if step else "",
        }
        for step, level in enumerate(("minimal", "recommended"))
    }


def make_product(product_id: str, rng: random.Random) -> Product:
    """One realistic product; deterministic for a given rng state."""
    platform, kind = rng.choice(_PLATFORMS)
    region = rng.choice(_REGIONS)
    title = f"{rng.choice(_FIRST)} {rng.choice(_SECOND)}{rng.choice(_SUFFIX)}"
    developer, publisher = rng.choice(_STUDIOS)
    if product_id in _SANDBOX_NAMES:
        name, platform, developer, publisher = _SANDBOX_NAMES[product_id]
    else:
        name = f"{title} {kind} {region}"
    price = round(rng.uniform(0.99, 69.99), 2)
    qty = 0 if rng.random() < 0.1 else rng.randint(1, 250)
    updated = _EPOCH + timedelta(seconds=rng.randint(0, 2 * 365 * 86400))
    released = _EPOCH - timedelta(days=rng.randint(30, 3650))
    slug = "/" + "-".join(name.lower().replace(":", "").replace("(", "").replace(")", "").split())
    image = f"{rng.getrandbits(48):012x}"
    restrictions = _restrictions(rng)
    requirements = _requirements(rng)
    return {
        "id": product_id,
        "name": name,
        "type": "egoods",
        "slug": f"{slug}-i{product_id}",
        "qty": qty,
        "minPrice": price,
        "retail_min_price": round(price * 1.12, 2),
        "retailMinBasePrice": round(price * 1.05, 2),
        "availableToBuy": qty > 0,
        "priceLimit": {"min": round(price * 0.5, 2), "max": round(price * 3, 2)},
        "thumbnail": f"https://images.g2a.com/images/58x58/0x1x1/{image}",
        "smallImage": f"https://images.g2a.com/images/230x336/0x1x1/{image}",
        "coverImage": f"https://images.g2a.com/images/1024x768/0x1x1/{image}",
        "images": [f"https://images.g2a.com/images/1024x768/0x1x1/{image}-{n}" for n in (1, 2)],
        "description": f"<p><strong>{name}</strong> on {platform}. Region: {region}.</p>",
        "region": region,
        "developer": developer,
        "publisher": publisher,
        "platform": platform,
        "release_date": released.strftime("%Y-%m-%d"),
        "updated_at": updated.strftime("%Y-%m-%d %H:%M:%S"),
        "restrictions": restrictions,
        # G2A's PHP backend writes an empty map as `[]`: console keys have no PC requirements
        "requirements": [] if platform in _CONSOLES else requirements,
        "videos": [{"type": "YOUTUBE", "url": f"https://www.youtube.com/embed/{image[:11]}"}],
        "categories": sorted(rng.sample(_CATEGORIES, rng.randint(1, 3))),
    }


def generate_products(seed: int, size: int) -> list[Product]:
    """`size` products (at least the four sandbox ids), the same list for the same seed.

    Fresh objects every call (callers mutate them); generation is cached as JSON text, so a
    reset costs a parse, not a regeneration.
    """
    parsed: list[Product] = json.loads(_generated_json(seed, size))
    return parsed


@functools.lru_cache(maxsize=8)
def _generated_json(seed: int, size: int) -> str:
    rng = random.Random(seed)
    ids: set[str] = set(SANDBOX_PRODUCT_IDS)
    while len(ids) < max(size, len(SANDBOX_PRODUCT_IDS)):
        ids.add(f"1000{rng.randint(0, 9_999_999):07d}{rng.randint(1, 9):03d}")
    products = [make_product(pid, random.Random(f"{seed}:{pid}")) for pid in sorted(ids)]
    for product in products:
        if product["id"] in SANDBOX_PRODUCT_IDS:
            product["qty"] = max(product["qty"], 100)
            product["availableToBuy"] = True
    return json.dumps(products)


_MAX_LISTINGS = 32  # rendered listings kept at once (distinct queries), to bound memory


class Catalog:
    """Products by id, in id order, with each product's JSON encoded once and rendered
    listings kept until the next change, and the auctions set for some of them. `seed` is the
    one the products came from: the derived auction ladders come from it too."""

    def __init__(self, products: Iterable[Product], seed: int) -> None:
        self.seed = seed
        self._by_id: dict[str, Product] = {}
        self._encoded: dict[str, bytes] = {}
        self._listings: dict[Hashable, bytes] = {}
        self._auctions: dict[str, tuple[Auction, ...]] = {}
        for product in products:
            self._by_id[str(product["id"])] = product
        self._order = sorted(self._by_id)

    def __len__(self) -> int:
        return len(self._by_id)

    def __iter__(self) -> Iterator[Product]:
        return (self._by_id[pid] for pid in self._order)

    def get(self, product_id: str) -> Product | None:
        return self._by_id.get(product_id)

    def encoded(self, product_id: str) -> bytes:
        cached = self._encoded.get(product_id)
        if cached is None:
            cached = json.dumps(self._by_id[product_id]).encode()
            self._encoded[product_id] = cached
        return cached

    def listing(self, key: Hashable, render: Callable[[], bytes]) -> bytes:
        """`render()`, memoised under `key` (everything the listing depends on besides the
        products) until the catalog changes; what `render` raises is not memoised."""
        cached = self._listings.get(key)
        if cached is None:
            cached = render()
            if len(self._listings) >= _MAX_LISTINGS:
                self._listings.clear()
            self._listings[key] = cached
        return cached

    def update(self, product_id: str, fields: dict[str, Any]) -> Product:
        """Change fields of one product (KeyError if unknown); `id` cannot change.

        A new `minPrice` drops the auctions set for the product: its derived ladder, priced
        from the new `minPrice`, takes their place.
        """
        product = self._by_id[product_id]
        fields = {k: v for k, v in fields.items() if k != "id"}
        product.update(fields)
        if "qty" in fields and "availableToBuy" not in fields:
            product["availableToBuy"] = int(product["qty"]) > 0
        if "minPrice" in fields:
            self._auctions.pop(product_id, None)
        self._changed(product_id)
        return product

    def remove(self, product_id: str) -> None:
        if self._by_id.pop(product_id, None) is not None:
            self._order.remove(product_id)
            self._auctions.pop(product_id, None)
            self._changed(product_id)

    def add(self, product: Product) -> None:
        pid = str(product["id"])
        if pid not in self._by_id:
            self._order.append(pid)
            self._order.sort()
        self._by_id[pid] = product
        self._auctions.pop(pid, None)
        self._changed(pid)

    def auctions(self, product_id: str) -> tuple[Auction, ...]:
        """The auctions of a product (KeyError if unknown), cheapest first: those set, else
        its ladder derived from the catalog's seed at its current `minPrice`."""
        held = self._auctions.get(product_id)
        if held is not None:
            return held
        price = float(self._by_id[product_id]["minPrice"])
        return derived_auctions(self.seed, product_id, price)

    def set_auctions(self, product_id: str, auctions: Sequence[Auction]) -> tuple[Auction, ...]:
        """Hold these auctions (at least one) for a product, whose `minPrice` becomes the
        cheapest one's price; they stand until its `minPrice` is changed otherwise."""
        held = cheapest_first(auctions)
        self.update(product_id, {"minPrice": held[0].price})
        self._auctions[product_id] = held
        return held

    def _changed(self, product_id: str) -> None:
        self._encoded.pop(product_id, None)
        self._listings.clear()


def complete_product(partial: dict[str, Any], seed: int) -> Product:
    """A full product from a partial one: missing fields come from a generated template."""
    product_id = str(partial["id"])
    product = make_product(product_id, random.Random(f"{seed}:{product_id}"))
    product.update(partial)
    product["id"] = product_id
    if "qty" in partial and "availableToBuy" not in partial:
        product["availableToBuy"] = int(product["qty"]) > 0
    return product
