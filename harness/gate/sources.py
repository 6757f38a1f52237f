"""Reading the gate's inputs from disk and git: reports, env files, allowlist, repository text."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

from dotenv import dotenv_values

from harness.gate.evidence import Allowlist, CiRun, ReportFile, RepoScan, TextSource
from harness.gate.toxresult import ToxIniError, layer_commands

DEFAULT_ALLOWLIST = Path(__file__).with_name("allowlist.txt")
MAX_FILE_BYTES = 2_000_000
_GIT_TIMEOUT_S = 120


def read_report(path: Path, shown_as: str) -> ReportFile:
    if not path.is_file():
        return ReportFile(shown_as, error="missing")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        return ReportFile(shown_as, error=f"unreadable: {type(exc).__name__}")
    if not isinstance(data, dict):
        return ReportFile(shown_as, error="unreadable: not a JSON object")
    return ReportFile(shown_as, data=data)


def read_env_file(path: Path) -> dict[str, str]:
    """`KEY=VALUE` lines (dotenv syntax: quotes, `export`, comments)."""
    if not path.is_file():
        raise FileNotFoundError(f"env file {path} does not exist")
    return {k: v for k, v in dotenv_values(path).items() if v is not None}


def read_allowlist(path: Path) -> Allowlist:
    values: set[str] = set()
    globs: list[str] = []
    if path.is_file():
        for raw in path.read_text(encoding="utf-8").splitlines():
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            if line.startswith("path:"):
                globs.append(line.removeprefix("path:").strip())
            else:
                values.add(line)
    return Allowlist(frozenset(values), tuple(globs))


def _git(root: Path, *args: str) -> bytes:
    return subprocess.run(
        ["git", "-C", str(root), *args],
        check=True,
        capture_output=True,
        timeout=_GIT_TIMEOUT_S,
    ).stdout


def tree_sources(root: Path, *, untracked: bool = False) -> Iterator[TextSource]:
    """The text files git tracks below `root` (with `untracked`: also those it would track).

    Raises `OSError`/`subprocess.SubprocessError` when git cannot list them.
    """
    extra = ("--others", "--exclude-standard") if untracked else ()
    for raw in _git(root, "ls-files", "-z", "--cached", *extra).split(b"\0"):
        if not raw:
            continue
        name = raw.decode("utf-8", "replace")
        path = root / name
        try:
            if not path.is_file() or path.stat().st_size > MAX_FILE_BYTES:
                continue
            data = path.read_bytes()
        except OSError:
            continue
        if b"\0" not in data:
            yield TextSource(name, data.decode("utf-8", "replace"))


def parse_history(log: str) -> Iterator[TextSource]:
    """Added lines per (commit, file) from `git log -p -U0 --format=%x00%h` output."""
    commit, path = "", None
    added: list[str] = []
    for line in log.split("\n"):
        if line.startswith("\0"):
            if path and added:
                yield TextSource(path, "\n".join(added), commit)
            commit, path, added = line[1:].strip(), None, []
        elif line.startswith("+++ "):
            if path and added:
                yield TextSource(path, "\n".join(added), commit)
            target = line[4:]
            path, added = (target[2:] if target.startswith("b/") else None), []
        elif line.startswith("+") and path is not None:
            added.append(line[1:])
    if path and added:
        yield TextSource(path, "\n".join(added), commit)


def scan_repository(start: Path, allowlist_path: Path = DEFAULT_ALLOWLIST) -> RepoScan:
    """The tracked files and the whole history (`git log -p --all`) as text sources."""
    allowlist = read_allowlist(allowlist_path)
    shown = str(allowlist_path)
    try:
        root = Path(_git(start, "rev-parse", "--show-toplevel").decode().strip())
    except (OSError, subprocess.SubprocessError):
        return RepoScan(None, error=f"{start} is not inside a git repository", allowlist=allowlist)
    try:
        shallow = _git(root, "rev-parse", "--is-shallow-repository").strip() == b"true"
        sources = list(tree_sources(root))
        has_commits = (
            subprocess.run(
                ["git", "-C", str(root), "rev-parse", "--verify", "-q", "HEAD"],
                capture_output=True,
                check=False,
            ).returncode
            == 0
        )
        if has_commits:
            log = _git(
                root,
                "log",
                "-p",
                "--all",
                "-U0",
                "--no-color",
                "--no-ext-diff",
                "--no-renames",
                "--format=%x00%h",
            ).decode("utf-8", "replace")
            sources.extend(parse_history(log))
    except (OSError, subprocess.SubprocessError) as exc:
        return RepoScan(str(root), error=f"git failed ({type(exc).__name__})", allowlist=allowlist)
    return RepoScan(
        str(root), tuple(sources), shallow=shallow, allowlist=allowlist, allowlist_path=shown
    )


def _git_text(root: Path, *args: str) -> str | None:
    """git's answer, or None when git cannot give one (not a repository, no such object)."""
    try:
        return _git(root, *args).decode("utf-8", "replace")
    except (OSError, subprocess.SubprocessError):
        return None


def commit_sidecar(result_path: Path) -> Path:
    """`reports/tox.json` -> `reports/tox.commit`: the commit id CI ran the layers on."""
    return result_path.with_suffix(".commit")


def read_ci_run(result_path: Path, shown_as: str, repo: Path) -> CiRun:
    """tox's `--result-json` file, its commit sidecar, HEAD and the layers' commands at HEAD."""
    report = read_report(result_path, shown_as)
    sidecar = commit_sidecar(result_path)
    try:
        commit = sidecar.read_text(encoding="utf-8").strip() or None
    except (OSError, UnicodeDecodeError):
        commit = None
    head = _git_text(repo, "rev-parse", "HEAD")
    tox_ini = _git_text(repo, "show", "HEAD:./tox.ini") if head else None
    commands, commands_error = None, None
    try:
        if tox_ini is None:
            commands_error = "tox.ini is not in the commit at HEAD"
        else:
            commands = layer_commands(tox_ini)
    except ToxIniError as exc:
        commands_error = str(exc)
    return CiRun(
        shown_as,
        report.data,
        report.error,
        commit_path=str(Path(shown_as).with_suffix(".commit")),
        commit=commit,
        head=head.strip() if head else None,
        layer_commands=commands,
        commands_error=commands_error,
    )
