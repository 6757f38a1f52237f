"""Before the suites: does the target answer one authenticated request in time?

One OAuth token request through the adapter itself (TLS handshake included for https), no
retries, bounded by `G2A_TIMEOUT_MS`. A stalled host ends the run in one line, in seconds.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from harness.targets import Target, check_reachable

if TYPE_CHECKING:
    from g2a_adapter import Settings


# The adapter's reason for a handshake that refused the server's certificate: no wait would help.
_CERTIFICATE_REFUSED = "tls_certificate_error"


class TargetStalled(Exception):
    """The target did not answer the probe; the message is the one line shown."""


def probe_settings(target: Target, environ: Mapping[str, str] | None = None) -> Settings:
    """The adapter settings for the probe: the target's credentials, its `G2A_TIMEOUT_MS`
    (checked as the adapter checks it: `ConfigError`), no retries."""
    from g2a_adapter import Settings

    env = os.environ if environ is None else environ
    timeout = {"timeout_ms": env["G2A_TIMEOUT_MS"]} if "G2A_TIMEOUT_MS" in env else {}
    return Settings(**target.adapter_settings(**timeout, retry_max=0))


def check_target(target: Target, environ: Mapping[str, str] | None = None) -> None:
    """Settings the adapter accepts, then a host that accepts connections: `ConfigError` or
    `TargetError`, one line, before anything is sent (nor a previous report deleted)."""
    assert target.api_url is not None  # the twin is checked by serving it
    probe_settings(target, environ)
    check_reachable(target.api_url)


def probe_target(target: Target, environ: Mapping[str, str] | None = None) -> float:
    """Seconds the token request took; TargetStalled (one line, no secret) when it failed."""
    from g2a_adapter import AuthError, G2AClient, G2AError, TransportError

    settings = probe_settings(target, environ)
    parts = urlsplit(settings.api_url)
    what = f"{target.name} target {parts.scheme}://{parts.netloc}"
    started = time.monotonic()
    try:
        with G2AClient(settings) as client:
            client.auth.token()
    except AuthError as exc:
        raise TargetStalled(f"{what} refused the probe's credentials: {exc}") from None
    except G2AError as exc:
        if isinstance(exc, TransportError) and exc.reason == _CERTIFICATE_REFUSED:
            raise TargetStalled(
                f"{what} presented a TLS certificate this machine does not trust ({exc}); "
                "SSL_CERT_FILE names the CA bundle to trust (behind a TLS-inspecting proxy, "
                "one holding its CA)"
            ) from None
        waited = time.monotonic() - started
        raise TargetStalled(
            f"{what} did not answer an authenticated token request within "
            f"G2A_TIMEOUT_MS={settings.timeout_ms} ms (waited {waited:.1f} s: {exc})"
        ) from None
    return time.monotonic() - started


def ready_target(target: Target, environ: Mapping[str, str] | None = None) -> float:
    """Before anything runs against a real target: settings the adapter accepts, then a host
    that accepts connections, then an answered token request; so a wrong setting is refused in
    one line before anything reaches the network. Raises `ConfigError` (from the adapter),
    `TargetError` or `TargetStalled`; returns the probe's seconds."""
    check_target(target, environ)
    return probe_target(target, environ)
