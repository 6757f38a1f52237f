"""How many catalogue pages a load buyer may browse (pure, no I/O).

A buyer browses one of the first pages at random; which pages exist it learns from page 1's
answer (`total` products, so many a page). Until then it browses page 1 only, so an answer
beyond the catalogue's end, empty by right, is never asked for and never counted a failure.
"""

from __future__ import annotations

import math
import random

MAX_BROWSED_PAGE = 5


class Catalogue:
    def __init__(self) -> None:
        self.pages = 1

    def next_page(self, rng: random.Random | None = None) -> int:
        return (rng or random).randint(1, min(MAX_BROWSED_PAGE, self.pages))

    def learn(self, *, page: int, total: int, docs: int) -> None:
        """Page 1's answer: `total` products in all, `docs` on it (a full page, or all)."""
        if page == 1 and docs > 0:
            self.pages = max(1, math.ceil(total / docs))
