"""`locust_stats.csv` is rewritten from the final JSON stats: Locust's own, rewritten once a
second, missed the run's last second (420 requests in the CSV, 422 in the verdict)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from harness.load.stats import read_stats, write_stats_csv

FINAL_STATS = [
    {
        "name": "products.list", "method": "adapter", "num_requests": 300, "num_failures": 3,
        "response_times": {"10": 200, "20": 90, "120": 10},
        "start_time": 1000.0, "last_request_timestamp": 1020.0,
    },
    {
        "name": "webhook.valid", "method": "webhook", "num_requests": 122, "num_failures": 0,
        "response_times": {"5": 122}, "start_time": 1001.0, "last_request_timestamp": 1021.0,
    },
]  # fmt: skip


def test_the_csv_counts_what_the_json_counts(tmp_path: Path) -> None:
    (tmp_path / "locust_stats.json").write_text(json.dumps(FINAL_STATS))
    stats = read_stats(tmp_path / "locust_stats.json")

    write_stats_csv(tmp_path / "locust_stats.csv", stats)

    text = (tmp_path / "locust_stats.csv").read_text()
    assert text.splitlines() == [
        "Type,Name,Request Count,Failure Count,Median Response Time,Requests/s,Failures/s,"
        "50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%",
        "adapter,products.list,300,3,10,15.0,0.15,10,10,20,20,20,20,120,120,120,120,120",
        "webhook,webhook.valid,122,0,5,6.1,0.0,5,5,5,5,5,5,5,5,5,5,5",
        ",Aggregated,422,3,10,20.095238095238095,0.14285714285714285,"
        "10,10,10,20,20,20,120,120,120,120,120",
    ]
    rows = list(csv.DictReader(text.splitlines()))
    assert rows[-1]["Request Count"] == str(stats.requests) == "422"
