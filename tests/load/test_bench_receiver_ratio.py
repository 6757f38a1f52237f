"""bench_receiver pairs each receiver round with the bare round measured beside it."""

from __future__ import annotations

from benchmarks._loadgen import LoadResult
from benchmarks.bench_receiver import _ratio, _Round


def load(rps: float, p99_ms: float = 1.0, cpu_us: float = 50.0) -> _Round:
    return _Round(
        LoadResult(rps=rps, p50_ms=0.5, p99_ms=p99_ms, errors=0, statuses={200: 100}), cpu_us
    )


def test_the_round_with_the_median_ratio_is_reported_with_the_spread() -> None:
    # Per-round ratios 0.4, 0.6 and 0.7; medians per server (700 / 1000) would pair rounds
    # measured at different speeds of the machine.
    subject = [load(400, 9.0, 240), load(900, 5.0, 160), load(700, 3.0, 130)]
    bare = [load(1000, 2.0, 40), load(1500, 1.5, 45), load(1000, 1.0, 50)]

    ratio = _ratio("receiver", subject, bare, "SQLite")

    assert (ratio.figure, ratio.baseline, ratio.ratio) == (900, 1500, 0.6)
    assert ratio.spread == (0.4, 0.7)
    assert ratio.note == (
        "SQLite; the round of the median ratio of 3 paired rounds; 32 connections; "
        "p99 5.0 ms vs 1.5 ms; server CPU per request 160 µs vs 45 µs"
    )
