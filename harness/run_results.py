"""Reading the JSON-lines results the BDD plugin (`harness.bdd.plugin`) writes (`--g2a-results`)."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from harness.checklist import RunResult

_POLL_S = 0.1
DESELECTED = "deselected: "  # how a result deselected for the target begins its message
NOT_REACHED = "not reached"  # a `not run` result's message: the run stopped before the test
CUT_SHORT = "cut short"  # ... the run stopped while the test ran


def parse_line(line: str) -> dict[str, Any] | None:
    try:
        event = json.loads(line)
    except json.JSONDecodeError:
        return None
    return event if isinstance(event, dict) else None


def read_results(path: Path) -> list[RunResult]:
    """Every test record; a deselected test counts as skipped, with the reason."""
    if not path.exists():
        return []
    results = []
    for line in path.read_text(encoding="utf-8").splitlines():
        event = parse_line(line)
        if event is None or event.get("event") != "test":
            continue
        outcome = event["outcome"]
        message = event.get("message", "")
        if outcome == "deselected":
            outcome, message = "skipped", f"{DESELECTED}{message}"
        results.append(
            RunResult(
                nodeid=event["nodeid"],
                name=event.get("name", event["nodeid"]),
                outcome=outcome,
                markers=frozenset(event.get("markers", [])),
                message=message,
                step=event.get("step", ""),
                feature=event.get("feature", ""),
                where=event.get("where", ""),
            )
        )
    return results


def collected(path: Path) -> bool:
    """Whether pytest wrote its `collected` line: it knew its tests before it ended."""
    if not path.exists():
        return False
    lines = path.read_text(encoding="utf-8").splitlines()
    return any((event := parse_line(line)) and event.get("event") == "collected" for line in lines)


def stopped_by(results: list[RunResult], why: str) -> list[RunResult]:
    """The results, each `not run` one (a test the run did not finish) saying `why` the run
    stopped: `not reached (the run stopped after --max-time 6 s)`; unchanged without a `why`."""
    if not why:
        return results
    return [
        replace(r, message=f"{r.message} ({why})") if r.outcome == "not run" else r for r in results
    ]


def follow(path: Path, process: subprocess.Popen[bytes]) -> Iterator[dict[str, Any]]:
    """Yield events as they are appended, until the process ends and the file is drained.

    A `{"event": "tick"}` comes at every poll, so a caller can enforce a deadline.
    """
    offset = 0
    pending = ""
    while True:
        finished = process.poll() is not None
        if path.exists():
            with path.open(encoding="utf-8") as handle:
                handle.seek(offset)
                chunk = handle.read()
                offset = handle.tell()
            pending += chunk
            *lines, pending = pending.split("\n")
            for line in lines:
                event = parse_line(line)
                if event is not None:
                    yield event
        if finished:
            return
        yield {"event": "tick"}
        time.sleep(_POLL_S)
