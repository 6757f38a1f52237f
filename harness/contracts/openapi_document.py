"""Reading an OpenAPI 3 document as plain data: `$ref`s followed, JSON pointers for errors,
schemas' `allOf` members, responses and paths."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit


class DocumentError(ValueError):
    """An OpenAPI document the comparison cannot read: names the document and the JSON
    pointer of the part at fault."""


COMPONENTS = "#/components/schemas/"


def schema_name(document: Mapping[str, Any], schema: Mapping[str, Any]) -> str:
    """`schema`'s name in `components/schemas`, for a finding."""
    return component_name(document, schema) or "an inline schema"


def component_name(document: Mapping[str, Any], schema: Mapping[str, Any]) -> str | None:
    """`schema`'s name in `components/schemas`; None when it is none of them."""
    for name, component in _component_schemas(document).items():
        if resolved(document, component) is schema:
            return str(name)
    return None


def _component_schemas(document: Mapping[str, Any]) -> Mapping[str, Any]:
    components = document.get("components")
    schemas = components.get("schemas") if isinstance(components, Mapping) else None
    return schemas if isinstance(schemas, Mapping) else {}


def resolved(document: Mapping[str, Any], node: Any) -> Mapping[str, Any] | None:
    """`node` resolved, when it is a schema; None when its `$ref` points to nothing."""
    try:
        node = _followed(document, node)
    except _BrokenRef:
        return None
    return node if isinstance(node, Mapping) else None


def json_text(value: Any) -> str:
    return json.dumps(value, default=str)  # a document's value JSON has no type for: as text


def schema_types(schema: Mapping[str, Any]) -> set[str]:
    declared = schema.get("type")
    types = {declared} if isinstance(declared, str) else set(declared or [])
    if types and schema.get("nullable"):
        types.add("null")
    return types


def flattened(document: Mapping[str, Any], schemas: Iterable[Any]) -> list[Mapping[str, Any]]:
    """`schemas` resolved, each followed (depth first) by the members of its `allOf`: the
    schemas a value must all satisfy. A member met again (a cycle of `$ref`) is not repeated."""
    members: list[Mapping[str, Any]] = []

    def add(node: Any) -> None:
        node = resolve(document, node)
        if isinstance(node, Mapping) and not any(node is m for m in members):
            members.append(node)
            for part in listed_schemas(document, node, "allOf"):
                add(part)

    for schema in schemas:
        add(schema)
    return members


def merged_schema(members: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
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


def media_type_listed(content_type: str, media_types: Iterable[str]) -> bool:
    """Whether `content_type` (parameters ignored) is one of `media_types`, which may use
    `type/*` and `*/*`."""
    actual = content_type.split(";")[0].strip().lower()
    kind = actual.split("/")[0]
    listed = {m.split(";")[0].strip().lower() for m in media_types}
    return bool(listed & {actual, f"{kind}/*", "*/*"})


def json_schema_of(response: Mapping[str, Any]) -> Any:
    for media_type, content in (response.get("content") or {}).items():
        if "json" in media_type:
            return content.get("schema")
    return None


def listed_schemas(document: Mapping[str, Any], schema: Mapping[str, Any], key: str) -> list[Any]:
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


def resolve(document: Mapping[str, Any], node: Any) -> Any:
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
    return repr(ref) if isinstance(ref, str) else json_text(ref)


def _document_error(document: Mapping[str, Any], node: Any, problem: str) -> DocumentError:
    """The error about `node` of `document`: `problem` follows its JSON pointer."""
    info = document.get("info")
    title = info.get("title") if isinstance(info, Mapping) else None
    name = json_text(title) if isinstance(title, str) else "(untitled)"
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


def by_status_text(responses: Mapping[Any, Any]) -> dict[str, Any]:
    """`responses` keyed by text: YAML reads an unquoted `200:` as a number."""
    return {str(status): response for status, response in responses.items()}


def server_prefix(document: Mapping[str, Any]) -> str:
    servers = document.get("servers") or [{"url": "/"}]
    return urlsplit(str(servers[0].get("url", "/"))).path.rstrip("/")


def template_pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}/]+\})", template)
    regex = "".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts)
    return re.compile(regex)
