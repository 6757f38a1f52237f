"""The CI evidence on disk: `python -m harness.ci_record` writes it, `read_ci_run` reads it back
with tox.ini as committed at HEAD; `python -m harness.envelope` is each layer's stamp."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from gate_support import TOX_LAYER_COMMANDS, commit, default_junit, git, head, tox_result

from harness.ci_record import main as ci_record
from harness.envelope import signature_status
from harness.gate.junit import junit_counts
from harness.gate.sources import read_ci_run


def write_tox_output(folder: Path, commit_id: str) -> None:
    """What tox leaves in reports/ci/: the result and a junit file per tested layer."""
    folder.mkdir(parents=True)
    (folder / "tox.json").write_text(json.dumps(tox_result(commit=commit_id)))
    for layer, text in default_junit().items():
        (folder / f"{layer}.xml").write_text(text)


def printed_checkout() -> str:
    """What `python -m harness.envelope` prints in the current directory, as `.ci/evidence`
    runs it at CI's start."""
    command = [sys.executable, "-m", "harness.envelope"]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout


def record(
    folder: Path, started_at: str, tox_exit_code: int = 0, at_start: str | None = None
) -> int:
    """`.ci/evidence`'s call; `at_start` (default: read now) the checkout CI started on."""
    return ci_record(
        [
            str(folder),
            "--started-at",
            started_at,
            "--checkout-at-start",
            at_start or printed_checkout(),
            "--tox-exit-code",
            str(tox_exit_code),
        ]
    )


