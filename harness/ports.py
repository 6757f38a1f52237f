"""Ports and addresses: a free TCP port for a server the harness starts in another process
(Locust's master and web UI, Prometheus), and how a host and port are written.

The port is found by binding it, then handed to the process, which binds it a moment later. A
port the kernel hands out for port 0 could go to another server binding port 0 in that gap
(the twin, the receiver, another run's), so ports are drawn below the ephemeral ranges port-0
binds and outgoing connections take theirs from (Linux's 32768-60999; 49152-65535, IANA's
and Windows').
"""

from __future__ import annotations

import errno
import random
import socket

PORTS = range(20000, 30000)
MAX_PORT = 65535  # the last TCP port
ATTEMPTS = 50
_TAKEN = (errno.EADDRINUSE, errno.EACCES)  # another socket has it, or the system keeps it


def address_family(host: str) -> socket.AddressFamily:
    """IPv6 for a host written with colons (`::1`), else IPv4."""
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def host_port(host: str, port: int) -> str:
    """`host:port` as URLs and messages write it: an IPv6 address in brackets (`[::1]:8080`)."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def http_url(host: str, port: int) -> str:
    """`http://host:port`, an IPv6 address in brackets."""
    return f"http://{host_port(host, port)}"


def free_port(host: str = "127.0.0.1") -> int:
    """A port of `PORTS` that `host` can bind now, drawn at random; OSError when none of
    `ATTEMPTS` draws can be bound, or the host's own error (an address the machine does not
    have) as the system gives it."""
    draws = random.sample(PORTS, min(ATTEMPTS, len(PORTS)))
    for port in draws:
        with socket.socket(address_family(host), socket.SOCK_STREAM) as sock:
            try:
                sock.bind((host, port))
            except OSError as exc:
                if exc.errno in _TAKEN:
                    continue
                raise
            return port
    last = PORTS.stop - 1
    raise OSError(f"no free port in {PORTS.start}-{last} on {host} ({len(draws)} tried)")
