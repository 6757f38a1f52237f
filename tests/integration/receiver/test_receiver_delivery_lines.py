"""`g2a-harness receiver serve` prints one line per delivery (when it was answered, the event
id, the status and the outcome) so a tester watching it sees deliveries arrive; before, it
printed nothing (uvicorn's access log is off). Never the signature, the nonce or the secret."""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from _receiver_fixtures import WEBHOOK_SECRET, delivery, ipn_form, receiver_settings
from qa_support import announced
from test_receiver_cli import BANNER, ROOT, SERVE, environment

from g2a_adapter.idempotency import MemoryStore
from g2a_adapter.receiver import ReceiverOptions
from g2a_adapter.wire import HEADER_EVENT_ID, HEADER_NONCE, HEADER_SIGNATURE
from harness.recording_receiver import DeliveryLog, recording_receiver_app

ANSWERED_AT = r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z"


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """`receiver serve --port 0`: its base URL, and the file its stdout goes to."""
    out, err = tmp_path / "out.log", tmp_path / "err.log"
    with out.open("w") as stdout, err.open("w") as stderr:
        process = subprocess.Popen(
            [*SERVE, "--port", "0"], cwd=ROOT, env=environment(tmp_path), stdout=stdout,
            stderr=stderr,
        )  # fmt: skip
        try:
            yield announced(out, process, BANNER), out
        finally:
            process.terminate()
            process.wait(10)


def _delivery_lines(out: Path, count: int) -> list[str]:
    """The lines after the banner, once there are `count` of them."""
    deadline = time.monotonic() + 15
    while len(lines := out.read_text().splitlines()[1:]) < count:
        assert time.monotonic() < deadline, lines
        time.sleep(0.05)
    return lines


def test_each_delivery_is_one_line_with_its_id_status_and_outcome(
    served: tuple[str, Path],
) -> None:
    base_url, out = served
    headers, body = delivery("evt-seen-1")
    forged = {**headers, HEADER_SIGNATURE: "v1=" + "0" * 64}
    with httpx.Client(base_url=base_url) as client:
        for sent in (headers, delivery("evt-seen-1")[0], forged):  # new, again, forged
            client.post("/webhooks/g2a", content=body, headers=sent)

    lines = _delivery_lines(out, 3)
    assert [line.split(" ", 1)[1] for line in lines] == [
        "webhook evt-seen-1 200 processed",
        "webhook evt-seen-1 200 duplicate",
        "webhook evt-seen-1 401 bad_signature",
    ]
    assert all(re.fullmatch(ANSWERED_AT + " webhook .+", line) for line in lines), lines
    printed = out.read_text()
    assert headers[HEADER_SIGNATURE].removeprefix("v1=") not in printed
    assert headers[HEADER_NONCE] not in printed
    assert WEBHOOK_SECRET not in printed


@pytest.mark.anyio
async def test_the_lines_name_ipns_and_never_echo_what_a_sender_made_up() -> None:
    """G2A Pay IPNs are named by their transaction id; a claimed event id that is not an id's
    characters is `?`, a missing one `-`; other routes print nothing."""
    options = ReceiverOptions(store=MemoryStore())
    app, _ = recording_receiver_app(receiver_settings("memory://"), options)
    said: list[str] = []
    clock = datetime(2026, 12, 6, 19, 40, 1, 999_000, tzinfo=UTC)
    logged = DeliveryLog(app, said.append, lambda: clock)
    headers, body = delivery("evt-ok")
    transport = httpx.ASGITransport(app=logged)
    async with httpx.AsyncClient(transport=transport, base_url="http://receiver") as client:
        await client.post("/webhooks/g2a-pay", data=ipn_form(transaction_id="tx-42"))
        await client.post("/webhooks/g2a-pay", data=ipn_form(secret="wrong"))
        bad_id = {**headers, HEADER_EVENT_ID: "evt 1"}
        await client.post("/webhooks/g2a", content=body, headers=bad_id)
        await client.post("/webhooks/g2a", content=body, headers={HEADER_EVENT_ID: "evt-x"})
        await client.post("/webhooks/g2a", content=body)
        await client.get("/healthz")
    assert said == [
        "2026-12-06T19:40:01Z g2a-pay tx-42 200 processed",
        "2026-12-06T19:40:01Z g2a-pay - 401 bad_signature",
        "2026-12-06T19:40:01Z webhook ? 400 malformed_header",
        "2026-12-06T19:40:01Z webhook evt-x 401 missing_header",
        "2026-12-06T19:40:01Z webhook - 401 missing_header",
    ]
