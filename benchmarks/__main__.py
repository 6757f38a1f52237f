"""`python -m benchmarks [--json] [--quick] [--only NAME ...]`: the whole ratio suite."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from benchmarks.suite import discover, render, run_suite, to_json


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--quick", action="store_true", help="fewer rounds (CI smoke)")
    parser.add_argument(
        "--only", nargs="+", metavar="MODULE", help="run only these modules (e.g. bench_growth)"
    )


def run(args: argparse.Namespace) -> int:
    from rich.console import Console

    available = discover()
    modules = available
    if args.only:
        modules = [m if m.startswith("benchmarks.") else f"benchmarks.{m}" for m in args.only]
        unknown = sorted(set(modules) - set(available))
        if unknown:
            print(f"unknown benchmark modules {unknown}; have {available}", file=sys.stderr)
            return 2
    console = Console(stderr=args.json, width=None if sys.stdout.isatty() else 140)
    result = run_suite(args.quick, modules, progress=lambda m: console.log(f"running {m}"))
    if args.json:
        print(to_json(result))
    else:
        console.print(render(result))
    return 0 if result.passed else 1


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
