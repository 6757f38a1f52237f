"""tox's side of the CI evidence: the layers' commands in `tox.ini`, the runs in `--result-json`.

Pure functions over text and parsed JSON; `sources.py` reads the files.
"""

from __future__ import annotations

import configparser
import json
import re
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

# Every layer the handoff names: "lint, build and every test layer are green" (checklist item
# handoff-green): tox.ini's env_list.
LAYERS: tuple[str, ...] = (
    "lint",
    "type",
    "build",
    "unit",
    "integration",
    "bdd",
    "contract",
    "load",
)
# The layers that run tests: each must run pytest writing its junit file, whatever tox.ini says.
TESTED_LAYERS: tuple[str, ...] = ("build", "unit", "integration", "bdd", "contract", "load")
JUNIT_OPTION = "--junitxml"  # with its file: `--junitxml=X` or `--junitxml X`
# The least each layer must run, whatever tox.ini at HEAD declares (it may be edited to run
# nothing): a program and the arguments it needs among its own.
REQUIRED_COMMANDS: dict[str, tuple[tuple[str, ...], ...]] = {
    "lint": (("ruff", "check"), ("ruff", "format", "--check")),
    "type": (("mypy",),),
    **dict.fromkeys(TESTED_LAYERS, (("pytest", JUNIT_OPTION),)),
}
TOX_RESULT = "tox.json"  # tox --result-json, next to the CI record
POSARGS = "{posargs}"
_COMMAND_RUN_ID = re.compile(r"commands\[\d+\]")
STAMP_RUN_ID = "commands_pre[0]"  # `python -m harness.envelope`: the commit the layer ran on
_SUBSTITUTION = re.compile(r"\{[^{}]*\}")

Command = tuple[str, ...]


class ToxIniError(ValueError):
    """tox.ini does not define a layer's commands."""


def layer_commands(tox_ini: str, layers: Sequence[str] = LAYERS) -> dict[str, tuple[Command, ...]]:
    """The commands each layer runs, as tox.ini declares them, `{posargs}` left out.

    A layer without its own `commands` inherits `[testenv]`'s (tox's rule).
    """
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(tox_ini)
    except configparser.Error as exc:
        raise ToxIniError(f"tox.ini does not parse ({type(exc).__name__})") from None
    commands: dict[str, tuple[Command, ...]] = {}
    for layer in layers:
        for section in (f"testenv:{layer}", "testenv"):
            if parser.has_option(section, "commands"):
                commands[layer] = _commands(layer, parser.get(section, "commands"))
                break
        else:
            raise ToxIniError(f"tox.ini declares no commands for the {layer} layer")
    return commands


def _commands(layer: str, value: str) -> tuple[Command, ...]:
    lines = (line.strip() for line in value.splitlines())
    try:
        return tuple(
            tuple(token for token in shlex.split(line) if token != POSARGS)
            for line in lines
            if line and not line.startswith("#")
        )
    except ValueError as exc:  # an unclosed quote, a trailing escape
        raise ToxIniError(f"tox.ini: the {layer} layer's commands do not parse ({exc})") from None


def _token_matches(expected: str, actual: str) -> bool:
    """Literal, except a tox substitution (`{toxinidir}`, `{env:X}`) stands for anything."""
    pattern = ".*".join(re.escape(part) for part in _SUBSTITUTION.split(expected))
    return re.fullmatch(pattern, actual, flags=re.DOTALL) is not None


def command_matches(expected: Command, actual: Sequence[str]) -> bool:
    """tox records the program with its absolute path in the env: compare its name."""
    if len(expected) != len(actual) or not expected:
        return False
    if PurePath(actual[0]).name != PurePath(expected[0]).name:
        return False
    return all(_token_matches(e, a) for e, a in zip(expected[1:], actual[1:], strict=True))


