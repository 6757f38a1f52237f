"""Steps that change G2A's state: they never run on live.

Live is a read-only smoke (no order, no payment, no key handed over, no purchase), so a step
that writes is marked `@writes` under its pytest-bdd decorator and runs on WRITE_TARGETS only.
`g2a-harness steps --check`, `g2a-harness run` (before pytest starts) and the run itself
(before a scenario's first step) refuse a scenario whose target does not allow one of its steps.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, TypeVar

from harness.targets import TARGETS

WRITE_TARGETS: tuple[str, ...] = ("twin", "sandbox")
_TARGETS_ATTRIBUTE = "g2a_targets"

Step = TypeVar("Step", bound=Callable[..., Any])


def writes(func: Step) -> Step:
    """Mark a step that changes G2A's state: it runs on the twin and the sandbox only."""
    setattr(func, _TARGETS_ATTRIBUTE, WRITE_TARGETS)
    return func


def step_targets(func: Any) -> tuple[str, ...]:
    """The targets a step may run on: its module's `TARGETS` (default: every target), less
    live for a step that writes."""
    module_targets = tuple(getattr(inspect.getmodule(func), "TARGETS", TARGETS))
    own = getattr(func, _TARGETS_ATTRIBUTE, TARGETS)
    return tuple(t for t in module_targets if t in own)
