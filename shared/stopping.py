"""Waiting that a shutdown cuts short."""
from __future__ import annotations

import asyncio


async def sleep_until(stop: asyncio.Event, seconds: float) -> bool:
    """Sleep ``seconds``, or less if ``stop`` is set meanwhile (a periodic loop then
    stops at once instead of finishing its nap). Returns whether ``stop`` is set."""
    try:
        await asyncio.wait_for(stop.wait(), timeout=max(0.0, seconds))
    except asyncio.TimeoutError:
        pass
    return stop.is_set()
