"""`g2a-harness run`: the whole handoff checklist against a target, with reports.

Probes a real target first (one authenticated request within G2A_TIMEOUT_MS), starts the
embedded twin and a webhook receiver (twin target), runs every feature file (plus `--features`
folders) and the contract suite (unless the tags leave out every untagged test) in one pytest
subprocess, shows progress, prints one row per
checklist item and the reason of every failing scenario, writes junit.xml, cucumber.json,
checklist.json/.md/.html under `reports/<target>/<suite>/` (hypothesis, under schemathesis,
keeps its storage in a temporary folder, not in the checkout), and exits non-zero when an item
(or the run itself) failed. The full suite also proves the dashboards (`handoff-dashboards`):
every panel query of ops/grafana returns data from the Prometheus given with `--prometheus-url`,
or, on the twin, from one the harness starts (`harness.dashboards`). It refuses to run with
PYTEST_ADDOPTS set: options there would narrow a run its report calls full.
"""

from __future__ import annotations

import argparse
import logging
import math
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Collection, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from functools import cache, partial
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from harness.bdd.discovery import ScenarioKey
    from harness.dashboards.proof import DashboardProof

NAME = "run"
HELP = "run the handoff checklist (Gherkin + contract suites) and write the reports"
SUITES = ("full", "smoke")
BDD_PATH = Path("tests/bdd")
CONTRACT_PATH = Path("tests/contract")
# pytest reads extra options from it: a `-k` there would narrow a run reported as the full suite
ADDOPTS_ENV = "PYTEST_ADDOPTS"
# where hypothesis (under schemathesis) keeps its example database and caches: by default a
# `.hypothesis/` folder in the working directory, the user's checkout
HYPOTHESIS_ENV = "HYPOTHESIS_STORAGE_DIRECTORY"
# how long the run's pytest has to write its reports once stopped at --max-time (its fixtures'
# teardown included) before it is killed
PYTEST_STOP_SECONDS = 15.0
# what the run's pytest writes into the report folder
_PYTEST_REPORTS = ("pytest.log", "junit.xml", "cucumber.json", "results.jsonl")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--target", default=None, help="twin (default, or $G2A_TARGET), sandbox or live"
    )
    parser.add_argument("--suite", default="full", help="full (default) or smoke")
    parser.add_argument(
        "--tags",
        default=None,
        metavar="EXPR",
        help='Gherkin tag expression, e.g. "@smoke and not @webhooks"',
    )
    parser.add_argument(
        "-k",
        dest="keyword",
        default=None,
        metavar="EXPR",
        help="pytest -k over test names (a scenario's name as the feature file writes it, an "
        "Outline's with its <parameters>, in lower case, spaces as _, punctuation dropped); "
        "prefer --tags",
    )
    parser.add_argument(
        "--features",
        action="append",
        default=[],
        type=Path,
        metavar="DIR",
        help="also run the .feature files of DIR (repeatable)",
    )
    parser.add_argument(
        "--report-dir",
        default=None,
        type=Path,
        help="where reports go (default reports/<target>/<suite or selection>/)",
    )
    parser.add_argument(
        "--prometheus-url",
        default=None,
        metavar="URL",
        help="the Prometheus that scrapes your service: every dashboard query must return data "
        "(on the twin the harness starts its own when this is not given)",
    )
    parser.add_argument(
        "--max-time",
        default=None,
        type=float,
        metavar="SECONDS",
        help="stop the suites after this long and report what ran",
    )


