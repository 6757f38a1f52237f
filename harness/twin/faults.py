"""Fault injection: which call gets which fault. Pure selection, seeded randomness.

A fault matches calls by route (exact path, a glob such as `/v1/order/pay/*`, or `*` for every
API route) and method. For each matching call it decides, in this order: a `sequence` entry
(the n-th matching call gets entry n; `null` passes through; past the end the fault is spent),
else a `probability` draw from its own `random.Random(seed)` (no `seed`: one derived from the
twin's seed and the fault's id, so a run under a seed draws the same; ids start again at
`fault-1` once the faults are cleared), else always. `times` caps
how many calls the fault is applied to.
"""

from __future__ import annotations

import fnmatch
import itertools
import random
import re
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from harness.twin.admin_input import finite_number
from harness.twin.errors import MAX_MESSAGE_LENGTH, UnanswerableError, check_answerable, is_message

_T = TypeVar("_T", int, str)

KINDS = (
    "status",
    "latency",
    "reset",
    "hang",
    "malformed",
    "rate_limit",
    # outages as a proxy or a broken backend answers them (not G2A's envelope):
    "empty",  # no body at all
    "html",  # an HTML error page
    "truncated",  # the JSON cut in half (`malformed` is the older name)
    "content_type",  # the normal body labelled text/html
    "redirect",  # 302 to a maintenance page
)
# The HTTP status of a kind when the spec gives none.
DEFAULT_STATUS = {
    "rate_limit": 429,
    "malformed": 200,
    "truncated": 200,
    "content_type": 200,
    "empty": 502,
    "html": 502,
    "redirect": 302,
}
RETRY_AFTER_KINDS = ("status", "rate_limit")  # the kinds that may send a Retry-After
PHASES = ("before", "after")
METHODS = ("*", "GET", "POST", "PUT", "PATCH", "DELETE")
MAX_LATENCY_MS = 60_000
MAX_RETRY_AFTER = 3600
# A fault's code may be text no client reads as a code (spaces, any script, over 64
# characters), to see how a client copes; never a control character (C0, DEL, C1). A lone
# surrogate, in this field as in any, is refused by `check_answerable`.
MAX_CODE_LENGTH = 256
_CODE = re.compile(rf"[^\x00-\x1f\x7f-\x9f]{{1,{MAX_CODE_LENGTH}}}")
_SPEC_FIELDS = {
    "route",
    "method",
    "kind",
    "status",
    "code",
    "message",
    "latency_ms",
    "retry_after",
    "times",
    "probability",
    "sequence",
    "seed",
    "phase",
}
_ENTRY_FIELDS = {"kind", "status", "code", "message", "latency_ms", "retry_after", "phase"}


class FaultSpecError(ValueError):
    """A fault spec that cannot be applied; the message names the field."""


@dataclass(frozen=True)
class FaultAction:
    """What to do to one call.

    `phase` "before" answers instead of the handler (no side effect); "after" lets the
    handler run (the order is created, the key is handed out) and then spoils the answer,
    which is how a lost response looks to a client.
    """

    kind: str
    status: int = 503
    code: str = "TWIN_FAULT"
    message: str = "Injected fault"
    latency_ms: int = 0
    retry_after: int | None = None  # a rate_limit's Retry-After (1 s), a status fault's if given
    phase: str = "before"


@dataclass
class Fault:
    id: str
    route: str
    method: str
    action: FaultAction
    times: int | None
    probability: float | None
    sequence: list[FaultAction | None] | None
    seed: int | None  # as given; None: draws seeded from `twin_seed` and the id
    twin_seed: int = 0
    calls: int = 0
    applied: int = 0
    _rng: random.Random = field(init=False, repr=False)

    def __post_init__(self) -> None:
        own = self.seed is not None
        self._rng = random.Random(self.seed if own else f"{self.twin_seed}:{self.id}")

    def matches(self, method: str, path: str) -> bool:
        if self.method != "*" and self.method != method:
            return False
        return self.route in {"*", path} or fnmatch.fnmatchcase(path, self.route)

    @property
    def spent(self) -> bool:
        if self.times is not None and self.applied >= self.times:
            return True
        return self.sequence is not None and self.calls >= len(self.sequence)

    def decide(self) -> FaultAction | None:
        """Called once per matching call; advances the fault's state."""
        if self.spent:
            return None
        index = self.calls
        self.calls += 1
        if self.sequence is not None:
            action = self.sequence[index]
        elif self.probability is not None:
            action = self.action if self._rng.random() < self.probability else None
        else:
            action = self.action
        if action is not None:
            self.applied += 1
        return action

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "route": self.route,
            "method": self.method,
            **_action_dict(self.action),
            "times": self.times,
            "probability": self.probability,
            "sequence": None
            if self.sequence is None
            else [None if a is None else _action_dict(a) for a in self.sequence],
            "seed": self.seed,
            "calls": self.calls,
            "applied": self.applied,
            "spent": self.spent,
        }


