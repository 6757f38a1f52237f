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
- a discriminator value that names no branch of its schema (`undocumented_value`, at the
  discriminator's field), or a value lacking its discriminator (`missing_required_field`).

How a schema is read: a value must meet the schema and every member of its `allOf`. Of a
`oneOf` or `anyOf`, the value is compared with each branch joined to those members, and the
branch with the fewest findings is reported (the alternatives are not told apart further:
a value meeting two `oneOf` branches is no finding). A `discriminator` chooses the branch
instead: its value goes through the `mapping`, else is the name of a schema in
`components/schemas`; without `oneOf`/`anyOf`, the branches are the mapping's targets and the
schemas whose `allOf` reaches the holder (OpenAPI 3.0.3's `Cat: {allOf: [Pet, ...]}`). A
`oneOf` branch that is already among the members and reaches the holder back through its own
`allOf` is the choice made (a value documented as `Cat` is no `Dog`). Null meets a holder
marked `nullable` without a branch. Each subtree is compared once per exchange, however many
branch combinations lie above it.
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


# A holder of alternatives already expanded along a path: its id (a node of the document,
# alive as long as the document) and its key, `oneOf`, `anyOf` or `discriminator`.
_Expanded = frozenset[tuple[int, str]]
_COMPONENTS = "#/components/schemas/"


@dataclass
class _Comparison:
    """The comparison of one exchange's body with its documented schema. Each comparison of
    a value with a set of members along a path is made once (`seen`): the branches of the
    alternatives share the subtrees below them."""

    operation: Operation
    exchange: Exchange
    complete: bool
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
        must satisfy every one of them. Each member's alternatives not in `expanded` are
        expanded, once along a path: a holder met again through a branch's `allOf` is not
        expanded again."""
        key = (id(value), tuple(id(m) for m in members), expanded, path)
        if key not in self.seen:
            self.seen[key] = list(self._members(value, members, path, expanded))
        return self.seen[key]

    def _members(
        self, value: JSON, members: list[Mapping[str, Any]], path: str, expanded: _Expanded
    ) -> Iterator[Drift]:
        for member in members:
            key = _alternatives_key(member)
            if key and (id(member), key) not in expanded:
                yield from self.alternatives(
                    value, members, (member, key), path, expanded | {(id(member), key)}
                )
                return
        yield from self.shape(value, members, path)

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
                    detail = "documented as required, absent"
                    yield self.finding("missing_required_field", f"{path}.{name}", detail)
        for name, item in value.items():
            child = f"{path}.{name}"
            if name in properties:
                yield from self.schema(item, properties[name], child)
            elif isinstance(extra, Mapping):
                yield from self.schema(item, extra, child)
            else:
                detail = f"{json_type(item)} field not declared by the documented schema"
                yield self.finding("undocumented_field", child, detail)

    def alternatives(
        self,
        value: JSON,
        members: list[Mapping[str, Any]],
        alternatives: tuple[Mapping[str, Any], str],
        path: str,
        expanded: _Expanded,
    ) -> Iterator[Drift]:
        """Compare `value` with `members` where one of them, the holder, offers alternatives
        (its `key`: `oneOf`, `anyOf`, or a `discriminator` alone, whose mapping and subtypes
        are the branches; `expanded` holds it): each branch joins the members. The branch the
        discriminator names is the choice, else the branch closest to the value. A `oneOf`
        branch already among the members that reaches the holder back through its `allOf` is
        the choice made (a `Cat` of `Cat: {allOf: [Pet]}`, `Pet: {oneOf: [Cat, Dog]}` is no
        `Dog`). Beside `nullable`, null needs no branch (the other members still hold)."""
        holder, key = alternatives
        if value is None and holder.get("nullable"):
            yield from self.members(value, members, path, expanded)
            return
        document = self.operation.document
        branches = [] if key == "discriminator" else [_resolve(document, b) for b in holder[key]]
        chosen = [
            b for b in branches if key == "oneOf" and _reaches_back(document, b, holder, members)
        ]
        discriminator = _discriminator(holder)
        if discriminator is not None and isinstance(value, dict):
            named, problem = self.discriminated(value, holder, discriminator, branches, path)
            if chosen and named is not None and named is not chosen[0]:
                problem = self.unknown_discriminator(discriminator, value, path)
            if problem is not None:
                yield problem
            chosen = chosen or ([] if named is None else [named])
        candidates = [
            self.members(value, _flattened(document, [*members, b]), path, expanded)
            for b in chosen or branches
        ]
        if not candidates:
            yield from self.members(value, members, path, expanded)
            return

        def mismatch(found: list[Drift]) -> tuple[int, bool]:
            """Fewest findings first; of as few, one whose type the value has."""
            return len(found), any(d.kind == "type_change" and d.field == path for d in found)

        yield from min(candidates, key=mismatch)

    def discriminated(
        self,
        value: dict[str, JSON],
        holder: Mapping[str, Any],
        discriminator: Mapping[str, Any],
        branches: list[Any],
        path: str,
    ) -> tuple[Mapping[str, Any] | None, Drift | None]:
        """The branch `value`'s discriminator names, or the finding when it names none: the
        name goes through the `mapping`, else is a schema's name in `components`. Without
        `oneOf`/`anyOf`, the branches are the holder, the mapping's targets and the schemas
        whose `allOf` reaches the holder."""
        name = discriminator["propertyName"]
        if name not in value:
            detail = "documented as required, absent"
            return None, self.finding("missing_required_field", f"{path}.{name}", detail)
        document = self.operation.document
        given = value[name]
        mapping = discriminator.get("mapping")
        mapping = mapping if isinstance(mapping, Mapping) else {}
        target = _lookup(document, _discriminator_ref(mapping, given))
        if branches:
            allowed = any(target is b for b in branches)
        else:
            allowed = target is not None and (
                given in mapping or any(holder is m for m in _flattened(document, [target]))
            )
        if not allowed:
            return None, self.unknown_discriminator(discriminator, value, path)
        return target, None

    def unknown_discriminator(
        self, discriminator: Mapping[str, Any], value: dict[str, JSON], path: str
    ) -> Drift:
        name = discriminator["propertyName"]
        detail = f"discriminator {_json_text(value[name])} names no schema documented here"
        return self.finding("undocumented_value", f"{path}.{name}", detail)


def _alternatives_key(member: Mapping[str, Any]) -> str | None:
    """The key of `member`'s alternatives: `oneOf`, `anyOf`, or `discriminator` alone."""
    for key in ("oneOf", "anyOf"):
        if member.get(key):
            return key
    return None if _discriminator(member) is None else "discriminator"


def _discriminator(member: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """`member`'s `discriminator`, when it names its property."""
    discriminator = member.get("discriminator")
    if isinstance(discriminator, Mapping) and isinstance(discriminator.get("propertyName"), str):
        return discriminator
    return None


def _reaches_back(
    document: Mapping[str, Any],
    branch: Mapping[str, Any],
    holder: Mapping[str, Any],
    members: list[Mapping[str, Any]],
) -> bool:
    """Whether `branch`, already among `members`, reaches `holder` back through its `allOf`."""
    return any(branch is m for m in members) and any(
        holder is m for m in _flattened(document, [branch])
    )


def _discriminator_ref(mapping: Mapping[str, Any], given: JSON) -> str | None:
    """The `$ref` a discriminator value names: its `mapping` entry (a `$ref` or a schema's
    name), else the schema of that name; None for a value that is no string."""
    if not isinstance(given, str):
        return None
    target = str(mapping.get(given, given))
    return target if target.startswith("#") else _COMPONENTS + target


def _lookup(document: Mapping[str, Any], ref: str | None) -> Any:
    """The node `ref` points to, resolved; None when it points to nothing."""
    if ref is None:
        return None
    try:
        node = _resolve(document, {"$ref": ref})
    except (KeyError, TypeError, ValueError):
        return None
    return node if isinstance(node, Mapping) else None


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
            for part in node.get("allOf") or []:
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


def _resolve(document: Mapping[str, Any], node: Any) -> Any:
    seen = 0
    while isinstance(node, Mapping) and "$ref" in node and seen < 32:
        ref = str(node["$ref"])
        if not ref.startswith("#/"):
            raise ValueError(f"only local $ref are supported, got {ref!r}")
        node = document
        for part in ref[2:].split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        seen += 1
    return node


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
