"""The project under test: the repository the harness is run from.

`g2a-harness` is installed as a package (`pip install . ./harness`), so its own location says
nothing about where the feature files, pacts and cassettes are: every command reads them from the
working directory, the repository root.
"""

from __future__ import annotations

from pathlib import Path

# What a checkout's root holds and no other folder does: the BDD suites and their feature files.
ROOT_MARKERS = (Path("tests/bdd"), Path("features"))


def project_root() -> Path:
    return Path.cwd()


def require_project_root() -> None:
    """A `UsageError` (one line, exit 2) unless the working directory is the repository root:
    a command reading the checkout's files refuses before it starts or writes anything."""
    from harness.cli import UsageError

    if not all((project_root() / marker).is_dir() for marker in ROOT_MARKERS):
        raise UsageError("run it from the repository root (tests/bdd and features/ not found)")
