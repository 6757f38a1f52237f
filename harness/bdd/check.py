"""A dry run of feature files: does the step library understand every step, before a run?

Each scenario is read as pytest-bdd will run it: the Background's steps first, and a Scenario
Outline once per row of its Examples, with the row's values in place of its `<placeholders>`.
Every step is matched against the library's steps of its kind (Given, When, Then; And and But
take the kind before them), exactly as a run matches it, and an unknown one is reported as a
run reports it. A file that is not valid Gherkin is reported with its line, instead of the
parser's traceback. Nothing runs and no target is needed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.bdd.catalogue import catalogue, library_contexts, unknown_step_message


@dataclass(frozen=True)
class CheckResult:
    scenarios: int  # scenarios as run: an Outline counts once per Examples row
    steps: int
    unknown: tuple[str, ...]  # one message per feature line no library step matches
    invalid: tuple[str, ...] = ()  # one message per file that is not valid Gherkin


def feature_files(paths: Iterable[Path]) -> list[Path]:
    """The feature files `paths` name: files as given, folders searched recursively."""
    found: list[Path] = []
    for path in paths:
        found.extend(sorted(path.rglob("*.feature")) if path.is_dir() else [path])
    return found


def invalid_gherkin(path: Path) -> str | None:
    """Why a feature file cannot be run as written (`file:line: …`), or None when it can."""
    from pytest_bdd.exceptions import GherkinParseError
    from pytest_bdd.feature import get_features

    try:
        (feature,) = get_features([str(path)])
    except GherkinParseError as exc:
        return f"{path}:{exc.line}: not valid Gherkin: {exc.message} ({exc.line_content.strip()})"
    except UnicodeDecodeError:
        return f"{path}: not valid Gherkin: the file is not UTF-8 text"
    except KeyError:  # pytest-bdd's reading of a document without a Feature
        return f"{path}: not valid Gherkin: no `Feature:` line"
    return _repeated_name(path) or _without_steps(path, feature.scenarios.values())


_SCENARIO_LINE = re.compile(r"^\s*(?:Scenario(?: Outline| Template)?|Example):\s*(.*?)\s*$")


def _repeated_name(path: Path) -> str | None:
    """A scenario named as an earlier one of its file: pytest-bdd would run only the last."""
    seen: set[str] = set()
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if (match := _SCENARIO_LINE.match(line)) is None:
            continue
        if match[1] in seen:
            return f"{path}:{number}: scenario {match[1]!r} is named twice: only one would run"
        seen.add(match[1])
    return None


def _without_steps(path: Path, templates: Iterable[Any]) -> str | None:
    """A scenario with no step of its own (a line without a keyword before its first step is
    read as its description): it would pass without checking anything."""
    for template in templates:
        if len(template.steps) == len(template.all_background_steps):
            return (
                f"{path}:{template.line_number}: scenario {template.name!r} has no step "
                "(does each step line start with Given, When, Then, And or But?)"
            )
    return None


def _rendered(template: Any) -> Iterable[Any]:
    """The scenarios a template runs as: one per Examples row, or itself once."""
    contexts: list[Mapping[str, str]] = [
        context for examples in template.examples for context in examples.as_contexts()
    ]
    for context in contexts or [{}]:
        yield template.render(context)


def _matches(step: Any, contexts: list[Any]) -> bool:
    return any(c.type in (None, step.type) and c.parser.is_matching(step.name) for c in contexts)


def check_features(paths: Iterable[Path]) -> CheckResult:
    """Every step of every scenario in `paths` (feature files or folders of them)."""
    from pytest_bdd.feature import get_features

    files = feature_files(paths)
    invalid = tuple(problem for path in files if (problem := invalid_gherkin(path)))
    if invalid:
        return CheckResult(0, 0, (), invalid)
    contexts, known = library_contexts(), catalogue()
    scenarios = steps = 0
    unknown: dict[str, None] = {}  # messages in file order, each once (a Background repeats)
    for feature in get_features([str(path) for path in files]):
        for template in feature.scenarios.values():
            for scenario in _rendered(template):
                scenarios += 1
                for step in scenario.steps:
                    steps += 1
                    if not _matches(step, contexts):
                        unknown[unknown_step_message(feature.filename, step, known)] = None
    return CheckResult(scenarios, steps, tuple(unknown))
