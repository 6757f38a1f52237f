"""The sandbox path, rehearsed without G2A: `g2a-harness run --target sandbox` as QA runs it,
against a twin that answers over TLS at the URL the sandbox settings name, trusted through
`SSL_CERT_FILE` (the CA made here, as a team behind a TLS-inspecting proxy names its own).

Nothing else ran the `@sandbox` scenarios on a sandbox target: this proves they run there, over
https, against the API the settings name (not a twin the harness starts), and that a loopback
host does not prove the item only the real sandbox can.
"""

from __future__ import annotations

import json
from pathlib import Path

from qa_support import harness

from harness.load.tls import issue, serve_asgi_tls
from harness.twin.admin import TwinAdmin
from harness.twin.app import create_app
from harness.twin.credentials import SANDBOX_API_HASH, SANDBOX_API_KEY


def test_a_sandbox_smoke_run_over_tls_calls_the_api_its_settings_name(tmp_path: Path) -> None:
    certificates = issue("127.0.0.1", tmp_path / "tls")
    ca_file = tmp_path / "tls" / "ca.pem"
    ca_file.write_text(certificates.ca_pem)
    reports = tmp_path / "reports"
    with serve_asgi_tls(create_app(), "127.0.0.1", certificates) as url:
        env = {
            "G2A_API_URL": f"{url}/v1",
            "G2A_API_HASH": SANDBOX_API_HASH,
            "G2A_API_KEY": SANDBOX_API_KEY,
            "SSL_CERT_FILE": str(ca_file),
        }
        done = harness(
            "run", "--target", "sandbox", "--suite", "smoke", "--report-dir", str(reports), env=env
        )
        with TwinAdmin(url, verify=certificates.client_context()) as admin:
            called = {(r["method"], r["path"]) for r in admin.requests()}

    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert {("POST", "/oauth/token"), ("POST", "/v1/order"), ("GET", "/v1/products")} <= called
    report = json.loads((reports / "checklist.json").read_text())
    assert (report["target"], report["envelope"]["base_url"]) == ("sandbox", f"{url}/v1")
    items = {item["id"]: item for item in report["items"]}
    assert [items[i]["status"] for i in ("test-int-token", "test-int-order-create")] == [
        "passed",
        "passed",
    ]
    assert items["ops-health"]["status"] == "skipped"  # twin-only: never faked on the sandbox
    sandbox_only = items["handoff-sandbox-smoke"]
    assert sandbox_only["status"] == "skipped"
    assert sandbox_only["evidence"][0].startswith(
        "skipped: proven only against sandboxapi.g2a.com (this run: 127.0.0.1)"
    )
