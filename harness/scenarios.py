"""Scenario records read from pytest-bdd's `cucumber.json`: what the HTML report shows.

One record per executed scenario: its feature, name (an Outline's with its example id, as
`[12.50]`), tags, status, duration, Gherkin steps with their status and duration, and the
first error line. The run's own results (`results.jsonl`) settle the outcome: a scenario can
fail before any step ran (an unknown step), which cucumber.json does not record; and a
scenario left out for the target, which cucumber.json does not hold either, is a skipped
record with the reason, as one the run stopped before it finished is a not-run record. They
settle the tags too, as the verdict reads them: cucumber.json holds only the feature's and the
scenario's own, not a Rule's or an Examples table's.

A record finds its result by scenario title (`Feature: Scenario [example]`, an Outline's
`<parameters>` filled in on both sides) and test name together: cucumber.json names no test
module, and a test name alone is unique only within one (two modules binding a feature each
may both hold a `test_same_name`, and a contract test may be named like a scenario's test).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from harness.checklist import RunResult
from harness.run_results import DESELECTED

_NS = 1e9


def read_cucumber(path: Path) -> list[dict[str, Any]]:
    """The features of a cucumber.json file; [] when pytest did not write it."""
    if not path.exists():
        return []
    data = json.loads(path.read_text(encoding="utf-8"))
    return data if isinstance(data, list) else []


def first_error_line(text: str) -> str:
    """The first `E   ...` line of a pytest failure text (the assertion's message)."""
    for line in text.splitlines():
        if line.startswith("E "):
            return line[1:].strip()
    stripped = text.strip()
    return stripped.splitlines()[0] if stripped else ""


def _step(raw: dict[str, Any]) -> dict[str, Any]:
    result = raw.get("result", {})
    return {
        "keyword": str(raw.get("keyword", "")).strip(),
        "name": str(raw.get("name", "")),
        "line": raw.get("line"),
        "status": result.get("status", "not run"),
        "duration_s": round(result.get("duration", 0) / _NS, 3),
        "error": first_error_line(result.get("error_message", "")),
    }


def scenario_records(
    features: Iterable[dict[str, Any]], results: Iterable[RunResult] = ()
) -> list[dict[str, Any]]:
    results = list(results)
    return [*_executed(features, results), *_left_out(results)]


def _example_id(element_id: str) -> str:
    """` [12.50]` for an Outline row's test id `test_costs[12.50]`, else ""."""
    _, bracket, example = element_id.partition("[")
    return f" [{example}" if bracket else ""


def _left_out(results: list[RunResult]) -> list[dict[str, Any]]:
    """A skipped record for each scenario deselected for the target, a not-run one for each
    the run stopped before it finished (`--max-time`), with the reason."""
    records = []
    for result in results:
        deselected = result.outcome == "skipped" and result.message.startswith(DESELECTED)
        if not (deselected or result.outcome == "not run"):
            continue
        if result.name == result.nodeid:  # a plain test, not a scenario
            continue
        feature, name = result.feature, result.name.removeprefix(f"{result.feature}: ")
        records.append(
            {
                "feature": feature,
                "uri": "",
                "where": result.where,
                "name": name,
                "line": None,
                "tags": sorted(result.markers),
                "status": result.outcome,
                "duration_s": 0.0,
                "steps": [],
                "failed_step": "",
                "error": "",
                "reason": result.message,
            }
        )
    return records


def _executed(features: Iterable[dict[str, Any]], results: list[RunResult]) -> list[dict[str, Any]]:
    by_scenario = {(r.name, r.nodeid.rsplit("::", 1)[-1]): r for r in results}
    records = []
    for feature in features:
        feature_tags = {t["name"] for t in feature.get("tags", [])}
        for element in feature.get("elements", []):
            steps = [_step(s) for s in element.get("steps", [])]
            failed_steps = [s for s in steps if s["status"] == "failed"]
            name = element.get("name", "") + _example_id(str(element.get("id", "")))
            result = by_scenario.get((f"{feature.get('name', '')}: {name}", element.get("id")))
            failure = result if result is not None and result.outcome == "failed" else None
            tags = feature_tags | {t["name"] for t in element.get("tags", [])}
            statuses = {s["status"] for s in steps}
            status = "skipped" if statuses == {"skipped"} else "passed"
            failed_step = failure.step if failure is not None else ""
            if failed_steps:
                failed_step = f"{failed_steps[0]['keyword']} {failed_steps[0]['name']}"
            if failed_step or failure is not None:
                status = "failed"
            records.append(
                {
                    "feature": feature.get("name", ""),
                    "uri": feature.get("uri", ""),
                    "where": result.where if result is not None else "",
                    "name": name,
                    "line": element.get("line"),
                    "tags": sorted(result.markers if result is not None else tags),
                    "status": status,
                    "duration_s": round(sum(s["duration_s"] for s in steps), 3),
                    "steps": steps,
                    "failed_step": failed_step,
                    "error": _error(failure, failed_steps),
                    "reason": "",
                }
            )
    return records


def _error(failure: RunResult | None, failed_steps: list[dict[str, Any]]) -> str:
    """The run's first error line (expected vs actual), else cucumber's."""
    if failure is not None and failure.message:
        return failure.message
    return failed_steps[0]["error"] if failed_steps else ""
