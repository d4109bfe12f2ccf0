"""Fixed one-minute windows counted in Redis, shared by every gateway replica: what
the rate limits (ratelimit.py, read_limit.py) count in (:mod:`shared.rate_window`)."""
from __future__ import annotations

from collections.abc import Callable

from fastapi import Request

from shared.rate_window import add_to_window


async def within_limit(request: Request, key_for: Callable[[int], str], count: int, limit: int) -> int | None:
    """Add ``count`` to this minute's window (key ``key_for(minute)``); None while the
    total is within ``limit``, else the seconds until the next window (the count stays:
    a client past its limit waits for the next minute)."""
    return await add_to_window(request.app.state.redis, key_for, count, limit)
