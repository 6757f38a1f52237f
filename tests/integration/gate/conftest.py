"""A throwaway git repository, fresh evidence and live settings for end-to-end gate runs."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from gate_support import live_environment, write_reports

from harness.cli import main

GIT = ["git", "-c", "user.name=Gate Test", "-c", "user.email=gate@example.invalid"]


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        [*GIT, "-C", str(repo), *args], check=True, capture_output=True, text=True
    ).stdout.strip()


def commit(repo: Path, files: dict[str, str | None], message: str) -> str:
    """Write (or delete, for None) files and commit them; returns the short commit id."""
    for name, text in files.items():
        path = repo / name
        if text is None:
            git(repo, "rm", "-q", name)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        git(repo, "add", name)
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "--short", "HEAD")


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


@dataclass(frozen=True)
class GateRun:
    code: int
    out: str
    report: dict[str, Any]
    markdown: str

    def check(self, check_id: str) -> dict[str, Any]:
        return next(c for c in self.report["checks"] if c["id"] == check_id)

    def verdicts(self) -> dict[str, str]:
        return {c["id"]: c["status"] for c in self.report["checks"]}


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
