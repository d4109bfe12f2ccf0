"""The bench's wait for published articles, against a real redis-server: it polls
only a window of the missing ids at a time, so it must still see every article
however the pipeline orders them, and say how many it saw when some never come."""
from __future__ import annotations

import asyncio
import uuid

import orjson
import pytest
from redis.asyncio import Redis

from bench.e2e import POLL_AT_MOST, wait_published
from shared.cache import Keys

pytestmark = pytest.mark.integration


def _meta(n: int) -> bytes:
    return orjson.dumps({"received_at": f"2026-01-01T00:00:{n % 60:02d}+00:00",
                         "published_at": f"2026-01-01T00:01:{n % 60:02d}+00:00"})


async def _publish(redis: Redis, ids: list[str], order: list[int], *, every: float | None, after: float = 0.0) -> None:
    """Publish ``ids`` in ``order`` after ``after`` seconds: one at a time ``every``
    seconds apart, or (None) all in one pipeline."""
    await asyncio.sleep(after)
    if every is None:
        async with redis.pipeline(transaction=False) as pipe:
            for n in order:
                pipe.hset(Keys().article(ids[n]), "meta", _meta(n))
            await pipe.execute()
        return
    for n in order:
        await redis.hset(Keys().article(ids[n]), "meta", _meta(n))
        await asyncio.sleep(every)


async def _wait_while_publishing(url: str, ids: list[str], order: list[int], *, timeout: float,
                                 every: float | None, after: float = 0.0):
    redis = Redis.from_url(url)
    try:
        writer = asyncio.create_task(_publish(redis, ids, order, every=every, after=after))
        published = await wait_published(url, ids, timeout=timeout)
        await writer
        return published
    finally:
        await redis.aclose()


async def test_every_article_is_seen_when_published_in_reverse_of_the_push_order(own_redis):
    ids = [uuid.uuid4().hex for _ in range(3 * POLL_AT_MOST + 5)]
    published = await _wait_while_publishing(own_redis.url, ids, list(reversed(range(len(ids)))), timeout=30,
                                             every=0.002)
    assert published.ids == ids
    # each id's own times, in the order pushed
    assert [int(r) % 60 for r in published.received] == [n % 60 for n in range(len(ids))]
    assert all(p - r == pytest.approx(60.0) for r, p in zip(published.received, published.published))


async def _hgets(redis: Redis) -> int:
    return int((await redis.info("commandstats")).get("cmdstat_hget", {}).get("calls", 0))


async def test_a_missing_article_times_out_counting_all_that_were_published(own_redis):
    ids = [uuid.uuid4().hex for _ in range(10 * POLL_AT_MOST)]  # more than 0.5 s of polls ask for
    redis = Redis.from_url(own_redis.url)
    try:
        await _publish(redis, ids, list(range(1, len(ids))), every=None)  # the first one never comes
        asked = await _hgets(redis)
        with pytest.raises(TimeoutError, match=f"only {len(ids) - 1} of {len(ids)} articles"):
            await wait_published(own_redis.url, ids, timeout=0.5)
        # the polls asked a window each (the load the bench puts beside the pipeline), then all once
        assert await _hgets(redis) - asked <= 4 * POLL_AT_MOST + len(ids)
    finally:
        await redis.aclose()


async def test_articles_all_published_by_the_deadline_are_a_result_not_a_timeout(own_redis):
    ids = [uuid.uuid4().hex for _ in range(10 * POLL_AT_MOST)]
    # all published just after the first poll (which sees none): three polls of a window
    # cannot see 640 before the deadline; the last look at all of them does
    published = await _wait_while_publishing(own_redis.url, ids, list(reversed(range(len(ids)))), timeout=0.75,
                                             every=None, after=0.05)
    assert published.ids == ids and len(published.published) == len(ids)
