"""In-process ASGI, and `g2a-harness twin serve` as a real server with a log line per request."""

from __future__ import annotations

import http.server
import json
import os
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from twin_support import AUTH, BANNER_URL, ROOT, SANDBOX_PRODUCT, announced, served_by_cli

from g2a_adapter import WebhookVerifier
from g2a_adapter.idempotency import MemoryStore
from harness.cli import main
from harness.twin import SANDBOX_API_HASH, SANDBOX_API_KEY, TwinConfig, create_app


@pytest.mark.anyio
async def test_in_process_asgi() -> None:
    app = create_app(TwinConfig(seed=5, catalog_size=30))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://twin/v1", headers=AUTH) as c:
        assert (await c.get("/products", params={"includeOutOfStock": 1})).json()["total"] == 30
        order = (await c.post("/order", json={"product_id": SANDBOX_PRODUCT})).json()
        assert (await c.put(f"/order/pay/{order['order_id']}")).json()["status"] is True
        assert app.state.twin.state.orders[order["order_id"]].paid_at is not None
        app.state.twin.state.faults.add({"route": "*", "kind": "reset", "times": 1})
        with pytest.raises(ConnectionResetError):
            await c.get("/products")


def test_serve_logs_one_line_per_request(tmp_path: Path) -> None:
    log = tmp_path / "twin.log"
    with served_by_cli(log, "--seed", "9", "--token-ttl", "60") as base:
        assert (
            httpx.get(
                f"{base}/v1/products", headers=AUTH, params={"id": SANDBOX_PRODUCT}
            ).status_code
            == 200
        )
        assert httpx.get(f"{base}/v1/order/key/1").status_code == 403
        token = httpx.post(f"{base}/oauth/token", data={
            "grant_type": "client_credentials", "client_id": SANDBOX_API_HASH,
            "client_secret": SANDBOX_API_KEY}).json()  # fmt: skip
        assert token["expires_in"] == 60
    lines = log.read_text().splitlines()
    assert lines[:4] == [
        f"G2A twin: Export API {base}/v1, Import API {base}, admin {base}/__twin/ "
        f"(seed 9, processing delay 1s, rate limit 20/1s)",
        f"  sandbox API hash {SANDBOX_API_HASH}",
        f"  sandbox API key  {SANDBOX_API_KEY}",
        f"  try: curl -s -H 'Authorization: {SANDBOX_API_HASH}, {SANDBOX_API_KEY}' "
        f"'{base}/v1/products?page=1'",
    ]
    requests = [line for line in lines if " twin " in line]
    assert [line.split(" twin ", 1)[1].rsplit(" ", 1)[0] for line in requests] == [
        f"GET /v1/products?id={SANDBOX_PRODUCT} 200",
        "GET /v1/order/key/1 403",
        "POST /oauth/token 200",
    ]
    assert not any(SANDBOX_API_KEY in line for line in requests)


def test_the_banners_curl_line_answers_a_product_page(tmp_path: Path) -> None:
    log = tmp_path / "twin.log"
    with served_by_cli(log, "--profile", "fast"):
        curl = log.read_text().splitlines()[3].removeprefix("  try: ")
        page = subprocess.run(shlex.split(curl), capture_output=True, check=True, timeout=10)
    assert json.loads(page.stdout)["page"] == 1
    assert "processing delay 0s, rate limit off" in log.read_text().splitlines()[0]


