"""The specs list the gate's checks as the gate runs them (`CHECKS`, in order): plan.md's picture,
data-model.md §6's `gate.json` ids and backend-audit.md's table of what each check reads; and
data-model.md §5 the metrics its `metrics` check requires, plan.md the layers its `ci` check
requires."""

from __future__ import annotations

import re
from pathlib import Path

from harness.gate.checks import CHECKS
from harness.gate.checks.observability import DASHBOARD_METRICS
from harness.gate.toxresult import LAYERS

SPECS = Path(__file__).resolve().parents[3] / "specs/011-g2a-integration-audit"
CHECK_IDS = [check_id for check_id, _ in CHECKS]


def spec(name: str) -> str:
    return (SPECS / name).read_text(encoding="utf-8")


def test_the_plan_s_picture_shows_every_check() -> None:
    picture = spec("plan.md").split("checks/ (pure)", 1)[1].split("render.py", 1)[0]
    assert re.findall(r"[a-z][\w-]*", picture.split("▼", 1)[1]) == CHECK_IDS


def test_the_data_model_lists_every_check_id_of_gate_json() -> None:
    listed = re.search(r"\(ids `([^`]+)`\)", spec("data-model.md"))
    assert listed is not None
    assert listed.group(1).split(", ") == CHECK_IDS


def test_the_audit_has_a_row_for_every_check() -> None:
    section = spec("backend-audit.md").split("## Gate evidence", 1)[1].split("\n## ", 1)[0]
    header, *rows = re.findall(r"^\| ([\w-]+) \|", section, re.MULTILINE)
    assert (header, rows) == ("check", CHECK_IDS)


def test_the_data_model_lists_every_metric_the_gate_requires_with_its_type() -> None:
    section = spec("data-model.md").split("## 5. Metrics", 1)[1].split("\n## ", 1)[0]
    rows = dict(re.findall(r"^\| `(g2a_\w+)` \| (\w+)", section, re.MULTILINE))
    assert rows == DASHBOARD_METRICS


def test_the_plan_s_layers_table_lists_every_layer_the_ci_check_requires() -> None:
    section = spec("plan.md").split("## Layers and commands", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| ([\w-]+) \| `tox -e \1`", section, re.MULTILINE)
    assert tuple(rows) == LAYERS
