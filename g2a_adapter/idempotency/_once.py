"""The exactly-once engine: run an action once per key, as far as the idempotency store can tell.

`ProcessOnce` claims the key, runs the action and records the completion; a `LeaseKeeper`
renews the claim's lease from the claim to the completion, however long the action runs, so
no other caller takes the key over from a live holder. A process that dies between the action
and the completion leaves the key to be claimed again once its lease lapses, so effects
outside the store happen at least once. `ProcessOnceInTransaction` closes that gap for effects
written to the store's own SQL database: the action writes inside the claim's transaction, and
its writes commit with the completion or not at all.

Under OpenTelemetry (the `otel` extra) the claim and the action each get a span under the
caller's current one (a receiver's delivery span): `G2A webhook claim` with the claim's state
as `g2a.claim.state`, and `G2A webhook handler`.
"""

from __future__ import annotations

import contextlib
import hashlib
import time
from collections.abc import Callable, Iterator

from g2a_adapter import _tracing
from g2a_adapter._errors import (
    IdempotencyConflictError,
    IdempotencyInProgressError,
    LeaseLostError,
)
from g2a_adapter.idempotency._base import (
    JSON,
    Claim,
    ClaimState,
    IdempotencyStore,
)
from g2a_adapter.idempotency._codec import check_seconds
from g2a_adapter.idempotency._heartbeat import LeaseKeeper
from g2a_adapter.idempotency._sql import SqlStore, SqlTransaction

_DONE: JSON = {"status": "processed"}
_CLAIM_SPAN = "G2A webhook claim"
_ACTION_SPAN = "G2A webhook handler"
_RETENTION_SECONDS = 7 * 24 * 3600.0


def _fingerprint(payload: bytes) -> str:
    return hashlib.sha256(payload).hexdigest()


def _won(key: str, state: ClaimState) -> bool:
    """True for a claim this caller won (the action is its to run), False for a key already
    completed (a duplicate); raises for the other states."""
    if state is ClaimState.NEW:
        return True
    if state is ClaimState.COMPLETED:
        return False
    if state is ClaimState.MISMATCH:
        raise IdempotencyConflictError(f"{key!r} was already used with another payload")
    raise IdempotencyInProgressError(f"{key!r} is being processed by another delivery")


class ProcessOnce:
    """Runs an action once per key across processes; at least once if a process dies between
    the action and its completion (see the module docstring).

    A key already completed is a duplicate; a key held by a concurrent caller is waited for
    up to `in_progress_wait_seconds` (then `IdempotencyInProgressError`), for as long as its
    holder lives (the lease only frees the key of a holder that died); a failing action
    releases the claim so the sender's retry can succeed; another payload under the same key
    is an `IdempotencyConflictError`.

    `run` is `begin` → `act` → `end`; a caller handling several keys at once can take the
    steps itself, e.g. to put the claims of a batch in one store transaction and their
    completions in another (`IdempotencyStore` groups: `write_group`).
    """

    def __init__(
        self,
        store: IdempotencyStore,
        *,
        lease_seconds: float = 30.0,
        retention_seconds: float = _RETENTION_SECONDS,
        in_progress_wait_seconds: float = 1.0,
        poll_seconds: float = 0.01,
    ) -> None:
        check_seconds("lease_seconds", lease_seconds)
        check_seconds("retention_seconds", retention_seconds)
        self._store = store
        self._lease = lease_seconds
        self._keeper = LeaseKeeper(store, lease_seconds)
        self._retention = retention_seconds
        self._polls = round(in_progress_wait_seconds / poll_seconds) if poll_seconds > 0 else 0
        self._poll = poll_seconds

    def run(self, key: str, payload: bytes, action: Callable[[], None]) -> bool:
        """True if `action` ran now, False for a duplicate."""
        claim = self.begin(key, payload)
        if claim is None:
            return False
        try:
            self.act(claim, action)
        except BaseException:
            self.end(claim, succeeded=False)
            raise
        self.end(claim, succeeded=True)
        return True

    def begin(self, key: str, payload: bytes, *, wait: bool = True) -> Claim | None:
        """The claim to act under, or None for a duplicate; its lease is renewed until `end`.

        Raises `IdempotencyConflictError` for another payload, `IdempotencyInProgressError`
        while a concurrent caller holds the key (at once when `wait` is False).
        """
        claim = self._claim(key, _fingerprint(payload), wait=wait)
        if not _won(key, claim.state):
            return None
        self._keeper.keep(claim.key, claim.owner or "")
        return claim

    def pauses(self) -> Iterator[None]:
        """The wait for a key a concurrent caller holds, in pauses: try the claim again after
        each (`begin(..., wait=False)`), and give up when they are over."""
        for _ in range(self._polls):
            time.sleep(self._poll)
            yield

    def act(self, claim: Claim, action: Callable[[], None]) -> None:
        """Run the action (in its tracing span), unless the claim's lease is no longer held.

        Raises `IdempotencyInProgressError` when another caller took the key over while the
        claim waited for its action (its renewals failed for a whole lease): that caller runs
        it.
        """
        if not self._keeper.holds(claim.key, claim.owner or ""):
            raise IdempotencyInProgressError(f"{claim.key!r} was taken over by another delivery")
        with _tracing.span(_ACTION_SPAN):
            action()

    def end(self, claim: Claim, *, succeeded: bool) -> None:
        """Record the completion, or release the claim after a failed action.

        Raises `LeaseLostError` if another caller took the lease over before the completion
        (a release then has nothing to give up).
        """
        owner = claim.owner or ""
        self._keeper.let_go(claim.key, owner)
        if succeeded:
            self._store.complete(claim.key, owner, _DONE, self._retention)
            return
        with contextlib.suppress(LeaseLostError):
            self._store.release(claim.key, owner)

    def _claim(self, key: str, fingerprint: str, *, wait: bool) -> Claim:
        """The claim, once no concurrent caller holds the key or (`wait`) the pauses are over."""
        with _tracing.span(_CLAIM_SPAN) as span:
            claim = self._store.claim(key, fingerprint, self._lease)
            if wait and claim.state is ClaimState.IN_PROGRESS:
                for _ in self.pauses():
                    claim = self._store.claim(key, fingerprint, self._lease)
                    if claim.state is not ClaimState.IN_PROGRESS:
                        break
            _tracing.annotate(span, "g2a.claim.state", claim.state.value)
        return claim


class ProcessOnceInTransaction:
    """`ProcessOnce` for a SQL store whose action writes inside the claim's transaction.

    The action receives the transaction (`SqlTransaction.rows` / `.count`, in the store's
    `placeholder` style); its writes and the completion commit together, so a crash or a
    failing action leaves neither and the next delivery runs it again. While the action runs
    the transaction holds the store's write lock (SQLite: the whole database), so it should
    be short.
    """

    def __init__(self, store: SqlStore, *, retention_seconds: float = _RETENTION_SECONDS) -> None:
        check_seconds("retention_seconds", retention_seconds)
        self._store = store
        self._retention = retention_seconds

    def run(self, key: str, payload: bytes, action: Callable[[SqlTransaction], None]) -> bool:
        """True if `action` ran (and committed) now, False for a duplicate."""

        def traced(tx: SqlTransaction) -> None:
            with _tracing.span(_ACTION_SPAN):
                action(tx)

        with _tracing.span(_CLAIM_SPAN) as span:  # the whole transaction: claim to commit
            state = self._store.run_once_in_transaction(
                key, _fingerprint(payload), traced, _DONE, self._retention
            )
            _tracing.annotate(span, "g2a.claim.state", state.value)
        return _won(key, state)  # won: the action ran and committed
