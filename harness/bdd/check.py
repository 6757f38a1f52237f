"""A dry run of feature files: does the step library understand every step, before a run?

Each scenario is read as pytest-bdd will run it: the Background's steps first, and a Scenario
Outline once per row of its Examples, with the row's values in place of its `<placeholders>`.
Every step is matched against the library's steps of its kind (Given, When, Then; And and But
take the kind before them), exactly as a run matches it, and an unknown one is reported as a
run reports it. A known step is also checked for what a run would trip over: a `<placeholder>`
no Examples column fills, a data table or doc string missing, unused or wrongly headed, and a
step that cannot arrange a target the scenario is tagged for; so is a tag a run would misread
(`@sanbox`, a `chk-` tag naming no checklist item, pytest's own `@skip`:
`harness.bdd.tag_check`). A file that is not valid Gherkin is reported with its line, instead
of the parser's traceback. Nothing runs and no target is needed.

Given the scenarios a run selects (`harness.bdd.discovery.scenario_filter`), a step
reported in a scenario the run leaves out is only a warning, as Cucumber and behave check only
the steps they run. A misread tag stops any run, selected or not: it is what drops a scenario
from the selection it was meant for (`@Sandbox` on a scenario of a sandbox run). So does a
file that is not valid Gherkin: none of its scenarios could be collected.
"""

from __future__ import annotations

import codecs
import linecache
import re
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_bdd.exceptions import GherkinParseError
from pytest_bdd.parser import PARAM_RE

from harness.bdd.catalogue import (
    catalogue,
    examples_row,
    library_contexts,
    relative_path,
    step_argument,
    step_context,
    table_header,
    unknown_step_message,
)
from harness.bdd.discovery import (
    FEATURE_SUFFIX,
    ScenarioKey,
    feature_dirs,
    feature_files_below,
    misnamed_feature_files_below,
    scenario_key,
    tagged,
)
from harness.bdd.file_end import UNEXPECTED_END, unfinished_file
from harness.bdd.tag_check import tag_problems
from harness.bdd.writes import step_targets
from harness.targets import DEFAULT_TARGET, TARGETS


@dataclass(frozen=True)
class CheckResult:
    scenarios: int  # scenarios as run: an Outline counts once per Examples row
    steps: int
    # one message per feature line no library step matches, one that fits a step but for what
    # a parameter says too (a run matches it to none and stops on it as on any unknown step)
    unknown: tuple[str, ...]
    # one message per file that is not valid Gherkin (a line per parser error)
    invalid: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()  # one message per known step a run would trip over
    # the steps reported only in scenarios the run does not select, in file order
    warnings: tuple[str, ...] = ()
    # the problems that are tags: reported whatever a run selects
    tags: tuple[str, ...] = ()

    def messages(self) -> list[str]:
        """What `steps --check` prints, one `file:line: …` each: the files that are not
        valid Gherkin, else the unknown steps and the problems, in file order."""
        if self.invalid:
            return [line for message in self.invalid for line in message.splitlines()]
        return sorted((*self.unknown, *self.problems), key=_place)


def _place(message: str) -> tuple[str, int]:
    """A message's `file:line` prefix, for listing messages in file order."""
    path, line, _ = message.split(":", 2)
    return path, int(line)


def feature_files(paths: Iterable[Path]) -> list[Path]:
    """The feature files `paths` name: files as given, folders searched recursively, those
    named `.Feature` or in another case included (`invalid_gherkin` names them)."""
    found: list[Path] = []
    for path in paths:
        found.extend(_files_in(path) if path.is_dir() else [path])
    return found


def _files_in(folder: Path) -> list[Path]:
    return sorted([*feature_files_below(folder), *misnamed_feature_files_below(folder)])


def invalid_files(paths: Iterable[Path]) -> tuple[str, ...]:
    """Why each feature file `paths` name (files, folders searched) cannot run as written
    (`invalid_gherkin`), in file order."""
    return tuple(problem for path in feature_files(paths) if (problem := invalid_gherkin(path)))


def runnable_feature_files() -> list[str]:
    """The feature files the test module binds: each one below the features folders
    (`discovery.feature_dirs`), once, once every one can run as written; else that module
    fails to collect, naming each file that cannot as `g2a-harness steps --check` does
    (pytest-bdd would stop on the first with its traceback), while the run's other modules
    collect as they would. Files, not folders: pytest-bdd, given a folder, binds the scenarios
    of a subfolder named like a feature file (`more.feature/`) twice."""
    import pytest

    files = dict.fromkeys(feature_files(Path(folder) for folder in feature_dirs()))
    if invalid := invalid_files(files):
        raise pytest.Collector.CollectError("\n".join(invalid))
    return [str(path) for path in files]


