"""What the drift comparison works on: responses seen by a source (`Exchange`), the findings
(`Drift`), and the documented operations (`OperationIndex`)."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from harness.contracts.openapi_document import (
    by_status_text,
    resolve,
    server_prefix,
    template_pattern,
)

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
                response: Mapping[str, Any] = resolve(self.document, self.responses[key])
                return response
        return None


class OperationIndex:
    """The operations of one or more OpenAPI 3 documents, matched by method and concrete path."""

    def __init__(self, documents: Iterable[Mapping[str, Any]]) -> None:
        self.operations: list[Operation] = []
        for document in documents:
            prefix = server_prefix(document)
            for template, item in (document.get("paths") or {}).items():
                full = prefix + template
                for method in HTTP_METHODS:
                    if method in item:
                        op = resolve(document, item[method])
                        self.operations.append(
                            Operation(
                                method=method.upper(),
                                template=full,
                                pattern=template_pattern(full),
                                responses=by_status_text(op.get("responses") or {}),
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
