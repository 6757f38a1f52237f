"""Which feature files run, and which scenarios a selection keeps.

`tests/bdd/test_features.py` binds every scenario of `features/**/*.feature` plus each folder
named in `G2A_FEATURES` (os.pathsep-separated; `g2a-harness run --features DIR` sets it), so a
new feature file runs without any Python. Gherkin tag expressions map onto pytest's `-m`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from itertools import takewhile
from pathlib import Path

from harness.project import project_root

FEATURES_ENV = "G2A_FEATURES"
_TAG_TOKEN = re.compile(r"\(|\)|[^\s()]+")
_OPERATORS = {"and", "or", "not"}
_TAG = re.compile(r"@?[A-Za-z0-9_][\w.\-]*")


class SelectionError(ValueError):
    """A tag expression or features folder that cannot be used."""


def repo_features() -> Path:
    return project_root() / "features"


def feature_dirs(environ: Mapping[str, str] | None = None) -> list[str]:
    """The repository's features folder, then every existing folder named in G2A_FEATURES."""
    env = os.environ if environ is None else environ
    extra = [Path(p).resolve() for p in env.get(FEATURES_ENV, "").split(os.pathsep) if p]
    missing = [str(p) for p in extra if not p.is_dir()]
    if missing:
        raise SelectionError(f"no features folder at {', '.join(missing)}")
    return [str(p) for p in dict.fromkeys([repo_features(), *extra])]


def marker_expression(tags: str) -> str:
    """A Gherkin tag expression (`@smoke and not @webhooks`) as a pytest `-m` expression."""
    tokens = _TAG_TOKEN.findall(tags)
    if not tokens:
        raise SelectionError("empty tag expression")
    words = []
    for token in tokens:
        if token in "()" or token in _OPERATORS:
            words.append(token)
        elif _TAG.fullmatch(token):
            words.append(token.removeprefix("@"))
        else:
            raise SelectionError(f"not a tag in {tags!r}: {token!r}")
    if not _well_formed(words):
        raise SelectionError(f"not a tag expression: {tags!r} (e.g. '@smoke and not @slow')")
    return " ".join(words)


def _well_formed(words: list[str]) -> bool:
    """Operands joined by `and`/`or`, each perhaps under `not`, parentheses balanced."""
    depth, operand_due = 0, True
    for word in words:
        if operand_due:
            if word == "(":
                depth += 1
            elif word in (")", "and", "or"):
                return False
            else:  # `not` keeps an operand due; a tag supplies it
                operand_due = word == "not"
        elif word == ")" and depth > 0:
            depth -= 1
        elif word in ("and", "or"):
            operand_due = True
        else:
            return False
    return depth == 0 and not operand_due


def feature_tags(folders: list[str]) -> set[str]:
    """Every `@tag` of the feature files in these folders (registered as pytest markers)."""
    return {
        tag
        for folder in folders
        for path in Path(folder).rglob("*.feature")
        for tag in tagged(path)
    }


def tagged(path: Path) -> Iterator[str]:
    """Each `@tag` of a feature file, without its `@`; a word starting with `#` starts a
    comment, which runs to the end of the line."""
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip().startswith("@"):
            words = takewhile(lambda word: not word.startswith("#"), line.split())
            yield from (word.removeprefix("@") for word in words if word.startswith("@"))
