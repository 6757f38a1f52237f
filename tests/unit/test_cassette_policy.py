"""`harness.cassettes`: URLs are shown and recorded without credentials, cassettes replay only
the request that was recorded (body included), provenance stores a redacted base URL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from vcr.request import Request

from harness.cassettes import (
    SCRUBBED,
    redacted_url,
    scrub_request,
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
