"""Which task a load buyer runs next (pure, no I/O).

Every buyer whose repeat weight is above 0 opens with a purchase and its repeat, whatever the
dice: a short run of few tasks (a loaded machine's, the sandbox's slow crowd) then always
repeats a purchase with its key, so `no_double_payment` judges a repeat instead of drawing
none at times. Then tasks are drawn by their weights; one that needs an earlier purchase
(repeat, status, key_again) is a purchase until the buyer bought.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field

OPENING = ("purchase", "repeat")
NEEDS_A_PURCHASE = frozenset({"repeat", "status", "key_again"})


@dataclass
class BuyerTasks:
    weights: Mapping[str, int]
    rng: random.Random = field(default_factory=random.Random)
    chosen: int = 0

    def _drawn(self) -> str:
        opening = OPENING if self.weights.get("repeat", 0) > 0 else ()
        if self.chosen < len(opening):
            return opening[self.chosen]
        names = list(self.weights)
        return self.rng.choices(names, weights=[self.weights[n] for n in names])[0]

    def next(self, *, bought: bool) -> str:
        """The next task, `bought` saying whether the buyer made a purchase already."""
        task = self._drawn()
        self.chosen += 1
        return "purchase" if task in NEEDS_A_PURCHASE and not bought else task
