"""CI runs what the README tells a user to run: its second command, verbatim, as its last line
(`.ci/evidence` writes the CI record on exit, with that command's status)."""

from __future__ import annotations

import configparser
import os
import re
import subprocess
import sys
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


def test_the_evidence_is_sealed_on_exit_with_the_command_s_status(tmp_path: Path) -> None:
    """`.ci/evidence` in a stand-in checkout whose CI record writer notes how it was called."""
    recorder = tmp_path / ".tox" / "lint" / "bin" / "python"
    recorder.parent.mkdir(parents=True)
    recorder.write_text('#!/bin/sh\necho "$@" > sealed.txt\n')
    recorder.chmod(0o755)
    script = (
        f'set -euo pipefail\nsource "{ROOT / ".ci" / "evidence"}"\necho "$TOX_RESULT_JSON"\nfalse'
    )
    done = subprocess.run(
        ["bash", "-c", script], cwd=tmp_path, capture_output=True, text=True, check=False
    )

    assert done.returncode == 1  # the failing command's status, not the sealer's
    assert done.stdout == "reports/ci/tox.json\n"
    assert (tmp_path / "reports" / "ci").is_dir()
    sealed = (tmp_path / "sealed.txt").read_text().split()
    assert sealed[:3] == ["-m", "harness.ci_record", "reports/ci"]
    assert sealed[-2:] == ["--tox-exit-code", "1"]


def test_every_layer_caches_bytecode_outside_the_checkout() -> None:
    """tox-uv installs without compiling bytecode, so a layer that wrote none would compile
    every module it imports again in each process (pytest and each command its tests start):
    they share one cache under tox's work dir instead, and the checkout gets no `__pycache__`."""
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(ROOT / "tox.ini", encoding="utf-8")
    lines = parser.get("testenv", "set_env").strip().splitlines()
    pairs = (line.split("=", 1) for line in lines)
    set_env = {name.strip(): value.strip() for name, value in pairs}
    assert set_env["PYTHONPYCACHEPREFIX"] == "{work_dir}{/}bytecode"
    assert "PYTHONDONTWRITEBYTECODE" not in set_env


def test_tests_that_write_reports_pass_with_ci_s_evidence_key_in_the_environment() -> None:
    """tox passes `G2A_*` on, CI's evidence key with it: a report a test wrote was signed with
    it and no longer equal to what the test expected (the unit layer failed whenever CI set the
    key, so a signed gate could not say GO)."""
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         "tests/unit/harness_run/test_report.py"],
        cwd=ROOT,
        env={**os.environ, "G2A_EVIDENCE_KEY": "ci-evidence-key"},
        capture_output=True,
        text=True,
        timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
