"""The project under test: the repository the harness is run from.

`g2a-harness` is installed as a package (`pip install . ./harness`), so its own location says
nothing about where the feature files, pacts and cassettes are: every command reads them from the
working directory, the repository root.
"""

from __future__ import annotations

from pathlib import Path


def project_root() -> Path:
    return Path.cwd()
