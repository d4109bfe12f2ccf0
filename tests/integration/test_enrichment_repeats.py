"""The stories step of enrichment skips a record whose output was delivered already
by its idempotency key, not only by offset: a redone read-step batch (a rebalance,
a crash between produce and commit) puts repeats on ``enrichment.stories`` at new
offsets, and they must not reach ``articles.enriched`` twice."""
from __future__ import annotations

import time

import orjson
import pytest

from services.cli.synthetic import synthetic_article
from shared.cloudevents import header_items
from shared.events import Stage
from shared.topics import Topics
from tests.enrichment_helpers import Worker, enriched, event_for, send
from tests.kafka_helpers import produce, read_topic

pytestmark = pytest.mark.integration


async def test_repeats_at_new_offsets_reach_articles_enriched_once(settings, tmp_path):
    now = time.time()
    first = [event_for(synthetic_article(7100 + n, words=120), "local", now + n) for n in range(3)]
    with Worker(settings, tmp_path):
        await send(settings, first)
        assert len(await enriched(settings, expect=3)) == 3
        topic = Topics(settings.topic_prefix).stories
        read = await read_topic(settings.kafka_bootstrap, topic, expect=3)
        # the read step's outputs again, as a redone batch would produce them
        await produce(settings.kafka_bootstrap, topic,
                      [(r.key, r.value, header_items(r.headers)) for r in read])
        later = event_for(synthetic_article(7200, words=120), "local", now + 10)
        await send(settings, [later])
        grouped = await enriched(settings, expect=4)
        assert later.idempotency_key(Stage.ENRICHED) in grouped  # the repeats were read before it
        grouped = await enriched(settings, expect=7, timeout=5)
        assert {key: len(copies) for key, copies in grouped.items()} == {
            e.idempotency_key(Stage.ENRICHED): 1 for e in [*first, later]}


async def test_a_delivered_entry_the_version_before_wrote_still_stops_a_repeat_and_its_time_is_noted(settings,
                                                                                                     tmp_path):
    """An upgrade: the story-delivered changelog an older worker wrote holds bare keys (no
    time). A repeat of such a story is still skipped, and the first delivery notes in the
    progress table's changelog when they were found, so they go a horizon after that."""
    from services.enrichment.delivered import BARE_SINCE
    from shared.topics import ensure_topics

    now = time.time()
    old = event_for(synthetic_article(7300, words=120), "local", now)
    group = Topics(settings.topic_prefix).group("enrichment-stories")
    changelog = f"{group}-story-delivered-changelog"
    await ensure_topics(settings.kafka_bootstrap, {changelog: {"cleanup.policy": "compact"}}, partitions=1)
    await produce(settings.kafka_bootstrap, changelog,
                  [(orjson.dumps(old.article.uri), orjson.dumps(old.idempotency_key(Stage.ENRICHED)), [])])
    later = event_for(synthetic_article(7301, words=120), "local", now + 1)
    with Worker(settings, tmp_path):
        await send(settings, [old, later])
        assert set(await enriched(settings, expect=1)) == {later.idempotency_key(Stage.ENRICHED)}
        assert set(await enriched(settings, expect=2, timeout=5)) == {later.idempotency_key(Stage.ENRICHED)}
        progress = f"{group}-stories-progress-changelog"
        noted = [r for r in await read_topic(settings.kafka_bootstrap, progress, expect=3, timeout=10)
                 if orjson.loads(r.key) == BARE_SINCE]
    assert noted, "no note of when the bare entries were found"
    assert now - 60 < orjson.loads(noted[-1].value) <= time.time()
