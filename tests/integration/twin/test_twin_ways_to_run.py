"""In-process ASGI, and `g2a-harness twin serve` as a real server with a log line per request."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from twin_support import AUTH, SANDBOX_PRODUCT

from harness.cli import main
from harness.twin import TwinConfig, create_app

ROOT = Path(__file__).resolve().parents[3]


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
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-c", "from harness.cli import main; main()", "twin", "serve",
               "--port", "0", "--seed", "9", "--token-ttl", "60"]  # fmt: skip
    # port 0 is not discoverable from outside: pick a free one instead
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command[command.index("0")] = str(port)
    log = tmp_path / "twin.log"
    with log.open("w") as sink:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stderr=sink, stdout=sink)
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 15
            while True:
                try:
                    httpx.get(f"{base}/__twin/health")
                    break
                except httpx.TransportError:
                    assert time.monotonic() < deadline, log.read_text()
                    time.sleep(0.1)
            assert (
                httpx.get(
                    f"{base}/v1/products", headers=AUTH, params={"id": SANDBOX_PRODUCT}
                ).status_code
                == 200
            )
            assert httpx.get(f"{base}/v1/order/key/1").status_code == 403
            token = httpx.post(f"{base}/oauth/token", data={
                "grant_type": "client_credentials", "client_id": "qdaiciDiyMaTjxMt",
                "client_secret": AUTH["Authorization"].split(", ")[1]}).json()  # fmt: skip
            assert token["expires_in"] == 60
        finally:
            process.terminate()
            process.wait(10)
    lines = log.read_text().splitlines()
    assert f"http://127.0.0.1:{port}/v1" in lines[0]
    requests = [line for line in lines if " twin " in line]
    assert [line.split(" twin ", 1)[1].rsplit(" ", 1)[0] for line in requests] == [
        f"GET /v1/products?id={SANDBOX_PRODUCT} 200",
        "GET /v1/order/key/1 403",
        "POST /oauth/token 200",
    ]
    assert AUTH["Authorization"].split(", ")[1] not in log.read_text()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["twin"], "choose an action: serve"),
        (["twin", "serve", "--port", "70000"], "--port must be between 0 and 65535"),
        (["twin", "serve", "--token-ttl", "0"], "--token-ttl must be at least 1 second"),
    ],
)
def test_bad_invocations_end_with_one_line(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    assert capsys.readouterr().err == f"g2a-harness twin: {message}\n"
