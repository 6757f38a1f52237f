"""`g2a-harness record`: the committed cassettes change only when a whole recording passed,
and a sandbox's settings are checked before anything reaches the network."""

from __future__ import annotations

import argparse
import subprocess
from pathlib import Path
from typing import Any

import pytest
from project_support import lay_out_project_root

from g2a_adapter import ConfigError
from harness.cassettes import CASSETTE_DIR
from harness.cli import UsageError
from harness.commands import record

COMMITTED = "recorded: 2026-11-27\n"


@pytest.fixture
def checkout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A checkout's root with one committed cassette, as the current directory."""
    lay_out_project_root(tmp_path)
    (tmp_path / record.CASSETTE_TESTS).parent.mkdir(parents=True)
    (tmp_path / record.CASSETTE_TESTS).write_text("# the recorded flows\n")
    (tmp_path / CASSETTE_DIR).mkdir(parents=True)
    (tmp_path / CASSETTE_DIR / "test_token.yaml").write_text(COMMITTED)
    monkeypatch.chdir(tmp_path)
    return tmp_path / CASSETTE_DIR


def recording_that_ends_with(code: int) -> object:
    def fake(target: str, into: Path) -> int:
        (into / "test_token.yaml").write_text(f"recorded from {target}, exit {code}\n")
        return code

    return fake


def test_a_failed_recording_leaves_the_committed_cassettes_as_they_were(
    checkout: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(record, "_record", recording_that_ends_with(1))

    assert record.run(argparse.Namespace(target="twin")) == 1
    assert (checkout / "test_token.yaml").read_text() == COMMITTED
    assert "tests/cassettes is unchanged" in capsys.readouterr().err


def test_a_recording_that_passed_replaces_the_committed_cassettes(
    checkout: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(record, "_record", recording_that_ends_with(0))

    assert record.run(argparse.Namespace(target="twin")) == 0
    assert (checkout / "test_token.yaml").read_text() == "recorded from twin, exit 0\n"


@pytest.mark.parametrize(
    ("url", "key"),
    [
        ("https://api.g2a.com/v1", "c" * 64),  # the live host under the sandbox target
        ("https://sandboxapi.g2a.com/v1", "notakey"),
    ],
)
def test_sandbox_settings_the_adapter_refuses_never_reach_the_network(
    checkout: Path, monkeypatch: pytest.MonkeyPatch, url: str, key: str
) -> None:
    import harness.run_probe

    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("the host was contacted before the settings were checked")

    monkeypatch.setattr(harness.run_probe, "check_reachable", no_network)
    monkeypatch.setattr(record, "_record", no_network)
    monkeypatch.setenv("G2A_API_URL", url)
    monkeypatch.setenv("G2A_API_HASH", "qdaiciDiyMaTjxMt")
    monkeypatch.setenv("G2A_API_KEY", key)
    monkeypatch.delenv("G2A_ENV", raising=False)

    with pytest.raises((ConfigError, UsageError)):
        record.run(argparse.Namespace(target="sandbox"))
    assert (checkout / "test_token.yaml").read_text() == COMMITTED


def test_a_run_that_stops_early_leaves_no_verdicts_of_the_run_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The gate reads checklist.json: an interrupted run must not leave the last one there."""
    from harness.commands import run
    from harness.report import CHECKLIST_REPORTS

    for name in CHECKLIST_REPORTS:
        (tmp_path / name).write_text("the run before's verdicts\n")

    real_popen = subprocess.Popen

    def interrupted(command: list[str], *args: Any, **kwargs: Any) -> Any:
        if "pytest" in command:
            raise KeyboardInterrupt  # Ctrl-C as pytest starts
        return real_popen(command, *args, **kwargs)  # git, reading the checkout

    monkeypatch.setattr(run.subprocess, "Popen", interrupted)
    selection = run.Selection("full", None, None)
    with pytest.raises(KeyboardInterrupt):
        run._run_checklist("twin", selection, tmp_path, {}, None, {}, lambda _: None)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pytest.log"]
