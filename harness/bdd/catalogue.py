"""The step catalogue: every registered pytest-bdd step, read from the step library itself.

Each step function documents itself: the first docstring line says what it does, and a line
`Example: <step text>` shows one line a feature file may use, followed by the data table the
step takes, if it takes one (its first row is the header the step requires). Target tags
(`@twin`, ...) come from the step module's `TARGETS` tuple (default: every target), less
live for a step marked `@writes` (`harness.bdd.writes`).
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

from harness.bdd.readable import choices, fixed_phrases, readable, whole_numbers
from harness.bdd.wordings import Worded
from harness.bdd.writes import step_targets
from harness.project import project_root

STEP_MODULES: tuple[str, ...] = (
    "harness.bdd.steps.config",
    "harness.bdd.steps.client",
    "harness.bdd.steps.product_checks",
    "harness.bdd.steps.twin",
    "harness.bdd.steps.twin_state",
    "harness.bdd.steps.webhooks",
    "harness.bdd.steps.observability",
    "harness.bdd.steps.receiver_metrics",
    "harness.bdd.steps.store",
    "harness.bdd.steps.health",
    "harness.bdd.steps.retry",
    "harness.bdd.steps.handoff",
    "harness.bdd.steps.seller",
)
FORMATS = ("text", "md", "json")
_EXAMPLE = re.compile(r"^\s*Example:\s*(?P<text>.+?)\s*$", re.MULTILINE)
_KEYWORDS = ("Given", "When", "Then", "And", "But")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")


@dataclass(frozen=True)
class CatalogueStep:
    kind: str  # given | when | then
    pattern: str  # as the step's parser holds it (a `parse` format, a regex, a string)
    params: dict[str, str]  # name -> type
    doc: str
    readable: str  # the pattern as the catalogue shows it: a regex's groups as `{name}`
    example: str  # the step text, without its keyword
    targets: tuple[str, ...]
    defined_at: str  # module:line
    argument: str = ""  # what the step takes under its line: "data table", "doc string" or ""
    table: tuple[str, ...] = ()  # the example's data table, row by row as written

    def line(self) -> str:
        return f"{self.kind.capitalize()} {self.readable}"


def library_contexts() -> list[Any]:
    """pytest-bdd's registrations of the library's steps (their kind and parser)."""
    from pytest_bdd.steps import step_function_context_registry

    for module in STEP_MODULES:
        importlib.import_module(module)
    return [
        c for c in step_function_context_registry.values() if c.step_func.__module__ in STEP_MODULES
    ]


_PARSE_FIELD = re.compile(r"\{(?P<name>\w+)(?::(?P<spec>[^}]*))?\}")
_PARSE_TYPES = {
    "d": "int",
    "whole": "whole",
    "f": "float",
    "number": "number",
    "w": "word",
    "": "text",
}
_CONVERTED: dict[Any, str] = {int: "int", float: "number"}
ARGUMENTS = {"datatable": "data table", "docstring": "doc string"}


def _regex(parser: Any) -> re.Pattern[str] | None:
    """A regex step's regex (a worded one's too); None for a `parse` or string step."""
    found = getattr(parser.base if isinstance(parser, Worded) else parser, "regex", None)
    return found if isinstance(found, re.Pattern) else None


def _readable(parser: Any) -> str:
    return readable(parser.name) if _regex(parser) is not None else str(parser.name)


def _params(parser: Any, converters: dict[str, Any]) -> dict[str, str]:
    """Parameter name -> type, from a `parse` format or a regex's named groups (a group of
    digits only is `whole`, as `{name:whole}` is; others are typed by the step's converters;
    a group of one fixed phrase is text of the line, no parameter); a worded parameter's type
    lists its forms."""
    if isinstance(parser, Worded):
        worded = {name: wording.describe() for name, wording in parser.wordings.items()}
        return {**_params(parser.base, converters), **worded}
    if (regex := _regex(parser)) is not None:
        phrases = {name: _one_of(forms) for name, forms in choices(regex.pattern).items()}
        typed = {name: _CONVERTED.get(converters.get(name), "text") for name in regex.groupindex}
        whole = dict.fromkeys(whole_numbers(regex.pattern), "whole")
        fixed = fixed_phrases(regex.pattern)
        return {n: t for n, t in {**typed, **whole, **phrases}.items() if n not in fixed}
    return {
        m.group("name"): _PARSE_TYPES.get(m.group("spec") or "", m.group("spec"))
        for m in _PARSE_FIELD.finditer(parser.name)
    }


def _one_of(phrases: list[str]) -> str:
    """The forms of a parameter, as a wording's are listed (`Wording.describe`)."""
    return "one of " + ", ".join(f'"{phrase}"' for phrase in phrases)


def step_argument(func: Any) -> str:
    """What a step function takes under its line: "data table", "doc string" or ""."""
    taken = [ARGUMENTS[p] for p in inspect.signature(func).parameters if p in ARGUMENTS]
    return taken[0] if taken else ""


def examples(func: Any) -> list[tuple[str, tuple[str, ...]]]:
    """Each `Example:` of a step function's docstring, with the table rows written under it."""
    lines = (inspect.getdoc(func) or "").splitlines()
    found: list[tuple[str, tuple[str, ...]]] = []
    for number, line in enumerate(lines):
        if match := _EXAMPLE.match(line):
            rows = []
            for row in lines[number + 1 :]:
                if not row.strip().startswith("|"):
                    break
                rows.append(row.strip())
            found.append((match.group("text"), tuple(rows)))
    return found


def table_header(func: Any) -> list[str]:
    """The header a step requires of its data table: its example table's first row."""
    tables = [table for _, table in examples(func) if table]
    return _cells(tables[0][0]) if tables else []


