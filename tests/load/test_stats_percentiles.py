"""Median and percentiles as Locust computes them: over the timed requests only. Requests
reported without a response time (Locust's "none" requests) are in the request count but not in
the histogram; counting them in the denominator pulled every percentile down (a median of 0 ms
for 5 timed requests and 6 untimed ones). Locust's median also stays within min and max.

The locustfile reports float milliseconds: minimum, maximum and a median clamped to them are
Locust's floats (they were cut to whole milliseconds: 147 where Locust wrote 147.25), and a row
without requests has Locust's `N/A` percentiles (it had 0)."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

from harness.load.stats import read_stats, write_stats_csv

# Locust (in a process of its own: it monkey-patches on import) logs the requests given as JSON
# ([type, name, response time, content length] each), prints its own `_stats.csv` rows and writes
# its `--json-file` output (which resets its stats).
LOCUST_STATS = """
import csv, json, sys
from locust.env import Environment
from locust.stats import PERCENTILES_TO_REPORT, StatsCSV, save_stats_json

environment = Environment()
for request_type, name, response_time, length in json.loads(sys.argv[2]):
    environment.stats.log_request(request_type, name, response_time, length)
StatsCSV(environment, PERCENTILES_TO_REPORT).requests_csv(csv.writer(sys.stdout))
save_stats_json(environment.stats, sys.argv[1])
"""
WHOLE_MILLISECONDS = [
    *(["webhook", "webhook.valid", ms, 0] for ms in [5, 5, 5, 40, 120, *[None] * 6]),
    ["adapter", "orders.purchase", 147, 0],  # bucketed as 150
]
# exact in binary, so Locust's running total and the sum of the operations' totals agree
FLOAT_MILLISECONDS = [
    ["adapter", "orders.purchase", 147.25, 120],  # bucketed as 150: the median is the maximum
    *(["adapter", "products.list", ms, 3] for ms in [4.25, 4.75, 5.5, 9.125]),
    *(["webhook", "webhook.valid", ms, 0] for ms in [3.5, 3.75, None]),  # 4, 4: median the max
]

COMPARED = ["Type", "Name", "Request Count", "Median Response Time", "Average Response Time",
            "Min Response Time", "Max Response Time", "50%", "66%", "75%", "80%", "90%", "95%",
            "98%", "99%", "99.9%", "99.99%", "100%"]  # fmt: skip


def _rows(text: str, columns: list[str] = COMPARED) -> list[list[str]]:
    rows = list(csv.DictReader(text.splitlines()))
    return [[row[column] for column in columns] for row in rows]


def _locust_csv(tmp_path: Path, requests: list[list[object]]) -> str:
    """Locust's own `_stats.csv` rows for `requests`; its JSON stats as `locust_stats.json`."""
    locust = subprocess.run(
        [sys.executable, "-c", LOCUST_STATS, str(tmp_path / "locust_stats"), json.dumps(requests)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return locust.stdout


def _our_csv(tmp_path: Path) -> str:
    write_stats_csv(tmp_path / "ours.csv", read_stats(tmp_path / "locust_stats.json"))
    return (tmp_path / "ours.csv").read_text()


def test_the_stats_csv_has_locusts_medians_and_percentiles(tmp_path: Path) -> None:
    locust = subprocess.CompletedProcess(
        args=[], returncode=0, stdout=_locust_csv(tmp_path, WHOLE_MILLISECONDS)
    )
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
    _locust_csv(tmp_path, WHOLE_MILLISECONDS)
    valid = read_stats(tmp_path / "locust_stats.json").operations["webhook.valid"]
    assert (valid.requests, valid.untimed) == (11, 6)
    assert [valid.percentile(f) for f in (0.5, 0.66, 0.9)] == [5, 40, 120]
    assert valid.median_ms == 5


# every column but the rates: Locust divides by the time since its stats were reset, which its
# JSON output does not hold
ALL_BUT_RATES = [*COMPARED[:3], "Failure Count", *COMPARED[3:7], "Average Content Size",
                 *COMPARED[7:]]  # fmt: skip


def test_float_response_times_are_written_as_locust_writes_them(tmp_path: Path) -> None:
    locust = _locust_csv(tmp_path, FLOAT_MILLISECONDS)

    assert _rows(locust, ALL_BUT_RATES) == [
        ["adapter", "orders.purchase", "1", "0", "147.25", "147.25", "147.25", "147.25", "120.0",
         "150", "150", "150", "150", "150", "150", "150", "150", "150", "150", "150"],
        ["adapter", "products.list", "4", "0", "6", "5.90625", "4.25", "9.125", "3.0",
         "6", "6", "9", "9", "9", "9", "9", "9", "9", "9", "9"],
        ["webhook", "webhook.valid", "3", "0", "3.75", "3.625", "3.5", "3.75", "0.0",
         "4", "4", "4", "4", "4", "4", "4", "4", "4", "4", "4"],
        ["", "Aggregated", "8", "0", "5", "25.446428571428573", "3.5", "147.25", "16.5",
         "5", "6", "9", "9", "150", "150", "150", "150", "150", "150", "150"],
    ]  # fmt: skip
    assert _rows(_our_csv(tmp_path), ALL_BUT_RATES) == _rows(locust, ALL_BUT_RATES)


def test_a_run_without_requests_has_locusts_aggregated_row(tmp_path: Path) -> None:
    locust = _locust_csv(tmp_path, [])

    assert locust.splitlines()[1:] == [
        ",Aggregated,0,0,0,0.0,0,0,0,0.0,0.0,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A"
    ]
    assert _our_csv(tmp_path).splitlines()[1:] == locust.splitlines()[1:]
