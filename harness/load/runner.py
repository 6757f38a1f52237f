"""Run a load profile: services up, Locust as subprocesses, then the verdict.

Locust is never imported here: it monkey-patches the process with gevent. The runner starts
it as `python -m locust` (standalone, or one master plus N workers), waits for it, and reads
its JSON stats and the users' outcome journal back from the report dir.
"""

from __future__ import annotations

import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import harness
from g2a_adapter import ConfigError, StoreUnavailableError
from g2a_adapter.idempotency import open_store, parse_store_url
from harness import envelope
from harness.load.heartbeats import additional_wait_after_stop
from harness.load.journal import Journal, read_journal
from harness.load.plan import STORE_URL_ENV, WEBHOOK_SECRET_ENV, LoadPlan
from harness.load.profiles import Profile, ProfileError, sandbox_notes
from harness.load.report import build_report, print_verdict, write_report
from harness.load.services import LoadServices, load_services
from harness.load.stats import RunStats, read_peak_users, read_stats, write_stats_csv
from harness.load.verdict import LOCUST_FAILURES_EXIT, LOCUST_OK_EXITS, ReceiverRecord, evaluate
from harness.ports import address_family, free_port, host_port, http_url
from harness.processes import STOP_SECONDS, stopped_if_interrupted
from harness.run_probe import TargetStalled, ready_target
from harness.targets import Target, TargetError, resolve_target
from harness.twin.credentials import SANDBOX_PRODUCT_IDS

LOCUSTFILE = Path(__file__).with_name("locustfile.py")
PROJECT_ROOT = Path(harness.__file__).resolve().parent.parent
STOP_TIMEOUT_S = 10
WORKER_QUIT_GRACE_S = 30  # after a master that ended its run: its workers quit by then
WEB_AUTOQUIT_S = 10
OWN_STORE = "idempotency.sqlite3"  # the run's store, in its report dir, unless one is given
EXPECT_WORKERS_MAX_WAIT_S = 90  # the master gives up on workers that have not joined by then
WORKERS_PER_CPU = 2  # the most Locust workers a command starts per CPU: see `max_workers`
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

    @property
    def distributed(self) -> bool:
        """A Locust master and its workers, rather than one standalone process."""
        return self.workers > 0 or bool(self.expect_workers)


def max_workers() -> int:
    """The most Locust workers one command starts: `WORKERS_PER_CPU` per CPU this process may
    run on. A Locust worker is one process on one CPU (gevent): past one per CPU a worker adds
    no load, only contention, which shows in the latencies the SLOs judge; the second leaves
    room for workers that mostly wait (the sandbox's polite crowd) and for two workers on a
    one-CPU machine."""
    if hasattr(os, "sched_getaffinity"):
        return WORKERS_PER_CPU * len(os.sched_getaffinity(0))
    return WORKERS_PER_CPU * (os.cpu_count() or 1)


