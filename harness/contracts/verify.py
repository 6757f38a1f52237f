"""Provider verification: replay the pacts of `contracts/pacts/` against a provider base URL."""

from __future__ import annotations

import os
import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from harness.cassettes import redacted_url
from harness.contracts.sources import PACT_DIR, read_pacts
from harness.contracts.states import ProviderStates, serve_states

CONSUMER = "g2a-adapter"
EXPORT_PROVIDER = "g2a-export-api"
IMPORT_PROVIDER = "g2a-import-api"
PROVIDERS = (EXPORT_PROVIDER, IMPORT_PROVIDER)
DEADLINE_SECONDS = 600.0  # the whole verification; the twin's takes seconds


class ProviderUnreachableError(ConnectionError):
    """Nothing answers at the provider URL; checked before the (slow, retrying) verifier runs."""


class ProviderWithoutStatesError(ProviderUnreachableError):
    """The provider answers but has no provider-state surface (`GET /__twin/` listing
    `POST /__twin/states`): every interaction's state would fail, each after its timeout."""


STATES_ROUTE = {"method": "POST", "path": "/__twin/states"}


@dataclass(frozen=True)
class ProviderVerification:
    """One provider's verification; `output` is pact's report, which pact's verifier also
    wrote to the process's standard output as it ran (`printed`), or why none ran."""

    provider: str
    passed: bool
    interactions: int
    output: str
    printed: bool = True


@dataclass
class VerificationResult:
    provider_url: str
    providers: list[ProviderVerification] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return bool(self.providers) and all(p.passed for p in self.providers)

    @property
    def output(self) -> str:
        return "\n".join(p.output for p in self.providers)

    def as_dict(self) -> dict[str, object]:
        return {
            "provider_url": self.provider_url,
            "passed": self.passed,
            "providers": [
                {
                    "provider": p.provider,
                    "passed": p.passed,
                    "interactions": p.interactions,
                    **({} if p.printed else {"reason": p.output}),  # why pact never ran
                }
                for p in self.providers
            ],
        }


def pacts_of(pact_dir: Path, provider: str) -> list[tuple[Path, dict[str, Any]]]:
    """The pact files of `pact_dir` whose provider is `provider`, with their JSON objects."""
    return [
        (path, pact)
        for path, pact in read_pacts(pact_dir)
        if isinstance(pact.get("provider"), dict) and pact["provider"].get("name") == provider
    ]


