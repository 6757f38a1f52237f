"""Logs (one record per attempt), correlation ids, metrics values and secret masking."""

from __future__ import annotations

import io
import json
import logging
import os
import re
import subprocess
import sys
from collections.abc import Iterator

import pytest
from adapter_support import twin_settings

from g2a_adapter import ConfigError, G2AClient, G2AError, Metrics, Settings
from g2a_adapter.idempotency import MemoryStore
from g2a_adapter.logformat import configure_logging
from g2a_adapter.observability import REQUEST_LOG_FIELDS, REQUEST_LOG_FORMAT, correlation_id_var
from harness.twin import (
    SANDBOX_API_HASH,
    SANDBOX_API_KEY,
    SANDBOX_PRODUCT_IDS,
    Credential,
    RunningTwin,
    TwinConfig,
    running_twin,
)

PRODUCT = SANDBOX_PRODUCT_IDS[3]
PRODUCTS = "/v1/products"


def attempts(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "g2a_adapter" and r.msg == REQUEST_LOG_FORMAT]


def test_one_record_per_attempt_with_every_field(
    client: G2AClient, twin: RunningTwin, caplog: pytest.LogCaptureFixture
) -> None:
    twin.admin.add_fault(route=PRODUCTS, kind="status", status=503, times=2)
    with caplog.at_level(logging.INFO, logger="g2a_adapter"):
        client.products.list(min_qty=1)
    records = attempts(caplog)
    assert len(records) == 3
    for record in records:
        for field in REQUEST_LOG_FIELDS:
            assert hasattr(record, field), field
    rows = [
        (r.method, r.path, r.status, r.attempt, r.retries, r.outcome)  # type: ignore[attr-defined]
        for r in records
    ]
    assert rows == [
        ("GET", "/v1/products", 503, 1, 0, "retry"),
        ("GET", "/v1/products", 503, 2, 1, "retry"),
        ("GET", "/v1/products", 200, 3, 2, "ok"),
    ]
    assert [r.levelno for r in records] == [logging.WARNING, logging.WARNING, logging.INFO]
    assert all(r.latency_ms >= 0 for r in records)  # type: ignore[attr-defined]
    # one correlation id for the whole call, sent on every attempt
    sent = [r["headers"]["x-correlation-id"] for r in twin.admin.requests(path=PRODUCTS)]
    logged = {r.correlation_id for r in records}  # type: ignore[attr-defined]
    assert len(logged) == 1
    assert sent == [logged.pop()] * 3


def test_each_call_gets_its_own_correlation_id_unless_the_caller_sets_one(
    client: G2AClient, twin: RunningTwin
) -> None:
    client.products.list()
    client.products.list()
    token = correlation_id_var.set("req-from-upstream-42")
    try:
        client.products.list()
    finally:
        correlation_id_var.reset(token)
    first, second, third = (
        r["headers"]["x-correlation-id"] for r in twin.admin.requests(path=PRODUCTS)
    )
    assert first != second
    assert len(first) == 32
    assert third == "req-from-upstream-42"


def test_transport_failures_are_logged_without_status(
    client: G2AClient, twin: RunningTwin, caplog: pytest.LogCaptureFixture
) -> None:
    twin.admin.add_fault(route=PRODUCTS, kind="reset", times=1)
    with caplog.at_level(logging.INFO, logger="g2a_adapter"):
        client.products.list()
    first, second = attempts(caplog)
    assert (first.status, first.outcome, second.status) == (None, "retry", 200)  # type: ignore[attr-defined]


def test_disabled_logger_emits_nothing(client: G2AClient, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="g2a_adapter"):
        client.products.list()
    assert attempts(caplog) == []


def sample(metrics: Metrics, name: str, **labels: str) -> float:
    return metrics.registry.get_sample_value(name, labels) or 0.0


