"""The two pyproject files agree with the tree: one version, every harness package shipped."""

from __future__ import annotations

import ast
import importlib
import re
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


def harness_packages(root: Path) -> set[str]:
    """The packages of the harness source tree under `root`, not the copies that building it
    in place (README command 1, `pip install ./harness`) leaves in `build/`."""
    inits = (init.relative_to(root) for init in root.rglob("__init__.py"))
    return {
        ".".join(("harness", *init.parent.parts))
        for init in inits
        if init.parts[0] != "build" and not any(p.endswith(".egg-info") for p in init.parts)
    }


def test_the_harness_distribution_lists_every_harness_package() -> None:
    assert set(HARNESS["tool"]["setuptools"]["packages"]) == harness_packages(ROOT / "harness")


def test_a_harness_built_in_place_adds_no_package(tmp_path: Path) -> None:
    for package in ("", "gate", "build/lib/harness", "build/lib/harness/gate"):
        (tmp_path / package).mkdir(parents=True, exist_ok=True)
        (tmp_path / package / "__init__.py").touch()
    assert harness_packages(tmp_path) == {"harness", "harness.gate"}


def test_the_adapter_distribution_ships_the_adapter_alone() -> None:
    assert ADAPTER["tool"]["setuptools"]["packages"]["find"] == {"include": ["g2a_adapter*"]}
    assert "scripts" not in ADAPTER["project"]
    assert "entry-points" not in ADAPTER["project"]


ADAPTER_README = ROOT / ADAPTER["project"]["readme"]
PYTHON_BLOCK = re.compile(r"^```python\n(.*?)^```", re.M | re.S)


def test_the_adapter_is_described_by_a_page_of_its_own_whose_imports_exist() -> None:
    """The adapter's long description is about the adapter alone: its examples import only the
    adapter's public names (and uvicorn, of its `receiver` extra), never the harness."""
    assert ADAPTER_README == ROOT / "docs" / "adapter-readme.md"
    assert HARNESS["project"]["readme"] == "README.md"
    blocks = PYTHON_BLOCK.findall(ADAPTER_README.read_text(encoding="utf-8"))
    assert len(blocks) == 2
    imported: set[tuple[str, str]] = set()
    for block in blocks:
        for node in ast.walk(ast.parse(block)):
            if isinstance(node, ast.ImportFrom) and node.module:
                imported |= {(node.module, alias.name) for alias in node.names}
            elif isinstance(node, ast.Import):
                imported |= {(alias.name, "") for alias in node.names}
    assert {module.split(".")[0] for module, _ in imported} == {"g2a_adapter", "uvicorn"}
    missing = [
        f"{module}.{name}"
        for module, name in sorted(imported)
        if name and not hasattr(importlib.import_module(module), name)
    ]
    assert missing == []
