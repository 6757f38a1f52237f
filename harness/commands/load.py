"""`g2a-harness load`: run a Locust load profile and judge it against its SLOs and invariants.

Distributed on several machines (the README's recipe): export the same G2A_WEBHOOK_SECRET and
a shared G2A_LOAD_IDEMPOTENCY_URL (redis://…; never the service's G2A_IDEMPOTENCY_URL) on every
machine, start the master with `--expect-workers` above `--workers` and `--bind-host` an address
the workers reach, and run on each other machine the command the master prints
(`--master-host`, `--master-port`). Off loopback the twin and receiver speak https with a
certificate of a CA made for the run; its certificate reaches the workers in the run plan. A
worker that fails makes the run fail; a master that dies has its workers stopped (the remote
ones by their own command, which also waits a bounded time for the master to answer its
workers).
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from pathlib import Path

from g2a_adapter.wire import is_loopback, is_unspecified
from harness.cli import UsageError
from harness.ports import MAX_PORT

NAME = "load"
DEFAULT_REPORT_DIR = "reports"
DEFAULT_PROFILE = "smoke"
DEFAULT_TARGET = "twin"
DEFAULT_BIND_HOST = "127.0.0.1"
HELP = "run a Locust load profile (twin or sandbox) and print its SLO and invariant verdict"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(  # no default: a worker-only run says it ignores one given
        "--profile", help=f"profile name from profiles.toml (default: {DEFAULT_PROFILE})"
    )
    parser.add_argument(
        "--list-profiles",
        action="store_true",
        help="list the profiles (users, duration, SLOs) as they run on --target, and exit",
    )
    parser.add_argument("--users", type=int, help="override the profile's number of users")
    parser.add_argument("--spawn-rate", type=float, help="override users started per second")
    parser.add_argument("--run-time", help="override the run time (20s, 2m, 1h30m)")
    parser.add_argument(  # no default: a worker-only run refuses it when given
        "--target",
        choices=("twin", "sandbox", "live"),
        help="twin (default: the embedded twin), sandbox (credentials from the environment); "
        "live is refused: load never buys on the live API",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=0,
        help="distributed: one master plus N worker processes (at most 2 per CPU of this "
        "machine: a Locust worker uses one CPU at most)",
    )
    parser.add_argument(
        "--expect-workers", type=int, help="workers the master waits for, local plus remote"
    )
    parser.add_argument(  # no default: a worker-only run refuses it when given
        "--bind-host",
        help="address the master, twin and receiver listen on (default: "
        f"{DEFAULT_BIND_HOST}; remote workers must reach it; off loopback the twin and receiver "
        "speak https with a CA made for the run)",
    )
    parser.add_argument(
        "--master-host", help="worker-only mode: join the master at this address with --workers"
    )
    parser.add_argument(
        "--master-port",
        type=int,
        help="port the master listens on (default: a free one, printed when it expects remote "
        "workers) or, with --master-host, joins (the port the master printed)",
    )
    parser.add_argument(
        "--join-timeout",
        type=float,
        help="worker-only mode: seconds to wait for the master to answer the workers before "
        "giving up (default 90; exit 2 naming the reason, the workers stopped)",
    )
    parser.add_argument(
        "--web",
        action="store_true",
        help="show Locust's web UI (the profile preloaded and started); the verdict follows",
    )
    parser.add_argument(
        "--report-dir",
        help=f"writes into <dir>/load/ (default: {DEFAULT_REPORT_DIR}; the gate reads "
        "reports/<target>/full/load/, where `gate --run-missing` puts it)",
    )


# What only the master's command reads: a worker-only run (--master-host) runs the master's plan.
# None of them has an argparse default, so that a worker-only run tells given from left out.
MASTER_OPTIONS = (
    "users",
    "spawn_rate",
    "run_time",
    "web",
    "report_dir",
    "expect_workers",
    "target",
    "bind_host",
)


def _refuse_master_options(args: argparse.Namespace) -> None:
    """`UsageError` naming the first master's option a worker-only run was given: it would
    have no effect."""
    for name in MASTER_OPTIONS:
        if getattr(args, name) not in (None, False):
            option = "--" + name.replace("_", "-")
            raise UsageError(
                f"{option} is for the master's command: a worker-only run (--master-host) "
                "runs the master's plan"
            )


def _unspecified(host: str) -> bool:
    """Every address of the machine: `0.0.0.0`, `::`, or none given (a socket binds `""` so)."""
    return not host.strip() or is_unspecified(host)


def run(args: argparse.Namespace) -> int:
    from harness.load.profiles import ProfileError

    try:
        return _run(args)
    except ProfileError as exc:
        raise UsageError(str(exc)) from exc


def _run(args: argparse.Namespace) -> int:
    from harness.load.plan import STORE_URL_ENV, WEBHOOK_SECRET_ENV
    from harness.load.profiles import get_profile, load_profiles
    from harness.load.report import print_profiles
    from harness.load.runner import WORKERS_PER_CPU, LoadRun, execute, max_workers
    from harness.load.worker_only import JOIN_TIMEOUT_S, run_workers

    target = args.target or DEFAULT_TARGET
    if args.list_profiles:
        print_profiles(load_profiles(), target)
        return 0
    if args.workers < 0:
        raise UsageError("--workers must be 0 or more")
    if args.workers > (most := max_workers()):  # a million pushed the load average to 97
        raise UsageError(
            f"--workers must be at most {most} ({WORKERS_PER_CPU} per CPU of this "
            f"machine: a Locust worker uses one CPU at most), not {args.workers}"
        )
    if args.master_host is not None and not args.master_host.strip():
        raise UsageError(  # an empty variable in a worker machine's script: no master mode
            f"--master-host {args.master_host!r} names no master: give the address it printed"
        )
    bind_host = DEFAULT_BIND_HOST if args.bind_host is None else args.bind_host
    if args.report_dir is not None and not args.report_dir.strip():  # Path("") is the cwd
        raise UsageError(
            f"--report-dir {args.report_dir!r} names no folder: give one, or none for the "
            f"default ({DEFAULT_REPORT_DIR})"
        )
    if not args.master_host and _unspecified(bind_host):  # a worker-only run refuses it later
        shown = bind_host.strip() or repr(bind_host)
        raise UsageError(
            f"--bind-host {shown} is no address workers can reach: bind an address "
            "of this machine (127.0.0.1, or the one remote workers reach)"
        )
    # past the last port Locust's master binds the port modulo 65536, and says nothing
    if args.master_port is not None and not 0 < args.master_port <= MAX_PORT:
        raise UsageError(
            f"--master-port must be a port from 1 to {MAX_PORT}, not {args.master_port}"
        )
    if args.join_timeout is not None and not args.master_host:
        raise UsageError("--join-timeout is for a worker-only run: give --master-host too")
    if args.join_timeout is not None and not 0 < args.join_timeout < math.inf:
        raise UsageError(
            f"--join-timeout must be a number of seconds above 0, not {args.join_timeout:g}"
        )
    remote = (args.expect_workers or 0) > args.workers
    if (remote or args.master_host) and not os.environ.get(WEBHOOK_SECRET_ENV):
        raise UsageError(
            f"remote workers sign webhooks with the master's secret: export the same "
            f"{WEBHOOK_SECRET_ENV} on the master and on every worker machine"
        )
    off_loopback = not is_loopback(args.master_host or bind_host)
    if (remote or args.master_host) and off_loopback and not os.environ.get(STORE_URL_ENV):
        raise UsageError(  # else each worker opens the master's SQLite path on its own disk
            f"remote workers buy through one idempotency store: export the same "
            f"{STORE_URL_ENV} (redis://… or postgresql://…, never the service's own store) on "
            "the master and on every worker machine"
        )
    if args.master_host:
        if args.master_port is None:  # the master listens on a free port it picks and prints
            raise UsageError("--master-host needs --master-port: the port the master printed")
        _refuse_master_options(args)
        if args.profile is not None:  # the recipe masters printed carried it: not refused
            print(
                f"g2a-harness load: --profile {args.profile} is ignored: a worker-only run "
                "(--master-host) runs the profile its master runs",
                file=sys.stderr,
                flush=True,
            )
        join_timeout = args.join_timeout or JOIN_TIMEOUT_S
        return run_workers(args.master_host, args.workers, args.master_port, join_timeout)
    if args.expect_workers is not None and args.expect_workers < max(args.workers, 1):
        raise UsageError("--expect-workers must be at least --workers (and at least 1)")
    if args.master_port is not None and not (args.workers or args.expect_workers):
        raise UsageError(
            "--master-port is for a distributed run: give --workers or --expect-workers too"
        )
    profile = get_profile(args.profile or DEFAULT_PROFILE).with_overrides(
        users=args.users, spawn_rate=args.spawn_rate, run_time=args.run_time
    )
    report = execute(
        LoadRun(
            profile,
            target=target,
            workers=args.workers,
            expect_workers=args.expect_workers,
            bind_host=bind_host,
            master_port=args.master_port,
            report_dir=Path(args.report_dir or DEFAULT_REPORT_DIR) / "load",
            web=args.web,
        )
    )
    return 0 if report["passed"] else 1
