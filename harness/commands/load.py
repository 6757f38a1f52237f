"""`g2a-harness load`: run a Locust load profile and judge it against its SLOs and invariants.

Distributed on several machines (the README's recipe): export the same G2A_WEBHOOK_SECRET and
a shared G2A_IDEMPOTENCY_URL (redis://…) on every machine, start the master with
`--expect-workers` above `--workers`, and run on each other machine the command the master
prints (`--master-host`, `--master-port`). A worker that fails makes the run fail.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from harness.cli import UsageError

NAME = "load"
HELP = "run a Locust load profile (twin or sandbox) and print its SLO and invariant verdict"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--profile", default="smoke", help="profile name from profiles.toml")
    parser.add_argument(
        "--list-profiles",
        action="store_true",
        help="list the profiles (users, duration, SLOs) and exit",
    )
    parser.add_argument("--users", type=int, help="override the profile's number of users")
    parser.add_argument("--spawn-rate", type=float, help="override users started per second")
    parser.add_argument("--run-time", help="override the run time (20s, 2m, 1h30m)")
    parser.add_argument(
        "--target",
        default="twin",
        choices=("twin", "sandbox", "live"),
        help="twin (default: the embedded twin), sandbox (credentials from the environment); "
        "live is refused: load never buys on the live API",
    )
    parser.add_argument(
        "--workers", type=int, default=0, help="distributed: one master plus N worker processes"
    )
    parser.add_argument(
        "--expect-workers", type=int, help="workers the master waits for, local plus remote"
    )
    parser.add_argument(
        "--bind-host",
        default="127.0.0.1",
        help="address the master, twin and receiver listen on (remote workers must reach it)",
    )
    parser.add_argument(
        "--master-host", help="worker-only mode: join the master at this address with --workers"
    )
    parser.add_argument(
        "--master-port",
        type=int,
        help="port the master listens on (default: a free one) or, with --master-host, "
        "joins (default 5557)",
    )
    parser.add_argument(
        "--web",
        action="store_true",
        help="show Locust's web UI (the profile preloaded and started); the verdict follows",
    )
    parser.add_argument(
        "--report-dir",
        type=Path,
        default=Path("reports"),
        help="writes into <dir>/load/ (default: reports; the gate reads "
        "reports/<target>/full/load/, where `gate --run-missing` puts it)",
    )


def run(args: argparse.Namespace) -> int:
    from harness.load.profiles import ProfileError

    try:
        return _run(args)
    except ProfileError as exc:
        raise UsageError(str(exc)) from exc


def _run(args: argparse.Namespace) -> int:
    from harness.load.plan import WEBHOOK_SECRET_ENV
    from harness.load.profiles import get_profile, load_profiles
    from harness.load.report import print_profiles
    from harness.load.runner import LoadRun, execute, run_workers

    if args.list_profiles:
        print_profiles(load_profiles())
        return 0
    if args.workers < 0:
        raise UsageError("--workers must be 0 or more")
    remote = (args.expect_workers or 0) > args.workers
    if (remote or args.master_host) and not os.environ.get(WEBHOOK_SECRET_ENV):
        raise UsageError(
            f"remote workers sign webhooks with the master's secret: export the same "
            f"{WEBHOOK_SECRET_ENV} on the master and on every worker machine"
        )
    if args.master_host:
        return run_workers(args.master_host, args.workers, args.master_port or 5557)
    if args.expect_workers is not None and args.expect_workers < max(args.workers, 1):
        raise UsageError("--expect-workers must be at least --workers (and at least 1)")
    profile = get_profile(args.profile).with_overrides(
        users=args.users, spawn_rate=args.spawn_rate, run_time=args.run_time
    )
    report = execute(
        LoadRun(
            profile,
            target=args.target,
            workers=args.workers,
            expect_workers=args.expect_workers,
            bind_host=args.bind_host,
            master_port=args.master_port,
            report_dir=args.report_dir / "load",
            web=args.web,
        )
    )
    return 0 if report["passed"] else 1
