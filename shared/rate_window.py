"""Fixed one-minute windows counted in Redis, shared by every replica: what the
gateway's limits and ingest's pollers count articles and reads in."""
from __future__ import annotations

import time
from collections.abc import Callable

from redis.asyncio import Redis
from redis.exceptions import RedisError

from shared.cache import Keys
from shared.errors import WireError

# KEYS[1]: the window. ARGV: 1 count, 2 limit. Adds the count only if it fits (one step: no
# other client ever sees a total that was taken back), and gives the window its expiry.
_ADD_IF_FITS = """
local total = redis.call('INCRBY', KEYS[1], ARGV[1])
if total > tonumber(ARGV[2]) then total = redis.call('DECRBY', KEYS[1], ARGV[1]) + tonumber(ARGV[1]) end
redis.call('EXPIRE', KEYS[1], 120)
return total
"""


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


def _until_next_minute(now: float) -> int:
    return max(1, int(60 - now % 60) + 1)


async def add_to_window(redis: Redis, key_for: Callable[[int], str], count: int, limit: int) -> int | None:
    """Add ``count`` to this minute's window (key ``key_for(minute)``); None while the
    total is within ``limit``, else the seconds until the next window. The count stays:
    a client past its limit waits for the next minute."""
    now = time.time()
    key = key_for(int(now // 60))
    async with redis.pipeline(transaction=True) as pipe:
        total, _ = await pipe.incrby(key, count).expire(key, 120).execute()
    return None if total <= limit else _until_next_minute(now)


class ProviderWindow:
    """What a poller (a feed, the drop folder) counts ``provider``'s new items in: the
    window the gateway counts the provider's submissions in. A payload that does not fit
    is not counted and sends nothing (RateLimited: the feed is fetched again next time,
    the file waits); one over the whole limit never fits (TooManyArticles: the feed's
    last error says so, the file goes to failed/)."""

    def __init__(self, redis: Redis, keys: Keys, provider: str, limit: int) -> None:
        self.redis, self.keys, self.provider, self.limit = redis, keys, provider, limit
        self._add_if_fits = redis.register_script(_ADD_IF_FITS)
        self._counted_in: str | None = None  # the window take() counted in

    async def take(self, articles: int) -> None:
        if articles > self.limit:
            raise TooManyArticles(f"{articles} new items, more than the {self.limit} articles a minute provider "
                                  f"{self.provider!r} may send (WIRE_RATE_LIMIT_PER_MINUTE)")
        now = time.time()
        self._counted_in = self._key(now)
        total = await self._add_if_fits(keys=[self._counted_in], args=[articles, self.limit])
        if total > self.limit:
            raise RateLimited(f"{articles} new items do not fit in provider {self.provider!r}'s {self.limit} "
                              f"articles a minute (WIRE_RATE_LIMIT_PER_MINUTE); sent when they do",
                              wait_s=_until_next_minute(now))

    async def give_back(self, articles: int) -> None:
        """Take back what :meth:`take` counted for a payload that was not sent after all
        (Kafka refused it): at best, since the send's own error is the one to raise."""
        if self._counted_in is None:
            return
        try:
            if await self.redis.exists(self._counted_in):  # a window already gone owes nothing
                await self.redis.decrby(self._counted_in, articles)
        except RedisError:
            pass

    def _key(self, now: float) -> str:
        return self.keys.rate(self.provider, int(now // 60))


def polled_window(redis: Redis, keys: Keys, provider: str, limit: int) -> ProviderWindow | None:
    """The window a poller counts ``provider``'s new items in; None without a limit."""
    return ProviderWindow(redis, keys, provider, limit) if limit > 0 else None
