"""A directory the harness takes for the repository root (`harness.project`)."""

from __future__ import annotations

from pathlib import Path

from harness.project import PROJECT_NAME, ROOT_FOLDERS


def lay_out_project_root(root: Path) -> Path:
    """Give `root` the folders and the pyproject.toml of the repository root; returns it."""
    for folder in ROOT_FOLDERS:
        (root / folder).mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text(f'[project]\nname = "{PROJECT_NAME}"\n')
    return root
