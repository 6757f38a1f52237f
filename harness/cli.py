"""`g2a-harness`: the command line of the harness.

Bad invocations end with one clear line on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from types import ModuleType
from urllib.parse import urlsplit

from g2a_adapter import G2AError
from harness.cassettes import password_ends_authority, redacted_url
from harness.processes import TERMINATED, TERMINATED_EXIT, Terminated, sigterm_interrupts

# Subcommand modules under harness.commands, in the order `--help` lists them.
COMMANDS: tuple[str, ...] = (
    "run",
    "steps",
    "twin",
    "receiver",
    "seller",
    "record",
    "contracts",
    "load",
    "gate",
)


class UsageError(Exception):
    """A bad invocation: printed as one line, exit code 2."""


def check_http_url(option: str, url: str) -> None:
    """`UsageError` unless `url` is http(s) with a host and, if given, a port in range."""
    if password_ends_authority(url):  # urllib's error would quote part of the password
        raise UsageError(
            f"{option} {redacted_url(url)!r} is not a valid URL (percent-encode a `/`, `?`, "
            "`#` or `@` in its password: %2F, %3F, %23, %40)"
        )
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - urllib checks the port's range only when asked for it
    except ValueError as exc:
        shown = redacted_url(url)  # never its login details
        raise UsageError(f"{option} {shown!r} is not a valid URL ({exc})") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        shown = redacted_url(url)
        raise UsageError(f"{option} must be an http(s) URL with a host, not {shown!r}")


def _load(name: str) -> ModuleType:
    return importlib.import_module(f"harness.commands.{name}")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="g2a-harness", description="G2A twin, handoff checklist, contracts, load and gate"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        module = _load(name)
        command = sub.add_parser(module.NAME, help=module.HELP, description=module.HELP)
        module.add_arguments(command)
        command.set_defaults(_run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "_run", None) is None:
        parser.print_help()
        return 2
    with sigterm_interrupts() as owned:  # a cancelled CI job stops children as Ctrl-C does
        try:
            return int(args._run(args))
        except Terminated:
            if not owned:  # the SIGTERM of whoever runs this command in-process
                raise
            print(f"g2a-harness {args.command}: {TERMINATED}", file=sys.stderr)
            return TERMINATED_EXIT
        except (UsageError, G2AError) as exc:
            print(f"g2a-harness {args.command}: {exc}", file=sys.stderr)
            return 2
        except OSError as exc:  # a folder that cannot be written, a host that does not resolve
            print(f"g2a-harness {args.command}: {exc}", file=sys.stderr)
            return 2
        except KeyboardInterrupt:
            return 130
