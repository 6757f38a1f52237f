"""`g2a-harness run` writes into its report folder only: the property-based tests it runs
(schemathesis, on hypothesis) keep hypothesis's storage (example database, caches) out of the
checkout, which would otherwise get a `.hypothesis/` folder."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

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


def _checkout(folder: Path) -> Path:
    """The files a run reads, copied (with the test support modules)."""
    for name in NEEDED:
        source, copy = ROOT / name, folder / name
        copy.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, copy, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, copy)
    for support in (ROOT / "tests").glob("*_support.py"):
        shutil.copy2(support, folder / "tests" / support.name)
    return folder


def test_a_run_leaves_no_hypothesis_folder_in_the_checkout(tmp_path: Path) -> None:
    checkout = _checkout(tmp_path / "checkout")
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
