"""`g2a-harness record`: re-record the integration cassettes from the twin or the sandbox.

Runs the recorded flows of tests/integration/test_cassettes.py with
`--record-mode=rewrite`; each cassette is scrubbed as it is written and gets a provenance
sidecar naming the target, the date and the adapter version.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

NAME = "record"
HELP = "re-record the integration cassettes (tests/cassettes) from the twin or the sandbox"
RECORDABLE = ("twin", "sandbox")
CASSETTE_TESTS = Path("tests/integration/test_cassettes.py")
FLOWS = "test_token or test_products or test_order_create or test_wrong_credentials"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--target", default="twin", help="twin (default) or sandbox; never live")


def run(args: argparse.Namespace) -> int:
    from harness.cli import UsageError
    from harness.targets import TargetError, check_reachable, resolve_target

    if args.target not in RECORDABLE:
        raise UsageError(f"cannot record from {args.target!r}; choose one of twin, sandbox")
    if not CASSETTE_TESTS.is_file():
        raise UsageError(f"run it from the repository root ({CASSETTE_TESTS} not found)")
    try:
        target = resolve_target(args.target)
        if target.api_url is not None:
            check_reachable(target.api_url)
    except TargetError as exc:
        raise UsageError(str(exc)) from None
    command = [
        sys.executable,
        "-m",
        "pytest",
        str(CASSETTE_TESTS),
        "-k",
        FLOWS,
        "--record-mode=rewrite",
        f"--target={target.name}",
        "-q",
        "-p",
        "no:cacheprovider",
    ]
    return subprocess.call(command, env=dict(os.environ, G2A_TARGET=target.name))