def test_metrics_after_a_known_sequence(
    client: G2AClient, twin: RunningTwin, metrics: Metrics
) -> None:
    client.products.list()
    client.products.list()
    twin.admin.add_fault(route=PRODUCTS, kind="rate_limit", retry_after=0, times=1)
    client.products.list()
    with pytest.raises(G2AError):
        client.orders.details("42")
    products = {"method": "GET", "route": PRODUCTS}
    details = {"method": "GET", "route": "/v1/order/details/{order_id}"}
    assert sample(metrics, "g2a_requests_total", **products, status="200", outcome="ok") == 3
    assert sample(metrics, "g2a_requests_total", **products, status="429", outcome="retry") == 1
    assert sample(metrics, "g2a_requests_total", **details, status="404", outcome="error") == 1
    assert sample(metrics, "g2a_request_retries_total", **products, reason="429") == 1
    assert sample(metrics, "g2a_request_duration_seconds_count", **products) == 4
    assert sample(metrics, "g2a_request_duration_seconds_count", **details) == 1
    assert sample(metrics, "g2a_request_duration_seconds_sum", **products) > 0
    exposition = metrics.exposition().decode()
    assert "g2a_token_ttl_seconds 0.0" in exposition


def test_clients_with_their_own_metrics_do_not_share_counts(
    settings: Settings, metrics: Metrics
) -> None:
    other = Metrics()
    with G2AClient(settings, metrics=other) as client:
        client.products.list()
    assert client.metrics is other
    assert (
        sample(
            other, "g2a_requests_total", method="GET", route=PRODUCTS, status="200", outcome="ok"
        )
        == 1
    )
    assert (
        sample(
            metrics, "g2a_requests_total", method="GET", route=PRODUCTS, status="200", outcome="ok"
        )
        == 0
    )


# --- secrets ---------------------------------------------------------------------------------

SECRET_CREDENTIAL = Credential("HASHdistinct7Q", "ops@example.com", "API-SECRET-distinct-8842")
WEBHOOK_SECRET = "WEBHOOK-SECRET-distinct-5531"
STORE_PASSWORD = "STORE-PASSWORD-distinct-1209"


@pytest.fixture(scope="module")
def secret_twin() -> Iterator[RunningTwin]:
    with running_twin(TwinConfig.fast(credentials=[SECRET_CREDENTIAL])) as twin:
        yield twin


def test_no_secret_reaches_logs_reprs_or_errors(
    secret_twin: RunningTwin, caplog: pytest.LogCaptureFixture
) -> None:
    admin = secret_twin.admin
    admin.reset()
    api_key = SECRET_CREDENTIAL.api_key
    settings = twin_settings(
        secret_twin.export_url,
        api_hash=SECRET_CREDENTIAL.api_hash,
        api_key=api_key,
        webhook_secret=f"{WEBHOOK_SECRET},older-webhook-secret",
        idempotency_url=f"redis://:{STORE_PASSWORD}@127.0.0.1:6379/0",
        retry_max=1,
    )
    secrets = [api_key, WEBHOOK_SECRET, STORE_PASSWORD, SECRET_CREDENTIAL.api_secret]
    seen: list[str] = [repr(settings), str(settings), str(settings.display())]
    with caplog.at_level(logging.DEBUG), G2AClient(settings, store=MemoryStore()) as client:
        seen.append(repr(client))
        token = client.auth.token()
        seen += [repr(token), str(token)]
        # G2A echoing a secret in its error text, a lost answer, timeouts, retries
        admin.add_fault(route=PRODUCTS, kind="status", status=400, message=f"bad {api_key}")
        admin.add_fault(route="/v1/order", kind="reset", phase="after", times=1)
        admin.add_fault(route="/v3/sales/offers", kind="status", status=503, times=1)
        admin.add_fault(route="/v3/jobs/*", kind="status", status=401, code="AUTH02")
        actions = [
            client.products.list,
            lambda: client.orders.create(PRODUCT),
            lambda: client.orders.purchase(PRODUCT, idempotency_key="s-1", poll_interval=0.01),
            client.offers.list,
            lambda: client.jobs.get("job-1"),
            lambda: client.orders.details("77"),
        ]
        errors = 0
        for action in actions:
            try:
                seen.append(repr(action()))
            except G2AError as exc:
                errors += 1
                seen += [str(exc), repr(exc), repr(exc.__cause__)]
        assert errors == 4
    seen += [caplog.text, *(str(vars(r)) for r in caplog.records)]
    assert any("***" in line for line in seen)  # the echoed key was masked, not dropped
    for line in seen:
        for secret in secrets:
            assert secret not in line


