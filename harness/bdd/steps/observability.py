"""Steps: the adapter's log records, its Prometheus metrics and the receiver's `/metrics`."""

from __future__ import annotations

from pytest_bdd import parsers, then

from harness.bdd.steps.client import _secrets
from harness.bdd.wordings import WHOLE_TYPE, Between, Wording, parse, worded
from harness.bdd.world import World, missing

LOG_FIELDS = ("method", "path", "status", "latency_ms", "retries", "attempt", "correlation_id")
_PRODUCT_LIST = "/v1/products"  # the route label of a product list request
# what the request log steps may name: an HTTP status, a call log line's `name=value` fields
STATUSES: Wording[int] = Wording(
    "list of HTTP statuses", {"<status, 100 to 599>": (r"([1-5]\d\d)", int)}, separators=(",",)
)
FIELDS: Wording[tuple[str, str]] = Wording(
    "list of fields",
    {"<name>=<value>": (r"(\w+)=(\S*)", lambda name, value: (name, value))},
    separators=(" ",),
)


def _sum(world: World, name: str, **labels: str) -> float:
    """Sum of the samples of `name` whose labels include `labels`."""
    total = 0.0
    for family in world.metrics.registry.collect():
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                total += sample.value
    return total


@then(parse("{count:whole} request log records were written"))
def log_record_count(g2a_world: World, count: int) -> None:
    """This many request log records were written.

    Example: 2 request log records were written
    """
    written = len(g2a_world.logs.requests())
    assert written == count, f"expected {count} request log records, got {written}"


@then(
    parsers.re(
        r'each log record names the method "(?P<method>\w+)", the path "(?P<path>[^"]+)", '
        r"a latency and the retry count"
    )
)
def log_fields(g2a_world: World, method: str, path: str) -> None:
    """Every request log record names the method, the path, a latency and the retry count.

    Example: each log record names the method "GET", the path "/v1/products", a latency and the retry count
    """  # noqa: E501
    records = g2a_world.logs.requests()
    assert records, "expected request log records, got none"
    for number, record in enumerate(records, start=1):
        missing = [f for f in LOG_FIELDS if not hasattr(record, f)]
        assert not missing, f"expected log record {number} to name {', '.join(missing)}, got none"
        fields = record.__dict__
        named = (fields["method"], fields["path"])
        assert named == (method, path), (
            f'expected log record {number} to name "{method}" "{path}", got "{named[0]}" '
            f'"{named[1]}"'
        )
        latency = fields["latency_ms"]
        if not isinstance(latency, int | float) or latency < 0:
            raise AssertionError(f"expected log record {number} to name a latency, got {latency!r}")
        assert (fields["attempt"], fields["retries"]) == (number, number - 1), (
            f"expected log record {number} to be attempt {number} after {number - 1} retries, "
            f"got attempt {fields['attempt']} after {fields['retries']}"
        )


@then(
    worded(parse('the log records show the statuses "{statuses}" in that order'), statuses=STATUSES)
)
def log_statuses(g2a_world: World, statuses: str) -> None:
    """The request log records show these HTTP statuses, in order.

    Example: the log records show the statuses "503, 200" in that order
    """
    expected = STATUSES.values(statuses)
    logged = [r.__dict__["status"] for r in g2a_world.logs.requests()]
    assert logged == expected, (
        f'expected the statuses "{statuses}" in that order, '
        f'got "{", ".join(map(str, logged)) or "none"}"'
    )


@then(parse("{count:whole} call log lines were written"))
def call_line_count(g2a_world: World, count: int) -> None:
    """This many G2A calls were logged, one line each.

    Example: 2 call log lines were written
    """
    written = len(g2a_world.logs.calls())
    assert written == count, f"expected {count} call log lines, got {written}"


@then(
    worded(
        parse('call log line {number:whole} shows "{fields}"'),
        number=Between(WHOLE_TYPE, 1),
        fields=FIELDS,
    )
)
def call_line_fields(g2a_world: World, number: int, fields: str) -> None:
    """The call's line holds these `name=value` fields (`-` for an absent value).

    Example: call log line 2 shows "method=POST route=/v1/order status=404 error_code=ORD01"
    """
    calls = g2a_world.logs.calls()
    assert len(calls) >= number, f"expected at least {number} call log lines, got {len(calls)}"
    record = calls[number - 1]
    for name, expected in FIELDS.values(fields):
        value = getattr(record, name, None)
        shown = "-" if value is None else str(value)
        assert shown == expected, (
            f"expected {name}={expected} on call log line {number}, got {name}={shown}"
        )
    latency = record.__dict__.get("latency_ms")
    assert isinstance(latency, int | float), (
        f"expected call log line {number} to name a latency, got {latency!r}"
    )


@then("no log output reveals the API key, the OAuth secret or the access token")
def logs_hide_secrets(g2a_world: World) -> None:
    """No captured log output reveals the API key, the OAuth secret or the token.

    Example: no log output reveals the API key, the OAuth secret or the access token
    """
    secrets = _secrets(g2a_world)
    assert g2a_world.logs.requests(), (
        "expected request log records to look at, got none: the check would prove nothing"
    )
    assert any(len(s) >= 32 for s in secrets), (
        "expected a credential to look for, got none: the check would prove nothing"
    )
    for number, text in enumerate(g2a_world.logs.texts(), start=1):
        for secret in secrets:
            assert secret not in text, (
                f"expected no credential in the logs, got one in log record {number}"
            )


@then(
    parsers.re(r"the request counter shows (?P<count>\d+) requests? with status (?P<status>\d{3})"),
    converters={"count": int, "status": int},
)
def requests_counted(g2a_world: World, count: int, status: int) -> None:
    """The request counter shows this many requests with this status.

    Example: the request counter shows 1 request with status 200
    """
    counted = _sum(g2a_world, "g2a_requests_total", status=str(status))
    assert counted == count, f"expected {count} requests with status {status}, got {counted:g}"


@then(
    parsers.re(r"the retry counter shows (?P<count>\d+) (?:retry|retries)"),
    converters={"count": int},
)
def retries_counted(g2a_world: World, count: int) -> None:
    """The retry counter shows this many retries.

    Example: the retry counter shows 2 retries
    """
    counted = _sum(g2a_world, "g2a_request_retries_total")
    assert counted == count, f"expected {count} retries, got {counted:g}"


@then(
    parsers.re(r"the latency histogram holds (?P<count>\d+) product list requests?"),
    converters={"count": int},
)
def latency_count(g2a_world: World, count: int) -> None:
    """The request latency histogram counted this many product list requests.

    Example: the latency histogram holds 1 product list request
    """
    observed = _sum(g2a_world, "g2a_request_duration_seconds_count", route=_PRODUCT_LIST)
    assert observed == count, (
        f"expected {count} product list requests in the latency histogram, got {observed:g}"
    )


@then(parse("that request took at least {seconds:number} seconds"))
def latency_sum(g2a_world: World, seconds: float) -> None:
    """The product list requests made so far took at least this many seconds in all.

    Example: that request took at least 0.3 seconds
    """
    if not _sum(g2a_world, "g2a_request_duration_seconds_count", route=_PRODUCT_LIST):
        raise missing(
            "product list request was made", '"When QA lists the first page of products" makes one'
        )
    observed = _sum(g2a_world, "g2a_request_duration_seconds_sum", route=_PRODUCT_LIST)
    assert observed >= seconds, (
        f"expected the request to take at least {seconds:g} seconds, got {observed:.3f} seconds"
    )
