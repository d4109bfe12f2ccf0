"""Trend counts copied from the faust windowed table to Redis, for the gateway.

The table is the source of truth; Redis holds a copy the gateway can read without
talking to the worker. Counts are written as absolute values (ZADD), so copying
the same window twice, or after a restart, changes nothing. A window's keys expire
when the table forgets it. Only changed counts are copied, except when Redis lost
its copy (the index of windows is gone while the table has counts): then all of them.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable

from redis.asyncio import Redis
from redis.exceptions import RedisError

from shared.cache import Keys

log = logging.getLogger(__name__)


async def copy_trends(redis: Redis, keys: Keys, counts: dict[tuple[float, float, str], int], *,
                      keep_s: float) -> None:
    """Write ``counts`` ((window start, end, entity key) → count) to Redis.

    Raises RedisError when Redis cannot be reached (the caller keeps the counts
    and tries again)."""
    if not counts:
        return
    windows: dict[tuple[int, int], dict[str, int]] = {}
    for (start, end, key), count in counts.items():
        windows.setdefault((int(start), int(round(end))), {})[key] = count
    now = time.time()
    async with redis.pipeline(transaction=True) as pipe:
        for (start, end), members in windows.items():
            ttl = int(end + keep_s - now)
            if ttl <= 0:
                continue
            pipe.zadd(keys.trend_window(start), members)
            pipe.expire(keys.trend_window(start), ttl)
            pipe.zadd(keys.trend_windows(), {f"{start}:{end}": start})
        pipe.zremrangebyscore(keys.trend_windows(), "-inf", now - keep_s)
        await pipe.execute()


class TrendCopier:
    """Keeps counts that could not be copied and retries them with the next batch."""

    def __init__(self, redis: Redis, keys: Keys, *, keep_s: float) -> None:
        self.redis = redis
        self.keys = keys
        self.keep_s = keep_s
        self.pending: dict[tuple[float, float, str], int] = {}
        self._warned = False

    async def copy(self, counts: dict[tuple[float, float, str], int],
                   everything: Callable[[], dict[tuple[float, float, str], int]] | None = None) -> None:
        """Copy ``counts`` (and what failed before). ``everything`` gives every count the
        table holds, copied too when Redis has no windows index (it lost its copy)."""
        self.pending.update(counts)
        try:
            if everything is not None and not await self.redis.exists(self.keys.trend_windows()):
                self.pending.update(everything())
            await copy_trends(self.redis, self.keys, self.pending, keep_s=self.keep_s)
        except (RedisError, OSError) as exc:
            if not self._warned:
                log.warning("trend counts not copied to Redis, will retry", extra={"error": repr(exc)})
                self._warned = True
            return
        self.pending, self._warned = {}, False
