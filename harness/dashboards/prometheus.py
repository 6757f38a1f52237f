"""A Prometheus server: started for a run (the `prometheus` binary) and asked over its HTTP API."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import yaml

from harness.cassettes import redacted_url
from harness.ports import free_port

INSTALL_HINT = "apt-get install -y prometheus"
_READY_TIMEOUT_S = 30.0
_POLL_S = 0.5
_QUERY_TIMEOUT_S = 5.0


class PrometheusError(RuntimeError):
    """Prometheus could not be started, reached, or refused a query."""


def find_prometheus() -> str | None:
    """The `prometheus` binary on PATH, or None."""
    return shutil.which("prometheus")


def prometheus_version(binary: str) -> str:
    """`prometheus, version 2.42.0 (...)` → `2.42.0`; "unknown" when it does not say."""
    try:
        done = subprocess.run(
            [binary, "--version"], capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    words = (done.stdout or done.stderr).split()
    return words[words.index("version") + 1] if "version" in words[:-1] else "unknown"


def query(base_url: str, expr: str) -> list[dict[str, Any]]:
    """The instant-query result of `expr` (a list of series, maybe empty)."""
    try:
        reply = httpx.get(
            f"{base_url}/api/v1/query", params={"query": expr}, timeout=_QUERY_TIMEOUT_S
        )
        body = reply.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise PrometheusError(f"{redacted_url(base_url)} could not be asked: {exc}") from None
    if reply.status_code != 200 or body.get("status") != "success":
        raise PrometheusError(
            f"{redacted_url(base_url)} answered {reply.status_code}: "
            f"{body.get('error', 'no error text')}"
        )
    result: list[dict[str, Any]] = body["data"]["result"]
    return result


def scraped_jobs(base_url: str) -> list[str]:
    """The jobs whose last scrape succeeded (`up == 1`), sorted."""
    return sorted({s["metric"].get("job", "") for s in query(base_url, "up == 1")})


def eventually(check: Callable[[], list[str]], timeout_s: float) -> list[str]:
    """Poll until `check` reports nothing missing; its last report otherwise."""
    deadline = time.monotonic() + timeout_s
    missing = check()
    while missing and time.monotonic() < deadline:
        time.sleep(_POLL_S)
        missing = check()
    return missing


def fast_rules(rules: Mapping[str, Any], interval: str, out: Path, hold: str | None = None) -> Path:
    """`rules` with every group evaluated at `interval`, written out. Alerts keep their `for:`,
    unless `hold` replaces it (an alert that must be seen firing in seconds)."""

    def held(rule: Mapping[str, Any]) -> Mapping[str, Any]:
        return {**rule, "for": hold} if hold is not None and "alert" in rule else rule

    groups = [
        {**group, "interval": interval, "rules": [held(rule) for rule in group["rules"]]}
        for group in rules["groups"]
    ]
    out.write_text(yaml.safe_dump({**rules, "groups": groups}), encoding="utf-8")
    return out


def _readiness(base_url: str, process: subprocess.Popen[bytes]) -> list[str]:
    if process.poll() is not None:
        assert process.stderr is not None
        error = process.stderr.read().decode(errors="replace").strip()
        raise PrometheusError(f"prometheus exited with {process.returncode}: {error}")
    try:
        ready = httpx.get(f"{base_url}/-/ready", timeout=1).status_code == 200
    except httpx.TransportError:
        return ["listening"]
    return [] if ready else ["ready"]


@contextmanager
def running_prometheus(
    binary: str,
    jobs: Mapping[str, str],
    workdir: Path,
    rule_files: tuple[Path, ...] = (),
    interval: str = "1s",
) -> Iterator[str]:
    """Prometheus on a loopback port scraping `jobs` (name → host:port); yields its base URL."""
    config = {
        "global": {"scrape_interval": interval, "evaluation_interval": interval},
        "rule_files": [str(path) for path in rule_files],
        "scrape_configs": [
            {"job_name": job, "static_configs": [{"targets": [target]}]}
            for job, target in jobs.items()
        ],
    }
    config_path = workdir / "prometheus.yml"
    config_path.write_text(yaml.safe_dump(config), encoding="utf-8")
    port = free_port()
    process = subprocess.Popen(
        [
            binary,
            f"--config.file={config_path}",
            f"--storage.tsdb.path={workdir / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--log.level=warn",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        if eventually(lambda: _readiness(base_url, process), _READY_TIMEOUT_S):
            raise PrometheusError(f"prometheus at {base_url} not ready in {_READY_TIMEOUT_S:g} s")
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        assert process.stderr is not None
        process.stderr.close()
