"""`g2a-harness receiver serve` prints one line per delivery (when it was answered, the event
id, the status and the outcome) so a tester watching it sees deliveries arrive; before, it
printed nothing (uvicorn's access log is off). Never the signature, the nonce or the secret.

The lines are printed by a thread of their own: printing on the event loop stalled the whole
server once a stdout pipe nobody read was full (deliveries, /healthz and SIGTERM went unanswered),
and a stdout whose reader was gone made every delivery raise BrokenPipeError."""

from __future__ import annotations

import contextlib
import queue
import re
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from _receiver_fixtures import (
    WEBHOOK_SECRET,
    assert_processed,
    delivery,
    ipn_form,
    receiver_settings,
)
from qa_support import announced
from test_receiver_cli import BANNER, ROOT, SERVE, environment

from g2a_adapter.idempotency import MemoryStore
from g2a_adapter.receiver import ReceiverOptions
from g2a_adapter.wire import HEADER_EVENT_ID, HEADER_NONCE, HEADER_SIGNATURE
from harness.recording_receiver import DeliveryLog, recording_receiver_app

ANSWERED_AT = r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z"
# far more lines than a pipe holds (64 KiB) and than the printer keeps waiting
FLOOD = 2100
LONG_ID = "evt-" + "x" * 120  # a line of about 180 bytes
MARKER = re.compile(r" webhook evt-marker-([0-9]+) 200 processed$")
DROPPED = re.compile(
    r"g2a-harness receiver: ([0-9]+) delivery lines dropped \(stdout was not read\)"
)


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


@contextlib.contextmanager
def _serving_to_a_pipe(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """`receiver serve --port 0` with its stdout a pipe (its banner read) and its stderr a file:
    the process and its base URL."""
    err = tmp_path / "err.log"
    with err.open("w") as stderr:
        process = subprocess.Popen(
            [*SERVE, "--port", "0"], cwd=ROOT, env=environment(tmp_path),
            stdout=subprocess.PIPE, stderr=stderr, text=True,
        )  # fmt: skip
        try:
            assert process.stdout is not None
            banner = BANNER.search(process.stdout.readline())
            assert banner, err.read_text()
            yield process, banner.group(1)
        finally:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:  # it ignored SIGTERM
                process.kill()
                process.wait()
            if process.stdout is not None:
                process.stdout.close()


def _flood(client: httpx.Client) -> None:
    """`FLOOD` unsigned deliveries, each answered 401 (and printed)."""
    for _ in range(FLOOD):
        answer = client.post("/webhooks/g2a", content=b"{}", headers={HEADER_EVENT_ID: LONG_ID})
        assert (answer.status_code, answer.json()) == (401, {"error": "missing_header"})


def _read(process: subprocess.Popen[str], printed: queue.Queue[str]) -> None:
    """Every line `process` prints, into `printed`, until its stdout ends."""
    assert process.stdout is not None
    for line in process.stdout:
        printed.put(line)


def _until_a_marker(client: httpx.Client, printed: queue.Queue[str]) -> tuple[list[str], int]:
    """Posts marker deliveries (`evt-marker-1`, ...) until `printed` (what the receiver prints)
    has one (those sent while its printer still had a full queue are dropped): the lines
    printed before it, and the number of that marker."""
    lines: list[str] = []
    for number in range(1, 200):
        headers, body = delivery(f"evt-marker-{number}")
        assert client.post("/webhooks/g2a", content=body, headers=headers).status_code == 200
        with contextlib.suppress(queue.Empty):
            while line := printed.get(timeout=0.1):
                if marker := MARKER.search(line):
                    return lines, int(marker.group(1))
                lines.append(line)
    raise AssertionError(f"no marker printed; last lines: {lines[-3:]}")


def test_a_stdout_nobody_reads_stalls_nothing_and_dropped_lines_are_counted(
    tmp_path: Path,
) -> None:
    with _serving_to_a_pipe(tmp_path) as (process, base_url):
        printed: queue.Queue[str] = queue.Queue()
        reader = threading.Thread(target=_read, args=(process, printed))
        with httpx.Client(base_url=base_url, timeout=10) as client:
            _flood(client)
            assert client.get("/healthz").status_code == 200
            reader.start()  # stdout is read from now on
            lines, marker = _until_a_marker(client, printed)
        process.terminate()
        assert process.wait(10) == -signal.SIGTERM
        reader.join()

    gaps = [int(found.group(1)) for line in lines if (found := DROPPED.fullmatch(line.strip()))]
    flooded = [line for line in lines if f" webhook {LONG_ID} 401 missing_header" in line]
    assert len(flooded) < FLOOD
    # one line says how many were dropped: the rest of the flood, and the markers before it
    assert gaps == [FLOOD - len(flooded) + marker - 1], lines[-3:]
    assert len(lines) == len(flooded) + 1
    errors = (tmp_path / "err.log").read_text()
    assert (
        errors.count(
            "g2a-harness receiver: stdout is not read fast enough: delivery lines are dropped"
        )
        == 1
    ), errors
    assert "Traceback" not in errors


def test_a_stdout_whose_reader_went_away_fails_no_delivery(tmp_path: Path) -> None:
    with _serving_to_a_pipe(tmp_path) as (process, base_url):
        assert process.stdout is not None
        process.stdout.close()  # `receiver serve | head -1`
        with httpx.Client(base_url=base_url, timeout=10) as client:
            for number in range(20):
                assert_processed(client, f"evt-unread-{number}")
            assert client.get("/healthz").status_code == 200

    errors = (tmp_path / "err.log").read_text()
    assert "Traceback" not in errors
    assert (
        errors.count(
            "g2a-harness receiver: stdout failed (BrokenPipeError): delivery lines are no longer "
            "printed"
        )
        == 1
    ), errors


def test_lines_dropped_last_are_counted_as_the_server_stops_on_sigterm(tmp_path: Path) -> None:
    """SIGTERM (how CI, containers and systemd stop it) prints the lines still waiting and how
    many were dropped: no delivery goes unaccounted for."""
    with _serving_to_a_pipe(tmp_path) as (process, base_url):
        with httpx.Client(base_url=base_url, timeout=10) as client:
            _flood(client)
        printed: queue.Queue[str] = queue.Queue()
        reader = threading.Thread(target=_read, args=(process, printed))
        process.terminate()
        reader.start()  # stdout is read from now on, as the server stops
        assert process.wait(10) == -signal.SIGTERM
        reader.join()
    lines = [printed.get() for _ in range(printed.qsize())]
    flooded = [line for line in lines if f" webhook {LONG_ID} 401 missing_header" in line]
    dropped = DROPPED.fullmatch(lines[-1].strip())
    assert dropped, lines[-3:]
    assert len(flooded) + int(dropped.group(1)) == FLOOD
