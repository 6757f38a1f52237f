"""`python -m harness.ci_record reports/ci --started-at T --checkout-at-start LINE`: the CI
record the gate reads.

`.ci/run` calls it after tox (the exit trap of `.ci/evidence`): `reports/ci/ci.json` gets an
evidence envelope (commit, dirty flag, CI run id, times, tool versions) and the sha256 of tox's
`--result-json` and of every junit file beside it, signed when `G2A_EVIDENCE_KEY` is set. The
checkout is read at CI's start too (the line `python -m harness.envelope` printed then): dirty
then, or on another commit, is recorded dirty though put back before tox ended. The gate then
reads those files' content: which layers ran and passed, on which commit, and how many tests
ran or skipped.
"""

from __future__ import annotations

import argparse
import hashlib
import json
from datetime import datetime
from pathlib import Path
from typing import Any

from harness import envelope
from harness.gate.toxresult import TOX_RESULT

RECORD = "ci.json"


def build_record(folder: Path, start: envelope.RunStart, tox_exit_code: int) -> dict[str, Any]:
    names = [TOX_RESULT, *sorted(p.name for p in folder.glob("*.xml"))]
    files = {
        name: hashlib.sha256((folder / name).read_bytes()).hexdigest()
        for name in names
        if (folder / name).is_file()
    }
    tox_version = _tox_version(folder / TOX_RESULT)
    return {
        "kind": "ci",
        "tox_exit_code": tox_exit_code,
        "files": files,
        "envelope": envelope.capture(
            target="ci",
            base_url=None,
            suite="tox",
            start=start,
            tools={"tox": tox_version} if tox_version else None,
        ),
    }


def _tox_version(path: Path) -> str | None:
    try:
        version = json.loads(path.read_text(encoding="utf-8")).get("toxversion")
    except (OSError, ValueError, AttributeError):
        return None
    return str(version) if version else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m harness.ci_record", description=__doc__)
    parser.add_argument("folder", type=Path, help="where tox wrote tox.json and the junit files")
    parser.add_argument("--started-at", required=True, type=datetime.fromisoformat)
    parser.add_argument("--tox-exit-code", required=True, type=int)
    parser.add_argument(
        "--checkout-at-start",
        required=True,
        type=envelope.read_checkout,
        metavar="LINE",
        help="what `python -m harness.envelope` printed when CI started",
    )
    args = parser.parse_args(argv)
    start = envelope.RunStart(args.started_at, args.checkout_at_start)
    record = build_record(args.folder, start, args.tox_exit_code)
    path = envelope.write_json(args.folder / RECORD, record)
    print(
        f"CI record: {path} ({len(record['files'])} files, commit {record['envelope']['commit']})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
