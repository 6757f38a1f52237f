"""Locust's final statistics, read from its `--json-file` output.

Locust's `_stats.csv` is rewritten once a second by a background greenlet, so at shutdown it
can miss the last second of a run; the JSON file is written after the runner has quit (and,
distributed, after the workers' final reports), so the verdict uses it, and the runner
rewrites the CSV from it (`write_stats_csv`). Percentiles are computed from the response-time
histogram the same way Locust does.
"""

from __future__ import annotations

import csv
import json
import math
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class OperationStats:
    name: str
    request_type: str
    requests: int
    failures: int
    response_times: dict[int, int]  # rounded milliseconds -> count
    started: float
    last: float
    total_response_ms: float = 0.0
    # Locust's exact times, as its JSON holds them (int or float milliseconds)
    min_response_ms: float | None = None  # None: no request was timed
    max_response_ms: float = 0
    total_content_bytes: int = 0
    untimed: int = 0  # requests reported without a response time (Locust's "none" requests)

    @property
    def average_ms(self) -> float:
        """Mean response time of the timed requests, as Locust computes it."""
        timed = self.requests - self.untimed
        return self.total_response_ms / timed if timed else 0.0

    @property
    def average_content_bytes(self) -> float:
        return self.total_content_bytes / self.requests if self.requests else 0  # Locust's 0

    def percentile(self, fraction: float) -> int:
        """Milliseconds within which `fraction` of the timed requests finished (Locust's
        `get_response_time_percentile`: untimed requests are not in the histogram, nor counted)."""
        timed = self.requests - self.untimed
        within = int(timed * fraction)
        seen = 0
        for millis in sorted(self.response_times, reverse=True):
            seen += self.response_times[millis]
            if timed - seen <= within:
                return millis
        return 0

    @property
    def median_ms(self) -> float:
        """Locust's `median_response_time`: the 50th percentile of the histogram's rounded
        buckets, kept within the exact minimum and maximum (then one of them, int or float)."""
        if not self.response_times:
            return 0
        median = self.percentile(0.5)
        if median > self.max_response_ms:
            return self.max_response_ms
        if self.min_response_ms is not None and median < self.min_response_ms:
            return self.min_response_ms
        return median

    @property
    def duration_s(self) -> float:
        """First to last request, in seconds."""
        return max(self.last - self.started, 0.0)

    def per_second(self, count: int) -> float:
        duration = self.duration_s
        return count / duration if duration > 0 else 0.0


@dataclass(frozen=True)
class RunStats:
    operations: dict[str, OperationStats]
    # when Locust reset its stats as the test started (epoch seconds; its JSON does not hold
    # it, the journal does): its rates run from it; None when the run did not say
    test_started: float | None = None

    @property
    def requests(self) -> int:
        return sum(op.requests for op in self.operations.values())

    @property
    def failures(self) -> int:
        return sum(op.failures for op in self.operations.values())

    @property
    def aggregated(self) -> OperationStats:
        """Every operation as one, named as in Locust's reports."""
        ops = self.operations.values()
        times: Counter[int] = Counter()
        for op in ops:
            times.update(op.response_times)
        return OperationStats(
            name="Aggregated",
            request_type="",
            requests=self.requests,
            failures=self.failures,
            response_times=dict(times),
            started=min((op.started for op in ops), default=0.0),
            last=max((op.last for op in ops), default=0.0),
            total_response_ms=sum(op.total_response_ms for op in ops),
            min_response_ms=min(
                (op.min_response_ms for op in ops if op.min_response_ms is not None), default=None
            ),
            max_response_ms=max((op.max_response_ms for op in ops), default=0),
            total_content_bytes=sum(op.total_content_bytes for op in ops),
            untimed=sum(op.untimed for op in ops),
        )

    @property
    def duration_s(self) -> float:
        """First to last request, in seconds (what ran)."""
        return self.aggregated.duration_s

    def per_second(self, count: int) -> float:
        """`count` per second as Locust's rates are: from the test's start (`test_started`;
        from the first request when the run did not say) to the run's last request."""
        run = self.aggregated
        if self.test_started is not None:
            run = replace(run, started=self.test_started)
        return run.per_second(count)

    @property
    def throughput_rps(self) -> float:
        """Requests per second, as Locust's `Aggregated` rate."""
        return self.per_second(self.requests)

    @property
    def error_ratio(self) -> float:
        return self.failures / self.requests if self.requests else 0.0

    def of_type(self, request_type: str) -> RunStats:
        """The operations of one kind: `adapter` calls, or `webhook` posts to the receiver."""
        return RunStats(
            {n: op for n, op in self.operations.items() if op.request_type == request_type},
            self.test_started,
        )