def _action_dict(action: FaultAction) -> dict[str, Any]:
    return {
        "kind": action.kind,
        "status": action.status,
        "code": action.code,
        "message": action.message,
        "latency_ms": action.latency_ms,
        "retry_after": action.retry_after,
        "phase": action.phase,
    }


def _action(spec: dict[str, Any], base: FaultAction | None = None) -> FaultAction:
    kind = spec.get("kind", base.kind if base else None)
    if kind not in KINDS:
        raise FaultSpecError(f"kind must be one of {', '.join(KINDS)}")
    defaults = base or FaultAction(kind=kind)
    status_default = defaults.status if base else DEFAULT_STATUS.get(kind, defaults.status)
    code_default = "BR03" if kind == "rate_limit" else defaults.code
    message_default = "Too many requests" if kind == "rate_limit" else defaults.message
    action = replace(
        defaults,
        kind=kind,
        status=_field(spec, "status", int, status_default),
        code=_field(spec, "code", str, code_default),
        message=_field(spec, "message", str, message_default),
        latency_ms=_field(spec, "latency_ms", int, defaults.latency_ms),
        retry_after=_retry_after(spec, kind, base),
        phase=_field(spec, "phase", str, defaults.phase),
    )
    if action.phase not in PHASES:
        raise FaultSpecError("phase must be 'before' or 'after'")
    if not _CODE.fullmatch(action.code):
        raise FaultSpecError(
            f"code must be 1 to {MAX_CODE_LENGTH} characters, none of them a control character"
        )
    if not is_message(action.message):
        raise FaultSpecError(f"message must be a string of 1 to {MAX_MESSAGE_LENGTH} characters")
    if not 200 <= action.status <= 599:  # a 1xx is no answer: clients drop the connection
        raise FaultSpecError("status must be an HTTP status code from 200 to 599")
    if not 0 <= action.latency_ms <= MAX_LATENCY_MS:
        raise FaultSpecError(f"latency_ms must be between 0 and {MAX_LATENCY_MS}")
    if action.retry_after is not None and not 0 <= action.retry_after <= MAX_RETRY_AFTER:
        raise FaultSpecError(f"retry_after must be between 0 and {MAX_RETRY_AFTER}")
    return action


def _retry_after(spec: dict[str, Any], kind: str, base: FaultAction | None) -> int | None:
    """The Retry-After of a `rate_limit` (1 s unless given) or `status` fault (none unless
    given, as a gateway's or G2A's 503 may send one); refused on the other kinds, which
    answer no error of G2A's."""
    if "retry_after" in spec:
        if kind not in RETRY_AFTER_KINDS:
            raise FaultSpecError("retry_after is for the status and rate_limit kinds")
        return _field(spec, "retry_after", int, 0)
    if base is not None:
        return base.retry_after
    return 1 if kind == "rate_limit" else None


def _field(spec: dict[str, Any], name: str, kind: type[_T], default: _T) -> _T:
    """`spec[name]` when given (absent: `default`), refused if not of `kind`."""
    if name not in spec:
        return default
    value = spec[name]
    if isinstance(value, bool) or not isinstance(value, kind):
        raise FaultSpecError(f"{name} must be {'an integer' if kind is int else 'a string'}")
    return value


def _sequence_entry(
    index: int, entry: str | dict[str, Any] | None, base: FaultAction
) -> FaultAction | None:
    """The sequence's entry `index` as an action; a refusal says which entry it is."""
    if entry is None:
        return None
    spec = {"kind": entry} if isinstance(entry, str) else entry
    unknown = set(spec) - _ENTRY_FIELDS
    if unknown:
        raise FaultSpecError(f"unknown sequence field(s): {', '.join(sorted(unknown))}")
    try:
        return _action(spec, base if spec.get("kind", base.kind) == base.kind else None)
    except FaultSpecError as refusal:
        raise FaultSpecError(f"sequence[{index}]: {refusal}") from None


