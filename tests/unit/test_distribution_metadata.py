"""The two pyproject files agree with the tree: one version, every harness package shipped."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import g2a_adapter

ROOT = Path(__file__).resolve().parents[2]


def project(path: Path) -> dict[str, Any]:
    with path.open("rb") as f:
        return tomllib.load(f)


ADAPTER = project(ROOT / "pyproject.toml")
HARNESS = project(ROOT / "harness" / "pyproject.toml")


def test_both_distributions_have_the_adapters_version() -> None:
    version = g2a_adapter.__version__
    assert ADAPTER["project"]["version"] == version
    assert HARNESS["project"]["version"] == version
    pins = [d for d in HARNESS["project"]["dependencies"] if d.startswith("g2a-adapter")]
    assert pins == [f"g2a-adapter[receiver,redis,postgres]=={version}"]


def test_the_harness_distribution_lists_every_harness_package() -> None:
    packages = {
        ".".join(("harness", *init.parent.relative_to(ROOT / "harness").parts))
        for init in (ROOT / "harness").rglob("__init__.py")
    }
    assert set(HARNESS["tool"]["setuptools"]["packages"]) == packages


def test_the_adapter_distribution_ships_the_adapter_alone() -> None:
    assert ADAPTER["tool"]["setuptools"]["packages"]["find"] == {"include": ["g2a_adapter*"]}
    assert "scripts" not in ADAPTER["project"]
    assert "entry-points" not in ADAPTER["project"]