def _check_features(
    folders: list[str],
    selected: Callable[[frozenset[str]], bool],
    kept_by_keyword: Callable[[], Collection[ScenarioKey]] | None,
    marks: Callable[[], Mapping[str, str]],
) -> None:
    """Refuse the run, with the lines `g2a-harness steps --check` prints, when a feature file
    cannot run as written, any scenario has a tag a run would misread (`@sanbox`: the scenario
    would run on the twin only; selected or not, since the typo may be what left it out), or a
    scenario the run `selected` has an unknown step or a step not allowed on a target it is
    tagged for (a run would fail that scenario only when it reached the step, after its
    earlier steps had already reached the target: an order created on the sandbox). Such a
    step in a scenario left out of the run is printed as a warning, first, whether the run goes
    on or is refused. Under `-k`, `kept_by_keyword` tells which scenarios pytest's collection
    keeps; asked only when the tags select a scenario with a flagged step and no tag refuses
    the run anyway (a collection takes seconds), since `-k` can only leave scenarios out. A tag
    that is one of `marks` (registered with pytest in the run, listed by a pytest started for
    it) is refused as a misread tag."""
    from harness.bdd.check import check_features
    from harness.cli import UsageError

    result = check_features(map(Path, folders), selected, marks=marks)
    if kept_by_keyword is not None and not result.tags and (result.unknown or result.problems):
        result = check_features(map(Path, folders), selected, kept_by_keyword(), marks)
    for message in result.warnings:
        print(f"warning: {message}", file=sys.stderr)
    for message in result.messages():
        print(message, file=sys.stderr)
    if result.invalid:
        raise UsageError(
            f"{len(result.invalid)} feature file(s) cannot run as written; nothing ran"
        )
    if result.unknown or result.problems:
        raise UsageError(
            f"{len(result.messages())} step(s) or tag(s) cannot run as written "
            "(g2a-harness steps --check lists them); nothing ran"
        )
    if result.warnings:
        print(
            f"g2a-harness run: {len(result.warnings)} step(s) of scenarios this run does not "
            "select cannot run as written (the warnings above); the selection runs",
            file=sys.stderr,
        )


def run(args: argparse.Namespace) -> int:
    from harness.bdd.discovery import (
        FEATURES_ENV,
        SelectionError,
        feature_dirs,
        kept_by_keyword,
        keyword_expression,
        marker_expression,
        pytest_marks,
        scenario_filter,
    )
    from harness.cli import UsageError, check_http_url
    from harness.run_probe import TargetStalled, ready_target
    from harness.targets import TargetError, resolve_target, target_name

    if os.environ.get(ADDOPTS_ENV, "").strip():
        raise UsageError(
            f"{ADDOPTS_ENV} is set ({os.environ[ADDOPTS_ENV]!r}): it would change which tests "
            "run behind the suite's back; unset it and select with --tags or -k; nothing ran"
        )
    if args.suite not in SUITES:
        raise UsageError(f"unknown suite {args.suite!r}; choose one of {', '.join(SUITES)}")
    from harness.project import require_project_root  # the checkout's suites and features

    require_project_root()
    if args.max_time is not None and not 0 < args.max_time < math.inf:
        raise UsageError("--max-time must be a positive number of seconds")
    if args.prometheus_url is not None:
        check_http_url("--prometheus-url", args.prometheus_url)
    for path in args.features:
        if path.is_file():
            raise UsageError(
                f"--features takes a folder, not a file: {path} "
                f"(name its folder: --features {path.parent})"
            )
        if not path.is_dir():
            raise UsageError(f"--features takes a folder, and there is none at {path}")
    # the adapter logs each request and refused webhook; the run shows its own reasons
    logging.getLogger("g2a_adapter").addHandler(logging.NullHandler())
    extra_features = os.pathsep.join(str(p.resolve()) for p in args.features)
    try:
        with_features = {**os.environ, FEATURES_ENV: extra_features}
        marks = cache(partial(pytest_marks, with_features))  # asked once, if at all
        selection = Selection(
            suite=args.suite,
            markers=marker_expression(args.tags, marks) if args.tags else None,
            keyword=keyword_expression(args.keyword) if args.keyword else None,
        )
        name = target_name(args.target)
        selected = scenario_filter(name, selection.markers or None)
        keyword_kept = (
            partial(kept_by_keyword, name, selection.markers or None, args.keyword, with_features)
            if args.keyword
            else None
        )
        _check_features(feature_dirs(with_features), selected, keyword_kept, marks)
        target = resolve_target(name)
        if target.api_url is not None:
            ready_target(target)
    except (SelectionError, TargetError) as exc:
        raise UsageError(str(exc)) from None
    except TargetStalled as exc:
        print(f"g2a-harness run: {exc}; no suite ran", file=sys.stderr)
        return 1
    report_dir = args.report_dir or default_report_dir(target.name, selection)
    with ExitStack() as stack:
        env = dict(os.environ, G2A_TARGET=target.name, **{FEATURES_ENV: extra_features})
        if HYPOTHESIS_ENV not in env:  # the checkout stays as it was; a folder set is kept
            env[HYPOTHESIS_ENV] = stack.enter_context(
                tempfile.TemporaryDirectory(prefix="g2a-harness-hypothesis-")
            )
        if target.has_admin:
            env.update(stack.enter_context(_embedded_services()))
        # What the scenarios call: the twin (embedded, or named by G2A_TWIN_URL) has an admin
        # API; any other target is its G2A_API_URL, whatever else the environment holds.
        called = env.get("G2A_TWIN_URL") if target.has_admin else target.api_url
        facts = {"target_url": called or "", **_run_facts()}
        return _run_checklist(
            target.name,
            selection,
            report_dir,
            env,
            args.max_time,
            facts,
            partial(prove_dashboards, target, args.prometheus_url, selection),
        )


