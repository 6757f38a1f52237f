"""`g2a-harness run`: the whole handoff checklist against a target, with reports.

Starts the embedded twin and a webhook receiver (twin target), runs the Gherkin suites and the
contract suite in one pytest subprocess, shows progress, prints one row per checklist item
with its evidence, writes junit.xml, cucumber.json, checklist.json/.md/.html, and exits
non-zero when an item (or the run itself) failed.
"""

from __future__ import annotations

import argparse
import logging
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

NAME = "run"
HELP = "run the handoff checklist (Gherkin + contract suites) and write the reports"
SUITES = ("full", "smoke")
BDD_PATH = Path("tests/bdd")
CONTRACT_PATH = Path("tests/contract")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--target", default=None, help="twin (default, or $G2A_TARGET), sandbox or live"
    )
    parser.add_argument("--suite", default="full", help="full (default) or smoke")
    parser.add_argument(
        "--report-dir", default="reports", type=Path, help="where reports go (default reports/)"
    )


def run(args: argparse.Namespace) -> int:
    from harness.cli import UsageError
    from harness.targets import TargetError, check_reachable, resolve_target, target_name

    if args.suite not in SUITES:
        raise UsageError(f"unknown suite {args.suite!r}; choose one of {', '.join(SUITES)}")
    if not (BDD_PATH.is_dir() and Path("features").is_dir()):
        raise UsageError("run it from the repository root (tests/bdd and features/ not found)")
    try:
        target = resolve_target(target_name(args.target))
        if target.api_url is not None:
            _check_settings(target)
            check_reachable(target.api_url)
    except TargetError as exc:
        raise UsageError(str(exc)) from None
    with ExitStack() as stack:
        env = dict(os.environ, G2A_TARGET=target.name)
        if target.has_admin:
            env.update(stack.enter_context(_embedded_services()))
        return _run_checklist(target.name, args.suite, Path(args.report_dir), env)


def _check_settings(target: Any) -> None:
    """Refuse, in one line, credentials or URLs the adapter itself would refuse."""
    from g2a_adapter.config import Settings

    Settings(
        api_url=target.api_url, api_hash=target.api_hash, api_key=target.api_key, env=target.env
    )


@contextmanager
def _embedded_services() -> Iterator[dict[str, str]]:
    """The twin and a receiver wired to it, served on loopback for the run."""
    from rich.console import Console

    from harness.bdd.servers import serving_receiver
    from harness.twin.server import running_twin

    # the receiver logs each refused webhook; scenarios provoke many on purpose
    logging.getLogger("g2a_adapter").addHandler(logging.NullHandler())
    with running_twin() as twin, serving_receiver(twin.export_url) as receiver_url:
        Console(stderr=True).print(
            f"[dim]twin at {twin.base_url}, receiver at {receiver_url}[/dim]"
        )
        yield {"G2A_TWIN_URL": twin.base_url, "G2A_RECEIVER_URL": receiver_url}


def pytest_command(target: str, suite: str, report_dir: Path) -> list[str]:
    paths = [str(BDD_PATH)] + ([str(CONTRACT_PATH)] if CONTRACT_PATH.is_dir() else [])
    command = [
        sys.executable,
        "-m",
        "pytest",
        *paths,
        f"--target={target}",
        f"--junitxml={report_dir / 'junit.xml'}",
        f"--cucumberjson={report_dir / 'cucumber.json'}",
        f"--g2a-results={report_dir / 'results.jsonl'}",
        "-q",
        "-p",
        "no:cacheprovider",
    ]
    if suite == "smoke":
        command += ["-m", "smoke"]
    return command


def _run_checklist(target: str, suite: str, report_dir: Path, env: dict[str, str]) -> int:
    from harness.checklist import judge_all, load_checklist
    from harness.report import checklist_report, write_checklist_reports
    from harness.run_results import read_results

    report_dir.mkdir(parents=True, exist_ok=True)
    results_path = report_dir / "results.jsonl"
    results_path.unlink(missing_ok=True)
    log_path = report_dir / "pytest.log"
    started = time.monotonic()
    with log_path.open("w", encoding="utf-8") as log:
        process = subprocess.Popen(
            pytest_command(target, suite, report_dir),
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
        )
        _show_progress(process, results_path)
    exit_code = process.returncode
    results = read_results(results_path)
    verdicts = judge_all(load_checklist(), results, target)
    tests_failed = any(r.outcome == "failed" for r in results)
    report = checklist_report(
        verdicts,
        target=target,
        suite=suite,
        run_ok=exit_code in (0, 5),
        extra={
            "pytest_exit_code": exit_code,
            "tests": _counts(results),
            "duration_seconds": round(time.monotonic() - started, 1),
        },
    )
    write_checklist_reports(report, report_dir)
    _print_table(report, report_dir)
    if exit_code not in (0, 5) and not (exit_code == 1 and tests_failed):
        print(
            f"g2a-harness run: pytest stopped with exit code {exit_code}; see {log_path}",
            file=sys.stderr,
        )
    return 0 if report["passed"] else 1


def _counts(results: list[Any]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for result in results:
        counts[result.outcome] = counts.get(result.outcome, 0) + 1
    return counts


def _show_progress(process: subprocess.Popen[bytes], results_path: Path) -> None:
    """A rich progress bar fed by the results file pytest writes as tests finish."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from harness.run_results import follow

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, transient=True) as progress:
        task = progress.add_task("collecting", total=None)
        for event in follow(results_path, process):
            if event.get("event") == "collected":
                progress.update(task, total=event["count"], description="checklist")
            elif event.get("event") == "test" and event.get("outcome") != "deselected":
                progress.advance(task)
                progress.update(task, description=str(event.get("name", ""))[:60])


def _print_table(report: dict[str, Any], report_dir: Path) -> None:
    from rich.console import Console
    from rich.table import Table

    styles = {"passed": "green", "failed": "bold red", "skipped": "yellow"}
    table = Table(title=f"Handoff checklist on {report['target']} ({report['suite']})")
    table.add_column("status")
    table.add_column("item")
    table.add_column("evidence")
    for item in report["items"]:
        evidence = [e.split(" [tests/", 1)[0] for e in item["evidence"]]  # names, not node ids
        shown = evidence[:3] + ([f"... and {len(evidence) - 3} more"] if len(evidence) > 3 else [])
        table.add_row(
            f"[{styles[item['status']]}]{item['status']}[/]",
            f"{item['id']}\n{item['text']}",
            "\n".join(shown),
        )
    console = Console()
    console.print(table)
    summary = report["summary"]
    verdict = "[green]PASSED[/]" if report["passed"] else "[bold red]FAILED[/]"
    console.print(
        f"{verdict}: {summary['passed']} passed, {summary['failed']} failed, "
        f"{summary['skipped']} skipped; reports in {report_dir}/"
    )
