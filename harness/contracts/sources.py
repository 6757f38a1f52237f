"""Loading the three contract sources from disk into plain data for `harness.contracts.drift`.

- OpenAPI documents: every `*.yaml|*.yml|*.json` under `contracts/openapi/`.
- Pacts: every V4 pact file under `contracts/pacts/` (HTTP interactions only).
- Cassettes: vcrpy cassettes (YAML or JSON) under `tests/cassettes/`, recursively.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from harness.cassettes import CASSETTE_DIR, PROVENANCE_SUFFIX
from harness.contracts.exchanges import BodyForm, Exchange

# Relative to the repository root, the working directory of every harness command.
OPENAPI_DIR = Path("contracts/openapi")
PACT_DIR = Path("contracts/pacts")

_DOCUMENT_SUFFIXES = {".yaml", ".yml", ".json"}


class SourceError(ValueError):
    """A contract source file cannot be read; names the file."""


def load_openapi(directory: Path = OPENAPI_DIR) -> list[dict[str, Any]]:
    """Every OpenAPI document of `directory`, sorted by file name."""
    documents = []
    for path in sorted(_files(directory)):
        document = _parse(path)
        if not isinstance(document, dict) or "openapi" not in document:
            raise SourceError(f"{path.name} is not an OpenAPI 3 document")
        documents.append(document)
    return documents


def read_pacts(directory: Path = PACT_DIR) -> list[tuple[Path, dict[str, Any]]]:
    """Every pact file of `directory` (`*.json`), sorted by name, with its JSON object."""
    pacts = []
    for path in sorted(directory.glob("*.json")):
        pact = _parse(path)
        interactions = pact.get("interactions", []) if isinstance(pact, dict) else None
        if not isinstance(interactions, list) or not all(isinstance(i, dict) for i in interactions):
            raise SourceError(f"{path} is not a pact file (no list of interaction objects)")
        pacts.append((path, pact))
    return pacts


def load_pacts(directory: Path = PACT_DIR) -> list[Exchange]:
    """The HTTP interactions of every pact file of `directory`, as expected responses."""
    exchanges: list[Exchange] = []
    for path, pact in read_pacts(directory):
        for number, interaction in enumerate(pact.get("interactions", [])):
            if interaction.get("type", "Synchronous/HTTP") != "Synchronous/HTTP":
                continue
            source = f"pact:{path.name}#{interaction.get('description', '?')}"
            try:
                exchanges.append(_pact_exchange(interaction, source))
            except _UnreadableStatusRule as exc:
                raise SourceError(f"{path}: interaction {number}: {exc}") from None
            except (KeyError, TypeError, ValueError, AttributeError):
                raise SourceError(
                    f"{path}: interaction {number} lacks a request method and path or a "
                    "response status"
                ) from None
    return exchanges


def _pact_exchange(interaction: dict[str, Any], source: str) -> Exchange:
    request, response = interaction["request"], interaction["response"]
    declared = response.get("body") or {}
    body = declared.get("content")
    content_type = _header(response.get("headers"), "content-type") or declared.get("contentType")
    form: BodyForm = "none"
    if body is not None:
        json_body = isinstance(body, dict | list) or "json" in str(content_type or "").lower()
        form = "json" if json_body else "text"
    return Exchange(
        method=str(request["method"]).upper(),
        path=str(request["path"]),
        status=int(response["status"]),
        body=body,
        source=source,
        body_form=form,
        content_type=content_type,
        statuses=_status_rule(response),
    )


class _UnreadableStatusRule(ValueError):
    """A pact response's `statusCode` matching rule names no class or statuses pact knows."""


# The classes of Pact V4's `statusCode` matcher, as pact's core writes them
_STATUS_CLASSES = {
    "info": range(100, 200),
    "success": range(200, 300),
    "redirect": range(300, 400),
    "clientError": range(400, 500),
    "serverError": range(500, 600),
    "nonError": range(100, 400),
    "error": range(400, 600),
}


def _status_rule(response: Mapping[str, Any]) -> Collection[int] | None:
    """The statuses a pact response's `statusCode` matching rule accepts (a class such as
    `success`, or a list); None when the status is pinned."""
    rules = (response.get("matchingRules") or {}).get("status") or {}
    for rule in (rules.get("") or rules.get("$") or {}).get("matchers", []):
        if rule.get("match") == "statusCode":
            accepted = rule.get("status")
            if isinstance(accepted, list) and all(_is_status(s) for s in accepted):
                return frozenset(accepted)
            if isinstance(accepted, str) and accepted in _STATUS_CLASSES:
                return _STATUS_CLASSES[accepted]
            raise _UnreadableStatusRule(
                f"its statusCode rule accepts {json.dumps(accepted)}: neither one of "
                f"{', '.join(_STATUS_CLASSES)} nor a list of statuses"
            )
    return None


