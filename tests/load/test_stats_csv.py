"""`locust_stats.csv` is rewritten from the final JSON stats: Locust's own, rewritten once a
second, missed the run's last second (420 requests in the CSV, 422 in the verdict). Its columns
are Locust's own, in Locust's order: the rewrite first dropped average, minimum, maximum and
content size, so its header differed from Locust's."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

from harness.load.stats import read_stats, write_stats_csv

FINAL_STATS = [
    {
        "name": "products.list", "method": "adapter", "num_requests": 300, "num_failures": 3,
        "num_none_requests": 0, "total_response_time": 4700.0, "min_response_time": 8,
        "max_response_time": 123, "total_content_length": 91500,
        "response_times": {"10": 200, "20": 90, "120": 10},
        "start_time": 1000.0, "last_request_timestamp": 1020.0,
    },
    {
        "name": "webhook.valid", "method": "webhook", "num_requests": 122, "num_failures": 0,
        "num_none_requests": 0, "total_response_time": 610.0, "min_response_time": 4,
        "max_response_time": 6, "total_content_length": 0,
        "response_times": {"5": 122}, "start_time": 1001.0, "last_request_timestamp": 1021.0,
    },
]  # fmt: skip

# Locust's own header, asked of Locust in a process of its own (it monkey-patches on import)
LOCUST_HEADER = """
from locust.env import Environment
from locust.stats import PERCENTILES_TO_REPORT, StatsCSV
print(",".join(StatsCSV(Environment(), PERCENTILES_TO_REPORT).requests_csv_columns))
"""


def _written(tmp_path: Path) -> str:
    (tmp_path / "locust_stats.json").write_text(json.dumps(FINAL_STATS))
    stats = read_stats(tmp_path / "locust_stats.json")
    write_stats_csv(tmp_path / "locust_stats.csv", stats)  # no test start said
    return (tmp_path / "locust_stats.csv").read_text()


def test_the_header_is_locusts_own(tmp_path: Path) -> None:
    locust = subprocess.run(
        [sys.executable, "-c", LOCUST_HEADER], capture_output=True, text=True, check=True
    )
    assert _written(tmp_path).splitlines()[0] == locust.stdout.strip()


def test_the_csv_counts_what_the_json_counts(tmp_path: Path) -> None:
    text = _written(tmp_path)
    assert text.splitlines() == [
        "Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,"
        "Min Response Time,Max Response Time,Average Content Size,Requests/s,Failures/s,"
        "50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%",
        # each row's rates over the whole run (1000 to 1021): from its first request, as no
        # test start was said
        f"adapter,products.list,300,3,10,15.666666666666666,8,123,305.0,{300 / 21},{3 / 21},"
        "10,10,20,20,20,20,120,120,120,120,120",
        f"webhook,webhook.valid,122,0,5,5.0,4,6,0.0,{122 / 21},0.0,5,5,5,5,5,5,5,5,5,5,5",
        ",Aggregated,422,3,10,12.582938388625593,4,123,216.82464454976304,20.095238095238095,"
        "0.14285714285714285,10,10,10,20,20,20,120,120,120,120,120",
    ]
    rows = list(csv.DictReader(text.splitlines()))
    assert rows[-1]["Request Count"] == "422"
    assert float(rows[0]["Average Response Time"]) == 4700.0 / 300
    assert float(rows[-1]["Average Response Time"]) == (4700.0 + 610.0) / 422
    assert float(rows[-1]["Average Content Size"]) == 91500 / 422


# Locust (in a process of its own) resets its stats, waits as a test's first users would before
# their first request, logs requests, then prints its own `_stats.csv` rows, writes its JSON
# stats and prints when its stats were reset (what the locustfile records in the journal).
# Locust stamps each request twice, on its total and then on its row, with two reads of the
# clock; the saved JSON holds only the rows, and Locust's rates run to the total's stamp. A
# busy machine once put 72 µs between the two reads (CI: 1.52437 against 1.52454 req/s), so
# the run reads a clock that moves only when it sleeps, and the rates must agree exactly.
LOCUST_RUN = """
import csv, json, sys, types
import locust.stats
from locust.env import Environment
from locust.stats import PERCENTILES_TO_REPORT, StatsCSV, save_stats_json

now = [1_800_000_000.25]
locust.stats.time = types.SimpleNamespace(time=lambda: now[0])

def sleep(seconds):
    now[0] += seconds

environment = Environment()
environment.stats.reset_all()  # as a test starts
sleep(0.5)
for request_type, name, response_time in [
    ("adapter", "orders.purchase", 40), ("adapter", "products.list", 5),
    ("webhook", "webhook.valid", 3), ("adapter", "products.list", 6),
]:
    environment.stats.log_request(request_type, name, response_time, 0)
    sleep(0.05)
environment.stats.log_error("adapter", "products.list", "boom")
StatsCSV(environment, PERCENTILES_TO_REPORT).requests_csv(csv.writer(sys.stdout))
save_stats_json(environment.stats, sys.argv[1])
print(repr(environment.stats.start_time), file=sys.stderr)
"""


def test_the_rates_run_from_the_tests_start_as_locusts_do(tmp_path: Path) -> None:
    """The rates ran from the first request: 0.5 s later than Locust's, which run from the
    test's start (when its stats were reset), they came out about three times Locust's."""
    locust = subprocess.run(
        [sys.executable, "-c", LOCUST_RUN, str(tmp_path / "locust_stats")],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    test_started = float(locust.stderr.strip())
    write_stats_csv(tmp_path / "ours.csv", read_stats(tmp_path / "locust_stats.json", test_started))

    theirs = list(csv.DictReader(locust.stdout.splitlines()))
    ours = list(csv.DictReader((tmp_path / "ours.csv").read_text().splitlines()))
    assert [row["Name"] for row in ours] == [row["Name"] for row in theirs]
    for mine, locusts in zip(ours, theirs, strict=True):
        for rate in ("Requests/s", "Failures/s"):
            assert float(mine[rate]) == float(locusts[rate]), (
                mine["Name"], rate, mine[rate], locusts[rate]
            )  # fmt: skip
    assert float(ours[-1]["Requests/s"]) < 4 / 0.5  # over at least the 0.5 s before the first
