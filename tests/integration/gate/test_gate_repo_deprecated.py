"""`gate --repo` is deprecated: the gate runs from the repository root (it refuses any other
folder) and judges that root, so `--repo` is redundant there and misleading elsewhere."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.cli import main

DEPRECATED = (
    "g2a-harness gate: warning: --repo is deprecated and will be removed: the gate judges the "
    "root it runs from"
)


def verdicts(evidence: Path) -> dict[str, str]:
    checks = json.loads((evidence / "gate.json").read_text())["checks"]
    return {check["id"]: check["status"] for check in checks}


def test_a_repo_other_than_the_root_it_runs_from_is_named_in_the_warning(
    live_env: dict[str, str], repo: Path, evidence: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["gate", "--target", "twin", "--evidence", str(evidence), "--repo", str(repo)]
    assert main(argv) == 1
    assert capsys.readouterr().err == (
        f"{DEPRECATED}; {repo} is another folder, judged against this root's feature files and "
        f"reports: run the gate from {repo} instead\n"
    )


def test_the_root_given_as_repo_changes_nothing_but_the_warning(
    live_env: dict[str, str],
    snapshot: Path,
    evidence: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(snapshot)
    argv = ["gate", "--target", "twin", "--evidence", str(evidence)]
    assert main(argv) == 1
    assert capsys.readouterr().err == ""
    without_repo = verdicts(evidence)

    assert main([*argv, "--repo", "."]) == 1
    assert capsys.readouterr().err == f"{DEPRECATED}\n"
    assert verdicts(evidence) == without_repo
