"""A throwaway git repository, evidence bound to its HEAD and live settings for gate runs.

`snapshot` is a one-commit copy of this checkout's working tree (tracked files and new ones git
would track): `--run-missing` runs the real commands from it, so what they produce is bound
to a clean commit whatever state the checkout under test is in.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from gate_support import (
    CONTRACT_FILES,
    REPO_ROOT,
    GateRun,
    commit,
    full_junit,
    git,
    head,
    live_environment,
    write_ci,
    write_reports,
)

from harness.cli import main

TOX_INI = REPO_ROOT / "tox.ini"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    path = tmp_path / "service"
    path.mkdir()
    git(path, "init", "-q", "-b", "main")
    files = {
        ".gitignore": "reports/\n",
        "README.md": "export G2A_API_KEY=...\n",
        "app.py": "print('hi')\n",
        "tox.ini": TOX_INI.read_text(encoding="utf-8"),  # the layers CI runs
        **CONTRACT_FILES,  # what contracts.json must have read
    }
    commit(path, files, "init")
    return path


@pytest.fixture(scope="session")
def snapshot(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("snapshot") / "checkout"
    listed = git(REPO_ROOT, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    for name in filter(None, listed.split("\0")):
        source = REPO_ROOT / name
        if source.is_file():
            (path / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, path / name)
    git(path, "init", "-q", "-b", "main")
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "snapshot of the checkout under test")
    return path


@pytest.fixture
def evidence(tmp_path: Path, repo: Path) -> Path:
    return write_reports(tmp_path / "reports", datetime.now(UTC), commit=head(repo))


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
    """`g2a-harness gate --target twin --evidence <tmp> --repo <repo> [args]` in-process.

    `ci` writes `.ci/run`'s CI record for the repository's HEAD into `<repo>/reports/ci/`,
    where the gate looks by default, each layer running as many tests as HEAD commits;
    `in_repo` chooses the repository (default the tmp one).
    """

    def run(
        *args: str, target: str = "twin", ci: bool = True, in_repo: Path | None = None
    ) -> GateRun:
        where = in_repo or repo
        if ci:
            write_ci(where / "reports" / "ci", head(where), junit=full_junit(where))
        argv = ["gate", "--target", target, "--evidence", str(evidence), "--repo", str(where)]
        code = main([*argv, *args])
        out = capsys.readouterr().out
        report = json.loads((evidence / "gate.json").read_text())
        return GateRun(code, out, report, (evidence / "gate.md").read_text())

    return run
