"""`g2a-harness twin serve`: run the G2A twin as a server, one log line per request."""

from __future__ import annotations

import argparse
import logging
import os
import sys

from harness.cli import UsageError
from harness.twin import assumptions
from harness.twin.config import BOUNDS, DEFAULT_WEBHOOK_SECRET, PROFILES, TwinConfig

NAME = "twin"
WEBHOOK_SECRET_ENV = "G2A_WEBHOOK_SECRET"  # the receiver's variable: set once, both agree
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
        "--profile",
        choices=PROFILES,
        default="realistic",
        help="realistic (default: processing delay, rate limit) or fast (neither, for tests)",
    )
    serve.add_argument(
        "--processing-delay",
        type=float,
        default=None,
        metavar="SECONDS",
        help=f"seconds from payment to key (default {assumptions.PROCESSING_DELAY_SECONDS:g})",
    )
    serve.add_argument(
        "--webhook-secret",
        default=None,
        metavar="SECRET",
        help="the secret the twin signs its webhooks with, your receiver's G2A_WEBHOOK_SECRET "
        f"(default: G2A_WEBHOOK_SECRET when set, else {DEFAULT_WEBHOOK_SECRET}; prefer the "
        "variable: a flag is visible to ps)",
    )
    serve.add_argument(
        "--rate-limit",
        default=None,
        metavar="N|off",
        help=f"requests per credential per second, or off (default {assumptions.RATE_LIMIT})",
    )


def _seconds(flag: str, value: float, field: str) -> float:
    """`value` of `flag` (a number of seconds) within the bounds of the config `field`."""
    low, high = BOUNDS[field]
    if not low <= value <= high:
        raise UsageError(f"{flag} must be between {low:g} and {high:g} seconds")
    return value


def build_config(args: argparse.Namespace) -> TwinConfig:
    fields: dict[str, object] = {}
    if args.processing_delay is not None:
        delay = _seconds("--processing-delay", args.processing_delay, "completion_delay_seconds")
        fields["completion_delay_seconds"] = delay
    if args.seed is not None:
        fields["seed"] = args.seed
    if args.token_ttl is not None:
        fields["token_ttl_seconds"] = _seconds("--token-ttl", args.token_ttl, "token_ttl_seconds")
    if args.rate_limit is not None:
        limit = args.rate_limit
        fields["rate_limit"] = int(limit) if limit.isdigit() else limit
    secret, source = _webhook_secret(args)
    if secret is not None:
        if not secret.strip():
            raise UsageError(f"{source} must not be empty")
        fields["webhook_secrets"] = [secret]
    try:
        return TwinConfig.profile(args.profile).updated(fields)
    except ValueError as exc:
        raise UsageError(f"--{str(exc).replace('_', '-')}") from None


_RECEIVER = "http://127.0.0.1:8766/webhooks/g2a"  # `g2a-harness receiver serve --port 8766`


def banner(host: str, port: int, config: TwinConfig) -> str:
    """What `twin serve` prints first: where to call it, with which credentials, and how."""
    from harness.ports import http_url
    from harness.twin.credentials import SANDBOX_API_HASH, SANDBOX_API_KEY

    base = http_url(host, port)
    limit = (
        "off"
        if config.rate_limit is None
        else f"{config.rate_limit}/{config.rate_window_seconds:g}s"
    )
    return (
        f"G2A twin: Export API {base}/v1, Import API {base}, admin {base}/__twin/ "
        f"(seed {config.seed}, processing delay {config.completion_delay_seconds:g}s, "
        f"rate limit {limit})\n"
        f"  sandbox API hash {SANDBOX_API_HASH}\n"
        f"  sandbox API key  {SANDBOX_API_KEY}\n"
        f"  try: curl -s -H 'Authorization: {SANDBOX_API_HASH}, {SANDBOX_API_KEY}' "
        f"'{base}/v1/products?page=1'\n"
        f"  webhooks signed with {_secret_shown(config)}\n"
        f"  subscribe: curl -s -H 'Content-Type: application/json' "
        f"-d '{{\"url\": \"{_RECEIVER}\"}}' '{base}/__twin/webhooks/subscribers'"
    )


def _webhook_secret(args: argparse.Namespace) -> tuple[str | None, str]:
    """The signing secret asked for and where it came from: the flag, else the variable."""
    if args.webhook_secret is not None:
        return args.webhook_secret, "--webhook-secret"
    return os.environ.get(WEBHOOK_SECRET_ENV), WEBHOOK_SECRET_ENV


def _secret_shown(config: TwinConfig) -> str:
    """The twin's own default secret is a fixture, shown so a receiver can be set up with it;
    a secret of the user's (flag or variable) is never echoed."""
    if config.webhook_secrets == [DEFAULT_WEBHOOK_SECRET]:
        return f"the twin's default secret: {WEBHOOK_SECRET_ENV}={DEFAULT_WEBHOOK_SECRET}"
    return f"your secret (--webhook-secret or {WEBHOOK_SECRET_ENV})"


def run(args: argparse.Namespace) -> int:
    if getattr(args, "twin_command", None) != "serve":
        raise UsageError("choose an action: serve")
    import uvicorn

    from harness.commands._serve import listening_socket
    from harness.processes import sigterm_default
    from harness.serving import freeze_heap
    from harness.twin.app import create_app

    config = build_config(args)
    sock = listening_socket(args)
    logging.basicConfig(
        stream=sys.stderr, level=logging.INFO, format="%(asctime)s twin %(message)s"
    )
    host, port = sock.getsockname()[:2]
    with sigterm_default():  # a server: uvicorn stops on it, then ends the process by it
        print(banner(host, port, config), file=sys.stderr, flush=True)
        app = create_app(config)
        freeze_heap()
        served = uvicorn.Config(
            app, loop="auto", http="httptools", access_log=False, log_level="warning"
        )
        uvicorn.Server(served).run(sockets=[sock])
    return 0
