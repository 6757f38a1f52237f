"""CI runs what the README tells a user to run: its second command, verbatim, as its last line
(the CI record is written on exit, with that command's status)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_ci_runs_the_readmes_test_command_verbatim_as_its_last_line() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    found = re.search(r"^# 2\..*\n(?P<command>.+)$", readme, re.MULTILINE)
    assert found is not None, "README lost its second command"
    command = found.group("command").strip()
    assert command.endswith("/tox")
    ci_lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert [line for line in ci_lines if line][-1] == command
