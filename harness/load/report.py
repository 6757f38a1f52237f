"""`load.json` (the verdict the gate reads) and the verdict table printed after a run."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from harness import envelope
from harness.load.journal import Journal
from harness.load.profiles import Profile, profiles_on
from harness.load.stats import RunStats
from harness.load.verdict import Verdict


def build_report(
    *,
    profile: Profile,
    target: str,
    workers: int,
    expected_workers: int,
    verdict: Verdict,
    stats: RunStats,
    journal: Journal,
    files: dict[str, str],
    web: bool,
    peak_users: int | None,
) -> dict[str, Any]:
    """The report: `users`, `spawn_rate` and `run_time_s` are what the run was started with;
    `measured` is what ran (first to last request, the most users at once, how many tests
    and Reset Stats, how many workers joined the master: the stats, `measured` and `evidence`
    are of the last statistics period, the invariants of every test), and `web` says whether
    the operator had Locust's UI to change the crowd or stop the run. `throughput_rps` is
    Locust's rate, from its last reset of its statistics (the journal's `test_started`) to its
    last request."""
    evidence = journal.last_period()  # what Locust's statistics count
    operations = [
        {
            "name": op.name,
            "type": op.request_type,
            "requests": op.requests,
            "failures": op.failures,
            "p50_ms": op.percentile(0.50),
            "p95_ms": op.percentile(0.95),
            "p99_ms": op.percentile(0.99),
        }
        for op in sorted(stats.operations.values(), key=lambda o: o.name)
    ]
    return {
        "kind": "load",
        "generated_at": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        "target": target,
        "passed": verdict.passed,
        "profile": profile.name,
        "users": profile.users,
        "spawn_rate": profile.spawn_rate,
        "run_time_s": profile.run_time_s,
        "workers": workers,
        "expected_workers": expected_workers,
        "web": web,
        "measured": {
            "duration_s": stats.duration_s,
            "peak_users": peak_users,
            "tests": journal.tests,
            "stats_resets": journal.stats_resets,
            "workers_joined": journal.workers_joined,
        },
        "faults": list(profile.faults),
        "slos": [c.as_dict() for c in verdict.slos],
        "invariants": [c.as_dict() for c in verdict.invariants],
        "totals": {
            "requests": stats.requests,
            "failures": stats.failures,
            "error_ratio": stats.error_ratio,
            "throughput_rps": stats.throughput_rps,
            "duration_s": stats.duration_s,
        },
        "operations": operations,
        "evidence": {
            "purchases": len(evidence.purchases()),
            "webhook_deliveries": len(evidence.webhooks()),
            "adapter_retries": evidence.counter("adapter_retries"),
            "tokens_issued": evidence.counter("tokens_issued"),
            "locust_exit_code": journal.exit_code,
            "journal_gaps": journal.gaps,
        },
        "files": files,
    }


def write_report(report_dir: Path, report: dict[str, Any]) -> Path:
    return envelope.write_json(report_dir / "load.json", report)


def worker_text(workers: int, expected: int, joined: int | None = None) -> str:
    """How Locust ran, for the headline: standalone, or a master with the workers that joined
    it (those it expected, when it recorded none), `workers` of them started here."""
    if expected <= 0:
        return "1 standalone process"
    ran = expected if joined is None else joined
    remote = ran - workers
    return f"master + {ran} worker(s)" + (f" ({remote} remote)" if remote > 0 else "")


def print_verdict(
    report: dict[str, Any], report_dir: Path | None = None, console: Console | None = None
) -> None:
    """The verdict table, the cause of a run without a trustworthy verdict, notes on its
    files, any failed worker, then the path of every file the run wrote."""
    console = console or Console(width=None if sys.stdout.isatty() else 120)
    joined = report.get("measured", {}).get("workers_joined")  # None: standalone, no journal
    ran = worker_text(report["workers"], report["expected_workers"], joined)
    title = f"load profile {report['profile']} on {report['target']}, {ran}: " + (
        "[green]PASSED[/green]" if report["passed"] else "[red]FAILED[/red]"
    )
    table = Table(title=title, show_lines=False)
    for column in ("kind", "check", "target", "actual", "verdict"):
        table.add_column(column)
    for kind in ("slos", "invariants"):
        for check in report[kind]:
            verdict = "[green]pass[/green]" if check["passed"] else "[red]FAIL[/red]"
            actual = check["actual"] + (f"\n{check['detail']}" if check.get("detail") else "")
            table.add_row(kind[:-1], check["name"], check["target"], actual, verdict)
    console.print(table)
    if report.get("cause"):
        console.print(report["cause"], style="red", soft_wrap=True, markup=False)
    for note in report.get("notes", []):
        console.print(note, soft_wrap=True, markup=False)
    for index, code in enumerate(report.get("worker_exit_codes", []), start=1):
        if code != 0:
            console.print(f"[red]worker {index} exited with code {code}[/red]")
    if report_dir is not None:
        console.print("reports:", soft_wrap=True)
        for name in ("load.json", *sorted(report_files(report, report_dir))):
            console.print(f"  {report_dir / name}", soft_wrap=True)


def report_files(report: dict[str, Any], report_dir: Path) -> list[str]:
    """Names of the files the run wrote that are in `report_dir` (Locust's CSV prefix expanded
    to its files): a file the run should have written but did not is not listed."""
    files = dict(report["files"])
    prefix = files.pop("csv_prefix", None)
    csvs = [f"{prefix}_{part}.csv" for part in ("stats", "stats_history", "failures", "exceptions")]
    names = [*files.values(), *(csvs if prefix else [])]
    return [name for name in names if (report_dir / name).is_file()]


def print_profiles(
    profiles: dict[str, Profile], target: str = "twin", console: Console | None = None
) -> None:
    """`--list-profiles`: name, users, duration and SLOs of every profile as it runs on
    `target`, then those that target cannot run."""
    console = console or Console(width=None if sys.stdout.isatty() else 160)
    runnable, twin_only = profiles_on(target, profiles)
    table = Table(title=f"load profiles on {target}")
    for column in ("profile", "users", "duration", "SLOs", "description"):
        table.add_column(column)
    for name, profile in runnable.items():
        slos = profile.slos
        lines = [
            f"errors <= {slos.max_error_ratio:.1%}",
            f"throughput >= {slos.min_throughput_rps:g} req/s",
            *(
                f"{lat.operation}: p95 <= {lat.p95_ms:g} ms, p99 <= {lat.p99_ms:g} ms"
                for lat in slos.latency
            ),
        ]
        table.add_row(
            name,
            str(profile.users),
            f"{profile.run_time_s} s",
            "\n".join(lines),
            profile.description,
        )
    console.print(table)
    if twin_only:
        console.print(
            f"only on the twin (they inject faults): {', '.join(twin_only)}", soft_wrap=True
        )
