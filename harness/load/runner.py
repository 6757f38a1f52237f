"""Run a load profile: services up, Locust as subprocesses, then the verdict.

Locust is never imported here: it monkey-patches the process with gevent. The runner starts
it as `python -m locust` (standalone, or one master plus N workers), waits for it, and reads
its JSON stats and the users' outcome journal back from the report dir.
"""

from __future__ import annotations

import os
import re
import secrets
import socket
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import harness
from g2a_adapter.idempotency import open_store, parse_store_url
from harness import envelope
from harness.load.journal import read_journal
from harness.load.plan import STORE_URL_ENV, WEBHOOK_SECRET_ENV, LoadPlan
from harness.load.profiles import Profile, ProfileError
from harness.load.report import build_report, print_verdict, write_report
from harness.load.services import LoadServices, load_services
from harness.load.stats import read_peak_users, read_stats
from harness.load.verdict import LOCUST_FAILURES_EXIT, ReceiverRecord, evaluate
from harness.processes import stopped_if_interrupted
from harness.targets import Target, TargetError, check_reachable, resolve_target
from harness.twin.credentials import SANDBOX_PRODUCT_IDS

LOCUSTFILE = Path(__file__).with_name("locustfile.py")
PROJECT_ROOT = Path(harness.__file__).resolve().parent.parent
STOP_TIMEOUT_S = 10
WEB_AUTOQUIT_S = 10
EXPECT_WORKERS_MAX_WAIT_S = 90  # the master gives up on workers that have not joined by then
_CLASS_OF_MIX = {"buyer": "Buyer", "token_churn": "TokenChurner", "webhook_sender": "WebhookSender"}
# What a run writes into its report dir, by role, as load.json names them.
REPORT_FILES = {
    "csv_prefix": "locust",
    "html": "locust.html",
    "stats_json": "locust_stats.json",
    "journal": "journal.json",
    "log": "locust.log",
    "services_log": "services.log",
}


@dataclass(frozen=True)
class LoadRun:
    profile: Profile
    target: str = "twin"
    workers: int = 0  # 0 = one standalone Locust process
    expect_workers: int | None = None  # master waits for this many (local + remote)
    bind_host: str = "127.0.0.1"
    master_port: int | None = None  # None = a free port
    report_dir: Path = Path("reports/load")
    web: bool = False  # Locust's web UI, the profile preloaded and started, verdict at the end


