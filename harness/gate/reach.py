"""Which checklist items a sandbox run can prove, from the target tags of the scenarios.

A scenario runs on the targets its tags name (`@twin @sandbox @live`; none: the twin only,
`harness.targets.allowed_on`, as the bdd plugin deselects them). An item proven only through
`tag:` selectors, none of whose scenarios may run on the sandbox (they need the twin's admin
surface or its faults), is *twin-only*: a sandbox gate takes it from the full twin run of the
same commit. Every other item (a `node:` or `prometheus:` proof, a tag some sandbox scenario
carries) must pass on the sandbox run itself. Pure: takes the feature files' bytes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from g2a_adapter.wire import SANDBOX_HOST
from harness.checklist import ChecklistItem
from harness.gate.floors import scenario_tags
from harness.targets import allowed_on

SANDBOX = "sandbox"


def sandbox_tags(features: Mapping[str, bytes]) -> frozenset[str]:
    """Every tag of a scenario the sandbox target runs. Raises FloorError (a file that does
    not parse)."""
    found: set[str] = set()
    for name in sorted(features):
        for tags in scenario_tags(features[name], name):
            if allowed_on(SANDBOX, tags)[0]:
                found |= tags
    return frozenset(found)


def _sandbox_can_prove(item: ChecklistItem, on_sandbox: frozenset[str]) -> bool:
    if item.targets is not None and SANDBOX not in item.targets:
        return False
    if item.hosts is not None and SANDBOX_HOST not in item.hosts:
        return False
    others = [s for s in item.selectors if not s.startswith("tag:")]
    return bool(others) or any(tag in on_sandbox for tag in item.tags())


def twin_only(items: Iterable[ChecklistItem], features: Mapping[str, bytes]) -> frozenset[str]:
    """The ids of the items (not decided by the gate) no sandbox run can prove."""
    on_sandbox = sandbox_tags(features)
    return frozenset(
        item.id for item in items if not item.gates() and not _sandbox_can_prove(item, on_sandbox)
    )