def test_the_banner_brackets_an_ipv6_host() -> None:
    from harness.commands.twin import banner
    from harness.twin.config import TwinConfig

    shown = banner("::1", 18772, TwinConfig.fast())
    assert "Export API http://[::1]:18772/v1," in shown
    assert "'http://[::1]:18772/v1/products?" in shown
    assert "http://::1:" not in shown


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["twin"], "choose an action: serve"),
        (["twin", "serve", "--port", "70000"], "--port must be between 0 and 65535"),
        (["twin", "serve", "--token-ttl", "0"], "--token-ttl must be between 1 and 86400 seconds"),
        (
            ["twin", "serve", "--token-ttl", "100000"],
            "--token-ttl must be between 1 and 86400 seconds",
        ),
        (
            ["twin", "serve", "--processing-delay", "-1"],
            "--processing-delay must be between 0 and 3600 seconds",
        ),
        (
            ["twin", "serve", "--rate-limit", "0"],
            "--rate-limit must be a positive integer or 'off'",
        ),
        (
            ["twin", "serve", "--rate-limit", "lots"],
            "--rate-limit must be a positive integer or 'off'",
        ),
    ],
)
def test_bad_invocations_end_with_one_line(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    assert capsys.readouterr().err == f"g2a-harness twin: {message}\n"


def test_a_port_in_use_is_one_line_before_any_banner(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["twin", "serve", "--port", str(port)]) == 2
    assert capsys.readouterr() == (
        "",
        f"g2a-harness twin: cannot listen on 127.0.0.1:{port}: Address already in use\n",
    )


class _Captured(http.server.BaseHTTPRequestHandler):
    """A receiver that keeps what it is sent and answers 200."""

    deliveries: list[tuple[dict[str, str], bytes]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.deliveries.append((dict(self.headers.items()), body))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.mark.parametrize(
    ("options", "secret", "shown"),
    [
        (
            (),
            "twin-webhook-secret",
            "the twin's default secret: G2A_WEBHOOK_SECRET=twin-webhook-secret",
        ),
        (
            ("--webhook-secret", "my-own-secret"),
            "my-own-secret",
            "your secret (--webhook-secret or G2A_WEBHOOK_SECRET)",
        ),
    ],
)
def test_the_banner_says_how_to_receive_the_twins_webhooks_and_its_curl_subscribes(
    tmp_path: Path, options: tuple[str, ...], secret: str, shown: str
) -> None:
    """A service following the banner: its receiver's G2A_WEBHOOK_SECRET and the subscribe
    command; what the twin then sends verifies with that secret. A secret of the user's own is
    never echoed."""
    _Captured.deliveries = []
    receiver = http.server.HTTPServer(("127.0.0.1", 0), _Captured)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{receiver.server_address[1]}/webhooks/g2a"
    log = tmp_path / "twin.log"
    try:
        with served_by_cli(log, "--profile", "fast", *options) as base:
            lines = log.read_text().splitlines()
            assert lines[4] == f"  webhooks signed with {shown}"
            subscribe = lines[5].removeprefix("  subscribe: ")
            assert "http://127.0.0.1:8766/webhooks/g2a" in subscribe
            argv = shlex.split(subscribe.replace("http://127.0.0.1:8766/webhooks/g2a", url))
            subprocess.run(argv, capture_output=True, check=True, timeout=10)
            api = httpx.Client(base_url=f"{base}/v1", headers=AUTH)
            order = api.post("/order", json={"product_id": SANDBOX_PRODUCT}).json()
            api.put(f"/order/pay/{order['order_id']}")
            deadline = time.monotonic() + 10
            while not _Captured.deliveries and time.monotonic() < deadline:
                time.sleep(0.05)
            api.close()
    finally:
        receiver.shutdown()
        receiver.server_close()
    headers, body = _Captured.deliveries[0]
    verifier = WebhookVerifier([secret], MemoryStore())
    assert verifier.verify(headers, body).data.order_id == order["order_id"]
    if options:
        assert secret not in log.read_text()


def test_sigterm_stops_the_served_twin_as_a_clean_server_stop(tmp_path: Path) -> None:
    """uvicorn stops on SIGTERM, then ends the process by it: what a service manager counts as
    a clean stop, not the harness's 'interrupted command' exit 143."""
    log = tmp_path / "twin.log"
    command = [sys.executable, "-m", "harness", "twin", "serve", "--port", "0"]
    with log.open("w") as sink:
        process = subprocess.Popen(command, cwd=ROOT, stderr=sink, stdout=sink)
        try:
            announced(log, process, BANNER_URL)
            process.send_signal(signal.SIGTERM)
            code = process.wait(timeout=15)
        finally:
            process.kill()
    assert code == -signal.SIGTERM
    assert "stopped by SIGTERM" not in log.read_text()


@pytest.mark.parametrize(
    ("argv", "env", "message"),
    [
        (["--webhook-secret", ""], {}, "g2a-harness twin: --webhook-secret must not be empty"),
        ([], {"G2A_WEBHOOK_SECRET": " "}, "g2a-harness twin: G2A_WEBHOOK_SECRET must not be empty"),
    ],
)
def test_an_empty_webhook_secret_is_one_line_naming_where_it_came_from(
    argv: list[str], env: dict[str, str], message: str
) -> None:
    command = [sys.executable, "-m", "harness", "twin", "serve", "--port", "0", *argv]
    clean = {k: v for k, v in os.environ.items() if not k.startswith("G2A_")}
    done = subprocess.run(
        command, cwd=ROOT, env={**clean, **env}, capture_output=True, text=True, timeout=30
    )
    assert (done.returncode, done.stderr.strip()) == (2, message)


def test_the_receivers_variable_sets_the_twins_secret_and_is_not_echoed(tmp_path: Path) -> None:
    log = tmp_path / "twin.log"
    command = [sys.executable, "-m", "harness", "twin", "serve", "--port", "0"]
    env = {**os.environ, "G2A_WEBHOOK_SECRET": "from-the-environment"}
    with log.open("w") as sink:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stderr=sink, stdout=sink)
        try:
            base = announced(log, process, BANNER_URL)  # printed before uvicorn listens
            deadline = time.monotonic() + 15
            while True:
                try:
                    config = httpx.get(f"{base}/__twin/config").json()
                    break
                except httpx.TransportError:
                    assert time.monotonic() < deadline, log.read_text()
                    time.sleep(0.1)
        finally:
            process.terminate()
            process.wait(10)
    assert config["webhook_secrets"] == ["***"]
    text = log.read_text()
    assert "your secret (--webhook-secret or G2A_WEBHOOK_SECRET)" in text
    assert "from-the-environment" not in text
