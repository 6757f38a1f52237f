"""docs/writing-scenarios.md, followed literally: its example features and commands pass."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

from pytest_bdd.scenario import make_python_name
from qa_support import ROOT, harness

from harness.bdd.discovery import marker_expression
from harness.commands.run import Selection

DOC = (ROOT / "docs" / "writing-scenarios.md").read_text(encoding="utf-8")
FEATURES = re.findall(r"```gherkin\n(.*?)```", DOC, re.S)
COMMANDS = re.findall(r"```console\n(.*?)\n```", DOC, re.S)


def _as_the_doc_says(tmp_path: Path, command: str) -> tuple[Path, list[str]]:
    """The doc's two features in a `qa-features` folder, and `command` aimed at it."""
    folder = tmp_path / "qa-features"
    folder.mkdir()
    (folder / "out_of_stock.feature").write_text(FEATURES[0], encoding="utf-8")
    (folder / "catalogue.feature").write_text(FEATURES[1], encoding="utf-8")
    return folder, [folder.as_posix() if a == "qa-features" else a for a in shlex.split(command)]


def test_the_doc_shows_the_steps_command_two_features_a_check_and_two_runs() -> None:
    assert len(FEATURES) == 2
    assert COMMANDS[0].startswith("g2a-harness steps")
    assert COMMANDS[1] == "g2a-harness steps --check qa-features"
    assert [c.split()[:2] for c in COMMANDS[2:]] == [["g2a-harness", "run"]] * 2


def test_the_doc_s_check_passes_its_features_and_catches_a_typo(tmp_path: Path) -> None:
    folder, args = _as_the_doc_says(tmp_path, COMMANDS[1])
    passed = harness(*args[1:])
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert passed.stdout.endswith("steps in 3 scenarios: all known\n")

    typo = FEATURES[0].replace("is out of stock", "is out of stok")
    (folder / "out_of_stock.feature").write_text(typo, encoding="utf-8")
    failed = harness(*args[1:])
    assert failed.returncode == 1
    assert 'out_of_stock.feature:5: unknown step "And product 10000068865001 is out of stok"' in (
        failed.stdout
    )


def test_the_steps_command_of_the_doc_finds_the_stock_steps() -> None:
    done = harness(*shlex.split(COMMANDS[0])[1:])
    assert done.returncode == 0
    assert "Given product {product_id:whole} is out of stock" in done.stdout


def test_the_example_features_pass_against_the_twin_as_the_doc_runs_them(tmp_path: Path) -> None:
    folder, args = _as_the_doc_says(tmp_path, COMMANDS[2])
    done = harness(*args[1:], "--report-dir", str(tmp_path / "reports"))
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads((tmp_path / "reports" / "checklist.json").read_text())
    assert report["tests"] == {"passed": FEATURES[0].count("Scenario:")}
    tag = args[args.index("--tags") + 1]
    folder_name = Selection("full", marker_expression(tag), None).slug()
    assert f"reports/twin/{folder_name}/" in DOC
    sandbox_args = shlex.split(COMMANDS[3])
    tag = sandbox_args[sandbox_args.index("--tags") + 1]
    # the sandbox scenario also runs on the twin (it is tagged @twin too)
    on_twin = harness(
        "run", "--tags", tag, "--features", str(folder), "--report-dir", str(tmp_path / "r2")
    )
    assert on_twin.returncode == 0, on_twin.stdout + on_twin.stderr


def test_the_doc_s_k_example_names_its_scenario_as_pytest_bdd_names_it() -> None:
    """`-k` is pytest's, over the test names pytest-bdd makes from scenario names: the doc's
    example must name the first scenario's test, and select no other of its scenarios."""
    example = re.search(r"so `-k \"([^\"]+)\"`\s+selects it", DOC)
    assert example is not None
    terms = example.group(1).split(" and ")
    names = {
        f"test_{make_python_name(name)}"
        for feature in FEATURES
        for name in re.findall(r"Scenario: (.+)", feature)
    }
    assert "test_an_outofstock_product_cannot_be_ordered" in names
    assert "`test_an_outofstock_product_cannot_be_ordered`" in DOC
    selected = {name for name in names if all(term in name for term in terms)}
    assert selected == {"test_an_outofstock_product_cannot_be_ordered"}


def test_the_doc_s_collect_command_lists_the_qa_scenario_names(tmp_path: Path) -> None:
    """The command the doc gives for the test names, run as written (the doc's folder in place
    of `qa-features`), lists the names of the QA scenarios. It names the harness's plugin,
    which no entry point loads: pytest run elsewhere than this repository needs it."""
    found = re.search(r"`([^`]*pytest [^`]*--collect-only[^`]*)`", DOC)
    assert found is not None
    folder, args = _as_the_doc_says(tmp_path, found.group(1))
    env = dict(a.split("=", 1) for a in args if re.match(r"[A-Z0-9_]+=", a))
    env = {k: v.replace("qa-features", folder.as_posix()) for k, v in env.items()}
    command = args[len(env) :]
    assert command[0] == "pytest"
    assert command[command.index("harness.bdd.plugin") - 1] == "-p"
    done = subprocess.run(
        [sys.executable, "-m", *command, "-p", "no:cacheprovider"],
        cwd=ROOT, env={**os.environ, **env}, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert "test_an_outofstock_product_cannot_be_ordered" in done.stdout, done.stdout[-2000:]


def test_the_doc_says_the_connect_step_is_optional_and_live_never_writes() -> None:
    assert "connects the adapter by itself" in DOC
    assert "never on `@live`" in DOC


def test_the_doc_says_a_star_step_is_unsupported_as_the_check_reports_it(tmp_path: Path) -> None:
    """Gherkin's `*` keyword: pytest-bdd refuses it as a scenario's first step; the doc says
    so, quoting what `steps --check` prints for it."""
    quoted = re.search(r'\("not valid Gherkin: (First step .*?)"\)', DOC, re.S)
    assert quoted is not None, "the doc does not say `*` is refused as a first step"
    (tmp_path / "star.feature").write_text(
        "@twin\nFeature: Bullets\n  Scenario: A star first\n"
        "    * the adapter is connected to the target\n",
        encoding="utf-8",
    )
    done = harness("steps", "--check", str(tmp_path))
    assert done.returncode == 1
    assert f"star.feature:4: not valid Gherkin: {' '.join(quoted[1].split())}" in done.stdout


def test_the_doc_lists_every_field_of_results_jsonl(tmp_path: Path) -> None:
    """`results.jsonl` as the plugin writes it (a collection on live: the scenarios live
    leaves out are written too): each field of a test's record is a bullet of the doc."""
    results = tmp_path / "results.jsonl"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "tests/bdd", "--co", "-q", "-p", "no:cacheprovider",
         "--target=live", f"--g2a-results={results}"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-2000:]
    records = [json.loads(line) for line in results.read_text(encoding="utf-8").splitlines()]
    assert [set(r) for r in records if r["event"] == "collected"] == [{"event", "count"}]
    fields = {field for record in records if record["event"] == "test" for field in record}
    assert "`results.jsonl` is what the run's pytest wrote" in DOC
    assert sorted(f for f in fields if f"\n- `{f}`: " not in DOC) == ["event"]
