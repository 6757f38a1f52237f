"""Evidence of a clean run, shared by the gate's unit and integration tests.

The report builders follow the report schemas of specs/011-g2a-integration-audit/data-model.md §6
(written by `g2a-harness run`, `contracts verify` and `load`, and `.ci/run`'s CI record), each
with the evidence envelope of `harness/envelope.py`; the gate reads nothing else.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from harness.bdd.discovery import feature_files_below
from harness.checklist import load_checklist
from harness.load.profiles import INVARIANTS

REPO_ROOT = Path(__file__).resolve().parents[1]
NOW = datetime.fromisoformat("2026-11-27T12:00:00+00:00")
HEAD = "3f2a9c1e" * 5  # the commit unit tests judge; integration tests use their repo's HEAD
TWIN_URL = "http://127.0.0.1:8765"
SANDBOX_URL = "https://sandboxapi.g2a.com/v1"
EVIDENCE_KEY = "gate-test-evidence-key"
# Every check of a clean rehearsal: these run without G2A_EVIDENCE_KEY, which only the
# sandbox gate requires.
ALL_GO = {
    "signing": "for sandbox",
    "config": "go",
    "credentials": "go",
    "secrets": "go",
    "checkout": "go",
    "ci": "go",
    "checklist": "go",
    "twin-items": "go",
    "contracts": "go",
    "load": "go",
    "health": "go",
    "metrics": "go",
}


def stamp(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


def envelope(
    at: datetime = NOW,
    commit: str = HEAD,
    *,
    target: str = "twin",
    base_url: str | None = TWIN_URL,
    suite: str = "full",
    **overrides: Any,
) -> dict[str, Any]:
    """What `harness.envelope.capture` writes, for a run that finished at `at`."""
    found = {
        "commit": commit,
        "dirty": False,
        "target": target,
        "base_url": base_url,
        "host": urlsplit(base_url).hostname if base_url else None,
        "suite": suite,
        "started_at": stamp(at - timedelta(minutes=3)),
        "finished_at": stamp(at),
        "tools": {"python": "3.11.7", "g2a-harness": "0.1.0", "pytest": "9.1.0"},
        "ci_run_id": None,
    }
    return {**found, **overrides}


def target_url(target: str) -> str:
    return SANDBOX_URL if target == "sandbox" else TWIN_URL


def checklist_report(
    at: datetime = NOW, target: str = "twin", commit: str = HEAD, **overrides: Any
) -> dict[str, Any]:
    items = [
        {
            "id": item.id,
            "area": item.area,
            "text": item.text,
            # the items the gate decides itself are skipped by every run
            "status": "skipped" if item.gates() else "passed",
            "evidence": [f"tag:chk-{item.id}"],
        }
        for item in load_checklist()
    ]
    report = {
        "kind": "checklist",
        "generated_at": stamp(at),
        "target": target,
        "passed": True,
        "suite": "full",
        "items": items,
        # on the twin the harness starts Prometheus; elsewhere the operator's answers
        "dashboards": dashboards_proof("harness" if target == "twin" else "prometheus-url"),
        "envelope": envelope(at, commit, target=target, base_url=target_url(target)),
    }
    return {**report, **overrides}


def run_results(target: str) -> list[Any]:
    """What `g2a-harness run --target T --suite full` records when every test it keeps passes:
    each scenario of features/ (the bdd plugin deselects those `harness.targets.allowed_on`
    keeps off T), the contract suite, and the dashboards proof."""
    from gherkin.parser import Parser
    from gherkin.pickles.compiler import Compiler, GherkinDocumentWithURI

    from harness.checklist import RunResult
    from harness.targets import allowed_on

    results = []
    for path in feature_files_below(REPO_ROOT / "features"):
        document = GherkinDocumentWithURI(**Parser().parse(path.read_text()), uri=path.name)
        for pickle in Compiler().compile(document):
            tags = frozenset(tag["name"].removeprefix("@") for tag in pickle["tags"])
            allowed, why = allowed_on(target, tags)
            node = f"tests/bdd/test_features.py::{pickle['id']}"
            outcome = "passed" if allowed else "skipped"
            results.append(RunResult(node, pickle["name"], outcome, tags, why))
    contract = "tests/contract/test_pact_files.py::test_every_interaction_is_modelled"
    results.append(RunResult(contract, contract, "passed", frozenset()))
    results.append(RunResult("prometheus:dashboards", "dashboards", "passed", frozenset()))
    return results


def run_checklist(
    at: datetime = NOW, target: str = "sandbox", commit: str = HEAD, **overrides: Any
) -> dict[str, Any]:
    """checklist.json as a full run on `target` writes it (`harness.checklist.judge_all`,
    `harness.report.checklist_report`) when every test it keeps passes: on the sandbox, the
    items only twin scenarios prove are skipped."""
    from harness.checklist import judge_all
    from harness.report import checklist_report as report_of

    url = target_url(target)
    verdicts = judge_all(load_checklist(), run_results(target), target, "", urlsplit(url).hostname)
    extra = {
        "target_url": url,
        "dashboards": dashboards_proof("harness" if target == "twin" else "prometheus-url"),
        "envelope": envelope(at, commit, target=target, base_url=url),
    }
    report = report_of(verdicts, target=target, suite="full", generated_at=at, extra=extra)
    return {**report, **overrides}


def dashboards_proof(source: str = "harness", series: int = 3) -> dict[str, Any]:
    """The `dashboards` section `g2a-harness run` writes (harness.dashboards.proof)."""
    return {
        "status": "proven",
        "reason": "all 2 panel queries returned data",
        "prometheus": {"url": "http://127.0.0.1:9090", "source": source, "version": "2.42.0"},
        "scraped_jobs": ["g2a-receiver", "g2a-service"],
        "queries": [
            {
                "panel": "Requests",
                "expr": "sum(rate(g2a_requests_total[5m]))",
                "series": series,
                "values": ["0.5"] * series,
            },
            {
                "panel": "Token TTL",
                "expr": "min(g2a_token_ttl_seconds > 0)",
                "series": 1,
                "values": ["250"],
            },
        ],
    }


# The contract folders a test repository commits (`harness.contracts.report.COMMITTED_FOLDERS`).
CONTRACT_FILES = {
    "contracts/openapi/export.yaml": "openapi: 3.0.3\npaths: {}\n",
    "contracts/pacts/g2a-adapter-g2a-export-api.json": '{"interactions": [{"description": "x"}]}\n',
    "contracts/pacts/g2a-adapter-g2a-import-api.json": '{"interactions": [{"description": "y"}]}\n',
    "tests/cassettes/export.yaml": "interactions: []\n",
}


def contract_folders(files: dict[str, str] | None = None) -> dict[str, dict[str, Any]]:
    """`folder_record` of each contract folder holding `files` (default `CONTRACT_FILES`)."""
    from harness.contracts.report import COMMITTED_FOLDERS, folder_digest

    chosen = CONTRACT_FILES if files is None else files
    records = {}
    for name, folder in COMMITTED_FOLDERS.items():
        inside = [
            (Path(path).relative_to(folder).as_posix(), text.encode())
            for path, text in chosen.items()
            if Path(path).is_relative_to(folder)
        ]
        records[name] = {"dir": str(folder), "files": len(inside), "sha256": folder_digest(inside)}
    return records


def committed_contracts(files: dict[str, str] | None = None) -> dict[str, str | None]:
    """What the gate finds committed at HEAD when the repository holds `files`."""
    return {name: record["sha256"] for name, record in contract_folders(files).items()}


def contracts_report(at: datetime = NOW, commit: str = HEAD, **overrides: Any) -> dict[str, Any]:
    folders = contract_folders()
    report = {
        "kind": "contracts",
        "generated_at": stamp(at),
        "target": "twin",
        "passed": True,
        "pacts_verified": True,
        "drift_checked": True,
        "drift": [],
        "provider_url": TWIN_URL,
        "parts": {
            "verify": envelope(at, commit, suite="verify"),
            "drift": envelope(at, commit, target="files", base_url=None, suite="drift"),
        },
        "sources": {
            "verify": {"pacts": folders["pacts"]},
            "drift": folders,
        },
    }
    return {**report, **overrides}


def load_report(at: datetime = NOW, commit: str = HEAD, **overrides: Any) -> dict[str, Any]:
    slos = [
        {"name": "p99_latency_ms", "target": 250, "actual": 41.0, "passed": True},
        {"name": "error_rate", "target": 0.01, "actual": 0.0, "passed": True},
    ]
    invariants = [{"name": name, "passed": True} for name in INVARIANTS]
    report = {
        "kind": "load",
        "generated_at": stamp(at),
        "target": "twin",
        "passed": True,
        "profile": "smoke",
        "users": 6,  # the smoke profile's own, as `g2a-harness load --profile smoke` runs it
        "spawn_rate": 6.0,
        "run_time_s": 20,
        "web": False,
        "measured": {"duration_s": 19.6, "peak_users": 6},  # what ran: headless, to its end
        "slos": slos,
        "invariants": invariants,
        "envelope": envelope(at, commit, suite="smoke"),
    }
    return {**report, **overrides}


JUNIT = "{tox_root}{/}reports{/}ci{/}{env_name}.xml"
XDIST = ("-n", "auto", "--dist", "loadfile")  # the layers tox.ini spreads over the cores
# the integration layer's files in collection order, its longest test first (its conftest.py)
INTEGRATION_XDIST = (*XDIST, "--no-loadscope-reorder")
LOAD_XDIST = ("-n", "auto", "--dist", "worksteal")  # the load layer's (tests/load/conftest.py)
# What the project's tox.ini runs per layer (pinned against the file in test_gate_ci.py).
TOX_LAYER_COMMANDS: dict[str, tuple[tuple[str, ...], ...]] = {
    "lint": (("ruff", "check", "."), ("ruff", "format", "--check", ".")),
    "type": (("mypy",),),
    "build": (("pytest", "tests/packaging", f"--junitxml={JUNIT}"),),
    "unit": (("pytest", *XDIST, "tests/unit", f"--junitxml={JUNIT}"),),
    "integration": (
        (
            "pytest",
            *INTEGRATION_XDIST,
            "tests/integration",
            "tests/e2e",
            f"--junitxml={JUNIT}",
        ),
    ),
    "bdd": (("pytest", "tests/bdd", f"--junitxml={JUNIT}"),),
    "contract": (("pytest", "tests/contract", f"--junitxml={JUNIT}"),),
    "load": (("pytest", *LOAD_XDIST, "tests/load", f"--junitxml={JUNIT}"),),
}
TESTED_LAYERS = ("build", "unit", "integration", "bdd", "contract", "load")


def _ran(argv: tuple[str, ...], layer: str) -> list[str]:
    """The argv tox records: the program's path in the env, substitutions filled in."""
    filled = [a.replace(JUNIT, f"/ci/reports/ci/{layer}.xml") for a in argv[1:]]
    return [f"/ci/.tox/{layer}/bin/{argv[0]}", *filled]


