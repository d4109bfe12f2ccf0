"""Fixed one-minute windows counted in Redis, shared by every replica: what the
gateway's limits and ingest's pollers count articles and reads in."""
from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from redis.asyncio import Redis

from shared.cache import Keys
from shared.errors import WireError


class RateLimited(WireError):
    """More articles than a provider's limit allows this minute (``wait_s`` until the
    next window)."""

    code = "rate_limited"

    def __init__(self, message: str, *, wait_s: int) -> None:
        super().__init__(message)
        self.wait_s = wait_s


class TooManyArticles(WireError):
    """More articles at once than a provider's whole limit a minute: waiting will not help."""

    code = "too_many_articles"


async def add_to_window(redis: Redis, key_for: Callable[[int], str], count: int, limit: int, *,
                        give_back: bool = False) -> int | None:
    """Add ``count`` to this minute's window (key ``key_for(minute)``); None while the
    total is within ``limit``, else the seconds until the next window. The count stays
    (a client past its limit waits for the next minute) unless ``give_back``: then
    what did not fit is taken off again, for a caller that sends none of it."""
    now = time.time()
    key = key_for(int(now // 60))
    async with redis.pipeline(transaction=True) as pipe:
        total, _ = await pipe.incrby(key, count).expire(key, 120).execute()
    if total <= limit:
        return None
    if give_back:
        await redis.decrby(key, count)
    return max(1, int(60 - now % 60) + 1)


def polled_limit(redis: Redis, keys: Keys, provider: str, limit: int) -> Callable[[int], Awaitable[None]] | None:
    """What a poller (a feed, the drop folder) charges ``provider``'s new items to: the
    window the gateway counts the provider's submissions in. A payload that does not
    fit sends nothing and is not counted (RateLimited: the feed is fetched again next
    time, the file stays for the next scan); one over the whole limit never fits
    (TooManyArticles: the feed's last error says so, the file goes to failed/).
    None without a limit."""
    if limit <= 0:
        return None

    async def charge(articles: int) -> None:
        if articles > limit:
            raise TooManyArticles(f"{articles} new items, more than the {limit} articles a minute provider "
                                  f"{provider!r} may send (WIRE_RATE_LIMIT_PER_MINUTE)")
        wait = await add_to_window(redis, lambda minute: keys.rate(provider, minute), articles, limit,
                                   give_back=True)
        if wait is not None:
            raise RateLimited(f"{articles} new items do not fit in provider {provider!r}'s {limit} articles a "
                              f"minute (WIRE_RATE_LIMIT_PER_MINUTE); sent when they do", wait_s=wait)

    return charge
