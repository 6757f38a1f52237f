"""The handoff checklist as data, and how test outcomes turn into per-item verdicts.

Items live in `checklist.toml`. An item is proven by *selectors*: `tag:NAME` (a pytest-bdd
tag, i.e. a pytest marker), `node:PREFIX` (a pytest node id prefix), `prometheus:NAME` (a proof
`g2a-harness run` asks of a Prometheus server, e.g. `dashboards`) or `gate:NAME` (proven by
`g2a-harness gate`, never by `run`). The mapping is data: adding evidence means tagging a
scenario, not editing code.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Literal

Status = Literal["passed", "failed", "skipped", "not run"]
Outcome = Literal["passed", "failed", "skipped", "not run"]  # not run: the run stopped first
_SELECTOR_KINDS = ("tag", "node", "prometheus", "gate")
OUTSIDE_SELECTION = "not run: outside the selection"  # how such an item's evidence begins


class ChecklistError(ValueError):
    """The checklist file breaks its own schema."""


@dataclass(frozen=True)
class ChecklistItem:
    id: str
    area: str
    text: str
    selectors: tuple[str, ...]
    targets: tuple[str, ...] | None = None  # None = any target may prove it
    hosts: tuple[str, ...] | None = None  # None = any host of those targets may prove it

    def tags(self) -> list[str]:
        return [s.split(":", 1)[1] for s in self.selectors if s.startswith("tag:")]

    def nodes(self) -> list[str]:
        return [s.split(":", 1)[1] for s in self.selectors if s.startswith("node:")]

    def prometheus_proofs(self) -> list[str]:
        return [s.split(":", 1)[1] for s in self.selectors if s.startswith("prometheus:")]

    def gates(self) -> list[str]:
        return [s.split(":", 1)[1] for s in self.selectors if s.startswith("gate:")]


@dataclass(frozen=True)
class RunResult:
    """One executed (or skipped) test as the run saw it."""

    nodeid: str
    name: str
    outcome: Outcome
    markers: frozenset[str]
    message: str = ""
    step: str = ""  # the failing Gherkin step, when one failed
    feature: str = ""  # a scenario's feature, whose name `name` starts with
    where: str = ""  # a scenario's `file:line`


@dataclass(frozen=True)
class ItemVerdict:
    item: ChecklistItem
    status: Status
    evidence: tuple[str, ...]


def _item_from(raw: dict[str, Any]) -> ChecklistItem:
    try:
        selectors = tuple(str(s) for s in raw["selectors"])
        item = ChecklistItem(
            id=str(raw["id"]),
            area=str(raw["area"]),
            text=str(raw["text"]),
            selectors=selectors,
            targets=tuple(raw["targets"]) if "targets" in raw else None,
            hosts=tuple(raw["hosts"]) if "hosts" in raw else None,
        )
    except KeyError as exc:
        raise ChecklistError(f"checklist item {raw.get('id', '?')} lacks {exc.args[0]}") from None
    for selector in selectors:
        kind, sep, value = selector.partition(":")
        if kind not in _SELECTOR_KINDS or not sep or not value:
            raise ChecklistError(f"checklist item {item.id}: bad selector {selector!r}")
    if not selectors:
        raise ChecklistError(f"checklist item {item.id} has no selector")
    return item


def load_checklist(path: Path | None = None) -> list[ChecklistItem]:
    """The items of `harness/checklist.toml` (or of `path`), in file order, ids unique."""
    text = (
        path.read_text(encoding="utf-8")
        if path is not None
        else resources.files("harness").joinpath("checklist.toml").read_text(encoding="utf-8")
    )
    items = [_item_from(raw) for raw in tomllib.loads(text).get("item", [])]
    seen: set[str] = set()
    for item in items:
        if item.id in seen:
            raise ChecklistError(f"duplicate checklist item id {item.id}")
        seen.add(item.id)
    return items


def checklist_tags(items: Iterable[ChecklistItem] | None = None) -> list[str]:
    """Every `tag:` selector that names a checklist evidence tag (`chk-…`), sorted."""
    source = load_checklist() if items is None else items
    return sorted({t for item in source for t in item.tags() if t.startswith("chk-")})


def _matches(item: ChecklistItem, result: RunResult) -> bool:
    if any(tag in result.markers for tag in item.tags()):
        return True
    if any(result.nodeid.startswith(prefix) for prefix in item.nodes()):
        return True
    node = result.nodeid.split("::", 1)[0]
    return any(node == f"prometheus:{name}" for name in item.prometheus_proofs())


def _label(result: RunResult) -> str:
    return f"{result.name} [{result.nodeid}]" if result.name != result.nodeid else result.nodeid


def _outside_scope(item: ChecklistItem, target: str, host: str | None) -> tuple[str, str] | None:
    """Why this run cannot prove `item` (its note, and where its tests ran), or None."""
    if item.targets is not None and target not in item.targets:
        wanted = "|".join(item.targets)
        return f"skipped: needs --target {wanted} (this run: {target})", f"on {target}"
    if item.hosts is not None and host not in item.hosts:
        return f"skipped: proven only against {'|'.join(item.hosts)} (this run: {host})", "there"
    return None


def proven_elsewhere(verdict: ItemVerdict, target: str, host: str | None) -> str | None:
    """Who proves an item a run on `target` (calling `host`) skipped because no such run can:
    `g2a-harness gate` for a gate item, a run on its targets (against its hosts) for one they
    limit; None for any other verdict."""
    item = verdict.item
    if verdict.status != "skipped":
        return None
    if item.gates():
        return "g2a-harness gate"
    if _outside_scope(item, target, host) is None:
        return None
    against = f" against {'|'.join(item.hosts)}" if item.hosts else ""
    return f"a run on {'|'.join(item.targets or (target,))}{against}"


def judge(
    item: ChecklistItem,
    results: Sequence[RunResult],
    target: str,
    selection: str = "",
    host: str | None = None,
    stopped: str = "",
) -> ItemVerdict:
    """Passed when some evidence passed and none failed or was cut off; failed on any failing
    evidence.

    Under a selection (`--tags`, `-k`, smoke) an item none of whose evidence ran is "not run",
    and so is one with evidence the run stopped before (`--max-time`), even beside evidence
    that passed: what was not reached might have failed.
    `host` is the host the run called (for items limited to some `hosts`). `stopped` says why
    the run stopped where none of its items can be outside its selection (the full suite, or a
    run stopped before it knew its tests): an item without evidence is not run.
    """
    matching = [r for r in results if _matches(item, r)]
    failed = [r for r in matching if r.outcome == "failed"]
    passed = [r for r in matching if r.outcome == "passed"]
    if failed:
        evidence = [f"FAILED {_label(r)}" + (f": {r.message}" if r.message else "") for r in failed]
        evidence += [f"passed {_label(r)}" for r in passed]
        return ItemVerdict(item, "failed", tuple(evidence))
    outside = _outside_scope(item, target, host)
    if outside is not None:
        note, where = outside
        if passed:
            note += f"; {len(passed)} matching test(s) passed {where}"
        return ItemVerdict(item, "skipped", (note, *(f"passed {_label(r)}" for r in passed)))
    shown_passed = tuple(f"passed {_label(r)}" for r in passed)
    unreached = [f"not run {_label(r)}: {r.message}" for r in matching if r.outcome == "not run"]
    if unreached:  # the run stopped (--max-time) before this item's evidence finished
        return ItemVerdict(item, "not run", (*shown_passed, *unreached))
    if passed:
        return ItemVerdict(item, "passed", shown_passed)
    notes = [f"skipped: proven by g2a-harness gate ({gate})" for gate in item.gates()]
    skipped = [r for r in matching if r.outcome == "skipped"]
    notes += [f"skipped {_label(r)}" + (f": {r.message}" if r.message else "") for r in skipped]
    if not notes and stopped:
        return ItemVerdict(item, "not run", (f"not run: {stopped}",))
    if not notes and selection:
        return ItemVerdict(item, "not run", (f"{OUTSIDE_SELECTION} {selection}",))
    if not notes:
        notes = [f"skipped: no evidence ran ({', '.join(item.selectors)})"]
    return ItemVerdict(item, "skipped", tuple(notes))


def judge_all(
    items: Sequence[ChecklistItem],
    results: Sequence[RunResult],
    target: str,
    selection: str = "",
    host: str | None = None,
    stopped: str = "",
) -> list[ItemVerdict]:
    return [judge(item, results, target, selection, host, stopped) for item in items]
