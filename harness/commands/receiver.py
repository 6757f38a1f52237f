"""`g2a-harness receiver serve`: run the webhook receiver (g2a_adapter.receiver) with uvicorn."""

from __future__ import annotations

import argparse

from harness.cli import UsageError

NAME = "receiver"
HELP = "serve the webhook receiver (signed events, G2A Pay IPN, seller tokens, health)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="receiver_command", metavar="ACTION")
    serve = sub.add_parser("serve", help="serve the receiver on HOST:PORT until interrupted")
    serve.add_argument("--host", default="127.0.0.1", help="interface (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8766, help="port (default 8766; 0 = any)")
    serve.add_argument("--max-header-bytes", type=int, default=16 * 1024, help="431 above it")
    serve.add_argument(
        "--request-timeout", type=float, default=10.0, help="s to receive a request; else 408"
    )
    serve.add_argument("--max-connections", type=int, default=512, help="more are closed")
    serve.add_argument("--keep-alive", type=float, default=5.0, help="idle keep-alive seconds")


def run(args: argparse.Namespace) -> int:
    if getattr(args, "receiver_command", None) != "serve":
        raise UsageError("choose an action: serve")
    import uvicorn

    from g2a_adapter import Settings
    from harness.commands._serve import listening_socket
    from harness.processes import sigterm_default
    from harness.recording_receiver import recording_receiver_app
    from harness.server_limits import ServerLimits, uvicorn_config
    from harness.serving import freeze_heap, http_url

    try:
        limits = ServerLimits(
            args.max_header_bytes, args.request_timeout, args.max_connections, args.keep_alive
        )
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    settings = Settings.from_env()  # ConfigError (one clear line) when G2A_* is incomplete
    sock = listening_socket(args)  # before the store opens: a port in use leaves nothing open
    app, _ = recording_receiver_app(settings)
    freeze_heap()
    host, port = sock.getsockname()[:2]
    config = uvicorn_config(app, limits, log_level="info", access_log=False)
    with sigterm_default():  # a server: uvicorn stops on it, then ends the process by it
        print(f"G2A receiver: {http_url(host, port)}/webhooks/g2a", flush=True)
        uvicorn.Server(config).run(sockets=[sock])
    return 0
