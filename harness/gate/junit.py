"""pytest's `--junitxml` file of a CI layer, counted: tests, failures, skips, store backends.

A test that needs a store backend's server carries its pytest marker (`redis`, `postgres`),
and the repository's `tests/conftest.py` writes that marker into the junit file as the
test's `store_backend` property. Test names decide nothing: a unit test of `redis://` URL
parsing needs no Redis. Pure: takes the XML text.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from harness.gate.evidence import JunitCounts

STORE_BACKENDS = ("redis", "postgres")
BACKEND_PROPERTY = "store_backend"  # a junit <property> of the test case


def junit_name(layer: str) -> str:
    """The junit file a tested layer leaves next to tox's result (tox.ini's --junitxml)."""
    return f"{layer}.xml"


class JunitError(ValueError):
    """Not a junit XML document."""


def _backend(case: ET.Element) -> str | None:
    """The store backend a test case needed, from its `store_backend` property."""
    for prop in case.iterfind("properties/property"):
        if prop.get("name") == BACKEND_PROPERTY and prop.get("value") in STORE_BACKENDS:
            return prop.get("value")
    return None


def junit_counts(xml_text: str) -> JunitCounts:
    try:
        root = ET.fromstring(xml_text)  # noqa: S314 - our own CI file, bound by its sha256
    except ET.ParseError as exc:
        raise JunitError(f"not junit XML ({exc})") from None
    if root.tag not in ("testsuites", "testsuite"):
        raise JunitError(f"not junit XML (root <{root.tag}>)")
    tests = failed = skipped = 0
    backends: dict[str, tuple[int, int]] = {}
    names: set[tuple[str, str]] = set()
    for case in root.iter("testcase"):
        tests += 1
        names.add((case.get("classname", ""), case.get("name", "").partition("[")[0]))
        is_skipped = case.find("skipped") is not None
        is_failed = case.find("failure") is not None or case.find("error") is not None
        skipped += is_skipped
        failed += is_failed
        backend = _backend(case)
        if backend is not None:
            ran, skips = backends.get(backend, (0, 0))
            backends[backend] = (ran + (not is_skipped), skips + is_skipped)
    return JunitCounts(tests, failed, skipped, backends, frozenset(names))
