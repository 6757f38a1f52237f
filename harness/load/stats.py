"""Locust's final statistics, read from its `--json-file` output.

Locust's `_stats.csv` is rewritten once a second by a background greenlet, so at shutdown it
can miss the last second of a run; the JSON file is written after the runner has quit (and,
distributed, after the workers' final reports), so the verdict uses it. Percentiles are
computed from the response-time histogram the same way Locust does.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
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

    def percentile(self, fraction: float) -> int:
        """Milliseconds within which `fraction` of the requests finished (Locust's method)."""
        within = int(self.requests * fraction)
        seen = 0
        for millis in sorted(self.response_times, reverse=True):
            seen += self.response_times[millis]
            if self.requests - seen <= within:
                return millis
        return 0


@dataclass(frozen=True)
class RunStats:
    operations: dict[str, OperationStats]

    @property
    def requests(self) -> int:
        return sum(op.requests for op in self.operations.values())

    @property
    def failures(self) -> int:
        return sum(op.failures for op in self.operations.values())

    @property
    def duration_s(self) -> float:
        if not self.operations:
            return 0.0
        start = min(op.started for op in self.operations.values())
        end = max(op.last for op in self.operations.values())
        return max(end - start, 0.0)

    @property
    def throughput_rps(self) -> float:
        duration = self.duration_s
        return self.requests / duration if duration > 0 else 0.0

    @property
    def error_ratio(self) -> float:
        return self.failures / self.requests if self.requests else 0.0

    def of_type(self, request_type: str) -> RunStats:
        """The operations of one kind: `adapter` calls, or `webhook` posts to the receiver."""
        return RunStats(
            {n: op for n, op in self.operations.items() if op.request_type == request_type}
        )


def _operation(raw: dict[str, Any]) -> OperationStats:
    return OperationStats(
        name=str(raw["name"]),
        request_type=str(raw["method"]),
        requests=int(raw["num_requests"]),
        failures=int(raw["num_failures"]),
        response_times={int(float(k)): int(v) for k, v in raw["response_times"].items()},
        started=float(raw["start_time"]),
        last=float(raw.get("last_request_timestamp") or raw["start_time"]),
    )


def read_stats(path: Path) -> RunStats:
    """Stats of a finished run; a missing file means Locust did not finish (no operations)."""
    if not path.exists():
        return RunStats({})
    entries = json.loads(path.read_text(encoding="utf-8"))
    operations: dict[str, OperationStats] = {}
    for raw in entries:
        op = _operation(raw)
        operations[op.name] = op
    return RunStats(operations)


def read_peak_users(history_csv: Path) -> int | None:
    """The most users that ran at once, from Locust's `_stats_history.csv` (one row a second,
    the whole crowd's count); None when Locust wrote no such file or no row."""
    if not history_csv.exists():
        return None
    with history_csv.open(encoding="utf-8", newline="") as rows:
        counts = [int(row["User Count"]) for row in csv.DictReader(rows)]
    return max(counts, default=None)
