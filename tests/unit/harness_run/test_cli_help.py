"""`g2a-harness --help` explains every option of every command."""

from __future__ import annotations

import argparse
from collections.abc import Iterator

from harness.cli import COMMANDS, build_parser


def commands(
    parser: argparse.ArgumentParser, path: str
) -> Iterator[tuple[str, argparse.ArgumentParser]]:
    """Each command and action under `parser` (itself included), with its full name."""
    yield path, parser
    for action in parser._actions:  # argparse offers no public walk over subcommands
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                yield from commands(child, f"{path} {name}")


def test_every_command_is_reachable() -> None:
    names = {name for name, _ in commands(build_parser(), "g2a-harness")}
    assert {f"g2a-harness {command}" for command in COMMANDS} <= names


def test_every_option_has_help_that_is_not_its_own_usage() -> None:
    unexplained = [
        f"{name} {'/'.join(action.option_strings) or action.dest}"
        for name, parser in commands(build_parser(), "g2a-harness")
        for action in parser._actions
        if not isinstance(action, argparse._SubParsersAction | argparse._HelpAction)
        if not action.help or action.help.startswith("[")
    ]
    assert unexplained == []
