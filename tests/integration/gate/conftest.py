"""A throwaway git repository, fresh evidence and live settings for end-to-end gate runs."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from gate_support import GateRun, commit, git, live_environment, write_reports

from harness.cli import main


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    path = tmp_path / "service"
    path.mkdir()
    git(path, "init", "-q", "-b", "main")
    commit(path, {"README.md": "export G2A_API_KEY=...\n", "app.py": "print('hi')\n"}, "init")
    return path


@pytest.fixture
def evidence(tmp_path: Path) -> Path:
    return write_reports(tmp_path / "reports", datetime.now(UTC))


@pytest.fixture
def live_env(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Live settings in the process environment; nothing else G2A_* leaks in."""
    import os

    for name in [n for n in os.environ if n.startswith("G2A_")]:
        monkeypatch.delenv(name)
    values = live_environment()
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return values


@pytest.fixture
def run_gate(
    repo: Path, evidence: Path, capsys: pytest.CaptureFixture[str]
) -> Callable[..., GateRun]:
    """`g2a-harness gate --target twin --evidence <tmp> --repo <tmp repo> [args]` in-process."""

    def run(*args: str, target: str = "twin") -> GateRun:
        argv = ["gate", "--target", target, "--evidence", str(evidence), "--repo", str(repo)]
        code = main([*argv, *args])
        out = capsys.readouterr().out
        report = json.loads((evidence / "gate.json").read_text())
        return GateRun(code, out, report, (evidence / "gate.md").read_text())

    return run
