"""The CI evidence of checklist item handoff-green: tox's --result-json, its commit, tox.ini.

`data/tox/` holds real tox 4 output: `green-run.json` (`tox --result-json`) and
`narrowed-run.json` (`tox -e unit,bdd -- -k smoke`) of the tox.ini beside them.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
from gate_support import TOX_LAYER_COMMANDS, tox_result

from harness.gate.checks.ci import check_ci
from harness.gate.evidence import Evidence
from harness.gate.model import Status
from harness.gate.toxresult import ToxIniError, command_matches, layer_commands, layer_runs

DATA = Path(__file__).with_name("data") / "tox"
PROJECT_TOX_INI = Path(__file__).resolve().parents[3] / "tox.ini"
HEAD = "3f2a9c1e" * 5
RUN_ALL = (
    "run every layer on this commit: "
    "`git rev-parse HEAD > reports/tox.commit && tox --result-json reports/tox.json` "
    "(or pass --ci-report PATH)"
)


def with_ci(evidence: Evidence, **changes: Any) -> Evidence:
    return dataclasses.replace(evidence, ci=dataclasses.replace(evidence.ci, **changes))


def real(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DATA / name).read_text())
    return data


def test_green_run_on_head_is_go(clean: Evidence) -> None:
    result = check_ci(clean)
    assert (result.status, result.reason, result.evidence) == (
        Status.GO,
        "all 7 layers green (lint, type, unit, integration, bdd, contract, load) "
        "on HEAD 3f2a9c1e3f2a",
        "reports/tox.json",
    )


def test_the_project_tox_ini_gives_every_layer_its_commands() -> None:
    assert layer_commands(PROJECT_TOX_INI.read_text()) == TOX_LAYER_COMMANDS


def test_a_real_tox_result_of_every_layer_is_go(clean: Evidence) -> None:
    commands = layer_commands((DATA / "tox.ini").read_text())
    assert commands["unit"] == (("python", "-c", "import sys; print(sys.argv)"),)  # inherited
    assert len(commands["lint"]) == 2
    result = check_ci(with_ci(clean, data=real("green-run.json"), layer_commands=commands))
    assert result.status is Status.GO


def test_a_real_run_narrowed_by_posargs_and_missing_layers_is_no_go(clean: Evidence) -> None:
    commands = layer_commands((DATA / "tox.ini").read_text())
    result = check_ci(with_ci(clean, data=real("narrowed-run.json"), layer_commands=commands))
    assert result.status is Status.NO_GO
    assert result.details == (
        "lint: not in the run",
        "type: not in the run",
        "unit ran `python -c 'import sys; print(sys.argv)' -k smoke`, "
        "tox.ini at HEAD says `python -c 'import sys; print(sys.argv)'`",
        "integration: not in the run",
        "bdd ran `python -c 'import sys; print(sys.argv)' -k smoke`, "
        "tox.ini at HEAD says `python -c 'import sys; print(sys.argv)'`",
        "contract: not in the run",
        "load: not in the run",
    )
    assert result.reason == "reports/tox.json: 7 layer(s) not green (lint: not in the run)"
    assert result.fix == (
        "make every layer green on this commit, then "
        "`git rev-parse HEAD > reports/tox.commit && tox --result-json reports/tox.json`"
    )


def test_a_failing_layer_names_its_command(clean: Evidence) -> None:
    result = check_ci(with_ci(clean, data=tox_result(exit_codes={"contract": 1})))
    assert result.status is Status.NO_GO
    assert result.details == (
        "contract: failed (exit 1): /ci/.tox/contract/bin/pytest tests/contract",
    )


def test_a_skipped_layer_is_not_green(clean: Evidence) -> None:
    result = check_ci(with_ci(clean, data=tox_result(skipped=("load",))))
    assert (result.status, result.details) == (Status.NO_GO, ("load: skipped",))


def test_a_failed_build_env_outside_the_layers_counts(clean: Evidence) -> None:
    data = tox_result()
    data["testenvs"][".pkg"] = {"result": {"success": False, "exit_code": 1, "skipped": False}}
    result = check_ci(with_ci(clean, data=data))
    assert (result.status, result.details) == (Status.NO_GO, (".pkg: failed (exit 1)",))


def test_a_run_of_another_commit_is_no_go(clean: Evidence) -> None:
    result = check_ci(with_ci(clean, commit="0123456789abcdef"))
    assert (result.status, result.reason) == (
        Status.NO_GO,
        "reports/tox.json is the run of commit 0123456789ab, HEAD is 3f2a9c1e3f2a",
    )
    assert result.fix == RUN_ALL


def test_an_abbreviated_commit_id_of_head_is_accepted(clean: Evidence) -> None:
    assert check_ci(with_ci(clean, commit=HEAD[:7].upper())).status is Status.GO
    assert check_ci(with_ci(clean, commit=HEAD[:6])).status is Status.NO_GO  # ambiguous


def test_no_ci_result_is_a_warning_that_says_so(clean: Evidence) -> None:
    result = check_ci(with_ci(clean, data=None, error="missing"))
    assert (result.status, result.reason, result.fix) == (
        Status.WARN,
        "handoff-green is not proven: reports/tox.json is missing, no CI result was given",
        RUN_ALL,
    )


def test_a_green_run_not_tied_to_a_commit_is_a_warning(clean: Evidence) -> None:
    result = check_ci(with_ci(clean, commit=None))
    assert (result.status, result.reason) == (
        Status.WARN,
        "handoff-green is not proven: all 7 layers green (lint, type, unit, integration, bdd, "
        "contract, load), but not tied to a commit: reports/tox.commit is missing",
    )


def test_commands_not_comparable_without_tox_ini_is_a_warning(clean: Evidence) -> None:
    evidence = with_ci(
        clean, layer_commands=None, commands_error="tox.ini is not in the commit at HEAD"
    )
    result = check_ci(evidence)
    assert result.status is Status.WARN
    assert result.reason.endswith(
        "but commands not compared with tox.ini: tox.ini is not in the commit at HEAD"
    )


@pytest.mark.parametrize(
    ("data", "error", "reason"),
    [
        (None, "unreadable: JSONDecodeError", "reports/tox.json is unreadable: JSONDecodeError"),
        (
            {"kind": "checklist"},
            None,
            "reports/tox.json is not a tox --result-json document (no toxversion / testenvs)",
        ),
    ],
)
def test_broken_ci_evidence_is_no_go(
    clean: Evidence, data: dict[str, Any] | None, error: str | None, reason: str
) -> None:
    result = check_ci(with_ci(clean, data=data, error=error))
    assert (result.status, result.reason) == (Status.NO_GO, reason)


def test_tox_substitutions_match_any_value_and_programs_match_by_name() -> None:
    expected = ("pytest", "{toxinidir}/tests", "-q")
    assert command_matches(expected, ["/w/.tox/unit/bin/pytest", "/w/tests", "-q"])
    assert not command_matches(expected, ["/w/.tox/unit/bin/pytest", "/w/tests"])
    assert not command_matches(expected, ["/w/.tox/unit/bin/python", "/w/tests", "-q"])


def test_tox_ini_without_a_layer_is_refused() -> None:
    with pytest.raises(ToxIniError, match=r"tox\.ini declares no commands for the load layer"):
        layer_commands("[testenv:lint]\ncommands = ruff check .\n", ("lint", "load"))


def test_listed_but_unrun_envs_are_not_runs() -> None:
    runs = layer_runs(real("narrowed-run.json"))
    assert sorted(runs) == ["bdd", "unit"]
    assert (runs["unit"].success, runs["unit"].skipped) == (True, False)
    assert runs["unit"].commands == (
        (
            (
                "/tmp/toxprobe/.tox/unit/bin/python",
                "-c",
                "import sys; print(sys.argv)",
                "-k",
                "smoke",
            ),
            0,
        ),
    )
