"""`g2a-harness twin serve`: run the G2A twin as a server, one log line per request."""

from __future__ import annotations

import argparse
import logging
import sys

from harness.cli import UsageError
from harness.twin.config import TwinConfig

NAME = "twin"
HELP = "serve the G2A twin (the embedded default target)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="twin_command", metavar="ACTION")
    serve = sub.add_parser("serve", help="serve the twin on HOST:PORT until interrupted")
    serve.add_argument("--host", default="127.0.0.1", help="interface (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8765, help="port (default 8765; 0 = any)")
    serve.add_argument("--seed", type=int, default=None, help="catalog seed (default 2026)")
    serve.add_argument(
        "--token-ttl", type=int, default=None, help="OAuth token lifetime in seconds (default 300)"
    )
    serve.add_argument(
        "--rate-limit", type=int, default=None, help="requests per credential per second"
    )


def build_config(args: argparse.Namespace) -> TwinConfig:
    fields: dict[str, object] = {}
    if args.seed is not None:
        fields["seed"] = args.seed
    if args.token_ttl is not None:
        if args.token_ttl < 1:
            raise UsageError("--token-ttl must be at least 1 second")
        fields["token_ttl_seconds"] = args.token_ttl
    if args.rate_limit is not None:
        if args.rate_limit < 1:
            raise UsageError("--rate-limit must be at least 1")
        fields["rate_limit"] = args.rate_limit
    return TwinConfig().updated(fields)


def run(args: argparse.Namespace) -> int:
    if getattr(args, "twin_command", None) != "serve":
        raise UsageError("choose an action: serve")
    if not 0 <= args.port <= 65535:
        raise UsageError("--port must be between 0 and 65535")
    import uvicorn

    from harness.serving import freeze_heap
    from harness.twin.app import create_app
    from harness.twin.credentials import SANDBOX_API_HASH

    config = build_config(args)
    logging.basicConfig(
        stream=sys.stderr, level=logging.INFO, format="%(asctime)s twin %(message)s"
    )
    print(
        f"G2A twin: Export API http://{args.host}:{args.port}/v1, Import API "
        f"http://{args.host}:{args.port}, admin http://{args.host}:{args.port}/__twin/ "
        f"(sandbox hash {SANDBOX_API_HASH}, seed {config.seed})",
        file=sys.stderr,
        flush=True,
    )
    app = create_app(config)
    freeze_heap()
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        loop="auto",
        http="httptools",
        access_log=False,
        log_level="warning",
    )
    return 0
