"""The Markdown documentation names only modules and attributes (`g2a_adapter.x.y`) that exist.

A reorganisation that moves a module leaves every page naming the old place; this finds the
dotted names (paths in backticks are checked by `test_self_contained_repository.py`).
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# The documentation: the top-level README and every Markdown file under these folders.
MARKDOWN_SOURCES = ("README.md", "docs", "specs", "features", "ops")
SKIPPED_DIRECTORIES = {".venv", ".tox", ".git", "build", "dist", "node_modules", "reports"}

# `g2a_adapter.receiver.REJECTIONS`: a module, then perhaps attributes of it.
DOTTED_NAME = re.compile(r"(?<![\w./-])g2a_adapter(?:\.[A-Za-z_][A-Za-z0-9_]*)+")
# Logger names are dotted too without being modules: `logging.getLogger("g2a_adapter.purchase")`.
LOGGER_NAME = re.compile(r"""getLogger\(\s*["'](g2a_adapter[\w.]*)["']\s*\)""")


def markdown_files() -> list[Path]:
    files: list[Path] = []
    for name in MARKDOWN_SOURCES:
        source = ROOT / name
        if source.is_file():
            files.append(source)
        elif source.is_dir():
            files.extend(
                path
                for path in sorted(source.rglob("*.md"))
                if not SKIPPED_DIRECTORIES.intersection(path.relative_to(ROOT).parts)
            )
    return files


def references(pattern: re.Pattern[str]) -> Iterator[tuple[str, str]]:
    """Each match of `pattern` in the documentation, as (`file:line`, match)."""
    for path in markdown_files():
        lines = path.read_text(encoding="utf-8").splitlines()
        for number, line in enumerate(lines, start=1):
            for match in pattern.finditer(line):
                yield f"{path.relative_to(ROOT)}:{number}", match.group(0)


def logger_names() -> set[str]:
    return {
        name
        for source in (ROOT / "g2a_adapter").rglob("*.py")
        for name in LOGGER_NAME.findall(source.read_text(encoding="utf-8"))
    }


def resolves(dotted: str) -> bool:
    """Whether the longest importable prefix of `dotted` exists and holds the rest as attributes."""
    parts = dotted.split(".")
    for end in range(len(parts), 0, -1):
        try:
            found: object = importlib.import_module(".".join(parts[:end]))
        except ModuleNotFoundError:
            continue
        for attribute in parts[end:]:
            if not hasattr(found, attribute):
                return False
            found = getattr(found, attribute)
        return True
    return False


def test_the_documentation_is_scanned() -> None:
    assert markdown_files(), "no Markdown documentation found"
    assert any(references(DOTTED_NAME)), "no dotted name found in the documentation"


def test_every_dotted_name_in_the_documentation_resolves() -> None:
    loggers = logger_names()
    unresolved = [
        f"{where} {name}"
        for where, name in references(DOTTED_NAME)
        if name not in loggers and not resolves(name)
    ]
    assert not unresolved, "\n".join(["dotted names that do not resolve:", *unresolved])
