"""Trending entities: what counts, in which window, and the counts of stories
released from embargo.

Enrichment counts each story once per entity it names, in tumbling windows of the
story's receive time (a faust table, copied to Redis). A story under embargo must
not show in the trends before its release, so enrichment leaves it out and marks
it (``trendsDeferred``); publishing counts it when it goes live, into a sorted set
of its own per window, which the gateway adds to enrichment's. A killed story's
counts are taken back there too (:func:`take_back`): publishing keeps, with each
story, what was counted for it (:data:`COUNTED`).
"""
from __future__ import annotations

import time
from datetime import datetime

from redis.asyncio import Redis

from shared.cache import Keys
from shared.events import EnrichmentInfo

# The EnrichmentInfo field that marks a story's trend counts as deferred.
DEFERRED = "trendsDeferred"
# The read model's meta field that says what the trends counted for a story (its
# entities and receive time), carried from version to version, so a kill can take
# exactly that back.
COUNTED = "trend_counted"


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


def counted(enrichment: EnrichmentInfo, received_at: datetime) -> dict:
    """The :data:`COUNTED` record of a story counted with ``enrichment`` at ``received_at``."""
    return {"entities": trend_keys(enrichment), "at": received_at.timestamp()}


# KEYS: 1 the set of stories taken back, 2 the window's sorted set, 3 the set of windows.
# ARGV: 1 uri, 2 ttl, 3 "start:end", 4 start, 5.. entities. Once per uri, all or nothing.
_TAKE_BACK = """
if redis.call('SADD', KEYS[1], ARGV[1]) == 0 then return 0 end
for i = 5, #ARGV do redis.call('ZINCRBY', KEYS[2], -1, ARGV[i]) end
redis.call('EXPIRE', KEYS[2], ARGV[2])
redis.call('ZADD', KEYS[3], ARGV[4], ARGV[3])
return 1
"""


def stage_take_back(pipe, keys: Keys, *, uri: str, record: dict, window_s: int, keep_s: int) -> None:
    """Queue on ``pipe`` (the kill's own Redis transaction, so the two land together) the
    subtraction of a killed story's counts (its :data:`COUNTED` ``record``) from the
    window they were counted in, once per uri: a killed story's entities leave the trends."""
    entities, at = record.get("entities") or [], float(record.get("at", 0))
    start, end = window_of(at, window_s)
    ttl = int(end + keep_s - time.time())
    if entities and ttl > 0:
        pipe.eval(_TAKE_BACK, 3, keys.trend_killed_stories(), keys.trend_released(start), keys.trend_windows(),
                  uri, ttl, f"{start}:{end}", start, *entities)
