"""Enrichment's read step: ``articles.ingested`` → ``enrichment.stories``.

The language models, stateless and heavy, run on the project's
:class:`~shared.runner.StageRunner` (aiokafka: batch, handle, produce, commit after
the outputs are acknowledged), scaled out over the input's partitions: one
process per core. Each read article carries its story's bucket keys to the single
stories step (:mod:`agents`), so that step only looks them up.
"""
from __future__ import annotations

import asyncio
import time
from dataclasses import replace

from services.enrichment.clustering import BUCKETS_HEADER, story_buckets
from services.enrichment.handlers import enrich
from services.enrichment.settings import EnrichmentSettings
from shared.batching import PerRecord
from shared.bus import Handle, Outgoing
from shared.events import Stage
from shared.runner import StageRunner
from shared.stage import article_output, read_article_event
from shared.topics import Topics

STAGE = "enrichment"


def read_step(out_topic: str) -> Handle:
    """The handler: the models (:func:`enrich`) and the story's bucket keys, both
    off the event loop."""

    async def handle(record) -> list[Outgoing]:
        started_at = time.time()
        event = await enrich(read_article_event(record))
        keys = await asyncio.to_thread(story_buckets, event.article)
        out = article_output(event, stage=Stage.ENRICHED, service=STAGE, topic=out_topic, started_at=started_at)
        return [replace(out, headers=[*out.headers, (BUCKETS_HEADER, ",".join(keys).encode())])]

    return handle


def read_runner(settings: EnrichmentSettings) -> StageRunner:
    """Each ingested article → read by the models → the stories topic (or its DLQ)."""
    topics = Topics(settings.topic_prefix)
    return StageRunner(stage=STAGE, topic=topics.ingested, group_id=topics.group(STAGE),
                       handle=read_step(topics.stories), settings=settings,
                       strategy=PerRecord(together=settings.read_outputs_together))
