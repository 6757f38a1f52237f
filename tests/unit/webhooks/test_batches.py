"""The receiver's hand-over to worker threads (`_batches.Batches`): what waits for a busy
thread goes together, each submitter gets its own result as soon as it is ready, failures
reach every waiter."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator

import anyio
import pytest

from g2a_adapter.receiver._batches import Batches


class Worker:
    """`process`: records each batch; the first batch waits until `release` is set."""

    def __init__(self, fail_on: int | None = None) -> None:
        self.batches: list[list[int]] = []
        self.started = threading.Event()
        self.release = threading.Event()
        self.fail_on = fail_on

    def __call__(self, items: list[int]) -> Iterator[list[tuple[int, int]]]:
        self.batches.append(list(items))
        self.started.set()
        self.release.wait(timeout=10)
        if self.fail_on in items:
            raise RuntimeError(f"bug on {self.fail_on}")
        yield [(index, item * 10) for index, item in enumerate(items)]


async def _busy_then_four_more(batches: Batches[int, int], worker: Worker) -> list[object]:
    """Submit 0; once the only thread runs it, submit 1-4; then let the thread go on."""
    first = asyncio.ensure_future(batches.submit(0))
    while not worker.started.is_set():
        await asyncio.sleep(0.001)
    rest = [asyncio.ensure_future(batches.submit(n)) for n in range(1, 5)]
    await asyncio.sleep(0.01)
    worker.release.set()
    return await asyncio.gather(first, *rest, return_exceptions=True)


def test_items_that_wait_for_a_busy_thread_go_together_and_each_gets_its_result() -> None:
    worker = Worker()

    async def scenario() -> list[object]:
        batches = Batches(worker, threads=anyio.CapacityLimiter(1))
        return await _busy_then_four_more(batches, worker)

    assert asyncio.run(scenario()) == [0, 10, 20, 30, 40]
    assert worker.batches == [[0], [1, 2, 3, 4]]


def test_an_idle_receiver_hands_each_item_over_at_once() -> None:
    worker = Worker()
    worker.release.set()

    async def scenario() -> list[int]:
        batches = Batches(worker, threads=anyio.CapacityLimiter(4))
        return [await batches.submit(n) for n in range(3)]

    assert asyncio.run(scenario()) == [0, 10, 20]
    assert worker.batches == [[0], [1], [2]]


def test_a_failing_batch_fails_its_own_waiters_only() -> None:
    worker = Worker(fail_on=3)

    async def scenario() -> list[object]:
        batches = Batches(worker, threads=anyio.CapacityLimiter(1))
        results = await _busy_then_four_more(batches, worker)
        return [*results, await batches.submit(5)]  # the next batch goes through

    results = asyncio.run(scenario())

    assert results[0] == 0
    assert [str(r) for r in results[1:5]] == ["bug on 3"] * 4
    assert all(isinstance(r, RuntimeError) for r in results[1:5])
    assert results[5] == 50


def test_a_cancelled_waiter_does_not_disturb_the_others() -> None:
    worker = Worker()

    async def scenario() -> tuple[list[int], bool]:
        batches = Batches(worker, threads=anyio.CapacityLimiter(1))
        first = asyncio.ensure_future(batches.submit(0))
        while not worker.started.is_set():
            await asyncio.sleep(0.001)
        given_up = asyncio.ensure_future(batches.submit(1))
        kept = asyncio.ensure_future(batches.submit(2))
        await asyncio.sleep(0.01)
        given_up.cancel()
        worker.release.set()
        results = [await first, await kept]
        with pytest.raises(asyncio.CancelledError):
            await given_up
        return results, given_up.cancelled()

    assert asyncio.run(scenario()) == ([0, 20], True)
    assert worker.batches == [[0], [1, 2]]  # its work was done; nobody was waiting for it


def test_a_drain_cancelled_at_shutdown_cancels_the_requests_it_left_unanswered() -> None:
    """Item 0 was answered before the cancellation and keeps its answer; item 1 is
    cancelled rather than left waiting for a thread nobody awaits any more."""
    started, release = threading.Event(), threading.Event()

    def process(items: list[int]) -> Iterator[list[tuple[int, int]]]:
        yield [(0, 0)]
        started.set()
        release.wait(timeout=10)
        yield [(1, 10)]  # too late: the request was cancelled

    async def scenario() -> list[object]:
        batches = Batches(process, threads=anyio.CapacityLimiter(1))
        waiting = [asyncio.ensure_future(batches.submit(n)) for n in (0, 1)]
        while not started.is_set():
            await asyncio.sleep(0.001)
        for drain in list(batches._drains):
            drain.cancel()
        release.set()
        done = await asyncio.wait_for(asyncio.gather(*waiting, return_exceptions=True), 5)
        return [type(r).__name__ if isinstance(r, BaseException) else r for r in done]

    assert asyncio.run(scenario()) == [0, "CancelledError"]


def test_an_item_the_batch_gave_no_result_for_fails_instead_of_waiting_forever() -> None:
    def forgetful(items: list[int]) -> Iterator[list[tuple[int, int]]]:
        yield [(0, 0)]

    async def scenario() -> list[object]:
        batches = Batches(forgetful, threads=anyio.CapacityLimiter(1))
        return await asyncio.gather(batches.submit(0), batches.submit(1), return_exceptions=True)

    first, second = asyncio.run(scenario())
    assert first == 0
    assert isinstance(second, RuntimeError)
    assert str(second) == "the batch gave no result for this item"


def test_a_result_is_answered_while_its_batch_mates_are_still_processed() -> None:
    """Item 1's result is given out first; item 0 is processed only once its submitter has
    item 1's answer (a batch answering all at once would never get there)."""
    first_answered = threading.Event()

    def process(items: list[int]) -> Iterator[list[tuple[int, int]]]:
        yield [(1, items[1] * 10)]
        assert first_answered.wait(timeout=10)
        yield [(0, items[0] * 10)]

    async def scenario() -> list[int]:
        batches = Batches(process, threads=anyio.CapacityLimiter(1))
        busy, quick = (asyncio.ensure_future(batches.submit(n)) for n in (5, 7))
        answer = await quick
        first_answered.set()
        return [answer, await busy]

    assert asyncio.run(scenario()) == [70, 50]


