"""Log output for services that want the adapter's records as text or as JSON.

`configure_logging()` installs one root handler whose format follows `G2A_LOG_FORMAT`
(`text`, the default, or `json`), masking the secrets it is given in what it writes (records
from other libraries and the service's own; the adapter's are built masked); `json_formatter()`
returns the JSON formatter for a handler the service configures itself, to which a
`MaskingFilter` can be added. JSON needs the `json-logs` extra (python-json-logger).
"""

from __future__ import annotations

import copy
import logging
import os
import sys
from collections.abc import Iterable
from typing import TextIO

from g2a_adapter._errors import ConfigError
from g2a_adapter._logging import (
    CALL_LOG_FIELDS,
    CALL_LOG_FORMAT,
    REQUEST_LOG_FIELDS,
    REQUEST_LOG_FORMAT,
    MaskingFilter,
    correlation_id_var,
)
from g2a_adapter._masking import SecretMasker

__all__ = [
    "CALL_LOG_FIELDS",
    "CALL_LOG_FORMAT",
    "LOG_FORMAT_ENV",
    "REQUEST_LOG_FIELDS",
    "REQUEST_LOG_FORMAT",
    "TEXT_FORMAT",
    "MaskingFilter",
    "SecretMasker",
    "configure_logging",
    "correlation_id_var",
    "json_formatter",
]

LOG_FORMAT_ENV = "G2A_LOG_FORMAT"
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
_JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(message)s"


def json_formatter() -> logging.Formatter:
    """One JSON object per record: time, level, logger, message and every extra field (a
    dataclass as the fields its repr shows)."""
    try:
        from pythonjsonlogger.json import JsonFormatter

        from g2a_adapter._json_logs import ReprFaithfulEncoder
    except ModuleNotFoundError as exc:
        raise ModuleNotFoundError(
            f"{LOG_FORMAT_ENV}=json needs {exc.name}: install g2a-adapter[json-logs]",
            name=exc.name,
        ) from None
    formatter: logging.Formatter = JsonFormatter(
        _JSON_FIELDS,
        rename_fields={"levelname": "level", "name": "logger"},
        json_encoder=ReprFaithfulEncoder,
    )
    return formatter


def configure_logging(
    level: int = logging.INFO, *, secrets: Iterable[str] = (), stream: TextIO | None = None
) -> logging.Handler:
    """Install a root handler in the format `G2A_LOG_FORMAT` names; returns that handler."""
    choice = os.environ.get(LOG_FORMAT_ENV, "text").strip().lower() or "text"
    if choice not in {"text", "json"}:
        raise ConfigError(f"{LOG_FORMAT_ENV} must be 'text' or 'json', not {choice!r}")
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    formatter = json_formatter() if choice == "json" else logging.Formatter(TEXT_FORMAT)
    handler.setFormatter(_MaskingFormatter(formatter, SecretMasker(secrets)))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(level)
    return handler


class _MaskingFormatter(logging.Formatter):
    """`formatter`'s text of a masked copy of each record (`MaskingFilter`): the record itself,
    which the root's other handlers get too (pytest's `caplog`, an error tracker's), keeps its
    arguments and its exception."""

    def __init__(self, formatter: logging.Formatter, masker: SecretMasker) -> None:
        super().__init__()
        self._formatter = formatter
        self._masking = MaskingFilter(masker)

    def format(self, record: logging.LogRecord) -> str:
        masked = copy.copy(record)
        self._masking.filter(masked)
        return self._formatter.format(masked)
