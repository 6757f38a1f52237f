"""docs/writing-scenarios.md, followed literally: its example features and commands pass."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

from qa_support import ROOT, harness

from harness.bdd.discovery import marker_expression
from harness.commands.run import Selection

DOC = (ROOT / "docs" / "writing-scenarios.md").read_text(encoding="utf-8")
FEATURES = re.findall(r"```gherkin\n(.*?)```", DOC, re.S)
COMMANDS = re.findall(r"```console\n(.*?)\n```", DOC, re.S)


def test_the_doc_shows_the_steps_command_two_features_and_two_runs() -> None:
    assert len(FEATURES) == 2
    assert COMMANDS[0].startswith("g2a-harness steps")
    assert [c.split()[:2] for c in COMMANDS[1:]] == [["g2a-harness", "run"]] * 2


def test_the_steps_command_of_the_doc_finds_the_stock_steps() -> None:
    done = harness(*shlex.split(COMMANDS[0])[1:])
    assert done.returncode == 0
    assert "Given product {product_id:d} is out of stock" in done.stdout


def test_the_example_features_pass_against_the_twin_as_the_doc_runs_them(tmp_path: Path) -> None:
    folder = tmp_path / "qa-features"
    folder.mkdir()
    (folder / "out_of_stock.feature").write_text(FEATURES[0], encoding="utf-8")
    (folder / "catalogue.feature").write_text(FEATURES[1], encoding="utf-8")
    args = [folder.as_posix() if a == "qa-features" else a for a in shlex.split(COMMANDS[1])]
    done = harness(*args[1:], "--report-dir", str(tmp_path / "reports"))
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads((tmp_path / "reports" / "checklist.json").read_text())
    assert report["tests"] == {"passed": FEATURES[0].count("Scenario:")}
    tag = args[args.index("--tags") + 1]
    folder_name = Selection("full", marker_expression(tag), None).slug()
    assert f"reports/twin/{folder_name}/" in DOC
    sandbox_args = shlex.split(COMMANDS[2])
    tag = sandbox_args[sandbox_args.index("--tags") + 1]
    # the sandbox scenario also runs on the twin (it is tagged @twin too)
    on_twin = harness(
        "run", "--tags", tag, "--features", str(folder), "--report-dir", str(tmp_path / "r2")
    )
    assert on_twin.returncode == 0, on_twin.stdout + on_twin.stderr
