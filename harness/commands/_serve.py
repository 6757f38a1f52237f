"""What `twin serve` and `receiver serve` share: the socket, bound before anything is announced."""

from __future__ import annotations

import argparse
import socket

from harness.cli import UsageError
from harness.ports import MAX_PORT


def listening_socket(args: argparse.Namespace) -> socket.socket:
    """`--host`/`--port` bound, so a port in use is one clear line and port 0 is a real one."""
    from harness.serving import bind_socket

    if not 0 <= args.port <= MAX_PORT:
        raise UsageError(f"--port must be between 0 and {MAX_PORT}")
    try:
        return bind_socket(args.host, args.port)
    except OSError as exc:
        raise UsageError(
            f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}"
        ) from None
