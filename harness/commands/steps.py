"""`g2a-harness steps`: the step catalogue, for writing scenarios without reading Python."""

from __future__ import annotations

import argparse

NAME = "steps"
HELP = "list every Gherkin step the harness understands, with an example of each"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", default="text", dest="fmt", help="text (default), md or json")
    parser.add_argument("--grep", default=None, metavar="WORD", help="only steps mentioning WORD")


def run(args: argparse.Namespace) -> int:
    from harness.bdd.catalogue import FORMATS, catalogue, grep, render
    from harness.cli import UsageError

    if args.fmt not in FORMATS:
        raise UsageError(f"unknown format {args.fmt!r}; choose one of {', '.join(FORMATS)}")
    steps = catalogue()
    if args.grep:
        steps = grep(steps, args.grep)
    print(render(steps, args.fmt), end="")
    return 0 if steps else 1