def tox_result(
    commands: dict[str, tuple[tuple[str, ...], ...]] | None = None,
    *,
    exit_codes: dict[str, int] | None = None,
    skipped: tuple[str, ...] = (),
    commit: str = HEAD,
    dirty: bool = False,
) -> dict[str, Any]:
    """A `tox --result-json` document (tox 4 layout, as in data/tox/green-run.json), each
    layer first printing the `python -m harness.envelope` stamp."""
    envs: dict[str, Any] = {}
    line = json.dumps({"commit": commit, "dirty": dirty, "ci_run_id": None})
    for layer, argvs in (TOX_LAYER_COMMANDS if commands is None else commands).items():
        code = (exit_codes or {}).get(layer, 0)
        pre = {
            "command": [f"/ci/.tox/{layer}/bin/python", "-m", "harness.envelope"],
            "output": line + "\n",
            "retcode": 0,
            "run_id": "commands_pre[0]",
        }
        tests = [
            {
                "command": _ran(argv, layer),
                "output": "",
                "err": "",
                "retcode": code if index == len(argvs) - 1 else 0,
                "elapsed": 1.5,
                "show_on_standard": True,
                "run_id": f"commands[{index}]",
                "start": 10.0,
                "end": 11.5,
            }
            for index, argv in enumerate(argvs)
        ]
        result = {"success": code == 0, "exit_code": code, "duration": 2.0}
        envs[layer] = {"result": {**result, "skipped": layer in skipped}, "test": [pre, *tests]}
    return {
        "reportversion": "1",
        "toxversion": "4.67.15",
        "platform": "linux",
        "host": "ci",
        "testenvs": envs,
    }


