"""load.json records what ran, not only what the profile declared: the measured duration,
the most users at once (Locust's stats history) and whether the run was a --web one."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.load.journal import Journal
from harness.load.profiles import get_profile
from harness.load.report import build_report
from harness.load.stats import OperationStats, RunStats, read_peak_users
from harness.load.verdict import Verdict

HISTORY = """\
Timestamp,User Count,Type,Name,Requests/s
1796512951,0,,Aggregated,0.000000
1796512952,4,,Aggregated,3.000000
1796512953,6,,Aggregated,9.000000
1796512954,2,,Aggregated,9.000000
"""


def test_the_peak_users_come_from_locust_s_stats_history(tmp_path: Path) -> None:
    history = tmp_path / "locust_stats_history.csv"
    history.write_text(HISTORY)
    assert read_peak_users(history) == 6
    history.write_text(HISTORY.splitlines()[0] + "\n")
    assert read_peak_users(history) is None
    assert read_peak_users(tmp_path / "absent.csv") is None


def test_the_peak_users_are_the_last_test_s_as_the_rest_of_measured(tmp_path: Path) -> None:
    """A web UI's Start after a Stop: Locust's history holds both tests, the rest of `measured`
    the last (from its start, the journal's `test_started`). Before, the peak was the run's."""
    history = tmp_path / "locust_stats_history.csv"
    second_test = "1796512955,0,,Aggregated,0.000000\n1796512956,3,,Aggregated,4.000000\n"
    history.write_text(HISTORY + second_test)
    assert read_peak_users(history, test_started=1796512955.6) == 3
    assert read_peak_users(history, test_started=1796512957.2) is None
    assert read_peak_users(history, test_started=None) == 6  # the run did not say: every row


def test_the_second_a_later_test_started_in_is_not_counted_as_its_own(tmp_path: Path) -> None:
    """Locust stamps a history row with the whole second it wrote it in, so the row of the
    second a later test (or statistics period) started in may be the one before: a web UI's
    Stop and Start within one second counted the first test's 6 users as the second's peak
    (seen in a run). The first test's own second holds no other test's users."""
    history = tmp_path / "locust_stats_history.csv"
    stopped_and_started = "1796512954,5,,Aggregated,0.000000\n1796512955,5,,Aggregated,4.0\n"
    history.write_text(HISTORY.replace("1796512954,2,", "1796512953,0,") + stopped_and_started)

    assert read_peak_users(history, test_started=1796512953.9, after_another=True) == 5
    assert read_peak_users(history, test_started=1796512955.2, after_another=True) is None
    assert read_peak_users(history, test_started=1796512953.9) == 6
    assert read_peak_users(history, test_started=1796512951.4) == 6


@pytest.mark.parametrize("web", [True, False])
def test_the_report_records_the_measured_run_and_web_mode(web: bool) -> None:
    """An operator stopped a --web smoke run after 8 s with 2 users: the report says so."""
    operation = OperationStats("products.list", "adapter", 60, 0, {10: 60}, 1000.0, 1008.0)
    report = build_report(
        profile=get_profile("smoke"),
        target="twin",
        workers=0,
        expected_workers=0,
        verdict=Verdict((), ()),
        stats=RunStats({"products.list": operation}),
        journal=Journal(tests=1),
        files={},
        web=web,
        peak_users=2,
    )

    assert (report["users"], report["run_time_s"]) == (6, 20)  # what it was started with
    assert report["web"] is web
    assert report["measured"] == {
        "duration_s": 8.0,
        "peak_users": 2,
        "tests": 1,
        "stats_resets": 0,
        "workers_joined": None,  # a standalone run: no master
    }
