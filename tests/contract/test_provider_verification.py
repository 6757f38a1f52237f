"""Provider verification of contracts/pacts against the twin served on loopback.

Runs after the consumer tests of the same session (file order), so it verifies the freshly
regenerated pacts; run alone it verifies the committed ones. A deliberately broken twin (a
renamed field, a changed status) must fail verification.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from harness.cli import main
from harness.contracts.sources import PACT_DIR
from harness.contracts.verify import EXPORT_PROVIDER, IMPORT_PROVIDER, verify_pacts
from harness.serving import serve_asgi
from harness.twin.app import create_app
from harness.twin.server import RunningTwin, running_twin


def descriptions(provider: str) -> list[str]:
    pact = json.loads((PACT_DIR / f"g2a-adapter-{provider}.json").read_text())
    return [i["description"] for i in pact["interactions"]]


@pytest.fixture(scope="module")
def twin() -> Iterator[RunningTwin]:
    with running_twin() as running:
        yield running


def test_pacts_verify_against_the_twin(twin: RunningTwin) -> None:
    result = verify_pacts(twin.base_url)
    assert result.passed, result.output
    assert [(p.provider, p.interactions) for p in result.providers] == [
        (EXPORT_PROVIDER, len(descriptions(EXPORT_PROVIDER))),
        (IMPORT_PROVIDER, len(descriptions(IMPORT_PROVIDER))),
    ]
    for provider in (EXPORT_PROVIDER, IMPORT_PROVIDER):
        for description in descriptions(provider):
            assert f"  {description} (" in result.output, description
    assert "has status code 402 (OK)" in result.output
    assert "FAILED" not in result.output


class BreakingMiddleware:
    """Wraps the twin: renames `transaction_id` in pay answers, turns the 402 of a too
    expensive order into 400. Everything else passes through untouched."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.state = app.state

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not path.startswith("/v1/order"):
            await self.app(scope, receive, send)
            return
        start: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def capture(message: Any) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body"):
                return
            body = b"".join(chunks).replace(b'"transaction_id"', b'"transactionId"')
            status = 400 if start["status"] == 402 else start["status"]
            headers = [
                (k, str(len(body)).encode() if k.lower() == b"content-length" else v)
                for k, v in start.get("headers", [])
            ]
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": body})

        await self.app(scope, receive, capture)


def test_a_broken_twin_fails_verification() -> None:
    with serve_asgi(BreakingMiddleware(create_app())) as base_url:
        result = verify_pacts(base_url)
    assert not result.passed
    export, imports = result.providers
    assert not export.passed
    assert imports.passed, imports.output
    output = export.output
    assert "a payment of a new order" in output
    assert "Actual map is missing the following keys: transaction_id" in output
    assert "expected 402 but was 400" in output
    assert "There were 2 pact failures" in output
    failures = output.split("Failures:")[1]
    assert "a lookup of one product by id" not in failures


def test_cli_verify_against_a_provider_url_writes_the_report(
    twin: RunningTwin, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    code = main(
        ["contracts", "verify", "--provider-url", twin.base_url, "--report-dir", str(tmp_path)]
    )
    out = capfd.readouterr().out  # pact's verifier writes to the process's stdout itself
    assert code == 0, out
    for provider in (EXPORT_PROVIDER, IMPORT_PROVIDER):  # its report, once
        assert out.count(f"Verifying a pact between g2a-adapter and {provider}\n") == 1, out
    assert (
        f"{EXPORT_PROVIDER}: {len(descriptions(EXPORT_PROVIDER))} interaction(s), verified" in out
    )
    report = json.loads((tmp_path / "contracts.json").read_text())
    assert report["kind"] == "contracts"
    assert report["pacts_verified"] is True
    assert report["provider_url"] == twin.base_url
    assert report["passed"] is False  # no drift check has run into this report yet
    assert {p["provider"]: p["passed"] for p in report["verification"]["providers"]} == {
        EXPORT_PROVIDER: True,
        IMPORT_PROVIDER: True,
    }


def test_cli_verify_says_which_provider_has_no_pact(
    twin: RunningTwin, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    pacts = tmp_path / "pacts"
    pacts.mkdir()
    export_pact = f"g2a-adapter-{EXPORT_PROVIDER}.json"
    (pacts / export_pact).write_bytes((PACT_DIR / export_pact).read_bytes())
    args = ["contracts", "verify", "--provider-url", twin.base_url, "--pacts", str(pacts)]
    code = main([*args, "--report-dir", str(tmp_path)])
    out = capfd.readouterr().out
    assert code == 1, out
    assert out.count(f"Verifying a pact between g2a-adapter and {EXPORT_PROVIDER}\n") == 1, out
    assert out.count(f"no pact for {IMPORT_PROVIDER} in {pacts}\n") == 1, out
    assert f"{IMPORT_PROVIDER}: 0 interaction(s), FAILED" in out


def test_cli_verify_with_an_unreachable_provider_fails_fast(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "contracts",
            "verify",
            "--provider-url",
            "http://127.0.0.1:9",
            "--report-dir",
            str(tmp_path),
        ]
    )
    assert code == 1
    assert "no provider answers at http://127.0.0.1:9" in capsys.readouterr().err
    report = json.loads((tmp_path / "contracts.json").read_text())
    assert report["pacts_verified"] is False
    assert report["verification"]["error"].startswith("no provider answers")
    assert report["passed"] is False


def test_cli_verify_defaults_to_the_embedded_twin(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["contracts", "verify", "--report-dir", str(tmp_path)])
    assert code == 0, capsys.readouterr().out
    report = json.loads((tmp_path / "contracts.json").read_text())
    assert report["target"] == "twin"
    assert report["pacts_verified"] is True
    assert report["provider_url"].startswith("http://127.0.0.1:")