def junit_xml(
    layer: str,
    passed: int = 3,
    *,
    skipped: int = 0,
    failed: int = 0,
    backends: int = 0,
    tests: Iterable[tuple[str, str]] = (),
) -> str:
    """pytest's junit file: `passed` cases of module `tests.<layer>` and one per (classname,
    name) of `tests`; the store layers add `backends` tests per Redis and PostgreSQL."""

    def case(name: str, inner: str = "", classname: str = f"tests.{layer}") -> str:
        return f'<testcase classname="{classname}" name="{name}">{inner}</testcase>'

    cases = [case(f"test_{n}") for n in range(passed)]
    cases += [case(f"{name}[1]", classname=classname) for classname, name in tests]
    cases += [case(f"test_skip_{n}", '<skipped message="s"/>') for n in range(skipped)]
    cases += [case(f"test_fail_{n}", '<failure message="f"/>') for n in range(failed)]
    for backend in ("redis", "postgres") if backends else ():
        marked = store_backend(backend)
        cases += [case(f"test_claim_{n}[{backend}]", marked) for n in range(backends)]
    suite = f'<testsuite name="pytest">{"".join(cases)}</testsuite>'
    return f'<?xml version="1.0"?><testsuites>{suite}</testsuites>'


def store_backend(backend: str) -> str:
    """The junit properties of a test marked with a store backend (tests/conftest.py)."""
    return f'<properties><property name="store_backend" value="{backend}"/></properties>'


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def default_junit() -> dict[str, str]:
    """Every tested layer green; the integration layer ran the store suites on both backends."""
    return {
        layer: junit_xml(layer, backends=2 if layer == "integration" else 0)
        for layer in TESTED_LAYERS
    }


