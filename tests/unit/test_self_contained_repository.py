"""A clone stands alone: no tracked file cites a document or path that the clone lacks."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Paths of a build machine or of material beside the repository, never in a user's clone.
# (Spelled in pieces so that this file does not cite them itself.)
BESIDE = "sha" + "red"
MACHINE_ROOT = "wo" + "rk"
HOMES = ("ho" + "me", "Us" + "ers")  # a user's home folder, on Linux and on macOS
ABSENT_DOCUMENT = "absent-notes" + ".md"  # a document no clone has
ABSENT_PAGE = "docs/nothing" + ".md"  # a page of the docs folder that does not exist
OUTSIDE_PATH = re.compile(
    rf"(?<![\w.-])(?:/{MACHINE_ROOT}/|\.\./{BESIDE}\b|/(?:{'|'.join(HOMES)})/\w+/)"
)
DOCUMENT_NAME = re.compile(r"[\w./<>-]*[\w-]\.md\b")
MARKDOWN_LINK = re.compile(r"\]\(([^)\s#]+)(?:#[^)]*)?\)")
# Written at run time into the reports folder, so cited without existing in the repository.
GENERATED_DOCUMENTS = {"checklist.md", "gate.md"}
# Names used as data in tests of the secret scanner, not as citations.
TEST_DATA_DOCUMENTS = {"docs" + ".md"}
# `path/to/module.py`, or `module.py::name` (`name*`: any name that begins so), in backticks.
CODE_REFERENCE = re.compile(r"`([\w./-]+\.py)(?:::(\w+)(\*?))?")
CITING_SUFFIXES = {".md", ".py", ".feature", ".toml", ".ini", ".yml", ".yaml"}


def tracked_text_files() -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.decode()
    files = []
    for name in filter(None, listed.split("\0")):
        path = ROOT / name
        if "cassettes" in path.parts or not path.is_file() or path == Path(__file__):
            continue
        try:
            path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        files.append(path)
    return files


def outside_paths(text: str) -> list[str]:
    return [match.group(0) for match in OUTSIDE_PATH.finditer(text)]


def missing_documents(text: str, known: set[str]) -> list[str]:
    cited = {Path(match.group(0)).name for match in DOCUMENT_NAME.finditer(text)}
    return sorted(cited - known - GENERATED_DOCUMENTS - TEST_DATA_DOCUMENTS)


def broken_links(path: Path, text: str) -> list[str]:
    broken = []
    for target in MARKDOWN_LINK.findall(text):
        if re.match(r"[a-z]+:", target):  # https:, mailto: ...
            continue
        resolved = (path.parent / target).resolve()
        if not resolved.is_relative_to(ROOT) or not resolved.exists():
            broken.append(target)
    return broken


def defines(source: str, name: str, *, prefix: bool) -> bool:
    """Whether a module's source defines `name` (or, `prefix`, a name that begins so): a
    function, a class or a module-level name."""
    ending = r"\w*" if prefix else r"\b"
    pattern = rf"^\s*(?:async\s+)?(?:def|class)\s+{name}{ending}|^{name}{ending}\s*[:=]"
    return re.search(pattern, source, re.MULTILINE) is not None


def stale_code_references(text: str, tracked: list[str]) -> list[str]:
    """Cited modules that no tracked file is (by path or path ending), or names they lack."""
    stale = []
    for match in CODE_REFERENCE.finditer(text):
        cited, name, star = match.groups()
        cited = cited.removeprefix("./")
        modules = [path for path in tracked if path == cited or path.endswith(f"/{cited}")]
        if not modules:
            stale.append(cited)
        elif name and not any(
            defines((ROOT / path).read_text(encoding="utf-8"), name, prefix=bool(star))
            for path in modules
        ):
            stale.append(f"{cited}::{name}{star}")
    return stale


@pytest.fixture(scope="module")
def files() -> list[Path]:
    return tracked_text_files()


def test_no_tracked_file_names_a_path_outside_the_repository(files: list[Path]) -> None:
    found = {
        str(path.relative_to(ROOT)): hits
        for path in files
        if (hits := outside_paths(path.read_text(encoding="utf-8")))
    }
    assert found == {}


def test_every_cited_document_exists_in_the_repository(files: list[Path]) -> None:
    known = {path.name for path in files}
    found = {
        str(path.relative_to(ROOT)): missing
        for path in files
        if (missing := missing_documents(path.read_text(encoding="utf-8"), known))
    }
    assert found == {}


def test_every_cited_module_and_name_exists(files: list[Path]) -> None:
    # `files` leaves this module out (its patterns would match themselves); it exists all the same
    tracked = [str(path.relative_to(ROOT)) for path in [*files, Path(__file__)]]
    found = {
        str(path.relative_to(ROOT)): stale
        for path in files
        if path.suffix in CITING_SUFFIXES
        if (stale := stale_code_references(path.read_text(encoding="utf-8"), tracked))
    }
    assert found == {}


def test_markdown_links_stay_inside_the_repository_and_resolve(files: list[Path]) -> None:
    found = {
        str(path.relative_to(ROOT)): broken
        for path in files
        if path.suffix == ".md"
        if (broken := broken_links(path, path.read_text(encoding="utf-8")))
    }
    assert found == {}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"see /{MACHINE_ROOT}/{BESIDE}/notes.txt", [f"/{MACHINE_ROOT}/"]),
        (f"read ../{BESIDE}/{ABSENT_DOCUMENT} first", [f"../{BESIDE}"]),
        (f"built in /{HOMES[0]}/alice/src", [f"/{HOMES[0]}/alice/"]),
        (f"built in /{HOMES[1]}/bob/src", [f"/{HOMES[1]}/bob/"]),
        (f"reports/{MACHINE_ROOT}/x and docs/g2a-api.md", []),
    ],
)
def test_outside_paths_are_recognised(text: str, expected: list[str]) -> None:
    assert outside_paths(text) == expected


def test_a_document_missing_from_the_repository_is_named() -> None:
    text = f"as {ABSENT_DOCUMENT} says; see `docs/g2a-api.md` and reports/gate.md"
    assert missing_documents(text, {"g2a-api.md"}) == [ABSENT_DOCUMENT]


def test_a_link_out_of_the_repository_is_broken() -> None:
    page = ROOT / "README.md"
    assert broken_links(page, "[api](docs/g2a-api.md) [web](https://example.org/x)") == []
    assert broken_links(page, f"[x](../{BESIDE}/{ABSENT_DOCUMENT}) [y]({ABSENT_PAGE})") == [
        f"../{BESIDE}/{ABSENT_DOCUMENT}",
        ABSENT_PAGE,
    ]


def test_a_stale_module_or_name_is_named() -> None:
    tracked = ["g2a_adapter/client/_core.py", "tests/unit/test_self_contained_repository.py"]
    text = (
        "`g2a_adapter/core.py`, `client/_core.py::api_error`, `_core.py::no_such_name`, "
        "`test_self_contained_repository.py::test_a_stale_*`, `_core.py::api_err*`"
    )
    assert stale_code_references(text, tracked) == [
        "g2a_adapter/core.py",
        "_core.py::no_such_name",
    ]
