"""Wiring of the contract layer: the pact folder and consumer sessions against Pact's mock
server.

The consumer tests write their pacts into a folder of this session; the committed pacts of
contracts/pacts are replaced only once every consumer test of the collected consumer modules
passed (`pytest_runtest_logfinish`). A partial run (`-k token`, one node id, a failure) leaves
them as committed: a pact holding some of the interactions would verify just as green.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from _consumer import ConsumerSession

from harness.contracts.sources import PACT_DIR

os.environ.setdefault("PACT_DO_NOT_TRACK", "true")

CONSUMER_FIXTURE = "consumer"
# node ids of every consumer test in the consumer modules collected, whatever was selected
_expected: set[str] = set()
_passed: set[str] = set()
_written: list[Path] = []  # the session's pact folder, once a consumer test asked for it


def pytest_collectreport(report: pytest.CollectReport) -> None:
    """A module's collect report lists all its tests, before `-k` or a node id picks some."""
    for node in report.result:
        if isinstance(node, pytest.Item) and CONSUMER_FIXTURE in node.fixturenames:
            _expected.add(node.nodeid)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.nodeid not in _expected:
        return
    if report.when == "call" and report.passed:
        _passed.add(report.nodeid)
    elif report.failed:  # a failing set-up or tear-down
        _passed.discard(report.nodeid)


def pytest_runtest_logfinish(nodeid: str) -> None:
    """The last consumer test done, all of them passed: the session's pacts are the pacts."""
    if nodeid in _expected and _written and _passed == _expected:
        for pact in sorted(_written[0].glob("*.json")):
            PACT_DIR.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(pact, PACT_DIR / pact.name)
        _written.clear()


@pytest.fixture(scope="session")
def pact_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This session's pact folder: each consumer test's `write_file` merges into it."""
    folder = tmp_path_factory.mktemp("pacts")
    _written.append(folder)
    return folder


@pytest.fixture
def consumer(pact_dir: Path) -> Callable[[str], ConsumerSession]:
    return lambda provider: ConsumerSession(provider, pact_dir)
