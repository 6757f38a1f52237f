"""Tags a run would misread: a typo of a target tag, of `@smoke` or of an area's tag, a team
tag built on a target's name, a checklist tag naming no checklist item, or one of pytest's own
marks (`@skip`, `@xfail`).

A scenario tagged `@sanbox` or `@sandbox-only` and no real target tag would run on the twin
only, and one tagged `@twin @sandbox-only` never on the sandbox; one tagged
`@chk-test-int-produtcs` (or `@CHK-test-int-products`, `@chk_test-int-products`) would prove
nothing. A team's own tags (`@qa-first`, and `@qa-sandbox` next to `@twin`) are left alone: a
tag close to a target is reported only where a scenario carrying it has no real target tag, or
says `only` of a target the scenario is not tagged for, and a tag only when it reads as a
checklist tag (`chk` then `-`, `_` or a letter).
A checklist item, a tag ruling a target out (`@skip-live`, `@nosandbox`) and one naming the twin
only (`@twin-first`) keep the scenario on the twin as meant: none is reported as a target.
A scenario tagged `@smok` or `@Smoke` (no `@smoke`) would be left out of `--suite smoke`, one
tagged `@webhoks` out of `--tags @webhooks`: a tag one edit from `@smoke` or from an area's tag
(`@webhooks`, `@products`, …), in any case, is reported where a scenario carrying it is not
tagged with the one meant; a team's tag built on the word (`@qa-smoke`, `@smoke-wip`), ruling it
out (`@nosmoke`) or further off (`@store`, `@some`) is theirs.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from harness.bdd.discovery import mark_tag_problem
from harness.checklist import checklist_tags
from harness.targets import DEFAULT_TARGET, TARGETS

if TYPE_CHECKING:
    from pytest_bdd.gherkin_parser import Child, Tag

CHECKLIST_PREFIX = "chk-"
_CHECKLIST_LIKE = re.compile(r"chk[-_a-z]")  # of a tag's lower-case form
_CLOSE = 0.75  # difflib's ratio from which a checklist-like tag reads as a typo of an item's tag
_TARGETS_SHOWN = ", ".join(f"@{t}" for t in TARGETS)
SMOKE = "smoke"  # the tag `--suite smoke` runs
_NEGATIONS = ("no", "not", "non", "skip", "without", "except")
# A word of a tag's lower-case form, split on `-` and `_`; a negation joined to a target's name
# or to `smoke` is two words (`nosandbox`: `no`, `sandbox`).
_WORD = re.compile(
    rf"(?:{'|'.join(_NEGATIONS)})(?=(?:{'|'.join([*TARGETS, SMOKE])})(?:[-_]|$))|[^-_]+"
)


def tag_problems(path: Path, shown_as: str, marks: Mapping[str, str] | None = None) -> list[str]:
    """`file:line: …` for each tag of the feature file at `path` a run would misread (the file
    must be valid Gherkin), a tag of a Feature or Rule without scenarios too; `marks` are the
    marks pytest's plugins and the project register (`pytest_marks`), refused as tags too."""
    from pytest_bdd.gherkin_parser import get_gherkin_document

    items = checklist_tags()
    feature = get_gherkin_document(str(path)).feature
    scopes = list(_scopes(feature.children, feature.tags)) or [feature.tags]
    untargeted = {t.id for tags in scopes if not _targeted(tags) for t in tags}
    carried: dict[str, list[set[str]]] = {}  # tag id -> the tags of each scope carrying it
    for tags in scopes:
        for tag in tags:
            carried.setdefault(tag.id, []).append({t.name.removeprefix("@") for t in tags})
    elsewhere = _only_elsewhere(scopes)
    every = {t.id: t for tags in [feature.tags, *scopes] for t in tags}.values()
    problems = []
    for tag in sorted(every, key=lambda t: (t.location.line, t.location.column or 0)):
        name = tag.name.removeprefix("@")
        problem = mark_tag_problem(name, marks or {}) or _not_an_item(name, items)
        if problem is None and tag.id in untargeted and name not in items:
            problem = _not_a_target(name)
        if problem is None and name not in items:
            problem = elsewhere.get(tag.id)
        if problem is None:
            problem = _misspelt(name, carried.get(tag.id, []))
        if problem:
            problems.append(f"{shown_as}:{tag.location.line}: tag @{name} {problem}")
    return problems


def _scopes(children: Iterable[Child], above: list[Tag]) -> Iterator[list[Tag]]:
    """The tags of each scenario as it runs (the Feature's, a Rule's, its own and one Examples
    table's), given the children of a Feature or a Rule and the tags above them; a Rule
    without scenarios counts as one, so its tags are checked as its first scenario's would be
    (`tag_problems` does so for a Feature without scenarios)."""
    for child in children:
        if child.rule is not None:
            tags = above + child.rule.tags
            yield from list(_scopes(child.rule.children, tags)) or [tags]
        elif child.scenario is not None:
            tags = above + child.scenario.tags
            yield from ([tags + e.tags for e in child.scenario.examples] or [tags])


