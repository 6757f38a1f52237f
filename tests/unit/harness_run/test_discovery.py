"""Selecting scenarios: feature folders, Gherkin tag expressions, "not run" checklist items."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from harness.bdd.check import invalid_files
from harness.bdd.discovery import (
    FEATURES_ENV,
    SelectionError,
    feature_dirs,
    feature_files_below,
    feature_tags,
    keyword_expression,
    marker_expression,
    pytest_marks,
    repo_features,
    scenario_filter,
    tagged,
)
from harness.checklist import ChecklistItem, RunResult, judge
from harness.gate.sources import read_features


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        ("@smoke", "smoke"),
        ("smoke and not @webhooks", "smoke and not webhooks"),
        ("(@a or @chk-env-https) and not @b", "( a or chk-env-https ) and not b"),
        ("not (not @a)", "not ( not a )"),
    ],
)
def test_gherkin_tag_expressions_become_marker_expressions(tags: str, expected: str) -> None:
    assert marker_expression(tags) == expected


@pytest.mark.parametrize("tags", ["", "   ", "@smoke and $x"])
def test_a_bad_tag_expression_is_refused(tags: str) -> None:
    with pytest.raises(SelectionError):
        marker_expression(tags)


@pytest.mark.parametrize(
    ("tags", "mark"),
    [
        ("@parametrize", "parametrize"),
        ("@smoke and not usefixtures", "usefixtures"),
        ("(@skip or @a)", "skip"),
        ("@skipif", "skipif"),
        ("not @xfail", "xfail"),
        ("@filterwarnings", "filterwarnings"),
        ("@block_network", "block_network"),
    ],
)
def test_pytest_s_own_marks_are_refused_as_tags(tags: str, mark: str) -> None:
    """pytest-bdd marks an Outline's rows `parametrize` (and a test may carry pytest's other
    own marks): `-m` would select by them where no feature file's tag is meant."""
    with pytest.raises(SelectionError) as refused:
        marker_expression(tags)
    assert str(refused.value) == (
        f"not a tag in {tags!r}: @{mark} is one of pytest's own marks (parametrize, "
        "usefixtures, skip, skipif, xfail, filterwarnings, vcr, block_network, default_cassette, "
        "allowed_hosts), which no tag expression can select"
    )


def test_a_mark_of_pytest_s_plugins_is_refused_as_a_tag_asking_the_run_s_marks_once() -> None:
    """The run's marks (a `pytest --markers`, seconds) are asked only of a name that is none of
    the plugin's own tags, and refused as pytest's own marks are."""
    asked: list[str] = []

    def marks() -> dict[str, str]:
        asked.append("marks")
        return {"anyio": "run the test under anyio", "skip": "skip the test"}

    assert marker_expression("@smoke and not @twin or @chk-env-https", marks) == (
        "smoke and not twin or chk-env-https"
    )
    assert asked == []
    assert marker_expression("@qa-own", marks) == "qa-own"
    assert len(asked) == 1
    with pytest.raises(SelectionError) as refused:
        marker_expression("@qa-own or @anyio", marks)
    assert str(refused.value) == (
        "not a tag in '@qa-own or @anyio': @anyio is a mark registered with pytest in this run "
        "(run the test under anyio), which no tag expression can select"
    )
    assert len(asked) == 3  # once a name not the plugin's (`run` caches them: one pytest)


@pytest.mark.parametrize(
    "tags", ["@smoke and", "and @a", "@a @b", "(@a", "@a)", "()", "not", "@a or (@b and)"]
)
def test_a_tag_expression_that_does_not_parse_is_refused_before_any_run(tags: str) -> None:
    with pytest.raises(SelectionError) as refused:
        marker_expression(tags)
    assert str(refused.value) == f"not a tag expression: {tags!r} (e.g. '@smoke and not @webhooks')"


@pytest.mark.parametrize(
    "keyword", ["outofstock and cannot_be_ordered", "not slow", "a-b or (c and not d)", " x"]
)
def test_a_k_expression_pytest_reads_is_taken_as_written(keyword: str) -> None:
    assert keyword_expression(keyword) == keyword


@pytest.mark.parametrize(
    ("markers", "tags", "kept"),
    [
        (None, {"qa"}, True),  # no selection: every scenario that runs on the twin
        (None, {"sandbox"}, False),  # not allowed on the twin
        ("qa", {"qa", "twin"}, True),
        ("qa", {"qa", "sandbox"}, False),
        ("qa", {"qb"}, False),
        ("(smoke) and (qa and not slow)", {"smoke", "qa"}, True),
        ("(smoke) and (qa and not slow)", {"smoke", "qa", "slow"}, False),
        ("( a or chk-env-https ) and not b", {"chk-env-https"}, True),
        ("( a or chk-env-https ) and not b", {"a", "b"}, False),
        ("not ( not a )", {"a"}, True),
        ("a or b and c", {"a"}, True),  # `and` binds first, as in pytest's -m
        ("a or b and c", {"b"}, False),
    ],
)
def test_a_scenario_filter_keeps_what_target_and_tags_select(
    markers: str | None, tags: set[str], kept: bool
) -> None:
    assert scenario_filter("twin", markers)(frozenset(tags)) is kept