def invalid_gherkin(path: Path) -> str | None:
    """Why a feature file cannot be run as written (`file:line: …`, a line for each error the
    Gherkin parser found), or None when it can."""
    return _misnamed(path) or _byte_order_mark(path) or _unparsed(path)


def _shown(path: Path) -> str:
    """A feature file as every message names it (`relative_path`), a step's and a tag's too."""
    return relative_path(str(path))


def _misnamed(path: Path) -> str | None:
    """A file named `.Feature` (or `.FEATURE`): pytest-bdd, finding the feature files of a
    folder, leaves it out, so its scenarios would never run."""
    if path.suffix.lower() != FEATURE_SUFFIX or path.suffix == FEATURE_SUFFIX:
        return None
    return (
        f"{_shown(path)}: named {path.suffix}, which no run reads (pytest-bdd finds only files "
        f"ending in {FEATURE_SUFFIX}, lower case): rename it {path.stem}{FEATURE_SUFFIX}"
    )


def _byte_order_mark(path: Path) -> str | None:
    """A file starting with UTF-8's byte-order mark: pytest-bdd reads feature files as plain
    UTF-8, so the mark is a character before `Feature:` (or the first tag) to it."""
    with path.open("rb") as file:
        if file.read(len(codecs.BOM_UTF8)) != codecs.BOM_UTF8:
            return None
    return (
        f"{_shown(path)}:1: not valid Gherkin: the file starts with a byte-order mark (U+FEFF, as "
        "some Windows editors write UTF-8), which pytest-bdd cannot read: save it as UTF-8 "
        "without BOM"
    )


def _unparsed(path: Path) -> str | None:
    """Why pytest-bdd cannot read a feature file, or a scenario of it would hide or prove
    nothing; None when it can run."""
    from pytest_bdd.feature import get_features

    try:
        (feature,) = get_features([str(path)])
    except GherkinParseError as exc:
        return "\n".join(
            f"{_shown(path)}:{line}: not valid Gherkin: {message}{_quoted_line(content)}"
            for line, message, content in _parse_errors(exc)
        )
    except UnicodeDecodeError:
        return f"{_shown(path)}: not valid Gherkin: the file is not UTF-8 text"
    except KeyError:  # pytest-bdd's reading of a document without a Feature
        return f"{_shown(path)}: not valid Gherkin: no `Feature:` line"
    return _repeated_name(path) or _without_steps(path, feature.scenarios.values())


def _parse_errors(exc: GherkinParseError) -> list[tuple[int, str, str]]:
    """Each error of a file the Gherkin parser refused, as (line, what is wrong, the line's
    text). The parser collects every error of the file, but pytest-bdd raises with the first
    one's line only, and words an error it does not know as "Unknown parsing error: " and the
    parser's whole report ("Parser errors:\n(7:7): inconsistent cell count within the table"):
    each is worded as pytest-bdd words it, else as the parser does, without its location, but
    for a file that ends too early (`harness.bdd.file_end`), which the parser words with its
    token names."""
    from gherkin.errors import CompositeParserException
    from pytest_bdd.gherkin_parser import handle_gherkin_parser_error

    cause = exc.__cause__
    if not isinstance(cause, CompositeParserException):
        return [(exc.line, exc.message, exc.line_content)]
    found = []
    for error in cause.errors:
        line = error.location["line"]
        message = _PARSER_LOCATION.sub("", error.args[0])
        if message.startswith(UNEXPECTED_END):
            lines = linecache.getlines(exc.filename)
            line, message = unfinished_file(lines, message, line)
            found.append((line, message, linecache.getline(exc.filename, line)))
            continue
        content = linecache.getline(exc.filename, line)
        try:
            handle_gherkin_parser_error(error.args[0], line, content, exc.filename)
            found.append((line, message, content))
        except GherkinParseError as one:
            found.append((line, one.message, content))
    return found


_PARSER_LOCATION = re.compile(r"^\(\d+:\d+\): ")  # how the parser's message starts: `(7:7): `


def _quoted_line(content: str) -> str:
    """` (the line's text)` after a message, or "" for a line with none (the end of the file)."""
    return f" ({content.strip()})" if content.strip() else ""


