"""The Redis read model against the session's real redis-server."""
from __future__ import annotations

import orjson
import pytest

from shared.cache import Keys, connect
from services.publishing.read_model import Delivery, ReadModelWriter

pytestmark = pytest.mark.integration


async def test_newer_versions_replace_older_ones_never_the_reverse(settings):
    redis = connect(settings.redis_url)
    model = ReadModelWriter(redis, Keys(settings.topic_prefix))
    try:
        assert await model.store("a1", {"uri": "u", "version": "2", "headlines": [{"value": "v2"}]}, {"n": 2})
        assert not await model.store("a1", {"uri": "u", "version": "1", "headlines": [{"value": "v1"}]}, {"n": 1})
        assert orjson.loads(await model.item_json("a1"))["version"] == "2"
        assert await model.store("a1", {"uri": "u", "version": "3"}, {"n": 3})
        assert orjson.loads(await model.item_json("a1"))["version"] == "3"
        assert (await model.meta("a1")) == {"n": 3}
        assert await model.item_json("unknown") is None
        assert await model.recent_ids() == ["a1"]
    finally:
        await redis.aclose()


async def test_a_live_write_is_one_transaction_and_needs_no_cached_script(settings):
    """A Redis restarted or failed over has no scripts cached: the writes still land.
    The transaction holds no redis-py Script, which would cost a SCRIPT EXISTS round
    trip before every execute: the writer queues its scripts as EVAL."""
    redis = connect(settings.redis_url)
    keys = Keys(settings.topic_prefix)
    model = ReadModelWriter(redis, keys)
    live = keys.subscriptions.live("script-test")
    try:
        async with redis.pipeline(transaction=True) as pipe:  # an earlier version of s1, on its live stream
            await model.stage_live(pipe, "s1", {"uri": "u-s1", "version": "0"}, {"n": 0}, digest="d0", root="",
                                   score_ms=0, entry={"article_id": "s1"}, deliveries=[Delivery(live=live)])
            await pipe.execute()
        await redis.xadd(live, {"article_id": "other", "event": "keep"})
        await redis.script_flush()
        async with redis.pipeline(transaction=True) as pipe:
            await model.stage_purge_live(pipe, "s1", [live])
            await model.stage_live(pipe, "s1", {"uri": "u-s1", "version": "1"}, {"n": 1}, digest="d1", root="",
                                   score_ms=1)
            assert not pipe.scripts
            await pipe.execute()
        assert orjson.loads(await model.item_json("s1"))["version"] == "1"
        assert await model.meta("s1") == {"n": 1}
        assert [fields[b"article_id"] for _, fields in await redis.xrange(live)] == [b"other"]
    finally:
        await redis.aclose()
