"""`harness.ports.free_port`: the ports the harness hands to Locust and Prometheus."""

from __future__ import annotations

import socket

import pytest

from harness import ports
from harness.ports import PORTS, free_port


def test_a_free_port_is_below_the_ephemeral_ranges_and_can_be_bound() -> None:
    port = free_port()

    assert port in PORTS
    assert PORTS.stop <= 32768  # Linux's ephemeral range starts there (IANA's at 49152)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", port))


def test_a_port_in_use_is_never_handed_out(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        monkeypatch.setattr(ports, "PORTS", range(port, port + 1))

        with pytest.raises(
            OSError, match=rf"^no free port in {port}-{port} on 127.0.0.1 \(1 tried\)$"
        ):
            free_port()
