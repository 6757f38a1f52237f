"""Tags a run would misread: a typo of a target tag, or a `chk-` tag naming no checklist item.

A scenario tagged `@sanbox` has no target tag, so it would run on the twin only; one tagged
`@chk-test-int-produtcs` would prove nothing. A team's own tags (`@qa-first`, `@qa-sandbox`)
are left alone: only a typo of a target's name, or a tag starting with `chk-`, is reported.
"""

from __future__ import annotations

import difflib
from pathlib import Path

from harness.bdd.discovery import tagged
from harness.checklist import checklist_tags
from harness.targets import TARGETS

CHECKLIST_PREFIX = "chk-"
_CLOSE = 0.75  # difflib's ratio from which a `chk-` tag reads as a typo of an item's tag
_TARGETS_SHOWN = ", ".join(f"@{t}" for t in TARGETS)


def tag_problems(path: Path, shown_as: str) -> list[str]:
    """`file:line: …` for each tag of the feature file at `path` a run would misread."""
    items = checklist_tags()
    problems = []
    for line, tag in tagged(path):
        problem = _misread(tag, items)
        if problem:
            problems.append(f"{shown_as}:{line}: tag @{tag} {problem}")
    return problems


def _misread(tag: str, items: list[str]) -> str | None:
    if tag.startswith(CHECKLIST_PREFIX):
        if tag in items:
            return None
        guess = difflib.get_close_matches(tag, items, n=1, cutoff=_CLOSE)
        meant = f": did you mean @{guess[0]}?" if guess else ""
        return f"names no checklist item{meant} (harness/checklist.toml lists the items)"
    if tag in TARGETS:
        return None
    meant_target = next((t for t in TARGETS if _typo_of(tag.lower(), t)), None)
    if meant_target is None:
        return None
    return f"is no target: did you mean @{meant_target}? (the targets are {_TARGETS_SHOWN})"


def _typo_of(text: str, name: str) -> bool:
    """Whether `text` is `name` give or take a typo: at most one edit (a letter missed, added,
    changed, or two swapped) for a name of four letters, two for a longer one. A team's tag
    built on a target's name (`@qa-sandbox`) is further off, so it is left alone."""
    return _edits(text, name) <= (1 if len(name) <= 4 else 2)


def _edits(a: str, b: str) -> int:
    """The optimal string alignment distance between `a` and `b`."""
    rows = [list(range(len(b) + 1))]
    for i, x in enumerate(a, start=1):
        row = [i]
        for j, y in enumerate(b, start=1):
            row.append(min(rows[-1][j] + 1, row[j - 1] + 1, rows[-1][j - 1] + (x != y)))
            if i > 1 and j > 1 and x == b[j - 2] and a[i - 2] == y:
                row[j] = min(row[j], rows[-2][j - 2] + 1)
        rows.append(row)
    return rows[-1][-1]
