"""The G2AKeyDeliveryLost runbook can be followed: the log lines it quotes are the ones the
purchase writes, and its command turns an idempotency key into the digest those lines name."""

from __future__ import annotations

import contextlib
import logging
import re
import subprocess

import httpx
import pytest
from bought_order_support import ORDER_ID, answer, bought, key_already_downloaded
from runbook_support import AUDIT, logged_as, runbook

from g2a_adapter import G2AClient, KeyDeliveryLostError, Settings
from g2a_adapter.idempotency import MemoryStore
from g2a_adapter.idempotency._base import JSON

SETTINGS = Settings(api_url="https://sandboxapi.g2a.com", api_hash="h" * 16, api_key="ab" * 32)
KEY = "customer-42:cart 4711"  # a space: the command must take the key as one word
KEY_LOST = "runbook-g2a-key-delivery-lost"


def _quoted_log_lines() -> list[re.Pattern[str]]:
    """The runbook's quoted log lines (each starts `purchase `) as patterns."""
    return [logged_as(line) for line in re.findall(r"`(purchase [^`]+)`", runbook(KEY_LOST))]


def _digest_command() -> str:
    (command,) = re.findall(r"`([^`]*sha256sum[^`]*)`", runbook(KEY_LOST))
    return str(command)


def _g2a(key_answer: httpx.Response) -> httpx.MockTransport:
    """A purchase that is paid and complete; the key fetch gets `key_answer`."""

    def respond(request: httpx.Request) -> httpx.Response:
        return bought(request.url.path) or key_answer

    return httpx.MockTransport(respond)


class _StoreFailingOnComplete(MemoryStore):
    def complete(self, key: str, owner: str, result: JSON, ttl_seconds: float) -> None:
        raise ConnectionError("store down")


def _purchase_errors(
    caplog: pytest.LogCaptureFixture, key_answer: httpx.Response, store: MemoryStore
) -> list[str]:
    """The ERROR lines of logger `g2a_adapter.purchase` while buying with KEY."""
    caplog.clear()
    client = G2AClient(SETTINGS, transport=_g2a(key_answer), store=store)
    with (
        caplog.at_level(logging.ERROR, "g2a_adapter.purchase"),
        client,
        contextlib.suppress(KeyDeliveryLostError),  # raised when the key is lost: it is logged
    ):
        client.orders.purchase("10000027819004", idempotency_key=KEY)
    return [r.getMessage() for r in caplog.records if r.name == "g2a_adapter.purchase"]


def test_the_runbook_quotes_the_lines_a_purchase_logs(caplog: pytest.LogCaptureFixture) -> None:
    lost = key_already_downloaded()
    delivered = answer({"key": "AAAA-BBBB", "isFile": False})
    logged = _purchase_errors(caplog, lost, MemoryStore())
    logged += _purchase_errors(caplog, delivered, _StoreFailingOnComplete())
    patterns = _quoted_log_lines()
    for pattern in patterns:
        assert [line for line in logged if pattern.match(line)], (pattern, logged)
    assert len(logged) == len(patterns) == 2  # the lost key; a delivered key the store lost


def test_the_runbook_command_gives_the_digest_the_lines_name(
    caplog: pytest.LogCaptureFixture,
) -> None:
    lost = key_already_downloaded()
    (line,) = _purchase_errors(caplog, lost, MemoryStore())
    command = _digest_command().replace("<idempotency key>", KEY)
    done = subprocess.run(  # noqa: S602 - the runbook's own shell command
        command, shell=True, capture_output=True, text=True, check=True
    )
    assert line.startswith(f"purchase idempotency_key={done.stdout.strip()}: order {ORDER_ID} ")


def test_a_lost_key_s_message_names_its_runbook_as_the_runbooks_title_it() -> None:
    """Found by an operator's walkthrough: the ERROR line and the error said "(runbook: lost
    key)", and no runbook is called so: on call finds it as G2AKeyDeliveryLost, the alert."""
    (named,) = re.findall(r"\(runbook: ([^)]+)\)", str(KeyDeliveryLostError(KEY, ORDER_ID, "t-1")))
    assert named == "G2AKeyDeliveryLost"
    assert f"\n### {named} — " in AUDIT.read_text(encoding="utf-8")
