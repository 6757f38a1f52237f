"""How a response body is compared with its documented schema (the drift kinds it finds
are listed in `harness.contracts.drift`).

How a schema is read:

- A value must meet the schema and every schema its `allOf` lists (its members).
- Where a member offers alternatives (a `oneOf`, an `anyOf`, or both: one branch of each),
  the value is compared with each branch added to the members, and the branch with the
  fewest findings is reported. A value meeting two `oneOf` branches is no finding.
- A `discriminator` picks the branch instead (of the `oneOf`, when there are both). Its
  property's value is looked up in its `mapping`, else taken as a schema's name in
  `components/schemas`. Without `oneOf` or `anyOf` (OpenAPI 3.0.3's layout:
  `Cat: {allOf: [Pet, ...]}`), it may name the mapping's targets and any schema whose
  `allOf` reaches the discriminator's schema.
- A value documented as a subtype is that subtype: a field documented as `Cat` is no `Dog`,
  whatever `Pet` lists or the discriminator says.
- Null meets a schema marked `nullable` without any branch.
- Each part of a body is compared once per exchange, however many branch combinations lie
  above it.
- A document this cannot read (a `$ref` to nothing or outside it, an `allOf`, `oneOf` or
  `anyOf` that is no list) raises `DocumentError`, naming its title and the JSON pointer.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from harness.contracts.ecma_patterns import ecma_regex, sets_flags_inline
from harness.contracts.exchanges import JSON, Drift, Exchange, Operation, json_type
from harness.contracts.openapi_document import (
    COMPONENTS,
    component_name,
    flattened,
    json_text,
    listed_schemas,
    merged_schema,
    resolve,
    resolved,
    schema_name,
    schema_types,
)

# The alternatives already expanded along a path: each as its holder's id and its key
# (`oneOf`, `anyOf` or `discriminator`).
_Expanded = frozenset[tuple[int, str]]


@dataclass(frozen=True)
class _Choice:
    """The branches of some alternatives a value is compared with (the closest one is
    reported; none: the other members alone), and the finding about its discriminator."""

    branches: list[Mapping[str, Any]]
    finding: Drift | None = None


@dataclass
class Comparison:
    """The comparison of one exchange's body with its documented schema. Each comparison of
    a value with a set of members along a path is made once (`seen`): the branches of the
    alternatives share the subtrees below them."""

    operation: Operation
    exchange: Exchange
    complete: bool
    # Keyed by the ids of the value and the members: an id names one object only while it
    # lives, and these all live as long as the comparison, which holds the body they come
    # from (the exchange) and the document (the operation).
    seen: dict[tuple[int, tuple[int, ...], _Expanded, str], list[Drift]] = field(
        default_factory=dict
    )

    def finding(self, kind: str, path: str, detail: str) -> Drift:
        return Drift(self.operation.label, kind, path, detail, self.exchange.source)

    def schema(self, value: JSON, schema: Any, path: str) -> list[Drift]:
        return self.members(value, flattened(self.operation.document, [schema]), path)

    def members(
        self,
        value: JSON,
        members: list[Mapping[str, Any]],
        path: str,
        expanded: _Expanded = frozenset(),
    ) -> list[Drift]:
        """Compare `value` with a schema given as its flattened `allOf` members: the value
        must satisfy every one of them, and one branch of each of their alternatives. Each
        alternatives is expanded once along a path (`expanded`): met again through a branch's
        `allOf`, it is not expanded again."""
        key = (id(value), tuple(id(m) for m in members), expanded, path)
        if key not in self.seen:
            self.seen[key] = list(self._members(value, members, path, expanded))
        return self.seen[key]

    def _members(
        self, value: JSON, members: list[Mapping[str, Any]], path: str, expanded: _Expanded
    ) -> Iterator[Drift]:
        unexpanded = _unexpanded(members, expanded)
        if unexpanded is None:
            yield from self.shape(value, members, path)
        else:
            holder, key = unexpanded
            alternatives = _Alternatives(self.operation.document, holder, key)
            expanded |= {(id(holder), key)}
            yield from self.alternatives(value, members, alternatives, path, expanded)

    def alternatives(
        self,
        value: JSON,
        members: list[Mapping[str, Any]],
        alternatives: _Alternatives,
        path: str,
        expanded: _Expanded,
    ) -> Iterator[Drift]:
        """Compare `value` with `members` joined to one of `alternatives` (`expanded` holds
        them now): the branch `choose` gives, or the closest of several. Null beside
        `nullable` needs no branch; the other members still hold."""
        if value is None and alternatives.holder.get("nullable"):
            choice = _Choice([])
        else:
            choice = self.choose(value, members, alternatives, path)
        if choice.finding is not None:
            yield choice.finding
        document = self.operation.document
        compared = [
            self.members(value, flattened(document, [*members, branch]), path, expanded)
            for branch in choice.branches
        ]
        if compared:
            yield from _closest(compared, path)
        else:
            yield from self.members(value, members, path, expanded)

    def shape(self, value: JSON, members: list[Mapping[str, Any]], path: str) -> Iterator[Drift]:
        """Compare `value` with `members`, whose alternatives are all chosen."""
        schema = merged_schema(members)
        allowed = schema_types(schema)
        actual = json_type(value)
        if allowed and not _type_allowed(actual, allowed):
            detail = f"documented {'|'.join(sorted(allowed))}, got {actual}"
            yield self.finding("type_change", path, detail)
            return
        rejected = next(filter(None, (_value_rejected(m, value) for m in members)), None)
        if rejected:
            yield self.finding(rejected[0], path, rejected[1])
        if isinstance(value, dict):
            yield from self.fields(value, schema, path)
        elif isinstance(value, list) and "items" in schema:
            for item in value:
                yield from self.schema(item, schema["items"], f"{path}[]")

    def fields(
        self, value: dict[str, JSON], schema: Mapping[str, Any], path: str
    ) -> Iterator[Drift]:
        properties = schema["properties"]
        extra = schema.get("additionalProperties")
        if self.complete:
            for name in schema["required"]:
                if name not in value:
                    yield self.absent(f"{path}.{name}")
        for name, item in value.items():
            child = f"{path}.{name}"
            if name in properties:
                yield from self.schema(item, properties[name], child)
            elif isinstance(extra, Mapping):
                yield from self.schema(item, extra, child)
            else:
                detail = f"{json_type(item)} field not declared by the documented schema"
                yield self.finding("undocumented_field", child, detail)

    def absent(self, path: str) -> Drift:
        return self.finding("missing_required_field", path, "documented as required, absent")

    def choose(
        self,
        value: JSON,
        members: list[Mapping[str, Any]],
        alternatives: _Alternatives,
        path: str,
    ) -> _Choice:
        """Which of `alternatives` `value` is compared with: the schema its discriminator
        names, if they offer it and the value is documented as no other subtype; else the
        open branches but the one named, with the finding about the discriminator (absent
        from traffic, or misnamed)."""
        open_branches = alternatives.open_branches(members)
        discriminator = alternatives.discriminator
        if discriminator is None or not isinstance(value, dict):
            return _Choice(open_branches)
        name = discriminator["propertyName"]
        if name not in value:
            # A pact names only the fields its consumer reads: "required" is for traffic only.
            return _Choice(open_branches, self.absent(f"{path}.{name}") if self.complete else None)
        target = _named_schema(self.operation.document, discriminator, value[name])
        finding = self.misnamed(value[name], f"{path}.{name}", target, alternatives, members)
        if target is None or finding is not None:
            return _Choice([b for b in open_branches if b is not target], finding)
        return _Choice([target])

    def misnamed(
        self,
        given: JSON,
        path: str,
        target: Mapping[str, Any] | None,
        alternatives: _Alternatives,
        members: list[Mapping[str, Any]],
    ) -> Drift | None:
        """The finding when the discriminator's value `given` names (`target`) no schema
        `alternatives` offer, or another subtype than the one documented (in `members`)."""
        if target is None or not alternatives.offers(target):
            detail = f"discriminator {json_text(given)} names no schema documented here"
        else:
            documented = alternatives.contradicted(target, members)
            if documented is None:
                return None
            document = self.operation.document
            detail = (
                f"discriminator {json_text(given)} names {schema_name(document, target)}, "
                f"documented here as {schema_name(document, documented)}"
            )
        return self.finding("undocumented_value", path, detail)


@dataclass(frozen=True)
class _Alternatives:
    """The alternatives `holder` offers under `key`: its `oneOf` or `anyOf` branches, or
    (`discriminator`, alone) the subtypes its discriminator may name."""

    document: Mapping[str, Any] = field(repr=False)
    holder: Mapping[str, Any]
    key: str

    @functools.cached_property
    def branches(self) -> list[Mapping[str, Any]]:
        """The schemas listed under the key, resolved; none for a discriminator alone."""
        if self.key == "discriminator":
            return []
        listed = listed_schemas(self.document, self.holder, self.key)
        return [resolve(self.document, b) for b in listed]

    @property
    def discriminator(self) -> Mapping[str, Any] | None:
        """The holder's discriminator, when it chooses among these alternatives: with both
        a `oneOf` and an `anyOf`, it chooses among the `oneOf`."""
        first = _alternatives_keys(self.holder)[0]
        return _discriminator(self.holder) if self.key == first else None

    def offers(self, schema: Mapping[str, Any]) -> bool:
        """Whether the discriminator may name `schema`: a branch; without `oneOf` or `anyOf`,
        a target of its mapping, or a schema of `components` whose `allOf` reaches the
        holder (the holder too)."""
        if self.key != "discriminator":
            return _among(schema, self.branches)
        discriminator = self.discriminator or {}
        mapped = [_named_schema(self.document, discriminator, n) for n in _mapping(discriminator)]
        return _among(schema, mapped) or (
            component_name(self.document, schema) is not None
            and _among(self.holder, flattened(self.document, [schema]))
        )

    def documented(self, members: list[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
        """The subtypes the value is documented as: the schemas among `members` these
        alternatives offer whose `allOf` reaches the holder (`Cat`, of `Cat: {allOf: [Pet]}`
        and `Pet: {oneOf: [Cat, Dog]}`)."""
        return [
            member
            for member in members
            if member is not self.holder
            and self.offers(member)
            and _among(self.holder, flattened(self.document, [member]))
        ]

    def open_branches(self, members: list[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
        """The branches compared when no discriminator chooses: all of them; of a `oneOf`,
        only the subtype documented, if one is (a value documented as `Cat` is no `Dog`).
        An `anyOf` value may be both."""
        documented = self.documented(members) if self.key == "oneOf" else []
        return [b for b in self.branches if _among(b, documented)] or self.branches

    def contradicted(
        self, target: Mapping[str, Any], members: list[Mapping[str, Any]]
    ) -> Mapping[str, Any] | None:
        """The subtype documented (in `members`) that `target`, the schema the discriminator
        names, neither is nor is a subtype of; None when there is none. A supertype of the
        documented subtype (`Cat`, or `Pet`, where a `House: {allOf: [Cat]}` is documented)
        is no subtype of it."""
        target_members = flattened(self.document, [target])
        for documented in self.documented(members):
            if not _among(documented, target_members):
                return documented
        return None


def _unexpanded(
    members: list[Mapping[str, Any]], expanded: _Expanded
) -> tuple[Mapping[str, Any], str] | None:
    """The first alternatives of `members` not in `expanded`: its holder and its key."""
    for member in members:
        for key in _alternatives_keys(member):
            if (id(member), key) not in expanded:
                return member, key
    return None


def _alternatives_keys(member: Mapping[str, Any]) -> list[str]:
    """The keys of `member`'s alternatives: its `oneOf` and its `anyOf`; without either, a
    `discriminator` alone (whose subtypes are the alternatives)."""
    keys = [key for key in ("oneOf", "anyOf") if member.get(key)]
    if not keys and _discriminator(member) is not None:
        keys.append("discriminator")
    return keys


def _discriminator(member: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """`member`'s `discriminator`, when it names its property."""
    discriminator = member.get("discriminator")
    if isinstance(discriminator, Mapping) and isinstance(discriminator.get("propertyName"), str):
        return discriminator
    return None


