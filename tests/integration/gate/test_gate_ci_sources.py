"""`read_ci_run`: tox's result file, the commit sidecar, HEAD and tox.ini as committed at HEAD."""

from __future__ import annotations

import json
from pathlib import Path

from gate_support import TOX_LAYER_COMMANDS, git, tox_result

from harness.gate.sources import read_ci_run


def test_ci_run_with_its_commit_and_the_commands_at_head(repo: Path, tmp_path: Path) -> None:
    (repo / "tox.ini").write_text("[tox]\n")  # uncommitted edits do not count: HEAD's file does
    head = git(repo, "rev-parse", "HEAD")
    reports = tmp_path / "ci"
    reports.mkdir()
    (reports / "tox.json").write_text(json.dumps(tox_result()))
    (reports / "tox.commit").write_text(f"{head}\n")

    ci = read_ci_run(reports / "tox.json", "ci/tox.json", repo)

    assert (ci.path, ci.commit_path, ci.commit, ci.head) == (
        "ci/tox.json",
        "ci/tox.commit",
        head,
        head,
    )
    assert ci.layer_commands == TOX_LAYER_COMMANDS
    assert (ci.data, ci.error, ci.commands_error) == (tox_result(), None, None)


def test_nothing_to_read(tmp_path: Path) -> None:
    ci = read_ci_run(tmp_path / "tox.json", "tox.json", tmp_path)
    assert (ci.error, ci.commit, ci.head, ci.layer_commands, ci.commands_error) == (
        "missing",
        None,
        None,
        None,
        "tox.ini is not in the commit at HEAD",
    )


def test_head_without_tox_ini(repo: Path, tmp_path: Path) -> None:
    from gate_support import commit

    commit(repo, {"tox.ini": None}, "drop tox")
    ci = read_ci_run(tmp_path / "tox.json", "tox.json", repo)
    assert ci.head == git(repo, "rev-parse", "HEAD")
    assert (ci.layer_commands, ci.commands_error) == (None, "tox.ini is not in the commit at HEAD")