def ci_record(files: dict[str, str], commit: str = HEAD, at: datetime = NOW) -> dict[str, Any]:
    """`reports/ci/ci.json` over these files (name -> text)."""
    return {
        "kind": "ci",
        "tox_exit_code": 0,
        "files": {name: sha256(text) for name, text in files.items()},
        "envelope": envelope(at, commit, target="ci", base_url=None, suite="tox"),
    }


def committed_tests(layer: str, count: int = 3) -> Any:
    """The `LayerFloor` of `count` test functions of module `tests/<layer>.py`: those
    `junit_xml(layer)` runs."""
    from harness.gate.floors import CommittedTest, LayerFloor

    return LayerFloor(
        frozenset(CommittedTest(f"tests/{layer}.py", "", f"test_{n}") for n in range(count))
    )


def ci_run(
    tox: dict[str, Any] | None = None,
    junit: dict[str, str] | None = None,
    commit: str = HEAD,
    floors: dict[str, Any] | None = None,
) -> Any:
    """The `CiRun` the gate loads from a clean `.ci/run` (for the pure checks). `floors`:
    layer -> `LayerFloor`, or a number of cases the layer must hold (no test named); default:
    the tests `default_junit` runs."""
    from harness.gate.evidence import CiRun, ReportFile
    from harness.gate.floors import LayerFloor
    from harness.gate.junit import junit_counts

    chosen = (
        {layer: committed_tests(layer) for layer in TESTED_LAYERS} if floors is None else floors
    )
    layer_floors = {
        layer: LayerFloor(scenarios=floor) if isinstance(floor, int) else floor
        for layer, floor in chosen.items()
    }

    tox_data = tox if tox is not None else tox_result(commit=commit)
    layers = default_junit() if junit is None else junit
    tox_text = json.dumps(tox_data)
    files = {"tox.json": tox_text, **{f"{layer}.xml": text for layer, text in layers.items()}}
    record = ci_record(files, commit)
    return CiRun(
        record=ReportFile("reports/ci/ci.json", record, sha256=sha256(json.dumps(record))),
        tox=ReportFile("reports/ci/tox.json", tox_data, sha256=sha256(tox_text)),
        junit={
            layer: ReportFile(f"reports/ci/{layer}.xml", sha256=sha256(text))
            for layer, text in layers.items()
        },
        counts={layer: junit_counts(text) for layer, text in layers.items()},
        layer_commands=TOX_LAYER_COMMANDS,
        floors=layer_floors,
    )


