"""`g2a-harness run` writes into its report folder only: the property-based tests it runs
(schemathesis, on hypothesis) keep hypothesis's storage (example database, caches) out of the
checkout, which would otherwise get a `.hypothesis/` folder."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from project_support import copy_of_checkout

ROOT = Path(__file__).resolve().parents[3]
NEEDED = (
    "pyproject.toml",
    "features",
    "contracts",
    "tests/conftest.py",
    "tests/bdd",
    "tests/contract",
)
NO_G2A = {
    k: v for k, v in os.environ.items() if not k.startswith(("G2A_", "HYPOTHESIS_", "PYTEST_"))
}
# one schemathesis case: hypothesis generates requests, and so writes its storage
ONE_PROPERTY_TEST = "test_admin_api and health"


def test_a_run_leaves_no_hypothesis_folder_in_the_checkout(tmp_path: Path) -> None:
    checkout = copy_of_checkout(tmp_path / "checkout", NEEDED)
    reports = tmp_path / "reports"

    done = subprocess.run(
        [sys.executable, "-m", "harness", "run", "-k", ONE_PROPERTY_TEST, "--report-dir",
         str(reports)],
        cwd=checkout, env={**NO_G2A, "COLUMNS": "200"}, capture_output=True, text=True,
        timeout=300, check=False,
    )  # fmt: skip

    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "1 passed" in (reports / "pytest.log").read_text(encoding="utf-8")
    assert not (checkout / ".hypothesis").exists()
