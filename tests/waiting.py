"""Waiting in tests: poll a condition until it holds, or fail naming what never came.

A test never sleeps a fixed time to let something happen: it waits for the thing
itself (an answer, a delivery, a heartbeat), so it is as fast as the system allows
and fails with the reason instead of flaking on a slow machine. To show that
something did *not* happen, wait for a later sentinel that must come after it
(deliveries and streams keep order), then look at what came before the sentinel.
"""
from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

T = TypeVar("T")


def wait_for(predicate: Callable[[], T], *, timeout: float = 90.0, interval: float = 0.2,
             what: str = "condition") -> T:
    """Call ``predicate`` every ``interval`` seconds until it returns something truthy,
    and return that; raise AssertionError naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        if result := predicate():
            return result
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


async def eventually(predicate: Callable[[], Awaitable[T] | T], *, timeout: float = 30.0, interval: float = 0.2,
                     what: str = "condition") -> T:
    """``wait_for`` for async tests: the event loop keeps running between polls (the
    services under test often run in it). ``predicate`` may be sync or async."""
    deadline = time.monotonic() + timeout
    while True:
        result: Any = predicate()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return result
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(interval)
