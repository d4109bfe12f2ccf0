"""The trends route's ranking of one window (real redis-server): enrichment's counts
plus those released from embargo, most first, ties by name, read only as far as needed."""
from __future__ import annotations

import pytest

from services.gateway.routes.enrichment import _top
from shared.cache import Keys, connect

pytestmark = pytest.mark.integration
START = 1_700_000_000


@pytest.fixture
async def window(settings):
    redis, keys = connect(settings.redis_url), Keys(settings.topic_prefix)
    counts = {f"person\tP{i:04d}": 1 + i % 7 for i in range(2_000)}
    counts |= {"place\tSeoul": 5, "place\tBusan": 5, "place\tAthens": 9}
    await redis.zadd(keys.trend_window(START), counts)
    await redis.zadd(keys.trend_released(START), {"place\tBusan": 2, "untyped\t김": 1})
    yield redis, keys, counts
    await redis.aclose()


async def test_the_top_entities_most_first_ties_by_name_with_released_counts_added(window):
    redis, keys, counts = window
    expected = dict(counts, **{"place\tBusan": 7, "untyped\t김": 1})
    ranked = sorted(expected.items(), key=lambda kv: (-kv[1], kv[0]))
    top = await _top(redis, keys, START, limit=20, kind=None)
    assert [(f"{e['type']}\t{e['name']}", e["count"]) for e in top] == ranked[:20]
    places = await _top(redis, keys, START, limit=3, kind="place")
    assert [(e["name"], e["count"]) for e in places] == [("Athens", 9), ("Busan", 7), ("Seoul", 5)]
    assert [e["name"] for e in await _top(redis, keys, START, limit=5, kind="untyped")] == ["김"]
    assert await _top(redis, keys, START + 3600, limit=5, kind=None) == []
    assert await redis.keys(f"{keys.trend_window(START)}:top:*") == []  # the union is not left behind
