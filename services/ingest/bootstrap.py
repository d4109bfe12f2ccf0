"""Ingest's composition root: wires the handler to the runner and Redis."""
from __future__ import annotations

import time

from aiokafka import ConsumerRecord
from redis.asyncio import Redis

from services.ingest.handlers import ingest
from shared.bus import Outgoing, StageRunner
from shared.cache import Keys
from shared.events import Stage
from shared.identity import StoryRegistry
from shared.inbound import received_from_record
from shared.settings import WireSettings
from shared.stage import article_output, bind_article_context
from shared.topics import Topics

SERVICE = "ingest"


def build_runner(settings: WireSettings, redis: Redis) -> StageRunner:
    topics = Topics(settings.topic_prefix)
    registry = StoryRegistry(redis, Keys(settings.topic_prefix))

    async def handle(record: ConsumerRecord) -> list[Outgoing]:
        started_at = time.time()
        outputs = []
        for event in await ingest(received_from_record(record), registry=registry):
            bind_article_context(event)
            outputs.append(article_output(event, stage=Stage.INGESTED, service=SERVICE,
                                          topic=topics.ingested, started_at=started_at))
        return outputs

    return StageRunner(stage=SERVICE, topic=topics.inbound, group_id=topics.group(SERVICE),
                       handle=handle, settings=settings)
