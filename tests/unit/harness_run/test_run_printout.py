"""The run's printout at a terminal's usual width (80 columns, as CI's logs and a pipe get)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console

from harness.commands.run import _other_scenarios_table, _print_table


def test_a_scenario_s_file_and_line_are_shown_whole_at_80_columns() -> None:
    """Found running README command 1: `features/observability.feature:…` lost its line
    number to an ellipsis, the one thing the column is there to give."""
    where = "features/observability.feature:12"
    records = [
        {
            "status": "passed",
            "feature": "Logs and metrics for operators",
            "name": "The metrics endpoint feeds the dashboards",
            "where": where,
        }
    ]
    out = io.StringIO()
    Console(file=out, width=80).print(_other_scenarios_table(records))

    cells = [line.split("│")[3].strip() for line in out.getvalue().splitlines() if "│" in line]
    assert cells == [where, "", ""]  # whole, on the scenario's first line
    assert "…" not in out.getvalue()


def test_a_file_and_line_too_long_for_the_terminal_are_folded_not_cut() -> None:
    where = "qa-features/payments/refunds/partial/" + "x" * 60 + ".feature:7"
    records = [{"status": "failed", "feature": "F", "name": "S", "where": where}]
    out = io.StringIO()
    Console(file=out, width=80).print(_other_scenarios_table(records))

    cells = [line.split("│")[3].strip() for line in out.getvalue().splitlines() if "│" in line]
    assert "".join(cells) == where


def test_a_contract_test_s_node_id_in_the_checklist_is_folded_not_cut(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Found running README command 1: contract evidence, a pytest node id without spaces,
    showed as `tests/contract/test_consumer_e…`, naming no test."""
    node = "tests/contract/test_consumer_export.py::test_products_first_page"
    report = {
        "target": "twin",
        "title": "full",
        "selection": False,
        "passed": True,
        "summary": {"passed": 1},
        "items": [
            {
                "status": "passed",
                "id": "test-typed-contracts",
                "text": "Typed contracts: the modelled G2A API is verified against the twin",
                "evidence": [f"passed {node}"],
            }
        ],
    }
    monkeypatch.setenv("COLUMNS", "80")
    _print_table(report, tmp_path)

    printed = capsys.readouterr().out
    assert "…" not in printed
    cells = [line.split("│")[3].strip() for line in printed.splitlines() if line.startswith("│")]
    assert "".join(cells) == f"passed{node}"  # folded over lines, every character kept


def test_a_selection_that_proves_no_item_leads_its_headline_with_the_scenarios_it_ran(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Found on a QA run of its own scenarios (`--tags @qa-x`): the headline read
    "FAILED: 0 passed, 0 failed, 3 skipped, 28 not run; other scenarios: 1 failed, …", the
    items' "0 failed" first; a full run's headline keeps the items first."""
    own = {"feature": "Own", "where": "qa/own.feature:3"}
    report = {
        "target": "twin",
        "title": "tags qa-x",
        "selection": "tags qa-x",
        "passed": False,
        "summary": {"passed": 0, "failed": 0, "skipped": 3, "not run": 28},
        "items": [],
        "other_scenarios": [
            {**own, "status": "failed", "name": "Fails one"},
            {**own, "status": "passed", "name": "Passes one"},
        ],
    }
    monkeypatch.setenv("COLUMNS", "200")

    _print_table(report, tmp_path)
    _print_table({**report, "selection": "", "title": "full"}, tmp_path)

    headlines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("FAILED")]
    assert headlines == [
        "FAILED: other scenarios: 1 failed, 1 passed; checklist items: 0 passed, 0 failed, "
        f"3 skipped, 28 not run; reports in {tmp_path}/",
        "FAILED: 0 passed, 0 failed, 3 skipped, 28 not run; other scenarios: 1 failed, "
        f"1 passed; reports in {tmp_path}/",
    ]
