"""The Redis read model against the session's real redis-server."""
from __future__ import annotations

import orjson
import pytest

from shared.cache import Keys, connect
from services.publishing.read_model import ReadModelWriter

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
