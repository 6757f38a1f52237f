"""The master's journal across a web UI's Stop then Start, and its Reset Stats: Locust's own
events fired at the locustfile's listeners, in a subprocess of its own (Locust patches the
process with gevent on import), with a stand-in for Locust's master runner and one worker `w`.

Before, a Start emptied the journal, so the invariants no longer judged the first test's
entries; the handshake's totals were kept across tests, so the second test's stop never waited
for a final report; and a Reset Stats left the evidence counting what the statistics no longer
did."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from harness.load.journal import Journal, read_journal
from harness.load.verdict import ReceiverRecord, forgeries_rejected

ROOT = Path(__file__).resolve().parents[2]

# Runs `steps` (a JSON list of [action, argument]) and writes the master's journal to a path.
DRIVER = """
import json, sys
from types import SimpleNamespace
from locust import events
from locust.runners import MasterRunner
from harness.load import locustfile

class Master(MasterRunner):
    stats = SimpleNamespace(start_time=1.0)

    def __init__(self) -> None:  # only what the locustfile's master listeners read
        self.clients = SimpleNamespace(all=[SimpleNamespace(id="w")])
        self.exceptions = {}

    def send_message(self, *args, **kwargs) -> None:
        pass

locustfile.FINAL_REPORT_GRACE_S = 0.5  # for a final report that never comes
# a run time the driver never reaches: no test here is ended by the clock
options = SimpleNamespace(g2a_run_time=3600)
environment = SimpleNamespace(runner=Master(), stop_timeout=0.0, parsed_options=options)
locustfile._environment = environment
locustfile._plan = lambda _: SimpleNamespace(journal_path=sys.argv[2])


def start(_) -> None:  # as Locust's master starts a test: its exceptions emptied, then the event
    environment.runner.exceptions = {}
    events.test_start.fire(environment=environment)


def stop(_) -> None:  # as Locust's master stops one
    events.test_stopping.fire(environment=environment)
    events.test_stop.fire(environment=environment)


def reset(_) -> None:  # as the web UI's Reset Stats: the event, then the statistics emptied
    events.reset_stats.fire()
    environment.runner.exceptions = {}


def finished(shipped, test) -> None:  # the worker's answer to the given test's g2a_finish
    message = SimpleNamespace(node_id="w", data={"shipped": shipped, "test": test})
    locustfile._worker_finished(environment, message)


steps = {
    "start": start,
    "ship": lambda entries: events.worker_report.fire(
        client_id="w", data={"g2a_journal": entries}
    ),
    "finished": lambda shipped: finished(shipped, locustfile._collected.tests),
    "late_finished": lambda shipped_and_test: finished(*shipped_and_test),
    "stop": stop,
    "reset": reset,
    "raise": lambda msg: environment.runner.log_exception("w", msg, f"Traceback: {msg}"),
}
for action, argument in json.loads(sys.argv[1]):
    steps[action](argument)