@pytest.mark.parametrize("markers", ["a and", "( a", "a )", "a b", "or a"])
def test_a_scenario_filter_of_an_expression_that_does_not_parse_is_refused(markers: str) -> None:
    with pytest.raises(SelectionError) as refused:
        scenario_filter("twin", markers)(frozenset({"a"}))
    assert str(refused.value) == f"not a marker expression: {markers!r}"


def test_feature_folders_are_the_repository_s_then_the_named_ones(tmp_path: Path) -> None:
    assert feature_dirs({}) == [str(repo_features())]
    team = tmp_path / "team"
    team.mkdir()
    env = {FEATURES_ENV: os.pathsep.join([str(team), str(repo_features())])}
    assert feature_dirs(env) == [str(repo_features()), str(team)]
    with pytest.raises(SelectionError, match=r"no features folder at .*missing"):
        feature_dirs({FEATURES_ENV: str(tmp_path / "missing")})


def test_every_tag_of_nested_feature_files_is_found(tmp_path: Path) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "x.feature").write_text(
        "@one @two\nFeature: x\n  @three\n  Scenario: y\n    Given z # not @four\n"
    )
    assert feature_tags([str(tmp_path)]) == {"one", "two", "three"}


def test_a_comment_after_the_tags_of_a_line_is_no_tag(tmp_path: Path) -> None:
    path = tmp_path / "x.feature"
    path.write_text("@one # was @sanbox\nFeature: x\n  @two #@three\n  Scenario: y\n")

    assert list(tagged(path)) == ["one", "two"]


def test_a_feature_file_that_is_not_utf_8_has_no_tags_the_gherkin_check_names_it(
    tmp_path: Path,
) -> None:
    """Read as every pytest starts (the markers to register, `pytest --markers` too), not as
    a UnicodeDecodeError: `harness.bdd.check.invalid_gherkin` reports the file."""
    (tmp_path / "latin1.feature").write_bytes(b"@caf\xe9\nFeature: x\n")
    (tmp_path / "utf8.feature").write_text("@one\nFeature: y\n", encoding="utf-8")

    assert feature_tags([str(tmp_path)]) == {"one"}
    assert "skip" in pytest_marks({**os.environ, FEATURES_ENV: str(tmp_path)})
    assert invalid_files([tmp_path]) == (
        f"{tmp_path / 'latin1.feature'}: not valid Gherkin: the file is not UTF-8 text",
    )


def test_feature_files_are_found_as_pytest_bdd_finds_them(tmp_path: Path) -> None:
    """As pytest-bdd searches a folder (`glob`'s `**/*.feature`), so the tags registered as
    every pytest starts, `steps --check` and the gate cover what runs: a folder named like a
    feature file is searched (reading it as a file was an IsADirectoryError), a symlinked
    folder is followed, names starting with a dot are left out."""
    nested = tmp_path / "qa" / "more.feature" / "deeper"
    nested.mkdir(parents=True)
    (nested / "inner.feature").write_text("@inner\nFeature: x\n", encoding="utf-8")
    (tmp_path / "qa" / "top.feature").write_text("@one\nFeature: y\n", encoding="utf-8")
    (tmp_path / "qa" / ".draft.feature").write_text("@draft\nFeature: d\n", encoding="utf-8")
    (tmp_path / "qa" / ".wip").mkdir()
    (tmp_path / "qa" / ".wip" / "w.feature").write_text("@wip\nFeature: w\n", encoding="utf-8")
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "s.feature").write_text("@linked\nFeature: s\n", encoding="utf-8")
    (tmp_path / "qa" / "link").symlink_to(tmp_path / "shared", target_is_directory=True)
    qa = tmp_path / "qa"
    expected = [qa / "link" / "s.feature", nested / "inner.feature", qa / "top.feature"]

    assert feature_files_below(qa) == expected
    assert feature_tags([str(qa)]) == {"inner", "one", "linked"}
    assert list(read_features(qa)) == [str(path) for path in expected]


def test_feature_files_are_found_below_a_folder_whose_path_has_glob_characters(
    tmp_path: Path,
) -> None:
    """The folder's path is not a pattern: `qa[1]` is a folder name, not a character class."""
    qa = tmp_path / "qa[1]*?"
    qa.mkdir()
    (qa / "a.feature").write_text("@one\nFeature: a\n", encoding="utf-8")

    assert feature_files_below(qa) == [qa / "a.feature"]
    assert feature_tags([str(qa)]) == {"one"}


ITEM = ChecklistItem("orders", "Orders", "Orders work", ("tag:chk-orders",))
OTHER = RunResult("t::other", "Other", "passed", frozenset({"smoke"}))


def test_an_item_outside_a_selection_is_not_run_never_passed() -> None:
    verdict = judge(ITEM, [OTHER], "twin", selection="smoke")
    assert (verdict.status, verdict.evidence) == (
        "not run",
        ("not run: outside the selection smoke",),
    )
    assert judge(ITEM, [OTHER], "twin").status == "skipped"
    ran = RunResult("t::o", "Orders", "passed", frozenset({"chk-orders"}))
    assert judge(ITEM, [ran], "twin", selection="smoke").status == "passed"
