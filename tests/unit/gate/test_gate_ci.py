"""The CI evidence of checklist item handoff-green: the CI record, tox's result, junit counts.

`data/tox/` holds real tox 4 output of the tox.ini beside it, run in a throwaway git
repository whose layers start with `python -m harness.envelope` as the project's do:
`green-run.json` (`tox --result-json`) and `narrowed-run.json` (`tox -e unit,bdd -- -k smoke`).
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
from gate_support import (
    HEAD,
    NOW,
    TESTED_LAYERS,
    TOX_LAYER_COMMANDS,
    ci_run,
    default_junit,
    envelope,
    junit_xml,
    store_backend,
    tox_result,
)

from harness.gate.checks.ci import check_ci
from harness.gate.evidence import Binding, Evidence, ReportFile
from harness.gate.junit import junit_counts
from harness.gate.model import Status
from harness.gate.toxresult import (
    ToxIniError,
    command_matches,
    layer_commands,
    layer_runs,
    missing_commands,
)

DATA = Path(__file__).with_name("data") / "tox"
PROJECT_TOX_INI = Path(__file__).resolve().parents[3] / "tox.ini"
RUN_CI = "run `CI=true bash .ci/run` on a clean checkout of this commit (CI: the `layers` job)"
LAYERS = "lint, type, build, unit, integration, bdd, contract, load"


def with_ci(evidence: Evidence, **changes: Any) -> Evidence:
    return dataclasses.replace(evidence, ci=dataclasses.replace(evidence.ci, **changes))


def real(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DATA / name).read_text())
    return data


def test_green_run_on_head_is_go(clean: Evidence) -> None:
    result = check_ci(clean)
    assert (result.status, result.reason, result.evidence) == (
        Status.GO,
        f"all 8 layers green ({LAYERS}) on {HEAD[:12]}, 22 tests ran, "
        "none skipped, store suites run on redis and postgres",
        "reports/ci/ci.json",
    )


def test_the_project_tox_ini_gives_every_layer_its_commands() -> None:
    assert layer_commands(PROJECT_TOX_INI.read_text()) == TOX_LAYER_COMMANDS
    assert [
        p for layer, argvs in TOX_LAYER_COMMANDS.items() for p in missing_commands(layer, argvs)
    ] == []


def test_a_real_tox_result_of_every_layer_matches_its_tox_ini(clean: Evidence) -> None:
    """Real tox output parses, and each layer ran its tox.ini's commands on the commit tox
    recorded; what remains is only what that toy tox.ini leaves out (no ruff, mypy, pytest)."""
    commands = layer_commands((DATA / "tox.ini").read_text())
    assert commands["unit"] == (("python", "-c", "import sys; print(sys.argv)"),)  # inherited
    data = real("green-run.json")
    commit = layer_runs(data)["lint"].stamp["commit"]  # type: ignore[index]
    evidence = dataclasses.replace(
        clean, binding=Binding(commit, NOW, 24.0), ci=ci_run(data, junit={}, commit=commit)
    )
    evidence = with_ci(evidence, layer_commands=commands, counts=clean.ci.counts)
    result = check_ci(evidence)
    assert all(
        "tox.ini at HEAD does not run" in problem or problem.endswith(".xml is missing")
        for problem in result.details
    ), result.details


def test_tox_records_the_commit_each_layer_ran_on() -> None:
    runs = layer_runs(real("green-run.json"))
    stamps = {name: run.stamp for name, run in runs.items()}
    assert set(stamps) == set(LAYERS.split(", "))
    (stamp,) = {json.dumps(s) for s in stamps.values()}  # one commit, clean, for every layer
    assert json.loads(stamp)["dirty"] is False
    assert len(json.loads(stamp)["commit"]) == 40


def test_a_real_run_narrowed_by_posargs_and_missing_layers_is_no_go(clean: Evidence) -> None:
    commands = layer_commands((DATA / "tox.ini").read_text())
    data = real("narrowed-run.json")
    commit = layer_runs(data)["unit"].stamp["commit"]  # type: ignore[index]
    evidence = dataclasses.replace(
        clean, binding=Binding(commit, NOW, 24.0), ci=ci_run(data, junit={}, commit=commit)
    )
    result = check_ci(with_ci(evidence, layer_commands=commands))
    assert result.status is Status.NO_GO
    assert result.details == (
        "lint: not in the run",
        "type: not in the run",
        "build: not in the run",
        "unit ran `python -c 'import sys; print(sys.argv)' -k smoke`, "
        "tox.ini at HEAD says `python -c 'import sys; print(sys.argv)'`",
        "integration: not in the run",
        "bdd ran `python -c 'import sys; print(sys.argv)' -k smoke`, "
        "tox.ini at HEAD says `python -c 'import sys; print(sys.argv)'`",
        "contract: not in the run",
        "load: not in the run",
        "lint: tox.ini at HEAD does not run `ruff check`",
        "lint: tox.ini at HEAD does not run `ruff format --check`",
        "type: tox.ini at HEAD does not run `mypy`",
        *(f"{layer}: tox.ini at HEAD does not run `pytest --junitxml`" for layer in TESTED_LAYERS),
        *(f"reports/ci/{layer}.xml is missing" for layer in TESTED_LAYERS),
        "no redis store test ran",
        "no postgres store test ran",
    )
    assert result.reason == "reports/ci/ci.json: 25 problem(s) (lint: not in the run)"
    assert result.fix == RUN_CI


def test_a_failing_layer_names_its_command(clean: Evidence) -> None:
    result = check_ci(with_ci(clean, **_tox(tox_result(exit_codes={"contract": 1}))))
    assert result.status is Status.NO_GO
    assert result.details == (
        "contract: failed (exit 1): /ci/.tox/contract/bin/pytest tests/contract "
        "--junitxml=/ci/reports/ci/contract.xml",
    )


def test_a_red_build_layer_is_not_green(clean: Evidence) -> None:
    result = check_ci(with_ci(clean, **_tox(tox_result(exit_codes={"build": 2}))))
    assert result.details[0].startswith("build: failed (exit 2): /ci/.tox/build/bin/pytest")


def test_a_skipped_layer_is_not_green(clean: Evidence) -> None:
    result = check_ci(with_ci(clean, **_tox(tox_result(skipped=("load",)))))
    assert (result.status, result.details) == (Status.NO_GO, ("load: skipped",))


def test_a_failed_env_outside_the_layers_counts(clean: Evidence) -> None:
    data = tox_result()
    data["testenvs"][".pkg"] = {"result": {"success": False, "exit_code": 1, "skipped": False}}
    result = check_ci(with_ci(clean, **_tox(data)))
    assert (result.status, result.details) == (Status.NO_GO, (".pkg: failed (exit 1)",))


def _tox(data: dict[str, Any]) -> dict[str, Any]:
    """The CiRun fields of a CI run whose tox result is `data` (the record lists its digest)."""
    run = ci_run(data)
    return {"record": run.record, "tox": run.tox}


def test_a_ci_record_of_another_commit_names_both(clean: Evidence) -> None:
    result = check_ci(with_ci(clean, **_fields(ci_run(commit="0123456789abcdef" * 2 + "01234567"))))
    assert (result.status, result.reason) == (
        Status.NO_GO,
        f"handoff-green is not proven: reports/ci/ci.json was produced at commit 0123456789ab, "
        f"the repository is at {HEAD[:12]}",
    )
    assert result.fix == RUN_CI


def _fields(run: Any) -> dict[str, Any]:
    return {f.name: getattr(run, f.name) for f in dataclasses.fields(run)}


def test_a_tox_result_edited_after_the_record_is_refused(clean: Evidence) -> None:
    """The sidecar trick of old: the record binds tox.json by its digest."""
    edited = dataclasses.replace(clean.ci.tox, sha256="0" * 64)
    result = check_ci(with_ci(clean, tox=edited))
    assert result.reason == (
        "handoff-green is not proven: reports/ci/tox.json is not the file the CI record lists "
        "(sha256 differs)"
    )


def test_tox_s_own_record_of_the_commit_must_be_head(clean: Evidence) -> None:
    """A record re-sealed over an older tox run still shows the commit tox ran on."""
    older = tox_result(commit="feedc0de" * 5)
    result = check_ci(with_ci(clean, **_tox(older)))
    assert result.details[0] == f"lint: tox recorded commit feedc0defeed, HEAD is {HEAD[:12]}"
    assert len(result.details) == 8


def test_a_layer_run_on_a_dirty_tree_is_refused(clean: Evidence) -> None:
    result = check_ci(with_ci(clean, **_tox(tox_result(dirty=True))))
    assert result.details[0] == "lint: ran on a dirty tree"


def test_a_layer_without_the_stamp_is_refused(clean: Evidence) -> None:
    data = tox_result()
    for env in data["testenvs"].values():
        env["test"] = env["test"][1:]
    result = check_ci(with_ci(clean, **_tox(data)))
    assert result.details[0] == f"lint: tox recorded commit None, HEAD is {HEAD[:12]}"


def test_skipped_store_tests_are_not_a_green_ci(clean: Evidence) -> None:
    junit = {**default_junit(), "integration": junit_xml("integration")}
    junit["unit"] = junit_xml("unit").replace(
        "</testsuite>",
        f'<testcase name="test_claim[redis]">{store_backend("redis")}<skipped message="no redis"/>'
        f'</testcase><testcase name="test_claim[postgres]">{store_backend("postgres")}</testcase>'
        "</testsuite>",
    )
    result = check_ci(with_ci(clean, **_fields(ci_run(junit=junit))))
    assert result.details == (
        "unit: 1 of 5 test(s) skipped (a CI=true run skips none: was CI=true set?)",
        "1 redis store test(s) skipped (CI=true requires them)",
    )


def test_a_tested_layer_without_its_junit_file_is_refused(clean: Evidence) -> None:
    junit = default_junit()
    del junit["bdd"]
    result = check_ci(with_ci(clean, **_fields(ci_run(junit=junit))))
    assert result.details == ("reports/ci/bdd.xml is missing",)


def test_failed_or_absent_tests_in_a_junit_file(clean: Evidence) -> None:
    junit = {
        **default_junit(),
        "bdd": junit_xml("bdd", failed=2),
        "load": junit_xml("load", passed=0),
    }
    result = check_ci(with_ci(clean, **_fields(ci_run(junit=junit))))
    assert result.details == ("bdd: 2 test(s) failed", "load: no test ran")


def test_a_junit_file_edited_after_the_record(clean: Evidence) -> None:
    junit = dict(clean.ci.junit)
    junit["unit"] = ReportFile("reports/ci/unit.xml", sha256="f" * 64)
    result = check_ci(with_ci(clean, junit=junit))
    assert result.details == (
        "reports/ci/unit.xml is not the file the CI record lists (sha256 differs)",
    )


def test_no_ci_record_is_a_no_go_naming_the_command(clean: Evidence) -> None:
    result = check_ci(with_ci(clean, record=ReportFile("reports/ci/ci.json", error="missing")))
    assert (result.status, result.reason, result.fix) == (
        Status.NO_GO,
        "handoff-green is not proven: reports/ci/ci.json is missing",
        RUN_CI,
    )


def test_a_record_with_a_broken_signature_is_refused(clean: Evidence) -> None:
    record = dataclasses.replace(clean.ci.record, signature="invalid")
    result = check_ci(with_ci(clean, record=record))
    assert result.reason == (
        "handoff-green is not proven: reports/ci/ci.json has a broken signature "
        "(edited after it was written, or signed with another key)"
    )


def test_commands_not_comparable_without_tox_ini_is_no_go(clean: Evidence) -> None:
    evidence = with_ci(
        clean, layer_commands=None, commands_error="tox.ini is not in the commit at HEAD"
    )
    result = check_ci(evidence)
    assert (result.status, result.reason) == (
        Status.NO_GO,
        "handoff-green is not proven: tox.ini is not in the commit at HEAD",
    )


def test_a_foreign_tox_result_is_refused(clean: Evidence) -> None:
    result = check_ci(with_ci(clean, **_tox({"kind": "checklist"})))
    assert result.reason == (
        "handoff-green is not proven: reports/ci/tox.json is not a tox --result-json document "
        "(no toxversion / testenvs)"
    )


def test_the_record_is_a_ci_record(clean: Evidence) -> None:
    record = ReportFile("reports/ci/ci.json", {"kind": "load", "envelope": envelope()})
    assert check_ci(with_ci(clean, record=record)).reason == (
        "handoff-green is not proven: reports/ci/ci.json is not a ci report (kind='load')"
    )


def test_junit_counts_backends_by_the_store_backend_property_not_by_names() -> None:
    text = junit_xml("unit", passed=1).replace(
        "</testsuite>",
        f'<testcase name="test_a[lease]">{store_backend("redis")}</testcase>'
        '<testcase name="test_urls[redis://h:6379/0-redis]"/>'  # a name, no marker
        f'<testcase name="test_b">{store_backend("mysql")}</testcase>'  # not a gate backend
        '<testcase name="test_c"><properties><property name="other" value="postgres"/>'
        "</properties></testcase>"
        f'<testcase name="test_d">{store_backend("postgres")}<skipped/></testcase>'
        '<testcase name="test_e[x]"><error/></testcase></testsuite>',
    )
    counts = junit_counts(text)
    assert (counts.tests, counts.failed, counts.skipped) == (7, 1, 1)
    assert counts.backends == {"redis": (1, 0), "postgres": (0, 1)}


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


@pytest.mark.parametrize("exit_code", [1, None, "0"])
def test_a_ci_record_whose_tox_did_not_exit_0_is_refused(clean: Evidence, exit_code: Any) -> None:
    """tox.json can look green while tox itself failed (a layer it never wrote, say)."""
    record = dataclasses.replace(
        clean.ci.record, data={**(clean.ci.record.data or {}), "tox_exit_code": exit_code}
    )
    result = check_ci(with_ci(clean, record=record))
    assert (result.status, result.reason, result.fix) == (
        Status.NO_GO,
        f"handoff-green is not proven: reports/ci/ci.json says tox exited {exit_code}",
        RUN_CI,
    )


def test_a_tox_result_with_a_command_that_is_not_a_list_is_refused(clean: Evidence) -> None:
    broken = tox_result()
    broken["testenvs"]["unit"]["test"][-1]["command"] = 5
    result = check_ci(with_ci(clean, **_fields(ci_run(tox=broken))))
    assert (result.status, result.reason) == (
        Status.NO_GO,
        "handoff-green is not proven: reports/ci/tox.json is not a tox --result-json document "
        "(a command that is 5)",
    )


def test_any_skipped_test_in_a_tested_layer_is_refused(clean: Evidence) -> None:
    """Under CI=true a test the machine cannot run fails (tests/machine_support.require); a real
    CI run skips none, so a skip means the run was not CI's (CI=true unset)."""
    junit = {
        layer: junit_xml(layer, passed=1, skipped=500, backends=2 if layer == "integration" else 0)
        for layer in TESTED_LAYERS
    }
    result = check_ci(with_ci(clean, **_fields(ci_run(junit=junit))))
    assert result.status is Status.NO_GO
    assert result.details[0] == (
        "build: 500 of 501 test(s) skipped (a CI=true run skips none: was CI=true set?)"
    )
    assert len(result.details) == len(TESTED_LAYERS)