def prove_dashboards(
    target: Any, prometheus_url: str | None, selection: Selection, stopped: bool = False
) -> DashboardProof | None:
    """The dashboards' evidence for this run; None when a selection leaves the item out, not
    reached when the run `stopped` at --max-time."""
    from harness.dashboards.files import OpsFiles
    from harness.dashboards.proof import (
        DashboardProof,
        not_proven,
        not_reached,
        prove_on_twin,
        prove_with,
    )

    ops = OpsFiles()
    if prometheus_url is None and selection.describe():
        return None
    if stopped:
        return not_reached()
    if not ops.dashboard.is_file():
        return DashboardProof("failed", f"{ops.dashboard} not found: run from the repository root")
    if prometheus_url is not None:
        return prove_with(prometheus_url, ops)
    if target.has_admin:
        return prove_on_twin(ops)
    return not_proven(
        f"pass --prometheus-url with the Prometheus that scrapes your service on {target.name}"
    )


def default_report_dir(target: str, selection: Selection) -> Path:
    """Reports of different targets and selections never overwrite each other."""
    return Path("reports") / target / selection.slug()


class Selection:
    """Which scenarios run: a suite, a tag expression (as pytest -m) and a -k expression."""

    def __init__(self, suite: str, markers: str | None, keyword: str | None) -> None:
        self.suite = suite
        self.tags = markers
        self.keyword = keyword
        self.markers = " and ".join(
            f"({m})" for m in ("smoke" if suite == "smoke" else None, markers) if m
        )

    def paths(self) -> list[Path]:
        """What the run's pytest collects: the scenarios, and the contract suite unless the
        tags leave out every test without tags, as its tests are (collecting it builds every
        schemathesis case, a few seconds of the run)."""
        from harness.bdd.discovery import keeps_untagged

        contracts = CONTRACT_PATH.is_dir() and keeps_untagged(self.markers or None)
        return [BDD_PATH, *([CONTRACT_PATH] if contracts else [])]

    def pytest_args(self) -> list[str]:
        return [
            *(["-m", self.markers] if self.markers else []),
            *(["-k", self.keyword] if self.keyword else []),
        ]

    def describe(self) -> str:
        """The selection in words, as its `title`, for "not run" items and messages; empty for
        the full suite."""
        title = self.title()
        return "" if title == "full" else title

    def title(self) -> str:
        """The run's name in its report and printout: the suite, or what was selected from it
        (a run of `--tags` checks those scenarios, not the full suite)."""
        extra = _joined(self.tags, self.keyword)
        if not extra:
            return self.suite
        return extra if self.suite == "full" else f"{self.suite}, {extra}"

    def slug(self) -> str:
        """The report folder: the suite, plus the tags and -k asked for on top of it."""
        extra = _joined(self.tags, self.keyword)
        return (
            f"{self.suite}-{re.sub(r'[^A-Za-z0-9]+', '-', extra).strip('-')}"
            if extra
            else self.suite
        )


def _joined(markers: str | None, keyword: str | None) -> str:
    parts = [f"tags {markers}" if markers else "", f"-k {keyword}" if keyword else ""]
    return ", ".join(p for p in parts if p)


def _run_facts() -> dict[str, str]:
    """The machine shown at the top of the HTML report (the commit is in the envelope)."""
    return {"host": socket.gethostname()}


@contextmanager
def _embedded_services() -> Iterator[dict[str, str]]:
    """The twin and a receiver wired to it, served on loopback for the run."""
    from rich.console import Console

    from harness.bdd.servers import serving_receiver
    from harness.twin.config import TwinConfig
    from harness.twin.server import running_twin

    # the fast profile, as the suites' own twin: a scenario sets a delay or limit it needs
    with running_twin(TwinConfig.fast()) as twin, serving_receiver(twin.export_url) as receiver_url:
        Console(stderr=True).print(
            f"[dim]twin at {twin.base_url}, receiver at {receiver_url}[/dim]"
        )
        yield {"G2A_TWIN_URL": twin.base_url, "G2A_RECEIVER_URL": receiver_url}