def _sequence_spec(value: Any) -> list[str | dict[str, Any] | None] | None:
    """The `sequence` as given, checked before anything reads it: null, or a non-empty list
    whose entries are each a kind, an object or null."""
    if value is None:
        return None
    if not isinstance(value, list) or not value:
        raise FaultSpecError("sequence must be a non-empty list")
    if not all(e is None or isinstance(e, str | dict) for e in value):
        raise FaultSpecError("sequence entries are a kind, an object or null")
    return value


_TEMPLATE_PART = re.compile(r"\{[^{}/]*\}")  # `{order_id}` in `/v1/order/key/{order_id}`


def parse_fault(spec: dict[str, Any], fault_id: str, twin_seed: int = 0) -> Fault:
    """Validate a fault spec (the `POST /__twin/faults` body) into a Fault; `twin_seed` seeds
    its draws when the spec has no `seed`. A field no answer can carry is refused by its place
    (`check_answerable`: `sequence[1].message`), after every other check."""
    unknown = set(spec) - _SPEC_FIELDS
    if unknown:
        raise FaultSpecError(f"unknown fault field(s): {', '.join(sorted(unknown))}")
    route = _field(spec, "route", str, "*")
    if route != "*" and not route.startswith("/"):
        raise FaultSpecError("route must be '*' or start with '/'")
    if _TEMPLATE_PART.search(route):  # the adapter's metrics name routes so; no path matches
        raise FaultSpecError(
            f"route {route!r} is a route template, which no request path matches: "
            f"write {_TEMPLATE_PART.sub('*', route)!r}"
        )
    method = spec.get("method", "*")
    if method not in METHODS:
        raise FaultSpecError(f"method must be one of {', '.join(METHODS)}")
    sequence_spec = _sequence_spec(spec.get("sequence"))
    base_spec = dict(spec)
    if "kind" not in base_spec and sequence_spec:
        first = next((e for e in sequence_spec if e is not None), None)
        base_spec["kind"] = first if isinstance(first, str) else (first or {}).get("kind")
    action = _action(base_spec)
    sequence = None
    if sequence_spec is not None:
        sequence = [_sequence_entry(i, e, action) for i, e in enumerate(sequence_spec)]
    times = spec.get("times")
    probability = spec.get("probability")
    if times is not None and (isinstance(times, bool) or not isinstance(times, int) or times < 1):
        raise FaultSpecError("times must be a positive integer or null")
    if probability is not None:
        if not (finite_number(probability) and 0 <= probability <= 1):
            raise FaultSpecError("probability must be a number between 0 and 1")
        probability = float(probability)
    seed = spec.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise FaultSpecError("seed must be an integer or null")
    for name, value in spec.items():
        try:
            check_answerable(value, name)
        except UnanswerableError as exc:
            raise FaultSpecError(str(exc)) from None
    return Fault(fault_id, route, method, action, times, probability, sequence, seed, twin_seed)


class FaultBook:
    """The active faults, in the order they were added; the first that fires wins. `seed` (the
    twin's) seeds the draws of a fault added without its own."""

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed
        self._faults: dict[str, Fault] = {}
        self._ids = itertools.count(1)

    def __bool__(self) -> bool:
        return bool(self._faults)

    def add(self, spec: dict[str, Any]) -> Fault:
        fault = parse_fault(spec, f"fault-{next(self._ids)}", self.seed)
        self._faults[fault.id] = fault
        return fault

    def remove(self, fault_id: str) -> bool:
        return self._faults.pop(fault_id, None) is not None

    def clear(self) -> None:
        """Remove every fault; the next one added is `fault-1` again, drawing as in a new
        book."""
        self._faults.clear()
        self._ids = itertools.count(1)

    def list(self) -> list[dict[str, Any]]:
        return [f.as_dict() for f in self._faults.values()]

    def select(self, method: str, path: str) -> FaultAction | None:
        for fault in self._faults.values():
            if fault.matches(method, path):
                action = fault.decide()
                if action is not None:
                    return action
        return None