def full_junit(repo: Path) -> dict[str, str]:
    """A junit file per tested layer running every test function `repo` commits at HEAD and
    as many cases as its scenarios (at least `default_junit`'s), the store suites on both
    backends."""
    from harness.gate.sources import committed_floors

    floors = committed_floors(repo)
    return {
        layer: junit_xml(
            layer,
            passed=max(3, floors[layer].scenarios),
            backends=2 if layer == "integration" else 0,
            tests=sorted(test.junit_key for test in floors[layer].tests),
        )
        for layer in TESTED_LAYERS
    }


def write_ci(
    folder: Path,
    commit: str = HEAD,
    *,
    at: datetime | None = None,
    tox: dict[str, Any] | None = None,
    junit: dict[str, str] | None = None,
    key: str | None = None,
) -> Path:
    """What `.ci/run` leaves in reports/ci/: tox.json, a junit file per tested layer, ci.json."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {"tox.json": json.dumps(tox or tox_result(commit=commit))}
    layers = (
        junit
        if junit is not None
        else {
            layer: junit_xml(layer, backends=2 if layer == "integration" else 0)
            for layer in TESTED_LAYERS
        }
    )
    files |= {f"{layer}.xml": text for layer, text in layers.items()}
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    record = {
        "kind": "ci",
        "tox_exit_code": 0,
        "files": {n: hashlib.sha256(t.encode()).hexdigest() for n, t in files.items()},
        "envelope": envelope(
            at or datetime.now(UTC), commit, target="ci", base_url=None, suite="tox"
        ),
    }
    return write_json(folder / "ci.json", record, key)


def write_json(path: Path, report: dict[str, Any], key: str | None = None) -> Path:
    """Write a report as the harness does, signed with `key` when given."""
    from harness.envelope import EVIDENCE_KEY_ENV
    from harness.envelope import write_json as write

    return write(path, report, {EVIDENCE_KEY_ENV: key} if key else {})


def write_reports(
    directory: Path,
    at: datetime,
    target: str = "twin",
    commit: str = HEAD,
    key: str | None = None,
) -> Path:
    """A clean twin/sandbox run's three evidence files in `directory`; for the sandbox, its
    checklist as the sandbox run writes it and the full twin run next to it (`twin/`)."""
    files = {
        "checklist.json": checklist_report(at, target, commit),
        "contracts.json": contracts_report(at, commit),
        "load/load.json": load_report(at, commit),
    }
    if target == "sandbox":
        files["checklist.json"] = run_checklist(at, "sandbox", commit)
        files["twin/checklist.json"] = run_checklist(at, "twin", commit)
    for name, data in files.items():
        write_json(directory / name, data, key)
    return directory


def live_environment() -> dict[str, str]:
    """Valid, fresh live settings (random credentials, never the sandbox ones)."""
    return {
        "G2A_ENV": "live",
        "G2A_API_URL": "https://api.g2a.com",
        "G2A_API_HASH": "Live" + secrets.token_hex(6),
        "G2A_API_KEY": secrets.token_hex(32),
        "G2A_WEBHOOK_SECRET": secrets.token_urlsafe(24),
    }


GIT = ["git", "-c", "user.name=Gate Test", "-c", "user.email=gate@example.invalid"]


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        [*GIT, "-C", str(repo), *args], check=True, capture_output=True, text=True
    ).stdout.strip()


def head(repo: Path) -> str:
    return git(repo, "rev-parse", "HEAD")


def commit(repo: Path, files: dict[str, str | None], message: str) -> str:
    """Write (or delete, for None) files and commit them; returns the short commit id."""
    for name, text in files.items():
        path = repo / name
        if text is None:
            git(repo, "rm", "-q", name)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        git(repo, "add", name)
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "--short", "HEAD")


@dataclass(frozen=True)
class GateRun:
    code: int
    out: str
    report: dict[str, Any]
    markdown: str

    def check(self, check_id: str) -> dict[str, Any]:
        return next(c for c in self.report["checks"] if c["id"] == check_id)

    def verdicts(self) -> dict[str, str]:
        return {c["id"]: c["status"] for c in self.report["checks"]}
