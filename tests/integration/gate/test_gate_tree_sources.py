"""`tree_sources`: the repository text the gate and the handoff scenario scan."""

from __future__ import annotations

from pathlib import Path, PurePath

import pytest
from gate_support import CONTRACT_FILES, commit, git

from harness.contracts.report import folder_digest, folder_files
from harness.gate.sources import committed_folder, env_files, scan_repository, tree_sources


def test_tracked_text_files_and_optionally_the_new_ones_git_would_track(repo: Path) -> None:
    (repo / ".gitignore").write_text("*.log\n")
    (repo / "new.env").write_text("G2A_WEBHOOK_SECRET=x\n")
    (repo / "debug.log").write_text("ignored\n")
    (repo / "blob.bin").write_bytes(b"\0\1\2")

    tracked = {s.path: s.text for s in tree_sources(repo)}
    with_new = {s.path: s.text for s in tree_sources(repo, untracked=True)}

    assert tracked == {
        ".gitignore": "*.log\n",  # edited: the committed one said reports/
        "README.md": "export G2A_API_KEY=...\n",
        "app.py": "print('hi')\n",
        "tox.ini": (repo / "tox.ini").read_text(),
        **CONTRACT_FILES,
    }
    # binary files are read as text too: a key is text wherever it sits
    assert with_new == tracked | {"new.env": "G2A_WEBHOOK_SECRET=x\n", "blob.bin": "\0\1\2"}
    assert all(s.commit is None for s in tree_sources(repo, untracked=True))


def test_env_files_git_ignores_are_read_outside_ignored_folders(repo: Path) -> None:
    (repo / ".gitignore").write_text(".env\n.env.*\nvenv/\n")
    (repo / ".env").write_text("A=1\n")
    (repo / "deploy").mkdir()
    (repo / "deploy" / ".env.live").write_text("B=2\n")
    (repo / "venv").mkdir()
    (repo / "venv" / ".env").write_text("C=3\n")  # inside an ignored folder: not the service's
    assert {s.path: s.text for s in env_files(repo)} == {
        ".env": "A=1\n",
        "deploy/.env.live": "B=2\n",
    }


KEY = "G2A_API_KEY=" + "5e" * 32 + "\n"  # a live-looking key; not on the allowlist


@pytest.mark.parametrize(
    ("name", "text", "attributes"),
    [
        ("deploy.env", KEY, None),
        ("déploiement.env", KEY, None),  # git quotes non-ASCII names unless told not to
        ('prod "live" copy.env', KEY, None),  # C-quoted, and a tab ends the header
        ("notes.txt", "++ counter\n" + KEY, None),  # its first line reads `+++ counter`
        ("deploy.cfg", KEY, "*.cfg -diff\n"),  # binary to git: no patch without --text
    ],
)
def test_a_secret_committed_then_removed_is_found_in_history(
    repo: Path, name: str, text: str, attributes: str | None
) -> None:
    if attributes is not None:
        commit(repo, {".gitattributes": attributes}, "attributes")
    leaked = commit(repo, {name: text}, "leak")
    commit(repo, {name: None}, "remove it")

    history = [s for s in scan_repository(repo).sources if s.commit is not None]

    assert (leaked, name, text.rstrip("\n")) in {(s.commit, s.path, s.text) for s in history}


def test_a_committed_symlink_reads_as_the_file_it_points_to(repo: Path) -> None:
    """`contracts/openapi/twin-admin.yaml` is a link to the twin's document: the committed
    folder must hash what the contracts run read from disk (the file), not the link's text."""
    commit(repo, {"docs/admin.yaml": "openapi: 3.1.0\n"}, "the document")
    (repo / "specs").mkdir()
    (repo / "specs" / "admin.yaml").symlink_to("../docs/admin.yaml")
    git(repo, "add", "specs/admin.yaml")
    git(repo, "commit", "-q", "-m", "a link to it")
    committed = committed_folder(repo, PurePath("specs"))
    assert committed == [("admin.yaml", b"openapi: 3.1.0\n")]
    assert folder_digest(committed) == folder_digest(folder_files(repo / "specs"))
