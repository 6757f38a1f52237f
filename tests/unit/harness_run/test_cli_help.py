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


def test_every_option_with_a_default_names_it_in_its_help() -> None:
    """Found by a performance tester's walkthrough: `load --help` did not say `--profile`
    defaults to smoke, nor `--bind-host` to 127.0.0.1; `receiver serve` named none of its
    server limits' defaults."""
    silent = [
        f"{name} {'/'.join(action.option_strings)}"
        for name, parser in commands(build_parser(), "g2a-harness")
        for action in parser._actions
        if action.option_strings and not isinstance(action, argparse._HelpAction)
        if action.default not in (None, False, [], argparse.SUPPRESS)
        if "default" not in str(action.help)
        and f"({_shown(action.default)})" not in str(action.help)
    ]
    assert silent == []


def _shown(default: object) -> str:
    return f"{default:g}" if isinstance(default, float) else str(default)