def test_a_backlog_is_shared_evenly_by_the_threads_free_to_take_it() -> None:
    """Eight items at once, four idle threads: each runs two (taking all eight in one batch
    would make a slow `process` run them one after another while three threads idle)."""
    batches_seen: list[list[int]] = []
    four_at_once = threading.Barrier(4, timeout=10)  # broken unless four threads run at once

    def process(items: list[int]) -> Iterator[list[tuple[int, int]]]:
        batches_seen.append(list(items))
        four_at_once.wait()
        yield [(index, item * 10) for index, item in enumerate(items)]

    async def scenario() -> list[int]:
        batches = Batches(process, threads=anyio.CapacityLimiter(4))
        return await asyncio.gather(*(batches.submit(n) for n in range(8)))

    assert asyncio.run(scenario()) == [n * 10 for n in range(8)]
    assert sorted(batches_seen) == [[0, 1], [2, 3], [4, 5], [6, 7]]


def _instant(items: list[str]) -> Iterator[list[tuple[int, str]]]:
    yield [(index, item.lower()) for index, item in enumerate(items)]


def test_an_item_submitted_as_the_drain_ends_is_answered_at_once() -> None:
    """Whatever loop turn an item arrives in, even the one in which the only drain finishes,
    it is answered without waiting for a later delivery to start a drain."""

    async def trial(turns: int) -> bool:
        batches = Batches(_instant, threads=anyio.CapacityLimiter(1))

        async def later() -> str:
            for _ in range(turns):
                await asyncio.sleep(0)
            return await batches.submit("B")

        second = asyncio.ensure_future(later())
        assert await batches.submit("A") == "a"
        try:
            return await asyncio.wait_for(second, 1.0) == "b"
        except TimeoutError:
            return False

    async def every_turn() -> list[int]:
        return [turns for turns in range(20) if not await trial(turns)]

    assert asyncio.run(every_turn()) == []


