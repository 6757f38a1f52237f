"""`g2a-harness run` refuses PYTEST_ADDOPTS: a `-k` there would narrow a run whose report says
"full" (and the gate would read it as the full suite)."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.cli import main


def test_pytest_addopts_is_refused_before_anything_runs(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PYTEST_ADDOPTS", "-k token")
    report_dir = tmp_path / "reports"
    code = main(["run", "--target", "twin", "--suite", "full", "--report-dir", str(report_dir)])
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith("g2a-harness run: PYTEST_ADDOPTS is set ('-k token'): ")
    assert err.rstrip().endswith("nothing ran")
    assert not report_dir.exists()


def test_an_empty_pytest_addopts_changes_nothing_and_is_not_refused(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PYTEST_ADDOPTS", " ")
    assert main(["run", "--suite", "no-such-suite"]) == 2  # the next check speaks instead
    assert "unknown suite 'no-such-suite'" in capsys.readouterr().err