def pytest_command(selection: Selection, target: str, report_dir: Path) -> list[str]:
    from harness.bdd import PYTEST_PLUGIN_ARGS

    return [
        sys.executable,
        "-m",
        "pytest",
        *PYTEST_PLUGIN_ARGS,
        *map(str, selection.paths()),
        f"--target={target}",
        f"--junitxml={report_dir / 'junit.xml'}",
        f"--cucumberjson={report_dir / 'cucumber.json'}",
        f"--g2a-results={report_dir / 'results.jsonl'}",
        "--tb=short",  # no frame's arguments or locals: a step's settings hold its credentials
        "-q",
        "-p",
        "no:cacheprovider",
        *selection.pytest_args(),
    ]


def _mask_secrets(report_dir: Path, secrets: list[str]) -> None:
    """Mask the run's secrets in what pytest wrote: a failure's text is the scenario's code
    and values, which no step should hold a credential in, but `--tb=short` alone keeps
    only the frames' arguments out."""
    from g2a_adapter.logformat import SecretMasker

    mask = SecretMasker(secrets)  # junit.xml's escaped forms too
    for name in _PYTEST_REPORTS:
        path = report_dir / name
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            if (masked := mask(text)) != text:
                path.write_text(masked, encoding="utf-8")


def _run_checklist(
    target: str,
    selection: Selection,
    report_dir: Path,
    env: dict[str, str],
    max_time: float | None,
    facts: dict[str, str],
    dashboards: Callable[[bool], DashboardProof | None],
) -> int:
    from harness import envelope
    from harness.bdd.cut_short import explain_cut_short
    from harness.bdd.discovery import feature_dirs
    from harness.checklist import judge_all, load_checklist, proven_elsewhere
    from harness.processes import stopped_if_interrupted
    from harness.report import CHECKLIST_REPORTS, checklist_report, write_checklist_reports
    from harness.run_results import collected, read_results, stopped_by
    from harness.scenarios import read_cucumber, scenario_records
    from harness.targets import environment_secrets

    report_dir.mkdir(parents=True, exist_ok=True)
    # a run that is interrupted or crashes must not leave the last run's verdicts standing
    for stale in (*CHECKLIST_REPORTS, *_PYTEST_REPORTS):
        (report_dir / stale).unlink(missing_ok=True)
    results_path = report_dir / "results.jsonl"
    log_path = report_dir / "pytest.log"
    started = time.monotonic()
    start = envelope.RunStart.now()
    try:
        with log_path.open("w", encoding="utf-8") as log:
            process = subprocess.Popen(
                pytest_command(selection, target, report_dir),
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
            )
            with stopped_if_interrupted([process]):  # Ctrl-C: the run stops, its pytest too
                timed_out = _show_progress(process, results_path, max_time)
    finally:  # an interrupted run's files too
        _mask_secrets(report_dir, environment_secrets(env))
    exit_code = process.returncode
    # What the run did not finish says why. An item without evidence is not run for that
    # reason too when every item was in the selection (the full suite) or the run stopped
    # before it knew its tests: none is then outside the selection.
    stopped = f"the run stopped after --max-time {max_time:g} s" if timed_out else ""
    explain_cut_short(report_dir / "junit.xml", stopped)
    none_outside = not selection.describe() or not collected(results_path)
    unreached = stopped if none_outside else ""
    results = stopped_by(read_results(results_path), stopped)
    proof = _proving(partial(dashboards, timed_out))
    proofs = stopped_by(proof.run_results() if proof is not None else [], stopped)
    host = urlsplit(facts["target_url"]).hostname
    verdicts = judge_all(
        load_checklist(), results + proofs, target, selection.describe(), host, unreached
    )
    tests_failed = any(r.outcome == "failed" for r in results)
    report = checklist_report(
        verdicts,
        target=target,
        suite=selection.suite,
        title=selection.title(),
        run_ok=exit_code == 0 and not timed_out,  # 5: no test matched the selection
        scenarios=scenario_records(read_cucumber(report_dir / "cucumber.json"), results),
        extra={
            **facts,
            "selection": selection.describe(),
            "pytest_exit_code": exit_code,
            "tests": _counts(results),
            "duration_seconds": round(time.monotonic() - started, 1),
            **({"stopped_after_max_time": max_time} if timed_out else {}),
            **({"dashboards": proof.to_dict()} if proof is not None else {}),
            "envelope": envelope.capture(
                target=target,
                base_url=facts["target_url"] or None,
                suite=selection.slug(),
                start=start,
            ),
        },
    )
    write_checklist_reports(report, report_dir)
    elsewhere = {v.item.id: who for v in verdicts if (who := proven_elsewhere(v, target, host))}
    _print_table(report, report_dir, elsewhere)
    _print_reasons(results, log_path)
    if timed_out:
        not_run = sum(r.outcome == "not run" for r in results)
        print(
            f"g2a-harness run: stopped after --max-time {max_time:g} s; "
            f"{len(results) - not_run} test(s) ran, {not_run} not run, see {log_path}",
            file=sys.stderr,
        )
    elif exit_code == 5:
        matched = _nothing_matched(selection, target, results, feature_dirs(env))
        print(f"g2a-harness run: {matched}", file=sys.stderr)
    elif exit_code != 0 and not (exit_code == 1 and tests_failed):
        for line in _usage_errors(log_path) if exit_code == 4 else []:
            print(line, file=sys.stderr)
        print(
            f"g2a-harness run: pytest stopped with exit code {exit_code}; see {log_path}",
            file=sys.stderr,
        )
    return 0 if report["passed"] else 1