def _named_schema(
    document: Mapping[str, Any], discriminator: Mapping[str, Any], given: JSON
) -> Mapping[str, Any] | None:
    """The schema a discriminator value names: through its `mapping` (to a `$ref` or a
    schema's name), else the schema of that name; None when it names none."""
    if not isinstance(given, str):
        return None
    target = str(_mapping(discriminator).get(given, given))
    ref = target if target.startswith("#") else COMPONENTS + target
    return resolved(document, {"$ref": ref})


def _mapping(discriminator: Mapping[str, Any]) -> dict[str, Any]:
    """The discriminator's `mapping`, keyed by text: YAML reads an unquoted `1:` as a number."""
    mapping = discriminator.get("mapping")
    if not isinstance(mapping, Mapping):
        return {}
    return {key if isinstance(key, str) else json_text(key): to for key, to in mapping.items()}


def _among(schema: Mapping[str, Any], schemas: Iterable[Mapping[str, Any] | None]) -> bool:
    """Whether `schema` is one of `schemas` (the same node, not an equal one)."""
    return any(schema is s for s in schemas)


def _closest(compared: list[list[Drift]], path: str) -> list[Drift]:
    """Of the findings against each branch, the fewest; of as few, ones where the value has
    the branch's type (no type change at `path`)."""
    return min(
        compared,
        key=lambda found: (
            len(found),
            any(d.kind == "type_change" and d.field == path for d in found),
        ),
    )