def _locust(*args: str) -> list[str]:
    return [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--loglevel", "WARNING", *args]


def locust_environment(extra: dict[str, str]) -> dict[str, str]:
    env = dict(os.environ)
    python_path = env.get("PYTHONPATH")
    env["PYTHONPATH"] = str(PROJECT_ROOT) + (os.pathsep + python_path if python_path else "")
    env.update(extra)
    return env


def worker_command(master_host: str, master_port: int = 5557) -> list[str]:
    """What a worker runs, here or on another machine (the plan comes from the master)."""
    return _locust("--worker", "--master-host", master_host, "--master-port", str(master_port))


@dataclass(frozen=True)
class LocustEnd:
    """How Locust ended: the master's (or standalone process's) code, its local workers' codes,
    and the time budget after which the harness stopped it (None: it ended by itself)."""

    exit_code: int
    worker_codes: list[int]
    stopped_after_s: float | None = None


def run_budget_s(profile: Profile) -> float:
    """How long Locust may take for the profile's run before the harness stops it."""
    return profile.run_time_s + STOP_TIMEOUT_S + WEB_AUTOQUIT_S + 120


def wait_or_stop(process: subprocess.Popen[bytes], budget_s: float) -> tuple[int, bool]:
    """The process's code once it ended, and whether the harness had to stop it (SIGKILL)
    because it had not ended within `budget_s`."""
    try:
        return process.wait(timeout=budget_s), False
    except subprocess.TimeoutExpired:
        process.kill()
        return process.wait(), True


def _wait_within(processes: Sequence[subprocess.Popen[bytes]], seconds: float) -> None:
    """Until every process ended or `seconds` passed (one deadline for all)."""
    deadline = time.monotonic() + seconds
    for process in processes:
        try:
            process.wait(timeout=max(deadline - time.monotonic(), 0))
        except subprocess.TimeoutExpired:
            return


def end_workers(workers: Sequence[subprocess.Popen[bytes]], grace_s: float) -> list[int]:
    """The workers' codes once they quit within `grace_s`, the rest stopped together: asked
    to (SIGTERM), then killed after `STOP_SECONDS`."""
    _wait_within(workers, grace_s)
    running = [worker for worker in workers if worker.poll() is None]
    for worker in running:
        worker.terminate()
    _wait_within(running, STOP_SECONDS)
    for worker in running:
        if worker.poll() is None:
            worker.kill()
    return [worker.wait() for worker in workers]


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
    store_url = os.environ.get(STORE_URL_ENV) or f"sqlite:///{report_dir / OWN_STORE}"
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


def _start_locust(run: LoadRun, plan: LoadPlan, env: dict[str, str]) -> LocustEnd:
    """Run Locust to the end, or stop it once it overran `run_budget_s`."""
    profile = run.profile
    out = run.report_dir.resolve()
    common = [
        *_ui_options(run),
        "-u", str(profile.users),
        "-r", str(profile.spawn_rate),
        "--stop-timeout", str(STOP_TIMEOUT_S),
        "--csv", str(out / "locust"),
        "--html", str(out / "locust.html"),
        "--json-file", str(out / "locust_stats"),
        "--exit-code-on-error", str(LOCUST_FAILURES_EXIT),
        "--only-summary",
        "--g2a-plan", plan.to_json(),
        "--g2a-run-time", str(profile.run_time_s),  # not Locust's --run-time: see locustfile
        *_class_names(profile),
    ]  # fmt: skip
    budget = run_budget_s(profile)
    started: list[subprocess.Popen[bytes]] = []  # all stopped if the run is interrupted
    with (out / "locust.log").open("ab") as log, stopped_if_interrupted(started):
        if not run.distributed:
            started.append(subprocess.Popen(_locust(*common), env=env, stdout=log, stderr=log))
            code, stopped = wait_or_stop(started[0], budget)
            return LocustEnd(code, [], budget if stopped else None)
        port = run.master_port or free_port(run.bind_host)
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
        code, stopped = wait_or_stop(master, budget)
        # a master that died cannot tell its workers to stop: they would buy on for a minute
        codes = end_workers(workers, WORKER_QUIT_GRACE_S if code in LOCUST_OK_EXITS else 0)
        return LocustEnd(code, codes, budget if stopped else None)


def remote_worker_recipe(run: LoadRun, port: int) -> str:
    """What the master prints for the operator of each remote worker machine (the rest, the
    run's CA certificate included, reaches the workers in the plan)."""
    remote = (run.expect_workers or 0) - run.workers
    return (
        f"waiting for {remote} remote worker(s) at {host_port(run.bind_host, port)} "
        f"(up to {EXPECT_WORKERS_MAX_WAIT_S} s); on each worker machine (same checkout, same "
        f"{WEBHOOK_SECRET_ENV} and {STORE_URL_ENV} exported as here; share the secret through "
        f"your secret store, never in a file), run:\n"
        f"  g2a-harness load --workers N --master-host {run.bind_host} --master-port {port}"
    )


def _ui_options(run: LoadRun) -> list[str]:
    """Headless, or the web UI: started with the profile, quitting soon after the run."""
    if not run.web:
        return ["--headless"]
    port = free_port(run.bind_host)
    print(
        f"Locust web UI at {http_url(run.bind_host, port)}/ running profile {run.profile.name} "
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
    "locust_stats.json", "locust_*.csv", f"{OWN_STORE}*", "tls-server.*",
)  # fmt: skip


def _clean(report_dir: Path) -> None:
    report_dir.mkdir(parents=True, exist_ok=True)
    for pattern in RUN_OUTPUTS:
        _remove(report_dir, pattern)


def _remove(report_dir: Path, pattern: str) -> None:
    for path in report_dir.glob(pattern):
        path.unlink()


@contextmanager
def _unjudged_if_interrupted(report_dir: Path) -> Iterator[None]:
    """A run stopped before its verdict (Ctrl-C, SIGTERM) says on stderr what it left in its
    report dir: Locust's stats of a cut run, which no one should take for a result (the gate
    reads only load.json, which such a run never writes)."""
    try:
        yield
    except KeyboardInterrupt:
        if not (report_dir / "load.json").exists():
            print(f"g2a-harness load: {interrupted_text(report_dir)}", file=sys.stderr, flush=True)
        raise


def interrupted_text(report_dir: Path) -> str:
    """What a run stopped before its verdict left, named file by file."""
    left = sorted({path.name for pattern in RUN_OUTPUTS for path in report_dir.glob(pattern)})
    return (
        f"the run was stopped before its verdict: no load.json, and what it left in "
        f"{report_dir} ({', '.join(left) or 'nothing'}) is not a result"
    )


_ERROR_LINE = re.compile(r"Error|Exception|Traceback|error:", re.IGNORECASE)
# what Locust's master logs as it exits 1 once `--expect-workers-max-wait` passed (locust.main)
GAVE_UP_LINE = "Gave up waiting for workers to connect"


def _workers_fate(local_workers: int, remote_workers: int) -> str:
    """What became of a master's workers once it died or was stopped: this command stops its
    own, each remote machine's command stops that machine's."""
    local = ", its workers" + (" here" if remote_workers else "") + " were stopped"
    remote = "; its remote workers' commands stop their own"
    return (local if local_workers else "") + (remote if remote_workers else "")


def run_cause(
    exit_code: int,
    requests: int,
    log: Path,
    role: str,
    *,
    local_workers: int = 0,
    remote_workers: int = 0,
    stopped_after_s: float | None = None,
    run_time_s: int = 0,
    workers_joined: int | None = None,
) -> str | None:
    """Why a run has no verdict to trust, `role` being Locust's `master` (with `local_workers`
    started here, `remote_workers` elsewhere, `workers_joined` of them joined) or standalone
    `process`: the harness stopped it after `stopped_after_s` of a `run_time_s` run, it died (a
    signal), gave up waiting for its workers, failed (a code Locust ends a run with is 0 or 3),
    or made no request; None when it ran."""
    fate = _workers_fate(local_workers, remote_workers)
    if stopped_after_s is not None:
        return (
            f"the Locust {role} did not end within {stopped_after_s:g} s of a {run_time_s} s "
            f"run; stopped by the harness: no final stats{fate}"
        )
    if exit_code < 0:
        try:
            signal_name = signal.Signals(-exit_code).name
        except ValueError:
            signal_name = f"signal {-exit_code}"
        return (
            f"the Locust {role} died before the run ended (killed by {signal_name}, exit code "
            f"{exit_code}): no final stats{fate}"
        )
    if exit_code not in LOCUST_OK_EXITS:
        error = last_error_line(log)
        if GAVE_UP_LINE in error:  # Locust's line names no count
            expected = local_workers + remote_workers
            return (
                f"the Locust {role} gave up waiting for its workers after "
                f"{EXPECT_WORKERS_MAX_WAIT_S} s: {workers_joined or 0} of {expected} joined{fate}"
            )
        return f"the Locust {role} exited with code {exit_code}: {error}"
    if requests == 0:
        return f"no request was made: {last_error_line(log)}"
    return None


def last_error_line(log: Path) -> str:
    """Why a run made no request, as Locust logged it (the last line naming an error)."""
    lines = log.read_text(encoding="utf-8", errors="replace").splitlines() if log.exists() else []
    errors = [line.strip() for line in lines if _ERROR_LINE.search(line)]
    if errors:
        return errors[-1]
    return f"Locust made no request and logged no error (see {log})"


def _rewrite_stats_csv(path: Path, stats: RunStats) -> list[str]:
    """Locust's `_stats.csv` rewritten from the final stats (Locust's own may miss the run's
    last second), its rates from the test's start as Locust's; without final stats Locust's
    partial one is removed. What was done, said."""
    if stats.operations:
        write_stats_csv(path, stats)
        return []
    if not path.exists():
        return []
    path.unlink()
    return [f"{path.name} removed: Locust left only a partial one, and no final stats"]


# what a Reset Stats does not restart: users report these counters once, as they stop
_WHOLE_LIFE_COUNTERS = (
    "`evidence.tokens_issued` and `evidence.adapter_retries` do not restart at a Reset Stats: "
    "each user reports them once, as it stops, counting its whole life, before the reset too"
)


def _periods_note(journal: Journal) -> list[str]:
    """What a run of several statistics periods (a web UI's Start after a Stop, its Reset
    Stats) reports on: `harness.load.journal`."""
    if journal.period <= 1:
        return []
    held: list[str] = []
    if journal.tests > 1:
        held.append(f"held {journal.tests} tests (Start after Stop in the web UI)")
    if journal.stats_resets:
        held.append(f"saw {journal.stats_resets} Reset Stats in the web UI")
    note = (
        f"the run {' and '.join(held)}: Locust's statistics, the SLOs, `measured` and the "
        "journal's evidence counts are of the last period, from Locust's last reset of its "
        "statistics (a Start or Reset Stats); the invariants judge the journal entries of the "
        "whole run, as the twin's orders and the receiver's record span it, and a journal gap "
        "of any test fails `run completed`"
    )
    if journal.stats_resets:
        note += f"; {_WHOLE_LIFE_COUNTERS}"
    return [note]


def _resolved(target: str) -> Target:
    """The target as `g2a-harness run` resolves it: the sandbox needs its G2A_* settings,
    ones the adapter accepts (a G2A_API_URL path it refuses, say), a reachable host and an
    answered token request (`ProfileError`, one line, before anything starts or a previous
    report is deleted): wrong credentials or an untrusted certificate would otherwise fail
    every call of a whole profile against the shared sandbox."""
    try:
        api = resolve_target(target)
        if api.api_url is not None:
            ready_target(api)
    except (TargetError, ConfigError, TargetStalled) as exc:
        raise ProfileError(str(exc)) from None
    return api


def _listenable(run: LoadRun) -> None:
    """`ProfileError` (one line, before anything starts or a previous report is deleted) when
    this machine cannot listen on the bind host (an address it does not have, a name that does
    not resolve), or the master could not bind the `--master-port` given (another process has
    it: Locust's master would fail after the services started)."""
    host = run.bind_host
    try:
        free_port(host)
    except OSError as exc:
        raise ProfileError(
            f"cannot listen on --bind-host {host} ({exc.strerror or exc}): bind an address of "
            "this machine (127.0.0.1, or the one remote workers reach)"
        ) from None
    if run.master_port is None or not run.distributed:
        return
    with socket.socket(address_family(host), socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as Locust's master binds
        try:
            sock.bind((host, run.master_port))
        except OSError as exc:
            raise ProfileError(
                f"--master-port {run.master_port} is not free on {host} "
                f"({exc.strerror or exc}): give another, or none for a free one"
            ) from None


def _shared_store_opens() -> None:
    """`ProfileError` naming `G2A_LOAD_IDEMPOTENCY_URL` when the store it names cannot be
    opened (one line, before anything starts or a previous report is deleted): the message
    alone did not say which of the exported stores it was."""
    url = os.environ.get(STORE_URL_ENV)
    if not url:
        return  # the run's own SQLite file, made in the report dir once it is clean
    try:
        open_store(url).close()
    except StoreUnavailableError as exc:
        raise ProfileError(f"{STORE_URL_ENV}: {exc}") from None


def execute(run: LoadRun) -> dict[str, Any]:
    """Run the profile; returns the report (also written to the report dir as load.json)."""
    profile = run.profile.for_target(run.target)
    capped = sandbox_notes(run.profile, profile)
    run = replace(run, profile=profile)
    _class_names(profile)
    if run.distributed:  # what Locust's workers would crash on at their first stop
        additional_wait_after_stop(os.environ)
    api = _resolved(run.target)
    _listenable(run)
    _shared_store_opens()
    for note in capped:  # once nothing refuses the run, before it starts
        print(f"g2a-harness load: {note}", file=sys.stderr, flush=True)
    _clean(run.report_dir)
    with _unjudged_if_interrupted(run.report_dir):
        return _run_and_judge(run, api, capped)


def _run_and_judge(run: LoadRun, api: Target, capped: list[str]) -> dict[str, Any]:
    """Services up, Locust to its end, then the verdict, written as load.json and printed."""
    profile = run.profile
    webhook_secret = os.environ.get(WEBHOOK_SECRET_ENV) or secrets.token_hex(24)
    start = envelope.RunStart.now()
    services_log = run.report_dir / "services.log"
    try:
        with load_services(
            profile,
            api.api_url,
            webhook_secret,
            log_path=services_log,
            host=run.bind_host,
            allowed_hosts=api.allowed_hosts,
        ) as services:
            plan = _plan(run, api, services)
            # Create the store the users share (schema, WAL mode) once, before they race to
            # open it: the run's own SQLite file (a G2A_LOAD_IDEMPOTENCY_URL store was opened,
            # and so created, by `_shared_store_opens`; opening it again costs one connect).
            open_store(plan.store_url(os.environ)).close()
            env = locust_environment({WEBHOOK_SECRET_ENV: webhook_secret})
            end = _start_locust(run, plan, env)
            twin_orders = services.admin.orders() if services.admin is not None else None
            handled = dict(services.receiver.handled)
            receiver = ReceiverRecord(handled, services.receiver.rejections())
    finally:  # it holds the keys the run's purchases were given (the sandbox's, on sandbox)
        _remove(run.report_dir, f"{OWN_STORE}*")
    journal = read_journal(run.report_dir / "journal.json")
    journal.exit_code = end.exit_code  # the process's own code is authoritative
    stats = read_stats(run.report_dir / "locust_stats.json", journal.test_started)
    csv_path = run.report_dir / f"{REPORT_FILES['csv_prefix']}_stats.csv"
    notes = capped + _rewrite_stats_csv(csv_path, stats) + _periods_note(journal)
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
        peak_users=read_peak_users(
            run.report_dir / "locust_stats_history.csv",
            journal.test_started,
            after_another=journal.period > 1,
        ),
    )
    report["envelope"] = envelope.capture(
        target=run.target,
        base_url=plan.api_url,
        suite=profile.name,
        start=start,
    )
    report["worker_exit_codes"] = end.worker_codes
    if notes:
        report["notes"] = notes
    if first_failure(end.worker_codes):
        report["passed"] = False
    cause = run_cause(
        end.exit_code,
        stats.requests,
        run.report_dir / "locust.log",
        "master" if run.distributed else "process",
        local_workers=run.workers,
        remote_workers=max((run.expect_workers or 0) - run.workers, 0),
        stopped_after_s=end.stopped_after_s,
        run_time_s=profile.run_time_s,
        workers_joined=journal.workers_joined,
    )
    if cause is not None:
        report["passed"] = False
        report["cause"] = cause
    write_report(run.report_dir, report)
    print_verdict(report, run.report_dir)
    return report
