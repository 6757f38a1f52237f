"""Asking the target: a receiver app built from the target's settings, `/healthz` + `/metrics`.

For the twin the gate serves its own twin on loopback (unless `--target-url` names one); for the
sandbox it talks to `--target-url`, else `G2A_SANDBOX_API_URL` (default the real sandbox), with
the sandbox credentials; the probe says which named the API it called (`Probe.api_source`).
The store the health check pings is the one the live service will use (`--store-url`, else the
live settings' `G2A_IDEMPOTENCY_URL`), else `G2A_SANDBOX_IDEMPOTENCY_URL`, else `memory://`; the
probe says which (`Probe.store_source`), and a sandbox gate accepts only the live one: a
`--store-url` of another kind than the live settings name (`collect`) is not.
`transport` replaces the network under the adapter's client (tests stub G2A there).
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

from harness.gate.evidence import Probe
from harness.gate.provenance import SANDBOX_API_URL, SANDBOX_API_URL_ENV

if TYPE_CHECKING:
    from starlette.applications import Starlette

PROBE_WEBHOOK_SECRET = "gate-probe-webhook-secret"  # the receiver needs one; no webhook is sent
# A one-off check over the internet, not a liveness probe: allow a real token round trip.
HEALTH_TIMEOUT_S = 5.0


def sandbox_api_url(environ: Mapping[str, str]) -> str:
    return environ.get(SANDBOX_API_URL_ENV, SANDBOX_API_URL)


def probed_api(
    target: str, explicit: str | None, environ: Mapping[str, str]
) -> tuple[str | None, str]:
    """The API URL the probe calls and what named it: `--target-url`, else for the sandbox
    `G2A_SANDBOX_API_URL` (its default the real sandbox), else (None, `twin`): the gate's own
    twin, served for the probe on a port known only then."""
    if explicit:
        return explicit, "--target-url"
    if target == "twin":
        return None, "twin"
    return sandbox_api_url(environ), SANDBOX_API_URL_ENV


def target_settings(target: str, api_url: str, environ: Mapping[str, str]) -> dict[str, str]:
    """The target's URL and credentials as G2A_* values: for the sandbox the team's own
    (G2A_SANDBOX_API_HASH/KEY) when given, else G2A's published sandbox set."""
    from harness.twin.credentials import SANDBOX_API_HASH, SANDBOX_API_KEY

    own = target == "sandbox"
    return {
        "G2A_API_URL": api_url,
        "G2A_ENV": "sandbox",
        "G2A_API_HASH": (own and environ.get("G2A_SANDBOX_API_HASH")) or SANDBOX_API_HASH,
        "G2A_API_KEY": (own and environ.get("G2A_SANDBOX_API_KEY")) or SANDBOX_API_KEY,
    }


def probed_store(store_url: str | None, environ: Mapping[str, str]) -> tuple[str, str]:
    """The store the probe pings and where its URL came from: `live` (the store live will
    use), `G2A_SANDBOX_IDEMPOTENCY_URL`, or `none` (`memory://`)."""
    if store_url:
        return store_url, "live"
    if sandbox := environ.get("G2A_SANDBOX_IDEMPOTENCY_URL"):
        return sandbox, "G2A_SANDBOX_IDEMPOTENCY_URL"
    return "memory://", "none"


def store_kind(url: str) -> str:
    """The backend `url` opens, as the adapter reads it; `memory` for any store that keeps
    nothing across a restart (`memory://`, SQLite in memory)."""
    from g2a_adapter import StoreUnavailableError
    from g2a_adapter.idempotency import parse_store_url

    url = url.strip()  # as Settings reads it
    try:
        parsed = parse_store_url(url)
    except StoreUnavailableError:  # the health check itself reports the bad URL
        return url.split(":", 1)[0].lower()
    if parsed.backend == "sqlite" and parsed.target == ":memory:":
        return "memory"
    return parsed.backend


def target_values(
    target: str, api_url: str, environ: Mapping[str, str], store_url: str | None = None
) -> dict[str, str]:
    """G2A_* values of the probed receiver: the target's settings, a webhook secret, a store."""
    return {
        **target_settings(target, api_url, environ),
        "G2A_WEBHOOK_SECRET": PROBE_WEBHOOK_SECRET,
        "G2A_IDEMPOTENCY_URL": probed_store(store_url, environ)[0],
    }