def _type_allowed(actual: str, allowed: set[str]) -> bool:
    # JSON has one number type: an integral value is a valid "number".
    return actual in allowed or (actual == "integer" and "number" in allowed)


def _value_rejected(schema: Mapping[str, Any], value: JSON) -> tuple[str, str] | None:
    """The finding (kind, detail) when the schema's `enum` or `pattern` rules `value` out, or
    its pattern cannot be read; None when the value passes. As OpenAPI 3.0.3 says, an `enum`
    rules out a nullable field's null unless it lists null."""
    listed = schema.get("enum")
    if listed is not None and not any(_same_json(item, value) for item in listed):
        shown = ", ".join(json_text(item) for item in listed)
        return "undocumented_value", f"documented one of {shown}, got {json_text(value)}"
    pattern = schema.get("pattern")
    if not (isinstance(pattern, str) and isinstance(value, str)):
        return None
    if sets_flags_inline(pattern):
        return (
            "unchecked_pattern",
            f"documented pattern {pattern} sets a flag inline, which ECMA-262 patterns cannot",
        )
    try:
        matches = ecma_regex(pattern).search(value)
    except re.error as error:
        return (
            "unchecked_pattern",
            f"documented pattern {pattern} is not a regex Python reads ({error})",
        )
    if not matches:
        return "undocumented_value", f"documented pattern {pattern}, got {json_text(value)}"
    return None


def _same_json(documented: Any, value: JSON) -> bool:
    """Equal as JSON values: `true` is not `1` there, though Python says so."""
    return bool(documented == value) and isinstance(documented, bool) == isinstance(value, bool)