def test_with_a_batch_of_one_a_quick_item_never_waits_behind_a_slow_one() -> None:
    """G2A Pay IPNs (no grouped commit to gain): two threads, the first item slow; the others
    are each handed over alone, so they are answered long before it ends."""
    slow = threading.Event()
    answered: dict[int, float] = {}

    def handle(items: list[int]) -> Iterator[list[tuple[int, int]]]:
        for index, item in enumerate(items):
            if item == 0:
                slow.wait(timeout=10)
            yield [(index, item)]

    async def burst() -> None:
        batches: Batches[int, int] = Batches(handle, threads=anyio.CapacityLimiter(2), max_batch=1)
        loop = asyncio.get_running_loop()
        started = loop.time()

        async def one(item: int) -> None:
            await batches.submit(item)
            answered[item] = loop.time() - started

        tasks = [asyncio.ensure_future(one(n)) for n in range(4)]
        while len(answered) < 3:
            await asyncio.sleep(0.001)
        slow.set()
        await asyncio.gather(*tasks)

    asyncio.run(burst())
    assert sorted(answered, key=answered.__getitem__)[-1] == 0  # the slow one ends last


class Gated:
    """`process`: each item waits for its own gate; records the items started, and every batch."""

    def __init__(self, items: int) -> None:
        self.gates = [threading.Event() for _ in range(items)]
        self.started: list[int] = []
        self.batches: list[list[int]] = []

    def __call__(self, items: list[int]) -> Iterator[list[tuple[int, int]]]:
        self.batches.append(list(items))
        for index, item in enumerate(items):
            self.started.append(item)
            self.gates[item].wait(timeout=10)
            yield [(index, item)]


async def _until(condition: Callable[[], bool], seconds: float = 2.0) -> None:
    """Wait for `condition`, for up to `seconds` (then the test's assertion fails)."""
    for _ in range(int(seconds / 0.005)):
        if condition():
            return
        await asyncio.sleep(0.005)


def test_a_backlog_keeps_every_thread_busy_and_waits_until_its_item_is_started() -> None:
    """Four threads busy, twelve items wait; as the four free up, each takes at most its
    share of the whole pool (a quarter of what waits), never the whole backlog on one thread
    while the others find nothing. An item handed to a thread counts as waiting until the
    thread starts on it."""
    gated = Gated(16)

    async def scenario() -> tuple[int, int, list[int], list[int]]:
        batches = Batches(gated, threads=anyio.CapacityLimiter(4))
        first = [asyncio.ensure_future(batches.submit(n)) for n in range(4)]
        await _until(lambda: len(gated.started) == 4)
        backlog = [asyncio.ensure_future(batches.submit(n)) for n in range(4, 16)]
        await asyncio.sleep(0.01)
        all_busy = batches.waiting
        for n in range(4):
            gated.gates[n].set()
        await asyncio.gather(*first)
        await _until(lambda: len(gated.started) == 8)  # one item of each thread's share
        shared = batches.waiting
        started = list(gated.started)
        for gate in gated.gates:
            gate.set()
        return all_busy, shared, started, await asyncio.gather(*backlog)

    all_busy, shared, started, answers = asyncio.run(scenario())
    assert answers == list(range(4, 16))
    assert all_busy == 12
    assert len(started) == 8  # four threads work on the backlog at once
    assert shared == 16 - len(started)  # started or answered: not waiting; the rest: waiting
    assert max(len(batch) for batch in gated.batches[4:]) <= 3  # ≤ ceil(12 / 4)
