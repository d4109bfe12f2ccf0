"""The read model's retention against the session's real redis-server: items expire a
retention after their family's last write, and the sweep drops what was published
before the retention from the query index and the feeds."""
from __future__ import annotations

import asyncio
import time

import pytest

from services.publishing.read_model import Delivery, ReadModelWriter
from services.publishing.retention import retention_loop, sweep
from shared.cache import Keys, connect
from shared.read_model import ReadModel

pytestmark = pytest.mark.integration

HOUR_S = 3600


async def publish(writer: ReadModelWriter, article_id: str, *, root: str = "", at: float,
                  feed: str | None = None) -> None:
    async with writer.redis.pipeline(transaction=True) as pipe:
        await writer.stage_live(pipe, article_id, {"uri": f"u-{article_id}", "version": "1"}, {"n": 1},
                                digest=f"d-{article_id}", root=root, score_ms=round(at * 1000),
                                deliveries=[Delivery(feed=feed)] if feed else [])
        assert (await pipe.execute())[0] == 1


async def test_an_item_its_family_and_the_original_it_joins_expire_a_retention_after_the_last_write(settings):
    redis = connect(settings.redis_url)
    keys = Keys(settings.topic_prefix)
    writer = ReadModelWriter(redis, keys, retention_s=HOUR_S)
    try:
        await publish(writer, "orig", at=time.time())
        assert HOUR_S * 1000 - 5_000 < await redis.pttl(keys.article("orig")) <= HOUR_S * 1000
        assert HOUR_S * 1000 - 5_000 < await redis.pttl(keys.family("orig")) <= HOUR_S * 1000
        await redis.pexpire(keys.article("orig"), 60_000)  # as if written most of a retention ago
        await redis.pexpire(keys.family("orig"), 60_000)
        await publish(writer, "transl", root="orig", at=time.time())  # a translation joins its family
        for key in (keys.article("orig"), keys.family("orig"), keys.article("transl")):
            assert await redis.pttl(key) > HOUR_S * 1000 - 5_000, key  # renewed: the family lives on

        async with redis.pipeline(transaction=True) as pipe:  # the original is killed: kept for ever
            await writer.stage_killed(pipe, "orig", {"uri": "u-orig", "version": "1"}, {"n": 1}, digest="k")
            await pipe.execute()
        assert await redis.pttl(keys.article("orig")) == -1
        await publish(writer, "late", root="orig", at=time.time())  # a write into its family renews it not
        assert await redis.pttl(keys.article("orig")) == -1

        forever = ReadModelWriter(redis, keys)  # retention 0: kept for ever, as before
        await publish(forever, "kept", at=time.time())
        assert await redis.pttl(keys.article("kept")) == -1
    finally:
        await redis.aclose()


async def test_the_sweep_drops_what_was_published_before_the_retention_from_the_index_and_the_feeds(settings):
    redis = connect(settings.redis_url)
    keys = Keys(settings.topic_prefix)
    writer, before = ReadModelWriter(redis, keys, retention_s=HOUR_S), ReadModelWriter(redis, keys)
    feed = keys.subscriptions.items("slow-reader")
    now = time.time()
    try:
        await publish(writer, "old", at=now - 2 * HOUR_S, feed=feed)
        await publish(writer, "new", at=now, feed=feed)
        await publish(before, "old-unexpiring", at=now - 2 * HOUR_S, feed=feed)  # written before the retention
        await publish(before, "old-original", at=now - 2 * HOUR_S)
        await publish(writer, "its-translation", root="old-original", at=now)  # renews the original

        assert await sweep(redis, keys, retention_s=HOUR_S, feeds=["slow-reader"], now=now) == 3
        assert [m.decode() for m in await redis.zrange(keys.published(), 0, -1)] == ["its-translation", "new"]
        assert [m.decode() for m in await redis.zrange(feed, 0, -1)] == ["new"]
        await asyncio.sleep(0.01)
        model = ReadModel(redis, keys)
        assert await model.stored("old-unexpiring") is None  # deleted with its index entry
        assert await model.stored("old") is not None  # expires by itself, a retention after its write
        assert await model.stored("old-original") is not None  # its family was written since
        assert await redis.pttl(keys.article("old-original")) > HOUR_S * 1000 - 5_000
        assert await sweep(redis, keys, retention_s=HOUR_S, feeds=["slow-reader"], now=now) == 0
    finally:
        await redis.aclose()


async def test_an_item_written_again_after_the_sweep_listed_it_stays_in_the_index(settings):
    """The index is read, then its old entries dropped: one republished in between is
    newer by then, and neither its entry nor its hash goes."""
    redis = connect(settings.redis_url)
    keys = Keys(settings.topic_prefix)
    writer, now = ReadModelWriter(redis, keys), time.time()
    try:
        await publish(writer, "republished", at=now - 2 * HOUR_S)
        listed = redis.zrangebyscore

        async def republished_meanwhile(*args, **kwargs):
            ids = await listed(*args, **kwargs)
            if ids:
                await publish(writer, "republished", at=now)
            return ids

        redis.zrangebyscore = republished_meanwhile
        await sweep(redis, keys, retention_s=HOUR_S, feeds=[], now=now)
        await asyncio.sleep(0.01)
        assert await redis.zscore(keys.published(), "republished") == round(now * 1000)
        assert await ReadModel(redis, keys).stored("republished") is not None
    finally:
        await redis.aclose()


async def test_publishings_loop_sweeps_until_stopped_and_not_at_all_with_no_retention(settings):
    redis = connect(settings.redis_url)
    keys = Keys(settings.topic_prefix)
    writer = ReadModelWriter(redis, keys, retention_s=1)
    try:
        await publish(writer, "a", at=time.time() - 5)
        stop = asyncio.Event()
        await asyncio.wait_for(retention_loop(redis, keys, retention_s=0, feeds=list, stop=stop), 1)
        assert await redis.zcard(keys.published()) == 1  # 0: kept for ever, no sweep

        loop = asyncio.create_task(retention_loop(redis, keys, retention_s=1, feeds=list, stop=stop))
        for _ in range(50):
            if not await redis.zcard(keys.published()):
                break
            await asyncio.sleep(0.05)
        stop.set()
        await asyncio.wait_for(loop, 2)
        assert await redis.zcard(keys.published()) == 0
    finally:
        await redis.aclose()
