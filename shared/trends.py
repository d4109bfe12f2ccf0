"""Trending entities: what counts, in which window, and the counts of stories
released from embargo.

Enrichment counts each story once per entity it names, in tumbling windows of the
story's receive time (a faust table, copied to Redis). A story under embargo must
not show in the trends before its release, so enrichment leaves it out and marks
it (``trendsDeferred``); publishing counts it when it goes live, into a sorted set
of its own per window, which the gateway adds to enrichment's.
"""
from __future__ import annotations

import time
from datetime import datetime

from redis.asyncio import Redis

from shared.cache import Keys
from shared.events import EnrichmentInfo

# The EnrichmentInfo field that marks a story's trend counts as deferred.
DEFERRED = "trendsDeferred"


def trend_keys(enrichment: EnrichmentInfo) -> list[str]:
    """"<type>\\t<name>" of each entity enrichment found (Korean proper nouns as
    "untyped"), once each."""
    keys = [f"{e['type']}\t{e['name']}" for e in enrichment.entities or ()]
    keys += [f"untyped\t{e['name']}" for e in enrichment.untypedEntities or ()]
    return list(dict.fromkeys(keys))


def window_of(at: float, size_s: int) -> tuple[int, int]:
    """(start, end) of the tumbling window of ``size_s`` seconds holding ``at``."""
    start = int(at - at % size_s)
    return start, start + size_s


async def count_released(redis: Redis, keys: Keys, *, uri: str, enrichment: EnrichmentInfo, received_at: datetime,
                         window_s: int, keep_s: int) -> bool:
    """Count a story whose trend counts were deferred by its embargo, once per uri.
    Returns whether it was counted now."""
    entities = trend_keys(enrichment)
    start, end = window_of(received_at.timestamp(), window_s)
    ttl = int(end + keep_s - time.time())
    if not entities or ttl <= 0 or not await redis.sadd(keys.trend_released_stories(), uri):
        return False
    async with redis.pipeline(transaction=True) as pipe:
        for key in entities:
            pipe.zincrby(keys.trend_released(start), 1, key)
        pipe.expire(keys.trend_released(start), ttl)
        pipe.zadd(keys.trend_windows(), {f"{start}:{end}": start})
        await pipe.execute()
    return True
