"""The shared shape of a ratio benchmark and the alternating-median measurement."""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any, NamedTuple


@dataclass(frozen=True)
class Ratio:
    """One benchmark line: figure vs baseline, and whether the ratio meets its target.

    `higher_is_better` is True for throughput (ratio = figure / baseline >= target) and
    False for costs such as latency per call (ratio = figure / baseline <= target).
    `spread` is the lowest and highest ratio of a round's own figure and baseline, where the
    benchmark measures both in each round (None where it does not).
    """

    name: str
    figure: float
    baseline: float
    unit: str
    target: float
    higher_is_better: bool
    note: str = ""
    spread: tuple[float, float] | None = None

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


class Measured(NamedTuple):
    """A figure and its baseline, each the median of its rounds, and `Ratio.spread`."""

    figure: float
    baseline: float
    spread: tuple[float, float]


def paired(figures: Sequence[float], baselines: Sequence[float]) -> Measured:
    """The medians of rounds measured in pairs, and the lowest and highest ratio of a pair."""
    ratios = [f / b for f, b in zip(figures, baselines, strict=True)]
    return Measured(
        statistics.median(figures), statistics.median(baselines), (min(ratios), max(ratios))
    )


def alternating_median(
    subject: Callable[[], float], baseline: Callable[[], float], rounds: int
) -> Measured:
    """Run subject and baseline in turn `rounds` times: both medians, and the spread.

    Alternating in one process tree makes slow phases of the machine hit both sides alike.
    """
    return paired(*alternating_rounds([subject, baseline], rounds))


def alternating_rounds(measures: Sequence[Callable[[], float]], rounds: int) -> list[list[float]]:
    """Each round runs every measure in turn: what each measured, round by round."""
    runs: list[list[float]] = [[] for _ in measures]
    for _ in range(rounds):
        for measure, measured in zip(measures, runs, strict=True):
            measured.append(measure())
    return runs
