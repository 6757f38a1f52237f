"""`g2a-harness record`: re-record the integration cassettes from the twin or the sandbox.

Runs the recorded flows of tests/integration/test_cassettes.py with `--record-mode=rewrite`
into a fresh folder (`RECORD_INTO_ENV`); each cassette is scrubbed as it is written and gets a
provenance sidecar naming the target, the date and the adapter version. Only a recording whose
every flow passed replaces the committed cassettes: a failed or interrupted one leaves them as
they were. A sandbox target is checked first (settings, reachability, a token request), so a
wrong setting is one line before anything reaches the network.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

NAME = "record"
HELP = "re-record the integration cassettes (tests/cassettes) from the twin or the sandbox"
RECORDABLE = ("twin", "sandbox")
CASSETTE_TESTS = Path("tests/integration/test_cassettes.py")
FLOWS = "test_token or test_products or test_order_create or test_wrong_credentials"
RECORD_INTO_ENV = "G2A_RECORD_INTO"  # where test_cassettes.py writes while recording


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--target", default="twin", help="twin (default) or sandbox; never live")


def run(args: argparse.Namespace) -> int:
    from harness.cassettes import CASSETTE_DIR
    from harness.cli import UsageError
    from harness.project import require_project_root
    from harness.run_probe import TargetStalled, ready_target
    from harness.targets import TargetError, resolve_target

    if args.target not in RECORDABLE:
        raise UsageError(f"cannot record from {args.target!r}; choose one of twin, sandbox")
    require_project_root()  # the cassette tests and tests/cassettes are the checkout's
    try:
        target = resolve_target(args.target)
        if target.api_url is not None:
            ready_target(target)
    except TargetError as exc:
        raise UsageError(str(exc)) from None
    except TargetStalled as exc:
        print(f"g2a-harness record: {exc}; nothing was recorded", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="g2a-cassettes-") as fresh:
        code = _record(target.name, Path(fresh))
        if code != 0:
            print(
                f"g2a-harness record: recording from {target.name} failed (pytest exit code "
                f"{code}); {CASSETTE_DIR} is unchanged",
                file=sys.stderr,
            )
            return code
        recorded = sorted(Path(fresh).iterdir())
        for path in recorded:
            shutil.copyfile(path, Path(CASSETTE_DIR) / path.name)
    print(f"recorded {len(recorded)} files from {target.name} into {CASSETTE_DIR}")
    return 0


def _record(target: str, into: Path) -> int:
    """pytest's exit code for the recorded flows, written into `into`."""
    from harness.bdd import PYTEST_PLUGIN_ARGS
    from harness.processes import stopped_if_interrupted

    command = [
        sys.executable,
        "-m",
        "pytest",
        *PYTEST_PLUGIN_ARGS,  # `--target`
        str(CASSETTE_TESTS),
        "-k",
        FLOWS,
        "--record-mode=rewrite",
        f"--target={target}",
        "-q",
        "-p",
        "no:cacheprovider",
    ]
    env = dict(os.environ, G2A_TARGET=target, **{RECORD_INTO_ENV: str(into)})
    # its own session: Ctrl-C reaches this command alone, which stops pytest without a trace
    process = subprocess.Popen(command, env=env, start_new_session=True)
    with stopped_if_interrupted([process]):
        return process.wait()
