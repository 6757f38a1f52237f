"""The commands `--run-missing` runs: one `Step` per piece of evidence, its `StepOutcome`."""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from typing import Any

from harness.cassettes import redacted_url


@dataclass(frozen=True)
class Step:
    """One command that (re)writes a piece of evidence."""

    evidence: str  # the report it writes, e.g. "contracts"
    target: str  # what the command talks to: "twin" (embedded) or "sandbox"
    args: tuple[str, ...]  # g2a-harness arguments

    @property
    def command(self) -> str:
        """The command as reports show it: a URL argument without its login details."""
        return shlex.join(("g2a-harness", *map(_shown, self.args)))


def _shown(arg: str) -> str:
    """A URL argument (any case of scheme) redacted; `<scrubbed>` when it does not parse."""
    return redacted_url(arg) if arg.lower().startswith(("http://", "https://")) else arg


@dataclass(frozen=True)
class StepOutcome:
    step: Step
    exit_code: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "evidence": self.step.evidence,
            "command": self.step.command,
            "exit_code": self.exit_code,
        }
