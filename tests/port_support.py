"""A loopback port that refuses connections, for tests of what a client does then."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def refusing_port() -> Iterator[int]:
    """A port bound and never listening while the block runs: a connection to it is refused,
    and no other server can be given it meanwhile (a port closed before use could be)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]