def verify_pacts(
    provider_url: str,
    *,
    pact_dir: Path = PACT_DIR,
    providers: tuple[str, ...] = PROVIDERS,
    timeout_ms: int = 10_000,
    deadline_s: float = DEADLINE_SECONDS,
) -> VerificationResult:
    """Verify every pact of `pact_dir` for `providers` against `provider_url` (its root URL).

    Provider states go to the provider's admin surface (`/__twin/states`); a provider without
    pacts in `pact_dir`, or whose pacts hold no interaction, fails (nothing verified is not a
    pass), and so does a pact file for a provider nobody verifies (a misspelt name). The
    whole verification gets `deadline_s`: a provider whose verification has not finished by
    then fails, and so do those not started (pact's verifier cannot be stopped: it is left on a
    daemon thread, which ends with the process). Redirects are not followed: a 3xx is the answer
    verified, as the adapter refuses one, so only a pact that expects it passes.
    """
    os.environ.setdefault("PACT_DO_NOT_TRACK", "true")
    from pact import Verifier

    unknown = sorted(set(providers) - set(PROVIDERS))
    if unknown:
        raise ValueError(f"unknown provider(s) {', '.join(unknown)}; known: {', '.join(PROVIDERS)}")
    parts = urlsplit(provider_url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ValueError(
            f"provider URL must be http(s)://host[:port], got {redacted_url(provider_url)!r}"
        )
    if parts.path not in {"", "/"} or parts.query or parts.fragment:
        raise ValueError(
            "provider URL must be the provider's root, http(s)://host[:port] (its APIs and "
            f"/__twin/ are found under it), got {redacted_url(provider_url)!r}"
        )
    _check_reachable(provider_url)
    _check_state_surface(provider_url)
    result = VerificationResult(provider_url=redacted_url(provider_url))
    result.providers.extend(_unverified_pacts(pact_dir))
    deadline = time.monotonic() + deadline_s
    with ProviderStates(provider_url) as states, serve_states(states) as state_url:
        for provider in providers:
            pacts = pacts_of(pact_dir, provider)
            files = [path for path, _ in pacts]
            interactions = sum(len(pact.get("interactions", [])) for _, pact in pacts)
            if time.monotonic() >= deadline:
                why = f"not verified: the verification's {deadline_s:g} s ran out before it"
                result.providers.append(
                    ProviderVerification(provider, False, interactions, why, printed=False)
                )
                continue
            if not files or not interactions:
                why = "no pact" if not files else "no interaction in the pacts"
                result.providers.append(
                    ProviderVerification(
                        provider,
                        False,
                        0,
                        f"{why} for {provider} in {pact_dir}: nothing verified is not a pass",
                        printed=False,
                    )
                )
                continue
            verifier = (
                Verifier(provider, host=parts.hostname)
                .add_transport(url=provider_url)
                .state_handler(state_url, teardown=True, body=True)
                .set_request_timeout(timeout_ms)
                .set_coloured_output(enabled=False)
                .follow_redirects(False)  # a redirect is an answer: the adapter refuses it
            )
            for path in files:
                verifier.add_source(path)
            passed = _verified(verifier, deadline)
            if passed is None:
                why = f"did not finish within the verification's {deadline_s:g} s"
                result.providers.append(
                    ProviderVerification(provider, False, interactions, why, printed=False)
                )
                continue
            result.providers.append(
                ProviderVerification(
                    provider, passed, interactions, verifier.output(strip_ansi=True)
                )
            )
    return result


def _verified(verifier: Any, deadline: float) -> bool | None:
    """`verifier.verify()` on a worker thread, or None if it is still running at `deadline`
    (a `time.monotonic()` value). Pact's FFI swallows Ctrl-C while it runs, so the main thread
    waits for it and stays interruptible (the worker dies with the process)."""
    outcome: list[bool] = []

    def verify() -> None:
        try:
            verifier.verify()
        except RuntimeError:  # pact's way of saying an interaction failed
            outcome.append(False)
        else:
            outcome.append(True)

    worker = threading.Thread(target=verify, name="pact-verifier", daemon=True)
    worker.start()
    while worker.is_alive():
        if time.monotonic() >= deadline:
            return None
        worker.join(0.2)
    return outcome == [True]


def _unverified_pacts(pact_dir: Path) -> list[ProviderVerification]:
    """A failed entry per pact file of `pact_dir` whose provider is none of `PROVIDERS`."""
    failed = []
    for path, pact in read_pacts(pact_dir):
        named = pact.get("provider")
        name = named.get("name") if isinstance(named, dict) else None
        if name not in PROVIDERS:
            failed.append(
                ProviderVerification(
                    str(name),
                    False,
                    len(pact.get("interactions", [])),
                    f"{path}: pact for unknown provider {name!r} is never verified "
                    f"(known: {', '.join(PROVIDERS)})",
                    printed=False,
                )
            )
    return failed


def _check_reachable(provider_url: str) -> None:
    parts = urlsplit(provider_url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        with socket.create_connection((parts.hostname, port), timeout=2.0):
            return
    except OSError as exc:
        raise ProviderUnreachableError(
            f"no provider answers at {redacted_url(provider_url)} ({exc.strerror or exc})"
        ) from None


def _check_state_surface(provider_url: str) -> None:
    """`ProviderWithoutStatesError` unless the provider's admin index (`GET /__twin/`) lists
    `POST /__twin/states`, where the provider states go: one request instead of every
    interaction's state failing."""
    import httpx

    index = f"{provider_url.rstrip('/')}/__twin/"
    shown = redacted_url(provider_url)
    why = None
    try:
        answer = httpx.get(index, headers={"Accept": "application/json"}, timeout=5.0)
    except httpx.HTTPError as exc:
        why = f"GET /__twin/ failed ({type(exc).__name__})"
    else:
        if answer.status_code != 200:
            why = f"GET /__twin/ answered {answer.status_code}"
        else:
            try:
                routes = answer.json().get("routes")
                listed = any({k: r.get(k) for k in STATES_ROUTE} == STATES_ROUTE for r in routes)
            except (ValueError, AttributeError, TypeError):
                why = "GET /__twin/ answered no JSON index of routes"
            else:
                if not listed:
                    why = "GET /__twin/ does not list POST /__twin/states"
    if why:
        raise ProviderWithoutStatesError(
            f"{shown} has no provider-state surface: {why}; provider states are applied "
            "through POST /__twin/states of a twin-compatible provider's root URL"
        )
