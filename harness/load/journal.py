"""The outcome journal: what the load users did, per idempotency key and per webhook event.

Locust's statistics say how fast and how often; the journal says *what happened*, which the
invariants need (which order each purchase was told it bought, which event ids were sent as
valid, duplicate, replayed or forged, and counters such as the adapter's retries). Workers ship
their entries to the master with their stats reports and a final handshake (see the
locustfile); the master (or a standalone process) writes one JSON document when Locust quits.
`gaps` names every worker whose entries did not all arrive: such a journal is incomplete.
Like Locust's statistics, it holds the run's last test: a web UI's Start after a Stop begins
it anew (`tests` counts them), so the verdict judges one test, its stats and journal alike.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

Entry = dict[str, Any]


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
    )
