"""Conformance with the standard tool: `st run` (the schemathesis CLI, every check) against the
served twin with the Export and Import documents of contracts/openapi/, zero failures.

The twin is the realistic one (keys after a processing delay) with its rate limit off, so the
generated calls reach the operations instead of BR03; contracts/schemathesis.toml lists the
state-dependent refusals and why one check is excluded. Bounded: `-n 30` examples a phase.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.contracts.states import sandbox_token
from harness.twin import SANDBOX_API_HASH, SANDBOX_API_KEY, RunningTwin, TwinConfig, running_twin

ROOT = Path(__file__).resolve().parents[2]
ST = Path(sys.executable).with_name("st")
CONFIG = ROOT / "contracts" / "schemathesis.toml"
EXCLUDED = "missing_required_header"


@pytest.fixture(scope="module")
def twin() -> Iterator[RunningTwin]:
    with running_twin(TwinConfig(rate_limit=None)) as running:
        yield running


def st_run(
    document: str, url: str, authorization: str, workdir: Path
) -> subprocess.CompletedProcess[str]:
    command = [
        str(ST), "--config-file", str(CONFIG), "--no-color", "run",
        str(ROOT / "contracts" / "openapi" / document), "--url", url,
        "-H", f"Authorization: {authorization}",
        "-c", "all", "--exclude-checks", EXCLUDED, "-n", "30", "--seed", "2026",
    ]  # fmt: skip
    return subprocess.run(command, cwd=workdir, capture_output=True, text=True, timeout=300)


def test_export_api_has_no_failures(twin: RunningTwin, tmp_path: Path) -> None:
    result = st_run(
        "g2a-export-v1.yaml", twin.export_url, f"{SANDBOX_API_HASH}, {SANDBOX_API_KEY}", tmp_path
    )
    assert result.returncode == 0, result.stdout[-6000:]
    assert "Tested: 5" in result.stdout


def test_import_api_has_no_failures(twin: RunningTwin, tmp_path: Path) -> None:
    token = sandbox_token(twin.import_url, timeout=5.0)
    result = st_run("g2a-import.yaml", twin.import_url, f"Bearer {token}", tmp_path)
    assert result.returncode == 0, result.stdout[-6000:]
    assert "Tested: 5" in result.stdout