def _targeted(tags: list[Tag]) -> bool:
    return bool(_targets_of(tags))


def _targets_of(tags: list[Tag]) -> list[str]:
    names = {t.name.removeprefix("@") for t in tags}
    return [target for target in TARGETS if target in names]


def _only_elsewhere(scopes: list[list[Tag]]) -> dict[str, str]:
    """Tag id -> why it misleads, for each tag saying one target only (`@sandbox-only`) on a
    scenario tagged for other targets only (`@twin`): that scenario never runs there."""
    found: dict[str, str] = {}
    for tags in scopes:
        tagged = _targets_of(tags)
        for tag in tags:
            words = _WORD.findall(tag.name.removeprefix("@").lower())
            named = _target_words(words)
            if not tagged or "only" not in words or len(named) != 1 or named[0] in tagged:
                continue
            found.setdefault(
                tag.id,
                f"is no target: the scenario is tagged {' '.join(f'@{t}' for t in tagged)}, so "
                f"it never runs on {_target_phrase(named[0])} (tag it @{named[0]} instead?)",
            )
    return found


def _target_phrase(target: str) -> str:
    """`the twin`, `the sandbox`, `live`: a target as a sentence names it."""
    return target if target == "live" else f"the {target}"


def _not_an_item(tag: str, items: list[str]) -> str | None:
    """Why a tag that reads as a checklist tag is none, or None."""
    if tag in items or not _CHECKLIST_LIKE.match(tag.lower()):
        return None
    written = tag.lower().replace("_", "-")
    as_item = CHECKLIST_PREFIX + written.removeprefix("chk").lstrip("-")
    guess = difflib.get_close_matches(as_item, items, n=1, cutoff=_CLOSE)
    meant = f": did you mean @{guess[0]}?" if guess else ""
    return f"names no checklist item{meant} (harness/checklist.toml lists the items)"


def _not_a_target(tag: str) -> str | None:
    """Why a tag that is a typo of a target's name, or a team's tag with a target's name as one
    of its words (`@sandbox-only`), is no target, or None. A tag with a negation word is no
    typo, and the targets it rules out (`@skip-live`) it does not name; one naming the default
    target only (`@twin-first`) is left alone: the scenario runs there already."""
    if tag in TARGETS:
        return None
    words = _WORD.findall(tag.lower())
    if not any(word in _NEGATIONS for word in words):
        meant = next((t for t in TARGETS if _typo_of(tag.lower(), t)), None)
        if meant is not None:
            return f"is no target: did you mean @{meant}? (the targets are {_TARGETS_SHOWN})"
    named = _target_words(words)
    if named in ([], [DEFAULT_TARGET]):
        return None
    return (
        f"is no target: the scenario has no target tag, so it runs on the {DEFAULT_TARGET} only "
        f"(add {' or '.join(f'@{t}' for t in named)}?)"
    )


def _misspelt(tag: str, scopes: list[set[str]]) -> str | None:
    """Why a tag that is a typo of `@smoke` or of an area's tag (`@smok`, `@Smoke`,
    `@webhoks`: one edit, in any case, from one of them alone) leaves a scenario carrying it
    out of the selection meant, where one of `scopes` (the tags of each scenario carrying it)
    lacks the tag meant; None otherwise. One with a negation word (`@nosmoke`) is no typo.
    Two edits would take in words a team tags with (`@store`, `@some`, `@snake`), and a
    reported tag refuses the whole run."""
    from harness.bdd.plugin import AREA_TAGS

    words = _WORD.findall(tag.lower())
    if any(word in _NEGATIONS for word in words):
        return None
    known = {SMOKE: "--suite smoke runs the scenarios tagged @smoke, the short path"}
    known |= {area: f"--tags @{area} selects the scenarios tagged @{area}" for area in AREA_TAGS}
    meant = [name for name in known if _edits(tag.lower(), name) <= 1]
    if tag in known or len(meant) != 1 or all(meant[0] in names for names in scopes):
        return None
    return (
        f"is not @{meant[0]}: did you mean @{meant[0]}? ({known[meant[0]]}; this one it leaves out)"
    )


def _target_words(words: list[str]) -> list[str]:
    """The targets named by `words`, in their order, up to the first negation word: those after
    it are ruled out (`skip`, `on`, `live`)."""
    named = []
    for word in words:
        if word in _NEGATIONS:
            break
        if word in TARGETS and word not in named:
            named.append(word)
    return named


def _typo_of(text: str, name: str) -> bool:
    """Whether `text` is `name` give or take a typo: at most one edit (a letter missed, added,
    changed, or two swapped) for a name of four letters, two for a longer one. A team's tag
    built on a target's name (`@qa-sandbox`) is further off: `_not_a_target` finds it by its
    words."""
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
