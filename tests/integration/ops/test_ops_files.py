"""The shipped rules pass promtool; the dashboard is well-formed and only queries real series."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Mapping
from pathlib import Path

import pytest
import yaml
from _ops_files import (
    RECEIVER_RULE_TESTS,
    RECEIVER_RULES,
    RULE_TESTS,
    RULES,
    dashboard_queries,
    load_dashboard,
    load_rules,
    rule_names,
)

from g2a_adapter import Metrics, Settings
from g2a_adapter.client import RETRYABLE_STATUSES
from g2a_adapter.receiver import DELIVERY_REJECTIONS
from harness.dashboards.files import OpsFiles
from harness.dashboards.proof import FAILURE_PANELS

# Adapter metrics added by other parts of the project that a fresh `Metrics()` may not register.
_KNOWN_ELSEWHERE = {"g2a_key_delivery_lost_total", "up"}
_RUNBOOK = re.compile(r"^specs/011-g2a-integration-audit/backend-audit\.md#runbook-[a-z0-9-]+$")


@pytest.mark.parametrize(("rules", "count"), [(RULES, 19), (RECEIVER_RULES, 1)])
def test_promtool_checks_the_rules(promtool: str, rules: Path, count: int) -> None:
    done = subprocess.run(
        [promtool, "check", "rules", str(rules)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"SUCCESS: {count} rules found" in done.stdout


@pytest.mark.parametrize("tests", [RULE_TESTS, RECEIVER_RULE_TESTS])
def test_promtool_unit_tests_pass(promtool: str, tests: Path) -> None:
    done = subprocess.run(
        [promtool, "test", "rules", tests.name],
        cwd=tests.parent,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS" in done.stdout


def test_every_alert_is_unit_tested_and_links_its_runbook() -> None:
    tests = RULE_TESTS.read_text() + RECEIVER_RULE_TESTS.read_text()
    alerts = [r for g in load_rules()["groups"] for r in g["rules"] if "alert" in r]
    assert {a["alert"] for a in alerts} == set(rule_names("alert"))
    for alert in alerts:
        assert f"alertname: {alert['alert']}" in tests, alert["alert"]
        assert _RUNBOOK.match(alert["annotations"]["runbook_url"]), alert["alert"]


def test_a_buy_only_service_loading_the_shared_rules_cannot_page_for_a_missing_receiver() -> None:
    """g2a-rules.yml is loaded by services that run no receiver: an alert on a target's
    absence belongs in g2a-receiver-rules.yml, and its test proves a healthy buy-only
    service quiet for every alert of the shared file."""
    shared = RULES.read_text()
    assert "absent(" not in shared
    assert 'job="g2a-receiver"' not in shared
    quiet = RULE_TESTS.read_text().split("a healthy buy-only service with no receiver", 1)[1]
    for name in rule_names("alert"):
        assert f"alertname: {name}, eval_time: 25m, exp_alerts: []" in quiet, name


def test_runbook_anchors_exist_in_the_audit() -> None:
    audit = (RULES.parents[2] / "specs/011-g2a-integration-audit/backend-audit.md").read_text()
    anchors = set(re.findall(r'<a id="(runbook-[a-z0-9-]+)"></a>', audit))
    linked = {
        r["annotations"]["runbook_url"].split("#", 1)[1]
        for g in load_rules()["groups"]
        for r in g["rules"]
        if "alert" in r
    }
    assert linked <= anchors, linked - anchors


def test_runbooks_name_dashboard_panels_and_rows_as_titled() -> None:
    """On call looks up what a runbook names in quotes ("Token requests by status") by that
    title in Grafana: each one must be a panel or row of the dashboard, word for word."""
    audit = (RULES.parents[2] / "specs/011-g2a-integration-audit/backend-audit.md").read_text()
    runbooks = re.sub(r'<a id="[^"]+"></a>', "", audit.split("\n## Runbooks\n", 1)[1])
    named = set(re.findall(r'"([^"`]+)"', " ".join(runbooks.split())))
    titles = {panel["title"] for panel in load_dashboard()["panels"]}
    assert named, "the runbooks name no panel"
    assert named <= titles, sorted(named - titles)


def _read_on_call(*, recording_rules: bool) -> str:
    """The dashboard's queries and the alerts' expressions, and the recording rules' with
    `recording_rules`, as one text to look names up in."""
    rules = [r for g in load_rules()["groups"] for r in g["rules"]]
    read = [r["expr"] for r in rules if recording_rules or "alert" in r]
    return " ".join([*dashboard_queries().values(), *read])


def test_every_recording_rule_is_read_by_a_panel_or_an_alert() -> None:
    """A series recorded for on call to look at is on the dashboard (the latency runbook
    compares p50 and p99 by route), or an alert reads it."""
    read = _read_on_call(recording_rules=False)
    unread = [name for name in rule_names("record") if not re.search(rf"{name}\b", read)]
    assert not unread, unread


def test_dashboard_has_one_row_per_area_and_a_query_per_panel() -> None:
    panels = load_dashboard()["panels"]
    rows = [p["title"] for p in panels if p["type"] == "row"]
    assert rows == ["Outbound calls to G2A", "Tokens", "Purchases", "Webhooks", "Idempotency store"]
    assert all(expr.strip() for expr in dashboard_queries().values())
    assert len(dashboard_queries()) == len(panels) - len(rows)
    assert len({p["id"] for p in panels}) == len(panels)


def test_queries_name_only_adapter_metrics_or_recording_rules() -> None:
    exported = {m.name for m in Metrics().registry.collect()}
    families = {f"{name}{suffix}" for name in exported for suffix in ("", "_total", "_bucket")}
    recorded = set(rule_names("record"))
    rule_exprs = [r["expr"] for g in load_rules()["groups"] for r in g["rules"]]
    for expr in [*dashboard_queries().values(), *rule_exprs]:
        for name in re.findall(r"\b(g2a_[a-z_]+|[a-z]+:g2a_[a-z0-9_:]+|up)\b(?=[{\[\s)])", expr):
            assert name in families | recorded | _KNOWN_ELSEWHERE, (name, expr)


def _alert_expr(name: str) -> str:
    rules = [rule for group in load_rules()["groups"] for rule in group["rules"]]
    return next(rule["expr"] for rule in rules if rule.get("alert") == name)


def test_retries_exhausted_matches_what_the_adapter_retries() -> None:
    expr = _alert_expr("G2ARetriesExhausted")
    (statuses,) = re.findall(r'status=~"([^"]+)"', expr)
    assert set(statuses.split("|")) == {str(status) for status in RETRYABLE_STATUSES} | {"none"}
    # Counted as the request panels count (first failures, resets, staleness-safe).
    assert "series:g2a_requests:increase5m{" in expr
    assert "g2a_requests_total" not in expr


def test_no_rule_uses_an_instant_offset_to_tell_new_series() -> None:
    """A failed scrape writes staleness markers: an instant `x offset W` is then empty and
    `x unless x offset W` counts lifetime values W later. Only range selectors may be offset."""
    for group in load_rules()["groups"]:
        for rule in group["rules"]:
            offsets = re.findall(r"(\S+)\s+offset\s+\d+[smhd]", rule["expr"])
            assert all(before.endswith("]") for before in offsets), (rule, offsets)


def test_webhook_rejections_alert_watches_deliveries_not_seller_tokens() -> None:
    (reasons,) = re.findall(r'reason=~"([^"]+)"', _alert_expr("G2AWebhookRejectionsSpiking"))
    assert reasons.split("|") == list(DELIVERY_REJECTIONS)


def test_failure_panels_are_dashboard_panels() -> None:
    assert set(dashboard_queries()) >= FAILURE_PANELS


# What the adapter exports: every `Metrics()` has handler-thread gauges at 0; the token TTL
# comes from clients that hold an Import API token (0 once it expired); a failed order create is
# a series born at 1.
_EXPORTED = {
    'g2a_token_ttl_seconds{job="g2a-service",instance="svc:1"}': "250x10",
    'g2a_token_ttl_seconds{job="g2a-service",instance="svc:2"}': "0x10",
    'g2a_webhook_handler_threads{job="g2a-service",instance="svc:1"}': "0x10",
    'g2a_webhook_handler_threads_busy{job="g2a-service",instance="svc:1"}': "0x10",
    'g2a_webhook_handler_threads{job="g2a-receiver",instance="rcv:1"}': "4x10",
    'g2a_webhook_handler_threads_busy{job="g2a-receiver",instance="rcv:1"}': "1x10",
    'g2a_requests_total{method="POST",route="/v1/order",status="500",outcome="outcome_unknown"}': (
        "_x3 1x7"
    ),
    'g2a_webhook_events_total{type="order.paid",result="handler_failed"}': "0x3 1x7",
    'g2a_webhook_events_total{type="order.paid",result="store_unavailable"}': "0x10",
    'g2a_purchase_orders_abandoned_total{job="g2a-service",instance="svc:1"}': "0x10",
    'g2a_key_delivery_lost_total{job="g2a-service",instance="svc:1"}': "0x10",
    'g2a_purchases_total{job="g2a-service",instance="svc:1",result="completed"}': "0+1x10",
    'g2a_purchases_total{job="g2a-service",instance="svc:1",result="store_unavailable"}': "0x10",
}
_PANEL_ANSWERS = {
    "Token TTL left": [("{}", 0)],  # an expired token shows, as its runbook expects
    "Receiver handler threads busy": [('{instance="rcv:1"}', 0.25)],
    "Failed order steps": [('{route="/v1/order",outcome="outcome_unknown"}', 1)],
    "Events failed in the handler or store": [
        ('{result="handler_failed"}', 1),
        ('{result="store_unavailable"}', 0),
    ],
    "Abandoned order creates": [("{}", 0)],  # exported at 0 from the start: the panel shows 0
    "Keys lost at delivery": [("{}", 0)],
    # one a minute, over 5 minutes; a result exported at 0 shows as 0
    "Purchases by result": [('{result="completed"}', 5), ('{result="store_unavailable"}', 0)],
    "Declared-stock calls from G2A by status": [("{}", 0)],  # no seller stock: 0, not no data
    "Retries by reason": [("{}", 0)],  # none retried yet: 0, not no data
}


def test_panels_read_what_the_adapter_exports(promtool: str, tmp_path: Path) -> None:
    queries = dashboard_queries()
    test = {
        "rule_files": [str(RULES)],
        "evaluation_interval": "30s",
        "tests": [
            {
                "interval": "1m",
                "input_series": [{"series": k, "values": v} for k, v in _EXPORTED.items()],
                "promql_expr_test": [
                    {
                        "expr": queries[panel],
                        "eval_time": "5m",
                        "exp_samples": [{"labels": ls, "value": v} for ls, v in answers],
                    }
                    for panel, answers in _PANEL_ANSWERS.items()
                ],
            }
        ],
    }
    _assert_promtool_test_passes(promtool, tmp_path / "panels.test.yml", test)


def _assert_promtool_test_passes(promtool: str, path: Path, test: Mapping[str, object]) -> None:
    path.write_text(yaml.safe_dump(test), encoding="utf-8")
    done = subprocess.run(
        [promtool, "test", "rules", str(path)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr


def _new_pod_test(counter: str, values: str, **checks: object) -> dict[str, object]:
    """A promtool test (`checks`: its alert and expression tests) of a pod that Prometheus
    scrapes every 15 s from t=0, its `counter` reading `values` from its first scrape."""
    pod = '{job="svc",instance="pod-new:8000"}'
    return {
        "rule_files": [str(RULES)],
        "evaluation_interval": "15s",
        "group_eval_order": ["g2a-recording", "g2a-alerts"],
        "tests": [
            {
                "interval": "15s",
                "input_series": [
                    {"series": f"up{pod}", "values": "1x300"},
                    {"series": f"{counter}{pod}", "values": values},
                ],
                **checks,
            }
        ],
    }


def test_the_keys_lost_panel_counts_the_loss_its_alert_pages_for(
    promtool: str, tmp_path: Path
) -> None:
    """Found by an operator's walkthrough: G2AKeyDeliveryLost pages for a key lost before a new
    pod's first scrape (its counter's first sample is 1), and "Keys lost at delivery", which its
    runbook points at, read `increase()` and showed 0 for that loss."""
    test = _new_pod_test(
        "g2a_key_delivery_lost_total",
        "1x60",
        alert_rule_test=[
            {
                "alertname": "G2AKeyDeliveryLost",
                "eval_time": "1m",
                "exp_alerts": [
                    {
                        "exp_labels": {"severity": "page"},
                        "exp_annotations": {
                            "summary": "A paid order's keys could not be delivered",
                            "runbook_url": "specs/011-g2a-integration-audit/"
                            "backend-audit.md#runbook-g2a-key-delivery-lost",
                        },
                    }
                ],
            }
        ],
        promql_expr_test=[
            {
                "expr": dashboard_queries()["Keys lost at delivery"],
                "eval_time": "1m",
                "exp_samples": [{"labels": "{}", "value": 1}],
            }
        ],
    )
    _assert_promtool_test_passes(promtool, tmp_path / "keys-lost.test.yml", test)


def test_the_abandoned_orders_panel_counts_an_abandon_before_a_pods_first_scrape(
    promtool: str, tmp_path: Path
) -> None:
    """Found by an operator's walkthrough: `g2a_purchase_orders_abandoned_total` is exported at 0
    from the start, so a first sample of 1 is an order create abandoned before the first
    scrape; "Abandoned order creates" read `increase(…[1h])` and showed 0 for it, for an hour."""
    test = _new_pod_test(
        "g2a_purchase_orders_abandoned_total",
        "1x20 2x280",
        promql_expr_test=[
            {
                "expr": dashboard_queries()["Abandoned order creates"],
                "eval_time": eval_time,
                "exp_samples": [{"labels": "{}", "value": value}],
            }
            for eval_time, value in (("1m", 1), ("30m", 2), ("70m", 0))
        ],
    )
    _assert_promtool_test_passes(promtool, tmp_path / "abandoned.test.yml", test)


_KEY_ROUTE = "/v1/order/key/{order_id}"


def _key_fetch_buckets(seconds: float) -> dict[str, float]:
    """The `le` buckets a `Metrics()` exports after one key fetch of `seconds`: 1 or 0 each."""
    metrics = Metrics()
    metrics.request_duration_seconds.labels("GET", _KEY_ROUTE).observe(seconds)
    (family,) = [f for f in metrics.registry.collect() if f.name == "g2a_request_duration_seconds"]
    return {s.labels["le"]: s.value for s in family.samples if s.name.endswith("_bucket")}


def test_a_key_fetch_near_its_timeout_shows_as_such_in_the_p99(
    promtool: str, tmp_path: Path
) -> None:
    """Runbook G2AKeyDeliveryLost compares the key route's latency with `G2A_KEY_TIMEOUT_MS`
    (60 s): fetches of 55 s, one a minute, must read as a p99 above 30 s, not a capped 10 s."""
    series = 'g2a_request_duration_seconds_bucket{{method="GET",route="{route}",le="{le}"}}'
    buckets = _key_fetch_buckets(55.0)
    test = {
        "rule_files": [str(RULES)],
        "evaluation_interval": "30s",
        "tests": [
            {
                "interval": "1m",
                "input_series": [
                    {"series": series.format(route=_KEY_ROUTE, le=le), "values": f"0+{n:g}x10"}
                    for le, n in buckets.items()
                ],
                "promql_expr_test": [
                    {
                        "expr": "route:g2a_request_duration_seconds:p99_5m > bool 30",
                        "eval_time": "8m",
                        "exp_samples": [
                            {"labels": f'{{method="GET",route="{_KEY_ROUTE}"}}', "value": 1}
                        ],
                    }
                ],
            }
        ],
    }
    _assert_promtool_test_passes(promtool, tmp_path / "key-latency.test.yml", test)


def test_latency_buckets_reach_beyond_the_longest_default_timeout() -> None:
    defaults = Settings.model_fields
    longest_s = max(defaults[name].default for name in ("timeout_ms", "key_timeout_ms")) / 1000
    finite = [float(le) for le in _key_fetch_buckets(0.0) if le != "+Inf"]
    assert max(finite) > longest_s


def test_every_metric_the_adapter_exports_is_on_the_dashboard_or_in_an_alert() -> None:
    """Found by an operator's walkthrough: the abandoned-orders runbook says to watch
    `g2a_purchase_orders_abandoned_total` climb, and no panel showed it, nor G2A's
    declared-stock calls (`g2a_seller_calls_total`), nor retries by reason
    (`g2a_request_retries_total`, read by no rule: the retry ratio counts `g2a_requests_total`)."""
    read = _read_on_call(recording_rules=True)  # a recording rule is read, as tested above
    exported = [family.name for family in Metrics().registry.collect()]
    series = r"(_total|_bucket|_sum|_count)?(?![\w:])"  # not a recording rule's name part
    unread = [name for name in exported if not re.search(rf"(?<![\w:]){name}{series}", read)]
    assert not unread, unread


def test_the_documented_runbook_link_rewrite_keeps_the_rules_valid_and_links_every_alert(
    promtool: str, tmp_path: Path
) -> None:
    """docs/operations.md's command, run as written but for its output folder: every alert of
    both files links its runbook at the base it names, and promtool still takes the rules."""
    root = RULES.parents[2]
    doc = (root / "docs" / "operations.md").read_text(encoding="utf-8")
    (command,) = (line.strip() for line in doc.splitlines() if "runbook_url: specs/#" in line)
    base = "https://git.example.com/team/g2a/blob/main/"
    assert base in command
    copies = OpsFiles(tmp_path)
    copies.rules.parent.mkdir()
    subprocess.run(
        ["bash", "-c", command.replace("/etc/prometheus/", f"{copies.rules.parent}/")],
        cwd=root,
        check=True,
    )
    for copy in (copies.rules, copies.receiver_rules):
        checked = subprocess.run(
            [promtool, "check", "rules", str(copy)], capture_output=True, text=True, check=False
        )
        assert checked.returncode == 0, checked.stdout + checked.stderr
    alerts = [r for g in copies.load_rules()["groups"] for r in g["rules"] if "alert" in r]
    assert [a["alert"] for a in alerts] == rule_names("alert")
    for alert in alerts:
        url = alert["annotations"]["runbook_url"]
        assert url.startswith(base), alert["alert"]
        assert _RUNBOOK.match(url.removeprefix(base)), alert["alert"]
