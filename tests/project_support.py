"""A directory the harness takes for the repository root (`harness.project`), and copies of
parts of this checkout for tests that let a run write into them."""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from pathlib import Path

from harness.project import PROJECT_NAME, ROOT_FOLDERS


def lay_out_project_root(root: Path) -> Path:
    """Give `root` the folders and the pyproject.toml of the repository root; returns it."""
    for folder in ROOT_FOLDERS:
        (root / folder).mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text(f'[project]\nname = "{PROJECT_NAME}"\n')
    return root


REPOSITORY = Path(__file__).resolve().parents[1]


def copy_of_checkout(folder: Path, names: Iterable[str]) -> Path:
    """`folder` holding copies of this checkout's files and folders `names` (without bytecode)
    and of the test support modules: a project a run may write into; returns it."""
    for name in names:
        source, copy = REPOSITORY / name, folder / name
        copy.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, copy, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, copy)
    for support in (REPOSITORY / "tests").glob("*_support.py"):
        shutil.copy2(support, folder / "tests" / support.name)
    return folder
