"""The outcome journal: what the load users did, per idempotency key and per webhook event.

Locust's statistics say how fast and how often; the journal says *what happened*, which the
invariants need (which order each purchase was told it bought, which event ids were sent as
valid, duplicate, replayed or forged, and counters such as the adapter's retries). Workers ship
their entries to the master with their stats reports and a final handshake (see the
locustfile); the master (or a standalone process) writes one JSON document when Locust quits.
`gaps` names every worker whose entries did not all arrive: such a journal is incomplete.

A run can hold several statistics periods: Locust resets its statistics at each test's start
(a web UI's Start after a Stop begins another test: `tests` counts them) and at its web UI's
Reset Stats (`stats_resets`). Every entry is tagged with the period it arrived in (`PERIOD`,
from 1): the invariants judge every entry of the run, as the twin's orders and the receiver's
record span it all, while the evidence counts set against Locust's statistics are the last
period's (`last_period`). An entry is tagged as it reaches the master (or, standalone, the
journal), so one a worker shipped just before a Reset Stats may count in the next period, as
its requests do in Locust's statistics. Locust's user exceptions, which it empties at each
Start and Reset Stats, are kept across periods (`ExceptionTally`): `exceptions` is the run's.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

Entry = dict[str, Any]
PERIOD = "period"  # an entry's statistics period (see above)


@dataclass
class Journal:
    entries: list[Entry] = field(default_factory=list)
    exceptions: list[dict[str, Any]] = field(default_factory=list)
    exit_code: int | None = None
    gaps: list[str] = field(default_factory=list)
    # when Locust last reset its statistics (epoch seconds), as the last test started or at a
    # later Reset Stats: its rates run from it; None when the run did not say (it crashed
    # before Locust quit)
    test_started: float | None = None
    tests: int = 0  # tests the run held (more than one: a web UI's Start after a Stop)
    stats_resets: int = 0  # the web UI's Reset Stats the run saw
    workers_joined: int | None = None  # workers that joined the master; None: no master

    @property
    def period(self) -> int:
        """The statistics period entries now join: one more at each start and Reset Stats."""
        return self.tests + self.stats_resets

    def add(self, entries: Iterable[Entry]) -> None:
        """Entries that arrived now, tagged with the current period."""
        self.entries.extend({**entry, PERIOD: self.period} for entry in entries)

    def last_period(self) -> Journal:
        """The journal of the last statistics period: the evidence Locust's statistics count
        (an entry without a period, written before periods were, counts as the last's)."""
        last = [e for e in self.entries if e.get(PERIOD, self.period) == self.period]
        return replace(self, entries=last)

    def purchases(self) -> list[Entry]:
        return [e for e in self.entries if e.get("op") == "purchase"]

    def webhooks(self) -> list[Entry]:
        return [e for e in self.entries if e.get("op") == "webhook"]

    def counter(self, name: str) -> int:
        """Sum of a counter the users reported (e.g. the adapter's retries)."""
        return sum(int(e.get("value", 0)) for e in self.entries if e.get("counter") == name)


class ExceptionTally:
    """Locust's user exceptions of the whole run. Locust empties `runner.exceptions` as each
    test starts (before its `test_start`) and at its web UI's Reset Stats (after `reset_stats`):
    what a test stopped with is noted at `test_stop` and kept once the next test starts; what a
    Reset Stats empties is kept at once. Kept rows merge by message (counts add, nodes join)."""

    def __init__(self) -> None:
        self._kept: dict[str, dict[str, Any]] = {}
        self._at_stop: list[dict[str, Any]] = []

    def test_stopped(self, rows: Iterable[Mapping[str, Any]]) -> None:
        """A test stopped with these rows of `runner.exceptions` (the next start empties them)."""
        self._at_stop = [dict(row, nodes=set(row["nodes"])) for row in rows]

    def test_started(self) -> None:
        """A test started, Locust's rows emptied: what the last test stopped with is kept."""
        self._keep(self._at_stop)
        self._at_stop = []

    def about_to_reset(self, rows: Iterable[Mapping[str, Any]]) -> None:
        """Reset Stats is about to empty these rows of `runner.exceptions`: they are kept
        (with what a stopped test noted, which they hold)."""
        self._keep(rows)
        self._at_stop = []

    def of_run(self, rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """Every exception of the run, given `runner.exceptions`' rows now, in the journal's form:
        count, message (its first 500 characters) and nodes."""
        run = ExceptionTally()
        run._keep(self._kept.values())
        run._keep(rows)
        return [
            {"count": row["count"], "msg": row["msg"], "nodes": sorted(row["nodes"])}
            for row in run._kept.values()
        ]

    def _keep(self, rows: Iterable[Mapping[str, Any]]) -> None:
        """Merged by message as the journal shows it (its first 500 characters)."""
        for row in rows:
            msg = str(row["msg"])[:500]
            kept = self._kept.setdefault(msg, {"count": 0, "msg": msg, "nodes": set()})
            kept["count"] += row["count"]
            kept["nodes"] |= set(row["nodes"])


def write_journal(path: Path, journal: Journal) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "entries": journal.entries,
        "exceptions": journal.exceptions,
        "exit_code": journal.exit_code,
        "gaps": journal.gaps,
        "test_started": journal.test_started,
        "tests": journal.tests,
        "stats_resets": journal.stats_resets,
        "workers_joined": journal.workers_joined,
    }
    path.write_text(json.dumps(document), encoding="utf-8")


def read_journal(path: Path) -> Journal:
    """The journal of a finished run; a missing file is an empty journal (the run crashed)."""
    if not path.exists():
        return Journal()
    document = json.loads(path.read_text(encoding="utf-8"))
    return Journal(
        entries=list(document.get("entries", [])),
        exceptions=list(document.get("exceptions", [])),
        exit_code=document.get("exit_code"),
        gaps=list(document.get("gaps", [])),
        test_started=document.get("test_started"),
        tests=int(document.get("tests", 0)),
        stats_resets=int(document.get("stats_resets", 0)),
        workers_joined=document.get("workers_joined"),
    )
