"""Reading the gate's inputs from disk and git: reports, env files, allowlist, repository text."""

from __future__ import annotations

import contextlib
import hashlib
import json
import subprocess
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePath

from dotenv import dotenv_values

from harness.bdd.discovery import feature_files_below
from harness.envelope import signature_status
from harness.gate.evidence import (
    Allowlist,
    CiRun,
    JunitCounts,
    ReportFile,
    RepoScan,
    TextSource,
)
from harness.gate.floors import LAYER_FOLDERS, FloorError, LayerFloor, counted, layer_floors
from harness.gate.junit import JunitError, junit_counts, junit_name
from harness.gate.toxresult import TESTED_LAYERS, TOX_RESULT, ToxIniError, layer_commands

DEFAULT_ALLOWLIST = Path(__file__).with_name("allowlist.txt")
MAX_FILE_BYTES = 2_000_000
_GIT_TIMEOUT_S = 120


def read_bytes(path: Path, shown_as: str) -> tuple[bytes | None, ReportFile]:
    """The file's bytes and a `ReportFile` with its sha256 (no data yet), or why not."""
    if not path.is_file():
        return None, ReportFile(shown_as, error="missing")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return None, ReportFile(shown_as, error=f"unreadable: {type(exc).__name__}")
    return raw, ReportFile(shown_as, sha256=hashlib.sha256(raw).hexdigest())


def read_report(path: Path, shown_as: str, key: bytes | None = None) -> ReportFile:
    """A JSON report with its digest and, given the evidence key, its signature's status."""
    raw, found = read_bytes(path, shown_as)
    if raw is None:
        return found
    try:
        data = json.loads(raw.decode("utf-8"))
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        return ReportFile(shown_as, error=f"unreadable: {type(exc).__name__}", sha256=found.sha256)
    if not isinstance(data, dict):
        return ReportFile(shown_as, error="unreadable: not a JSON object", sha256=found.sha256)
    return ReportFile(shown_as, data, sha256=found.sha256, signature=signature_status(data, key))


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
    """The files git tracks below `root` (with `untracked`: also those it would track), as
    text; binary files too (a key is text wherever it sits). Files over `MAX_FILE_BYTES` are
    left out: `too_large_to_scan` names those history does not cover.

    Raises `OSError`/`subprocess.SubprocessError` when git cannot list them.
    """
    for name in _listed(root, untracked=untracked):
        path = root / name
        try:
            if not path.is_file() or path.stat().st_size > MAX_FILE_BYTES:
                continue
            data = path.read_bytes()
        except OSError:
            continue
        yield TextSource(name, data.decode("utf-8", "replace"))


def too_large_to_scan(root: Path) -> tuple[str, ...]:
    """New or changed files over `MAX_FILE_BYTES`: neither the tree scan nor history reads
    them (history holds only what was committed)."""
    changed = set(_listed(root, untracked=True, only_changed=True))
    large = []
    for name in sorted(changed):
        with contextlib.suppress(OSError):
            if (root / name).is_file() and (root / name).stat().st_size > MAX_FILE_BYTES:
                large.append(name)
    return tuple(large)


def _listed(root: Path, *, untracked: bool, only_changed: bool = False) -> Iterator[str]:
    which = ("--modified",) if only_changed else ("--cached",)
    extra = ("--others", "--exclude-standard") if untracked else ()
    for raw in _git(root, "ls-files", "-z", *which, *extra).split(b"\0"):
        if raw:
            yield raw.decode("utf-8", "replace")


def env_files(root: Path) -> Iterator[TextSource]:
    """`.env` / `.env.*` files git ignores (outside ignored folders such as .venv)."""
    listing = _git(
        root, "ls-files", "-z", "--others", "--ignored", "--exclude-standard", "--directory"
    )
    for raw in listing.split(b"\0"):
        name = raw.decode("utf-8", "replace")
        base = PurePath(name).name
        path = root / name
        if (base == ".env" or base.startswith(".env.")) and path.is_file():
            yield TextSource(name, path.read_text(encoding="utf-8", errors="replace"))


_C_ESCAPES = {"a": "\a", "b": "\b", "t": "\t", "n": "\n", "v": "\v", "f": "\f", "r": "\r"}


def unquoted_path(path: str) -> str:
    """A path as a diff header prints it: git C-quotes one holding a quote, a backslash or a
    control character (`"b/a\\"b"`, bytes as octal `\\303`); others are as they are."""
    if len(path) < 2 or not (path.startswith('"') and path.endswith('"')):
        return path
    quoted, raw, i = path[1:-1], bytearray(), 0
    while i < len(quoted):
        escaped = quoted[i + 1 : i + 4] if quoted[i] == "\\" else ""
        if len(escaped) == 3 and escaped.isdigit():  # one byte, in octal
            raw.append(int(escaped, 8) & 0xFF)
            i += 4
        elif escaped:
            raw += _C_ESCAPES.get(escaped[0], escaped[0]).encode()
            i += 2
        else:
            raw += quoted[i].encode()
            i += 1
    return raw.decode("utf-8", "replace")