def _usage_errors(log_path: Path) -> list[str]:
    """What a pytest that refused its usage (exit 4) wrote from its first `ERROR:` line on:
    why it ran nothing (a message may run over several lines)."""
    lines = log_path.read_text(encoding="utf-8", errors="replace").splitlines()
    first = next((i for i, line in enumerate(lines) if line.startswith("ERROR:")), len(lines))
    return [line for line in lines[first:] if line.strip()]


def _nothing_matched(
    selection: Selection, target: str, results: list[Any], folders: list[str]
) -> str:
    """Why a run checked nothing: no scenario matched the selection (naming each tag it names
    that no feature file of `folders` carries, and the tag it was likely meant to be), or
    those that did are not allowed on the target (they show as skipped)."""
    from harness.bdd.discovery import tags_nowhere
    from harness.run_results import DESELECTED
    from harness.targets import placement

    refused = [r for r in results if r.message.startswith(DESELECTED)]
    if not refused:
        nowhere = tags_nowhere(selection.markers or "", folders)
        said = "".join(
            f"; no feature file is tagged @{tag}" + (f" (did you mean @{meant}?)" if meant else "")
            for tag, meant in nowhere.items()
        )
        return f"no test matched the selection ({selection.describe()}){said}; nothing was checked"
    placed = "; ".join(sorted({placement(r.markers) for r in refused}))
    scenarios = "1 scenario" if len(refused) == 1 else f"{len(refused)} scenarios"
    return (
        f"the selection ({selection.describe()}) matched {scenarios}, but none runs on {target} "
        f"({placed}); nothing was checked"
    )


def _proving(dashboards: Callable[[], DashboardProof | None]) -> DashboardProof | None:
    from rich.console import Console

    with Console(stderr=True).status("proving the dashboards against Prometheus"):
        return dashboards()


