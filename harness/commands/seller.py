"""`g2a-harness seller check`: a conformance run of a seller's declared-stock service, calling it
as G2A would (`harness.seller_conformance`)."""

from __future__ import annotations

import argparse
import os
from collections import Counter
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

from harness.cli import UsageError, check_http_url

if TYPE_CHECKING:
    from harness.seller_conformance import CheckResult

NAME = "seller"
HELP = "check a seller's declared-stock service (G2A's callbacks) as G2A would call it"
CLIENT_ID_ENV, CLIENT_SECRET_ENV = "G2A_SELLER_CLIENT_ID", "G2A_SELLER_CLIENT_SECRET"
# What `receiver serve` authenticates G2A with: the adapter's API hash and key.
RECEIVER_ID_ENV, RECEIVER_SECRET_ENV = "G2A_API_HASH", "G2A_API_KEY"
REPORT_NAME = "seller-check.json"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="seller_command", metavar="ACTION")
    check = sub.add_parser(
        "check",
        help="17 checks: token, healthcheck, the bearer on every stock route, reserve, renew, "
        "order, inventory, another order (409), G2A's retry (replayed or 409), give back, "
        "cancel, two orders of one reservation at the same moment (one sold, one 409, no key "
        "sold twice), an unknown reservation (404), notifications; each PASS, FAIL or NOT RUN "
        "(an earlier failure left it without its input); exit 0 only when all pass. It "
        "reserves and orders real units: every run consumes stock",
        description="Call a seller's declared-stock service as G2A does and judge each answer: "
        "17 checks, each PASS, FAIL or NOT RUN. "
        "Every run sells --quantity units of each --product-id twice and gives one unit back: "
        "it consumes 2 x quantity - 1 units of each product, and each product needs at least "
        "that many for every check to pass.",
    )
    check.add_argument("--url", required=True, help="the seller's base URL (http or https)")
    check.add_argument(
        "--client-id",
        help=f"the client id G2A authenticates with (default: ${CLIENT_ID_ENV}, else "
        f"${RECEIVER_ID_ENV} as `receiver serve` uses); the secret is read from "
        f"${CLIENT_SECRET_ENV}, else ${RECEIVER_SECRET_ENV}, never from the command line",
    )
    check.add_argument(
        "--product-id",
        type=int,
        action="append",
        required=True,
        dest="product_ids",
        metavar="ID",
        help="a product the seller stocks (repeat for several); each reservation holds "
        "--quantity units of every one",
    )
    check.add_argument(
        "--quantity", type=int, default=1, help="units of each product per reservation (1)"
    )
    check.add_argument(
        "--timeout",
        type=float,
        default=10.0,
        help="seconds to wait for each answer, and for the keys of an order answered 202 (10)",
    )
    check.add_argument(
        "--report-dir",
        type=Path,
        default=Path("reports"),
        help=f"writes <dir>/seller/{REPORT_NAME} (default: reports)",
    )


def run(args: argparse.Namespace) -> int:
    if getattr(args, "seller_command", None) != "check":
        raise UsageError("choose an action: check")
    from harness import envelope
    from harness.cassettes import redacted_url
    from harness.seller_calls import SellerCalls
    from harness.seller_conformance import SellerConformance

    check_http_url("--url", args.url)
    if args.quantity <= 0 or any(p <= 0 for p in args.product_ids):
        raise UsageError("--quantity and every --product-id must be positive")
    if not args.timeout > 0:
        raise UsageError("--timeout must be a positive number of seconds")
    client_id, client_secret = _credentials(args.client_id)
    shown_url = redacted_url(args.url)
    start = envelope.RunStart.now()
    with SellerCalls(args.url, client_id, client_secret, timeout_s=args.timeout) as calls:
        conformance = SellerConformance(
            calls, args.product_ids, args.quantity, timeout_s=args.timeout
        )
        results = conformance.run()
    for result in results:
        print(result.line(), flush=True)
    passed = all(result.passed for result in results)
    report = {
        "kind": "seller-check",
        "envelope": envelope.capture(
            target="seller",
            base_url=shown_url,
            suite="seller-check",
            start=start,
        ),
        "url": shown_url,
        "client_id": client_id,
        "product_ids": args.product_ids,
        "quantity": args.quantity,
        "passed": passed,
        "checks": [asdict(result) for result in results],
    }
    path = envelope.write_json(args.report_dir / "seller" / REPORT_NAME, report)
    print(f"{len(results)} checks of {shown_url}: {_verdict(results)}; report: {path}")
    return 0 if passed else 1


def _verdict(results: list[CheckResult]) -> str:
    """`all passed`, else how many failed and how many did not run: `2 failed, 6 not run`."""
    from harness.seller_conformance import Outcome

    counts = Counter(result.status for result in results)
    if counts[Outcome.PASS] == len(results):
        return "all passed"
    shown = ((Outcome.FAIL, "failed"), (Outcome.NOT_RUN, "not run"))
    return ", ".join(f"{counts[status]} {said}" for status, said in shown if counts[status])


def _env(name: str) -> str | None:
    """A variable as `Settings` reads it: stripped, and unset when blank."""
    return os.environ.get(name, "").strip() or None


def _credentials(client_id: str | None) -> tuple[str, str]:
    """The client id (the option, else the environment) and the secret (the environment),
    read as the receiver reads them, so the check asks for what it expects."""
    client_id = (client_id or "").strip() or _env(CLIENT_ID_ENV) or _env(RECEIVER_ID_ENV)
    secret = _env(CLIENT_SECRET_ENV) or _env(RECEIVER_SECRET_ENV)
    if not client_id:
        raise UsageError(f"give --client-id, or set {CLIENT_ID_ENV} (or {RECEIVER_ID_ENV})")
    if not secret:
        raise UsageError(f"set {CLIENT_SECRET_ENV} (or {RECEIVER_SECRET_ENV}) to the secret")
    return client_id, secret
