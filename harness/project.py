"""The project under test: the repository the harness is run from.

`g2a-harness` is installed as a package (`pip install . ./harness`), so its own location says
nothing about where the feature files, pacts and cassettes are: every command reads them from the
working directory, the repository root.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

# The BDD suites and their feature files, beside the adapter's own pyproject.toml: a service's
# repository laid out the pytest-bdd way has the two folders too, but not that project.
ROOT_FOLDERS = (Path("tests/bdd"), Path("features"))
PROJECT_NAME = "g2a-adapter"
NOT_THE_ROOT = (
    f"run it from the repository root (tests/bdd, features/ and the {PROJECT_NAME} "
    "pyproject.toml not found)"
)


def project_root() -> Path:
    return Path.cwd()


def _project_name(pyproject: Path) -> str | None:
    try:
        with pyproject.open("rb") as file:
            name = tomllib.load(file).get("project", {}).get("name")
    except (OSError, tomllib.TOMLDecodeError):
        return None
    return name if isinstance(name, str) else None


def require_project_root() -> None:
    """A `UsageError` (one line, exit 2) unless the working directory is the repository root:
    a command reading the checkout's files refuses before it starts or writes anything."""
    from harness.cli import UsageError

    root = project_root()
    if not all((root / folder).is_dir() for folder in ROOT_FOLDERS):
        raise UsageError(NOT_THE_ROOT)
    if _project_name(root / "pyproject.toml") != PROJECT_NAME:
        raise UsageError(NOT_THE_ROOT)
