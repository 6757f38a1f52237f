"""A dry run of feature files: does the step library understand every step, before a run?

Each scenario is read as pytest-bdd will run it: the Background's steps first, and a Scenario
Outline once per row of its Examples, with the row's values in place of its `<placeholders>`.
Every step is matched against the library's steps of its kind (Given, When, Then; And and But
take the kind before them), exactly as a run matches it, and an unknown one is reported as a
run reports it. Nothing runs and no target is needed.
"""

from __future__ import annotations

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

    contexts, known = library_contexts(), catalogue()
    scenarios = steps = 0
    unknown: dict[str, None] = {}  # messages in file order, each once (a Background repeats)
    for feature in get_features([str(path) for path in paths]):
        for template in feature.scenarios.values():
            for scenario in _rendered(template):
                scenarios += 1
                for step in scenario.steps:
                    steps += 1
                    if not _matches(step, contexts):
                        unknown[unknown_step_message(feature.filename, step, known)] = None
    return CheckResult(scenarios, steps, tuple(unknown))
