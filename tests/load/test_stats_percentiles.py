"""Median and percentiles as Locust computes them: over the timed requests only. Requests
reported without a response time (Locust's "none" requests) are in the request count but not in
the histogram; counting them in the denominator pulled every percentile down (a median of 0 ms
for 5 timed requests and 6 untimed ones). Locust's median also stays within min and max."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

from harness.load.stats import read_stats, write_stats_csv

# Locust (in a process of its own: it monkey-patches on import) logs these requests, prints its
# own `_stats.csv` rows and writes its `--json-file` output (which resets its stats).
LOCUST_STATS = """
import csv, sys
from locust.env import Environment
from locust.stats import PERCENTILES_TO_REPORT, StatsCSV, save_stats_json

environment = Environment()
for response_time in [5, 5, 5, 40, 120, None, None, None, None, None, None]:
    environment.stats.log_request("webhook", "webhook.valid", response_time, 0)
environment.stats.log_request("adapter", "orders.purchase", 147, 0)  # bucketed as 150
StatsCSV(environment, PERCENTILES_TO_REPORT).requests_csv(csv.writer(sys.stdout))
save_stats_json(environment.stats, sys.argv[1])
"""

COMPARED = ["Type", "Name", "Request Count", "Median Response Time", "Average Response Time",
            "Min Response Time", "Max Response Time", "50%", "66%", "75%", "80%", "90%", "95%",
            "98%", "99%", "99.9%", "99.99%", "100%"]  # fmt: skip


def _rows(text: str) -> list[list[str]]:
    rows = list(csv.DictReader(text.splitlines()))
    return [[row[column] for column in COMPARED] for row in rows]


def test_the_stats_csv_has_locusts_medians_and_percentiles(tmp_path: Path) -> None:
    locust = subprocess.run(
        [sys.executable, "-c", LOCUST_STATS, str(tmp_path / "locust_stats")],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    write_stats_csv(tmp_path / "ours.csv", read_stats(tmp_path / "locust_stats.json"))

    assert _rows(locust.stdout) == [
        ["adapter", "orders.purchase", "1", "147", "147.0", "147", "147",
         "150", "150", "150", "150", "150", "150", "150", "150", "150", "150", "150"],
        ["webhook", "webhook.valid", "11", "5", "35.0", "5", "120",
         "5", "40", "40", "120", "120", "120", "120", "120", "120", "120", "120"],
        ["", "Aggregated", "12", "40", "53.666666666666664", "5", "147",
         "40", "40", "120", "120", "150", "150", "150", "150", "150", "150", "150"],
    ]  # fmt: skip
    assert _rows((tmp_path / "ours.csv").read_text()) == _rows(locust.stdout)


def test_a_percentile_leaves_untimed_requests_out(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-c", LOCUST_STATS, str(tmp_path / "locust_stats")],
        capture_output=True, check=True,
    )  # fmt: skip
    valid = read_stats(tmp_path / "locust_stats.json").operations["webhook.valid"]
    assert (valid.requests, valid.untimed) == (11, 6)
    assert [valid.percentile(f) for f in (0.5, 0.66, 0.9)] == [5, 40, 120]
    assert valid.median_ms == 5
