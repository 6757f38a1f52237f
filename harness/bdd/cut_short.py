"""The test a stopped run cut short, reported as skipped: not run, cut short.

Stopped during a test (SIGTERM, which `g2a-harness run --max-time` sends, or Ctrl-C), pytest
writes junit.xml with an empty `<testcase>` for it, which a CI dashboard importing junit shows
as a test that passed. Reported as a skip before junit.xml is written, it reads `skipped`, with
the reason `not run: cut short`, as the run's results name it (`harness.run_results`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from harness.run_results import CUT_SHORT

NOT_RUN_CUT_SHORT = f"not run: {CUT_SHORT}"  # the skip's reason in junit.xml


class CutShortReporter:
    """Registered for a run that writes junit.xml (`--junitxml`). `where` is a scenario's
    `file:line` ("" for a test that is no scenario), which the skip names as its place. Each
    test started and not finished is cut short (several, on xdist's workers), but one already
    reported failed (a crashed worker's): junit.xml names it failed."""

    def __init__(self, where: Callable[[pytest.Item], str]) -> None:
        self._where = where
        self._running: dict[str, tuple[str, int | None, str]] = {}

    def pytest_runtest_logstart(self, nodeid: str, location: tuple[str, int | None, str]) -> None:
        self._running[nodeid] = location

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.failed:
            self._running.pop(report.nodeid, None)

    def pytest_runtest_logfinish(self, nodeid: str) -> None:
        self._running.pop(nodeid, None)

    @pytest.hookimpl(tryfirst=True)  # before junitxml writes its file
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        items = {item.nodeid: item for item in session.items}
        for nodeid, location in list(self._running.items()):
            item = items.get(nodeid)
            path, _, line = (self._where(item) if item is not None else "").rpartition(":")
            if not path:  # no scenario: the test's own place, its line 1-based as pytest.skip's
                path, line = location[0], str((location[1] or 0) + 1)
            skip = (path, int(line), NOT_RUN_CUT_SHORT)
            report = pytest.TestReport(nodeid, location, {}, "skipped", skip, "call")
            session.config.hook.pytest_runtest_logreport(report=report)


def explain_cut_short(junit: Path, why: str) -> None:
    """Add why the run stopped to the skip's reason in `junit` (a `g2a-harness run` knows it
    once pytest has ended): `not run: cut short (the run stopped after --max-time 600 s)`."""
    if not why or not junit.is_file():
        return
    text = junit.read_text(encoding="utf-8")
    junit.write_text(text.replace(NOT_RUN_CUT_SHORT, f"{NOT_RUN_CUT_SHORT} ({why})"), "utf-8")
