"""`harness.ports`: the ports the harness hands to Locust and Prometheus, and how addresses are
written."""

from __future__ import annotations

import errno
import socket

import pytest
from machine_support import require

from harness import ports
from harness.ports import PORTS, free_port, host_port, http_url


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


def test_an_address_the_machine_does_not_have_is_the_system_s_own_error() -> None:
    """Not "no free port": every draw would fail alike (10.255.255.1 is no address of a test
    machine)."""
    with pytest.raises(OSError, match=r"^\[Errno \d+\] ") as caught:
        free_port("10.255.255.1")

    assert caught.value.errno == errno.EADDRNOTAVAIL


def test_an_ipv6_host_gets_an_ipv6_port() -> None:
    require(socket.has_ipv6 and _binds("::1"), "this machine has no IPv6 loopback")
    port = free_port("::1")

    assert port in PORTS
    with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as sock:
        sock.bind(("::1", port))


def _binds(host: str) -> bool:
    with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host, 0))
        except OSError:
            return False
        return True


def test_an_ipv6_host_is_written_in_brackets_beside_its_port() -> None:
    assert host_port("127.0.0.1", 5557) == "127.0.0.1:5557"
    assert host_port("master.internal", 5557) == "master.internal:5557"
    assert host_port("::1", 5557) == "[::1]:5557"
    assert http_url("fe80::1", 8089) == "http://[fe80::1]:8089"
    assert http_url("localhost", 8089) == "http://localhost:8089"