@dataclass(frozen=True)
class LayerRun:
    """One tox env of the result file, as far as the gate cares."""

    name: str
    success: bool
    skipped: bool
    exit_code: object
    commands: tuple[tuple[tuple[str, ...], object], ...]  # (argv, retcode) of `commands[i]`
    stamp: Mapping[str, Any] | None = None  # {"commit", "dirty", "ci_run_id"} tox recorded

    def failed_commands(self) -> list[str]:
        return [shlex.join(argv) for argv, code in self.commands if code != 0]


def _argv(command: object) -> tuple[str, ...]:
    if not isinstance(command, list):
        raise ValueError(f"not a tox --result-json document (a command that is {command!r})")
    return tuple(str(arg) for arg in command)


def layer_runs(result: Mapping[str, Any]) -> dict[str, LayerRun]:
    """The envs a tox `--result-json` document (`{"testenvs": {name: {...}}}`) ran.

    Raises ValueError when the document is not a tox result.
    """
    envs = result.get("testenvs")
    if "toxversion" not in result or not isinstance(envs, Mapping):
        raise ValueError("not a tox --result-json document (no toxversion / testenvs)")
    runs: dict[str, LayerRun] = {}
    for name, env in envs.items():
        outcome = env.get("result") if isinstance(env, Mapping) else None
        if not isinstance(outcome, Mapping):
            continue  # listed but not run in this session (`tox -e` of other envs)
        raw_tests = env.get("test")
        tests: list[Any] = raw_tests if isinstance(raw_tests, list) else []
        commands = tuple(
            (_argv(entry.get("command", [])), entry.get("retcode"))
            for entry in tests
            if isinstance(entry, Mapping) and _COMMAND_RUN_ID.fullmatch(str(entry.get("run_id")))
        )
        runs[str(name)] = LayerRun(
            str(name),
            success=outcome.get("success") is True,
            skipped=outcome.get("skipped") is True,
            exit_code=outcome.get("exit_code"),
            commands=commands,
            stamp=_stamp(tests),
        )
    return runs


def _stamp(tests: list[Any]) -> Mapping[str, Any] | None:
    """The JSON line `python -m harness.envelope` printed first in the layer, if it did."""
    for entry in tests:
        if isinstance(entry, Mapping) and entry.get("run_id") == STAMP_RUN_ID:
            for line in reversed(str(entry.get("output", "")).splitlines()):
                try:
                    stamp = json.loads(line)
                except ValueError:
                    continue
                if isinstance(stamp, Mapping) and "commit" in stamp:
                    return stamp
    return None


def _given(argv: Sequence[str], needed: str) -> bool:
    """Whether `argv` holds the argument (an option also as `--opt=X`)."""
    return any(arg == needed or arg.startswith(f"{needed}=") for arg in argv)


def _runs(required: tuple[str, ...], argvs: tuple[Command, ...]) -> bool:
    program, *needed = required
    return any(
        argv and PurePath(argv[0]).name == program and all(_given(argv[1:], n) for n in needed)
        for argv in argvs
    )


def missing_commands(layer: str, argvs: tuple[Command, ...]) -> list[str]:
    """What tox.ini at HEAD leaves out of the least the layer must run (`REQUIRED_COMMANDS`)."""
    return [
        f"{layer}: tox.ini at HEAD does not run `{' '.join(required)}`"
        for required in REQUIRED_COMMANDS.get(layer, ())
        if not _runs(required, argvs)
    ]


def command_mismatch(run: LayerRun, expected: tuple[Command, ...]) -> str | None:
    """Why the layer did not run exactly tox.ini's commands (narrowed by posargs, edited), or
    None."""
    ran = [argv for argv, _ in run.commands]
    if len(ran) == len(expected) and all(
        command_matches(e, a) for e, a in zip(expected, ran, strict=True)
    ):
        return None
    shown_ran = "; ".join(shlex.join((PurePath(a[0]).name, *a[1:])) for a in ran if a) or "nothing"
    shown_expected = "; ".join(shlex.join(e) for e in expected)
    return f"{run.name} ran `{shown_ran}`, tox.ini at HEAD says `{shown_expected}`"
