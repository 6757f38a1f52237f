"""Provider verification of contracts/pacts against the twin served on loopback.

Runs after the consumer tests of the same session (file order), so it verifies the freshly
regenerated pacts; run alone it verifies the committed ones. A deliberately broken twin (a
renamed field, a changed status) must fail verification.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from harness.cli import main
from harness.contracts.sources import PACT_DIR
from harness.contracts.states import TOKEN_STATE, ProviderStates, serve_states
from harness.contracts.verify import EXPORT_PROVIDER, IMPORT_PROVIDER, verify_pacts
from harness.serving import serve_asgi
from harness.twin.app import create_app
from harness.twin.config import TwinConfig
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


Rewrite = Callable[[int, bytes], tuple[int, bytes]]


class RewritingMiddleware:
    """Wraps the twin: the answers of paths starting with `prefix` go through `rewrite`
    (status, body) -> (status, body). Everything else passes through untouched."""

    def __init__(self, app: Any, prefix: str, rewrite: Rewrite) -> None:
        self.app = app
        self.state = app.state
        self.prefix = prefix
        self.rewrite = rewrite

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not scope.get("path", "").startswith(self.prefix):
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
            status, body = self.rewrite(start["status"], b"".join(chunks))
            headers = [
                (k, str(len(body)).encode() if k.lower() == b"content-length" else v)
                for k, v in start.get("headers", [])
            ]
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": body})

        await self.app(scope, receive, capture)


def breaking(status: int, body: bytes) -> tuple[int, bytes]:
    """Renames `transaction_id` in pay answers, turns the 402 of a too expensive order into
    400."""
    return (400 if status == 402 else status), body.replace(b'"transaction_id"', b'"transactionId"')


def test_a_broken_twin_fails_verification() -> None:
    with serve_asgi(RewritingMiddleware(create_app(), "/v1/order", breaking)) as base_url:
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


def emptied(key: str, *within: str) -> Rewrite:
    """A rewrite emptying the array `key` of each object at `within` (a path of keys, `*`
    for every item of a list) in 200 answers."""

    def empty(node: Any, steps: tuple[str, ...]) -> None:
        if not steps:
            node[key] = []
            return
        step, rest = steps[0], steps[1:]
        for child in node if step == "*" else [node[step]]:
            empty(child, rest)

    def rewrite(status: int, body: bytes) -> tuple[int, bytes]:
        if status != 200:
            return status, body
        document = json.loads(body)
        empty(document, within)
        return status, json.dumps(document).encode()

    return rewrite


@pytest.mark.parametrize(
    ("prefix", "rewrite", "provider", "description"),
    [
        pytest.param(
            "/v3/jobs/",
            emptied("elements", "data"),
            IMPORT_PROVIDER,
            "the status of an offer job",
            id="job-elements",
        ),
        pytest.param(
            "/v1/products",
            emptied("categories", "docs", "*"),
            EXPORT_PROVIDER,
            "a request for the first page of products",
            id="product-categories",
        ),
    ],
)
def test_a_twin_emptying_an_array_the_adapter_reads_fails_verification(
    prefix: str, rewrite: Rewrite, provider: str, description: str
) -> None:
    with serve_asgi(RewritingMiddleware(create_app(), prefix, rewrite)) as base_url:
        result = verify_pacts(base_url, providers=(provider,))
    [verification] = result.providers
    assert not verification.passed, verification.output
    assert description in verification.output.split("Failures:")[1]


class WithoutHeader:
    """Wraps the twin: its answers lose the header `name` (lower-case)."""

    def __init__(self, app: Any, name: bytes) -> None:
        self.app = app
        self.state = app.state
        self.name = name

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        async def strip(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message["headers"] if k.lower() != self.name]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, strip if scope["type"] == "http" else send)


@pytest.mark.parametrize("offer_status", [200, 201])
def test_the_pacts_ask_nothing_g2a_leaves_undocumented(offer_status: int) -> None:
    """G2A documents 200, 201 or 202 for an offer create, and no `Retry-After` on its 429:
    a provider choosing otherwise than the twin still verifies."""
    twin = create_app(TwinConfig(offer_accepted_status=offer_status))
    with serve_asgi(WithoutHeader(twin, b"retry-after")) as base_url:
        result = verify_pacts(base_url)
    assert result.passed, [p.output for p in result.providers if not p.passed]
    assert "a request while the rate limit is exhausted" in result.providers[0].output
    assert "a new dropshipping offer" in result.providers[1].output


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
    assert out.splitlines()[-1] == f"report: {tmp_path / 'contracts.json'}"
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
    assert out.count(f"no pact for {IMPORT_PROVIDER} in {pacts}: nothing verified") == 1, out
    assert f"{IMPORT_PROVIDER}: 0 interaction(s), FAILED" in out


def pact_folder(tmp_path: Path, **overrides: dict[str, Any]) -> Path:
    """A copy of contracts/pacts plus `overrides`: file stem -> pact JSON."""
    pacts = tmp_path / "pacts"
    pacts.mkdir()
    for path in PACT_DIR.glob("*.json"):
        (pacts / path.name).write_bytes(path.read_bytes())
    for stem, pact in overrides.items():
        (pacts / f"{stem}.json").write_text(json.dumps(pact))
    return pacts


def test_a_pact_without_interactions_verifies_nothing_and_fails(
    twin: RunningTwin, tmp_path: Path
) -> None:
    empty = json.loads((PACT_DIR / f"g2a-adapter-{IMPORT_PROVIDER}.json").read_text())
    empty["interactions"] = []
    pacts = pact_folder(tmp_path, **{f"g2a-adapter-{IMPORT_PROVIDER}": empty})
    result = verify_pacts(twin.base_url, pact_dir=pacts)
    assert not result.passed
    verified = {p.provider: (p.passed, p.interactions) for p in result.providers}
    assert verified == {
        EXPORT_PROVIDER: (True, len(descriptions(EXPORT_PROVIDER))),
        IMPORT_PROVIDER: (False, 0),
    }
    assert result.providers[1].output == (
        f"no interaction in the pacts for {IMPORT_PROVIDER} in {pacts}: "
        "nothing verified is not a pass"
    )


def test_a_pact_for_an_unknown_provider_is_never_verified_and_fails(
    twin: RunningTwin, tmp_path: Path
) -> None:
    misspelt = json.loads((PACT_DIR / f"g2a-adapter-{EXPORT_PROVIDER}.json").read_text())
    misspelt["provider"]["name"] = "g2a-exprot-api"
    pacts = pact_folder(tmp_path, misspelt=misspelt)
    result = verify_pacts(twin.base_url, pact_dir=pacts)
    assert not result.passed
    unknown, *known = result.providers
    assert (unknown.provider, unknown.passed) == ("g2a-exprot-api", False)
    assert "pact for unknown provider 'g2a-exprot-api' is never verified" in unknown.output
    assert all(p.passed for p in known)


def test_an_unknown_provider_name_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown provider\\(s\\) g2a-exprot-api; known: "):
        verify_pacts("http://127.0.0.1:9", providers=("g2a-exprot-api",))


def test_provider_credentials_never_reach_the_report_or_stderr(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = "http://ci:hunter2@127.0.0.1:9"
    assert main(["contracts", "verify", "--provider-url", url, "--report-dir", str(tmp_path)]) == 1
    captured = capsys.readouterr()
    stored = (tmp_path / "contracts.json").read_text()
    for shown in (captured.out, captured.err, stored):
        assert "hunter2" not in shown
    assert "no provider answers at http://<scrubbed>@127.0.0.1:9" in captured.err
    report = json.loads(stored)
    assert report["provider_url"] == "http://<scrubbed>@127.0.0.1:9"
    assert report["parts"]["verify"]["base_url"] == "http://<scrubbed>@127.0.0.1:9"


def test_a_failed_provider_state_does_not_show_provider_credentials(
    twin: RunningTwin, caplog: pytest.LogCaptureFixture
) -> None:
    """The token state fails (a twin that reads HTTP Basic clients refuses these basic-auth
    credentials): its error, logged and returned to the verifier, names the provider URL
    redacted."""
    twin.admin.configure(token_basic_auth=True)
    try:
        with (
            ProviderStates(twin.base_url.replace("http://", "http://ci:hunter2@")) as states,
            serve_states(states) as state_url,
        ):
            answer = httpx.post(state_url, json={"state": TOKEN_STATE, "action": "setup"})
    finally:
        twin.admin.reset()
    assert answer.status_code == 500
    assert "<scrubbed>@127.0.0.1" in answer.text
    assert "hunter2" not in answer.text + caplog.text


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


def rewritten_json(edit: Callable[[int, Any], Any]) -> Rewrite:
    """A rewrite of JSON answers through `edit(status, document)`."""

    def rewrite(status: int, body: bytes) -> tuple[int, bytes]:
        try:
            document = json.loads(body)
        except ValueError:
            return status, body
        return status, json.dumps(edit(status, document)).encode()

    return rewrite


def _unpaid_details(status: int, document: Any) -> Any:
    return {**document, "status": "new"} if status == 200 else document


def _numeric_order_id(status: int, document: Any) -> Any:
    if isinstance(document, dict) and "order_id" in document:
        return {**document, "order_id": int(document["order_id"])}
    return document


def _numeric_product_ids(status: int, document: Any) -> Any:
    if isinstance(document, dict) and isinstance(document.get("docs"), list):
        return {**document, "docs": [{**p, "id": int(p["id"])} for p in document["docs"]]}
    return document


def _numeric_offer_product_ids(status: int, document: Any) -> Any:
    if status == 200 and isinstance(document, dict) and isinstance(document.get("data"), list):
        for offer in document["data"]:
            offer["product"]["id"] = int(offer["product"]["id"])
    return document


@pytest.mark.parametrize(
    ("prefix", "edit", "provider", "description"),
    [
        pytest.param(
            "/v1/order/details",
            _unpaid_details,
            EXPORT_PROVIDER,
            "the details of a paid order",
            id="paid-order-says-new",
        ),
        pytest.param(
            "/v1/order",
            _numeric_order_id,
            EXPORT_PROVIDER,
            "an order for a product in stock",
            id="order-id-as-number",
        ),
        pytest.param(
            "/v1/products",
            _numeric_product_ids,
            EXPORT_PROVIDER,
            "a request for the first page of products",
            id="product-id-as-number",
        ),
        pytest.param(
            "/v3/sales/offers",
            _numeric_offer_product_ids,
            IMPORT_PROVIDER,
            "a request for the first page of offers",
            id="offer-product-id-as-number",
        ),
    ],
)
def test_a_twin_answering_the_wrong_word_or_type_fails_verification(
    prefix: str, edit: Callable[[int, Any], Any], provider: str, description: str
) -> None:
    """A paid order reported unpaid; ids G2A sends as strings of digits sent as JSON numbers
    (a regex matcher alone passes them: pact matches a number's text)."""
    app = RewritingMiddleware(create_app(), prefix, rewritten_json(edit))
    with serve_asgi(app) as base_url:
        result = verify_pacts(base_url, providers=(provider,))
    [verification] = result.providers
    assert not verification.passed, verification.output
    assert description in verification.output.split("Failures:")[1]


@pytest.mark.parametrize("suffix", ["/v1", "/v1/", "/?x=1"])
def test_cli_verify_refuses_a_provider_url_that_is_not_a_root(
    twin: RunningTwin, tmp_path: Path, capsys: pytest.CaptureFixture[str], suffix: str
) -> None:
    """States go to `/__twin/states` of the root: a path would fail every state, slowly."""
    url = f"{twin.base_url}{suffix}"
    args = ["contracts", "verify", "--provider-url", url, "--timeout", "20"]
    started = time.monotonic()
    code = main([*args, "--report-dir", str(tmp_path)])
    assert time.monotonic() - started < 5
    assert code == 2
    err = capsys.readouterr().err
    assert "provider URL must be the provider's root" in err, err


def test_cli_verify_fails_at_once_on_a_provider_without_the_state_surface(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """A provider answering 404 under `/__twin/` fails before any interaction, in one line."""
    hidden = RewritingMiddleware(create_app(), "/__twin/", lambda status, body: (404, b"{}"))
    with serve_asgi(hidden) as base_url:
        args = ["contracts", "verify", "--provider-url", base_url, "--timeout", "20"]
        started = time.monotonic()
        code = main([*args, "--report-dir", str(tmp_path)])
        elapsed = time.monotonic() - started
    captured = capfd.readouterr()
    assert code == 1, captured.out
    assert elapsed < 5
    assert "Verifying a pact" not in captured.out
    [line] = captured.err.strip().splitlines()
    assert f"{base_url} has no provider-state surface" in line
    assert "GET /__twin/ answered 404" in line
    report = json.loads((tmp_path / "contracts.json").read_text())
    assert report["pacts_verified"] is False
    assert "no provider-state surface" in report["verification"]["error"]


class Redirecting:
    """Wraps the twin: a request for `path` is answered 302 with a `Location` to the same
    request under `/moved`, which the twin then answers as it would `path` itself."""

    MOVED = "/moved"

    def __init__(self, app: Any, path: str) -> None:
        self.app = app
        self.state = app.state
        self.path = path

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if path == self.path:
            query = scope.get("query_string", b"")
            location = f"{self.MOVED}{path}".encode() + (b"?" + query if query else b"")
            headers = [(b"location", location), (b"content-length", b"0")]
            await send({"type": "http.response.start", "status": 302, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return
        if path.startswith(f"{self.MOVED}/"):
            moved = path.removeprefix(self.MOVED)
            scope = {**scope, "path": moved, "raw_path": moved.encode()}
        await self.app(scope, receive, send)


def test_a_provider_redirecting_a_call_the_pact_expects_answered_fails_verification() -> None:
    """The adapter refuses a redirect (a proxy or maintenance page, never G2A's API): a
    provider answering 302, even to the right answer, does not verify."""
    with serve_asgi(Redirecting(create_app(), "/v1/products")) as base_url:
        moved = httpx.get(f"{base_url}/v1/products?page=1", follow_redirects=True)
        result = verify_pacts(base_url, providers=(EXPORT_PROVIDER,))
    assert [r.status_code for r in moved.history] == [302]  # then the twin answers
    assert moved.url.path == "/moved/v1/products"
    [verification] = result.providers
    assert not verification.passed, verification.output
    failures = verification.output.split("Failures:")[1]
    assert "a request for the first page of products" in failures
    assert "expected 200 but was 302" in failures
    assert "expected 401 but was 302" in failures  # a wrong API key's answer, redirected
    assert "a payment of a new order" not in failures  # not redirected
    pact = json.loads((PACT_DIR / f"g2a-adapter-{EXPORT_PROVIDER}.json").read_text())
    redirected = [i for i in pact["interactions"] if i["request"]["path"] == "/v1/products"]
    assert f"There were {len(redirected)} pact failures" in failures


def test_a_pact_asking_for_a_redirect_verifies_the_redirect_itself(tmp_path: Path) -> None:
    """Not following redirects is what lets a pact that expects a 302 see it."""
    pacts = tmp_path / "pacts"
    pacts.mkdir()
    pact = json.loads((PACT_DIR / f"g2a-adapter-{EXPORT_PROVIDER}.json").read_text())
    pact["interactions"] = [
        {
            "type": "Synchronous/HTTP",
            "description": "a call to a moved catalogue",
            "pending": False,
            "request": {"method": "GET", "path": "/v1/products", "query": {"page": ["1"]}},
            "response": {
                "status": 302,
                "headers": {"Location": ["/moved/v1/products?page=1"]},
            },
        }
    ]
    (pacts / f"g2a-adapter-{EXPORT_PROVIDER}.json").write_text(json.dumps(pact))
    with serve_asgi(Redirecting(create_app(), "/v1/products")) as base_url:
        result = verify_pacts(base_url, pact_dir=pacts, providers=(EXPORT_PROVIDER,))
    [verification] = result.providers
    assert verification.passed, verification.output
    assert "a call to a moved catalogue (" in verification.output


def test_provider_states_keep_their_clients_for_the_whole_verification(
    twin: RunningTwin, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each state is two calls (setup, teardown) per interaction: a client made for each
    took as long as the verifier's own check of the interaction."""
    made: list[object] = []
    make = httpx.Client.__init__

    def counted(self: httpx.Client, *args: Any, **kwargs: Any) -> None:
        made.append(self)
        make(self, *args, **kwargs)

    monkeypatch.setattr(httpx.Client, "__init__", counted)
    with ProviderStates(twin.base_url) as states:
        kept = len(made)
        for _ in range(3):
            states.handle("product 10000084431001 is in stock", "setup", {})
            assert states.handle(TOKEN_STATE, "setup", {})["access_token"]
            states.handle("product 10000084431001 is in stock", "teardown", {})
    assert (kept, len(made)) == (2, 2)
