"""`g2a-harness gate`: go / no-go for switching G2A_ENV to live (exit 0 only on go).

Exit 0 GO (sandbox, every item proven for this commit), 1 NO-GO, 2 usage error, 3 REHEARSAL
PASSED (twin: every item the twin can prove passed; never a go).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from harness.commands.run import Selection, default_report_dir

NAME = "gate"
HELP = "go / no-go for switching to live: config, secrets, CI, checklist, contracts, load, health"


MAX_AGE_LIMIT_HOURS = 8760.0  # a year: evidence older than that proves nothing about now


def _positive_hours(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of hours: {text!r}") from None
    if not 0 < value <= MAX_AGE_LIMIT_HOURS:  # also refuses NaN, which no comparison meets
        raise argparse.ArgumentTypeError(
            f"--max-age must be more than 0 and at most {MAX_AGE_LIMIT_HOURS:g} hours"
        )
    return value


EPILOG = """environment:
  G2A_API_URL, G2A_API_HASH, G2A_API_KEY, G2A_ENV, ...   the live settings (or --env-file)
  G2A_IDEMPOTENCY_URL        the live store: the health probe pings it (or --store-url)
  G2A_SANDBOX_API_HASH, G2A_SANDBOX_API_KEY   the team's sandbox credentials: live must differ;
                                              also used for the sandbox health probe
  G2A_SANDBOX_API_URL        sandbox API for the probe (default https://sandboxapi.g2a.com/v1)
  G2A_EVIDENCE_KEY           HMAC key: every report must carry a valid signature; a
                             sandbox gate without it (unset or empty) is a no-go unless
                             --allow-unsigned-evidence
evidence read from --evidence DIR:
  checklist.json  contracts.json  load/load.json   (--run-missing produces them)
  twin/checklist.json   a sandbox gate's full twin run: the items no sandbox scenario proves
  and the CI record reports/ci/ci.json that `bash .ci/run` writes (tox.json, junit files)
every report must carry an envelope of this commit, a clean tree and a recent time
exit status: 0 GO, 1 NO-GO, 2 bad invocation, 3 REHEARSAL PASSED (--target twin; never a go)"""


def default_evidence_dir(target: str) -> Path:
    """Where `g2a-harness run --target T --suite full` writes its reports by default."""
    return default_report_dir(target, Selection("full", None, None))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.epilog = EPILOG
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument(
        "--target",
        choices=("sandbox", "twin"),
        default="sandbox",
        help="where the evidence must come from (default: sandbox)",
    )
    parser.add_argument(
        "--evidence",
        type=Path,
        metavar="DIR",
        help="report dir to read (checklist.json, contracts.json, load/load.json) and to "
        "write gate.json / gate.md into (default: reports/<target>/full, where `g2a-harness "
        "run --suite full` writes its reports)",
    )
    parser.add_argument(
        "--live-url", metavar="URL", help="the live G2A_API_URL to check (default: from the env)"
    )
    parser.add_argument(
        "--env-file",
        type=Path,
        metavar="FILE",
        help="read the live G2A_* settings from this dotenv file instead of the environment",
    )
    parser.add_argument(
        "--max-age",
        type=_positive_hours,
        default=24.0,
        metavar="HOURS",
        help="oldest acceptable evidence, in hours (default: 24; at most a year, 8760)",
    )
    parser.add_argument(
        "--run-missing",
        action="store_true",
        help="first produce each missing or stale report with the real commands: "
        "`run --suite full` on the target, `contracts verify` / `drift`, `load --profile "
        "smoke`; present, fresh reports are kept",
    )
    parser.add_argument(
        "--load-target",
        choices=("twin", "sandbox"),
        default="twin",
        help="what --run-missing runs the smoke load profile against (default: twin; "
        "load never reaches G2A unless asked)",
    )
    parser.add_argument(
        "--prometheus-url",
        metavar="URL",
        help="the Prometheus that scrapes your service: --run-missing passes it to `run` to "
        "prove the dashboards item (needed with --target sandbox --run-missing)",
    )
    parser.add_argument(
        "--ci-report",
        type=Path,
        metavar="PATH",
        help="the CI record of every layer (default: reports/ci/ci.json, where "
        "`.ci/run` writes it next to tox.json and the junit files)",
    )
    parser.add_argument(
        "--store-url",
        metavar="URL",
        help="the idempotency store the live service will use, for the health probe "
        "(default: G2A_IDEMPOTENCY_URL of the live settings)",
    )
    parser.add_argument(
        "--target-url",
        metavar="URL",
        help="API URL of an already running twin/sandbox for the health and metrics probes",
    )
    parser.add_argument(
        "--confirm-live-host",
        metavar="HOST",
        help="the live base URL's host when it is not api.g2a.com (allowed by "
        "G2A_ALLOWED_HOSTS): your confirmation that HOST is G2A production, recorded in "
        "gate.json; without it such a host is a no-go",
    )
    parser.add_argument(
        "--allow-unsigned-evidence",
        action="store_true",
        help="accept a sandbox gate without G2A_EVIDENCE_KEY (no signature checked; recorded "
        "in gate.json); without it, unsigned evidence is a no-go on the sandbox",
    )
    parser.add_argument(
        "--repo",
        type=Path,
        metavar="DIR",
        help="deprecated, to be removed: the gate judges the repository root it runs from (its "
        "HEAD, history, tox.ini and CI record); another DIR would be judged against this root's "
        "feature files and reports",
    )


def run(args: argparse.Namespace) -> int:
    from rich.console import Console

    from harness.cli import check_http_url
    from harness.gate import GateOptions, run_gate
    from harness.project import require_project_root

    require_project_root()  # it reads features/ and runs the suites from there
    if args.env_file is not None:
        _check_env_file(args.env_file)
    if args.target_url is not None:
        check_http_url("--target-url", args.target_url)
    _check_prometheus(args)
    evidence_dir = args.evidence or default_evidence_dir(args.target)
    repo = args.repo or Path()
    _check_evidence_dir(repo, evidence_dir)
    if args.repo is not None:
        _warn_repo_is_deprecated(args.repo)
    options = GateOptions(
        target=args.target,
        evidence_dir=evidence_dir,
        live_url=args.live_url,
        env_file=args.env_file,
        max_age_hours=args.max_age,
        run_missing=args.run_missing,
        load_target=args.load_target,
        prometheus_url=args.prometheus_url,
        ci_report=args.ci_report,
        target_url=args.target_url,
        store_url=args.store_url,
        repo=repo,
        confirm_live_host=args.confirm_live_host,
        allow_unsigned=args.allow_unsigned_evidence,
    )
    report = run_gate(options, Console(soft_wrap=False))
    return report.decision.exit_code


def _check_prometheus(args: argparse.Namespace) -> None:
    """A sandbox run proves the dashboards item only on the Prometheus that scrapes the
    service: --run-missing without one would run the sandbox suite to leave it unproven."""
    from harness.cli import UsageError, check_http_url

    if args.prometheus_url is not None and not args.run_missing:
        raise UsageError("--prometheus-url is passed to the run --run-missing starts: add it")
    if args.prometheus_url is not None:
        check_http_url("--prometheus-url", args.prometheus_url)
    elif args.run_missing and args.target == "sandbox":
        raise UsageError(
            "--target sandbox --run-missing needs --prometheus-url URL, the Prometheus that "
            "scrapes your service: the sandbox run proves the dashboards item on it"
        )


def _warn_repo_is_deprecated(repo: Path) -> None:
    """--repo is redundant now that the gate runs from the repository root, and misleading when
    it names another folder: that one's commit, history and CI record would be judged against
    the feature files and reports (default evidence, --run-missing) of the root it runs from."""
    warning = "--repo is deprecated and will be removed: the gate judges the root it runs from"
    if repo.resolve() != Path.cwd().resolve():
        warning += (
            f"; {repo} is another folder, judged against this root's feature files and reports: "
            f"run the gate from {repo} instead"
        )
    print(f"g2a-harness gate: warning: {warning}", file=sys.stderr)


def _check_evidence_dir(repo: Path, evidence_dir: Path) -> None:
    """Refuse an evidence dir git would see: each report written there would make the checkout
    dirty, and the gate refuses every report of a dirty tree."""
    from harness.cli import UsageError
    from harness.gate.sources import unignored_in_checkout

    found = unignored_in_checkout(repo, evidence_dir)
    if found is not None:
        root, inside = found
        raise UsageError(
            f"--evidence {evidence_dir} is inside the checkout {root} and git does not ignore "
            "it: every report written there makes the tree dirty; ignore it (add "
            f"'{inside}/' to .git/info/exclude or .gitignore) or choose a folder outside"
        )


def _check_env_file(path: Path) -> None:
    from harness.cli import UsageError

    if not path.is_file():
        raise UsageError(f"--env-file {path} does not exist")
    try:
        path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UsageError(f"--env-file {path} is not UTF-8 (byte {exc.start})") from None
