"""The shared shape of a ratio benchmark and the alternating-median measurement."""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Ratio:
    """One benchmark line: figure vs baseline, and whether the ratio meets its target.

    `higher_is_better` is True for throughput (ratio = figure / baseline >= target) and
    False for costs such as latency per call (ratio = figure / baseline <= target).
    """

    name: str
    figure: float
    baseline: float
    unit: str
    target: float
    higher_is_better: bool
    note: str = ""

    @property
    def ratio(self) -> float:
        return self.figure / self.baseline if self.baseline else float("inf")

    @property
    def passed(self) -> bool:
        if self.higher_is_better:
            return self.ratio >= self.target
        return self.ratio <= self.target

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ratio": self.ratio, "passed": self.passed}


def alternating_median(
    subject: Callable[[], float], baseline: Callable[[], float], rounds: int
) -> tuple[float, float]:
    """Run subject and baseline in turn `rounds` times; return both medians.

    Alternating in one process tree makes slow phases of the machine hit both sides alike.
    """
    subject_median, baseline_median = alternating_medians([subject, baseline], rounds)
    return subject_median, baseline_median


def alternating_medians(measures: Sequence[Callable[[], float]], rounds: int) -> list[float]:
    """`alternating_median` for any number of measures: each round runs every one in turn."""
    runs: list[list[float]] = [[] for _ in measures]
    for _ in range(rounds):
        for measure, measured in zip(measures, runs, strict=True):
            measured.append(measure())
    return [statistics.median(measured) for measured in runs]