def _counts(results: list[Any]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for result in results:
        counts[result.outcome] = counts.get(result.outcome, 0) + 1
    return counts


def _show_progress(
    process: subprocess.Popen[bytes], results_path: Path, max_time: float | None
) -> bool:
    """A rich progress bar fed by the results file; True when --max-time stopped the run.

    At the deadline pytest is sent SIGTERM, which the plugin turns into a Ctrl-C: the test
    running stops, and pytest writes junit.xml, cucumber.json and a `not run` record for each
    test it did not finish; it is killed if it has not ended PYTEST_STOP_SECONDS later."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from harness.run_results import follow

    deadline = math.inf if max_time is None else time.monotonic() + max_time
    timed_out = False
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, transient=True) as progress:
        task = progress.add_task("collecting", total=None)
        for event in follow(results_path, process):
            now = time.monotonic()
            if not timed_out and now > deadline:
                timed_out = True
                process.terminate()
            elif timed_out and now > deadline + PYTEST_STOP_SECONDS and process.poll() is None:
                process.kill()
            if event.get("event") == "collected":
                progress.update(task, total=event["count"], description="checklist")
            elif event.get("event") == "test" and event.get("outcome") != "deselected":
                progress.advance(task)
                progress.update(task, description=str(event.get("name", ""))[:60])
    process.wait()
    return timed_out


def _print_reasons(results: list[Any], log_path: Path) -> None:
    """Each failing scenario once: its name, where it is written, failing step, first error
    line, the full log."""
    from rich.console import Console
    from rich.markup import escape

    console = Console(soft_wrap=True)
    for result in (r for r in results if r.outcome == "failed"):
        console.print(f"[bold red]FAILED[/] {escape(result.name)}")
        if result.where:
            console.print(f"  where: {escape(result.where)}")
        if result.step:
            console.print(f"  step:  {escape(result.step)}")
        console.print(f"  error: {escape(result.message)}")
        console.print(f"  log:   {log_path}")


_STYLES = {"passed": "green", "failed": "bold red", "skipped": "yellow", "not run": "yellow"}


def _print_table(
    report: dict[str, Any], report_dir: Path, elsewhere: Mapping[str, str] | None = None
) -> None:
    """The checklist, then the scenarios that prove no item. A selection's run leaves out the
    items outside it (one line counts them; checklist.md lists them all), and every run those
    only the gate or another target proves (`elsewhere`: item id to who proves it), named in
    one line by who does, not as rows a reader would take for work missing."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from harness.checklist import OUTSIDE_SELECTION
    from harness.report import counts_text

    table = Table(title=f"Handoff checklist on {report['target']} ({report['title']})")
    table.add_column("status")
    table.add_column("item")
    table.add_column("evidence", overflow="fold")  # a contract test's node id has no space
    items = report["items"]
    ran = [i for i in items if not any(e.startswith(OUTSIDE_SELECTION) for e in i["evidence"])]
    elsewhere = elsewhere or {}
    for item in (i for i in ran if i["id"] not in elsewhere):
        evidence = [e.split(" [tests/", 1)[0] for e in item["evidence"]]  # names, not node ids
        shown = evidence[:3] + ([f"... and {len(evidence) - 3} more"] if len(evidence) > 3 else [])
        table.add_row(
            f"[{_STYLES[item['status']]}]{item['status']}[/]",
            f"{item['id']}\n{item['text']}",
            "\n".join(shown),
        )
    console = Console()
    if table.row_count:
        console.print(table)
    if left_out := len(items) - len(ran):
        console.print(
            f"{left_out} checklist item(s) not run: outside the selection "
            f"({escape(report['title'])}); checklist.md lists them"
        )
    if elsewhere:
        console.print(escape(_proven_elsewhere_line(elsewhere, report["target"])))
    if others := report.get("other_scenarios"):
        console.print(_other_scenarios_table(others))
    verdict = "[green]PASSED[/]" if report["passed"] else "[bold red]FAILED[/]"
    console.print(f"{verdict}: {escape(counts_text(report))}; reports in {report_dir}/")


def _proven_elsewhere_line(elsewhere: Mapping[str, str], target: str) -> str:
    """`3 checklist item(s) proven elsewhere, not by a run on twin: handoff-green,
    handoff-live-switch (by g2a-harness gate); handoff-sandbox-smoke (by a run on sandbox …)`."""
    by_prover: dict[str, list[str]] = {}
    for item_id, prover in elsewhere.items():
        by_prover.setdefault(prover, []).append(item_id)
    named = "; ".join(f"{', '.join(ids)} (by {prover})" for prover, ids in by_prover.items())
    return f"{len(elsewhere)} checklist item(s) proven elsewhere, not by a run on {target}: {named}"


_WHERE_WIDTH = 40  # the longest `file:line` kept on one line


def _other_scenarios_table(records: list[dict[str, Any]]) -> Any:
    """Scenarios that prove no checklist item (a QA team's own): status, name, where."""
    from rich.markup import escape
    from rich.table import Table

    table = Table(title="Other scenarios")
    table.add_column("status")
    table.add_column("scenario")
    # `file:line` on one line where it fits beside a name (the name wraps instead), else folded
    longest = max(len(record.get("where") or "-") for record in records)
    table.add_column("where", no_wrap=longest <= _WHERE_WIDTH, overflow="fold")
    for record in records:
        status = str(record["status"])
        table.add_row(
            f"[{_STYLES.get(status, 'yellow')}]{status}[/]",
            escape(f"{record['feature']}: {record['name']}"),
            escape(record.get("where") or "-"),
        )
    return table
