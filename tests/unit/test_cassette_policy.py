"""`harness.cassettes`: URLs are shown and recorded without credentials, cassettes replay only
the request that was recorded (body included), provenance stores a redacted base URL."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from urllib.parse import quote

import pytest
from vcr.request import Request

from harness.cassettes import (
    SCRUBBED,
    find_leaks,
    redacted_url,
    scrub_request,
    scrub_response,
    vcr_config,
    write_provenance,
)

SECRET = "hunter2-very-secret"


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("http://127.0.0.1:8765", "http://127.0.0.1:8765"),
        ("https://ci:hunter2@twin.example:8443/v1", f"https://{SCRUBBED}@twin.example:8443/v1"),
        ("https://token@twin.example/v1", f"https://{SCRUBBED}@twin.example/v1"),
        (
            "https://twin.example/v1?page=1&password=pw&API_KEY=k&access_token=t&id=7",
            f"https://twin.example/v1?page=1&password={SCRUBBED}&API_KEY={SCRUBBED}"
            f"&access_token={SCRUBBED}&id=7",
        ),
        ("https://twin.example/v1?pass%77ord=pw", f"https://twin.example/v1?pass%77ord={SCRUBBED}"),
        ("https://twin.example/#access_token=t", f"https://twin.example/#access_token={SCRUBBED}"),
        ("http://[::1", SCRUBBED),  # does not parse: shown as a whole mask
        # a password holding an unencoded `#`, `/` or `?` ends the authority early
        ("https://admin:Pr0m#Pass@prom.example:9090", f"https://{SCRUBBED}@prom.example:9090"),
        ("https://g2a:S3ll3r/Pw@seller.example/x", f"https://{SCRUBBED}@seller.example/x"),
        ("https://u:a?b@h.example/v1?id=7", f"https://{SCRUBBED}@h.example/v1?id=7"),
        ("https://h.example/v1?mail=a@b.example", "https://h.example/v1?mail=a@b.example"),
        (
            "https://CORP/alice:Pa55word@prom.example:9090/",
            f"https://{SCRUBBED}@prom.example:9090/",
        ),
        # a port or an IPv6 host with a `@` in the path or query: no user info
        ("http://prom:9090/api?to=ops@example.com", "http://prom:9090/api?to=ops@example.com"),
        ("https://seller.example:8443/g2a/@v1/", "https://seller.example:8443/g2a/@v1/"),
        ("http://[::1]/a@b", "http://[::1]/a@b"),
        ("http://[::1]:8080/a@b", "http://[::1]:8080/a@b"),
    ],
)
def test_redacted_url_hides_user_info_and_secret_query_values(url: str, shown: str) -> None:
    assert redacted_url(url) == shown


def test_recorded_request_urls_lose_credentials_and_configured_secrets() -> None:
    request = Request(
        "GET",
        f"http://ci:pw@127.0.0.1:1/v1/products?page=1&token=t0k3n&q={SECRET}",
        b"",
        {"Authorization": "Bearer abc"},
    )
    recorded = scrub_request([SECRET])(request)
    assert recorded.uri == (
        f"http://{SCRUBBED}@127.0.0.1:1/v1/products?page=1&token={SCRUBBED}&q={SCRUBBED}"
    )
    assert recorded.headers["Authorization"] == SCRUBBED


# Shaped like G2A's sample client secrets: `$`, `/` and `+` are written otherwise in URLs and JSON
WRITTEN_SECRET = "$2a$10$E2jV.xq9Lk/HJoT6+w"
BASIC = "Basic " + base64.b64encode(f"client:{WRITTEN_SECRET}".encode()).decode()


def test_a_recorded_request_loses_a_secret_however_it_is_written() -> None:
    """Percent-encoded in a query value whose name says nothing, escaped as PHP writes JSON,
    in the base64 of a Basic credential in a header whose name says nothing."""
    php_json = json.dumps({"note": WRITTEN_SECRET}).replace("/", "\\/")
    request = Request(
        "POST",
        f"http://127.0.0.1:1/v1/order?note={quote(WRITTEN_SECRET, safe='')}&page=1",
        php_json.encode(),
        {"X-Upstream-Auth": BASIC, "Accept": "application/json"},
    )
    recorded = scrub_request([WRITTEN_SECRET])(request)
    assert recorded.uri == f"http://127.0.0.1:1/v1/order?note={SCRUBBED}&page=1"
    assert recorded.body == f'{{"note": "{SCRUBBED}"}}'.encode()
    assert dict(recorded.headers) == {
        "X-Upstream-Auth": f"Basic {SCRUBBED}",
        "Accept": "application/json",
    }


def test_a_recorded_answer_loses_a_secret_in_a_header_whose_name_says_nothing() -> None:
    answer = {"body": {"string": b"{}"}, "headers": {"X-Echo": [BASIC], "Set-Cookie": ["s=1"]}}
    recorded = scrub_response([WRITTEN_SECRET])(answer)
    assert recorded["headers"] == {"X-Echo": [f"Basic {SCRUBBED}"], "Set-Cookie": [SCRUBBED]}


@pytest.mark.parametrize(
    "written",
    [quote(WRITTEN_SECRET, safe=""), json.dumps(WRITTEN_SECRET).replace("/", "\\/"), BASIC],
    ids=["percent-encoded", "php-json", "basic"],
)
def test_a_cassette_holding_a_secret_written_otherwise_is_a_leak(written: str) -> None:
    assert find_leaks(f"note: {written}", ["other-secret", WRITTEN_SECRET]) == [
        "configured secret #1"
    ]


def test_a_recorded_request_matches_on_its_body_too() -> None:
    assert vcr_config([SECRET])["match_on"] == ("method", "path", "query", "body")


def test_provenance_stores_a_redacted_base_url(tmp_path: Path) -> None:
    cassette = tmp_path / "test_flow.yaml"
    path = write_provenance(
        cassette, target="sandbox", base_url="https://ci:hunter2@sandboxapi.g2a.com/v1?key=k"
    )
    stored = json.loads(path.read_text(encoding="utf-8"))
    assert stored["base_url"] == f"https://{SCRUBBED}@sandboxapi.g2a.com/v1?key={SCRUBBED}"
    assert "hunter2" not in path.read_text(encoding="utf-8")
