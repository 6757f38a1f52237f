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
its requests do in Locust's statistics.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
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
    # when Locust's statistics were reset as the test started (epoch seconds): its rates run
    # from it; None when the run did not say (it crashed before Locust quit)
    test_started: float | None = None
    tests: int = 0  # tests the run held (more than one: a web UI's Start after a Stop)
    stats_resets: int = 0  # the web UI's Reset Stats the run saw

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
    )
