"""BlockingRunner: results and errors come back to the right caller, in batches, no leaks."""

from __future__ import annotations

import threading
import time

import anyio
import pytest

from g2a_adapter.receiver._blocking import BlockingRunner


@pytest.mark.anyio
async def test_results_and_exceptions_reach_their_own_callers() -> None:
    runner = BlockingRunner(threads=2)

    def fail() -> int:
        raise LookupError("no such key")

    assert await runner.run(lambda: 41 + 1) == 42
    with pytest.raises(LookupError, match="no such key"):
        await runner.run(fail)
    assert await runner.run(threading.get_ident) != threading.get_ident()


@pytest.mark.anyio
async def test_calls_queued_behind_a_busy_thread_run_on_it_in_arrival_order() -> None:
    runner = BlockingRunner(threads=1)
    gate, order, threads = threading.Event(), [], set()
    results: dict[int, int] = {}

    def call(n: int) -> int:
        gate.wait(5)  # the first call holds the only thread until all 20 are queued
        order.append(n)
        threads.add(threading.get_ident())
        return n * n

    async def submit(n: int) -> None:
        results[n] = await runner.run(lambda: call(n))

    async with anyio.create_task_group() as group:
        for n in range(20):
            group.start_soon(submit, n)
            await anyio.sleep(0)  # each task enqueues before the next starts
        await anyio.sleep(0.05)
        gate.set()

    assert results == {n: n * n for n in range(20)}
    assert order == list(range(20))
    assert len(threads) == 1


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("patience", "head_start"),
    [(0.005, 0.05), (0.05, 0.01)],
    ids=["patience-already-over", "timer-after-patience"],
)
async def test_a_slow_call_does_not_hold_up_the_calls_behind_it(
    patience: float, head_start: float
) -> None:
    runner = BlockingRunner(threads=4, patience_seconds=patience)
    release = threading.Event()
    finished: list[str] = []

    async def slow() -> None:
        await runner.run(lambda: release.wait(5))
        finished.append("slow")

    async def fast() -> None:
        await runner.run(lambda: None)
        finished.append("fast")
        release.set()

    async with anyio.create_task_group() as group:
        group.start_soon(slow)
        await anyio.sleep(head_start)  # the slow call occupies the first thread
        group.start_soon(fast)

    assert finished == ["fast", "slow"]
    assert runner.threads == 2


@pytest.mark.anyio
async def test_idle_threads_exit_and_new_work_starts_a_thread_again() -> None:
    runner = BlockingRunner(threads=2, idle_seconds=0.05)
    assert await runner.run(lambda: "first") == "first"
    deadline = time.monotonic() + 5
    while runner.threads and time.monotonic() < deadline:
        await anyio.sleep(0.01)
    assert runner.threads == 0
    assert await runner.run(lambda: "again") == "again"


@pytest.mark.parametrize(
    ("threads", "idle", "patience"), [(-1, 1.0, 0.0), (1, 0.0, 0.0), (1, 1.0, -1)]
)
def test_bad_sizes_are_refused(threads: int, idle: float, patience: float) -> None:
    with pytest.raises(ValueError, match="threads"):
        BlockingRunner(threads, idle_seconds=idle, patience_seconds=patience)


class Squares:
    """A batch function that records the batches it was given."""

    def __init__(self) -> None:
        self.batches: list[list[int]] = []
        self.threads: set[int] = set()
        self.gate = threading.Event()

    def __call__(self, items: list[int]) -> list[int | Exception]:
        self.gate.wait(5)
        self.batches.append(items)
        self.threads.add(threading.get_ident())
        return [ValueError(f"odd {n}") if n % 2 else n * n for n in items]


async def submit_square(
    runner: BlockingRunner, squares: Squares, n: int, results: dict[int, object]
) -> None:
    """One caller of `squares`: its square, or the text of its error."""
    try:
        results[n] = await runner.run_batched(squares, n)
    except ValueError as exc:
        results[n] = str(exc)


@pytest.mark.anyio
async def test_batched_items_waiting_together_share_one_call() -> None:
    runner = BlockingRunner(threads=4, patience_seconds=5.0)
    squares = Squares()
    results: dict[int, object] = {}

    async with anyio.create_task_group() as group:
        group.start_soon(submit_square, runner, squares, 0, results)
        await anyio.sleep(0.05)  # the first batch holds the only thread at the gate
        for n in range(1, 9):
            group.start_soon(submit_square, runner, squares, n, results)
            await anyio.sleep(0)
        await anyio.sleep(0.05)
        squares.gate.set()

    assert squares.batches == [[0], [1, 2, 3, 4, 5, 6, 7, 8]]
    assert results == {n: f"odd {n}" if n % 2 else n * n for n in range(9)}
    assert runner.threads == 1  # busy but within patience: no second thread


@pytest.mark.anyio
async def test_a_batch_that_raises_or_miscounts_fails_each_of_its_callers() -> None:
    runner = BlockingRunner()

    def explode(items: list[int]) -> list[int | Exception]:
        raise OSError("store down")

    def short(items: list[int]) -> list[int | Exception]:
        return []

    with pytest.raises(OSError, match="store down"):
        await runner.run_batched(explode, 1)
    with pytest.raises(RuntimeError, match="gave 0 results for 1 items"):
        await runner.run_batched(short, 1)


@pytest.mark.anyio
async def test_without_threads_each_loop_iteration_runs_as_one_batch_on_the_loop() -> None:
    runner = BlockingRunner(threads=0)
    squares = Squares()
    squares.gate.set()
    results: dict[int, object] = {}

    async with anyio.create_task_group() as group:
        for n in range(6):  # all submitted in one iteration of the loop
            group.start_soon(submit_square, runner, squares, n, results)
    await submit_square(runner, squares, 6, results)  # alone: a batch of one

    assert squares.batches == [[0, 1, 2, 3, 4, 5], [6]]
    assert results == {n: f"odd {n}" if n % 2 else n * n for n in range(7)}
    assert squares.threads == {threading.get_ident()}
    assert await runner.run(threading.get_ident) == threading.get_ident()
    with pytest.raises(OSError, match="down"):
        await runner.run(lambda: (_ for _ in ()).throw(OSError("down")))
    assert runner.threads == 0
