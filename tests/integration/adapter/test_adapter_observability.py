"""Logs (one line per call, one DEBUG record per attempt), correlation ids, metrics values and
secret masking."""

from __future__ import annotations

import asyncio
import hashlib
import http.server
import io
import json
import logging
import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator

import pytest
from adapter_support import twin_settings

from g2a_adapter import (
    AsyncG2AClient,
    ConfigError,
    G2AClient,
    G2AError,
    Metrics,
    ResponseFormatError,
    RetryPolicy,
    Settings,
)
from g2a_adapter.idempotency import MemoryStore
from g2a_adapter.logformat import (
    CALL_LOG_FIELDS,
    CALL_LOG_FORMAT,
    REQUEST_LOG_FIELDS,
    REQUEST_LOG_FORMAT,
    configure_logging,
    correlation_id_var,
)
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


def purchase_key_digest(key: str) -> str:
    """The idempotency key as G2A receives it in `X-Purchase-Key`: 128 bits of SHA-256."""
    return hashlib.sha256(key.encode()).hexdigest()[:32]


PRODUCTS = "/v1/products"


def attempts(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "g2a_adapter" and r.msg == REQUEST_LOG_FORMAT]


def calls(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "g2a_adapter" and r.msg == CALL_LOG_FORMAT]


def call_fields(record: logging.LogRecord) -> dict[str, object]:
    return {name: getattr(record, name) for name in CALL_LOG_FIELDS if name != "latency_ms"}


def test_one_record_per_attempt_with_every_field(
    client: G2AClient, twin: RunningTwin, caplog: pytest.LogCaptureFixture
) -> None:
    twin.admin.add_fault(route=PRODUCTS, kind="status", status=503, times=2)
    with caplog.at_level(logging.DEBUG, logger="g2a_adapter"):
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
    assert [r.levelno for r in records] == [logging.DEBUG] * 3
    assert all(r.latency_ms >= 0 for r in records)  # type: ignore[attr-defined]
    # one correlation id for the whole call, sent on every attempt
    sent = [r["headers"]["x-correlation-id"] for r in twin.admin.requests(path=PRODUCTS)]
    logged = {r.correlation_id for r in records}  # type: ignore[attr-defined]
    assert len(logged) == 1
    assert sent == [logged.pop()] * 3
    (call,) = calls(caplog)
    assert call.correlation_id == sent[0]  # type: ignore[attr-defined]
    # the call's line comes after its attempts (httpx's own lines, of the twin's admin calls
    # above, are captured too when an earlier test set the root logger to INFO)
    assert [r for r in caplog.records if r.name == "g2a_adapter"][-1] is call


def test_one_line_per_call_with_its_outcome(
    client: G2AClient, twin: RunningTwin, caplog: pytest.LogCaptureFixture
) -> None:
    twin.admin.add_fault(route=PRODUCTS, kind="status", status=503, times=1)
    with caplog.at_level(logging.INFO, logger="g2a_adapter"):
        client.products.list()
        with pytest.raises(G2AError):
            client.orders.create(99999999999999)
    assert attempts(caplog) == []  # attempts are DEBUG
    ok, failed = calls(caplog)
    assert (ok.levelno, failed.levelno) == (logging.INFO, logging.WARNING)
    common = {"purchase_step": None, "idempotency_key_digest": None}
    assert call_fields(ok) == {
        "method": "GET",
        "route": PRODUCTS,
        "status": 200,
        "attempts": 2,
        "retries": 1,
        "outcome": "ok",
        "error": None,
        "error_code": None,
        "correlation_id": ok.correlation_id,  # type: ignore[attr-defined]
        **common,
    }
    assert call_fields(failed) == {
        "method": "POST",
        "route": "/v1/order",
        "status": 404,
        "attempts": 1,
        "retries": 0,
        "outcome": "error",
        "error": "G2AApiError",
        "error_code": failed.error_code,  # type: ignore[attr-defined]
        "correlation_id": failed.correlation_id,  # type: ignore[attr-defined]
        **common,
    }
    assert re.fullmatch(r"[A-Z]+\d+", failed.error_code)  # type: ignore[attr-defined]
    assert ok.latency_ms > 0  # type: ignore[attr-defined]
    assert failed.getMessage() == (
        f"g2a.call POST /v1/order status=404 latency_ms={failed.latency_ms:.1f} attempts=1 "  # type: ignore[attr-defined]
        f"retries=0 outcome=error error=G2AApiError error_code={failed.error_code} "  # type: ignore[attr-defined]
        f"purchase_step=- idempotency_key=- correlation_id={failed.correlation_id}"  # type: ignore[attr-defined]
    )


