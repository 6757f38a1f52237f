"""The step catalogue: every registered pytest-bdd step, read from the step library itself.

Each step function documents itself: the first docstring line says what it does, and a line
`Example: <step text>` shows one line a feature file may use. Target tags (`@twin`, ...) come
from the step module's `TARGETS` tuple (default: every target).
"""

from __future__ import annotations

import difflib
import importlib
import inspect
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from harness.project import project_root
from harness.targets import TARGETS

STEP_MODULES: tuple[str, ...] = (
    "harness.bdd.steps.config",
    "harness.bdd.steps.client",
    "harness.bdd.steps.twin",
    "harness.bdd.steps.twin_state",
    "harness.bdd.steps.webhooks",
    "harness.bdd.steps.observability",
    "harness.bdd.steps.store",
    "harness.bdd.steps.health",
    "harness.bdd.steps.retry",
    "harness.bdd.steps.handoff",
)
FORMATS = ("text", "md", "json")
_EXAMPLE = re.compile(r"^\s*Example:\s*(?P<text>.+?)\s*$", re.MULTILINE)
_KEYWORDS = ("Given", "When", "Then", "And", "But")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")


@dataclass(frozen=True)
class CatalogueStep:
    kind: str  # given | when | then
    pattern: str
    params: dict[str, str]  # name -> type
    doc: str
    example: str  # the step text, without its keyword
    targets: tuple[str, ...]
    defined_at: str  # module:line

    def line(self) -> str:
        return f"{self.kind.capitalize()} {self.pattern}"


def library_contexts() -> list[Any]:
    """pytest-bdd's registrations of the library's steps (their kind and parser)."""
    from pytest_bdd.steps import step_function_context_registry

    for module in STEP_MODULES:
        importlib.import_module(module)
    return [
        c for c in step_function_context_registry.values() if c.step_func.__module__ in STEP_MODULES
    ]


_PARSE_FIELD = re.compile(r"\{(?P<name>\w+)(?::(?P<spec>[^}]*))?\}")
_PARSE_TYPES = {"d": "int", "f": "float", "w": "word", "": "text"}


def _params(parser: Any) -> dict[str, str]:
    """Parameter name -> type, from a `parse` format or a regex's named groups."""
    name = parser.name
    if isinstance(getattr(parser, "regex", None), re.Pattern):
        return dict.fromkeys(parser.regex.groupindex, "text")
    return {
        m.group("name"): _PARSE_TYPES.get(m.group("spec") or "", m.group("spec"))
        for m in _PARSE_FIELD.finditer(name)
    }


def relative_path(path: str) -> str:
    """A path inside the repository, relative to its root; others unchanged."""
    try:
        return str(Path(path).resolve().relative_to(project_root()))
    except ValueError:
        return path


def _entry(context: Any) -> CatalogueStep:
    func = context.step_func
    docstring = inspect.getdoc(func) or ""
    examples = [m.group("text") for m in _EXAMPLE.finditer(docstring)]
    fitting = [e for e in examples if context.parser.is_matching(e)]
    module = inspect.getmodule(func)
    start = inspect.getsourcelines(func)[1]
    return CatalogueStep(
        kind=context.type or "step",
        pattern=context.parser.name,
        params=_params(context.parser),
        doc=docstring.splitlines()[0] if docstring else "",
        example=(fitting or examples or [""])[0],
        targets=tuple(getattr(module, "TARGETS", TARGETS)),
        defined_at=f"{relative_path(inspect.getsourcefile(func) or '?')}:{start}",
    )


def catalogue() -> list[CatalogueStep]:
    """Every step of the library, sorted by kind then pattern."""
    order = {"given": 0, "when": 1, "then": 2}
    steps = [_entry(c) for c in library_contexts()]
    return sorted(steps, key=lambda s: (order.get(s.kind, 3), s.pattern))


def example_matches(step: CatalogueStep) -> bool:
    """The step's own parser accepts its example (the catalogue cannot drift from the code)."""
    for context in library_contexts():
        if context.parser.name == step.pattern and (context.type or "step") == step.kind:
            return bool(step.example) and context.parser.is_matching(step.example)
    return False


def grep(steps: Iterable[CatalogueStep], word: str) -> list[CatalogueStep]:
    needle = word.lower()
    return [s for s in steps if needle in f"{s.pattern} {s.doc} {s.example} {s.defined_at}".lower()]


def closest(text: str, steps: Sequence[CatalogueStep], count: int = 3) -> list[CatalogueStep]:
    """The catalogue steps nearest to a step text that matched none (for "did you mean").

    Numbers are compared as numbers, whatever their digits: a product id in the text should
    not pull towards an example that happens to share it.
    """
    body = _shape(strip_keyword(text))

    def score(step: CatalogueStep) -> float:
        return max(
            difflib.SequenceMatcher(None, body, _shape(step.example)).ratio(),
            difflib.SequenceMatcher(None, body, _shape(step.pattern)).ratio(),
        )

    return sorted(steps, key=score, reverse=True)[:count]


def unknown_step_message(feature_file: str, step: Any, steps: Sequence[CatalogueStep]) -> str:
    """`file:line: unknown step "…"; did you mean …?` for a feature line no step matches."""
    guesses = "; ".join(f'"{s.kind.capitalize()} {s.example}"' for s in closest(step.name, steps))
    return (
        f'{relative_path(feature_file)}:{step.line_number}: unknown step "{step.keyword} '
        f'{step.name}"; did you mean {guesses}? (g2a-harness steps --grep WORD lists the catalogue)'
    )


def _shape(text: str) -> str:
    return _NUMBER.sub("0", text.lower())


def strip_keyword(text: str) -> str:
    head, _, rest = text.strip().partition(" ")
    return rest if head in _KEYWORDS else text.strip()


def render(steps: Sequence[CatalogueStep], fmt: str) -> str:
    if fmt == "json":
        return json.dumps([asdict(s) for s in steps], indent=2) + "\n"
    if fmt == "md":
        return render_markdown(steps)
    lines: list[str] = []
    for step in steps:
        params = ", ".join(f"{n}: {t}" for n, t in step.params.items())
        lines += [
            step.line(),
            f"    {step.doc}",
            f"    example: {step.kind.capitalize()} {step.example}",
            f"    params:  {params or '-'}",
            f"    targets: {' '.join(step.targets)}   defined at {step.defined_at}",
            "",
        ]
    return "\n".join(lines)


def render_markdown(steps: Sequence[CatalogueStep]) -> str:
    """`docs/steps.md` (generated: `g2a-harness steps --format md > docs/steps.md`)."""
    lines = [
        "# Step catalogue",
        "",
        "Generated by `g2a-harness steps --format md > docs/steps.md`; a test keeps it fresh.",
        "Parameters in `{braces}` are typed (`:d` integer, `:f` number); regex steps show their",
        "named groups. Targets name where a scenario using the step may run.",
        "",
    ]
    for kind in ("given", "when", "then"):
        lines += [f"## {kind.capitalize()}", ""]
        for step in (s for s in steps if s.kind == kind):
            params = ", ".join(f"`{n}`: {t}" for n, t in step.params.items()) or "none"
            lines += [
                f"### `{step.pattern}`",
                "",
                step.doc,
                "",
                f"- example: `{kind.capitalize()} {step.example}`",
                f"- parameters: {params}",
                f"- targets: {', '.join(step.targets)}",
                f"- defined in `{step.defined_at.rsplit(':', 1)[0]}`",
                "",
            ]
    return "\n".join(lines)
