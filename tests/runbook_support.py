"""The runbooks on call follows (the audit's "Runbooks" section), read as tests check them."""

from __future__ import annotations

import re
from pathlib import Path

AUDIT = Path(__file__).resolve().parents[1] / "specs/011-g2a-integration-audit/backend-audit.md"


def runbook(anchor: str) -> str:
    """The runbook under `<a id="{anchor}">`, up to the next one, its lines joined by spaces
    (an inline code span may wrap)."""
    section = AUDIT.read_text(encoding="utf-8").split(f'<a id="{anchor}"></a>', 1)[1]
    return " ".join(section.split("<a id=", 1)[0].split())


def logged_as(template: str) -> re.Pattern[str]:
    """A runbook's log line template as a pattern: `<what>` one word or more, `…` anything."""
    parts = re.split(r"(<[^>]+>|…)", template)
    return re.compile("".join(re.escape(p) if i % 2 == 0 else ".+?" for i, p in enumerate(parts)))
