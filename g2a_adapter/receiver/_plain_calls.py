"""The service's functions the receiver calls on its worker threads are plain functions.

An `async def` handler called there returns a coroutine nobody awaits: its event would be
completed without the handler having run, and G2A's redeliveries answered `duplicate`. Such a
function is refused where it is given; one that hides a coroutine behind a plain call fails
the delivery when it returns it (the claim released, the event handled again on redelivery).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

_HOW = (
    "the receiver calls it on a worker thread and never awaits it; write it as a plain def "
    "(from there, async code runs with anyio.from_thread.run or "
    "asyncio.run_coroutine_threadsafe)"
)


def refuse_async(function: object, what: str) -> None:
    """TypeError when `function` (or its `__call__`) is an `async def`."""
    call = getattr(function, "__call__", None)  # noqa: B004 - a callable object's method
    if inspect.iscoroutinefunction(function) or inspect.iscoroutinefunction(call):
        raise TypeError(f"{what} is an async function: {_HOW}")


def call_plain(function: Callable[..., Any], *args: Any) -> Any:
    """`function(*args)`, refused (TypeError) when it returns an awaitable, which would never
    run."""
    result = function(*args)
    if inspect.isawaitable(result):
        close = getattr(result, "close", None)
        if callable(close):  # a coroutine: closed, so Python does not warn it never ran
            close()
        raise TypeError(f"{_name(function)} returned an awaitable: {_HOW}")
    return result


def _name(function: Callable[..., Any]) -> str:
    inner = getattr(function, "func", function)  # a functools.partial's function
    return getattr(inner, "__qualname__", type(inner).__qualname__)