events.quit.fire(exit_code=0)  # the locustfile writes its journal
"""


def _master(tmp_path: Path, *steps: tuple[str, Any]) -> Journal:
    path = tmp_path / "journal.json"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", DRIVER, json.dumps(steps), str(path)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Uncaught exception in event handler" not in done.stderr, done.stderr[-3000:]
    return read_journal(path)


def _webhook(variant: str, event_id: str, status: int, answer: str) -> dict[str, Any]:
    return {"op": "webhook", "variant": variant, "event_id": event_id, "status": status,
            "answer": answer}  # fmt: skip


FORGED_ACCEPTED = _webhook("forged", "forged-1", 200, "accepted")
VALID = _webhook("valid", "valid-2", 200, "accepted")


def test_a_forgery_accepted_in_the_first_test_fails_the_verdict_after_a_stop_and_start(
    tmp_path: Path,
) -> None:
    journal = _master(
        tmp_path,
        ("start", None), ("ship", [FORGED_ACCEPTED]), ("finished", 1), ("stop", None),
        ("start", None), ("ship", [VALID]), ("finished", 2), ("stop", None),
    )  # fmt: skip
    receiver = ReceiverRecord(handled={"forged-1": 1, "valid-2": 1}, rejections={})

    check = forgeries_rejected(journal, receiver)

    assert check.passed is False
    assert check.detail.startswith(
        "1 forged or replayed deliveries were not refused; 1 forged events reached the handler"
    )
    assert journal.entries == [{**FORGED_ACCEPTED, "period": 1}, {**VALID, "period": 2}]
    assert journal.last_period().entries == [{**VALID, "period": 2}]
    assert (journal.tests, journal.gaps) == (2, [])


def test_the_second_test_s_stop_waits_for_its_own_final_report(tmp_path: Path) -> None:
    journal = _master(
        tmp_path,
        ("start", None), ("ship", [VALID] * 5), ("finished", 5), ("stop", None),
        ("start", None), ("ship", [VALID] * 3), ("stop", None),
    )  # fmt: skip

    assert journal.gaps == ["worker w: no final report (test 2)"]


def test_a_shortfall_of_the_first_test_is_not_named_again_at_the_second(tmp_path: Path) -> None:
    journal = _master(
        tmp_path,
        ("start", None), ("ship", [VALID] * 4), ("finished", 5), ("stop", None),
        ("start", None), ("ship", [VALID] * 3), ("finished", 8), ("stop", None),
    )  # fmt: skip

    assert journal.gaps == ["worker w: shipped 5 journal entries, 4 arrived (test 1)"]


def test_a_second_test_s_shortfall_is_counted_from_its_own_baseline(tmp_path: Path) -> None:
    journal = _master(
        tmp_path,
        ("start", None), ("ship", [VALID] * 5), ("finished", 5), ("stop", None),
        ("start", None), ("ship", [VALID] * 2), ("finished", 8), ("stop", None),
    )  # fmt: skip

    assert journal.gaps == ["worker w: shipped 3 journal entries, 2 arrived (test 2)"]


def test_a_reset_of_the_statistics_restarts_the_evidence_but_keeps_every_entry(
    tmp_path: Path,
) -> None:
    journal = _master(
        tmp_path,
        ("start", None), ("ship", [FORGED_ACCEPTED]), ("reset", None), ("ship", [VALID]),
        ("finished", 2), ("stop", None),
    )  # fmt: skip

    assert journal.entries == [{**FORGED_ACCEPTED, "period": 1}, {**VALID, "period": 2}]
    assert journal.last_period().entries == [{**VALID, "period": 2}]
    assert (journal.tests, journal.stats_resets, journal.gaps) == (1, 1, [])


def test_a_task_s_exception_in_the_first_test_stays_in_the_journal_after_a_stop_and_start(
    tmp_path: Path,
) -> None:
    journal = _master(
        tmp_path,
        ("start", None), ("raise", "KeyError: 'order'"), ("raise", "KeyError: 'order'"),
        ("finished", 0), ("stop", None),
        ("start", None), ("raise", "KeyError: 'order'"), ("finished", 0), ("stop", None),
    )  # fmt: skip

    assert journal.exceptions == [{"count": 3, "msg": "KeyError: 'order'", "nodes": ["w"]}]


def test_an_exception_before_a_reset_of_the_statistics_stays_in_the_journal(
    tmp_path: Path,
) -> None:
    journal = _master(
        tmp_path,
        ("start", None), ("raise", "ValueError: early"), ("reset", None),
        ("raise", "KeyError: 'order'"), ("finished", 0), ("stop", None),
    )  # fmt: skip

    assert journal.exceptions == [
        {"count": 1, "msg": "ValueError: early", "nodes": ["w"]},
        {"count": 1, "msg": "KeyError: 'order'", "nodes": ["w"]},
    ]


def test_an_exception_noted_as_a_test_stopped_is_not_counted_twice_by_a_later_reset(
    tmp_path: Path,
) -> None:
    journal = _master(
        tmp_path,
        ("start", None), ("raise", "KeyError: 'order'"), ("finished", 0), ("stop", None),
        ("reset", None),
        ("start", None), ("finished", 0), ("stop", None),  # the next Start keeps what was noted
    )  # fmt: skip

    assert journal.exceptions == [{"count": 1, "msg": "KeyError: 'order'", "nodes": ["w"]}]


def test_exceptions_that_differ_past_what_the_journal_shows_are_one_row(tmp_path: Path) -> None:
    long = "x" * 500
    journal = _master(
        tmp_path,
        ("start", None), ("raise", long + "1"), ("raise", long + "2"), ("finished", 0),
        ("stop", None),
    )  # fmt: skip

    assert journal.exceptions == [{"count": 2, "msg": long, "nodes": ["w"]}]


def test_a_late_final_report_of_the_first_test_is_not_taken_for_the_second_s(
    tmp_path: Path,
) -> None:
    journal = _master(
        tmp_path,
        ("start", None), ("ship", [VALID] * 5), ("stop", None),
        ("start", None), ("late_finished", [5, 1]), ("ship", [VALID] * 3), ("stop", None),
    )  # fmt: skip

    assert journal.gaps == [
        "worker w: no final report (test 1)",
        "worker w: no final report (test 2)",
    ]
