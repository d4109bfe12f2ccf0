"""Fixed one-minute windows counted in Redis, shared by every gateway replica: what
the rate limits (ratelimit.py, read_limit.py) count in."""
from __future__ import annotations

import time
from collections.abc import Callable

from fastapi import Request


async def within_limit(request: Request, key_for: Callable[[int], str], count: int, limit: int) -> int | None:
    """Add ``count`` to this minute's window (key ``key_for(minute)``); None while the
    total is within ``limit``, else the seconds until the next window (the count stays:
    a client past its limit waits for the next minute)."""
    now = time.time()
    key = key_for(int(now // 60))
    async with request.app.state.redis.pipeline(transaction=True) as pipe:
        total, _ = await pipe.incrby(key, count).expire(key, 120).execute()
    return None if total <= limit else max(1, int(60 - now % 60) + 1)
