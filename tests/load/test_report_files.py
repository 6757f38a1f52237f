"""The report dir holds this run's files only, and the verdict lists only files that exist."""

from __future__ import annotations

import io
from pathlib import Path

from rich.console import Console

from harness.load.report import print_verdict
from harness.load.runner import REPORT_FILES, _clean, _rewrite_stats_csv
from harness.load.stats import RunStats

PREVIOUS_RUN = (
    "load.json", "journal.json", "services.log", "locust.log", "locust.html",
    "locust_stats.json", "locust_stats.csv", "locust_stats_history.csv", "locust_failures.csv",
    "locust_exceptions.csv", "idempotency.sqlite3", "idempotency.sqlite3-wal",
)  # fmt: skip


def test_a_new_run_removes_every_file_a_previous_run_wrote(tmp_path: Path) -> None:
    for name in (*PREVIOUS_RUN, "notes.txt"):
        (tmp_path / name).write_text("from an earlier run")

    _clean(tmp_path)

    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]  # not the run's own


def test_the_verdict_lists_only_the_files_the_run_left(tmp_path: Path) -> None:
    """A run that crashed early wrote no Locust HTML or CSV: none is listed as this run's."""
    for name in ("load.json", "journal.json", "locust.log", "services.log"):
        (tmp_path / name).write_text("{}")
    report = {
        "profile": "smoke",
        "target": "twin",
        "passed": False,
        "workers": 0,
        "expected_workers": 0,
        "slos": [],
        "invariants": [],
        "files": REPORT_FILES,
    }
    out = io.StringIO()

    print_verdict(report, tmp_path, Console(file=out, width=200))

    listed = out.getvalue().split("reports:\n", 1)[1].splitlines()
    assert listed == [
        f"  {tmp_path / name}"
        for name in ("load.json", "journal.json", "locust.log", "services.log")
    ]


def test_without_final_stats_locusts_partial_csv_is_removed_and_said(tmp_path: Path) -> None:
    """Its header and counts differ from a rewritten one's: it was listed as a report."""
    partial = tmp_path / "locust_stats.csv"
    partial.write_text("Type,Name,Request Count\n,Aggregated,17\n")

    assert _rewrite_stats_csv(partial, RunStats({})) == [
        "locust_stats.csv removed: Locust left only a partial one, and no final stats"
    ]
    assert not partial.exists()
    assert _rewrite_stats_csv(partial, RunStats({})) == []  # none left: nothing to say


def test_the_verdict_prints_the_notes_on_its_files(tmp_path: Path) -> None:
    report = {
        "profile": "smoke", "target": "twin", "passed": False, "workers": 0,
        "expected_workers": 0, "slos": [], "invariants": [], "files": REPORT_FILES,
        "notes": ["locust_stats.csv removed: Locust left only a partial one, and no final stats"],
    }  # fmt: skip
    out = io.StringIO()

    print_verdict(report, tmp_path, Console(file=out, width=200))

    assert (
        "\nlocust_stats.csv removed: Locust left only a partial one, and no final stats\nreports:\n"
        in out.getvalue()
    )
