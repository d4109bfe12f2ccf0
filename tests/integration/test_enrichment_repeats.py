"""The stories step of enrichment skips a record whose output was delivered already
by its idempotency key, not only by offset: a redone read-step batch (a rebalance,
a crash between produce and commit) puts repeats on ``enrichment.stories`` at new
offsets, and they must not reach ``articles.enriched`` twice."""
from __future__ import annotations

import time

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
