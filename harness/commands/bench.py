"""`g2a-harness bench`: the ratio benchmark suite (same as `python -m benchmarks`)."""

from __future__ import annotations

import argparse

NAME = "bench"
HELP = "run every ratio benchmark and print figure, baseline, ratio, target, pass/fail"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from benchmarks.__main__ import add_arguments as add_bench_arguments

    add_bench_arguments(parser)


def run(args: argparse.Namespace) -> int:
    from benchmarks.__main__ import run as run_benchmarks

    return run_benchmarks(args)
