"""`g2a-harness steps`: the step catalogue, for writing scenarios without reading Python."""

from __future__ import annotations

import argparse
from pathlib import Path

NAME = "steps"
HELP = (
    "list every Gherkin step the harness understands, with an example of each; "
    "--check FEATURES: does it understand every step of these feature files?"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", default="text", dest="fmt", help="text (default), md or json")
    parser.add_argument("--grep", default=None, metavar="WORD", help="only steps mentioning WORD")
    parser.add_argument(
        "--check",
        nargs="+",
        default=None,
        metavar="PATH",
        help="feature files or folders: report every step no library step matches, and every "
        "known step a run would trip over (an unfilled <placeholder>, a missing or ignored data "
        "table, a twin-only step in a scenario tagged for another target) and every tag a run "
        "would misread (a typo of a target tag, a chk- tag naming no checklist item, a mark "
        "pytest registers such as @skip or @anyio); a dry run: "
        "Outlines once per Examples row, nothing executed; exit 1 if there is one",
    )


def run(args: argparse.Namespace) -> int:
    from harness.bdd.catalogue import FORMATS, catalogue, grep, render
    from harness.cli import UsageError

    if args.check is not None:
        return _check([Path(path) for path in args.check])
    if args.fmt not in FORMATS:
        raise UsageError(f"unknown format {args.fmt!r}; choose one of {', '.join(FORMATS)}")
    steps = catalogue()
    if args.grep:
        steps = grep(steps, args.grep)
    print(render(steps, args.fmt), end="")
    return 0 if steps else 1


def _check(paths: list[Path]) -> int:
    """The check a run makes of the feature files at `paths`, tags that are marks of this
    environment's pytest (its plugins', the project's configuration's) included."""
    import os
    from functools import partial

    from harness.bdd.check import check_features
    from harness.bdd.discovery import FEATURES_ENV, SelectionError, pytest_marks
    from harness.cli import UsageError

    missing = [str(path) for path in paths if not path.exists()]
    if missing:
        raise UsageError(f"no such feature file or folder: {', '.join(missing)}")
    try:
        # the marks of a run over the project's own features: the paths checked are given
        environ = {name: value for name, value in os.environ.items() if name != FEATURES_ENV}
        result = check_features(paths, marks=partial(pytest_marks, environ))
    except SelectionError as exc:
        raise UsageError(str(exc)) from None
    for message in result.messages():
        print(message)
    if result.invalid:
        return 1
    if not result.scenarios:
        print(f"no scenario in {', '.join(map(str, paths))}: nothing was checked")
        return 1
    verdict = f"{len(result.unknown)} unknown" if result.unknown else "all known"
    if result.problems:
        verdict += f", {_count(len(result.problems), 'problem')}"
    print(f"{_count(result.steps, 'step')} in {_count(result.scenarios, 'scenario')}: {verdict}")
    return 1 if result.unknown or result.problems else 0


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"