def test_purchase_calls_name_their_step_and_the_key_digest_only(
    client: G2AClient, caplog: pytest.LogCaptureFixture
) -> None:
    key = "customer-7-basket-MATERIAL-4411"
    with caplog.at_level(logging.INFO, logger="g2a_adapter"):
        client.orders.purchase(PRODUCT, idempotency_key=key, poll_interval=0.01)
    records = calls(caplog)
    steps = [(r.route, r.purchase_step) for r in records]  # type: ignore[attr-defined]
    assert steps[:2] == [("/v1/order", "create"), ("/v1/order/pay/{order_id}", "pay")]
    assert steps[-1] == ("/v1/order/key/{order_id}", "key")
    assert set(steps[2:-1]) == {("/v1/order/details/{order_id}", "poll")}
    digests = {r.idempotency_key_digest for r in records}  # type: ignore[attr-defined]
    assert digests == {purchase_key_digest(key)}
    assert key not in caplog.text
    assert all(key not in str(vars(r)) for r in caplog.records)


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
    with caplog.at_level(logging.DEBUG, logger="g2a_adapter"):
        client.products.list()
    first, second = attempts(caplog)
    assert (first.status, first.outcome, second.status) == (None, "retry", 200)  # type: ignore[attr-defined]


def test_disabled_logger_emits_nothing(client: G2AClient, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="g2a_adapter"):
        client.products.list()
    assert caplog.records == []


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
    assert "g2a_token_ttl_seconds NaN" in exposition  # Export calls only: no token to watch


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
                    api_key=os.environ["API_KEY"], timeout_ms=2000, idempotency_url="memory://")
with G2AClient(settings) as client:
    client.products.list()
    client.orders.purchase(os.environ["PRODUCT"], idempotency_key=os.environ["PURCHASE_KEY"],
                           poll_interval=0.01)