def _cells(row: str) -> list[str]:
    return [cell.strip() for cell in row.strip().strip("|").split("|")]


def relative_path(path: str) -> str:
    """A path inside the repository, relative to its root; others unchanged."""
    try:
        return str(Path(path).resolve().relative_to(project_root()))
    except ValueError:
        return path


def source_path(path: str) -> str:
    """Where a step is defined, as `harness/...`: the same from a clone as from an installed
    harness (docs/steps.md is generated either way)."""
    import harness

    try:
        return str(Path(path).resolve().relative_to(Path(harness.__file__).resolve().parents[1]))
    except ValueError:
        return path


def _summary(docstring: str) -> str:
    """A step's docstring's first paragraph, on one line (up to its first `Example:`)."""
    paragraph = docstring.split("\n\n", 1)[0]
    return " ".join(_EXAMPLE.split(paragraph, 1)[0].split())


def _entry(context: Any) -> CatalogueStep:
    func = context.step_func
    docstring = inspect.getdoc(func) or ""
    written = examples(func)
    fitting = [e for e in written if context.parser.is_matching(e[0])]
    example, table = (fitting or written or [("", ())])[0]
    start = inspect.getsourcelines(func)[1]
    return CatalogueStep(
        kind=context.type or "step",
        pattern=context.parser.name,
        params=_params(context.parser, context.converters),
        doc=_summary(docstring),
        readable=_readable(context.parser),
        example=example,
        targets=step_targets(func),
        defined_at=f"{source_path(inspect.getsourcefile(func) or '?')}:{start}",
        argument=step_argument(func),
        table=table,
    )


def catalogue() -> list[CatalogueStep]:
    """Every step of the library, sorted by kind then as the catalogue shows it."""
    order = {"given": 0, "when": 1, "then": 2}
    steps = [_entry(c) for c in library_contexts()]
    return sorted(steps, key=lambda s: (order.get(s.kind, 3), s.readable.lower(), s.pattern))


def example_matches(step: CatalogueStep) -> bool:
    """The step's own parser accepts its example (the catalogue cannot drift from the code)."""
    for context in library_contexts():
        if context.parser.name == step.pattern and (context.type or "step") == step.kind:
            return bool(step.example) and context.parser.is_matching(step.example)
    return False


def grep(steps: Iterable[CatalogueStep], word: str) -> list[CatalogueStep]:
    needle = word.lower()
    return [
        s
        for s in steps
        if needle in f"{s.pattern} {s.readable} {s.doc} {s.example} {s.defined_at}".lower()
    ]


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


def unknown_step_message(
    feature_file: str, step: Any, steps: Sequence[CatalogueStep], row_line: int | None = None
) -> str:
    """`file:line: unknown step "…"; did you mean …?` for a feature line no step matches, or,
    when a step fits but for a parameter outside its wording, which forms it may say (and the
    closest steps all the same). A step that an Examples row filled in is named by the row's
    line (`row_line`), the step's own line following the step."""
    where = f"{relative_path(feature_file)}:{row_line or step.line_number}"
    named = f'"{step.keyword} {step.name}"' + examples_row(step, row_line)
    guesses = "; ".join(f'"{s.kind.capitalize()} {s.example}"' for s in closest(step.name, steps))
    suggestion = f"did you mean {guesses}? (g2a-harness steps --grep WORD lists the catalogue)"
    for context in library_contexts():
        worded = context.type in (None, step.type) and isinstance(context.parser, Worded)
        if worded and (refusals := context.parser.misworded(step.name)):
            return f"{where}: step {named}: {'; '.join(refusals)}; {suggestion}"
    return f"{where}: unknown step {named}; {suggestion}"


def examples_row(step: Any, row_line: int | None) -> str:
    """` (line N, with the values of the Examples row at line M)`, or "" without a row."""
    if row_line is None:
        return ""
    return f" (line {step.line_number}, with the values of the Examples row at line {row_line})"


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
            *(f"               {row}" for row in step.table),
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
        "Parameters are in `{braces}`, some typed in them (`:whole` a whole number in digits, no",
        "sign, such as `300`; `:number` a whole or decimal number such as `12` or `12.50`); each",
        "step's list gives every parameter's type (`whole`, `number`, a `word`, any `text`), or",
        "the forms it may say. `a/b` says either word, and `(a seller/sellers)` says either",
        "phrase; `[words]` and a `(letter)` may be left out (`request(s)`). A step that takes a",
        "data table shows it under its example, with the header row it requires. Targets name",
        "where a scenario using the step may run: a scenario may be tagged only with targets of",
        "all its steps.",
        "",
    ]
    for kind in ("given", "when", "then"):
        lines += [f"## {kind.capitalize()}", ""]
        for step in (s for s in steps if s.kind == kind):
            params = ", ".join(f"`{n}`: {t}" for n, t in step.params.items()) or "none"
            lines += [
                f"### `{step.readable}`",
                "",
                step.doc,
                "",
                f"- example: `{kind.capitalize()} {step.example}`",
                *_markdown_table(step),
                f"- parameters: {params}",
                f"- targets: {', '.join(step.targets)}",
                f"- defined in `{step.defined_at.rsplit(':', 1)[0]}`",
                "",
            ]
    return "\n".join(lines)


def _markdown_table(step: CatalogueStep) -> list[str]:
    if not step.argument:
        return []
    if not step.table:
        return [f"- takes a {step.argument} under the step"]
    return [
        f"- takes a {step.argument} under the step, headed as in the example:",
        "",
        *(f"      {row}" for row in step.table),
        "",
    ]
