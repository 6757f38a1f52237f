"""pytest plugin `harness.bdd.plugin` (`-p harness.bdd.plugin`; no entry point, so it never
loads in a test run that did not ask for it): targets, markers, results, steps.

- `--target twin|sandbox|live` (or `G2A_TARGET`): scenarios whose `@twin @sandbox @live` tags
  do not allow the chosen target are deselected, and the reasons are summarised at the end.
- Every tag the feature files use is registered as a marker, so `--strict-markers` holds; a run
  that collects scenarios is refused while a tag is a mark registered with pytest (`@skip`,
  `@vcr`, a plugin's `@anyio`, the project's `@slow`): pytest would apply it to the scenario.
- `--g2a-kept PATH` (with `--co`) writes the scenarios the selection keeps, `-k` included.
- `--g2a-results PATH` writes one JSON line per test (nodeid, scenario name, outcome, tags),
  which `g2a-harness run` maps onto the checklist.
- The fixtures and the step library live in `harness.bdd.fixtures` and `harness.bdd.steps.*`,
  loaded below, so another repository's `.feature` files can use the same steps.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from contextlib import ExitStack
from pathlib import Path
from typing import IO, Any

import pytest

from harness.bdd.catalogue import STEP_MODULES
from harness.bdd.cut_short import CutShortReporter
from harness.bdd.discovery import (
    SelectionError,
    feature_dirs,
    feature_tags,
    mark_tag_problems,
    registered_marks,
    scenario_key,
)
from harness.checklist import checklist_tags
from harness.processes import sigterm_interrupts
from harness.run_results import CUT_SHORT, NOT_REACHED
from harness.targets import TARGETS, TargetError, allowed_on, target_name

pytest_plugins = ["harness.bdd.fixtures", *STEP_MODULES]

AREA_TAGS: dict[str, str] = {
    "config": "configuration from the environment",
    "auth": "authentication and tokens",
    "products": "product catalogue",
    "orders": "orders",
    "purchase": "idempotent purchases",
    "webhooks": "signed webhooks",
    "idempotency": "the idempotency store",
    "resilience": "faults and retries",
    "observability": "logs and metrics",
    "health": "health endpoint",
    "e2e": "end to end",
    "handoff": "handoff readiness",
    "seller": "declared stock: the seller side of G2A",
}
TARGET_TAGS: dict[str, str] = {
    "twin": "may run against the embedded G2A twin",
    "sandbox": "may run against the real G2A sandbox",
    "live": "may run against live G2A (read-only)",
}
TARGET_KEY = pytest.StashKey[str]()
RESULTS_KEY = pytest.StashKey["ResultsWriter"]()
DESELECTED_KEY = pytest.StashKey[list[tuple[str, str]]]()
FAILED_STEP_KEY = pytest.StashKey[str]()
MARK_TAGS_KEY = pytest.StashKey[list[str]]()  # the feature files' tags that are pytest marks
OWN_MARKERS_KEY = pytest.StashKey[set[str]]()  # the `markers` lines this plugin registers
FOLDERS_KEY = pytest.StashKey[list[str]]()  # the features folders of the run


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("g2a_bdd", "G2A handoff checklist")
    group.addoption(
        "--target",
        dest="g2a_target",
        default=None,
        help=f"where scenarios run: {'|'.join(TARGETS)} (default: $G2A_TARGET or twin)",
    )
    group.addoption(
        "--g2a-results",
        dest="g2a_results",
        default=None,
        metavar="PATH",
        help="write one JSON line per test (outcome, tags) for g2a-harness run",
    )
    group.addoption(
        "--g2a-kept",
        dest="g2a_kept",
        default=None,
        metavar="PATH",
        help="write the scenarios the selection keeps (with --co: how g2a-harness run reads -k)",
    )


def plugin_markers(folders: list[str]) -> set[str]:
    """The `markers` lines this plugin registers in a run over the feature files of
    `folders`: the target, area, smoke and checklist tags, and every other tag they use."""
    markers = {f"{tag}: {text}" for tag, text in {**TARGET_TAGS, **AREA_TAGS}.items()}
    markers.add("smoke: the short path, run by --suite smoke")
    markers |= {f"{tag}: proves checklist item {tag[4:]}" for tag in checklist_tags()}
    markers |= {f"{tag}: a tag of the feature files" for tag in feature_tags(folders) - own_tags()}
    return markers


def own_tags() -> set[str]:
    """The tags this plugin gives a meaning of its own: targets, areas, smoke, checklist items
    (no plugin's mark can be one of them)."""
    return {*checklist_tags(), *AREA_TAGS, *TARGET_TAGS, "smoke"}


def pytest_configure(config: pytest.Config) -> None:
    try:
        folders = config.stash[FOLDERS_KEY] = feature_dirs()
    except SelectionError as exc:
        raise pytest.UsageError(str(exc)) from None
    markers = plugin_markers(folders)
    for line in sorted(markers):
        config.addinivalue_line("markers", line)
    config.stash[OWN_MARKERS_KEY] = markers
    try:
        config.stash[TARGET_KEY] = target_name(config.getoption("g2a_target"))
    except TargetError as exc:
        raise pytest.UsageError(str(exc)) from None
    config.stash[DESELECTED_KEY] = []
    if config.option.xmlpath and not hasattr(config, "workerinput"):  # xdist: junit's process
        config.pluginmanager.register(CutShortReporter(scenario_where), "g2a_bdd_cut_short")
    path = config.getoption("g2a_results")
    if path:
        writer = ResultsWriter(Path(path))
        config.stash[RESULTS_KEY] = writer
        config.pluginmanager.register(writer, "g2a_bdd_results")


def _mark_tag_problems(config: pytest.Config) -> list[str]:
    """The feature files' tags that are marks registered with pytest in this run (by pytest,
    its plugins, the project's configuration), read from the run's own `markers` once a
    scenario is collected (every plugin has registered its marks by then; `--fixtures` collects
    without the `pytest_collection` hook); those this plugin registered are left out."""
    if MARK_TAGS_KEY not in config.stash:
        own = config.stash[OWN_MARKERS_KEY]
        marks = registered_marks(line for line in config.getini("markers") if line not in own)
        config.stash[MARK_TAGS_KEY] = mark_tag_problems(config.stash[FOLDERS_KEY], marks)
    return config.stash[MARK_TAGS_KEY]


def pytest_itemcollected(item: pytest.Item) -> None:
    """Refuse a run that collects a scenario while a feature file has a tag pytest would apply
    as a mark (`mark_tag_problems`): that scenario, or another, would be skipped, replayed from
    a cassette or cut off the network without saying so. Only runs of scenarios are refused."""
    if scenario_title(item) is None:
        return
    problems = _mark_tag_problems(item.config)
    if problems:
        raise pytest.UsageError(
            "\n".join([*problems, f"{len(problems)} tag(s) cannot run as written; nothing ran"])
        )


class UnknownStepError(AssertionError):
    """A feature line that no catalogue step matches."""


def pytest_bdd_step_func_lookup_error(
    request: pytest.FixtureRequest, feature: Any, scenario: Any, step: Any, exception: Exception
) -> None:
    """Fail with the feature, line, step text and the three closest catalogue steps."""
    from harness.bdd.catalogue import catalogue, unknown_step_message

    request.node.stash[FAILED_STEP_KEY] = f"{step.keyword} {step.name}"
    message = unknown_step_message(feature.filename, step, catalogue())
    raise UnknownStepError(message) from None


class TargetRefusal(AssertionError):
    """A scenario with a step its target does not allow (a purchase on live, a twin fault on
    the sandbox): refused before its first step sends anything."""


def pytest_bdd_before_scenario(request: pytest.FixtureRequest, feature: Any, scenario: Any) -> None:
    """Refuse, as `g2a-harness steps --check` reports it, a scenario that would reach the
    target with a step the target does not allow, before any of its steps runs."""
    from harness.bdd.check import target_refusal

    if (refusal := target_refusal(feature, scenario, chosen_target(request.config))) is not None:
        request.node.stash[FAILED_STEP_KEY], message = refusal
        raise TargetRefusal(message)


class StepArgumentError(AssertionError):
    """A data table or doc string under a step that does not fit the step."""


def pytest_bdd_before_step(
    request: pytest.FixtureRequest, feature: Any, scenario: Any, step: Any, step_func: Any
) -> None:
    """Fail a step whose data table or doc string is missing, ignored or wrongly headed, as
    `g2a-harness steps --check` reports it (instead of pytest's "fixture not found")."""
    from harness.bdd.catalogue import relative_path
    from harness.bdd.check import argument_problem

    if (problem := argument_problem(step, step_func)) is not None:
        request.node.stash[FAILED_STEP_KEY] = f"{step.keyword} {step.name}"
        where = f"{relative_path(feature.filename)}:{step.line_number}"
        raise StepArgumentError(f"{where}: {problem}")


def pytest_bdd_step_error(
    request: pytest.FixtureRequest,
    feature: Any,
    scenario: Any,
    step: Any,
    step_func: Any,
    step_func_args: Any,
    exception: Exception,
) -> None:
    request.node.stash[FAILED_STEP_KEY] = f"{step.keyword} {step.name}"


def chosen_target(config: pytest.Config) -> str:
    return config.stash[TARGET_KEY]


# the parameter through which pytest-bdd hands an Outline's test its Examples row
_EXAMPLE_PARAMETER = "_pytest_bdd_example"


def scenario_title(item: pytest.Item) -> str | None:
    """`Feature: Scenario [example]` for a pytest-bdd scenario, None for other tests."""
    names = scenario_names(item)
    return None if names is None else ": ".join(names)


def scenario_names(item: pytest.Item) -> tuple[str, str] | None:
    """(feature, `Scenario [example]`) of a pytest-bdd scenario, None for other tests; named
    as cucumber.json names them (`harness.scenarios`): a feature without a name by its file,
    an Outline's row with its `<parameters>` filled in (`Page 1 [1]`, not `Page <page> [1]`)."""
    template = _template_of(item)
    if template is None:
        return None
    feature = template.feature.name or template.feature.rel_filename
    callspec = getattr(item, "callspec", None)
    if callspec is None:
        return feature, template.name
    return feature, f"{template.render(_example_row(item)).name} [{callspec.id}]"


def scenario_where(item: pytest.Item) -> str:
    """`file:line` of a pytest-bdd scenario, the file relative to the working directory when
    below it; "" for other tests."""
    template = _template_of(item)
    if template is None:
        return ""
    path, here = Path(template.feature.filename), Path.cwd()
    shown = path.relative_to(here) if path.is_relative_to(here) else path
    return f"{shown}:{template.line_number}"


def _template_of(item: pytest.Item) -> Any:
    """The pytest-bdd scenario template a test runs, None for other tests."""
    from pytest_bdd.scenario import scenario_wrapper_template_registry

    function = getattr(item, "obj", None)
    return scenario_wrapper_template_registry.get(function) if function else None


def _example_row(item: pytest.Item) -> dict[str, str]:
    """The Examples row an Outline's test runs with; empty for another scenario."""
    callspec = getattr(item, "callspec", None)
    return {} if callspec is None else callspec.params.get(_EXAMPLE_PARAMETER, {})


def pytest_collection_finish(session: pytest.Session) -> None:
    """With `--g2a-kept PATH`, write the `scenario_key` of each scenario the selection kept
    (`-m`, `-k`, the target): `g2a-harness run` reads a `-k` selection from it."""
    path = session.config.getoption("g2a_kept")
    if not path:
        return
    keys = [
        scenario_key(template.feature.filename, template.line_number, _example_row(item))
        for item in session.items
        if (template := _template_of(item)) is not None
    ]
    Path(path).write_text(json.dumps(keys), encoding="utf-8")


def _allowed(item: pytest.Item, target: str) -> tuple[bool, str]:
    names = {mark.name for mark in item.iter_markers()}
    if not names & set(TARGETS) and scenario_title(item) is None:
        return True, ""  # a plain test without target tags: not ours to filter
    return allowed_on(target, names)


@pytest.hookimpl(trylast=True)  # after -m and -k: only the scenarios asked for are reported
def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    target = chosen_target(config)
    keep: list[pytest.Item] = []
    dropped: list[pytest.Item] = []
    reasons = config.stash[DESELECTED_KEY]
    writer = config.stash.get(RESULTS_KEY, None)
    for item in items:
        allowed, reason = _allowed(item, target)
        if allowed:
            keep.append(item)
            continue
        dropped.append(item)
        reasons.append((item.nodeid, reason))
        if writer is not None:
            writer.write_test(item, "deselected", reason)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    reasons = config.stash.get(DESELECTED_KEY, [])
    if not reasons:
        return
    terminalreporter.section("g2a_bdd: deselected for this target")
    for reason, count in sorted(Counter(r for _, r in reasons).items()):
        terminalreporter.write_line(f"{count} scenario(s) {reason}")
    if config.getoption("verbose") > 0:
        for nodeid, reason in reasons:
            terminalreporter.write_line(f"  {nodeid}: {reason}")


# marks pytest-bdd itself puts on a scenario's test (an Outline's rows, its step fixtures)
_BINDING_MARKS = frozenset({"parametrize", "usefixtures"})


def tags_of(item: pytest.Item) -> list[str]:
    """A test's marks without pytest-bdd's own: for a scenario, every Gherkin tag it runs with
    (its feature's, its Rule's, its own and its Examples table's), which the verdict and the
    report both read."""
    return sorted({mark.name for mark in item.iter_markers()} - _BINDING_MARKS)


class ResultsWriter:
    """JSON lines: `collected`, then one `test` record per finished or deselected test, and a
    `not run` record for each test the run stopped before it finished (SIGTERM, which
    `g2a-harness run --max-time` sends, Ctrl-C, `--maxfail`)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file: IO[str] = path.open("w", encoding="utf-8")
        self._items: dict[str, pytest.Item] = {}  # collected, not finished yet
        self._outcomes: dict[str, tuple[str, str]] = {}
        self._running = ""
        self._signals = ExitStack()

    def _emit(self, record: dict[str, Any]) -> None:
        self._file.write(json.dumps(record) + "\n")
        self._file.flush()

    def write_test(self, item: pytest.Item, outcome: str, message: str) -> None:
        names = scenario_names(item)
        self._emit(
            {
                "event": "test",
                "nodeid": item.nodeid,
                "name": item.nodeid if names is None else ": ".join(names),
                "feature": "" if names is None else names[0],
                "outcome": outcome,
                "markers": tags_of(item),
                "message": message,
                "step": item.stash.get(FAILED_STEP_KEY, "") if outcome == "failed" else "",
                "where": scenario_where(item),
            }
        )

    @pytest.hookimpl(trylast=True)
    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self._items = {item.nodeid: item for item in session.items}
        self._emit({"event": "collected", "count": len(session.items)})

    def pytest_sessionstart(self) -> None:
        """From here to the end of the run SIGTERM stops pytest as Ctrl-C does, so it still
        writes junit.xml, cucumber.json and the records above for the tests that finished
        (its default would end the process at once)."""
        self._signals.enter_context(sigterm_interrupts())

    def pytest_runtest_logstart(self, nodeid: str) -> None:
        self._running = nodeid

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        outcome, message = self._outcomes.get(report.nodeid, ("passed", ""))
        if report.failed:
            outcome, message = "failed", _first_line(report)
        elif report.skipped and outcome != "failed":
            outcome, message = "skipped", _skip_reason(report)
        self._outcomes[report.nodeid] = (outcome, message)

    def pytest_runtest_logfinish(self, nodeid: str) -> None:
        item = self._items.pop(nodeid, None)
        outcome, message = self._outcomes.pop(nodeid, ("passed", ""))
        if item is not None:
            self.write_test(item, outcome, message)

    @pytest.hookimpl(tryfirst=True)  # before the fixtures' teardown, which may take a while
    def pytest_sessionfinish(self) -> None:
        for nodeid, item in self._items.items():
            self.write_test(item, "not run", CUT_SHORT if nodeid == self._running else NOT_REACHED)

    def pytest_unconfigure(self) -> None:
        self._signals.close()
        self._file.close()


_ASSERTION_PREFIX = re.compile(
    r"^(?:[\w.]+\.)?(?:AssertionError|UnknownStepError|StepArgumentError|TargetRefusal): "
)


def _first_line(report: pytest.TestReport) -> str:
    """The first line of the failure, without the exception class of a plain assertion; a
    message that does not say what was expected keeps pytest's comparison line after it
    (`tokens differ (assert 2 == 1)`)."""
    crash = getattr(report.longrepr, "reprcrash", None)
    text = crash.message if crash is not None else str(report.longrepr or "")
    lines = text.strip().splitlines() or ["failed"]
    line = _ASSERTION_PREFIX.sub("", lines[0])
    comparison = next((rest for rest in lines[1:] if rest.startswith("assert ")), None)
    if comparison is not None and "expected" not in line:
        line = f"{line} ({comparison})"
    return line[:500]


def _skip_reason(report: pytest.TestReport) -> str:
    if isinstance(report.longrepr, tuple) and len(report.longrepr) == 3:
        return str(report.longrepr[2]).removeprefix("Skipped: ")
    return "skipped"