def _millis(value: Any) -> float:
    """A response time as Locust's JSON holds it: int or float, kept so, as Locust writes it."""
    return value if isinstance(value, int | float) else float(value)


def _operation(raw: dict[str, Any]) -> OperationStats:
    least = raw["min_response_time"]
    return OperationStats(
        name=str(raw["name"]),
        request_type=str(raw["method"]),
        requests=int(raw["num_requests"]),
        failures=int(raw["num_failures"]),
        response_times={int(float(k)): int(v) for k, v in raw["response_times"].items()},
        started=float(raw["start_time"]),
        last=float(raw.get("last_request_timestamp") or raw["start_time"]),
        total_response_ms=float(raw["total_response_time"]),
        min_response_ms=None if least is None else _millis(least),
        max_response_ms=_millis(raw["max_response_time"]),
        total_content_bytes=int(raw["total_content_length"]),
        untimed=int(raw["num_none_requests"]),
    )


def read_stats(path: Path, test_started: float | None = None) -> RunStats:
    """Stats of a finished run whose test started at `test_started` (the journal says when);
    a missing file means Locust did not finish (no operations)."""
    if not path.exists():
        return RunStats({}, test_started)
    entries = json.loads(path.read_text(encoding="utf-8"))
    operations: dict[str, OperationStats] = {}
    for raw in entries:
        op = _operation(raw)
        operations[op.name] = op
    return RunStats(operations, test_started)


# Locust's percentile columns of its `_stats.csv`
CSV_PERCENTILES = {
    "50%": 0.5, "66%": 0.66, "75%": 0.75, "80%": 0.8, "90%": 0.9, "95%": 0.95, "98%": 0.98,
    "99%": 0.99, "99.9%": 0.999, "99.99%": 0.9999, "100%": 1.0,
}  # fmt: skip


def _percentile_columns(op: OperationStats) -> list[int] | list[str]:
    """Locust's percentile columns of one row: `N/A` for a row without requests."""
    if not op.requests:
        return ["N/A"] * len(CSV_PERCENTILES)
    return [op.percentile(fraction) for fraction in CSV_PERCENTILES.values()]


def write_stats_csv(path: Path, stats: RunStats) -> None:
    """Locust's `_stats.csv`, from the final stats: one row per operation, then `Aggregated`,
    Locust's columns in Locust's order, so the CSV counts every request the verdict counted.
    Each row's rates are the run's (`RunStats.per_second`), as Locust's are."""
    header = ["Type", "Name", "Request Count", "Failure Count", "Median Response Time",
              "Average Response Time", "Min Response Time", "Max Response Time",
              "Average Content Size", "Requests/s", "Failures/s", *CSV_PERCENTILES]  # fmt: skip
    ops = [*sorted(stats.operations.values(), key=lambda o: (o.request_type, o.name))]
    with path.open("w", encoding="utf-8", newline="") as out:
        rows = csv.writer(out)
        rows.writerow(header)
        for op in (*ops, stats.aggregated):
            rows.writerow([
                op.request_type, op.name, op.requests, op.failures, op.median_ms,
                op.average_ms, op.min_response_ms or 0, op.max_response_ms,
                op.average_content_bytes, stats.per_second(op.requests),
                stats.per_second(op.failures),
                *_percentile_columns(op),
            ])  # fmt: skip


def read_peak_users(
    history_csv: Path, test_started: float | None = None, *, after_another: bool = False
) -> int | None:
    """The most users that ran at once since `test_started` (epoch seconds; every row when
    None), from Locust's `_stats_history.csv` (one row a second stamped with its whole second,
    the whole crowd's count, every test of the run); None when there is no such row.

    The row of the second the test started in may have been written before it started: it
    counts only for the run's first test, as no other test's users can be in it; after
    another test or statistics period (`after_another`), the rows start a second later."""
    if not history_csv.exists():
        return None
    since = None
    if test_started is not None:
        since = math.floor(test_started) + (1 if after_another else 0)
    with history_csv.open(encoding="utf-8", newline="") as rows:
        counts = [
            int(row["User Count"])
            for row in csv.DictReader(rows)
            if since is None or int(row["Timestamp"]) >= since
        ]
    return max(counts, default=None)
