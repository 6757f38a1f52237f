"""Drift between the three descriptions of each operation: OpenAPI, pacts and recorded traffic.

Pure functions over plain data (parsed documents and `Exchange` records); loading files is
`harness.contracts.sources`' job. What counts as drift:

- traffic for an operation no OpenAPI document describes (`undocumented_operation`);
- a status code in traffic or in a pact that the operation does not document
  (`undocumented_status`);
- a response field in traffic or in a pact that the documented schema does not declare
  (`undocumented_field`);
- a field whose JSON type differs from the documented schema or from the pact's example
  (`type_change`);
- a value the documented schema rules out: one an `enum` does not list (null too, unless
  listed), or a string a `pattern` does not match, of the schema or any of its `allOf` members
  (`undocumented_value`; an order status word G2A adds, an id that stopped being digits); a
  pattern Python's `re` does not read (OpenAPI's are ECMA-262), or one setting a flag inline
  (`(?m)`, which ECMA-262 patterns cannot), is `unchecked_pattern`;
- a field the documented schema marks required that traffic lacks (`missing_required_field`);
- a field a pact requires (every key of a pact's expected body is required) that traffic with the
  same status lacks (`missing_field`);
- no body or a body that is not JSON where the document or a pact with that status expects JSON
  (`not_json`, at `$`; a JSON scalar where an object is expected is a `type_change` at `$`);
- a response `Content-Type` the documented status does not list (`undocumented_content_type`);
- a discriminator value that names no branch of its schema, or names another subtype than
  the one documented there (`undocumented_value`, at the discriminator's field); traffic
  lacking its discriminator (`missing_required_field`).

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
import json
import re
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal
from urllib.parse import urlsplit

JSON = Any
HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
# How a response body was seen: parsed JSON (any value), text that is not JSON, or no body.
BodyForm = Literal["json", "text", "none"]
_BODY_FORMS: dict[str, str] = {"text": "a body that is not JSON", "none": "no body"}


class DocumentError(ValueError):
    """An OpenAPI document the comparison cannot read: names the document and the JSON
    pointer of the part at fault."""


@dataclass(frozen=True)
class Exchange:
    """One response as seen by a source: recorded traffic or a pact interaction; `body` is
    the parsed JSON when `body_form` is `json`, the text when `text`, None when `none`."""

    method: str
    path: str
    status: int
    body: JSON
    source: str
    body_form: BodyForm = "json"
    content_type: str | None = None
    statuses: Collection[int] | None = None
    """A pact's: the statuses its `statusCode` rule accepts (`status` is its example)."""

    def answers_with(self, status: int) -> bool:
        """Whether this exchange's status is `status`, or its rule accepts it."""
        return status == self.status if self.statuses is None else status in self.statuses

    def body_seen(self) -> str:
        """What the body is, in words, for a finding."""
        if self.body_form == "json":
            return f"a JSON {json_type(self.body)}"
        return _BODY_FORMS[self.body_form]


@dataclass(frozen=True)
class Drift:
    """One disagreement between sources, keyed by operation and field path."""

    operation: str
    kind: str
    field: str
    detail: str
    source: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


@dataclass(frozen=True)
class Operation:
    method: str
    template: str
    pattern: re.Pattern[str]
    responses: Mapping[str, Any]
    document: Mapping[str, Any] = field(repr=False)

    @property
    def label(self) -> str:
        return f"{self.method} {self.template}"

    def response(self, status: int) -> Mapping[str, Any] | None:
        """The documented response of this status, honouring `4XX` and `default`."""
        for key in (str(status), f"{str(status)[0]}XX", "default"):
            if key in self.responses:
                response: Mapping[str, Any] = _resolve(self.document, self.responses[key])
                return response
        return None


