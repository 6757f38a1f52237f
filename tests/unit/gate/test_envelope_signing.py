"""The evidence HMAC: canonical JSON, `hmac.new` over it, `hmac.compare_digest` to check."""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path

import pytest
from gate_support import checklist_report

from harness.envelope import (
    canonical,
    ci_run_id,
    evidence_key,
    git_state,
    host_of,
    read_checkout,
    signature_status,
    signed,
    write_json,
)

KEY = {"G2A_EVIDENCE_KEY": "ci-secret-key"}


def test_the_signature_is_hmac_sha256_over_canonical_json_without_itself() -> None:
    report = signed({"b": 1, "a": {"é": [1, 2]}}, KEY)
    assert canonical(report) == '{"a":{"é":[1,2]},"b":1}'.encode()
    expected = hmac.new(b"ci-secret-key", canonical(report), hashlib.sha256).hexdigest()
    assert report["signature"] == {"alg": "hmac-sha256", "value": expected}
    assert signature_status(report, b"ci-secret-key") == "valid"


def test_key_order_and_whitespace_do_not_matter_any_edit_does() -> None:
    report = signed(checklist_report(), KEY)
    reordered = json.loads(json.dumps(report, indent=4, sort_keys=True))
    assert signature_status(reordered, b"ci-secret-key") == "valid"
    relabelled = json.loads(json.dumps(report).replace('"twin"', '"sandbox"'))
    assert signature_status(relabelled, b"ci-secret-key") == "invalid"
    assert signature_status(report, b"another-key") == "invalid"


@pytest.mark.parametrize(
    ("signature", "status"),
    [
        (None, "missing"),
        ("abc", "missing"),
        ({"alg": "hmac-md5", "value": "00"}, "invalid"),
        ({"alg": "hmac-sha256", "value": "00"}, "invalid"),
    ],
)
def test_missing_or_malformed_signatures(signature: object, status: str) -> None:
    report = {"kind": "load", **({"signature": signature} if signature is not None else {})}
    assert signature_status(report, b"k") == status


def test_without_a_key_nothing_is_signed_or_checked(tmp_path: Path) -> None:
    assert evidence_key({}) is None
    assert evidence_key({"G2A_EVIDENCE_KEY": ""}) is None
    assert "signature" not in signed({"kind": "x", "signature": {"value": "old"}}, {})
    assert signature_status({"kind": "x"}, None) == "unsigned"
    path = write_json(tmp_path / "deep" / "r.json", {"kind": "x"}, {})
    assert json.loads(path.read_text()) == {"kind": "x"}
    signed_path = write_json(tmp_path / "s.json", {"kind": "x"}, KEY)
    assert signature_status(json.loads(signed_path.read_text()), b"ci-secret-key") == "valid"


def test_ci_run_ids_and_hosts() -> None:
    assert ci_run_id({"GITHUB_RUN_ID": "77", "CI_PIPELINE_ID": "5"}) == "GITHUB_RUN_ID=77"
    assert ci_run_id({"CI_PIPELINE_ID": "5"}) == "CI_PIPELINE_ID=5"
    assert ci_run_id({}) is None
    assert host_of("https://sandboxapi.g2a.com/v1") == "sandboxapi.g2a.com"
    assert host_of(None) is None


@pytest.mark.parametrize("flag", ["--assume-unchanged", "--skip-worktree"])
def test_a_change_hidden_from_git_status_is_still_dirty(tmp_path: Path, flag: str) -> None:
    """`git update-index --assume-unchanged/--skip-worktree` hide an edit from `git status`;
    `git ls-files -v` still tags such files (lower case, `S`)."""
    from gate_support import commit, git

    git(tmp_path, "init", "-q", "-b", "main")
    commit(tmp_path, {"tox.ini": "[tox]\n", "app/main.py": "x = 1\n"}, "init")
    assert git_state(tmp_path)[1] is False
    git(tmp_path / "app", "update-index", flag, "main.py")  # from a subfolder too
    (tmp_path / "app" / "main.py").write_text("x = 2\n")
    assert git(tmp_path, "status", "--porcelain") == ""
    assert git_state(tmp_path) == (git(tmp_path, "rev-parse", "HEAD"), True)
    assert git_state(tmp_path / "app")[1] is True


def test_a_run_whose_checkout_changed_under_it_is_recorded_dirty(tmp_path: Path) -> None:
    """Found by review: a change present when a run started and reverted before it ended was
    recorded clean (the state was read at the end only), and the gate took the run."""
    from datetime import UTC, datetime

    from gate_support import commit, git

    from harness.envelope import RunStart, capture

    git(tmp_path, "init", "-q", "-b", "main")
    commit(tmp_path, {"tox.ini": "[tox]\n", "app/main.py": "x = 1\n"}, "init")
    clean = git_state(tmp_path)
    (tmp_path / "app" / "main.py").write_text("x = 2\n")
    dirty_at_start = git_state(tmp_path)
    git(tmp_path, "checkout", "--", "app/main.py")

    def recorded(checkout: tuple[str | None, bool]) -> tuple[object, object]:
        start = RunStart(datetime.now(UTC), checkout)
        report = capture(target="twin", base_url=None, suite="smoke", start=start, repo=tmp_path)
        return report["commit"], report["dirty"]

    assert recorded(clean) == (clean[0], False)
    assert recorded(dirty_at_start) == (clean[0], True)
    assert recorded(("0" * 40, False)) == (clean[0], True)  # HEAD moved during the run


def test_a_run_start_is_its_time_and_checkout_and_the_envelope_is_unchanged(
    tmp_path: Path,
) -> None:
    """Every producer passes `capture` one `RunStart` (time and checkout); the envelope it
    writes keeps its fields, in their order."""
    from datetime import UTC, datetime

    from gate_support import commit, git

    from harness.envelope import RunStart, capture, utc_stamp

    git(tmp_path, "init", "-q", "-b", "main")
    commit(tmp_path, {"app.py": "x = 1\n"}, "init")
    before = datetime.now(UTC)
    start = RunStart.now(tmp_path)
    assert before <= start.at <= datetime.now(UTC)
    assert start.checkout == git_state(tmp_path)

    url = "http://127.0.0.1:8765"
    report = capture(target="twin", base_url=url, suite="full", start=start, repo=tmp_path)
    assert list(report) == [
        "commit", "dirty", "target", "base_url", "host", "suite", "started_at", "finished_at",
        "tools", "ci_run_id",
    ]  # fmt: skip
    assert (report["commit"], report["dirty"]) == (start.checkout[0], False)
    assert (report["host"], report["started_at"]) == ("127.0.0.1", utc_stamp(start.at))


def test_the_checkout_line_reads_back(capsys: pytest.CaptureFixture[str]) -> None:
    """`.ci/run` passes CI's record the line `python -m harness.envelope` printed at its start."""
    from harness.envelope import main

    main()
    assert read_checkout(capsys.readouterr().out) == git_state()


@pytest.mark.parametrize("line", ["", "[]", '{"commit": null}', '{"commit": 1, "dirty": false}'])
def test_another_line_is_no_checkout(line: str) -> None:
    with pytest.raises(ValueError, match="not a checkout line"):
        read_checkout(line)
