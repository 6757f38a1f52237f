"""`reports/contracts.json`: the evidence of `contracts verify` and `contracts drift`.

Both commands update the same file, each its own part, so the gate reads one document:
`{"kind": "contracts", "generated_at", "target", "passed", "pacts_verified", "provider_url",
"verification": {...}, "drift_checked", "drift": [...], "drift_sources": {...},
"parts": {"verify": envelope, "drift": envelope},
"sources": {"verify": {"pacts": folder}, "drift": {"openapi": folder, "pacts": folder,
"cassettes": folder}}}`: each part keeps the envelope of the run that wrote it
(`harness/envelope.py`), so the gate binds both to a commit and a time, and the folders it read
(`{"dir", "files", "sha256"}`, see `folder_record`), so the gate can tell the repository's
committed contracts from another (smaller) set.
`passed` holds only when the pacts were verified and a drift check ran and found nothing.

With the evidence key set, a file on disk whose signature is not valid (edited by hand, signed
with another key, unsigned) is not merged: the report starts afresh, so an edit is never signed
by the next command.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from harness import envelope
from harness.cassettes import CASSETTE_DIR
from harness.contracts.sources import OPENAPI_DIR, PACT_DIR

REPORT_NAME = "contracts.json"
PARTS = ("verify", "drift")
# The repository's contract folders (relative to its root) and the part(s) that read each.
COMMITTED_FOLDERS: Mapping[str, Path] = {
    "openapi": OPENAPI_DIR,
    "pacts": PACT_DIR,
    "cassettes": CASSETTE_DIR,
}
PART_SOURCES: Mapping[str, tuple[str, ...]] = {
    "verify": ("pacts",),
    "drift": ("openapi", "pacts", "cassettes"),
}


def folder_digest(files: Iterable[tuple[str, bytes]]) -> str:
    """sha256 over (path relative to the folder, sha256 of the bytes) of every file, sorted:
    the same for a folder on disk and for the same folder in a commit."""
    lines = sorted(f"{hashlib.sha256(data).hexdigest()}  {name}\n" for name, data in files)
    return hashlib.sha256("".join(lines).encode("utf-8")).hexdigest()


def folder_files(folder: Path) -> list[tuple[str, bytes]]:
    """Every file under `folder` (recursively), as (relative POSIX path, bytes)."""
    if not folder.is_dir():
        return []
    return [
        (path.relative_to(folder).as_posix(), path.read_bytes())
        for path in folder.rglob("*")
        if path.is_file()
    ]


def folder_record(folder: Path) -> dict[str, Any]:
    """What a part records of a folder it read: where, how many files, their digest."""
    files = folder_files(folder)
    return {"dir": str(folder), "files": len(files), "sha256": folder_digest(files)}


def _previous(path: Path, key: bytes | None) -> dict[str, Any]:
    """The report on disk to merge into; empty when there is none, it cannot be read, or
    (with the evidence key) its signature is not valid."""
    if not path.is_file():
        return {}
    try:
        previous = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        return {}
    if not isinstance(previous, dict) or previous.get("kind") != "contracts":
        return {}
    status = envelope.signature_status(previous, key)
    if status in ("missing", "invalid"):
        print(
            f"{path}: signature {status}; its earlier parts are dropped (run both "
            "`contracts verify` and `contracts drift` again)",
            file=sys.stderr,
        )
        return {}
    return previous


def update_report(
    report_dir: Path,
    part: str,
    part_envelope: dict[str, Any],
    *,
    sources: Mapping[str, Any] | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """Merge one part's `fields`, envelope and source folders (`folder_record` of each folder
    it read; none recorded is what the gate refuses) into the report of `report_dir`, recompute
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
    report.update(_previous(path, envelope.evidence_key(os.environ)))
    report.update(fields)
    report["parts"] = {**report.get("parts", {}), part: part_envelope}
    report["sources"] = {**report.get("sources", {}), part: dict(sources or {})}
    report["generated_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    report["passed"] = bool(
        report["pacts_verified"] and report["drift_checked"] and not report["drift"]
    )
    envelope.write_json(path, report)
    return report