def test_the_go_reason_counts_the_tests_that_ran_and_the_skips(clean: Evidence) -> None:
    assert "22 tests ran, none skipped" in check_ci(clean).reason


@pytest.mark.parametrize("layer", TESTED_LAYERS)
def test_a_tested_layer_whose_tox_ini_runs_no_pytest_is_refused(
    clean: Evidence, layer: str
) -> None:
    """tox.ini at HEAD defines what a layer runs; the gate still needs each tested layer's
    pytest with its junit file."""
    commands = {**TOX_LAYER_COMMANDS, layer: (("python", "-c", "pass"),)}
    junit = {k: v for k, v in default_junit().items() if k != layer}
    run = ci_run(tox=tox_result(commands), junit=junit)
    result = check_ci(with_ci(clean, **_fields(dataclasses.replace(run, layer_commands=commands))))
    assert result.status is Status.NO_GO
    assert f"{layer}: tox.ini at HEAD does not run `pytest --junitxml`" in result.details
    assert f"reports/ci/{layer}.xml is missing" in result.details


def test_a_pytest_layer_without_its_junit_file_option_is_refused(clean: Evidence) -> None:
    commands = {**TOX_LAYER_COMMANDS, "unit": (("pytest", "tests/unit"),)}
    run = ci_run(tox=tox_result(commands))
    result = check_ci(with_ci(clean, **_fields(dataclasses.replace(run, layer_commands=commands))))
    assert result.details == ("unit: tox.ini at HEAD does not run `pytest --junitxml`",)


@pytest.mark.parametrize(
    ("layer", "needed"),
    [("lint", "ruff check"), ("lint", "ruff format --check"), ("type", "mypy")],
)
def test_lint_and_type_must_run_their_tools(clean: Evidence, layer: str, needed: str) -> None:
    kept = tuple(
        c for c in TOX_LAYER_COMMANDS[layer] if " ".join(c[: len(needed.split())]) != needed
    )
    commands = {**TOX_LAYER_COMMANDS, layer: kept or (("python", "-c", "pass"),)}
    run = ci_run(tox=tox_result(commands))
    result = check_ci(with_ci(clean, **_fields(dataclasses.replace(run, layer_commands=commands))))
    assert result.details == (f"{layer}: tox.ini at HEAD does not run `{needed}`",)


def test_a_tox_ini_command_that_does_not_split_is_a_tox_ini_error() -> None:
    with pytest.raises(ToxIniError, match=r"tox\.ini: the unit layer's commands do not parse"):
        layer_commands("[testenv]\ncommands = pytest 'tests/unit\n", ("unit",))