@dataclass
class _FileDiff:
    commit: str
    path: str | None = None  # None for a deleted file: it adds nothing
    added: list[str] = field(default_factory=list)


def parse_history(log: str) -> Iterator[TextSource]:
    """Added lines per (commit, file) from `git log -p -U0 --format=%x00%h` output.

    Each file's diff starts with `diff --git`; its header (up to the first `@@` hunk) names
    it in `+++ b/<path>`, and only lines inside hunks are content: an added line that reads
    `++ x` is a `+++ x` line in the hunk, not a header.
    """
    diffs: list[_FileDiff] = []
    commit, in_hunk = "", False
    for line in log.split("\n"):
        if line.startswith("\0"):
            commit, in_hunk = line[1:].strip(), False
        elif line.startswith("diff --git "):
            diffs.append(_FileDiff(commit))
            in_hunk = False
        elif not diffs:
            continue
        elif line.startswith("@@"):
            in_hunk = True
        elif in_hunk and line.startswith("+"):
            diffs[-1].added.append(line[1:])
        elif not in_hunk and line.startswith("+++ "):
            target = unquoted_path(line[4:].removesuffix("\t"))  # a tab ends a name with spaces
            diffs[-1].path = target[2:] if target.startswith("b/") else None
    for diff in diffs:
        if diff.path and diff.added:
            yield TextSource(diff.path, "\n".join(diff.added), diff.commit)


def scan_repository(start: Path, allowlist_path: Path = DEFAULT_ALLOWLIST) -> RepoScan:
    """The files git tracks or would track, ignored `.env` files, and the whole history
    (`git log -p --all`) as text sources: a secret only on disk is as exposed as a committed one
    once someone runs `git add .` or copies the folder."""
    allowlist = read_allowlist(allowlist_path)
    shown = str(allowlist_path)
    try:
        root = Path(_git(start, "rev-parse", "--show-toplevel").decode().strip())
    except (OSError, subprocess.SubprocessError):
        return RepoScan(None, error=f"{start} is not inside a git repository", allowlist=allowlist)
    try:
        shallow = _git(root, "rev-parse", "--is-shallow-repository").strip() == b"true"
        sources = [*tree_sources(root, untracked=True), *env_files(root)]
        too_large = too_large_to_scan(root)
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
                "-c",
                "core.quotePath=false",  # paths as they are, not octal escapes
                "log",
                "-p",
                "--all",
                "-U0",
                "--no-color",
                "--no-ext-diff",
                "--no-renames",
                "--diff-merges=first-parent",  # a merge's (a stash's too) own changes
                "--text",  # binary to git too (`-diff` in .gitattributes): still scanned
                "--format=%x00%h",
            ).decode("utf-8", "replace")
            sources.extend(parse_history(log))
    except (OSError, subprocess.SubprocessError) as exc:
        return RepoScan(str(root), error=f"git failed ({type(exc).__name__})", allowlist=allowlist)
    return RepoScan(
        str(root),
        tuple(sources),
        shallow=shallow,
        allowlist=allowlist,
        allowlist_path=shown,
        too_large=too_large,
    )


def _git_text(root: Path, *args: str) -> str | None:
    """git's answer, or None when git cannot give one (not a repository, no such object)."""
    try:
        return _git(root, *args).decode("utf-8", "replace")
    except (OSError, subprocess.SubprocessError):
        return None


def unignored_in_checkout(repo: Path, folder: Path) -> tuple[Path, str] | None:
    """(the checkout, `folder` relative to it) when `folder` lies in the checkout of `repo`
    and git does not ignore it: every report written there is a new file that makes the tree
    dirty. None when it is outside, ignored, or `repo` is not a git checkout."""
    try:
        root = Path(_git(repo, "rev-parse", "--show-toplevel").decode().strip()).resolve()
        inside = folder.resolve().relative_to(root)
    except (OSError, subprocess.SubprocessError, ValueError):
        return None
    probe = (inside / "gate.json").as_posix()  # a file the gate writes there
    checked = subprocess.run(
        ["git", "-C", str(root), "check-ignore", "-q", "--", probe],
        capture_output=True,
        timeout=_GIT_TIMEOUT_S,
        check=False,
    )
    return None if checked.returncode == 0 else (root, inside.as_posix())