def test_the_ci_record_binds_tox_s_files_and_reads_back(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("G2A_EVIDENCE_KEY", raising=False)
    folder = tmp_path / "reports" / "ci"
    write_tox_output(folder, head(repo))
    (repo / "tox.ini").write_text("[tox]\n")  # uncommitted edits do not count: HEAD's file does
    monkeypatch.chdir(repo)  # the record's envelope is the checkout it runs in
    assert record(folder, "2026-11-27T11:00:00Z") == 0
    written = json.loads((folder / "ci.json").read_text())
    assert written["kind"] == "ci"
    assert sorted(written["files"]) == sorted(["tox.json", *(f"{n}.xml" for n in default_junit())])
    envelope = written["envelope"]
    assert (envelope["commit"], envelope["dirty"], envelope["target"], envelope["suite"]) == (
        head(repo),
        True,  # tox.ini was edited above
        "ci",
        "tox",
    )
    assert envelope["started_at"] == "2026-11-27T11:00:00Z"
    assert envelope["tools"]["tox"] == "4.67.15"  # from tox's own result

    ci = read_ci_run(folder / "ci.json", "reports/ci/ci.json", repo, None)
    assert ci.layer_commands == TOX_LAYER_COMMANDS
    assert ci.record.data == written
    assert ci.tox.sha256 == written["files"]["tox.json"]
    assert {layer: f.sha256 for layer, f in ci.junit.items()} == {
        layer: written["files"][f"{layer}.xml"] for layer in default_junit()
    }
    assert ci.counts["integration"] == junit_counts(default_junit()["integration"])
    assert (ci.tox.path, ci.junit["unit"].path) == ("reports/ci/tox.json", "reports/ci/unit.xml")


def test_a_ci_run_started_on_changes_put_back_before_it_ended_is_recorded_dirty(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Found by the gate's audit: CI's record read the checkout only once tox had ended, so a
    CI run started on uncommitted changes that were reverted before then was recorded clean."""
    monkeypatch.delenv("G2A_EVIDENCE_KEY", raising=False)
    folder = tmp_path / "reports" / "ci"
    write_tox_output(folder, head(repo))
    monkeypatch.chdir(repo)
    (repo / "app.py").write_text("print('changed')\n")
    at_start = printed_checkout()
    git(repo, "checkout", "--", "app.py")

    assert record(folder, "2026-11-27T11:00:00Z", at_start=at_start) == 0
    envelope = json.loads((folder / "ci.json").read_text())["envelope"]
    assert (envelope["commit"], envelope["dirty"]) == (head(repo), True)
    assert record(folder, "2026-11-27T11:00:00Z") == 0  # clean at its start and end
    assert json.loads((folder / "ci.json").read_text())["envelope"]["dirty"] is False


def test_a_signed_record(repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("G2A_EVIDENCE_KEY", "ci-key")
    folder = tmp_path / "ci"
    write_tox_output(folder, head(repo))
    assert record(folder, datetime.now(UTC).isoformat(), tox_exit_code=1) == 0
    written = json.loads((folder / "ci.json").read_text())
    assert written["tox_exit_code"] == 1
    assert signature_status(written, b"ci-key") == "valid"
    assert read_ci_run(folder / "ci.json", "ci.json", repo, b"ci-key").record.signature == "valid"
    assert read_ci_run(folder / "ci.json", "ci.json", repo, b"other").record.signature == "invalid"


def test_nothing_to_read(tmp_path: Path) -> None:
    ci = read_ci_run(tmp_path / "ci.json", "ci.json", tmp_path, None)
    errors = {f.error for f in ci.junit.values()}  # every tested layer's, whatever tox.ini says
    assert (ci.record.error, ci.tox.error, errors, ci.layer_commands, ci.commands_error) == (
        "missing",
        "missing",
        {"missing"},
        None,
        "tox.ini is not in the commit at HEAD",
    )


def test_missing_junit_files_are_named(repo: Path, tmp_path: Path) -> None:
    ci = read_ci_run(tmp_path / "ci.json", "r/ci.json", repo, None)
    assert {layer: (f.path, f.error) for layer, f in ci.junit.items()} == {
        layer: (f"r/{layer}.xml", "missing") for layer in default_junit()
    }
    commit(repo, {"tox.ini": None}, "drop tox")
    ci = read_ci_run(tmp_path / "ci.json", "ci.json", repo, None)
    assert (ci.layer_commands, ci.commands_error) == (None, "tox.ini is not in the commit at HEAD")


def test_the_layer_stamp_prints_the_commit_and_dirty_flag(repo: Path) -> None:
    stamp = subprocess.run(
        [sys.executable, "-m", "harness.envelope"],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": os.environ["PATH"], "GITHUB_RUN_ID": "4242"},
    ).stdout
    assert json.loads(stamp) == {
        "commit": head(repo),
        "dirty": False,
        "ci_run_id": "GITHUB_RUN_ID=4242",
    }
    (repo / "new.py").write_text("x = 1\n")  # a file git would track makes the tree dirty
    dirty = subprocess.run(
        [sys.executable, "-m", "harness.envelope"], cwd=repo, capture_output=True, text=True
    ).stdout
    assert json.loads(dirty)["dirty"] is True


def test_pytest_writes_each_marked_test_s_store_backend_into_its_junit_file(
    tmp_path: Path,
) -> None:
    """tests/conftest.py → junit property → the gate's count: only markers count, not names."""
    root = Path(__file__).resolve().parents[3]
    contract = "tests/integration/store/test_store_contract.py"
    tests = [
        # "redis" is a word of this id, but the test needs no Redis: it is not counted.
        "tests/unit/store/test_open_store.py::test_urls_are_parsed"
        "[redis://127.0.0.1:6379/0-redis-redis://127.0.0.1:6379/0-g2a_idempotency]",
        f"{contract}::test_fresh_key_is_claimed_with_an_owner_and_a_lease[redis]",
        f"{contract}::test_fresh_key_is_claimed_with_an_owner_and_a_lease[postgres]",
    ]
    junit = tmp_path / "layer.xml"
    env = {k: v for k, v in os.environ.items() if k != "CI"}  # a missing server: a skip
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", *tests, f"--junitxml={junit}", "-q"],
        cwd=root, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stdout[-2000:]
    counts = junit_counts(junit.read_text())
    assert counts.tests == 3
    assert {backend: sum(runs) for backend, runs in counts.backends.items()} == {
        "redis": 1,
        "postgres": 1,
    }
