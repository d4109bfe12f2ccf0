"""sleep_until: the one wait that a shutdown cuts short."""
from __future__ import annotations

import asyncio

from shared.stopping import sleep_until


async def test_a_stop_ends_the_sleep_and_is_reported():
    stop = asyncio.Event()
    sleeping = asyncio.create_task(sleep_until(stop, 3600))
    await asyncio.sleep(0)
    assert not sleeping.done()
    stop.set()
    # a guard against hanging, not a speed assertion: an hour-long nap must end now
    assert await asyncio.wait_for(sleeping, 10) is True


async def test_without_a_stop_the_sleep_runs_out_and_says_so():
    assert await sleep_until(asyncio.Event(), 0.01) is False
    assert await sleep_until(asyncio.Event(), -1) is False  # a deadline already past: no wait


async def test_until_stopped_returns_the_work_or_cancels_it_at_a_stop():
    from shared.stopping import until_stopped

    async def answer():
        return 42

    assert await until_stopped(asyncio.Event(), answer()) == 42
    stop = asyncio.Event()
    slow = asyncio.create_task(until_stopped(stop, asyncio.sleep(3600)))
    await asyncio.sleep(0)
    stop.set()
    assert await asyncio.wait_for(slow, 10) is None  # a guard against hanging, not a speed assertion
