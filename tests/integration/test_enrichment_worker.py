"""The enrichment worker (faust) as a real process on the session's Kafka and Redis:
its tables survive a restart exactly, and a SIGKILL mid-stream loses nothing and
duplicates nothing once outputs are deduplicated by their idempotency key."""
from __future__ import annotations

import asyncio
import time

import orjson
import pytest
from redis.asyncio import Redis

from services.cli.synthetic import synthetic_article
from services.enrichment.nlp.clusters import cluster_id_for
from shared.cache import Keys
from shared.events import ArticleEvent, Stage
from shared.topics import Topics
from tests.enrichment_helpers import EXAMPLE, Worker, enriched, event_for, send
from tests.kafka_helpers import produce, read_topic
from tests.waiting import eventually

pytestmark = pytest.mark.integration


def cluster_of(events: list[ArticleEvent]) -> str:
    return events[0].envelope.enrichment["storyCluster"]["id"]


async def test_tables_survive_a_restart_exactly(settings, tmp_path):
    now = time.time()
    first = event_for(EXAMPLE, "local", now)
    copy = event_for(EXAMPLE.replace("imminent", "likely soon").replace("significantly", "sharply"), "wire2", now + 1)
    unrelated = event_for(synthetic_article(1, words=200), "local", now + 2)
    with Worker(settings, tmp_path) as worker:
        await send(settings, [first, copy, unrelated])
        before = await enriched(settings, expect=3)
        assert len(before) == 3
        clusters = {key.split("@")[0]: cluster_of(events) for key, events in before.items()}
        story = clusters[first.article.uri]
        assert clusters[copy.article.uri] == story  # named after whichever copy was read first
        assert story in (cluster_id_for(first.article.uri, settings.secret_key),
                         cluster_id_for(copy.article.uri, settings.secret_key))
        assert clusters[unrelated.article.uri] != story

        worker.process.stop()  # SIGTERM: the worker logs its table state on the way out
        at_shutdown = (await worker.logged("enrichment tables at shutdown"))["tables"]
        worker.process.start()
        recovered_line = await worker.logged("enrichment tables recovered", after=1)
        recovered = recovered_line["tables"]
        assert recovered == at_shutdown
        # JSON lines tagged with the service, as every service writes them (shared.telemetry)
        assert recovered_line["service"] == "enrichment" and recovered_line["logger"] == "services.enrichment.agents"
        assert recovered["keys"]["story-members"] == 3 and recovered["keys"]["entity-trends"] > 10

        # The recovered index still knows the story: a third copy joins its cluster…
        again = event_for(EXAMPLE.replace("experts suggest", "analysts say"), "wire3", now + 3)
        await send(settings, [again])
        after = await enriched(settings, expect=4)
        assert cluster_of(after[again.idempotency_key(Stage.ENRICHED)]) == story
        # …and the trend counts go on from where they were (3 stories name Park Won-gon).
        redis = Redis.from_url(settings.redis_url)
        try:
            async def counted_three_times() -> bool:
                return await trend_count(redis, settings, PARK) == 3

            await eventually(counted_three_times, timeout=30, what="Park Won-gon counted in 3 stories")
        finally:
            await redis.aclose()


async def test_buckets_the_version_before_wrote_to_their_own_table_still_find_their_story(settings, tmp_path):
    """An upgrade: the story-buckets changelog an older worker wrote (one record per LSH
    bucket) is read into the index, so a copy of a story recorded before still joins it."""
    from services.enrichment.clustering import story_buckets
    from shared.topics import ensure_topics

    now = time.time()
    first = event_for(EXAMPLE, "local", now)
    old_cluster = cluster_id_for(first.article.uri, settings.secret_key)
    changelog = f"{Topics(settings.topic_prefix).group('enrichment-stories')}-story-buckets-changelog"
    await ensure_topics(settings.kafka_bootstrap, {changelog: {"cleanup.policy": "compact"}}, partitions=1)
    await produce(settings.kafka_bootstrap, changelog,
                  [(orjson.dumps(key), orjson.dumps({"cluster": old_cluster, "at": now - 60}), [])
                   for key in story_buckets(first.article)])
    copy = event_for(EXAMPLE.replace("imminent", "likely soon").replace("significantly", "sharply"), "wire2", now)
    with Worker(settings, tmp_path):
        await send(settings, [copy])
        after = await enriched(settings, expect=1)
    assert cluster_of(after[copy.idempotency_key(Stage.ENRICHED)]) == old_cluster


PARK = "person\tPark Won-gon"


async def trend_count(redis: Redis, settings, entity: str) -> float:
    """What Redis says the trends counted for ``entity``, summed over its windows (the
    hour may turn between stories)."""
    keys, total = Keys(settings.topic_prefix), 0.0
    for member in await redis.zrange(keys.trend_windows(), 0, -1):
        total += await redis.zscore(keys.trend_window(int(member.decode().split(":")[0])), entity) or 0.0
    return total


async def test_trend_counts_come_back_after_redis_lost_them(settings, tmp_path):
    """Redis is a copy of the worker's table: after it lost the trend windows (a restart
    without persistence), the worker copies them again, with no new story to prompt it."""
    now = time.time()
    with Worker(settings, tmp_path) as worker:
        await send(settings, [event_for(EXAMPLE, "local", now), event_for(synthetic_article(2, words=200), "local", now)])
        assert len(await enriched(settings, expect=2)) == 2
        redis = Redis.from_url(settings.redis_url)
        try:
            async def counted_once() -> bool:
                return await trend_count(redis, settings, PARK) == 1

            await eventually(counted_once, timeout=30, what="Park Won-gon counted")
            keys = Keys(settings.topic_prefix)
            windows = [keys.trend_window(int(m.decode().split(":")[0]))
                       for m in await redis.zrange(keys.trend_windows(), 0, -1)]
            await redis.delete(keys.trend_windows(), *windows)  # what a Redis loss does to them
            assert await trend_count(redis, settings, PARK) == 0
            await eventually(counted_once, timeout=30, what="Park Won-gon counted again after the loss")
            assert worker.process.alive()
        finally:
            await redis.aclose()


async def test_sigkill_mid_stream_every_article_once_after_dedup(settings, tmp_path):
    now = time.time()
    events = [event_for(synthetic_article(6000 + n, words=150), "local", now + n) for n in range(40)]
    with Worker(settings, tmp_path) as worker:
        async def feed() -> None:  # a wire that keeps sending while the worker dies
            for event in events:
                await send(settings, [event])
                await asyncio.sleep(0.05)

        feeding = asyncio.create_task(feed())
        await enriched(settings, expect=5)  # the worker is mid-stream…
        worker.process.kill()  # …when it dies without a chance to commit or flush
        await feeding
        worker.process.start()
        wanted = {e.idempotency_key(Stage.ENRICHED) for e in events}
        async def all_enriched() -> dict[str, list[ArticleEvent]] | None:
            grouped = await enriched(settings, expect=len(wanted), timeout=10)
            return grouped if set(grouped) == wanted else None

        grouped = await eventually(all_enriched, timeout=180, interval=0, what="every article enriched")
        assert set(grouped) == wanted  # every article, and nothing else
        for key, copies in grouped.items():
            # a re-delivered article is the same output: same ninjs, same enrichment, same cluster
            assert all(c.article == copies[0].article for c in copies), key
            assert all(c.envelope.enrichment == copies[0].envelope.enrichment for c in copies), key
        dlq = await read_topic(settings.kafka_bootstrap, Topics.dlq(Topics(settings.topic_prefix).ingested),
                               expect=1, timeout=2)
        assert dlq == []