class OperationIndex:
    """The operations of one or more OpenAPI 3 documents, matched by method and concrete path."""

    def __init__(self, documents: Iterable[Mapping[str, Any]]) -> None:
        self.operations: list[Operation] = []
        for document in documents:
            prefix = _server_prefix(document)
            for template, item in (document.get("paths") or {}).items():
                full = prefix + template
                for method in HTTP_METHODS:
                    if method in item:
                        op = _resolve(document, item[method])
                        self.operations.append(
                            Operation(
                                method=method.upper(),
                                template=full,
                                pattern=_template_pattern(full),
                                responses=_by_status_text(op.get("responses") or {}),
                                document=document,
                            )
                        )
        # Literal segments win over parameters: `/v1/products` before `/v1/{anything}`.
        self.operations.sort(key=lambda o: o.template.count("{"))

    def find(self, method: str, path: str) -> Operation | None:
        for operation in self.operations:
            if operation.method == method.upper() and operation.pattern.fullmatch(path):
                return operation
        return None


def detect_drift(
    documents: Sequence[Mapping[str, Any]],
    pacts: Sequence[Exchange],
    traffic: Sequence[Exchange],
) -> list[Drift]:
    """Every disagreement between the documents, the pact interactions and the traffic."""
    index = OperationIndex(documents)
    found: list[Drift] = []
    # A pact names only the fields the consumer reads: "required" applies to traffic only.
    for exchange in pacts:
        found.extend(_against_document(index, exchange, complete=False))
    for exchange in traffic:
        found.extend(_against_document(index, exchange, complete=True))
    for exchange in traffic:
        found.extend(_against_pacts(index, exchange, pacts))
    return _unique(found)


def _against_document(
    index: OperationIndex, exchange: Exchange, *, complete: bool
) -> Iterator[Drift]:
    operation = index.find(exchange.method, exchange.path)
    if operation is None:
        yield Drift(
            f"{exchange.method} {exchange.path}",
            "undocumented_operation",
            "",
            "no OpenAPI document describes this call",
            exchange.source,
        )
        return
    response = operation.response(exchange.status)
    if response is None:
        yield Drift(
            operation.label,
            "undocumented_status",
            "",
            f"status {exchange.status} is not documented "
            f"(documented: {', '.join(sorted(operation.responses)) or 'none'})",
            exchange.source,
        )
        return
    media_types = list(response.get("content") or {})
    if (
        exchange.content_type
        and media_types
        and not _media_type_listed(exchange.content_type, media_types)
    ):
        yield Drift(
            operation.label,
            "undocumented_content_type",
            "$",
            f"Content-Type {exchange.content_type} is not documented "
            f"(documented: {', '.join(media_types)})",
            exchange.source,
        )
    schema = _json_schema_of(response)
    if schema is None:
        return
    if exchange.body_form != "json":
        yield Drift(
            operation.label,
            "not_json",
            "$",
            f"documented a JSON body, got {exchange.body_seen()}",
            exchange.source,
        )
        return
    yield from _Comparison(operation, exchange, complete).schema(exchange.body, schema, "$")


# The alternatives already expanded along a path: each as its holder's id and its key
# (`oneOf`, `anyOf` or `discriminator`).
_Expanded = frozenset[tuple[int, str]]
_COMPONENTS = "#/components/schemas/"


@dataclass(frozen=True)
class _Choice:
    """The branches of some alternatives a value is compared with (the closest one is
    reported; none: the other members alone), and the finding about its discriminator."""

    branches: list[Mapping[str, Any]]
    finding: Drift | None = None


