"""`tree_sources`: the repository text the gate and the handoff scenario scan."""

from __future__ import annotations

from pathlib import Path

from harness.gate.sources import tree_sources


def test_tracked_text_files_and_optionally_the_new_ones_git_would_track(repo: Path) -> None:
    (repo / ".gitignore").write_text("*.log\n")
    (repo / "new.env").write_text("G2A_WEBHOOK_SECRET=x\n")
    (repo / "debug.log").write_text("ignored\n")
    (repo / "blob.bin").write_bytes(b"\0\1\2")

    tracked = {s.path: s.text for s in tree_sources(repo)}
    with_new = {s.path: s.text for s in tree_sources(repo, untracked=True)}

    assert tracked == {
        "README.md": "export G2A_API_KEY=...\n",
        "app.py": "print('hi')\n",
        "tox.ini": (repo / "tox.ini").read_text(),
    }
    assert with_new == tracked | {".gitignore": "*.log\n", "new.env": "G2A_WEBHOOK_SECRET=x\n"}
    assert all(s.commit is None for s in tree_sources(repo, untracked=True))