_SCENARIO_LINE = re.compile(r"^\s*(?:Scenario(?: Outline| Template)?|Example):\s*(.*?)\s*$")


def _repeated_name(path: Path) -> str | None:
    """A scenario named as an earlier one of its file: pytest-bdd would run only the last."""
    seen: set[str] = set()
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if (match := _SCENARIO_LINE.match(line)) is None:
            continue
        if match[1] in seen:
            named = f"scenario {match[1]!r} is named twice"
            return f"{_shown(path)}:{number}: {named}: only one would run"
        seen.add(match[1])
    return None


def _without_steps(path: Path, templates: Iterable[Any]) -> str | None:
    """A scenario with no step of its own (a line without a keyword before its first step is
    read as its description): it would pass without checking anything."""
    for template in templates:
        if len(template.steps) == len(template.all_background_steps):
            return (
                f"{_shown(path)}:{template.line_number}: scenario {template.name!r} has no step "
                "(does each step line start with Given, When, Then, And or But?)"
            )
    return None


@dataclass(frozen=True)
class _Run:
    """One scenario as it runs: its steps, the Examples columns that filled it, its targets."""

    scenario: Any
    columns: tuple[str, ...]
    targets: tuple[str, ...]
    tags: frozenset[str]
    key: ScenarioKey
    row_line: int | None = None  # the line of the Examples row that filled it in


def _row_lines(path: str, examples: Any) -> list[int]:
    """The line of each row of an Examples table, its header left out."""
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    rows: list[int] = []
    for index in range(examples.line_number or 0, len(lines)):  # from the line after `Examples:`
        text = lines[index].strip()
        if text.startswith("|"):
            rows.append(index + 1)
        elif text and not text.startswith("#"):
            break
    return rows[1:]


def _rendered(feature: Any, template: Any) -> Iterable[_Run]:
    """The scenarios a template runs as: one per Examples row, or itself once."""
    tags = feature.tags | template.tags | (template.rule.tags if template.rule else set())
    runs: list[tuple[Mapping[str, str], tuple[str, ...], set[str], int | None]] = []
    for examples in template.examples:
        rows = _row_lines(feature.filename, examples)
        for number, context in enumerate(examples.as_contexts()):
            row = rows[number] if number < len(rows) else None
            runs.append((context, tuple(examples.example_params), examples.tags, row))
    for context, columns, row_tags, row in runs or [({}, (), set(), None)]:
        declared = sorted((tags | row_tags) & set(TARGETS)) or [DEFAULT_TARGET]
        key = scenario_key(feature.filename, template.line_number, context)
        yield _Run(template.render(context), columns, tuple(declared), tags | row_tags, key, row)


def _context(step: Any, contexts: list[Any]) -> Any:
    """The library step a feature step runs as, or None."""
    return step_context(step.type, step.name, contexts)


def _placeholders(step: Any, columns: tuple[str, ...]) -> str | None:
    """A `<name>` left in a step as run: no Examples column filled it."""
    texts = [step.name, step.docstring or ""]
    texts += [cell for row in step.datatable.raw() for cell in row] if step.datatable else []
    left = sorted({name for text in texts for name in PARAM_RE.findall(text)})
    if not left:
        return None
    filled = (
        f"the Examples columns are {', '.join(columns)}" if columns else "there are no Examples"
    )
    names = ", ".join(f"<{name}>" for name in left)
    return f'step "{step.keyword} {step.name}" has {names} but {filled}: nothing fills it in'


def argument_problem(step: Any, func: Any) -> str | None:
    """What is wrong with the data table or doc string under a step, for the function it runs,
    or None: the step needs one and has none, has one it would ignore, or a table whose header
    is not the one the step requires."""
    wanted, named = step_argument(func), f'step "{step.keyword} {step.name}"'
    given = "data table" if step.datatable is not None else ""
    given = "doc string" if step.docstring is not None else given
    header = table_header(func)
    shown = f", headed {_row(header)}" if header else ""
    if wanted and not given:
        return f"{named} needs a {wanted} under it{shown}"
    if given and wanted != given:
        return f"{named} takes no {given}: the {given} under it would be ignored"
    if header and step.datatable is not None:
        first = step.datatable.raw()[0]
        if first != header:
            return f"{named} needs its table headed {_row(header)}, not {_row(first)}"
    return None


def _row(cells: list[str]) -> str:
    return f"| {' | '.join(cells)} |"