@dataclass
class _Comparison:
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
        return self.members(value, _flattened(self.operation.document, [schema]), path)

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
            self.members(value, _flattened(document, [*members, branch]), path, expanded)
            for branch in choice.branches
        ]
        if compared:
            yield from _closest(compared, path)
        else:
            yield from self.members(value, members, path, expanded)

    def shape(self, value: JSON, members: list[Mapping[str, Any]], path: str) -> Iterator[Drift]:
        """Compare `value` with `members`, whose alternatives are all chosen."""
        schema = _merged(members)
        allowed = _schema_types(schema)
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
            detail = f"discriminator {_json_text(given)} names no schema documented here"
        else:
            documented = alternatives.contradicted(target, members)
            if documented is None:
                return None
            document = self.operation.document
            detail = (
                f"discriminator {_json_text(given)} names {_schema_name(document, target)}, "
                f"documented here as {_schema_name(document, documented)}"
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
        listed = _listed(self.document, self.holder, self.key)
        return [_resolve(self.document, b) for b in listed]

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
            _component_name(self.document, schema) is not None
            and _among(self.holder, _flattened(self.document, [schema]))
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
            and _among(self.holder, _flattened(self.document, [member]))
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
        target_members = _flattened(self.document, [target])
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
    ref = target if target.startswith("#") else _COMPONENTS + target
    return _resolved(document, {"$ref": ref})


def _mapping(discriminator: Mapping[str, Any]) -> dict[str, Any]:
    """The discriminator's `mapping`, keyed by text: YAML reads an unquoted `1:` as a number."""
    mapping = discriminator.get("mapping")
    if not isinstance(mapping, Mapping):
        return {}
    return {key if isinstance(key, str) else _json_text(key): to for key, to in mapping.items()}


def _schema_name(document: Mapping[str, Any], schema: Mapping[str, Any]) -> str:
    """`schema`'s name in `components/schemas`, for a finding."""
    return _component_name(document, schema) or "an inline schema"


def _component_name(document: Mapping[str, Any], schema: Mapping[str, Any]) -> str | None:
    """`schema`'s name in `components/schemas`; None when it is none of them."""
    for name, component in _component_schemas(document).items():
        if _resolved(document, component) is schema:
            return str(name)
    return None


def _component_schemas(document: Mapping[str, Any]) -> Mapping[str, Any]:
    components = document.get("components")
    schemas = components.get("schemas") if isinstance(components, Mapping) else None
    return schemas if isinstance(schemas, Mapping) else {}


def _resolved(document: Mapping[str, Any], node: Any) -> Mapping[str, Any] | None:
    """`node` resolved, when it is a schema; None when its `$ref` points to nothing."""
    try:
        node = _followed(document, node)
    except _BrokenRef:
        return None
    return node if isinstance(node, Mapping) else None


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


def _against_pacts(
    index: OperationIndex, exchange: Exchange, pacts: Sequence[Exchange]
) -> Iterator[Drift]:
    operation = index.find(exchange.method, exchange.path)
    label = operation.label if operation else f"{exchange.method} {exchange.path}"
    observed = _numbers_as_one(field_types(exchange.body))
    for pact in pacts:
        if (
            not pact.answers_with(exchange.status)
            or pact.body_form != "json"
            or not _same_operation(index, pact, exchange)
        ):
            continue
        sources = f"{exchange.source} vs {pact.source}"
        if exchange.body_form != "json":
            yield Drift(
                label,
                "not_json",
                "$",
                f"the pact expects {pact.body_seen()}, traffic has {exchange.body_seen()}",
                sources,
            )
            continue
        expected_types = _numbers_as_one(field_types(pact.body))
        if not observed["$"] & expected_types["$"]:
            yield Drift(
                label,
                "type_change",
                "$",
                f"the pact expects {pact.body_seen()}, traffic has {exchange.body_seen()}",
                sources,
            )
            continue
        for path, expected in expected_types.items():
            if path not in observed:
                if not _under_empty_array(path, exchange.body):
                    yield Drift(
                        label,
                        "missing_field",
                        path,
                        f"the pact requires a {'|'.join(sorted(expected))}, traffic lacks it",
                        sources,
                    )
            elif not observed[path] & expected:
                yield Drift(
                    label,
                    "type_change",
                    path,
                    f"pact expects {'|'.join(sorted(expected))}, traffic has "
                    f"{'|'.join(sorted(observed[path]))}",
                    sources,
                )


def _same_operation(index: OperationIndex, a: Exchange, b: Exchange) -> bool:
    if a.method.upper() != b.method.upper():
        return False
    op_a, op_b = index.find(a.method, a.path), index.find(b.method, b.path)
    if op_a is None or op_b is None:
        return a.path == b.path
    return op_a is op_b


def json_type(value: JSON) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def field_types(value: JSON, path: str = "$") -> dict[str, set[str]]:
    """Every field path of a JSON value (`$.docs[].id`) with the JSON types seen there."""
    found: dict[str, set[str]] = {path: {json_type(value)}}
    children: Iterable[tuple[str, JSON]] = ()
    if isinstance(value, dict):
        children = ((f"{path}.{k}", v) for k, v in value.items())
    elif isinstance(value, list):
        children = ((f"{path}[]", v) for v in value)
    for child_path, child in children:
        for key, types in field_types(child, child_path).items():
            found.setdefault(key, set()).update(types)
    return found


def _numbers_as_one(types: dict[str, set[str]]) -> dict[str, set[str]]:
    """Pact examples carry no schema: 12 and 12.5 are both just numbers there."""
    return {path: {"number" if t == "integer" else t for t in seen} for path, seen in types.items()}


def _under_empty_array(path: str, body: JSON) -> bool:
    """True when `path` lies under an array that is empty in `body` (nothing to compare)."""
    prefix, sep, _ = path.partition("[]")
    if not sep:
        return False
    types = field_types(body)
    return prefix in types and f"{prefix}[]" not in types


def _type_allowed(actual: str, allowed: set[str]) -> bool:
    # JSON has one number type: an integral value is a valid "number".
    return actual in allowed or (actual == "integer" and "number" in allowed)


def _value_rejected(schema: Mapping[str, Any], value: JSON) -> tuple[str, str] | None:
    """The finding (kind, detail) when the schema's `enum` or `pattern` rules `value` out, or
    its pattern cannot be read; None when the value passes. As OpenAPI 3.0.3 says, an `enum`
    rules out a nullable field's null unless it lists null."""
    listed = schema.get("enum")
    if listed is not None and not any(_same_json(item, value) for item in listed):
        shown = ", ".join(_json_text(item) for item in listed)
        return "undocumented_value", f"documented one of {shown}, got {_json_text(value)}"
    pattern = schema.get("pattern")
    if not (isinstance(pattern, str) and isinstance(value, str)):
        return None
    if _sets_flags_inline(pattern):
        return (
            "unchecked_pattern",
            f"documented pattern {pattern} sets a flag inline, which ECMA-262 patterns cannot",
        )
    try:
        matches = _regex(pattern).search(value)
    except re.error as error:
        return (
            "unchecked_pattern",
            f"documented pattern {pattern} is not a regex Python reads ({error})",
        )
    if not matches:
        return "undocumented_value", f"documented pattern {pattern}, got {_json_text(value)}"
    return None


def _same_json(documented: Any, value: JSON) -> bool:
    """Equal as JSON values: `true` is not `1` there, though Python says so."""
    return bool(documented == value) and isinstance(documented, bool) == isinstance(value, bool)


def _json_text(value: Any) -> str:
    return json.dumps(value, default=str)  # a document's value JSON has no type for: as text


@functools.cache
def _regex(pattern: str) -> re.Pattern[str]:
    """`pattern` compiled as near to OpenAPI's reading (ECMA-262) as Python's `re` goes:
    `\\d`, `\\w` and `\\b` are ASCII there (`\\s` too here, a narrower reading), and `$` is
    the end of the text. A pattern Python cannot read raises `re.error` as written."""
    re.compile(pattern, re.ASCII)  # its error, if any, placed in the documented text
    return re.compile(_ecma_end_anchors(pattern), re.ASCII)


def _ecma_end_anchors(pattern: str) -> str:
    """`pattern` with each `$` anchor written `\\Z`: ECMA-262's `$` (without the m flag)
    matches at the end of the text only, Python's also before a final newline. A `$` that is
    escaped or in a character class is a dollar, and stays as it is."""
    tokens = _pattern_tokens(pattern)
    return "".join(
        "\\Z" if token == "$" and not in_class else token for _, token, in_class in tokens
    )


# After a group's `(`: Python's inline flags, `(?m)`, `(?i:...)` or `(?-i:...)`
_INLINE_FLAGS = re.compile(r"\?[aiLmsux-]")


def _sets_flags_inline(pattern: str) -> bool:
    """Whether `pattern` sets a flag inline: ECMA-262 5.1, OpenAPI 3.0's dialect, has no
    inline flags, and Python reads them its own way (`$` before any newline under `m`)."""
    return any(
        token == "(" and not in_class and _INLINE_FLAGS.match(pattern, position + 1)
        for position, token, in_class in _pattern_tokens(pattern)
    )


def _pattern_tokens(pattern: str) -> Iterator[tuple[int, str, bool]]:
    """The tokens of `pattern` (an escape, a class's opening, or one character), each with its
    position and whether it lies in a character class."""
    in_class = False
    position = 0
    while position < len(pattern):
        token = pattern[position]
        if token == "\\":
            token = pattern[position : position + 2]
        elif in_class:
            in_class = token != "]"
        elif token == "[":
            # Python reads a `]` first in a class (after any `^`) as a member
            token += "^" if pattern.startswith("^", position + 1) else ""
            token += "]" if pattern.startswith("]", position + len(token)) else ""
            in_class = True
        yield position, token, in_class
        position += len(token)


def _schema_types(schema: Mapping[str, Any]) -> set[str]:
    declared = schema.get("type")
    types = {declared} if isinstance(declared, str) else set(declared or [])
    if types and schema.get("nullable"):
        types.add("null")
    return types


def _flattened(document: Mapping[str, Any], schemas: Iterable[Any]) -> list[Mapping[str, Any]]:
    """`schemas` resolved, each followed (depth first) by the members of its `allOf`: the
    schemas a value must all satisfy. A member met again (a cycle of `$ref`) is not repeated."""
    members: list[Mapping[str, Any]] = []

    def add(node: Any) -> None:
        node = _resolve(document, node)
        if isinstance(node, Mapping) and not any(node is m for m in members):
            members.append(node)
            for part in _listed(document, node, "allOf"):
                add(part)

    for schema in schemas:
        add(schema)
    return members


def _merged(members: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The shape `members` describe together: all their `properties` and `required` names,
    and the first `type`, `additionalProperties`, `items` and `nullable` any of them gives."""
    merged: dict[str, Any] = {"properties": {}, "required": []}
    for member in members:
        merged["properties"].update(member.get("properties") or {})
        required = member.get("required")
        if isinstance(required, list):  # not Swagger 2's `required: true` on a property
            merged["required"] += required
        for key in ("type", "additionalProperties", "items", "nullable"):
            if key in member:
                merged.setdefault(key, member[key])
    return merged


def _media_type_listed(content_type: str, media_types: Iterable[str]) -> bool:
    """Whether `content_type` (parameters ignored) is one of `media_types`, which may use
    `type/*` and `*/*`."""
    actual = content_type.split(";")[0].strip().lower()
    kind = actual.split("/")[0]
    listed = {m.split(";")[0].strip().lower() for m in media_types}
    return bool(listed & {actual, f"{kind}/*", "*/*"})


def _json_schema_of(response: Mapping[str, Any]) -> Any:
    for media_type, content in (response.get("content") or {}).items():
        if "json" in media_type:
            return content.get("schema")
    return None


def _listed(document: Mapping[str, Any], schema: Mapping[str, Any], key: str) -> list[Any]:
    """`schema`'s list under `key` (`allOf`, `oneOf`, `anyOf`); none when absent."""
    listed = schema.get(key)
    if listed is None:
        return []
    if not isinstance(listed, list):
        raise _document_error(document, schema, f"/{key}: not a list")
    return listed


class _BrokenRef(LookupError):
    """A `$ref` that points to nothing (`node` holds it), or to another document."""

    def __init__(self, node: Mapping[str, Any], problem: str) -> None:
        super().__init__(problem)
        self.node = node


def _resolve(document: Mapping[str, Any], node: Any) -> Any:
    """`node`, its `$ref` (if any) followed; a `DocumentError` when one points to nothing."""
    try:
        return _followed(document, node)
    except _BrokenRef as broken:
        raise _document_error(document, broken.node, f": {broken}") from None


def _followed(document: Mapping[str, Any], node: Any) -> Any:
    """`node`, its `$ref` followed (32 at most: a cycle of them ends); `_BrokenRef` when one
    points to nothing."""
    seen = 0
    while isinstance(node, Mapping) and "$ref" in node and seen < 32:
        node = _referenced(document, node)
        seen += 1
    return node


def _referenced(document: Mapping[str, Any], holder: Mapping[str, Any]) -> Any:
    """The node `holder`'s local `$ref` points to in `document`."""
    ref = holder["$ref"]
    if not (isinstance(ref, str) and ref.startswith("#/")):
        raise _BrokenRef(holder, f"$ref {_quoted(ref)} is not a '#/...' reference")
    node: Any = document
    for part in ref[2:].split("/"):
        key = part.replace("~1", "/").replace("~0", "~")
        if not (isinstance(node, Mapping) and key in node):
            raise _BrokenRef(holder, f"$ref {_quoted(ref)} points to nothing")
        node = node[key]
    return node


def _quoted(ref: Any) -> str:
    return repr(ref) if isinstance(ref, str) else _json_text(ref)


def _document_error(document: Mapping[str, Any], node: Any, problem: str) -> DocumentError:
    """The error about `node` of `document`: `problem` follows its JSON pointer."""
    info = document.get("info")
    title = info.get("title") if isinstance(info, Mapping) else None
    name = _json_text(title) if isinstance(title, str) else "(untitled)"
    return DocumentError(f"OpenAPI document {name}: {_pointer(document, node)}{problem}")


def _pointer(document: Mapping[str, Any], node: Any) -> str:
    """The JSON pointer to `node` (the same object) in `document`; `#` when not found."""
    pending: list[tuple[str, Any]] = [("#", document)]
    visited: set[int] = set()
    while pending:
        pointer, current = pending.pop()
        if current is node:
            return pointer
        if id(current) in visited:
            continue
        visited.add(id(current))
        children: Iterable[tuple[Any, Any]] = ()
        if isinstance(current, Mapping):
            children = current.items()
        elif isinstance(current, list):
            children = enumerate(current)
        pending.extend((f"{pointer}/{_escaped(key)}", child) for key, child in children)
    return "#"


def _escaped(key: Any) -> str:
    """`key` as a JSON pointer's token: `~` written `~0`, `/` written `~1`."""
    return str(key).replace("~", "~0").replace("/", "~1")


def _by_status_text(responses: Mapping[Any, Any]) -> dict[str, Any]:
    """`responses` keyed by text: YAML reads an unquoted `200:` as a number."""
    return {str(status): response for status, response in responses.items()}


def _server_prefix(document: Mapping[str, Any]) -> str:
    servers = document.get("servers") or [{"url": "/"}]
    return urlsplit(str(servers[0].get("url", "/"))).path.rstrip("/")


def _template_pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}/]+\})", template)
    regex = "".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts)
    return re.compile(regex)


def _unique(items: Iterable[Drift]) -> list[Drift]:
    seen: dict[tuple[str, str, str], Drift] = {}
    for item in items:
        seen.setdefault((item.operation, item.kind, item.field), item)
    return sorted(seen.values(), key=lambda d: (d.operation, d.kind, d.field))
