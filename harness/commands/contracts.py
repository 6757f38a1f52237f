"""`g2a-harness contracts verify|drift`: pact verification and contract drift detection."""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from harness.cli import UsageError
from harness.envelope import RunStart

NAME = "contracts"
HELP = "verify the pacts against a provider; detect drift between OpenAPI, pacts and traffic"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION")
    verify = sub.add_parser("verify", help="replay contracts/pacts against a provider")
    verify.add_argument(
        "--provider-url",
        help="root URL of a twin-compatible provider (default: start the embedded twin)",
    )
    verify.add_argument("--pacts", type=Path, help="pact folder (default: contracts/pacts)")
    verify.add_argument(
        "--timeout",
        type=_seconds,
        metavar="SECONDS",
        help="the whole verification's time; a provider not verified by then fails (default: 600)",
    )
    drift = sub.add_parser("drift", help="compare OpenAPI documents, pacts and cassettes")
    drift.add_argument("--cassettes", type=Path, help="cassette folder (default: tests/cassettes)")
    drift.add_argument("--openapi", type=Path, help="OpenAPI folder (default: contracts/openapi)")
    drift.add_argument("--pacts", type=Path, help="pact folder (default: contracts/pacts)")
    for command in (verify, drift):
        command.add_argument(
            "--report-dir",
            type=Path,
            default=Path("reports"),
            help="writes or updates <dir>/contracts.json (default: reports; the gate reads "
            "reports/<target>/full/, where `gate --run-missing` puts it)",
        )


def _seconds(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if not (math.isfinite(seconds) and seconds > 0):
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, not {text!r}")
    return seconds


def run(args: argparse.Namespace) -> int:
    from harness.project import require_project_root

    actions = {"verify": _verify, "drift": _drift}
    if args.action not in actions:
        raise UsageError("choose an action: verify or drift")
    # the default folders are the checkout's, and the report is bound to its commit
    require_project_root()
    return actions[args.action](args)


def _record(
    report_dir: Path,
    part: str,
    ran_on: str,
    base_url: str | None,
    start: RunStart,
    **fields: Any,
) -> None:
    """This part's results into contracts.json, with what it proves it ran on (target `files`:
    no server asked), and where the report is."""
    from harness import envelope
    from harness.contracts.report import REPORT_NAME, update_report

    part_envelope = envelope.capture(target=ran_on, base_url=base_url, suite=part, start=start)
    update_report(report_dir, part, part_envelope, **fields)
    print(f"report: {report_dir / REPORT_NAME}")


def _verify(args: argparse.Namespace) -> int:
    """Verify the pacts; the provider URL is shown and stored redacted (`result.provider_url`
    already is)."""
    from harness.cassettes import redacted_url
    from harness.contracts.report import folder_record
    from harness.contracts.sources import PACT_DIR
    from harness.contracts.verify import ProviderUnreachableError

    start = RunStart.now()
    pact_dir = args.pacts or PACT_DIR
    if not pact_dir.is_dir():
        raise UsageError(f"pact folder {pact_dir} does not exist")
    sources = {"pacts": folder_record(pact_dir)}
    if args.provider_url:
        try:
            result = _verify_at(args.provider_url, pact_dir, args.timeout)
        except ProviderUnreachableError as exc:
            shown = redacted_url(args.provider_url)
            _record(
                args.report_dir,
                "verify",
                "provider",
                shown,
                start,
                sources=sources,
                target="provider",
                pacts_verified=False,
                provider_url=shown,
                verification={"provider_url": shown, "error": str(exc)},
            )
            print(f"g2a-harness contracts verify: {exc}", file=sys.stderr)
            return 1
        target = "provider"
    else:
        from harness.twin.server import running_twin

        with running_twin() as twin:
            result = _verify_at(twin.base_url, pact_dir, args.timeout)
        target = "twin"
    for provider in result.providers:
        if not provider.printed:  # pact's verifier writes its own report as it runs
            print(provider.output)
        print(
            f"{provider.provider}: {provider.interactions} interaction(s), "
            f"{'verified' if provider.passed else 'FAILED'}"
        )
    _record(
        args.report_dir,
        "verify",
        target,
        result.provider_url,
        start,
        sources=sources,
        target=target,
        pacts_verified=result.passed,
        provider_url=result.provider_url,
        verification=result.as_dict(),
    )
    return 0 if result.passed else 1


def _verify_at(provider_url: str, pact_dir: Path, deadline_s: float | None) -> Any:
    from harness.contracts.verify import DEADLINE_SECONDS, verify_pacts

    try:
        return verify_pacts(
            provider_url, pact_dir=pact_dir, deadline_s=deadline_s or DEADLINE_SECONDS
        )
    except ValueError as exc:
        raise UsageError(str(exc)) from exc


def _drift(args: argparse.Namespace) -> int:
    from harness.cassettes import CASSETTE_DIR
    from harness.contracts.drift import detect_drift
    from harness.contracts.openapi_document import DocumentError
    from harness.contracts.report import folder_record
    from harness.contracts.sources import (
        OPENAPI_DIR,
        PACT_DIR,
        SourceError,
        load_cassettes,
        load_openapi,
        load_pacts,
    )

    start = RunStart.now()
    cassettes = args.cassettes or CASSETTE_DIR
    if not cassettes.is_dir():
        raise UsageError(f"cassette folder {cassettes} does not exist")
    if args.pacts and not args.pacts.is_dir():
        raise UsageError(f"pact folder {args.pacts} does not exist")
    folders = {
        "openapi": args.openapi or OPENAPI_DIR,
        "pacts": args.pacts or PACT_DIR,
        "cassettes": cassettes,
    }
    try:
        documents = load_openapi(folders["openapi"])
        pacts = load_pacts(folders["pacts"])
        traffic = load_cassettes(cassettes)
    except SourceError as exc:
        raise UsageError(str(exc)) from exc
    if not documents:
        raise UsageError("no OpenAPI document found")
    try:
        drift = detect_drift(documents, pacts, traffic)
    except DocumentError as exc:
        raise UsageError(str(exc)) from exc
    _print_table(
        ("operation", "kind", "field", "detail", "source"),
        [(d.operation, d.kind, d.field, d.detail, d.source) for d in drift],
    )
    print(
        f"{len(drift)} drift finding(s) over {len(documents)} document(s), "
        f"{len(pacts)} pact interaction(s), {len(traffic)} recorded exchange(s)"
    )
    if not traffic:  # the documents and pacts were compared, the traffic was not
        print(
            f"g2a-harness contracts drift: no recorded exchange in {cassettes}: traffic was not "
            "checked, which is not a pass (record cassettes with `g2a-harness record`)",
            file=sys.stderr,
        )
    _record(
        args.report_dir,
        "drift",
        "files",
        None,
        start,
        sources={name: folder_record(folder) for name, folder in folders.items()},
        drift_checked=bool(traffic),
        drift=[d.as_dict() for d in drift],
        drift_sources={
            "openapi_documents": len(documents),
            "pact_interactions": len(pacts),
            "recorded_exchanges": len(traffic),
            "cassettes": str(cassettes),
        },
    )
    return 1 if drift or not traffic else 0


def _print_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    if not rows:
        print("no drift")
        return
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    print(line(header))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print(line(row))
