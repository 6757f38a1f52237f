"""A throwaway git repository, fresh evidence and live settings for end-to-end gate runs."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from gate_support import GateRun, commit, git, live_environment, write_reports

from harness.cli import main

TOX_INI = Path(__file__).resolve().parents[3] / "tox.ini"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    path = tmp_path / "service"
    path.mkdir()
    git(path, "init", "-q", "-b", "main")
    files = {
        "README.md": "export G2A_API_KEY=...\n",
        "app.py": "print('hi')\n",
        "tox.ini": TOX_INI.read_text(encoding="utf-8"),  # the layers CI runs
    }
    commit(path, files, "init")
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
    """`g2a-harness gate --target twin --evidence <tmp> --repo <tmp repo> [args]` in-process.

    `ci_commit` is what CI recorded in tox.commit: the repository's HEAD at the time of the
    run (default), another commit id, or None for no sidecar.
    """

    def run(*args: str, target: str = "twin", ci_commit: str | None = "HEAD") -> GateRun:
        sidecar = evidence / "tox.commit"
        sidecar.unlink(missing_ok=True)
        if ci_commit is not None:
            recorded = git(repo, "rev-parse", "HEAD") if ci_commit == "HEAD" else ci_commit
            sidecar.write_text(recorded + "\n", encoding="utf-8")
        argv = ["gate", "--target", target, "--evidence", str(evidence), "--repo", str(repo)]
        code = main([*argv, *args])
        out = capsys.readouterr().out
        report = json.loads((evidence / "gate.json").read_text())
        return GateRun(code, out, report, (evidence / "gate.md").read_text())

    return run
