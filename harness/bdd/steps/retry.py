"""Steps: the adapter's retry policy decisions (pure: no clock, no network)."""

from __future__ import annotations

from pytest_bdd import given, then, when

from harness.bdd.wordings import parse
from harness.bdd.world import World

_POLICY = (
    "retry policy",
    'start with "Given a retry policy allowing 2 retries and waits of at most 5 seconds"',
)
_DECISION = (
    "retry decision",
    '"When G2A asks to wait 3 seconds before the first retry" makes one',
)


@given(
    parse(
        "a retry policy allowing {retries:whole} retries and waits of at most {cap:whole} seconds"
    )
)
def retry_policy(g2a_world: World, retries: int, cap: int) -> None:
    """Build a retry policy with this many retries and this Retry-After cap.

    Example: a retry policy allowing 2 retries and waits of at most 5 seconds
    """
    from g2a_adapter import RetryPolicy

    g2a_world.notes["policy"] = RetryPolicy(
        max_retries=retries, max_retry_after=float(cap), sleep_enabled=False
    )


@when(parse("G2A asks to wait {seconds:whole} seconds before the first retry"))
def asked_to_wait(g2a_world: World, seconds: int) -> None:
    """G2A answers a read with HTTP 429 and this Retry-After.

    Example: G2A asks to wait 3 seconds before the first retry
    """
    policy = g2a_world.noted("policy", *_POLICY)
    # a rate-limited read, with the jitter drawn at its lowest so only Retry-After counts
    g2a_world.notes["decision"] = policy.decide(
        1, idempotent=True, status=429, retry_after=str(seconds), rand=lambda: 0.0
    )


@then(parse("the policy waits {seconds:whole} seconds"))
def policy_waits(g2a_world: World, seconds: int) -> None:
    """The retry policy decides to retry after exactly this many seconds.

    Example: the policy waits 3 seconds
    """
    decision = g2a_world.noted("decision", *_DECISION)
    assert decision.retry, decision
    assert decision.delay == seconds, decision


@then("the policy does not retry, leaving the wait to the caller")
def policy_gives_up(g2a_world: World) -> None:
    """The retry policy refuses to retry: G2A asked for a longer wait than its cap, and a retry
    sooner than asked cannot succeed (the caller gets the error and its Retry-After at once).

    Example: the policy does not retry, leaving the wait to the caller
    """
    decision = g2a_world.noted("decision", *_DECISION)
    assert not decision.retry, f"expected no retry, got a retry after {decision.delay} s"
