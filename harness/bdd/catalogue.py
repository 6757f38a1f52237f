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
import textwrap
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from harness.bdd.lookalikes import lookalikes, plain
from harness.bdd.parameters import parameter_formats, refused_fit, regex_of
from harness.bdd.readable import readable
from harness.bdd.wordings import PARAMETER_TYPES
from harness.bdd.writes import step_targets

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
# how close two steps' scores are (of 1) for "did you mean" to show the line's own kind first
NEAR = 0.05


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


ARGUMENTS = {"datatable": "data table", "docstring": "doc string"}


def _readable(parser: Any) -> str:
    return readable(parser.name) if regex_of(parser) is not None else str(parser.name)


def _params(parser: Any) -> dict[str, str]:
    """Parameter name -> what it takes, as the catalogue lists it: its type (`whole`,
    `number`, `currency`: the legend explains each), the forms it may say or the numbers it
    may be (`one of "new", "paid"`, `a whole number from 1 to 11`), else any `text`."""
    return {
        name: "text" if format_ is None else format_.describe()
        for name, format_ in parameter_formats(parser).items()
    }


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
    """A feature file as a message names it: relative to the working directory when below it,
    else absolute, whether it was given as written (`steps --check qa`, `../qa`) or resolved
    (`run --features qa`, which works from the repository root); as a run's report names a
    scenario's file (`plugin.scenario_where`)."""
    resolved, here = Path(path).resolve(), Path.cwd()
    return str(resolved.relative_to(here) if resolved.is_relative_to(here) else resolved)


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
        params=_params(context.parser),
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


def closest(
    text: str,
    steps: Sequence[CatalogueStep],
    count: int = 3,
    kind: str | None = None,
    fitted: Any = None,
) -> list[CatalogueStep]:
    """The catalogue steps nearest to a step text that matched none (for "did you mean").

    Numbers are compared as numbers, whatever their digits: a product id in the text should
    not pull towards an example that happens to share it. The library step the text fits but
    for a parameter (`fitted`, a step context) comes first; then a step of the line's own
    `kind` goes before one of another kind it is `NEAR` to, unless the nearest step of all is
    of another kind: a wrong keyword (`Given` for a `Then` step) must still show.
    """
    body = _shape(strip_keyword(text))

    def score(step: CatalogueStep) -> float:
        return max(
            difflib.SequenceMatcher(None, body, _shape(step.example)).ratio(),
            difflib.SequenceMatcher(None, body, _shape(step.pattern)).ratio(),
        )

    scored = [(score(step), step) for step in steps]
    best = max(scored, key=lambda pair: pair[0], default=None)
    own = kind if best is not None and best[1].kind == kind else None

    def rank(pair: tuple[float, CatalogueStep]) -> tuple[bool, float]:
        points, step = pair
        led = fitted is not None and _is_of(step, fitted)
        return led, points + (NEAR if step.kind == own else 0.0)

    return [step for _, step in sorted(scored, key=rank, reverse=True)[:count]]


def _is_of(step: CatalogueStep, context: Any) -> bool:
    """The catalogue step is this library step (a pytest-bdd step context)."""
    return step.pattern == context.parser.name and step.kind == (context.type or "step")


def unknown_step_message(
    feature_file: str, step: Any, steps: Sequence[CatalogueStep], row_line: int | None = None
) -> str:
    """`file:line: unknown step "…"; did you mean …?` for a feature line no step matches, or
    why it does not fit the step it looks like: a character that only looks like a plain
    space, quote or apostrophe (`harness.bdd.lookalikes`: retyped plainly, it is a step), a
    parameter outside what it takes (`harness.bdd.parameters`: the closest steps follow all
    the same). A step that an Examples row filled in is named by the row's line
    (`row_line`), the step's own line following the step."""
    where = f"{relative_path(feature_file)}:{row_line or step.line_number}"
    named = f'"{step.keyword} {step.name}"' + examples_row(step, row_line)
    typed, contexts = plain(step.name), library_contexts()
    slips = _lookalikes(feature_file, step, row_line) if typed != step.name else []
    if slips and step_context(step.type, typed, contexts) is not None:
        return f'{where}: step {named}: {"; ".join(slips)}; retype it as "{step.keyword} {typed}"'
    fitted, refusals = refused_fit(step.type, typed, contexts)
    nearest = closest(typed, steps, kind=step.type, fitted=fitted)
    guesses = "; ".join(f'"{s.kind.capitalize()} {s.example}"' for s in nearest)
    suggestion = f"did you mean {guesses}? (g2a-harness steps --grep WORD lists the catalogue)"
    if reasons := [*slips, *refusals]:
        return f"{where}: step {named}: {'; '.join(reasons)}; {suggestion}"
    return f"{where}: unknown step {named}; {suggestion}"


def _lookalikes(feature_file: str, step: Any, row_line: int | None) -> list[str]:
    """What in the step only looks like a plain space, quote or apostrophe, by its column in
    the step's line (not told when an Examples row filled the step in)."""
    lines = Path(feature_file).read_text(encoding="utf-8").splitlines()
    line = lines[step.line_number - 1] if row_line is None else ""
    start = line.find(step.name)
    return lookalikes(step.name, start + 1 if start >= 0 else None)


def step_context(kind: str | None, text: str, contexts: Iterable[Any]) -> Any:
    """The library step of this kind (`given`, `when`, `then`) that `text` runs as, as a run
    matches it, or None."""
    return next(
        (c for c in contexts if c.type in (None, kind) and c.parser.is_matching(text)), None
    )


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


_TYPES = "; ".join(f"`:{f.name}` {f.description}" for f in PARAMETER_TYPES)
_LEGEND = (
    "Generated by `g2a-harness steps --format md > docs/steps.md`; a test keeps it fresh. "
    f"Parameters are in `{{braces}}`, some typed in them ({_TYPES}). Each step's list gives "
    f"every parameter's type ({', '.join(f'`{f.name}`' for f in PARAMETER_TYPES)}, or any `text`), "
    "the forms it may say or the numbers it may be. `a/b` says either word, and "
    "`(a seller/sellers)` says either phrase; `[words]` and a `(letter)` may be left out "
    "(`request(s)`). A step that takes a data table shows it under its example, with the "
    "header row it requires. Targets name where a scenario using the step may run: a scenario "
    "may be tagged only with targets of all its steps."
)


def render_markdown(steps: Sequence[CatalogueStep]) -> str:
    """`docs/steps.md` (generated: `g2a-harness steps --format md > docs/steps.md`)."""
    lines = ["# Step catalogue", "", *textwrap.wrap(_LEGEND, width=92), ""]
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
