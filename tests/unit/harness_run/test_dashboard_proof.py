"""The `handoff-dashboards` proof: which panel queries a Prometheus answers with data, judged.

A stand-in Prometheus (its HTTP query API on loopback) answers; the real server is exercised in
tests/integration/ops.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from harness.checklist import ChecklistItem, judge
from harness.dashboards import prometheus
from harness.dashboards.files import OpsFiles
from harness.dashboards.proof import ask, not_proven, panel_shortfall, prove_on_twin
from harness.serving import serve_asgi

ITEM = ChecklistItem("handoff-dashboards", "Handoff", "Dashboards fed", ("prometheus:dashboards",))
SERIES = {"metric": {"route": "/v1/products"}, "value": [0, "1"]}
UP = [{"metric": {"job": "svc"}, "value": [0, "1"]}, {"metric": {"job": "rcv"}, "value": [0, "1"]}]
QUERIES = {"Requests": "rate(g2a_requests_total[5m])", "Token TTL": "min(g2a_token_ttl_seconds)"}


def _fake_prometheus(answers: dict[str, list[object]]) -> Starlette:
    def api(request: Request) -> JSONResponse:
        expr = request.query_params["query"]
        if expr == "bad(":
            return JSONResponse({"status": "error", "error": "parse error"}, status_code=400)
        data = {"resultType": "vector", "result": answers.get(expr, [])}
        return JSONResponse({"status": "success", "data": data})

    return Starlette(routes=[Route("/api/v1/query", api)])


@pytest.fixture
def served() -> Iterator[str]:
    answers: dict[str, list[object]] = {"up == 1": UP, QUERIES["Requests"]: [SERIES, SERIES]}
    with serve_asgi(_fake_prometheus(answers)) as url:
        yield url


def test_every_panel_with_data_proves_the_item(served: str) -> None:
    queries = {"Requests": QUERIES["Requests"]}
    proof = ask(served, queries, "prometheus-url", wait_s=0, version="2.42.0")
    assert proof.status == "proven"
    assert proof.reason == (
        "all 1 panel queries returned data from the Prometheus given with --prometheus-url"
    )
    assert proof.to_dict() == {
        "status": "proven",
        "reason": proof.reason,
        "prometheus": {"url": served, "source": "prometheus-url", "version": "2.42.0"},
        "scraped_jobs": ["rcv", "svc"],
        "queries": [
            {
                "panel": "Requests",
                "expr": QUERIES["Requests"],
                "series": 2,
                "values": ["1", "1"],
                "error": None,
            }
        ],
    }
    verdict = judge(ITEM, proof.run_results(), "sandbox")
    assert verdict.status == "passed"
    assert verdict.evidence == (
        f"passed panel 'Requests': 2 series from {served} (the Prometheus given with "
        "--prometheus-url) [prometheus:dashboards::Requests]",
    )


def test_an_empty_or_refused_query_fails_the_item_naming_it(served: str) -> None:
    proof = ask(served, {**QUERIES, "Broken": "bad("}, "prometheus-url", wait_s=0)
    assert proof.status == "failed"
    assert proof.reason == "2 of 3 panel queries returned no usable data: Token TTL, Broken"
    broken = proof.queries[2]
    assert (broken.series, broken.error) == (0, f"{served} answered 400: parse error")
    verdict = judge(ITEM, proof.run_results(), "sandbox")
    assert verdict.status == "failed"
    assert verdict.evidence[0].startswith("FAILED panel 'Token TTL': 0 series from ")
    assert verdict.evidence[0].endswith(": no data for min(g2a_token_ttl_seconds)")
    assert verdict.evidence[1].endswith(f": {served} answered 400: parse error")
    assert verdict.evidence[2].startswith("passed panel 'Requests': 2 series")


def test_login_details_in_the_prometheus_url_stay_out_of_the_proof(served: str) -> None:
    """The checklist report keeps the proof: the URL it shows and its errors carry no password."""
    with_login = served.replace("http://", "http://ops:s3cret-pw@")
    proof = ask(with_login, {"Broken": "bad("}, "prometheus-url", wait_s=0)
    shown = served.replace("http://", "http://<scrubbed>@")
    assert proof.prometheus_url == shown
    assert proof.queries[0].error == f"{shown} answered 400: parse error"
    assert "s3cret" not in repr(proof.to_dict())


def _point(value: str) -> dict[str, object]:
    return {"metric": {"instance": "svc:8080"}, "value": [0, value]}


NAN_AND_ZEROS = {
    "up == 1": UP,
    "ttl": [_point("NaN")],
    "busy": [_point("NaN"), _point("0")],
    "errors": [_point("0"), _point("0")],
    "failures": [_point("0"), _point("2")],
}


@pytest.mark.parametrize(
    ("panel", "expr", "shortfall"),
    [
        ("Token TTL left", "ttl", "no finite value for ttl"),
        ("Receiver handler threads busy", "busy", None),  # 0 busy threads is a real reading
        (
            "Error ratio by route",
            "errors",
            "only zeros for errors: a failure panel needs a failure counted",
        ),
        ("Events failed in the handler or store", "failures", None),
    ],
)
def test_a_panel_needs_a_finite_value_and_a_failure_panel_a_non_zero_one(
    panel: str, expr: str, shortfall: str | None
) -> None:
    with serve_asgi(_fake_prometheus(NAN_AND_ZEROS)) as url:
        proof = ask(url, {panel: expr}, "prometheus-url", wait_s=0)
    assert proof.status == ("failed" if shortfall else "proven")
    assert proof.queries[0].shortfall == shortfall
    verdict = judge(ITEM, proof.run_results(), "sandbox")
    assert verdict.status == ("failed" if shortfall else "passed")
    assert panel_shortfall(panel, expr, proof.to_dict()["queries"][0]["values"]) == shortfall


def test_an_unreachable_prometheus_fails_the_item() -> None:
    with serve_asgi(_fake_prometheus({})) as url:
        pass  # the server is gone: nothing listens on its port any more
    proof = ask(url, QUERIES, "prometheus-url", wait_s=0)
    assert proof.status == "failed"
    assert proof.reason.startswith(f"{url} could not be asked: ")
    verdict = judge(ITEM, proof.run_results(), "sandbox")
    assert verdict.status == "failed"
    assert verdict.evidence == (f"FAILED dashboards [prometheus:dashboards]: {proof.reason}",)


def test_without_a_prometheus_binary_the_item_is_not_proven_never_passed(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    assert prometheus.find_prometheus() is None
    proof = prove_on_twin(OpsFiles())
    assert proof.status == "not proven"
    assert proof.reason == (
        "not proven: no `prometheus` binary on PATH to start (install it: "
        "`apt-get install -y prometheus`), or pass --prometheus-url"
    )
    verdict = judge(ITEM, proof.run_results(), "twin")
    assert verdict.status == "skipped"
    assert verdict.evidence == (f"skipped dashboards [prometheus:dashboards]: {proof.reason}",)
    assert judge(ITEM, not_proven("x").run_results(), "twin").status == "skipped"


def test_no_proof_at_all_is_never_a_pass() -> None:
    verdict = judge(ITEM, [], "twin")
    assert verdict.status == "skipped"
    assert verdict.evidence == ("skipped: no evidence ran (prometheus:dashboards)",)


def test_the_version_is_read_from_the_binary(tmp_path: Path) -> None:
    fake = tmp_path / "prometheus"
    fake.write_text("#!/bin/sh\necho 'prometheus, version 2.42.0+ds (branch: debian/sid)'\n")
    fake.chmod(0o755)
    assert prometheus.prometheus_version(str(fake)) == "2.42.0+ds"
    fake.write_text("#!/bin/sh\nexit 3\n")
    assert prometheus.prometheus_version(str(fake)) == "unknown"