_CALL_SCRIPT = """
import logging, os, sys
from g2a_adapter import G2AClient, Settings
if sys.argv[1] == "basic":
    logging.basicConfig(level=logging.INFO)
elif sys.argv[1] == "env":
    from g2a_adapter.logformat import configure_logging
    configure_logging()
settings = Settings(api_url=os.environ["API_URL"], api_hash=os.environ["API_HASH"],
                    api_key=os.environ["API_KEY"], timeout_ms=2000)
with G2AClient(settings) as client:
    client.products.list()
"""


def _call_in_subprocess(twin: RunningTwin, logging_setup: str, log_format: str = "") -> str:
    """stderr of a fresh interpreter making two attempts (a retried 503, then a 200)."""
    twin.admin.add_fault(route=PRODUCTS, method="GET", kind="status", status=503, times=1)
    env = {
        **os.environ,
        "API_URL": twin.export_url,
        "API_HASH": SANDBOX_API_HASH,
        "API_KEY": SANDBOX_API_KEY,
        "G2A_RETRY_NO_SLEEP": "1",
        "G2A_LOG_FORMAT": log_format,
    }
    done = subprocess.run(
        [sys.executable, "-c", _CALL_SCRIPT, logging_setup],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return done.stderr


def test_basic_config_prints_one_readable_line_per_attempt_without_secrets(
    twin: RunningTwin,
) -> None:
    lines = _call_in_subprocess(twin, "basic").splitlines()
    requests = [line for line in lines if "g2a.request" in line]
    assert len(requests) == 2
    assert re.fullmatch(
        r"WARNING:g2a_adapter:g2a\.request GET /v1/products status=503 latency_ms=\d+\.\d"
        r" attempt=1 retries=0 outcome=retry correlation_id=[0-9a-f]{32}",
        requests[0],
    )
    assert re.fullmatch(
        r"INFO:g2a_adapter:g2a\.request GET /v1/products status=200 latency_ms=\d+\.\d"
        r" attempt=2 retries=1 outcome=ok correlation_id=[0-9a-f]{32}",
        requests[1],
    )
    text = "\n".join(lines)
    assert SANDBOX_API_KEY not in text
    assert SANDBOX_API_HASH not in text


def test_unconfigured_logging_prints_nothing(twin: RunningTwin) -> None:
    assert _call_in_subprocess(twin, "none") == ""


def test_json_format_prints_one_object_per_attempt_without_secrets(twin: RunningTwin) -> None:
    lines = _call_in_subprocess(twin, "env", log_format="json").splitlines()
    objects = [json.loads(line) for line in lines]
    requests = [o for o in objects if o["logger"] == "g2a_adapter"]
    assert len(requests) == 2
    first, second = requests
    assert (first["level"], first["logger"]) == ("WARNING", "g2a_adapter")
    expected = {"method": "GET", "route": PRODUCTS, "path": PRODUCTS, "attempt": 1, "retries": 0}
    assert {k: first[k] for k in expected} == expected
    assert (first["status"], first["outcome"], second["status"], second["outcome"]) == (
        503,
        "retry",
        200,
        "ok",
    )
    assert isinstance(second["latency_ms"], float)
    assert SANDBOX_API_KEY not in "\n".join(lines)
    assert SANDBOX_API_HASH not in "\n".join(lines)


def test_text_format_from_the_environment(twin: RunningTwin) -> None:
    output = _call_in_subprocess(twin, "env", log_format="text").splitlines()
    lines = [line for line in output if " g2a_adapter " in line]
    assert [line.split(" ", 3)[2:3] for line in lines] == [["WARNING"], ["INFO"]]
    assert all(" g2a_adapter g2a.request GET /v1/products status=" in line for line in lines)


def test_an_unknown_log_format_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("G2A_LOG_FORMAT", "xml")
    with pytest.raises(ConfigError, match="G2A_LOG_FORMAT must be 'text' or 'json', not 'xml'"):
        configure_logging()


def test_the_masking_filter_covers_other_libraries_in_json(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("G2A_LOG_FORMAT", "json")
    stream = io.StringIO()
    handler = configure_logging(secrets=[SANDBOX_API_KEY], stream=stream)
    try:
        logging.getLogger("httpx").warning(
            "sent key=%s", SANDBOX_API_KEY, extra={"k": SANDBOX_API_KEY}
        )
    finally:
        logging.getLogger().removeHandler(handler)
    record = json.loads(stream.getvalue())
    assert (record["message"], record["k"]) == ("sent key=***", "***")
