"""`g2a-harness receiver serve`: run the webhook receiver (g2a_adapter.receiver) with uvicorn;
with `--stock FILE` it also serves G2A's declared-stock callbacks over a `ReferenceStock`
(`harness.seller_stock_file` documents the file)."""

from __future__ import annotations

import argparse
import functools
import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from harness.cli import UsageError
from harness.commands.seller import (
    CLIENT_ID_ENV,
    CLIENT_SECRET_ENV,
    RECEIVER_ID_ENV,
    RECEIVER_SECRET_ENV,
)

if TYPE_CHECKING:
    from g2a_adapter import Settings
    from g2a_adapter.receiver import ReceiverOptions

NAME = "receiver"
HELP = (
    "serve the webhook receiver (signed events, G2A Pay IPN, seller tokens, health; "
    "declared-stock callbacks with --stock)"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="receiver_command", metavar="ACTION")
    serve = sub.add_parser("serve", help="serve the receiver on HOST:PORT until interrupted")
    serve.add_argument("--host", default="127.0.0.1", help="interface (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8766, help="port (default 8766; 0 = any)")
    serve.add_argument(
        "--max-header-bytes",
        type=int,
        default=16 * 1024,
        help="request head size in bytes; 431 above it (default: %(default)s)",
    )
    serve.add_argument(
        "--request-timeout",
        type=float,
        default=10.0,
        help="seconds to receive a whole request; else 408 (default: %(default)s)",
    )
    serve.add_argument(
        "--max-connections",
        type=int,
        default=512,
        help="connections at once; more are closed (default: %(default)s)",
    )
    serve.add_argument(
        "--keep-alive",
        type=float,
        default=5.0,
        help="idle keep-alive seconds (default: %(default)s)",
    )
    serve.add_argument(
        "--stock",
        type=Path,
        metavar="FILE",
        help="also serve G2A's declared-stock callbacks (POST /reservation, POST /order, ...) "
        "over an in-memory reference stock loaded from this JSON file (products and their keys; "
        "format: harness/seller_stock_file.py); `g2a-harness seller check` exercises it",
    )


def run(args: argparse.Namespace) -> int:
    if getattr(args, "receiver_command", None) != "serve":
        raise UsageError("choose an action: serve")

    from g2a_adapter import Settings
    from g2a_adapter.receiver import ServerLimits, uvicorn_config
    from harness.commands._serve import listening_socket
    from harness.ports import http_url
    from harness.processes import sigterm_default
    from harness.recording_receiver import DeliveryLog, recording_receiver_app
    from harness.serving import ServerClosing, freeze_heap

    try:
        limits = ServerLimits(
            args.max_header_bytes, args.request_timeout, args.max_connections, args.keep_alive
        )
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    settings = Settings.from_env()  # ConfigError (one clear line) when G2A_* is incomplete
    options = _options(args.stock)
    sock = listening_socket(args)  # before the store opens: a port in use leaves nothing open
    app, _ = recording_receiver_app(settings, options)
    freeze_heap()
    host, port = sock.getsockname()[:2]
    # no access log (each request's line); one line per delivery instead (DeliveryLog), printed
    # off the event loop
    say, close_lines = _delivery_lines()
    # uvicorn asks stdout whether to colour its log (on stderr): a closed one cannot answer
    colors = None if sys.stdout else False
    config = uvicorn_config(
        DeliveryLog(app, say), limits, log_level="info", access_log=False, use_colors=colors
    )
    with sigterm_default():  # a server: uvicorn stops on it, then ends the process by it
        print(f"G2A receiver: {http_url(host, port)}/webhooks/g2a", flush=True)
        if options.seller_stock is not None:
            print(f"declared stock from {args.stock}: {options.seller_stock!r}", flush=True)
            print(token_banner(settings, os.environ), flush=True)
        # the lines still waiting, and how many were dropped, are printed as the server shuts
        # down: before it raises a SIGTERM it caught again, which ends the process
        try:
            ServerClosing(config, close_lines).run(sockets=[sock])
        finally:  # a server that never started: its lines too
            close_lines()
    return 0


def _delivery_lines() -> tuple[Callable[[str], None], Callable[[], None]]:
    """How a delivery line is said, and how the lines still waiting are printed at shutdown:
    on stdout, or (stdout closed at start, `>&-`) dropped, said once on stderr."""
    from harness.recording_receiver import LinePrinter

    if sys.stdout is None:  # Python's stdout when its file descriptor was closed at start
        print(
            "g2a-harness receiver: stdout is closed: delivery lines are dropped",
            file=sys.stderr,
            flush=True,
        )
        return _dropped, _nothing_waits
    lines = LinePrinter(sys.stdout.fileno())
    return lines.say, functools.partial(lines.close, timeout=2.0)


def _dropped(line: str) -> None:
    """A delivery line nobody can read."""


def _nothing_waits() -> None:
    """No line waits to be printed."""


def token_banner(settings: Settings, env: Mapping[str, str]) -> str:
    """The client id the seller token endpoint expects and the variable its secret comes from
    (the secret itself never): `G2A_SELLER_CLIENT_*` when set, else the API hash and key."""
    id_from = _set_or(env, CLIENT_ID_ENV, RECEIVER_ID_ENV)
    secret_from = _set_or(env, CLIENT_SECRET_ENV, RECEIVER_SECRET_ENV)
    return (
        f"seller token (GET /oauth/token): client id {settings.seller_client_id} ({id_from}); "
        f"secret from {secret_from}"
    )


def _set_or(env: Mapping[str, str], name: str, default: str) -> str:
    """`name` when the variable is set to more than blanks, else `default`."""
    return name if env.get(name, "").strip() else default


def _options(stock_file: Path | None) -> ReceiverOptions:
    """The receiver's options: a reference stock when a stock file is given."""
    from g2a_adapter.receiver import ReceiverOptions
    from harness.seller_stock_file import StockFileError, load_stock

    if stock_file is None:
        return ReceiverOptions()
    try:
        return ReceiverOptions(seller_stock=load_stock(stock_file))
    except StockFileError as exc:
        raise UsageError(str(exc)) from None