def _locust(*args: str) -> list[str]:
    return [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--loglevel", "WARNING", *args]


def _environment(extra: dict[str, str]) -> dict[str, str]:
    env = dict(os.environ)
    python_path = env.get("PYTHONPATH")
    env["PYTHONPATH"] = str(PROJECT_ROOT) + (os.pathsep + python_path if python_path else "")
    env.update(extra)
    return env


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def worker_command(master_host: str, master_port: int = 5557) -> list[str]:
    """What a worker runs, here or on another machine (the plan comes from the master)."""
    return _locust("--worker", "--master-host", master_host, "--master-port", str(master_port))


def _wait_all(processes: Sequence[subprocess.Popen[bytes]], timeout_s: float) -> list[int]:
    codes = []
    for process in processes:
        try:
            codes.append(process.wait(timeout=timeout_s))
        except subprocess.TimeoutExpired:
            process.kill()
            codes.append(process.wait())
    return codes


def run_workers(master_host: str, workers: int, master_port: int = 5557) -> int:
    """Worker-only mode: join a master on another machine with `workers` processes."""
    env = _environment({})
    processes: list[subprocess.Popen[bytes]] = []
    with stopped_if_interrupted(processes):
        for _ in range(max(workers, 1)):
            processes.append(subprocess.Popen(worker_command(master_host, master_port), env=env))
        codes = _wait_all(processes, timeout_s=24 * 3600)
    return first_failure(codes)


def first_failure(codes: Sequence[int]) -> int:
    """0 when every process succeeded, else the first non-zero code (signals included)."""
    return next((code for code in codes if code != 0), 0)


def _class_names(profile: Profile) -> list[str]:
    names = [_CLASS_OF_MIX[name] for name, weight in profile.mix.items() if weight > 0]
    if profile.users < len(names):
        raise ProfileError(
            f"profile {profile.name!r} mixes {len(names)} user classes: use at least "
            f"{len(names)} users"
        )
    return names


def _plan(run: LoadRun, api: Target, services: LoadServices) -> LoadPlan:
    report_dir = run.report_dir.resolve()
    # the load's own store, never the service's G2A_IDEMPOTENCY_URL: test purchases stay out
    store_url = os.environ.get(STORE_URL_ENV) or f"sqlite:///{report_dir / 'idempotency.sqlite3'}"
    profile = run.profile
    assert api.api_hash is not None  # the twin's published hash, or the sandbox's G2A_API_HASH
    return LoadPlan(
        target=run.target,
        api_url=services.api_url,
        api_hash=api.api_hash,
        receiver_url=services.receiver_url,
        idempotency_url=parse_store_url(store_url).redacted,  # it travels on command lines
        journal_path=str(report_dir / "journal.json"),
        wait=profile.wait,
        mix=profile.mix,
        buyer=profile.buyer,
        webhooks=profile.webhooks,
        product_ids=SANDBOX_PRODUCT_IDS,
        webhook_tolerance_s=services.webhook_tolerance_s,
        allowed_hosts=services.allowed_hosts,  # the target's (plus a TLS bind host)
        ca_certificate=services.ca_certificate,
    )


def _start_locust(run: LoadRun, plan: LoadPlan, env: dict[str, str]) -> tuple[int, list[int]]:
    """Run Locust to the end; returns the master's (or standalone's) and the workers' codes."""
    profile = run.profile
    out = run.report_dir.resolve()
    common = [
        *_ui_options(run),
        "-u", str(profile.users),
        "-r", str(profile.spawn_rate),
        "--run-time", f"{profile.run_time_s}s",
        "--stop-timeout", str(STOP_TIMEOUT_S),
        "--csv", str(out / "locust"),
        "--html", str(out / "locust.html"),
        "--json-file", str(out / "locust_stats"),
        "--exit-code-on-error", str(LOCUST_FAILURES_EXIT),
        "--only-summary",
        "--g2a-plan", plan.to_json(),
        *_class_names(profile),
    ]  # fmt: skip
    budget = profile.run_time_s + STOP_TIMEOUT_S + WEB_AUTOQUIT_S + 120
    started: list[subprocess.Popen[bytes]] = []  # all stopped if the run is interrupted
    with (out / "locust.log").open("ab") as log, stopped_if_interrupted(started):
        if run.workers <= 0 and not run.expect_workers:
            started.append(subprocess.Popen(_locust(*common), env=env, stdout=log, stderr=log))
            return _wait_all(started, budget)[0], []
        port = run.master_port or _free_port(run.bind_host)
        expect = run.expect_workers or run.workers
        if expect > run.workers:
            print(remote_worker_recipe(run, port), flush=True)
        master = subprocess.Popen(
            _locust(
                "--master",
                "--expect-workers", str(expect),
                "--expect-workers-max-wait", str(EXPECT_WORKERS_MAX_WAIT_S),
                "--master-bind-host", run.bind_host,
                "--master-bind-port", str(port),
                *common,
            ),
            env=env, stdout=log, stderr=log,
        )  # fmt: skip
        started.append(master)
        workers = []
        for _ in range(run.workers):
            command = worker_command(run.bind_host, port)
            workers.append(subprocess.Popen(command, env=env, stdout=log, stderr=log))
            started.append(workers[-1])
        code = _wait_all([master], budget)[0]
        return code, _wait_all(workers, 30)


def remote_worker_recipe(run: LoadRun, port: int) -> str:
    """What the master prints for the operator of each remote worker machine (the rest, the
    run's CA certificate included, reaches the workers in the plan)."""
    remote = (run.expect_workers or 0) - run.workers
    return (
        f"waiting for {remote} remote worker(s) at {run.bind_host}:{port} "
        f"(up to {EXPECT_WORKERS_MAX_WAIT_S} s); on each worker machine (same checkout, same "
        f"{WEBHOOK_SECRET_ENV} and {STORE_URL_ENV} exported as here; share the secret through "
        f"your secret store, never in a file), run:\n"
        f"  g2a-harness load --profile {run.profile.name} --workers N "
        f"--master-host {run.bind_host} --master-port {port}"
    )


def _ui_options(run: LoadRun) -> list[str]:
    """Headless, or the web UI: started with the profile, quitting soon after the run."""
    if not run.web:
        return ["--headless"]
    port = _free_port(run.bind_host)
    print(
        f"Locust web UI at http://{run.bind_host}:{port}/ running profile {run.profile.name} "
        f"({run.profile.users} users, {run.profile.run_time_s} s); it closes "
        f"{WEB_AUTOQUIT_S} s after the run, then the SLO verdict follows",
        flush=True,
    )
    return [
        "--autostart",
        "--autoquit", str(WEB_AUTOQUIT_S),
        "--web-host", run.bind_host,
        "--web-port", str(port),
    ]  # fmt: skip


# everything a run writes into its report dir, so none of a previous run's files is left behind
RUN_OUTPUTS = (
    "load.json", "journal.json", "services.log", "locust.log", "locust.html",
    "locust_stats.json", "locust_*.csv", "idempotency.sqlite3*", "tls-server.*",
)  # fmt: skip


def _clean(report_dir: Path) -> None:
    report_dir.mkdir(parents=True, exist_ok=True)
    for pattern in RUN_OUTPUTS:
        for stale in report_dir.glob(pattern):
            stale.unlink()


_ERROR_LINE = re.compile(r"Error|Exception|Traceback|error:", re.IGNORECASE)


def last_error_line(log: Path) -> str:
    """Why a run made no request, as Locust logged it (the last line naming an error)."""
    lines = log.read_text(encoding="utf-8", errors="replace").splitlines() if log.exists() else []
    errors = [line.strip() for line in lines if _ERROR_LINE.search(line)]
    if errors:
        return errors[-1]
    return f"Locust made no request and logged no error (see {log})"


def _resolved(target: str) -> Target:
    """The target as `g2a-harness run` resolves it: the sandbox needs its G2A_* settings
    and a reachable host (`ProfileError`, one line, before anything starts)."""
    try:
        api = resolve_target(target)
        if api.api_url is not None:
            check_reachable(api.api_url)
    except TargetError as exc:
        raise ProfileError(str(exc)) from None
    return api


def execute(run: LoadRun) -> dict[str, Any]:
    """Run the profile; returns the report (also written to the report dir as load.json)."""
    profile = run.profile.for_target(run.target)
    run = replace(run, profile=profile)
    _class_names(profile)
    api = _resolved(run.target)
    _clean(run.report_dir)
    webhook_secret = os.environ.get(WEBHOOK_SECRET_ENV) or secrets.token_hex(24)
    started_at = datetime.now(UTC)
    services_log = run.report_dir / "services.log"
    with load_services(
        profile,
        api.api_url,
        webhook_secret,
        log_path=services_log,
        host=run.bind_host,
        allowed_hosts=api.allowed_hosts,
    ) as services:
        plan = _plan(run, api, services)
        # Create the shared store (schema, WAL mode) once, before the users race to open it;
        # a bad store URL fails here with one clear line instead of in every user.
        open_store(plan.store_url(os.environ)).close()
        env = _environment({WEBHOOK_SECRET_ENV: webhook_secret})
        exit_code, worker_codes = _start_locust(run, plan, env)
        twin_orders = services.admin.orders() if services.admin is not None else None
        receiver = ReceiverRecord(dict(services.receiver.handled), services.receiver.rejections())
    journal = read_journal(run.report_dir / "journal.json")
    journal.exit_code = exit_code  # the process's own code is authoritative
    stats = read_stats(run.report_dir / "locust_stats.json")
    verdict = evaluate(profile, stats, journal, twin_orders, receiver)
    report = build_report(
        profile=profile,
        target=run.target,
        workers=run.workers,
        expected_workers=run.expect_workers or run.workers,
        verdict=verdict,
        stats=stats,
        journal=journal,
        files=REPORT_FILES,
        web=run.web,
        peak_users=read_peak_users(run.report_dir / "locust_stats_history.csv"),
    )
    report["envelope"] = envelope.capture(
        target=run.target, base_url=plan.api_url, suite=profile.name, started_at=started_at
    )
    report["worker_exit_codes"] = worker_codes
    if first_failure(worker_codes):
        report["passed"] = False
    if stats.requests == 0:
        report["passed"] = False
        report["cause"] = last_error_line(run.report_dir / "locust.log")
    write_report(run.report_dir, report)
    print_verdict(report, run.report_dir)
    return report
