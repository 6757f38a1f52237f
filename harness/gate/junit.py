"""pytest's `--junitxml` file of a CI layer, counted: tests, failures, skips, store backends.

The store suites run once per backend (`test_claim[redis]`, `test_claim[postgres]`); a
test's backend is a whole word of its parameter id. Pure: takes the XML text.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from harness.gate.evidence import JunitCounts

STORE_BACKENDS = ("redis", "postgres")
_PARAM_ID = re.compile(r"\[(?P<id>.*)\]$")


def junit_name(layer: str) -> str:
    """The junit file a tested layer leaves next to tox's result (tox.ini's --junitxml)."""
    return f"{layer}.xml"


class JunitError(ValueError):
    """Not a junit XML document."""


def _backend(name: str) -> str | None:
    match = _PARAM_ID.search(name)
    words = set(re.split(r"[^a-z0-9]+", match.group("id").lower())) if match else set()
    return next((backend for backend in STORE_BACKENDS if backend in words), None)


def junit_counts(xml_text: str) -> JunitCounts:
    try:
        root = ET.fromstring(xml_text)  # noqa: S314 - our own CI file, bound by its sha256
    except ET.ParseError as exc:
        raise JunitError(f"not junit XML ({exc})") from None
    if root.tag not in ("testsuites", "testsuite"):
        raise JunitError(f"not junit XML (root <{root.tag}>)")
    tests = failed = skipped = 0
    backends: dict[str, tuple[int, int]] = {}
    for case in root.iter("testcase"):
        tests += 1
        is_skipped = case.find("skipped") is not None
        is_failed = case.find("failure") is not None or case.find("error") is not None
        skipped += is_skipped
        failed += is_failed
        backend = _backend(case.get("name", ""))
        if backend is not None:
            ran, skips = backends.get(backend, (0, 0))
            backends[backend] = (ran + (not is_skipped), skips + is_skipped)
    return JunitCounts(tests, failed, skipped, backends)
