"""A dry run of feature files: does the step library understand every step, before a run?

Each scenario is read as pytest-bdd will run it: the Background's steps first, and a Scenario
Outline once per row of its Examples, with the row's values in place of its `<placeholders>`.
Every step is matched against the library's steps of its kind (Given, When, Then; And and But
take the kind before them), exactly as a run matches it. Nothing runs and no target is needed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.bdd.catalogue import catalogue, closest, library_contexts, relative_path


@dataclass(frozen=True)
class UnknownStep:
    """A step of a feature file that no library step matches."""

    path: str
    line: int
    text: str  # as the run will see it: keyword, then the step with its Examples values
    closest: tuple[str, ...]  # example lines of the nearest library steps

    def describe(self) -> str:
        nearest = "; ".join(f'"{line}"' for line in self.closest)
        return f"{self.path}:{self.line}: no step matches {self.text!r}; closest: {nearest}"


@dataclass(frozen=True)
class CheckResult:
    scenarios: int  # scenarios as run: an Outline counts once per Examples row
    steps: int
    unknown: tuple[UnknownStep, ...]


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

    contexts, steps_known = library_contexts(), catalogue()
    scenarios = steps = 0
    unknown: dict[tuple[str, int, str], UnknownStep] = {}
    for feature in get_features([str(path) for path in paths]):
        path = relative_path(feature.filename)
        for template in feature.scenarios.values():
            for scenario in _rendered(template):
                scenarios += 1
                for step in scenario.steps:
                    steps += 1
                    if _matches(step, contexts):
                        continue
                    text = f"{step.keyword.strip()} {step.name}"
                    nearest = closest(step.name, steps_known)
                    found = UnknownStep(
                        path,
                        step.line_number,
                        text,
                        tuple(f"{s.kind.capitalize()} {s.example}" for s in nearest),
                    )
                    unknown.setdefault((path, step.line_number, text), found)
    return CheckResult(scenarios, steps, tuple(unknown.values()))