def committed_folder(repo: Path, folder: PurePath) -> list[tuple[str, bytes]] | None:
    """Every file of `folder` (relative to the repository's root) in the commit at HEAD, as
    (path relative to the folder, bytes), a symbolic link as the file it points to (what a
    run reading the folder on disk reads); None when git cannot list or read them."""
    try:
        root = Path(_git(repo, "rev-parse", "--show-toplevel").decode().strip())
        listed = _git(root, "ls-tree", "-r", "-z", "--name-only", "HEAD", "--", str(folder))
        names = [raw.decode("utf-8", "replace") for raw in listed.split(b"\0") if raw]
        files = _committed_blobs(root, {name: f"HEAD:{name}" for name in names})
    except (OSError, subprocess.SubprocessError, ValueError):
        return None
    return [(PurePath(name).relative_to(folder).as_posix(), data) for name, data in files.items()]


def _committed_blobs(repo: Path, names: dict[str, str]) -> dict[str, bytes]:
    """The blobs (path -> object id, or `HEAD:path`) as bytes, in one `git cat-file --batch`;
    a symbolic link named by `HEAD:path` is read as the file it points to in the commit."""
    stdin = "".join(f"{oid}\n" for oid in names.values()).encode()
    out = subprocess.run(
        ["git", "-C", str(repo), "cat-file", "--batch", "--follow-symlinks"],
        input=stdin,
        check=True,
        capture_output=True,
        timeout=_GIT_TIMEOUT_S,
    ).stdout
    blobs, at = {}, 0
    for path in names:
        header_end = out.index(b"\n", at)
        _oid, kind, size = out[at:header_end].decode().split()
        if kind != "blob":
            raise ValueError(f"{path}: a {kind}")
        start = header_end + 1
        blobs[path] = out[start : start + int(size)]
        at = start + int(size) + 1
    return blobs


def committed_floors(repo: Path) -> dict[str, LayerFloor]:
    """Each tested layer's tests committed at HEAD (`floors.layer_floors` over the files git
    holds there, paths relative to `repo` as tox.ini's are). Raises FloorError."""
    folders = [folder for folders in LAYER_FOLDERS.values() for folder in folders]
    try:
        listing = _git(repo, "ls-tree", "-r", "-z", "HEAD", "--", *folders)
        names = {}
        for entry in filter(None, listing.split(b"\0")):
            meta, _, raw_name = entry.partition(b"\t")
            name = raw_name.decode("utf-8", "replace")
            _mode, kind, oid = meta.decode().split()
            if kind == "blob" and counted(name):
                names[name] = oid
        files = _committed_blobs(repo, names)
    except (OSError, subprocess.SubprocessError, ValueError):
        raise FloorError("git cannot list the files at HEAD") from None
    return layer_floors(files)


def read_features(folder: Path) -> dict[str, bytes]:
    """The `.feature` files below `folder` (path -> bytes), as `g2a-harness run` reads them.
    Raises FloorError when there are none."""
    try:
        files = {str(p): p.read_bytes() for p in feature_files_below(folder)}
    except OSError as exc:
        raise FloorError(f"{folder} cannot be read ({type(exc).__name__})") from None
    if not files:
        raise FloorError(f"no feature file in {folder} (run the gate from the checkout)")
    return files


def _junit(path: Path, shown_as: str) -> tuple[ReportFile, JunitCounts | None]:
    raw, found = read_bytes(path, shown_as)
    if raw is None:
        return found, None
    try:
        return found, junit_counts(raw.decode("utf-8", "replace"))
    except JunitError as exc:
        return ReportFile(shown_as, error=f"unreadable: {exc}", sha256=found.sha256), None


def read_ci_run(record_path: Path, shown_as: str, repo: Path, key: bytes | None) -> CiRun:
    """The CI record, tox's result and the junit file of each tested layer."""
    folder, shown_folder = record_path.parent, str(PurePath(shown_as).parent)
    tox_ini = _git_text(repo, "show", "HEAD:./tox.ini")
    commands: Mapping[str, tuple[tuple[str, ...], ...]] | None = None
    commands_error = None
    try:
        if tox_ini is None:
            commands_error = "tox.ini is not in the commit at HEAD"
        else:
            commands = layer_commands(tox_ini)
    except ToxIniError as exc:
        commands_error = str(exc)
    floors: Mapping[str, LayerFloor] | None = None
    floors_error = None
    try:
        floors = committed_floors(repo)
    except FloorError as exc:
        floors_error = str(exc)
    junit: dict[str, ReportFile] = {}
    counts: dict[str, JunitCounts] = {}
    for layer in TESTED_LAYERS:
        name = junit_name(layer)
        junit[layer], layer_counts = _junit(folder / name, f"{shown_folder}/{name}")
        if layer_counts is not None:
            counts[layer] = layer_counts
    return CiRun(
        record=read_report(record_path, shown_as, key),
        tox=read_report(folder / TOX_RESULT, f"{shown_folder}/{TOX_RESULT}"),
        junit=junit,
        counts=counts,
        layer_commands=commands,
        commands_error=commands_error,
        floors=floors,
        floors_error=floors_error,
    )
