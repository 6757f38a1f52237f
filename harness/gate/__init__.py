"""The live-switchover gate: GO / NO-GO / REHEARSAL for `G2A_ENV=live`, item by item, with the fix.

`collect` gathers evidence (files, git, settings, the target), `provenance` binds each report to
the commit, a clean tree, a time, a host and its HMAC, the pure `checks` judge it, `render`
writes the terminal table, `gate.json` and `gate.md`, decision first.
"""

from __future__ import annotations

from harness.gate.collect import GateOptions
from harness.gate.model import CheckResult, GateReport, Status
from harness.gate.runner import run_gate

__all__ = ["CheckResult", "GateOptions", "GateReport", "Status", "run_gate"]