def _is_status(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 100 <= value <= 599


def load_cassettes(directory: Path = CASSETTE_DIR) -> list[Exchange]:
    """Every recorded exchange of every vcrpy cassette under `directory` (recursively)."""
    exchanges: list[Exchange] = []
    if not directory.is_dir():
        return exchanges
    for path in sorted(
        p
        for p in directory.rglob("*")
        if p.suffix in _DOCUMENT_SUFFIXES and not p.name.endswith(PROVENANCE_SUFFIX)
    ):
        cassette = _parse(path, cassette=True)
        interactions = cassette.get("interactions") if isinstance(cassette, Mapping) else None
        if not isinstance(interactions, list):
            raise SourceError(f"{path.name} is not a vcrpy cassette (no 'interactions' list)")
        for number, interaction in enumerate(interactions):
            exchanges.append(_recorded(interaction, f"cassette:{path.name}#{number}"))
    return exchanges


def _recorded(interaction: Mapping[str, Any], source: str) -> Exchange:
    request, response = interaction["request"], interaction["response"]
    status = response["status"]
    code = status["code"] if isinstance(status, Mapping) else status
    raw = (response.get("body") or {}).get("string", b"")
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw or "")
    body: Any = None
    form: BodyForm = "none"
    if text.strip():
        try:
            body, form = json.loads(text), "json"
        except json.JSONDecodeError:
            body, form = text, "text"
    return Exchange(
        method=str(request["method"]).upper(),
        path=urlsplit(str(request["uri"])).path,
        status=int(code),
        body=body,
        source=source,
        body_form=form,
        content_type=_header(response.get("headers"), "content-type"),
    )


def _header(headers: Any, name: str) -> str | None:
    """The first value of header `name` (any case) of a pact or cassette header mapping."""
    if not isinstance(headers, Mapping):
        return None
    for key, value in headers.items():
        if str(key).lower() == name:
            first = value[0] if isinstance(value, list) and value else value
            return str(first) if first else None
    return None


def _files(directory: Path) -> Iterator[Path]:
    if not directory.is_dir():
        raise SourceError(f"{directory} is not a directory")
    return (p for p in directory.iterdir() if p.suffix in _DOCUMENT_SUFFIXES)


_YAML_1_1_ONLY = {
    "tag:yaml.org,2002:timestamp",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
}


class _OpenApiLoader(yaml.SafeLoader):
    """PyYAML's safe loader, with YAML 1.1's readings that YAML 1.2 (OpenAPI 3.1's) dropped
    replaced by those of YAML 1.2's core schema: a timestamp stays text (a `format: date-time`
    string), only `true`/`false` are booleans (`yes`, `no`, `on` and `off` stay words), and
    numbers are decimal (`010` is 10, `0o10` 8, `0x1F` 31; `1_000` and `1:30` stay text, `1e3`
    is a number), so an enum of them compares with traffic as written. A scalar tagged `!!int`,
    `!!float` or `!!bool` is read by the same patterns, or refused naming its line."""

    yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag not in _YAML_1_1_ONLY]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }


# YAML 1.2 core schema's scalars: integers (decimal, `0o` octal or `0x` hex), floats, booleans
_CORE_INT = re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)\Z")
_CORE_FLOAT = re.compile(
    r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))\Z"
)
_CORE_BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)\Z")


def _core_text(
    loader: yaml.SafeLoader, node: yaml.ScalarNode, core: re.Pattern[str], kind: str
) -> str:
    """The text of `node`, tagged as a `kind` YAML 1.2's core schema reads with `core`; text
    that is none (`!!int 0b1`, `!!float 1:30`, `!!bool yes`) is an error naming its line."""
    text = str(loader.construct_scalar(node))
    if not core.match(text):
        raise yaml.constructor.ConstructorError(
            None, None, f"{text!r} is not {kind} of YAML 1.2's core schema", node.start_mark
        )
    return text


def _core_int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int:
    text = _core_text(loader, node, _CORE_INT, "an integer")
    return int(text, {"0o": 8, "0x": 16}.get(text[:2], 10))


def _core_float(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> float:
    text = _core_text(loader, node, _CORE_FLOAT, "a float")
    return float(text.lower().replace(".inf", "inf").replace(".nan", "nan"))


def _core_bool(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> bool:
    return _core_text(loader, node, _CORE_BOOL, "a boolean").lower() == "true"


# YAML 1.2 core schema's resolvers; an integer's before a float's, whose pattern it matches too
_OpenApiLoader.add_implicit_resolver("tag:yaml.org,2002:bool", _CORE_BOOL, list("tTfF"))
_OpenApiLoader.add_implicit_resolver("tag:yaml.org,2002:int", _CORE_INT, list("-+0123456789"))
_OpenApiLoader.add_implicit_resolver("tag:yaml.org,2002:float", _CORE_FLOAT, list("-+.0123456789"))
_OpenApiLoader.add_constructor("tag:yaml.org,2002:int", _core_int)
_OpenApiLoader.add_constructor("tag:yaml.org,2002:float", _core_float)
_OpenApiLoader.add_constructor("tag:yaml.org,2002:bool", _core_bool)


def _parse(path: Path, *, cassette: bool = False) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".json":
            return json.loads(text)
        if cassette:
            from vcr.serializers import yamlserializer

            return yamlserializer.deserialize(text)
        return yaml.load(text, Loader=_OpenApiLoader)  # noqa: S506  # a SafeLoader
    except (ValueError, RecursionError, yaml.YAMLError) as exc:  # ValueError: JSON, UTF-8
        raise SourceError(f"{path} cannot be parsed: {exc}") from exc
