"""The master's accounts of the end-of-test handshake (see the locustfile), test by test.

A worker ships journal entries with its stats reports and, asked to finish, says how many it
shipped in all: its count never restarts, across a web UI's Stop then Start. So each test's
share is counted from a per-worker baseline set as the test starts: what the worker had said
it shipped in all by then (what had arrived, when it never said), and what had arrived. A
shortfall of an earlier test, already named as that test's gap, is then not named again, and a
worker that sends no final report for this test is named, whatever it said for an earlier one.

Kept free of Locust (which monkey-patches on import) so the counting can be tested in-process.
"""

from __future__ import annotations

from collections import Counter


class FinalReports:
    """Master: per worker, the journal entries shipped and arrived, in all and this test."""

    def __init__(self) -> None:
        self._arrived: Counter[str] = Counter()  # in all
        self._shipped: dict[str, int] = {}  # in all, as said in this test's final report
        self._arrived_before: Counter[str] = Counter()  # baselines, as this test started
        self._shipped_before: Counter[str] = Counter()

    def arrived(self, worker: str, count: int) -> None:
        """`count` more of `worker`'s entries arrived."""
        self._arrived[worker] += count

    def finished(self, worker: str, shipped: int) -> None:
        """`worker`'s final report of this test: it shipped `shipped` entries in all."""
        self._shipped[worker] = shipped

    def new_test(self) -> None:
        """A test starts: every worker's counts so far become its baseline."""
        for worker, arrived in self._arrived.items():
            self._shipped_before[worker] = self._shipped.get(worker, arrived)
            self._arrived_before[worker] = arrived
        self._shipped.clear()

    def unfinished(self, workers: list[str]) -> list[str]:
        """The `workers` without this test's final report, or whose entries did not all arrive."""
        return [
            worker
            for worker in workers
            if worker not in self._shipped or self._arrived_now(worker) < self._shipped_now(worker)
        ]

    def gap(self, worker: str) -> str:
        """What is missing of an unfinished worker's entries of this test."""
        if worker not in self._shipped:
            return f"worker {worker}: no final report"
        shipped, arrived = self._shipped_now(worker), self._arrived_now(worker)
        return f"worker {worker}: shipped {shipped} journal entries, {arrived} arrived"

    def _shipped_now(self, worker: str) -> int:
        return self._shipped[worker] - self._shipped_before[worker]

    def _arrived_now(self, worker: str) -> int:
        return self._arrived[worker] - self._arrived_before[worker]