@contextlib.contextmanager
def target_api_url(api_url: str | None) -> Iterator[str]:
    """`api_url`, else (None) the export URL of a twin served for the probe."""
    if api_url is not None:
        yield api_url
        return
    from harness.twin.server import running_twin

    with running_twin() as twin:
        yield twin.export_url


def _serve_and_get(app: Starlette, paths: tuple[str, ...]) -> list[httpx.Response]:
    """Serve the app over real HTTP on loopback, as a deployment runs it, and GET each path."""
    from harness.serving import serve_asgi

    with serve_asgi(app) as base_url, httpx.Client(base_url=base_url, timeout=10) as client:
        return [client.get(path) for path in paths]


def probe_receiver(
    values: Mapping[str, str], transport: httpx.BaseTransport | None = None
) -> tuple[Probe, Probe]:
    """(`GET /healthz`, `GET /metrics`) of a receiver app built from these settings.

    `/healthz` runs the adapter's checks: the store of G2A_IDEMPOTENCY_URL is pinged and a token
    is fetched from the target through `G2AClient.auth.token`. When the receiver cannot even be
    built (e.g. the store is unreachable at start-up) that is the health reason, and the metric
    names are still read from a receiver with an in-memory store (they do not depend on it).
    """
    from g2a_adapter import G2AError, Metrics, Settings
    from g2a_adapter.client import G2AClient
    from g2a_adapter.idempotency import open_store
    from g2a_adapter.receiver import ReceiverOptions
    from harness.recording_receiver import recording_receiver_app

    api_url = values["G2A_API_URL"]
    label = f"receiver on {api_url}"
    health_url, metrics_url = f"{label}: GET /healthz", f"{label}: GET /metrics"
    store = store_kind(values["G2A_IDEMPOTENCY_URL"])

    def answer(
        url: str, status: int | None = None, body: str = "", error: str | None = None
    ) -> Probe:
        return Probe(url, status, body, error, api_url=api_url, store=store)

    try:
        settings = Settings.from_env(values)
    except G2AError as exc:
        error = f"target settings refused: {exc}"
        return answer(health_url, error=error), answer(metrics_url, error=error)
    metrics = Metrics()
    client = G2AClient(
        settings, transport=transport, store=open_store("memory://"), metrics=metrics
    )
    with client:
        try:
            _refuse_an_absent_sqlite_file(settings.idempotency_url)
            app, _ = recording_receiver_app(
                settings,
                ReceiverOptions(
                    metrics=metrics,
                    token_probe=client.auth.token,
                    health_timeout_s=HEALTH_TIMEOUT_S,
                ),
            )
        except G2AError as exc:
            health = answer(health_url, error=f"{type(exc).__name__}: {exc}")
            fallback, _ = recording_receiver_app(
                settings, ReceiverOptions(store=open_store("memory://"), metrics=metrics)
            )
            (exposition,) = _serve_and_get(fallback, ("/metrics",))
            return health, answer(metrics_url, exposition.status_code, exposition.text)
        health_answer, metrics_answer = _serve_and_get(app, ("/healthz", "/metrics"))
    return (
        answer(health_url, health_answer.status_code, health_answer.text),
        answer(metrics_url, metrics_answer.status_code, metrics_answer.text),
    )


def _refuse_an_absent_sqlite_file(url: str) -> None:
    """A `StoreUnavailableError` when `url` names a SQLite file that does not exist here:
    opening it would create an empty store, and the probe would call that the live store."""
    from g2a_adapter import StoreUnavailableError
    from g2a_adapter.idempotency import parse_store_url

    try:
        spec = parse_store_url(url)
    except StoreUnavailableError:  # opening it reports the bad URL
        return
    if spec.backend == "sqlite" and spec.target != ":memory:" and not Path(spec.target).exists():
        raise StoreUnavailableError(
            "sqlite",
            f"no file {spec.target} on this machine; the gate pings the store live will use and "
            "creates none: run it where that file is, or give --store-url",
        )


def probe_target(
    target: str,
    explicit_url: str | None,
    environ: Mapping[str, str],
    store_url: str | None = None,
    transport: httpx.BaseTransport | None = None,
) -> tuple[Probe, Probe]:
    api_url, api_source = probed_api(target, explicit_url, environ)
    with target_api_url(api_url) as called:
        probes = probe_receiver(target_values(target, called, environ, store_url), transport)
    _, store_source = probed_store(store_url, environ)
    health, metrics = (
        dataclasses.replace(probe, api_source=api_source, store_source=store_source)
        for probe in probes
    )
    return health, metrics
