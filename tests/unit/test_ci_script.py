"""CI runs what the README tells a user to run: its second command, verbatim, as its last line
(`.ci/evidence` writes the CI record on exit, with that command's status)."""

from __future__ import annotations

import configparser
import json
import os
import re
import subprocess
import sys
from pathlib import Path

from gate_support import commit, git, head

ROOT = Path(__file__).resolve().parents[2]


def test_ci_runs_the_readmes_test_command_verbatim_as_its_last_line() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    found = re.search(r"^# 2\..*\n(?P<command>.+)$", readme, re.MULTILINE)
    assert found is not None, "README lost its second command"
    command = found.group("command").strip()
    assert command.endswith("/tox")
    ci_lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert [line for line in ci_lines if line][-1] == command


def ci_evidence(checkout: Path, command: str) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    """`.ci/evidence` sourced in a stand-in checkout before `command`, and the arguments its
    CI record writer (a stand-in that notes them, one a line) was called with on exit. The
    harness is this repository's, as `python3` finds it in a real checkout."""
    recorder = checkout / ".tox" / "lint" / "bin" / "python"
    recorder.parent.mkdir(parents=True)
    recorder.write_text("#!/bin/sh\nprintf '%s\\n' \"$@\" > sealed.txt\n")
    recorder.chmod(0o755)
    script = f'set -euo pipefail\nsource "{ROOT / ".ci" / "evidence"}"\n{command}'
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]])
    done = subprocess.run(
        ["bash", "-c", script],
        cwd=checkout,
        env={**os.environ, "PATH": path, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        check=False,
    )
    return done, (checkout / "sealed.txt").read_text().splitlines()


def test_the_evidence_is_sealed_on_exit_with_the_command_s_status(tmp_path: Path) -> None:
    done, sealed = ci_evidence(tmp_path, 'echo "$TOX_RESULT_JSON"\nfalse')

    assert done.returncode == 1  # the failing command's status, not the sealer's
    assert done.stdout == "reports/ci/tox.json\n"
    assert (tmp_path / "reports" / "ci").is_dir()
    assert sealed[:3] == ["-m", "harness.ci_record", "reports/ci"]
    assert sealed[-2:] == ["--tox-exit-code", "1"]


def test_the_evidence_records_the_checkout_ci_started_on(tmp_path: Path) -> None:
    """Found by the gate's audit: CI's record read the checkout only once tox had ended, so a
    CI run started on uncommitted changes reverted before then was recorded clean. The
    checkout is read at the start, by the rule every report uses (`python -m
    harness.envelope`), and passed to the record."""
    git(tmp_path, "init", "-q", "-b", "main")
    ignored = "/.tox/\n/reports/\n/sealed.txt\n"  # what CI and the stand-in writer leave
    commit(tmp_path, {".gitignore": ignored, "app.py": "x = 1\n"}, "init")
    (tmp_path / "app.py").write_text("x = 2\n")  # changed at CI's start, put back by its end

    done, sealed = ci_evidence(tmp_path, "git checkout -- app.py")

    assert done.returncode == 0, done.stderr
    at_start = json.loads(sealed[sealed.index("--checkout-at-start") + 1])
    assert (at_start["commit"], at_start["dirty"]) == (head(tmp_path), True)


def test_the_checkout_is_read_with_the_standard_library_alone() -> None:
    """`.ci/evidence` runs `python3 -m harness.envelope` before anything is installed: with
    no site-packages (`-S`), the module still prints the checkout."""
    done = subprocess.run(
        [sys.executable, "-S", "-B", "-m", "harness.envelope"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert set(json.loads(done.stdout)) == {"commit", "dirty", "ci_run_id"}


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
