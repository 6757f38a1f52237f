"""Evidence of a clean run, shared by the gate's unit and integration tests.

The report builders follow the report schemas of specs/011-g2a-integration-audit/data-model.md §6
(written by `g2a-harness run`, `contracts verify` and `load`); the gate reads nothing else.
"""

from __future__ import annotations

import json
import secrets
import subprocess
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

NOW = datetime.fromisoformat("2026-11-27T12:00:00+00:00")


def stamp(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


def checklist_report(at: datetime = NOW, target: str = "twin", **overrides: Any) -> dict[str, Any]:
    items = [
        {
            "id": "CFG-01",
            "area": "config",
            "text": "URL rules",
            "status": "passed",
            "evidence": ["features/config.feature"],
        },
        {
            "id": "AUTH-01",
            "area": "auth",
            "text": "Export API auth",
            "status": "passed",
            "evidence": ["features/auth.feature"],
        },
        {
            "id": "ORD-01",
            "area": "orders",
            "text": "No double charge",
            "status": "passed",
            "evidence": ["features/orders.feature"],
        },
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
    }
    return {**report, **overrides}


def dashboards_proof(source: str = "harness", series: int = 3) -> dict[str, Any]:
    """The `dashboards` section `g2a-harness run` writes (harness.dashboards.proof)."""
    return {
        "status": "proven",
        "reason": "all 2 panel queries returned data",
        "prometheus": {"url": "http://127.0.0.1:9090", "source": source, "version": "2.42.0"},
        "scraped_jobs": ["g2a-receiver", "g2a-service"],
        "queries": [
            {"panel": "Requests", "expr": "sum(rate(g2a_requests_total[5m]))", "series": series},
            {"panel": "Token TTL", "expr": "min(g2a_token_ttl_seconds)", "series": 1},
        ],
    }


def contracts_report(at: datetime = NOW, **overrides: Any) -> dict[str, Any]:
    report = {
        "kind": "contracts",
        "generated_at": stamp(at),
        "target": "twin",
        "passed": True,
        "pacts_verified": True,
        "drift_checked": True,
        "drift": [],
        "provider_url": "http://127.0.0.1:8765",
    }
    return {**report, **overrides}


def load_report(at: datetime = NOW, **overrides: Any) -> dict[str, Any]:
    slos = [
        {"name": "p99_latency_ms", "target": 250, "actual": 41.0, "passed": True},
        {"name": "error_rate", "target": 0.01, "actual": 0.0, "passed": True},
    ]
    invariants = [{"name": "no_double_charge", "passed": True}]
    report = {
        "kind": "load",
        "generated_at": stamp(at),
        "target": "twin",
        "passed": True,
        "profile": "smoke",
        "slos": slos,
        "invariants": invariants,
    }
    return {**report, **overrides}


# What the project's tox.ini runs per layer (pinned against the file in test_gate_ci.py).
TOX_LAYER_COMMANDS: dict[str, tuple[tuple[str, ...], ...]] = {
    "lint": (("ruff", "check", "."), ("ruff", "format", "--check", ".")),
    "type": (("mypy",),),
    "unit": (("pytest", "tests/unit"),),
    "integration": (("pytest", "tests/integration", "tests/e2e"),),
    "bdd": (("pytest", "tests/bdd"),),
    "contract": (("pytest", "tests/contract"),),
    "load": (("pytest", "tests/load"),),
}


def tox_result(
    commands: dict[str, tuple[tuple[str, ...], ...]] | None = None,
    *,
    exit_codes: dict[str, int] | None = None,
    skipped: tuple[str, ...] = (),
) -> dict[str, Any]:
    """A `tox --result-json` document (tox 4 layout, as in data/tox/green-run.json)."""
    envs: dict[str, Any] = {}
    for layer, argvs in (TOX_LAYER_COMMANDS if commands is None else commands).items():
        code = (exit_codes or {}).get(layer, 0)
        tests = [
            {
                "command": [f"/ci/.tox/{layer}/bin/{argv[0]}", *argv[1:]],
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
        envs[layer] = {"result": {**result, "skipped": layer in skipped}, "test": tests}
    return {
        "reportversion": "1",
        "toxversion": "4.67.15",
        "platform": "linux",
        "host": "ci",
        "testenvs": envs,
    }


def write_reports(directory: Path, at: datetime, target: str = "twin") -> Path:
    """A clean twin/sandbox run's evidence files in `directory` (CI's commit sidecar aside)."""
    (directory / "load").mkdir(parents=True, exist_ok=True)
    files = {
        "checklist.json": checklist_report(at, target),
        "contracts.json": contracts_report(at),
        "load/load.json": load_report(at),
        "tox.json": tox_result(),
    }
    for name, data in files.items():
        (directory / name).write_text(json.dumps(data), encoding="utf-8")
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
