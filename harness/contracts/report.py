"""`reports/contracts.json`: the evidence of `contracts verify` and `contracts drift`.

Both commands update the same file, each its own part, so the gate reads one document:
`{"kind": "contracts", "generated_at", "target", "passed", "pacts_verified", "provider_url",
"verification": {...}, "drift_checked", "drift": [...], "drift_sources": {...},
"parts": {"verify": envelope, "drift": envelope}}`: each part keeps the envelope of the run that
wrote it (`harness/envelope.py`), so the gate binds both to a commit and a time.
`passed` holds only when the pacts were verified and a drift check ran and found nothing.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from harness import envelope

REPORT_NAME = "contracts.json"
PARTS = ("verify", "drift")


def update_report(
    report_dir: Path, part: str, part_envelope: dict[str, Any], **fields: Any
) -> dict[str, Any]:
    """Merge one part's `fields` and envelope into the report of `report_dir`, recompute
    `passed`, write it back (signed when the evidence key is set)."""
    path = report_dir / REPORT_NAME
    report: dict[str, Any] = {
        "kind": "contracts",
        "target": "twin",
        "pacts_verified": False,
        "provider_url": None,
        "drift_checked": False,
        "drift": [],
    }
    if path.is_file():
        try:
            previous = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError:
            previous = {}
        if isinstance(previous, dict) and previous.get("kind") == "contracts":
            report.update(previous)
    report.update(fields)
    report["parts"] = {**report.get("parts", {}), part: part_envelope}
    report["generated_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    report["passed"] = bool(
        report["pacts_verified"] and report["drift_checked"] and not report["drift"]
    )
    envelope.write_json(path, report)
    return report