def _target_problem(step: Any, func: Any, targets: tuple[str, ...]) -> str | None:
    """A step that cannot run on a target its scenario is tagged for."""
    outside = [t for t in targets if t not in step_targets(func)]
    if not outside:
        return None
    return (
        f'step "{step.keyword} {step.name}" runs only on {", ".join(step_targets(func))}, '
        f"but the scenario is tagged for {', '.join(outside)}: tag it "
        f"{' '.join('@' + t for t in step_targets(func))} only"
    )


def target_refusal(feature: Any, scenario: Any, target: str) -> tuple[str, str] | None:
    """The first step of a scenario about to run that `target` does not allow, with why, as
    `file:line: …` (`steps --check` words it the same), or None. A run refuses the scenario
    with it before the first step sends anything."""
    contexts = library_contexts()
    for step in scenario.steps:
        context = _context(step, contexts)
        problem = context and _target_problem(step, context.step_func, (target,))
        if problem:
            where = f"{relative_path(feature.filename)}:{step.line_number}"
            return f"{step.keyword} {step.name}", f"{where}: {problem}"
    return None


def _tags_beyond_the_plugin_s(files: Iterable[Path]) -> bool:
    from harness.bdd.plugin import own_tags

    own = own_tags()
    return any(tag not in own for path in files for tag in tagged(path))


def check_features(
    paths: Iterable[Path],
    selected: Callable[[frozenset[str]], bool] | None = None,
    kept: Collection[ScenarioKey] | None = None,
    marks: Callable[[], Mapping[str, str]] | None = None,
) -> CheckResult:
    """Every step and tag of every scenario in `paths` (feature files or folders of them);
    given `selected` (whether a run keeps a scenario with these tags) or `kept` (the scenarios
    a `-k` run keeps: `kept_by_keyword`), a step reported only in scenarios the run leaves out
    is a warning. Tags are reported whatever the selection; so are those that are `marks`
    (registered with pytest by its plugins and the project: `pytest_marks`), asked once every
    file is valid Gherkin, if a tag is not one of the harness plugin's own (it costs a pytest
    start)."""
    from pytest_bdd.feature import get_features

    files = feature_files(paths)
    invalid = invalid_files(files)
    if invalid:
        return CheckResult(0, 0, (), invalid)
    keeps = selected or (lambda tags: True)
    contexts, known = library_contexts(), catalogue()
    scenarios = steps = 0
    # message -> whether a selected scenario has it (a tag: always); in file order, each once
    # (a Background or an Outline repeats them)
    unknown: dict[str, bool] = {}
    registered = marks() if marks is not None and _tags_beyond_the_plugin_s(files) else {}
    tags = tuple(
        m for path in files for m in tag_problems(path, relative_path(str(path)), registered)
    )
    problems = dict.fromkeys(tags, True)
    for feature in get_features([str(path) for path in files]):
        where = relative_path(feature.filename)
        for template in feature.scenarios.values():
            # a step whose text has a <placeholder>: a row's value may be what is wrong with it
            filled = {s.line_number for s in template.steps if PARAM_RE.search(s.name)}
            for run in _rendered(feature, template):
                scenarios += 1
                chosen = keeps(run.tags) and (kept is None or run.key in kept)
                for step in run.scenario.steps:
                    steps += 1
                    row = run.row_line if step.line_number in filled else None
                    context = _context(step, contexts)
                    problem = _placeholders(step, run.columns)
                    if problem is not None:
                        _note(problems, f"{where}:{step.line_number}: {problem}", chosen)
                    elif context is None:
                        message = unknown_step_message(feature.filename, step, known, row)
                        _note(unknown, message, chosen)
                    elif problem := argument_problem(step, context.step_func) or _target_problem(
                        step, context.step_func, run.targets
                    ):
                        line = row or step.line_number
                        message = f"{where}:{line}: {problem}{examples_row(step, row)}"
                        _note(problems, message, chosen)
    left_out = [m for found in (unknown, problems) for m, was in found.items() if not was]
    return CheckResult(
        scenarios,
        steps,
        _kept(unknown),
        problems=_kept(problems),
        warnings=tuple(sorted(left_out, key=_place)),
        tags=tags,
    )


def _note(found: dict[str, bool], message: str, kept: bool) -> None:
    """Keep `message`, noting whether a selected scenario has it (once one has, it stays)."""
    found[message] = found.get(message, False) or kept


def _kept(found: dict[str, bool]) -> tuple[str, ...]:
    return tuple(message for message, kept in found.items() if kept)
