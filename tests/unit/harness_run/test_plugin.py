"""The g2a_bdd plugin: scenarios not allowed on the chosen target are deselected, with reasons."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def _collect(target: str, tmp_path: Path) -> tuple[list[str], str, list[dict[str, object]]]:
    results = tmp_path / "results.jsonl"
    env = {k: v for k, v in os.environ.items() if k != "G2A_TARGET"}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "tests/bdd",
            "--co",
            "-q",
            f"--target={target}",
            f"--g2a-results={results}",
            "-p",
            "no:cacheprovider",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    selected = [line for line in done.stdout.splitlines() if line.startswith("tests/bdd/")]
    events = [json.loads(line) for line in results.read_text().splitlines()]
    return selected, done.stdout, events


def test_live_runs_only_read_only_scenarios_and_says_why_the_others_are_left_out(
    tmp_path: Path,
) -> None:
    selected, output, events = _collect("live", tmp_path)
    assert selected, "nothing would run on live"
    for forbidden in (
        "test_purchase",
        "test_resilience",
        "test_webhooks",
        "test_orders",
        "test_e2e",
    ):
        assert not any(forbidden in nodeid for nodeid in selected), forbidden
    assert "g2a_bdd: deselected for this target" in output
    assert "scenario(s) not allowed on target live (tagged for twin)" in output
    deselected = [e for e in events if e.get("outcome") == "deselected"]
    assert deselected
    assert all(str(e["message"]).startswith("not allowed on target live") for e in deselected)
    collected = next(e for e in events if e["event"] == "collected")
    assert collected["count"] == len(selected)


def test_the_twin_runs_every_scenario(tmp_path: Path) -> None:
    selected, output, events = _collect("twin", tmp_path)
    assert len(selected) >= 60
    assert "deselected for this target" not in output
    assert not [e for e in events if e.get("outcome") == "deselected"]


STALE_ENTRY_POINT = "[pytest11]\ng2a_bdd = harness.bdd.plugin\n"


def test_an_environment_still_declaring_the_old_entry_point_loads_the_plugin_once(
    tmp_path: Path,
) -> None:
    """An environment installed while the harness declared its `pytest11` entry point (`g2a_bdd`)
    keeps declaring it until reinstalled: loaded by name too, the plugin would be registered twice
    ("Plugin already registered under a different name"). The repository's addopts and the
    commands of `g2a-harness` block that name."""
    from harness.bdd import PYTEST_PLUGIN_ARGS

    info = tmp_path / "stale_harness-0.0.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: stale-harness\nVersion: 0.0.0\n")
    (info / "entry_points.txt").write_text(STALE_ENTRY_POINT)
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    for extra in ((), PYTEST_PLUGIN_ARGS):
        done = subprocess.run(
            [sys.executable, "-m", "pytest", *extra, "tests/bdd", "--co", "-q"],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]


MARKED_FEATURE = """\
@qa-marks @twin
Feature: Tags that are plugins' marks
  @anyio @xdist_group
  Scenario: Tagged with plugins' marks
    When QA lists the first page of products

  @slow
  Scenario: Tagged with a mark of the project's configuration
    When QA lists the first page of products
"""


def _collect_with(features: Path, *paths: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("G2A_")}
    return subprocess.run(
        [sys.executable, "-m", "pytest", *paths, "--co", "-q", "-p", "no:cacheprovider"],
        cwd=ROOT, env={**env, "G2A_FEATURES": str(features)},
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_a_tag_that_a_loaded_plugin_registers_as_a_mark_refuses_a_run_of_scenarios(
    tmp_path: Path,
) -> None:
    """The marks refused are those the run's pytest registered (its plugins', the project's
    configuration's), not a list: anyio's and pytest-xdist's are refused as pytest's are."""
    (tmp_path / "qa.feature").write_text(MARKED_FEATURE, encoding="utf-8")

    done = _collect_with(tmp_path, "tests/bdd")

    assert done.returncode == 4, done.stdout[-2000:] + done.stderr[-2000:]
    feature = tmp_path / "qa.feature"
    assert done.stderr.splitlines() == [
        f"ERROR: {feature}:3: tag @anyio is a mark registered with pytest in this run "
        "(mark the (coroutine function) test to be run asynchronously via anyio.): pytest "
        "would apply it to the scenario; choose another tag",
        f"{feature}:3: tag @xdist_group is a mark registered with pytest in this run "
        "(specify group for tests should run in same session.in relation to one another. "
        "Provided by pytest-xdist.): pytest would apply it to the scenario; choose another tag",
        f"{feature}:7: tag @slow is a mark registered with pytest in this run (takes more "
        "than a few seconds): pytest would apply it to the scenario; choose another tag",
        "3 tag(s) cannot run as written; nothing ran",
        "",
    ]


def test_a_plain_pytest_run_words_pytest_s_own_mark_as_steps_check_does(tmp_path: Path) -> None:
    """Found by a QA walkthrough: pytest said "@skip is a mark registered with pytest in this
    run (skip the scenario): pytest would apply it to the scenario", `steps --check` "@skip is
    one of pytest's own marks: pytest would apply it (skip the scenario)"."""
    from harness.bdd.check import check_features

    (tmp_path / "qa.feature").write_text(
        "@qa-skip @twin\nFeature: A skipped scenario\n  @skip\n  Scenario: Skipped\n"
        "    When QA lists the first page of products\n",
        encoding="utf-8",
    )
    line = (
        f"{tmp_path / 'qa.feature'}:3: tag @skip is one of pytest's own marks: pytest would "
        "apply it (skip the scenario); choose another tag"
    )

    done = _collect_with(tmp_path, "tests/bdd")

    assert done.returncode == 4, done.stdout[-2000:] + done.stderr[-2000:]
    assert done.stderr.splitlines() == [
        f"ERROR: {line}",
        "1 tag(s) cannot run as written; nothing ran",
        "",
    ]
    assert check_features([tmp_path]).messages() == [line]


def test_a_run_without_scenarios_is_not_refused_for_a_feature_file_s_tags(tmp_path: Path) -> None:
    (tmp_path / "qa.feature").write_text(MARKED_FEATURE, encoding="utf-8")

    done = _collect_with(tmp_path, "tests/unit/harness_run/test_wordings.py")

    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]


def test_listing_fixtures_works_with_the_plugin_loaded(tmp_path: Path) -> None:
    """`--fixtures` and `--fixtures-per-test` collect without pytest's `pytest_collection`
    hook: the plugin's refusal of mark tags must not depend on it."""
    (tmp_path / "qa.feature").write_text(MARKED_FEATURE, encoding="utf-8")

    for option in ("--fixtures", "--fixtures-per-test"):
        done = subprocess.run(
            [sys.executable, "-m", "pytest", option, "tests/unit/harness_run/test_wordings.py"],
            cwd=ROOT, env={**os.environ, "G2A_FEATURES": str(tmp_path)},
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip

        assert done.returncode == 0, option + done.stdout[-2000:] + done.stderr[-2000:]
        assert "INTERNALERROR" not in done.stdout + done.stderr