"""
PURCHASE_KEY = "customer-9-basket-MATERIAL-0071"
LINE = (
    r"g2a\.call (?P<method>[A-Z]+) (?P<route>\S+) status=(?P<status>\d+) latency_ms=\d+\.\d "
    r"attempts=(?P<attempts>\d) retries=(?P<retries>\d) outcome=ok error=- error_code=- "
    r"purchase_step=(?P<step>[a-z_-]+) idempotency_key=(?P<key>[0-9a-f]{32}|-) "
    r"correlation_id=[0-9a-f]{32}"
)


def _call_in_subprocess(twin: RunningTwin, logging_setup: str, log_format: str = "") -> str:
    """stderr of a fresh interpreter listing products (a retried 503, then a 200) and making
    one purchase (create, pay, poll details, key)."""
    twin.admin.add_fault(route=PRODUCTS, method="GET", kind="status", status=503, times=1)
    env = {
        **os.environ,
        "API_URL": twin.export_url,
        "API_HASH": SANDBOX_API_HASH,
        "API_KEY": SANDBOX_API_KEY,
        "PRODUCT": PRODUCT,
        "PURCHASE_KEY": PURCHASE_KEY,
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


def _assert_no_secret_nor_key(text: str) -> None:
    for secret in (SANDBOX_API_KEY, SANDBOX_API_HASH, PURCHASE_KEY):
        assert secret not in text


def test_basic_config_prints_one_readable_line_per_call_without_secrets(
    twin: RunningTwin,
) -> None:
    output = _call_in_subprocess(twin, "basic")  # httpx logs its requests at INFO too
    lines = [line for line in output.splitlines() if not line.startswith("INFO:httpx:")]
    assert all(line.startswith("INFO:g2a_adapter:g2a.call ") for line in lines), output
    matches = [re.fullmatch(LINE, line.removeprefix("INFO:g2a_adapter:")) for line in lines]
    assert all(matches), output
    rows = [(m["method"], m["route"], m["attempts"], m["retries"], m["step"]) for m in matches]  # type: ignore[index]
    assert rows[:3] == [
        ("GET", PRODUCTS, "2", "1", "-"),
        ("POST", "/v1/order", "1", "0", "create"),
        ("PUT", "/v1/order/pay/{order_id}", "1", "0", "pay"),
    ]
    assert rows[-1] == ("GET", "/v1/order/key/{order_id}", "1", "0", "key")
    assert {row[4] for row in rows[3:-1]} == {"poll"}
    assert {m["key"] for m in matches[1:]} == {purchase_key_digest(PURCHASE_KEY)}  # type: ignore[index]
    _assert_no_secret_nor_key(output)


def test_unconfigured_logging_prints_nothing(twin: RunningTwin) -> None:
    assert _call_in_subprocess(twin, "none") == ""


def test_json_format_prints_one_object_per_call_without_secrets(twin: RunningTwin) -> None:
    output = _call_in_subprocess(twin, "env", log_format="json")
    every = [json.loads(line) for line in output.splitlines()]
    objects = [o for o in every if o["logger"] != "httpx"]
    assert {(o["logger"], o["level"]) for o in objects} == {("g2a_adapter", "INFO")}
    products, create = objects[:2]
    assert {k: products[k] for k in ("method", "route", "status", "attempts", "retries")} == {
        "method": "GET",
        "route": PRODUCTS,
        "status": 200,
        "attempts": 2,
        "retries": 1,
    }
    absent = ("error", "error_code", "purchase_step", "idempotency_key_digest")
    assert [products[k] for k in absent] == [None] * 4
    assert isinstance(products["latency_ms"], float)
    assert (create["route"], create["purchase_step"]) == ("/v1/order", "create")
    assert create["idempotency_key_digest"] == purchase_key_digest(PURCHASE_KEY)
    assert objects[-1]["purchase_step"] == "key"
    _assert_no_secret_nor_key(output)


def test_text_format_from_the_environment(twin: RunningTwin) -> None:
    every = _call_in_subprocess(twin, "env", log_format="text").splitlines()
    output = [line for line in every if " httpx " not in line]
    assert all(line.split(" ", 3)[2] == "INFO" for line in output)
    assert " g2a_adapter g2a.call GET /v1/products status=200 " in output[0]
    assert all(re.search(LINE, line) for line in output)


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


class _CorruptGzip(http.server.BaseHTTPRequestHandler):
    """Answers every GET with `statuses` in turn (the last one repeats), each with a body that
    is not the gzip its `Content-Encoding` says."""

    statuses: list[int] = [200]

    def do_GET(self) -> None:
        status = self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]
        body = b"not gzip at all"
        self.send_response(status)
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.mark.parametrize("kind", ["sync", "async"])
@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        ([200], {("200", "error"): 1.0}),
        ([503], {("503", "retry"): 1.0, ("503", "error"): 1.0}),
    ],
)
def test_an_answer_whose_body_cannot_be_decoded_is_counted_with_its_status(
    kind: str, statuses: list[int], expected: dict[tuple[str, str], float]
) -> None:
    """Over a real socket: the status line arrived, so the attempt keeps its HTTP status (not
    `none`, which reads as "no answer"), and a 503 is retried as a 503."""
    handler = type("Handler", (_CorruptGzip,), {"statuses": list(statuses)})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings = Settings(
        api_url=f"http://127.0.0.1:{server.server_port}",
        api_hash=SANDBOX_API_HASH,
        api_key=SANDBOX_API_KEY,
        env="sandbox",
        allowed_hosts=("127.0.0.1",),
    )
    metrics, retry = Metrics(), RetryPolicy(max_retries=1, sleep_enabled=False)
    try:
        if kind == "sync":
            with (
                G2AClient(settings, metrics=metrics, retry=retry) as client,
                pytest.raises(ResponseFormatError),
            ):
                client.products.list()
        else:

            async def call() -> None:
                async with AsyncG2AClient(settings, metrics=metrics, retry=retry) as client:
                    with pytest.raises(ResponseFormatError):
                        await client.products.list()

            asyncio.run(call())
    finally:
        server.shutdown()
        server.server_close()
    counted = {
        (s.labels["status"], s.labels["outcome"]): s.value
        for family in metrics.registry.collect()
        for s in family.samples
        if s.name == "g2a_requests_total"
    }
    assert counted == expected
    products = {"method": "GET", "route": PRODUCTS}
    assert sample(metrics, "g2a_request_duration_seconds_count", **products) == sum(
        expected.values()
    )
