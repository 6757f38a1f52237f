"""The benchmark suite: every `benchmarks/bench_*.py` module's `run(quick)` in one table.

Each module measures its ratios with `alternating_median` inside this process tree, so the
figure and its baseline share the machine's slow and fast phases.
"""

from __future__ import annotations

import importlib
import json
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks._core import Ratio

BENCH_DIR = Path(__file__).resolve().parent


@dataclass
class ModuleResult:
    module: str
    ratios: list[Ratio] = field(default_factory=list)
    error: str | None = None
    seconds: float = 0.0


@dataclass
class SuiteResult:
    modules: list[ModuleResult]

    @property
    def ratios(self) -> list[Ratio]:
        return [r for m in self.modules for r in m.ratios]

    @property
    def passed(self) -> bool:
        return all(m.error is None for m in self.modules) and all(r.passed for r in self.ratios)

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": "benchmarks",
            "passed": self.passed,
            "modules": [
                {
                    "module": m.module,
                    "seconds": round(m.seconds, 2),
                    "error": m.error,
                    "ratios": [r.as_dict() for r in m.ratios],
                }
                for m in self.modules
            ],
        }


def discover(directory: Path = BENCH_DIR) -> list[str]:
    """Module names of every bench_*.py, sorted."""
    return sorted(f"benchmarks.{p.stem}" for p in directory.glob("bench_*.py"))


def run_suite(
    quick: bool,
    modules: list[str] | None = None,
    progress: Callable[[str], None] = lambda _: None,
) -> SuiteResult:
    results = []
    for name in modules if modules is not None else discover():
        progress(name)
        started = time.perf_counter()
        result = ModuleResult(name)
        try:
            module = importlib.import_module(name)
            result.ratios = list(module.run(quick))
        except Exception as exc:  # one broken module must not hide the others' figures
            result.error = traceback.format_exception_only(exc)[-1].strip()
        result.seconds = time.perf_counter() - started
        results.append(result)
    return SuiteResult(results)


def _figure(value: float, unit: str) -> str:
    return f"{value:,.3g} {unit}" if abs(value) < 1000 else f"{value:,.0f} {unit}"


def render(result: SuiteResult) -> Any:
    """A rich table: name, figure, baseline, ratio, target, pass/fail."""
    from rich.table import Table

    table = Table(
        title="benchmarks (ratio = figure / baseline, medians of alternating runs; "
        "spread: the lowest and highest ratio of one round)"
    )
    for column in ("name", "figure", "baseline", "ratio", "spread", "target", "verdict"):
        table.add_column(column, justify="right" if column != "name" else "left")
    for module in result.modules:
        if module.error is not None:
            error = f"[red]ERROR[/red] {module.error}"
            table.add_row(module.module, "-", "-", "-", "-", "-", error)
        for r in module.ratios:
            target = f"{'>=' if r.higher_is_better else '<='} {r.target:g}"
            verdict = "[green]pass[/green]" if r.passed else "[red]FAIL[/red]"
            table.add_row(
                r.name,
                _figure(r.figure, r.unit),
                _figure(r.baseline, r.unit),
                f"{r.ratio:.3f}",
                "-" if r.spread is None else f"{r.spread[0]:.3f}-{r.spread[1]:.3f}",
                target,
                verdict,
            )
    return table


def to_json(result: SuiteResult) -> str:
    return json.dumps(result.as_dict(), indent=2)
