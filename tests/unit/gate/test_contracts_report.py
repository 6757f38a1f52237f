"""contracts.json as `contracts verify` and `contracts drift` write it: what the gate reads.

With the evidence key set, a file whose signature is not valid is never merged (the next part
would sign the edit); every part records the folders it read, so the gate can compare them with
the repository's committed contracts.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from gate_support import envelope

from harness.contracts.report import (
    REPORT_NAME,
    folder_digest,
    folder_files,
    folder_record,
    update_report,
)
from harness.envelope import signature_status

KEY = "contracts-report-key"


@pytest.fixture
def signing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("G2A_EVIDENCE_KEY", KEY)


def _failed_verify(report_dir: Path) -> None:
    update_report(
        report_dir,
        "verify",
        envelope(suite="verify"),
        target="twin",
        pacts_verified=False,
        verification={"passed": False},
    )


def _edit(path: Path, **changes: object) -> None:
    data = json.loads(path.read_text())
    path.write_text(json.dumps({**data, **changes}))


@pytest.mark.usefixtures("signing")
def test_an_edited_report_is_not_laundered_by_the_next_part(tmp_path: Path) -> None:
    _failed_verify(tmp_path)
    path = tmp_path / REPORT_NAME
    _edit(path, pacts_verified=True, verification={"passed": True})
    assert signature_status(json.loads(path.read_text()), KEY.encode()) == "invalid"

    report = update_report(tmp_path, "drift", envelope(suite="drift"), drift_checked=True)

    assert (report["pacts_verified"], report["passed"]) == (False, False)
    assert set(report["parts"]) == {"drift"}  # the verify part is gone: run it again
    written = json.loads(path.read_text())
    assert signature_status(written, KEY.encode()) == "valid"
    assert (written["pacts_verified"], "verification" in written) == (False, False)


@pytest.mark.usefixtures("signing")
def test_an_unsigned_report_is_not_merged_when_the_key_is_set(tmp_path: Path) -> None:
    (tmp_path / REPORT_NAME).write_text(
        json.dumps({"kind": "contracts", "pacts_verified": True, "parts": {"verify": {}}})
    )
    report = update_report(tmp_path, "drift", envelope(suite="drift"), drift_checked=True)
    assert (report["pacts_verified"], set(report["parts"])) == (False, {"drift"})


@pytest.mark.usefixtures("signing")
def test_a_validly_signed_report_keeps_its_other_part(tmp_path: Path) -> None:
    update_report(tmp_path, "verify", envelope(suite="verify"), pacts_verified=True)
    report = update_report(tmp_path, "drift", envelope(suite="drift"), drift_checked=True)
    assert (report["pacts_verified"], report["passed"]) == (True, True)
    assert set(report["parts"]) == {"verify", "drift"}


def test_each_part_records_the_folders_it_read(tmp_path: Path) -> None:
    pacts = tmp_path / "pacts"
    (pacts / "sub").mkdir(parents=True)
    (pacts / "a.json").write_text("{}")
    (pacts / "sub" / "b.json").write_text("[]")
    record = folder_record(pacts)
    assert record == {
        "dir": str(pacts),
        "files": 2,
        "sha256": folder_digest([("a.json", b"{}"), ("sub/b.json", b"[]")]),
    }
    report = update_report(tmp_path, "verify", {}, sources={"pacts": record})
    report = update_report(tmp_path, "drift", {}, sources={"openapi": record})
    assert report["sources"] == {"verify": {"pacts": record}, "drift": {"openapi": record}}
    # a part written again without its folders does not keep the old ones
    assert update_report(tmp_path, "verify", {})["sources"]["verify"] == {}


def test_the_digest_is_over_names_and_contents_in_any_order() -> None:
    one = folder_digest([("a.json", b"1"), ("b.json", b"2")])
    assert one == folder_digest([("b.json", b"2"), ("a.json", b"1")])
    assert one != folder_digest([("a.json", b"1")])
    assert one != folder_digest([("a.json", b"1"), ("c.json", b"2")])
    assert folder_files(Path("/nonexistent/folder")) == []
